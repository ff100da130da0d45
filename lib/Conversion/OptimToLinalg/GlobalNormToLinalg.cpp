//===- GlobalNormToLinalg.cpp - lower optim.global_norm to linalg ---------===//
//
// optim.global_norm becomes one pass over the gradients: one reduction
// linalg.generic per gradient, all of them accumulating the sum of squares
// into a single f64 accumulator (a 0-d memref or tensor threaded from one
// generic to the next), then one square root. Each element is read once;
// there is no per-tensor norm and no second pass. Contiguous N-d memrefs are
// viewed as 1-d, so the CPU schedule (optim-vectorize-reduction) sees flat
// reductions.
//
//===----------------------------------------------------------------------===//

#include "optim/Conversion/OptimToLinalg/OptimToLinalg.h"

#include "Flatten.h"
#include "optim/Dialect/Optim/IR/OptimOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace mlir::optim;

namespace {

/// Body of the reduction over one gradient: acc + (g * inv_scale)^2, the
/// product rounded to the compute type (as GradScaler.unscale_ stores it),
/// squared and added in f64.
void buildSumOfSquaresBody(OpBuilder &b, Location loc, ValueRange args,
                           FloatType computeType, Value invGradScale) {
  FloatType f64 = b.getF64Type();
  Value x = args[0];
  if (x.getType() != computeType)
    x = arith::ExtFOp::create(b, loc, computeType, x);
  if (invGradScale)
    x = arith::MulFOp::create(b, loc, x, invGradScale);
  if (computeType != f64)
    x = arith::ExtFOp::create(b, loc, f64, x);
  Value square = arith::MulFOp::create(b, loc, x, x);
  Value sum = arith::AddFOp::create(b, loc, args[1], square);
  linalg::YieldOp::create(b, loc, sum);
}

struct LowerGlobalNorm : OpConversionPattern<GlobalNormOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(GlobalNormOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    ValueRange grads = adaptor.getGrads();
    FloatType computeType =
        getComputeType(getElementTypeOrSelf(grads.front().getType()));
    FloatType f64 = rewriter.getF64Type();
    bool tensorForm = isa<RankedTensorType>(grads.front().getType());

    // 1 / grad_scale, computed in f64 and rounded once (as torch's
    // GradScaler: `scale.double().reciprocal().float()`).
    Value invGradScale;
    if (Value scale = adaptor.getGradScale()) {
      if (scale.getType() != f64)
        scale = arith::ExtFOp::create(rewriter, loc, f64, scale);
      Value one = arith::ConstantOp::create(rewriter, loc, f64,
                                            rewriter.getF64FloatAttr(1.0));
      invGradScale = arith::DivFOp::create(rewriter, loc, one, scale);
      if (computeType != f64)
        invGradScale =
            arith::TruncFOp::create(rewriter, loc, computeType, invGradScale);
    }

    Value zero = arith::ConstantOp::create(rewriter, loc, f64,
                                           rewriter.getF64FloatAttr(0.0));
    Value acc;
    if (tensorForm) {
      Value empty =
          tensor::EmptyOp::create(rewriter, loc, ArrayRef<int64_t>{}, f64);
      acc = linalg::FillOp::create(rewriter, loc, zero, empty).getResult(0);
    } else {
      acc = memref::AllocaOp::create(rewriter, loc, MemRefType::get({}, f64));
      memref::StoreOp::create(rewriter, loc, zero, acc);
    }

    for (Value grad : grads) {
      if (auto type = dyn_cast<MemRefType>(grad.getType());
          type && optim::detail::canFlattenTo1D(type))
        grad = optim::detail::flattenTo1D(rewriter, loc, grad);
      int64_t rank = cast<ShapedType>(grad.getType()).getRank();
      SmallVector<AffineMap> maps = {
          rewriter.getMultiDimIdentityMap(rank),
          AffineMap::get(rank, /*symbolCount=*/0, rewriter.getContext())};
      SmallVector<utils::IteratorType> iterators(
          rank, utils::IteratorType::reduction);
      auto generic = linalg::GenericOp::create(
          rewriter, loc, tensorForm ? TypeRange{acc.getType()} : TypeRange{},
          ValueRange{grad}, ValueRange{acc}, maps, iterators,
          [&](OpBuilder &b, Location l, ValueRange args) {
            buildSumOfSquaresBody(b, l, args, computeType, invGradScale);
          });
      if (tensorForm)
        acc = generic.getResult(0);
    }

    Value sum = tensorForm
                    ? tensor::ExtractOp::create(rewriter, loc, acc).getResult()
                    : memref::LoadOp::create(rewriter, loc, acc).getResult();
    Value norm = math::SqrtOp::create(rewriter, loc, sum);
    Type normType = op.getNorm().getType();
    if (normType != f64)
      norm = arith::TruncFOp::create(rewriter, loc, normType, norm);
    rewriter.replaceOp(op, norm);
    return success();
  }
};

} // namespace

void mlir::optim::populateGlobalNormToLinalgPatterns(
    RewritePatternSet &patterns) {
  patterns.add<LowerGlobalNorm>(patterns.getContext());
}
