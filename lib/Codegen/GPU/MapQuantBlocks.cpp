//===- MapQuantBlocks.cpp - 8-bit moment blocks to gpu.launch -------------===//
//
// A parameter with 8-bit moments lowers to a loop over its blocks of 256
// elements, each block three generics (optim.quant_block): decode and
// update into a scratch block, the block's new absmaxes (a max reduction),
// and the encode with them. On the GPU each quantisation block is one block
// of 256 threads, one element per thread: the scratch becomes each
// thread's registers, the reduction an atomic max in shared memory between
// two barriers, and the blocks of threads take quantisation blocks in a
// grid-stride loop. The partial last block is the same code with the
// threads past the end contributing 0 (neutral for magnitudes).
//
// With a group table the parameter is the template of every tensor in the
// table and the launch is one for the group: blocks of threads take the
// quantisation blocks of all its tensors in turn, and for each tensor the
// kernel recomputes what the template's block loop derives from its
// buffers (the block count, the partial block's size, the rounding keys)
// from the views of the tensor's row.
//
//===----------------------------------------------------------------------===//

#include "MapQuantBlocks.h"

#include "KernelBody.h"

#include "optim/Codegen/Elementwise.h"
#include "optim/Codegen/GroupTable.h"
#include "optim/Support/BlockwiseQuant.h"

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "llvm/ADT/MapVector.h"

#include <optional>

using namespace mlir;
using namespace mlir::optim;

namespace {

bool holdsQuantBlock(Block &block) {
  return llvm::any_of(block.getOps<linalg::GenericOp>(),
                      [](linalg::GenericOp op) {
                        return op->hasAttr(kQuantBlockAttr);
                      });
}

/// The buffer `v` (a memref) views, through view-like ops.
Value getRoot(Value v) { return memref::skipViewLikeOps(cast<MemrefValue>(v)); }

/// The scratch of the CPU form (allocas made before the block loop): a
/// block's new moments (rank 1) and its absmax bits (rank 0).
bool isScratch(Value v) {
  return isa<MemRefType>(v.getType()) &&
         getRoot(v).getDefiningOp<memref::AllocaOp>();
}
bool isScalarScratch(Value v) {
  return isScratch(v) && cast<MemRefType>(v.getType()).getRank() == 0;
}

/// One quantisation block's ops, rewritten for one thread of the block.
class BlockBody {
public:
  BlockBody(OpBuilder &b, Value thread, Value shared,
            const llvm::DenseMap<Value, int64_t> &slots, bool preciseMath)
      : b(b), thread(thread), shared(shared), slots(slots),
        preciseMath(preciseMath) {}

  LogicalResult convert(Block &source, IRMapping mapping) {
    for (Operation &op : source.without_terminator()) {
      Location loc = op.getLoc();
      if (auto generic = dyn_cast<linalg::GenericOp>(op)) {
        if (!generic->hasAttr(kQuantBlockAttr))
          return generic.emitError("unexpected generic in a block of 8-bit "
                                   "moments");
        if (failed(generic.getNumReductionLoops()
                       ? convertReduction(generic, mapping)
                       : convertElementwise(generic, mapping)))
          return failure();
        continue;
      }
      // The CPU pads a partial block's scratch with 0; here the threads
      // past the end contribute 0 instead. Views of the scratch are the
      // scratch (the thread's element).
      if (auto fill = dyn_cast<linalg::FillOp>(op);
          fill && llvm::all_of(fill.getOutputs(), isScratch))
        continue;
      if (auto view = dyn_cast<memref::SubViewOp>(op);
          view && isScratch(view.getSource()))
        continue;
      if (auto store = dyn_cast<memref::StoreOp>(op)) {
        Value value = mapping.lookupOrDefault(store.getValueToStore());
        if (isScalarScratch(store.getMemref())) {
          // Every thread stores the same value: the reduction's start.
          memref::StoreOp::create(b, loc, value, shared,
                                  ValueRange{getSlot(store.getMemref(), loc)});
          continue;
        }
        if (isScratch(store.getMemref()))
          return store.emitError("unexpected store to the block's scratch");
        // A block's value (its absmax): stored by thread 0.
        Value first = arith::CmpIOp::create(
            b, loc, arith::CmpIPredicate::eq, thread,
            arith::ConstantIndexOp::create(b, loc, 0));
        scf::IfOp::create(b, loc, first, [&](OpBuilder &tb, Location) {
          tb.clone(op, mapping);
          scf::YieldOp::create(tb, loc);
        });
        continue;
      }
      if (auto load = dyn_cast<memref::LoadOp>(op);
          load && isScalarScratch(load.getMemref())) {
        mapping.map(load.getResult(),
                    memref::LoadOp::create(
                        b, loc, shared,
                        ValueRange{getSlot(load.getMemref(), loc)}));
        continue;
      }
      if (llvm::any_of(op.getOperands(), isScratch))
        return op.emitError("unexpected use of the block's scratch");
      b.clone(op, mapping);
    }
    // The next block's stores to the shared slots wait for every thread
    // to have read them.
    gpu::BarrierOp::create(b, source.getParentOp()->getLoc());
    return success();
  }

private:
  /// The index of the shared slot of an absmax accumulator.
  Value getSlot(Value scalarScratch, Location loc) {
    return arith::ConstantIndexOp::create(
        b, loc, slots.lookup(getRoot(scalarScratch)));
  }

