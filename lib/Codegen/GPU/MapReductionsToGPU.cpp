//===- MapReductionsToGPU.cpp - sum reductions to gpu.launch --------------===//
//
// optim.global_norm lowers to one reduction generic per gradient, all adding
// into one 0-d accumulator. On the GPU the whole run is one launch: each
// thread keeps a partial sum over grid-stride loops through every gradient,
// each block adds its threads' partials as a tree in shared memory (a fixed
// order, so the result depends on the launch shape only, never on timing),
// and thread 0 writes the block's sum to a host-shared buffer, which the
// host adds to the accumulator in block order after the launch.
//
//===----------------------------------------------------------------------===//

#include "MapReductionsToGPU.h"

#include "KernelBody.h"

#include "optim/Codegen/GroupTable.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::optim;

namespace {

/// The accumulator of a flat sum reduction (1-d input, 0-d memref output,
/// body `acc + f(x)` with `acc` used once), or null.
Value getSumAccumulator(linalg::GenericOp op) {
  if (op.getNumLoops() != 1 || op.getNumReductionLoops() != 1 ||
      op.getNumDpsInputs() != 1 || op.getNumDpsInits() != 1 ||
      !op.hasPureBufferSemantics())
    return nullptr;
  auto in = dyn_cast<MemRefType>(op.getDpsInputs()[0].getType());
  auto out = dyn_cast<MemRefType>(op.getDpsInits()[0].getType());
  if (!in || !out || in.getRank() != 1 || out.getRank() != 0 ||
      !in.isLastDimUnitStride() ||
      !op.getMatchingIndexingMap(op.getDpsInputOperand(0)).isIdentity())
    return nullptr;
  BlockArgument acc = op.getBody()->getArgument(1);
  auto yield = cast<linalg::YieldOp>(op.getBody()->getTerminator());
  auto add = yield.getValues()[0].getDefiningOp<arith::AddFOp>();
  if (!add || !acc.hasOneUse() || !llvm::is_contained(add->getOperands(), acc))
    return nullptr;
  return op.getDpsInits()[0];
}

/// `table` (or null) is the function's group table, `column` the table
/// column of the run's one gradient, a template whose size is the total.
void mapRun(ArrayRef<linalg::GenericOp> run, Value table, int64_t column,
            const ReductionMappingOptions &options) {
  linalg::GenericOp last = run.back();
  Location loc = last.getLoc();
  Value accumulator = getSumAccumulator(last);
  auto accType = cast<MemRefType>(accumulator.getType());
  Type element = accType.getElementType();
  OpBuilder b(last);
  auto constant = [&](OpBuilder &builder, int64_t value) -> Value {
    return arith::ConstantIndexOp::create(builder, loc, value);
  };
  Value zero = constant(b, 0), one = constant(b, 1);

  // Grid as for the element-wise steps: four elements per thread of the
  // largest gradient, at most maxBlocks.
  Value maxElements = zero;
  for (linalg::GenericOp op : run)
    maxElements = arith::MaxUIOp::create(
        b, loc, maxElements,
        memref::DimOp::create(b, loc, op.getDpsInputs()[0], 0));
  Value blocks = arith::CeilDivUIOp::create(
      b, loc, maxElements, constant(b, options.blockSize * 4));
  blocks = arith::MinUIOp::create(b, loc,
                                  arith::MaxUIOp::create(b, loc, blocks, one),
                                  constant(b, options.maxBlocks));
  // One sum per block, read by the host after the launch.
  auto partialsType = MemRefType::get({ShapedType::kDynamic}, element);
  auto partials = gpu::AllocOp::create(
      b, loc, partialsType, /*asyncToken=*/Type(),
      /*asyncDependencies=*/ValueRange{}, ValueRange{blocks},
      /*symbolOperands=*/ValueRange{}, b.getUnitAttr());
  auto sharedType = MemRefType::get(
      {options.blockSize}, element, AffineMap(),
      gpu::AddressSpaceAttr::get(b.getContext(),
                                 gpu::AddressSpace::Workgroup));
  auto launch = gpu::LaunchOp::create(
      b, loc, blocks, one, one, constant(b, options.blockSize), one, one,
      /*dynamicSharedMemorySize=*/nullptr, /*asyncTokenType=*/nullptr,
      /*asyncDependencies=*/{}, TypeRange{sharedType});
  Value shared = launch.getWorkgroupAttributions().front();
  OpBuilder kb = OpBuilder::atBlockBegin(&launch.getBody().front());
  Value thread = launch.getThreadIds().x;
  Value first = arith::AddIOp::create(
      kb, loc,
      arith::MulIOp::create(kb, loc, launch.getBlockIds().x,
                            launch.getBlockSize().x),
      thread);
  Value stride = arith::MulIOp::create(kb, loc, launch.getGridSize().x,
                                       launch.getBlockSize().x);
  if (options.testStrideOffset)
    stride = arith::AddIOp::create(kb, loc, stride,
                                   constant(kb, options.testStrideOffset));

  // This thread's partial sum over every gradient: a grid-stride loop
  // through each.
  auto accumulate = [&](OpBuilder &builder, linalg::GenericOp op,
                        Value input, Value partial) -> Value {
    Value n = memref::DimOp::create(builder, loc, input, 0);
    auto loop = scf::ForOp::create(builder, loc, first, n, stride,
                                   ValueRange{partial});
    OpBuilder lb = OpBuilder::atBlockBegin(loop.getBody());
    IRMapping mapping;
    Block *body = op.getBody();
    mapping.map(body->getArgument(0),
                memref::LoadOp::create(lb, loc, input,
                                       ValueRange{loop.getInductionVar()}));
    mapping.map(body->getArgument(1), loop.getRegionIterArg(0));
    SmallVector<Value> sum =
        cloneGenericBody(lb, loc, op, mapping, loop.getInductionVar(),
                         /*width=*/0, /*preciseMath=*/true);
    scf::YieldOp::create(lb, loc, sum);
    return loop.getResult(0);
  };
  Value partial =
      arith::ConstantOp::create(kb, loc, kb.getZeroAttr(element));
  if (!table) {
    for (linalg::GenericOp op : run)
      partial = accumulate(kb, op, op.getDpsInputs()[0], partial);
  } else {
    // Every tensor of the table in turn, each spread over the whole grid.
    linalg::GenericOp op = run.front();
    Value input = op.getDpsInputs()[0];
    Value rowWords = constant(kb, kGroupTableRowWords);
    Value rows = arith::DivUIOp::create(
        kb, loc, memref::DimOp::create(kb, loc, table, 0), rowWords);
    auto rowLoop = scf::ForOp::create(kb, loc, constant(kb, 0), rows,
                                      constant(kb, 1), ValueRange{partial});
    OpBuilder rb = OpBuilder::atBlockBegin(rowLoop.getBody());
    Value row = arith::MulIOp::create(rb, loc, rowLoop.getInductionVar(),
                                      rowWords);
    auto word = [&](int64_t k) {
      return memref::LoadOp::create(
                 rb, loc, table,
                 ValueRange{arith::AddIOp::create(rb, loc, row,
                                                  constant(rb, k))})
          .getResult();
    };
    Value size = word(kGroupTableSizeColumn);
    Value view = buildTableView(rb, loc, cast<MemRefType>(input.getType()),
                                word(column), size);
    scf::YieldOp::create(
        rb, loc,
        ValueRange{accumulate(rb, op, view,
                              rowLoop.getRegionIterArg(0))});
    partial = rowLoop.getResult(0);
  }

  // The block's sum: a tree over the threads' partials, in shared memory.
  memref::StoreOp::create(kb, loc, partial, shared, ValueRange{thread});
  gpu::BarrierOp::create(kb, loc);
  Value threads = constant(kb, options.blockSize);
  for (int64_t half = int64_t(llvm::PowerOf2Ceil(options.blockSize)) / 2;
       half >= 1; half /= 2) {
    Value halfValue = constant(kb, half);
    Value partner = arith::AddIOp::create(kb, loc, thread, halfValue);
    Value adds = arith::AndIOp::create(
        kb, loc,
        arith::CmpIOp::create(kb, loc, arith::CmpIPredicate::ult, thread,
                              halfValue),
        arith::CmpIOp::create(kb, loc, arith::CmpIPredicate::ult, partner,
                              threads));
    scf::IfOp::create(kb, loc, adds, [&](OpBuilder &tb, Location) {
      Value mine = memref::LoadOp::create(tb, loc, shared, ValueRange{thread});
      Value theirs =
          memref::LoadOp::create(tb, loc, shared, ValueRange{partner});
      memref::StoreOp::create(tb, loc,
                              arith::AddFOp::create(tb, loc, mine, theirs),
                              shared, ValueRange{thread});
      scf::YieldOp::create(tb, loc);
    });
    gpu::BarrierOp::create(kb, loc);
  }
  Value isFirst = arith::CmpIOp::create(kb, loc, arith::CmpIPredicate::eq,
                                        thread, constant(kb, 0));
  scf::IfOp::create(kb, loc, isFirst, [&](OpBuilder &tb, Location) {
    Value sum = memref::LoadOp::create(tb, loc, shared, ValueRange{thread});
    memref::StoreOp::create(tb, loc, sum, partials.getMemref(),
                            ValueRange{launch.getBlockIds().x});
    scf::YieldOp::create(tb, loc);
  });
  gpu::TerminatorOp::create(kb, loc);

  // The host adds the blocks' sums to the accumulator, in block order.
  b.setInsertionPointAfter(launch);
  Value start = memref::LoadOp::create(b, loc, accumulator);
  auto total = scf::ForOp::create(b, loc, zero, blocks, one, ValueRange{start});
  {
    OpBuilder tb = OpBuilder::atBlockBegin(total.getBody());
    Value sum = memref::LoadOp::create(tb, loc, partials.getMemref(),
                                       ValueRange{total.getInductionVar()});
    scf::YieldOp::create(
        tb, loc,
        ValueRange{arith::AddFOp::create(tb, loc, total.getRegionIterArg(0),
                                         sum)});
  }
  memref::StoreOp::create(b, loc, total.getResult(0), accumulator);
  gpu::DeallocOp::create(b, loc, /*asyncToken=*/Type(), ValueRange{},
                         partials.getMemref());
  for (linalg::GenericOp op : run)
    op->erase();
}

} // namespace

