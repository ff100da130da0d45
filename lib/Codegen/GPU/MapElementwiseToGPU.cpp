//===- MapElementwiseToGPU.cpp - one fused kernel per optimizer step ------===//
//
// Maps the element-wise linalg.generic ops of one optimizer step (one per
// parameter, consecutive in a block) to a single gpu.launch:
//   - every thread walks every parameter with a grid-stride loop, so a group
//     of hundreds of tensors is one launch and the grid size is bounded;
//   - when every buffer of a parameter is 16-byte aligned, the loop moves
//     whole 16-byte vectors (vector.load/store with the alignment stated, so
//     the backend emits ld.global.v4.f32); the remainder, and parameters
//     whose buffers are not aligned, take a scalar loop;
//   - with precise math, sqrt is llvm.sqrt (sqrt.rn in PTX) rather than
//     libdevice's __nv_sqrtf, which lowers to sqrt.approx; division stays
//     div.rn. GPU results then round like the CPU's;
//   - with a group table (a function argument marked optim.group_table),
//     the tensors are not kernel parameters at all: the kernel reads their
//     addresses and sizes from the table in device memory, so the kernel
//     parameter space (4 KiB, 200 bytes per tensor) no longer bounds a
//     launch, and blocks take equal chunks of the group's total elements.
//
//===----------------------------------------------------------------------===//

#include "optim/Codegen/Passes.h"

#include "KernelBody.h"
#include "MapQuantBlocks.h"
#include "MapReductionsToGPU.h"

#include "optim/Codegen/Elementwise.h"
#include "optim/Codegen/GroupTable.h"
#include "optim/Support/GpuLaunchShape.h"
#include "optim/Support/VectorSize.h"

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::optim {
#define GEN_PASS_DEF_OPTIMMAPELEMENTWISETOGPU
#include "optim/Codegen/Passes.h.inc"
} // namespace mlir::optim

using namespace mlir;
using namespace mlir::optim;

