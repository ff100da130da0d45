//===- VectorizeReduction.cpp - vectorise flat sum reductions -------------===//
//
// The CPU schedule for 1-d sum reductions (optim.global_norm's generics):
//
//   partial[c] = sum over chunk c of f(x[i])      scf.forall over chunks
//     main:  vector<V> accumulator, one read of V elements per iteration
//     tail:  scalar loop over the last (size mod V) elements
//   out = out + sum_c partial[c]                  in chunk order
//
// The linalg vectoriser would reduce every tile horizontally into the scalar
// accumulator, an ordered chain of V additions per tile; here the lanes
// accumulate independently and are reduced once per chunk.
//
//===----------------------------------------------------------------------===//

#include "optim/Codegen/Passes.h"

#include "ScheduleOptions.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::optim {
#define GEN_PASS_DEF_OPTIMVECTORIZEREDUCTION
#include "optim/Codegen/Passes.h.inc"
} // namespace mlir::optim

using namespace mlir;

namespace {

/// A generic this schedule takes: on memrefs, one 1-d input read with the
/// identity map, one 0-d float output, one reduction loop, and a body
/// `acc + f(x)` whose ops other than the final `arith.addf` are
/// element-wise, single-result and do not read `acc`.
struct FlatSumReduction {
  linalg::GenericOp op;
  arith::AddFOp combine;
  /// The body's ops computing f(x), in order.
  SmallVector<Operation *> termOps;
  /// The operand of `combine` that is f(x).
  Value term;

  static std::optional<FlatSumReduction> match(linalg::GenericOp op) {
    if (!op.hasPureBufferSemantics() || op.getNumDpsInputs() != 1 ||
        op.getNumDpsInits() != 1 || op.getNumLoops() != 1 ||
        op.getNumReductionLoops() != 1)
      return std::nullopt;
    auto inputType = dyn_cast<MemRefType>(op.getDpsInputs()[0].getType());
    auto outputType = dyn_cast<MemRefType>(op.getDpsInits()[0].getType());
    if (!inputType || inputType.getRank() != 1 || !outputType ||
        outputType.getRank() != 0 ||
        !isa<FloatType>(outputType.getElementType()))
      return std::nullopt;
    SmallVector<AffineMap> maps = op.getIndexingMapsArray();
    if (!maps[0].isIdentity() || maps[1].getNumResults() != 0)
      return std::nullopt;

    Block &body = op.getRegion().front();
    auto yield = cast<linalg::YieldOp>(body.getTerminator());
    auto combine = yield.getValues()[0].getDefiningOp<arith::AddFOp>();
    BlockArgument acc = body.getArgument(1);
    if (!combine || combine->getBlock() != &body)
      return std::nullopt;
    Value term;
    if (combine.getLhs() == acc)
      term = combine.getRhs();
    else if (combine.getRhs() == acc)
      term = combine.getLhs();
    else
      return std::nullopt;

    FlatSumReduction result{op, combine, {}, term};
    for (Operation &nested : body.without_terminator()) {
      if (&nested == combine.getOperation())
        continue;
      bool elementwise = nested.hasTrait<OpTrait::Elementwise>() ||
                         isa<arith::ConstantOp>(nested);
      if (!elementwise || nested.getNumResults() != 1 ||
          nested.getNumRegions() != 0 || !isMemoryEffectFree(&nested) ||
          llvm::is_contained(nested.getOperands(), acc) ||
          !VectorType::isValidElementType(nested.getResult(0).getType()))
        return std::nullopt;
      result.termOps.push_back(&nested);
    }
    // `acc` is used by the combining add alone, and f(x) by nothing else.
    if (!acc.hasOneUse() || !combine->hasOneUse())
      return std::nullopt;
    return result;
  }
};

class ReductionBuilder {
public:
  ReductionBuilder(RewriterBase &rewriter, FlatSumReduction reduction,
                   int64_t vectorSize)
      : b(rewriter), r(reduction), loc(reduction.op.getLoc()),
        vectorSize(vectorSize), input(reduction.op.getDpsInputs()[0]),
        accType(cast<FloatType>(
            cast<MemRefType>(reduction.op.getDpsInits()[0].getType())
                .getElementType())) {}

  /// f(x) for the scalar or vector `x`, and acc + f(x).
  Value combine(Value acc, Value x) {
    Block &body = r.op.getRegion().front();
    auto vectorType = dyn_cast<VectorType>(x.getType());
    auto widen = [&](Type type) -> Type {
      return vectorType ? VectorType::get(vectorType.getShape(), type) : type;
    };
    IRMapping mapping;
    mapping.map(body.getArgument(0), x);
    mapping.map(body.getArgument(1), acc);
    SmallVector<Operation *> ops(r.termOps);
    ops.push_back(r.combine);
    for (Operation *op : ops) {
      if (auto constant = dyn_cast<arith::ConstantOp>(op);
          constant && vectorType) {
        auto type = cast<VectorType>(widen(constant.getType()));
        mapping.map(constant.getResult(),
                    arith::ConstantOp::create(
                        b, loc, type,
                        DenseElementsAttr::get(type, constant.getValue())));
        continue;
      }
      // Values from above the generic are broadcast once per use site;
      // canonicalisation hoists them out of the loops.
      for (Value operand : op->getOperands())
        if (!mapping.contains(operand) && vectorType)
          mapping.map(operand, vector::BroadcastOp::create(
                                   b, loc, widen(operand.getType()), operand));
      Operation *clone = b.clone(*op, mapping);
      clone->getResult(0).setType(widen(op->getResult(0).getType()));
    }
    return mapping.lookup(r.combine.getResult());
  }