LogicalResult
mlir::optim::mapSumReductions(func::FuncOp func,
                              const ReductionMappingOptions &options) {
  if (options.blockSize < 1)
    return func.emitError("the block size must be positive");
  // Runs of reductions into one accumulator, separated only by
  // side-effect-free ops (a gradient's collapse_shape).
  SmallVector<SmallVector<linalg::GenericOp>> runs;
  func.walk([&](Block *block) {
    SmallVector<linalg::GenericOp> run;
    Value accumulator;
    for (Operation &op : *block) {
      auto generic = dyn_cast<linalg::GenericOp>(op);
      if (Value acc = generic ? getSumAccumulator(generic) : Value()) {
        if (!run.empty() && acc != accumulator) {
          runs.push_back(std::move(run));
          run.clear();
        }
        accumulator = acc;
        run.push_back(generic);
        continue;
      }
      if (isMemoryEffectFree(&op) && op.getNumRegions() == 0)
        continue;
      if (!run.empty())
        runs.push_back(std::move(run));
      run.clear();
    }
    if (!run.empty())
      runs.push_back(std::move(run));
  });
  Value table;
  for (BlockArgument arg : func.getArguments())
    if (func.getArgAttr(arg.getArgNumber(), kGroupTableAttr))
      table = arg;
  for (auto &run : runs) {
    int64_t column = -1;
    if (table) {
      // The template: one gradient, a function argument with its column.
      auto arg = dyn_cast<BlockArgument>(run.front().getDpsInputs()[0]);
      IntegerAttr attr;
      if (arg && arg.getOwner()->isEntryBlock() &&
          arg.getOwner()->getParentOp() == func)
        attr = func.getArgAttrOfType<IntegerAttr>(arg.getArgNumber(),
                                                  kGroupColumnAttr);
      if (run.size() != 1 || !attr || attr.getInt() < 0 ||
          attr.getInt() >= kGroupTableMaxColumns)
        return run.front().emitError()
               << "a sum reduction over a group table must be one generic "
                  "reading a function argument marked "
               << kGroupColumnAttr;
      column = attr.getInt();
    }
    mapRun(run, table, column, options);
  }
  return success();
}