namespace {

/// Clones the body of `op` for one element (`width` = 0) or one vector of
/// `width` elements, reading and writing `buffers` (one per operand of `op`)
/// at `index`. A vector access claims the alignment of its own bytes, at
/// most `vectorBytes`: the callers only take the vector path when every
/// buffer is `vectorBytes`-aligned and `index` is a multiple of `width`.
/// `uniform` maps values from outside the body to the kernel's own (a
/// tensor's rounding keys, computed per table row).
void emitBody(OpBuilder &b, Location loc, linalg::GenericOp op,
              ValueRange buffers, Value index, int64_t width,
              int64_t vectorBytes, bool preciseMath,
              const IRMapping *uniform = nullptr) {
  IRMapping mapping;
  if (uniform)
    for (auto [from, to] : uniform->getValueMap())
      mapping.map(from, to);
  Block *body = op.getBody();
  auto alignmentOf = [&](Value buffer) {
    int64_t bytes =
        cast<MemRefType>(buffer.getType()).getElementTypeBitWidth() / 8;
    return std::min<int64_t>(vectorBytes, width * bytes);
  };
  for (auto [buffer, arg] : llvm::zip(buffers, body->getArguments())) {
    Type element = cast<MemRefType>(buffer.getType()).getElementType();
    Value loaded;
    if (width) {
      auto load = vector::LoadOp::create(
          b, loc, VectorType::get({width}, element), buffer, index);
      load.setAlignment(alignmentOf(buffer));
      loaded = load;
    } else {
      loaded = memref::LoadOp::create(b, loc, buffer, index);
    }
    mapping.map(arg, loaded);
  }
  SmallVector<Value> yields =
      cloneGenericBody(b, loc, op, mapping, index, width, preciseMath);
  ValueRange outputs = buffers.drop_front(op.getNumDpsInputs());
  for (auto [stored, buffer] : llvm::zip(yields, outputs)) {
    if (width) {
      auto store = vector::StoreOp::create(b, loc, stored, buffer, index);
      store.setAlignment(alignmentOf(buffer));
    } else {
      memref::StoreOp::create(b, loc, stored, buffer, index);
    }
  }
}

/// Why the mapping does not take `op`, or an empty string when it does: it
/// takes a flat element-wise generic on unit-stride buffers of whole-byte
/// integers or of the floats NVVM computes with (the vector path's
/// alignments count bytes), whose body a kernel can hold.
std::string getGpuRefusal(linalg::GenericOp op) {
  if (!isFlatElementwiseGeneric(op))
    return "only 1-d element-wise generics on contiguous buffers are "
           "supported";
  for (OpOperand &operand : op->getOpOperands()) {
    auto memref = cast<MemRefType>(operand.get().getType());
    Type element = memref.getElementType();
    bool supported = element.isF16() || element.isBF16() || element.isF32() ||
                     element.isF64();
    if (auto integer = dyn_cast<IntegerType>(element))
      supported = llvm::is_contained({8u, 16u, 32u, 64u}, integer.getWidth());
    std::string which =
        "operand #" + std::to_string(operand.getOperandNumber());
    if (!supported) {
      std::string name;
      llvm::raw_string_ostream(name) << element;
      return which + " has elements of " + name +
             ": integers of 8, 16, 32 or 64 bits, f16, bf16, f32 and f64 "
             "are supported";
    }
    if (!memref.isLastDimUnitStride())
      return which + " is not contiguous (its stride is not 1)";
    // The host passes global-memory buffers; the NVVM lowering only knows
    // the numbered spaces, and reports others without a location.
    if (Attribute space = memref.getMemorySpace()) {
      std::string name;
      llvm::raw_string_ostream(name) << space;
      return which + " is in memory space " + name +
             ": a launch's buffers are in the default memory space";
    }
  }
  if (!isKernelBody(op))
    return "the body uses a value from outside that is neither a scalar "
           "nor a constant table";
  return "";
}

/// The memref a buffer views (through subviews, casts and reshapes).
Value getBufferRoot(Value buffer) {
  return memref::skipViewLikeOps(cast<TypedValue<MemRefType>>(buffer));
}

/// Elements per vector for `op`: `vectorBytes` of its widest element type,
/// or 1 (scalars only) when its body is not vectorisable.
int64_t getVectorWidth(linalg::GenericOp op, int64_t vectorBytes) {
  if (!isVectorizableBody(op))
    return 1;
  unsigned widest = 0;
  for (Value v : op->getOperands())
    widest = std::max<unsigned>(
        widest, cast<MemRefType>(v.getType()).getElementTypeBitWidth() / 8);
  return std::max<int64_t>(1, vectorBytes / widest);
}

/// True (i1) when every buffer's first element is `alignment`-aligned.
Value emitAllAligned(OpBuilder &b, Location loc, ValueRange buffers,
                     int64_t alignment) {
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value alignmentValue = arith::ConstantIndexOp::create(b, loc, alignment);
  Value aligned = arith::ConstantIntOp::create(b, loc, 1, 1);
  for (Value v : buffers) {
    auto metadata = memref::ExtractStridedMetadataOp::create(b, loc, v);
    Value base = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, v);
    unsigned bytes = cast<MemRefType>(v.getType()).getElementTypeBitWidth() / 8;
    Value offsetBytes =
        arith::MulIOp::create(b, loc, metadata.getOffset(),
                              arith::ConstantIndexOp::create(b, loc, bytes));
    Value address = arith::AddIOp::create(b, loc, base, offsetBytes);
    Value rem = arith::RemUIOp::create(b, loc, address, alignmentValue);
    Value ok =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, rem, zero);
    aligned = arith::AndIOp::create(b, loc, aligned, ok);
  }
  return aligned;
}