  /// Decode-update or encode: this thread's element, if the block has it.
  /// Scratch inputs are the thread's values; scratch outputs become them.
  LogicalResult convertElementwise(linalg::GenericOp op,
                                   const IRMapping &outer) {
    Location loc = op.getLoc();
    SmallVector<Type> scratchTypes;
    for (OpOperand &init : op.getDpsInitsMutable()) {
      if (!isScratch(init.get()))
        continue;
      if (!op.getMatchingBlockArgument(&init).use_empty())
        return op.emitError("cannot read a scratch output on the GPU");
      scratchTypes.push_back(
          cast<MemRefType>(init.get().getType()).getElementType());
    }
    Value size = memref::DimOp::create(
        b, loc, outer.lookupOrDefault(op.getDpsInits()[0]), 0);
    Value inBlock = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                          thread, size);
    auto guarded = scf::IfOp::create(
        b, loc, scratchTypes, inBlock, /*withElseRegion=*/true);
    {
      OpBuilder::InsertionGuard guard(b);
      // Without results, the branches come with their terminators.
      auto fill = [&](Block *block) {
        if (scratchTypes.empty())
          b.setInsertionPoint(block->getTerminator());
        else
          b.setInsertionPointToStart(block);
      };
      auto yield = [&](ValueRange values) {
        if (!scratchTypes.empty())
          scf::YieldOp::create(b, loc, values);
      };
      fill(guarded.thenBlock());
      IRMapping mapping = outer;
      for (OpOperand &operand : op->getOpOperands()) {
        BlockArgument arg = op.getMatchingBlockArgument(&operand);
        if (arg.use_empty())
          continue;
        if (isScratch(operand.get())) {
          mapping.map(arg, threadValues.lookup(getRoot(operand.get())));
          continue;
        }
        mapping.map(arg, memref::LoadOp::create(
                             b, loc, outer.lookupOrDefault(operand.get()),
                             ValueRange{thread}));
      }
      SmallVector<Value> yields =
          cloneGenericBody(b, loc, op, mapping, thread, /*width=*/0,
                           preciseMath);
      SmallVector<Value> kept;
      for (auto [value, init] : llvm::zip(yields, op.getDpsInits())) {
        if (isScratch(init))
          kept.push_back(value);
        else
          memref::StoreOp::create(b, loc, value, outer.lookupOrDefault(init),
                                  ValueRange{thread});
      }
      yield(kept);
      fill(guarded.elseBlock());
      SmallVector<Value> zeros = llvm::map_to_vector(scratchTypes, [&](Type t) {
        return arith::ConstantOp::create(b, loc, b.getZeroAttr(t)).getResult();
      });
      yield(zeros);
    }
    unsigned next = 0;
    for (Value init : op.getDpsInits())
      if (isScratch(init))
        threadValues[getRoot(init)] = guarded.getResult(next++);
    if (llvm::any_of(op.getDpsInputs(), [&](Value in) {
          return isScratch(in) && !threadValues.lookup(getRoot(in));
        }))
      return op.emitError("reads a scratch block no generic wrote");
    return success();
  }