  /// The sum of f(x[i]) for i in [lo, hi), starting from 0.
  Value sumRange(Value lo, Value hi) {
    auto vectorType = VectorType::get({vectorSize}, accType);
    auto readType = VectorType::get(
        {vectorSize}, cast<MemRefType>(input.getType()).getElementType());
    Value step = arith::ConstantIndexOp::create(b, loc, vectorSize);
    Value length = arith::SubIOp::create(b, loc, hi, lo);
    Value mainLength = arith::MulIOp::create(
        b, loc, arith::DivUIOp::create(b, loc, length, step), step);
    Value mainEnd = arith::AddIOp::create(b, loc, lo, mainLength);
    Value zeros = arith::ConstantOp::create(
        b, loc, vectorType,
        DenseElementsAttr::get(vectorType, b.getFloatAttr(accType, 0.0)));
    auto mainLoop = scf::ForOp::create(
        b, loc, lo, mainEnd, step, ValueRange{zeros},
        [&](OpBuilder &, Location, Value i, ValueRange iterArgs) {
          Value x = vector::TransferReadOp::create(
              b, loc, readType, input, ValueRange{i},
              /*padding=*/std::nullopt, ArrayRef<bool>{true});
          scf::YieldOp::create(b, loc, combine(iterArgs[0], x));
        });
    Value zero = arith::ConstantOp::create(b, loc, accType,
                                           b.getFloatAttr(accType, 0.0));
    Value sum = vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD,
                                            mainLoop.getResult(0), zero);
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    auto tailLoop = scf::ForOp::create(
        b, loc, mainEnd, hi, one, ValueRange{sum},
        [&](OpBuilder &, Location, Value i, ValueRange iterArgs) {
          Value x = memref::LoadOp::create(b, loc, input, ValueRange{i});
          scf::YieldOp::create(b, loc, combine(iterArgs[0], x));
        });
    return tailLoop.getResult(0);
  }

  RewriterBase &b;
  FlatSumReduction r;
  Location loc;
  int64_t vectorSize;
  Value input;
  FloatType accType;
};

/// Replaces the generic of `reduction` with the schedule above.
void scheduleReduction(RewriterBase &rewriter, FlatSumReduction reduction,
                       int64_t vectorSize, int64_t chunkSize) {
  linalg::GenericOp op = reduction.op;
  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  ReductionBuilder builder(rewriter, reduction, vectorSize);
  Value zeroIndex = arith::ConstantIndexOp::create(rewriter, loc, 0);
  Value size = memref::DimOp::create(rewriter, loc, builder.input, zeroIndex);

  Value total;
  if (chunkSize <= 0) {
    total = builder.sumRange(zeroIndex, size);
  } else {
    // One partial sum per chunk, written by whichever thread runs it, then
    // added up in chunk order: the result does not depend on the threads.
    Value chunk = arith::ConstantIndexOp::create(rewriter, loc, chunkSize);
    Value numChunks = arith::CeilDivUIOp::create(rewriter, loc, size, chunk);
    auto partialType = MemRefType::get({ShapedType::kDynamic}, builder.accType);
    Value partials =
        memref::AllocOp::create(rewriter, loc, partialType, numChunks);
    auto forall = scf::ForallOp::create(
        rewriter, loc, ArrayRef<OpFoldResult>{numChunks}, ValueRange{},
        /*mapping=*/std::nullopt);
    {
      OpBuilder::InsertionGuard guard(rewriter);
      rewriter.setInsertionPointToStart(forall.getBody());
      Value c = forall.getInductionVars()[0];
      Value lo = arith::MulIOp::create(rewriter, loc, c, chunk);
      Value hi = arith::MinUIOp::create(
          rewriter, loc, arith::AddIOp::create(rewriter, loc, lo, chunk), size);
      memref::StoreOp::create(rewriter, loc, builder.sumRange(lo, hi), partials,
                              ValueRange{c});
    }
    Value zero =
        arith::ConstantOp::create(rewriter, loc, builder.accType,
                                  rewriter.getFloatAttr(builder.accType, 0.0));
    Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
    auto sumLoop = scf::ForOp::create(
        rewriter, loc, zeroIndex, numChunks, one, ValueRange{zero},
        [&](OpBuilder &b, Location l, Value c, ValueRange iterArgs) {
          Value partial = memref::LoadOp::create(b, l, partials, c);
          scf::YieldOp::create(
              b, l,
              ValueRange{arith::AddFOp::create(b, l, iterArgs[0], partial)});
        });
    memref::DeallocOp::create(rewriter, loc, partials);
    total = sumLoop.getResult(0);
  }

  Value output = op.getDpsInits()[0];
  Value previous = memref::LoadOp::create(rewriter, loc, output);
  Value result = arith::AddFOp::create(rewriter, loc, previous, total,
                                       reduction.combine.getFastmathAttr());
  memref::StoreOp::create(rewriter, loc, result, output);
  rewriter.eraseOp(op);
}

struct OptimVectorizeReductionPass
    : mlir::optim::impl::OptimVectorizeReductionBase<
          OptimVectorizeReductionPass> {
  using Base::Base;

  void runOnOperation() override {
    if (failed(mlir::optim::checkScheduleOptions(getOperation(), vectorSize,
                                                 chunkSize)))
      return signalPassFailure();
    SmallVector<FlatSumReduction> reductions;
    getOperation().walk([&](linalg::GenericOp op) {
      if (std::optional<FlatSumReduction> reduction =
              FlatSumReduction::match(op))
        reductions.push_back(std::move(*reduction));
    });
    IRRewriter rewriter(&getContext());
    for (FlatSumReduction reduction : reductions)
      scheduleReduction(rewriter, reduction, vectorSize, chunkSize);
  }
};

} // namespace