/// The function's group table argument (null without one), checked: one
/// table, a 1-d memref of i64, and column arguments in the default memory
/// space, one per column.
FailureOr<Value> getGroupTable(func::FuncOp func) {
  Value table;
  for (BlockArgument arg : func.getArguments()) {
    if (!func.getArgAttr(arg.getArgNumber(), kGroupTableAttr))
      continue;
    if (table) {
      func.emitError() << "arguments "
                       << cast<BlockArgument>(table).getArgNumber() << " and "
                       << arg.getArgNumber() << " are both " << kGroupTableAttr
                       << ": a step has one table";
      return failure();
    }
    table = arg;
  }
  if (!table)
    return table;
  auto type = dyn_cast<MemRefType>(table.getType());
  if (!type || type.getRank() != 1 || !type.getElementType().isInteger(64) ||
      type.getMemorySpace()) {
    func.emitError() << "the " << kGroupTableAttr
                     << " argument must be a 1-d memref of i64 in the "
                        "default memory space";
    return failure();
  }
  // A column holds one buffer per row: two arguments on one column
  // would be one buffer in the kernel (exp_avg_sq read as exp_avg).
  llvm::SmallDenseMap<int64_t, unsigned> owners;
  for (BlockArgument arg : func.getArguments()) {
    auto column = func.getArgAttrOfType<IntegerAttr>(arg.getArgNumber(),
                                                     kGroupColumnAttr);
    if (!column)
      continue;
    // The kernel views the addresses in the table as global memory.
    auto columnType = dyn_cast<BaseMemRefType>(arg.getType());
    if (columnType && columnType.getMemorySpace()) {
      func.emitError() << "argument " << arg.getArgNumber() << ": an "
                       << kGroupColumnAttr
                       << " argument must be in the default memory space (the "
                          "table's addresses are global memory)";
      return failure();
    }
    auto [owner, inserted] =
        owners.try_emplace(column.getInt(), arg.getArgNumber());
    if (!inserted) {
      func.emitError() << "arguments " << owner->second << " and "
                       << arg.getArgNumber() << " are both " << kGroupColumnAttr
                       << " = " << column.getInt()
                       << ": a column of the group table is one buffer";
      return failure();
    }
  }
  return table;
}