  /// The block's absmax bits: each thread's contribution (the body with the
  /// accumulators at 0, the identity of the unsigned max), then one atomic
  /// max per thread into the shared slot, between two barriers.
  LogicalResult convertReduction(linalg::GenericOp op,
                                 const IRMapping &outer) {
    Location loc = op.getLoc();
    Block *body = op.getBody();
    auto yield = cast<linalg::YieldOp>(body->getTerminator());
    IRMapping mapping = outer;
    for (OpOperand *in : op.getDpsInputOperands()) {
      Value value = threadValues.lookup(getRoot(in->get()));
      if (!isScratch(in->get()) || !value)
        return op.emitError("the block reduction must read the block's "
                            "scratch");
      mapping.map(op.getMatchingBlockArgument(in), value);
    }
    for (auto [init, value] :
         llvm::zip(op.getDpsInitsMutable(), yield.getValues())) {
      BlockArgument acc = op.getMatchingBlockArgument(&init);
      auto max = value.getDefiningOp<arith::MaxUIOp>();
      if (!isScalarScratch(init.get()) || !max ||
          !llvm::is_contained(max->getOperands(), acc) ||
          llvm::any_of(acc.getUsers(),
                       [&](Operation *user) { return user != max; }))
        return op.emitError("a block reduction on the GPU must be an "
                            "unsigned max into a scalar");
      mapping.map(acc, arith::ConstantOp::create(
                           b, loc, b.getZeroAttr(acc.getType())));
    }
    // The slots hold their start values.
    gpu::BarrierOp::create(b, loc);
    SmallVector<Value> contributions =
        cloneGenericBody(b, loc, op, mapping, thread, /*width=*/0,
                         preciseMath);
    for (auto [value, init] : llvm::zip(contributions, op.getDpsInits()))
      memref::AtomicRMWOp::create(b, loc, arith::AtomicRMWKind::maxu, value,
                                  shared, ValueRange{getSlot(init, loc)});
    // Every thread's contribution is in.
    gpu::BarrierOp::create(b, loc);
    return success();
  }

  OpBuilder &b;
  Value thread, shared;
  const llvm::DenseMap<Value, int64_t> &slots;
  bool preciseMath;
  /// The scratch blocks (their allocas) as this thread's elements.
  llvm::DenseMap<Value, Value> threadValues;
};

/// The scf.if of the partial last block that follows `loop`, or null.
scf::IfOp findTail(scf::ForOp loop) {
  for (Operation *op = loop->getNextNode(); op; op = op->getNextNode()) {
    if (auto tail = dyn_cast<scf::IfOp>(op))
      return holdsQuantBlock(*tail.thenBlock()) ? tail : nullptr;
    if (!isMemoryEffectFree(op) || op->getNumRegions())
      return nullptr;
  }
  return nullptr;
}

/// The template of a group table: its buffers (function arguments) and
/// their columns.
struct TableTemplate {
  Value table;
  llvm::MapVector<Value, int64_t> columns;
};

/// What a table row recomputes of the template's block loop: the ops
/// before `tail` (outside `loop`, in its block or the blocks around it)
/// that derive, from the template's buffers or its rounding stream, values
/// that the loop or `tail` use, in program order; and the buffers indexed
/// by block (the absmaxes), whose views have one element per block.
struct RowTemplate {
  SmallVector<Operation *> chain;
  Operation *keyStart = nullptr;
  llvm::SmallDenseSet<Value> perBlock;
};

FailureOr<RowTemplate> getRowTemplate(scf::ForOp loop, scf::IfOp tail,
                                      const TableTemplate &table) {
  RowTemplate row;
  auto func = loop->getParentOfType<func::FuncOp>();
  auto inBlocks = [&](Operation *op) {
    return loop->isAncestor(op) || tail->isAncestor(op);
  };
  // Before the tail (so before the loop, or between the two), in the
  // tail's block or one around it.
  auto inPrologue = [&](Operation *op) {
    Operation *ancestor = op->getBlock()->findAncestorOpInBlock(*tail);
    return ancestor && ancestor != op && op->isBeforeInBlock(ancestor) &&
           !inBlocks(op);
  };
  func.walk([&](Operation *op) {
    if (op->hasAttr(kRoundingStreamAttr) && inPrologue(op))
      row.keyStart = op;
  });
  bool usesIndices = false;
  for (Operation *region : {loop.getOperation(), tail.getOperation()})
    region->walk([&](linalg::IndexOp) { usesIndices = true; });
  if (usesIndices && !row.keyStart)
    return loop.emitError()
           << "8-bit blocks over a group table cannot use element indices "
              "without a rounding stream ("
           << kRoundingStreamAttr << ")";

  llvm::SmallDenseSet<Operation *> derived;
  auto addSlice = [&](auto root) {
    llvm::SetVector<Operation *> slice;
    getForwardSlice(root, &slice);
    for (Operation *op : slice)
      if (inPrologue(op))
        derived.insert(op);
  };
  for (auto [buffer, column] : table.columns)
    addSlice(buffer);
  if (row.keyStart) {
    derived.insert(row.keyStart);
    addSlice(row.keyStart);
  }
  // The derived ops that the loop and the tail need, transitively.
  SmallVector<Value> worklist;
  llvm::SmallDenseSet<Operation *> needed;
  for (Operation *region : {loop.getOperation(), tail.getOperation()})
    region->walk([&](Operation *op) {
      llvm::append_range(worklist, op->getOperands());
    });
  while (!worklist.empty()) {
    Operation *def = worklist.pop_back_val().getDefiningOp();
    if (!def || !derived.contains(def) || !needed.insert(def).second)
      continue;
    if (!isMemoryEffectFree(def) || def->getNumRegions())
      return def->emitError("a value of a table row must be computed by "
                            "side-effect-free ops");
    llvm::append_range(worklist, def->getOperands());
  }
  // Program order (a pre-order walk), which the uses respect.
  func.walk<WalkOrder::PreOrder>([&](Operation *op) {
    if (needed.contains(op))
      row.chain.push_back(op);
  });

  // Every buffer the blocks touch must come from the table: a function
  // argument they reach, directly or through views, must be a column.
  Block &entry = func.getBody().front();
  auto fromTable = [&](Operation *op) -> WalkResult {
    for (Value v : op->getOperands()) {
      if (!isa<MemRefType>(v.getType()))
        continue;
      auto arg = dyn_cast<BlockArgument>(getRoot(v));
      if (!arg || arg.getOwner() != &entry || table.columns.contains(arg))
        continue;
      op->emitError() << "with a group table, the buffers of 8-bit "
                         "blocks must be function arguments marked "
                      << kGroupColumnAttr;
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  };
  Value iv = loop.getInductionVar();
  WalkResult walk = loop.getBody()->walk([&](Operation *op) -> WalkResult {
    if (fromTable(op).wasInterrupted())
      return WalkResult::interrupt();
    auto isBlockAccess = [&](Value memref, ValueRange indices) {
      if (table.columns.contains(memref) && indices.size() == 1 &&
          indices[0] == iv)
        row.perBlock.insert(memref);
    };
    if (auto load = dyn_cast<memref::LoadOp>(op))
      isBlockAccess(load.getMemref(), load.getIndices());
    if (auto store = dyn_cast<memref::StoreOp>(op))
      isBlockAccess(store.getMemref(), store.getIndices());
    return WalkResult::advance();
  });
  if (!walk.wasInterrupted())
    walk = tail.thenBlock()->walk(fromTable);
  if (walk.wasInterrupted())
    return failure();
  return row;
}

/// Emits one quantisation block, `index` of the loop: a whole block while
/// `index` < `whole`, else the partial one. `mapping` holds a table row's
/// values (empty without a table).
LogicalResult emitQuantBlock(OpBuilder &kb, Location loc, scf::ForOp loop,
                             scf::IfOp tail, Value index, Value whole,
                             const IRMapping &mapping, Value thread,
                             Value shared,
                             const llvm::DenseMap<Value, int64_t> &slots,
                             bool preciseMath) {
  OpBuilder::InsertionGuard guard(kb);
  Value isWhole =
      arith::CmpIOp::create(kb, loc, arith::CmpIPredicate::ult, index, whole);
  auto which = scf::IfOp::create(kb, loc, isWhole, /*withElseRegion=*/true);
  kb.setInsertionPoint(which.thenBlock()->getTerminator());
  IRMapping wholeMapping = mapping;
  wholeMapping.map(loop.getInductionVar(), index);
  if (failed(BlockBody(kb, thread, shared, slots, preciseMath)
                 .convert(*loop.getBody(), wholeMapping)))
    return failure();
  // The partial block's index is the loop's bound: this iteration's.
  kb.setInsertionPoint(which.elseBlock()->getTerminator());
  return BlockBody(kb, thread, shared, slots, preciseMath)
      .convert(*tail.thenBlock(), mapping);
}

LogicalResult mapBlockLoop(scf::ForOp loop,
                           const QuantBlockMappingOptions &options,
                           const TableTemplate *table) {
  Location loc = loop.getLoc();
  scf::IfOp tail = findTail(loop);
  if (!tail || !tail.getElseRegion().empty() || tail.getNumResults() ||
      !matchPattern(loop.getLowerBound(), m_Zero()) ||
      !matchPattern(loop.getStep(), m_One()) || loop.getNumResults())
    return loop.emitError("a loop of 8-bit moment blocks must be a "
                          "0-based, unit-step scf.for followed by the "
                          "scf.if of the partial block");
  RowTemplate row;
  if (table) {
    FailureOr<RowTemplate> rowTemplate = getRowTemplate(loop, tail, *table);
    if (failed(rowTemplate))
      return failure();
    row = std::move(*rowTemplate);
  }
  // The absmax accumulators, one shared slot each.
  llvm::DenseMap<Value, int64_t> slots;
  for (Block *block : {loop.getBody(), tail.thenBlock()})
    block->walk([&](Operation *op) {
      for (Value v : op->getOperands())
        if (isScalarScratch(v))
          slots.try_emplace(getRoot(v), slots.size());
    });

  OpBuilder b(tail->getContext());
  b.setInsertionPointAfter(tail);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  // The template's blocks (with a table, the group's total, as a tensor):
  // they bound the grid.
  Value whole = loop.getUpperBound();
  Value blocks = arith::SelectOp::create(
      b, loc, tail.getCondition(), arith::AddIOp::create(b, loc, whole, one),
      whole);
  Value grid = arith::MinUIOp::create(
      b, loc, arith::MaxUIOp::create(b, loc, blocks, one),
      arith::ConstantIndexOp::create(b, loc, options.maxBlocks));
  Value threads =
      arith::ConstantIndexOp::create(b, loc, ::optim::kQuantBlockSize);
  auto sharedType = MemRefType::get(
      {std::max<int64_t>(1, slots.size())}, b.getI32Type(), AffineMap(),
      gpu::AddressSpaceAttr::get(b.getContext(),
                                 gpu::AddressSpace::Workgroup));
  auto launch = gpu::LaunchOp::create(
      b, loc, grid, one, one, threads, one, one,
      /*dynamicSharedMemorySize=*/nullptr, /*asyncTokenType=*/nullptr,
      /*asyncDependencies=*/{}, TypeRange{sharedType});
  Value shared = launch.getWorkgroupAttributions().front();
  OpBuilder kb = OpBuilder::atBlockBegin(&launch.getBody().front());
  Value stride = launch.getGridSize().x;
  if (options.testStrideOffset)
    stride = arith::AddIOp::create(
        kb, loc, stride,
        arith::ConstantIndexOp::create(kb, loc, options.testStrideOffset));
  Value thread = launch.getThreadIds().x;
  LogicalResult converted = success();
  if (!table) {
    auto blockLoop =
        scf::ForOp::create(kb, loc, launch.getBlockIds().x, blocks, stride);
    kb.setInsertionPoint(blockLoop.getBody()->getTerminator());
    converted =
        emitQuantBlock(kb, loc, loop, tail, blockLoop.getInductionVar(), whole,
                       IRMapping(), thread, shared, slots, options.preciseMath);
  } else {
    // Tensor i holds ceil(n_i / 256) quantisation blocks.
    Value blockSize =
        arith::ConstantIndexOp::create(kb, loc, ::optim::kQuantBlockSize);
    auto getRowBlocks = [&](OpBuilder &rb, Value i) -> Value {
      return arith::CeilDivUIOp::create(
          rb, loc, loadTableSize(rb, loc, table->table, i), blockSize);
    };
    buildTableChunkLoop(
        kb, loc, table->table, launch.getBlockIds().x, stride, getRowBlocks,
        [&](OpBuilder &rb, Value c, Value i, Value base) {
          Type i64 = rb.getI64Type();
          Value n = loadTableSize(rb, loc, table->table, i);
          Value nWord = arith::IndexCastOp::create(rb, loc, i64, n);
          Value blocksWord = arith::IndexCastOp::create(
              rb, loc, i64, arith::CeilDivUIOp::create(rb, loc, n, blockSize));
          IRMapping mapping;
          for (auto [buffer, column] : table->columns)
            mapping.map(
                buffer,
                buildTableView(rb, loc, cast<MemRefType>(buffer.getType()),
                               loadTableWord(rb, loc, table->table, i, column),
                               row.perBlock.contains(buffer) ? blocksWord
                                                             : nWord));
          if (row.keyStart) {
            // This tensor's rounding stream: the template's plus the row's.
            Value streamBase = row.keyStart->getOperand(0);
            mapping.map(streamBase,
                        arith::AddIOp::create(
                            rb, loc, streamBase,
                            arith::TruncIOp::create(
                                rb, loc, streamBase.getType(),
                                loadTableWord(rb, loc, table->table, i,
                                              kGroupTableStreamColumn))));
          }
          for (Operation *op : row.chain)
            rb.clone(*op, mapping);
          Value index = arith::SubIOp::create(rb, loc, c, base);
          if (failed(emitQuantBlock(
                  rb, loc, loop, tail, index,
                  mapping.lookupOrDefault(loop.getUpperBound()), mapping,
                  thread, shared, slots, options.preciseMath)))
            converted = failure();
        });
  }
  kb.setInsertionPointToEnd(&launch.getBody().front());
  gpu::TerminatorOp::create(kb, loc);
  if (failed(converted))
    return failure();
  tail->erase();
  loop->erase();
  return success();
}

/// The template of the group table `table` in `func`.
FailureOr<TableTemplate> getTableTemplate(func::FuncOp func, Value table) {
  TableTemplate result;
  result.table = table;
  for (BlockArgument arg : func.getArguments()) {
    auto column = func.getArgAttrOfType<IntegerAttr>(arg.getArgNumber(),
                                                     kGroupColumnAttr);
    if (!column)
      continue;
    auto type = dyn_cast<MemRefType>(arg.getType());
    if (!isGroupTableAddressColumn(column.getInt()) || !type ||
        type.getRank() != 1 || !type.isDynamicDim(0) ||
        !type.getLayout().isIdentity())
      return func.emitError()
             << "argument " << arg.getArgNumber() << ": a " << kGroupColumnAttr
             << " of 8-bit blocks must be an address column of the table "
                "(not its size or stream) on a memref<?xT>";
    result.columns.insert({arg, column.getInt()});
  }
  return result;
}

} // namespace

LogicalResult mlir::optim::mapQuantBlockLoops(
    func::FuncOp func, const QuantBlockMappingOptions &options, Value table) {
  SmallVector<scf::ForOp> loops;
  func.walk([&](scf::ForOp loop) {
    if (holdsQuantBlock(*loop.getBody()))
      loops.push_back(loop);
  });
  if (loops.empty())
    return success();
  std::optional<TableTemplate> tableTemplate;
  if (table) {
    if (loops.size() != 1)
      return loops[1].emitError("a step over a group table must be one "
                                "parameter (the template of every tensor "
                                "in the table)");
    FailureOr<TableTemplate> found = getTableTemplate(func, table);
    if (failed(found))
      return failure();
    tableTemplate = std::move(*found);
  }
  for (scf::ForOp loop : loops)
    if (failed(mapBlockLoop(loop, options,
                            tableTemplate ? &*tableTemplate : nullptr)))
      return failure();
  // The CPU form's scratch, now unused.
  func.walk([](memref::AllocaOp alloca) {
    if (alloca->use_empty())
      alloca->erase();
  });
  return success();
}