struct OptimMapElementwiseToGPUPass
    : mlir::optim::impl::OptimMapElementwiseToGPUBase<
          OptimMapElementwiseToGPUPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    // The options become index constants (blockSize * width per block) and
    // alignments (vectorBytes): out of range they overflow or verify no
    // more.
    if (!::optim::isValidGpuBlockSize(blockSize) ||
        !::optim::isValidGpuMaxBlocks(maxBlocks) || vectorBytes < 1 ||
        vectorBytes > 4 * ::optim::kMaxVectorSize ||
        !llvm::isPowerOf2_64(vectorBytes)) {
      func.emitError() << "optim-map-elementwise-to-gpu: block-size must be "
                          "from 1 to 1024, max-blocks from 1 to 2^31-1 and "
                          "vector-bytes a power of two from 1 to "
                       << 4 * ::optim::kMaxVectorSize << ", got "
                       << int64_t(blockSize) << ", " << int64_t(maxBlocks)
                       << " and " << int64_t(vectorBytes);
      return signalPassFailure();
    }
    FailureOr<Value> found = getGroupTable(func);
    if (failed(found))
      return signalPassFailure();
    Value table = *found;
    bool hasQuantBlocks = false;
    func.walk([&](linalg::GenericOp op) {
      hasQuantBlocks |= op->hasAttr(kQuantBlockAttr);
    });
    // The blocks of 8-bit moments (a decode-update, a block reduction and
    // an encode per block): a launch per parameter, or one over the table,
    // a block of threads per quantisation block.
    if (failed(mapQuantBlockLoops(
            func, {maxBlocks, preciseMath, testStrideOffset}, table)))
      return signalPassFailure();
    // The sum reductions of optim.global_norm: a launch per norm.
    if (failed(mapSumReductions(func,
                                {blockSize, maxBlocks, testStrideOffset})))
      return signalPassFailure();
    // Runs of candidate generics separated only by side-effect-free ops
    // (the collapse_shape of the next parameter): one step each. In a
    // launch, an element of one generic and the same element of the next
    // are not on the same thread (their vector widths and alignments
    // differ), so a generic that touches a buffer an earlier one of the
    // run writes, or writes one it reads, starts a new run (a new launch,
    // ordered after the first).
    SmallVector<SmallVector<linalg::GenericOp>> runs;
    getOperation().walk([&](Block *block) {
      SmallVector<linalg::GenericOp> run;
      llvm::SmallDenseSet<Value> read, written;
      auto endRun = [&] {
        if (!run.empty())
          runs.push_back(std::move(run));
        run.clear();
        read.clear();
        written.clear();
      };
      for (Operation &op : *block) {
        if (auto generic = dyn_cast<linalg::GenericOp>(op);
            generic && getGpuRefusal(generic).empty()) {
          auto roots = [](ValueRange buffers) {
            return llvm::map_to_vector(buffers, getBufferRoot);
          };
          SmallVector<Value> inputs = roots(generic.getDpsInputs());
          SmallVector<Value> outputs = roots(generic.getDpsInits());
          if (llvm::any_of(inputs,
                           [&](Value v) { return written.contains(v); }) ||
              llvm::any_of(outputs, [&](Value v) {
                return written.contains(v) || read.contains(v);
              }))
            endRun();
          run.push_back(generic);
          read.insert_range(inputs);
          written.insert_range(outputs);
          continue;
        }
        if (isMemoryEffectFree(&op) && op.getNumRegions() == 0)
          continue;
        endRun();
      }
      endRun();
    });
    // A group table argument switches every run to the table form. Its
    // rows are of one kind: those of 8-bit tensors hold absmaxes where the
    // others hold max_exp_avg_sq.
    if (table && hasQuantBlocks && !runs.empty()) {
      runs.front().front().emitError(
          "a step over a group table cannot mix 8-bit moments with other "
          "moments (a table's rows are of one kind)");
      return signalPassFailure();
    }
    for (auto &run : runs) {
      if (!table) {
        mapRun(run);
        continue;
      }
      if (run.size() != 1) {
        run[1].emitError("a step over a group table must be one generic "
                         "(the template of every tensor in the table)");
        return signalPassFailure();
      }
      if (failed(mapTableRun(run.front(), table)))
        return signalPassFailure();
    }
    WalkResult left = getOperation().walk([](linalg::GenericOp op) {
      std::string refusal = getGpuRefusal(op);
      op.emitError("cannot be mapped to the GPU: ")
          << (refusal.empty() ? "it is not in a step" : refusal);
      return WalkResult::interrupt();
    });
    if (left.wasInterrupted())
      signalPassFailure();
  }

  void mapRun(ArrayRef<linalg::GenericOp> run) {
    linalg::GenericOp last = run.back();
    Location loc = last.getLoc();
    OpBuilder b(last);
    Value zero = arith::ConstantIndexOp::create(b, loc, 0);
    Value one = arith::ConstantIndexOp::create(b, loc, 1);

    // Grid: enough blocks for the largest parameter, at most maxBlocks; the
    // loops stride over whatever is left.
    Value maxElements = zero;
    for (linalg::GenericOp op : run) {
      Value n = memref::DimOp::create(b, loc, op.getDpsInits()[0], 0);
      maxElements = arith::MaxUIOp::create(b, loc, maxElements, n);
    }
    Value perBlock = arith::ConstantIndexOp::create(b, loc, blockSize * 4);
    Value blocks = arith::CeilDivUIOp::create(b, loc, maxElements, perBlock);
    blocks = arith::MaxUIOp::create(b, loc, blocks, one);
    blocks = arith::MinUIOp::create(
        b, loc, blocks, arith::ConstantIndexOp::create(b, loc, maxBlocks));
    Value threads = arith::ConstantIndexOp::create(b, loc, blockSize);
    auto launch =
        gpu::LaunchOp::create(b, loc, blocks, one, one, threads, one, one);
    OpBuilder kb = OpBuilder::atBlockBegin(&launch.getBody().front());
    Value tid = arith::AddIOp::create(
        kb, loc,
        arith::MulIOp::create(kb, loc, launch.getBlockIds().x,
                              launch.getBlockSize().x),
        launch.getThreadIds().x);
    Value stride = arith::MulIOp::create(kb, loc, launch.getGridSize().x,
                                         launch.getBlockSize().x);
    if (testStrideOffset)
      stride = arith::AddIOp::create(
          kb, loc, stride,
          arith::ConstantIndexOp::create(kb, loc, testStrideOffset));

    for (linalg::GenericOp op : run) {
      int64_t width = getVectorWidth(op, vectorBytes);
      ValueRange buffers = op->getOperands();
      Value kZero = arith::ConstantIndexOp::create(kb, loc, 0);
      Value n = memref::DimOp::create(kb, loc, op.getDpsInits()[0], 0);

      // Vectors only when every buffer (base + offset) is aligned.
      Value aligned = emitAllAligned(kb, loc, buffers, vectorBytes);
      Value widthValue = arith::ConstantIndexOp::create(kb, loc, width);
      Value vectors = arith::DivUIOp::create(kb, loc, n, widthValue);
      vectors = arith::SelectOp::create(kb, loc, aligned, vectors, kZero);
      if (width > 1) {
        auto vectorLoop = scf::ForOp::create(kb, loc, tid, vectors, stride);
        OpBuilder vb = OpBuilder::atBlockBegin(vectorLoop.getBody());
        Value index = arith::MulIOp::create(
            vb, loc, vectorLoop.getInductionVar(), widthValue);
        emitBody(vb, loc, op, buffers, index, width, vectorBytes, preciseMath);
      }
      Value scalarStart = arith::AddIOp::create(
          kb, loc, arith::MulIOp::create(kb, loc, vectors, widthValue), tid);
      if (width == 1)
        scalarStart = tid;
      auto scalarLoop = scf::ForOp::create(kb, loc, scalarStart, n, stride);
      OpBuilder sb = OpBuilder::atBlockBegin(scalarLoop.getBody());
      emitBody(sb, loc, op, buffers, scalarLoop.getInductionVar(), /*width=*/0,
               vectorBytes, preciseMath);
    }
    gpu::TerminatorOp::create(kb, loc);
    for (linalg::GenericOp op : run)
      op->erase();
  }

  /// The table form: one launch over every tensor of `table`, with `op` as
  /// the template of each.
  LogicalResult mapTableRun(linalg::GenericOp op, Value table) {
    func::FuncOp func = getOperation();
    // Element indices (stochastic rounding) restart in every tensor of the
    // table, so each tensor needs its own stream: the template's key
    // derivation is recomputed per row from the stream the row holds.
    // Without one, refuse rather than repeat draws.
    Operation *keyStart = nullptr;
    if (!op.getBody()->getOps<linalg::IndexOp>().empty()) {
      func.walk([&](Operation *candidate) {
        if (candidate->hasAttr(kRoundingStreamAttr) &&
            candidate->getBlock() == op->getBlock())
          keyStart = candidate;
      });
      if (!keyStart)
        return op.emitError()
               << "a step over a group table cannot use element indices "
                  "without a rounding stream ("
               << kRoundingStreamAttr << ")";
    }
    // The ops from the stream to the body's keys, in order.
    SmallVector<Operation *> keyChain;
    if (keyStart) {
      llvm::SetVector<Operation *> slice;
      getForwardSlice(keyStart, &slice);
      keyChain.push_back(keyStart);
      for (Operation *user : slice)
        if (user->getBlock() == op->getBlock() && user != op.getOperation()) {
          if (!isMemoryEffectFree(user) || user->getNumRegions())
            return user->emitError("a rounding key must be computed by "
                                   "side-effect-free ops");
          keyChain.push_back(user);
        }
      llvm::sort(keyChain, [](Operation *a, Operation *b) {
        return a->isBeforeInBlock(b);
      });
    }
    // Each operand of the template is a marked function argument: its column.
    SmallVector<int64_t> columns;
    for (Value v : op->getOperands()) {
      auto arg = dyn_cast<BlockArgument>(v);
      IntegerAttr column;
      if (arg && arg.getOwner()->isEntryBlock() &&
          arg.getOwner()->getParentOp() == func)
        column = func.getArgAttrOfType<IntegerAttr>(arg.getArgNumber(),
                                                    kGroupColumnAttr);
      if (!column || column.getInt() < 0 ||
          column.getInt() >= kGroupTableMaxColumns)
        return op.emitError()
               << "with a group table, every operand must be a function "
                  "argument marked "
               << kGroupColumnAttr << " = 0.." << kGroupTableMaxColumns - 1;
      columns.push_back(column.getInt());
    }

    Location loc = op.getLoc();
    OpBuilder b(op);
    int64_t width = getVectorWidth(op, vectorBytes);
    // Chunks of one vector per thread: the template's size (the group's
    // total) bounds the grid, the grid-stride loop covers the rest (and
    // the partial last chunk of each tensor).
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    Value total = memref::DimOp::create(b, loc, op.getDpsInits()[0], 0);
    Value perBlock = arith::ConstantIndexOp::create(b, loc, blockSize * width);
    Value blocks = arith::CeilDivUIOp::create(b, loc, total, perBlock);
    blocks = arith::MaxUIOp::create(b, loc, blocks, one);
    blocks = arith::MinUIOp::create(
        b, loc, blocks, arith::ConstantIndexOp::create(b, loc, maxBlocks));
    Value threads = arith::ConstantIndexOp::create(b, loc, blockSize);
    auto launch =
        gpu::LaunchOp::create(b, loc, blocks, one, one, threads, one, one);
    OpBuilder kb = OpBuilder::atBlockBegin(&launch.getBody().front());

    auto constant = [&](OpBuilder &builder, int64_t value) -> Value {
      return arith::ConstantIndexOp::create(builder, loc, value);
    };
    Value widthValue = constant(kb, width);
    Value chunk =
        arith::MulIOp::create(kb, loc, launch.getBlockSize().x, widthValue);
    Value chunkStride = launch.getGridSize().x;
    if (testStrideOffset)
      chunkStride = arith::AddIOp::create(kb, loc, chunkStride,
                                          constant(kb, testStrideOffset));
    Value lane =
        arith::MulIOp::create(kb, loc, launch.getThreadIds().x, widthValue);
    auto loadWord = [&](OpBuilder &builder, Value row, int64_t column) {
      return loadTableWord(builder, loc, table, row, column);
    };

    // Blocks take chunks of one vector per thread; tensor i holds
    // ceil(n_i / chunk) of them.
    auto getRowChunks = [&](OpBuilder &builder, Value row) -> Value {
      return arith::CeilDivUIOp::create(
          builder, loc, loadTableSize(builder, loc, table, row), chunk);
    };
    buildTableChunkLoop(
        kb, loc, table, launch.getBlockIds().x, chunkStride, getRowChunks,
        [&](OpBuilder &kb, Value c, Value i, Value base) {
          Value n = loadTableSize(kb, loc, table, i);
          Value nWord = arith::IndexCastOp::create(kb, loc, kb.getI64Type(), n);
          // This tensor's rounding keys: the template's, from its stream.
          IRMapping rowKeys;
          if (keyStart) {
            Value streamBase = keyStart->getOperand(0);
            Value stream = arith::AddIOp::create(
                kb, loc, streamBase,
                arith::TruncIOp::create(
                    kb, loc, streamBase.getType(),
                    loadWord(kb, i, kGroupTableStreamColumn)));
            IRMapping chain;
            chain.map(streamBase, stream);
            for (Operation *keyOp : keyChain)
              kb.clone(*keyOp, chain);
            // The body's captured values that the chain recomputes.
            op.getBody()->walk([&](Operation *inner) {
              for (Value v : inner->getOperands())
                if (Value mapped = chain.lookupOrNull(v);
                    mapped && v.getParentBlock() == op->getBlock())
                  rowKeys.map(v, mapped);
            });
          }
          SmallVector<Value> views(kGroupTableMaxColumns);
          SmallVector<Value> buffers;
          for (auto [operand, column] : llvm::zip(op->getOperands(), columns)) {
            if (!views[column])
              views[column] =
                  buildTableView(kb, loc, cast<MemRefType>(operand.getType()),
                                 loadWord(kb, i, column), nWord);
            buffers.push_back(views[column]);
          }
          Value start = arith::AddIOp::create(
              kb, loc,
              arith::MulIOp::create(
                  kb, loc, arith::SubIOp::create(kb, loc, c, base), chunk),
              lane);
          Value end = arith::MinUIOp::create(
              kb, loc, arith::AddIOp::create(kb, loc, start, widthValue), n);
          auto scalarTail = [&](OpBuilder &builder) {
            // Unaligned buffers and the tensor's last elements: one at a time.
            auto loop = scf::ForOp::create(builder, loc, start, end,
                                           constant(builder, 1));
            OpBuilder sb = OpBuilder::atBlockBegin(loop.getBody());
            emitBody(sb, loc, op, buffers, loop.getInductionVar(), /*width=*/0,
                     vectorBytes, preciseMath, &rowKeys);
          };
          if (width > 1) {
            Value whole = arith::CmpIOp::create(
                kb, loc, arith::CmpIPredicate::ule,
                arith::AddIOp::create(kb, loc, start, widthValue), n);
            Value vector = arith::AndIOp::create(
                kb, loc, whole,
                emitAllAligned(kb, loc,
                               llvm::to_vector(llvm::make_filter_range(
                                   views, [](Value v) { return bool(v); })),
                               vectorBytes));
            scf::IfOp::create(
                kb, loc, vector,
                [&](OpBuilder &tb, Location) {
                  emitBody(tb, loc, op, buffers, start, width, vectorBytes,
                           preciseMath, &rowKeys);
                  scf::YieldOp::create(tb, loc);
                },
                [&](OpBuilder &eb, Location) {
                  scalarTail(eb);
                  scf::YieldOp::create(eb, loc);
                });
          } else {
            scalarTail(kb);
          }
        });
    gpu::TerminatorOp::create(kb, loc);
    op->erase();
    return success();
  }
};

} // namespace
