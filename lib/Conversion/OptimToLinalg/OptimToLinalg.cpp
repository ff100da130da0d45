//===- OptimToLinalg.cpp - lower optim steps to linalg --------------------===//
//
// Every Adam-family step becomes
//   1. a scalar prologue (once per op, so once per step) computed in f64 and
//      rounded once to the compute type: bias corrections, the step size,
//      1/sqrt(bc2), the decoupled decay factor, clipping bounds;
//   2. one linalg.generic per parameter that reads p, g, m, v (and vmax)
//      once and writes p, m, v (and vmax) once; per element it needs one
//      sqrt and one divide;
//   3. around both, an scf.if that skips the step when found_inf != 0.
// Before all of it, dynamically shaped operands get a run-time size check
// (cf.assert) against their gradient: the generic reads and writes every
// operand over the gradient's iteration space.
//
// The rewrite is a dialect conversion with the optim dialect illegal, so an
// op the pattern does not lower is an error rather than a leftover.
//
//===----------------------------------------------------------------------===//

#include "optim/Conversion/Passes.h"

#include "Flatten.h"
#include "optim/Codegen/Elementwise.h"
#include "optim/Dialect/Optim/IR/OptimOps.h"
#include "optim/Dialect/Optim/Utils/AdamVariant.h"
#include "optim/Support/BlockwiseQuant.h"
#include "optim/Support/Philox.h"
#include "optim/Support/QuantEncodeTable.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Transforms/DialectConversion.h"
#include "llvm/Support/FormatVariadic.h"

namespace mlir::optim {
#define GEN_PASS_DEF_CONVERTOPTIMTOLINALG
#include "optim/Conversion/Passes.h.inc"
} // namespace mlir::optim

using namespace mlir;
using namespace mlir::optim;

namespace {

/// The operands of an optim step as the conversion sees them (the adaptor's
/// values, which may differ from the op's own when an earlier step in the
/// same conversion produced them). Optional operands are null when absent.
struct StepOperands {
  SmallVector<Value> params, grads, expAvgs, expAvgSqs, maxExpAvgSqs;
  /// One per parameter with 8-bit moments, in parameter order.
  SmallVector<Value> expAvgAbsmaxes, expAvgSqAbsmaxes;
  Value lr, beta1, beta2, eps, weightDecay, step, beta1Power, beta2Power;
  Value rescaleGrad, clipGradient, gradScale, foundInf;
  Value gradNorm, maxGradNorm;
  Value roundingSeed, roundingOffset, roundingStream, roundingElement;
  bool skipNonfiniteNorm;
  /// The in/out state operands in the order the tensor results come in.
  SmallVector<Value> inits;

  StepOperands(AdamStepOpInterface op, ArrayRef<Value> operands) {
    IRMapping mapping;
    mapping.map(op->getOperands(), operands);
    auto get = [&](Value v) { return v ? mapping.lookup(v) : v; };
    auto getAll = [&](OperandRange range) {
      return llvm::map_to_vector(range, get);
    };
    params = getAll(op.getParams());
    grads = getAll(op.getGrads());
    expAvgs = getAll(op.getExpAvgs());
    expAvgSqs = getAll(op.getExpAvgSqs());
    maxExpAvgSqs = getAll(op.getMaxExpAvgSqs());
    expAvgAbsmaxes = getAll(op.getExpAvgAbsmaxes());
    expAvgSqAbsmaxes = getAll(op.getExpAvgSqAbsmaxes());
    lr = get(op.getLr());
    beta1 = get(op.getBeta1());
    beta2 = get(op.getBeta2());
    eps = get(op.getEps());
    weightDecay = get(op.getWeightDecay());
    step = get(op.getStep());
    beta1Power = get(op.getBeta1Power());
    beta2Power = get(op.getBeta2Power());
    rescaleGrad = get(op.getRescaleGrad());
    clipGradient = get(op.getClipGradient());
    gradScale = get(op.getGradScale());
    foundInf = get(op.getFoundInf());
    gradNorm = get(op.getGradNorm());
    maxGradNorm = get(op.getMaxGradNorm());
    roundingSeed = get(op.getRoundingSeed());
    roundingOffset = get(op.getRoundingOffset());
    roundingStream = get(op.getRoundingStream());
    roundingElement = get(op.getRoundingElement());
    skipNonfiniteNorm = op.getSkipNonfiniteNorm();
    for (ArrayRef<Value> role :
         {ArrayRef(params), ArrayRef(expAvgs), ArrayRef(expAvgSqs),
          ArrayRef(maxExpAvgSqs), ArrayRef(expAvgAbsmaxes),
          ArrayRef(expAvgSqAbsmaxes)})
      llvm::append_range(inits, role);
  }
};

/// The per-step coefficients the element-wise body uses, in the compute
/// type. Null values are terms the variant does not have.
struct StepCoefficients {
  Value beta1, beta2, oneMinusBeta1, oneMinusBeta2, eps;
  Value stepSize;       ///< lr / bc1, lr_t or lr
  Value denomScale;     ///< 1 / sqrt(bc2), standard bias correction only
  Value l2;             ///< weight_decay, L2 only
  Value decay;          ///< 1 - eta * weight_decay, decoupled only
  Value rescale;        ///< rescale_grad
  Value invGradScale;   ///< 1 / grad_scale
  Value clipCoef;       ///< min(1, max_grad_norm / (grad_norm + 1e-6))
  Value clipLo, clipHi; ///< +-clip_gradient, or -+inf when it is negative
};

/// The loop-invariant values of stochastic rounding (all i32 unless noted),
/// made in the prologue: the element bodies may only use values defined
/// outside them, since the GPU mapping broadcasts those and clones the
/// body's own ops at vector width.
struct RoundingConstants {
  SmallVector<Value> seedKey0, seedKey1; ///< Philox4x32-10's round keys
  Value m0, m1, m2;                      ///< the Philox multipliers
  Value offsetLo, offsetHi;              ///< the offset's two words
  Value streamBase;                      ///< stream mod 2^32 (param i adds i)
  Value elementBase;                     ///< i64: the first element index
  Value zero, shift32;                   ///< i32 0, i64 32
  Value mask16, shift16, quietBit;
};

/// What the body of parameter i needs beyond RoundingConstants: its key
/// material (made here, once per parameter and step) and, for a
/// multi-dimensional iteration space, the sizes that linearise the loop
/// indices (row-major).
struct ParamRounding {
  const RoundingConstants *constants;
  SmallVector<Value> roundKeys; ///< Philox2x32-10's round keys, k0 + r * W
  Value counterMask;            ///< k1, xored into the counter's high word
  SmallVector<Value> sizes;     ///< index-typed, dimensions 1..rank-1
};

Value i32Constant(OpBuilder &b, Location loc, uint32_t value) {
  // Sign-extended: IntegerAttr takes the value as a signed int64.
  return arith::ConstantIntOp::create(b, loc, b.getI32Type(),
                                      int64_t(int32_t(value)));
}

RoundingConstants emitRoundingConstants(OpBuilder &b, Location loc,
                                        const StepOperands &op) {
  Type i32 = b.getI32Type(), i64 = b.getI64Type();
  auto low = [&](Value v) -> Value {
    return arith::TruncIOp::create(b, loc, i32, v);
  };
  RoundingConstants r;
  r.shift32 = arith::ConstantIntOp::create(b, loc, i64, 32);
  auto high = [&](Value v) {
    return low(arith::ShRUIOp::create(b, loc, v, r.shift32));
  };
  Value seedLo = low(op.roundingSeed), seedHi = high(op.roundingSeed);
  for (uint32_t round = 0; round < ::optim::kPhiloxRounds; ++round) {
    // Round k uses key + k * W (mod 2^32), as the reference bumps it.
    r.seedKey0.push_back(
        round ? arith::AddIOp::create(
                    b, loc, seedLo, i32Constant(b, loc, round * ::optim::kPhiloxW0))
              : seedLo);
    r.seedKey1.push_back(
        round ? arith::AddIOp::create(
                    b, loc, seedHi, i32Constant(b, loc, round * ::optim::kPhiloxW1))
              : seedHi);
  }
  r.m0 = i32Constant(b, loc, ::optim::kPhiloxM0);
  r.m1 = i32Constant(b, loc, ::optim::kPhiloxM1);
  r.m2 = i32Constant(b, loc, ::optim::kPhilox2x32M);
  r.offsetLo = low(op.roundingOffset);
  r.offsetHi = high(op.roundingOffset);
  r.zero = i32Constant(b, loc, 0);
  r.streamBase = op.roundingStream ? low(op.roundingStream) : r.zero;
  r.elementBase = op.roundingElement
                      ? op.roundingElement
                      : arith::ConstantIntOp::create(b, loc, i64, 0).getResult();
  r.mask16 = i32Constant(b, loc, 0xFFFF);
  r.shift16 = i32Constant(b, loc, 16);
  r.quietBit = i32Constant(b, loc, 0x40);
  return r;
}

/// The key material of parameter `i` (stochasticRoundingKey of
/// optim/Support/Philox.h): Philox4x32-10 of (stream + i, offset lo, offset
/// hi, 0) under the seed, once per parameter, outside the element loop.
void emitParamRoundingKey(OpBuilder &b, Location loc,
                          const RoundingConstants &k, unsigned i,
                          ParamRounding &param) {
  Value c[4] = {arith::AddIOp::create(b, loc, k.streamBase,
                                      i32Constant(b, loc, i)),
                k.offsetLo, k.offsetHi, k.zero};
  for (int round = 0; round < ::optim::kPhiloxRounds; ++round) {
    auto p0 = arith::MulUIExtendedOp::create(b, loc, c[0], k.m0);
    // Its first operand is the parameter's stream (which folds away for
    // parameter 0): marked for the GPU's group-table form.
    if (round == 0)
      p0->setAttr(mlir::optim::kRoundingStreamAttr, b.getUnitAttr());
    auto p1 = arith::MulUIExtendedOp::create(b, loc, c[2], k.m1);
    Value n0 = arith::XOrIOp::create(
        b, loc, arith::XOrIOp::create(b, loc, p1.getHigh(), c[1]),
        k.seedKey0[round]);
    Value n2 = arith::XOrIOp::create(
        b, loc, arith::XOrIOp::create(b, loc, p0.getHigh(), c[3]),
        k.seedKey1[round]);
    c[0] = n0;
    c[1] = p1.getLow();
    c[2] = n2;
    c[3] = p0.getLow();
  }
  for (uint32_t round = 0; round < ::optim::kPhiloxRounds; ++round)
    param.roundKeys.push_back(
        round ? arith::AddIOp::create(
                    b, loc, c[0], i32Constant(b, loc, round * ::optim::kPhiloxW0))
              : c[0]);
  param.counterMask = c[1];
}

/// `x` (f32) rounded stochastically to bf16 (the semantics in the op's
/// description; optim/Support/Philox.h is the reference): one Philox2x32-10
/// per element, a single 32x32->64 multiply per round.
Value emitStochasticRoundToBF16(OpBuilder &b, Location loc, Value x,
                                const ParamRounding &rounding, int64_t rank) {
  const RoundingConstants &k = *rounding.constants;
  Type i32 = b.getI32Type(), i64 = b.getI64Type();
  // The row-major element index within the parameter.
  Value index;
  for (int64_t d = 0; d < rank; ++d) {
    Value id = linalg::IndexOp::create(b, loc, d);
    index = index ? arith::AddIOp::create(
                        b, loc,
                        arith::MulIOp::create(b, loc, index,
                                              rounding.sizes[d - 1]),
                        id)
                  : id;
  }
  Value element = k.elementBase;
  if (index)
    element = arith::AddIOp::create(
        b, loc, element, arith::IndexCastUIOp::create(b, loc, i64, index));
  Value c0 = arith::TruncIOp::create(b, loc, i32, element);
  Value c1 = arith::XOrIOp::create(
      b, loc,
      arith::TruncIOp::create(
          b, loc, i32, arith::ShRUIOp::create(b, loc, element, k.shift32)),
      rounding.counterMask);
  for (Value key : rounding.roundKeys) {
    // The low half as its own 32-bit multiply: LLVM then sees the high half
    // alone as a mulhu (vpmuludq on even and odd lanes) instead of widening
    // every lane to 64 bits and narrowing both halves back.
    Value high = arith::MulUIExtendedOp::create(b, loc, c0, k.m2).getHigh();
    Value low = arith::MulIOp::create(b, loc, c0, k.m2);
    c0 = arith::XOrIOp::create(
        b, loc, arith::XOrIOp::create(b, loc, high, c1), key);
    c1 = low;
  }
  Value r = arith::AndIOp::create(b, loc, c0, k.mask16);
  Value bits = arith::BitcastOp::create(b, loc, i32, x);
  Value rounded = arith::ShRUIOp::create(
      b, loc, arith::AddIOp::create(b, loc, bits, r), k.shift16);
  Value truncated = arith::OrIOp::create(
      b, loc, arith::ShRUIOp::create(b, loc, bits, k.shift16), k.quietBit);
  Value isNaN =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, x, x);
  Value chosen = arith::SelectOp::create(b, loc, isNaN, truncated, rounded);
  Value half = arith::TruncIOp::create(b, loc, b.getI16Type(), chosen);
  return arith::BitcastOp::create(b, loc, b.getBF16Type(), half);
}

class PrologueBuilder {
public:
  PrologueBuilder(OpBuilder &b, Location loc, FloatType computeType)
      : b(b), loc(loc), computeType(computeType), f64(b.getF64Type()) {}

  /// `value` in f64.
  Value wide(Value value) {
    Type type = value.getType();
    if (type == f64)
      return value;
    if (isa<FloatType>(type))
      return arith::ExtFOp::create(b, loc, f64, value);
    if (type.isIndex())
      value = arith::IndexCastOp::create(b, loc, b.getI64Type(), value);
    return arith::SIToFPOp::create(b, loc, f64, value);
  }
  /// `value` (f64) rounded once to the compute type.
  Value narrow(Value value) {
    if (computeType == f64)
      return value;
    return arith::TruncFOp::create(b, loc, computeType, value);
  }
  /// An operand in the compute type (operands are the compute type or f64).
  Value compute(Value value) {
    if (value.getType() == computeType)
      return value;
    return narrow(wide(value));
  }
  Value constant(double x) {
    return arith::ConstantOp::create(b, loc, f64, b.getF64FloatAttr(x));
  }
  Value sub(Value x, Value y) { return arith::SubFOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return arith::MulFOp::create(b, loc, x, y); }
  Value div(Value x, Value y) { return arith::DivFOp::create(b, loc, x, y); }
  Value sqrt(Value x) { return math::SqrtOp::create(b, loc, x); }
  Value pow(Value x, Value y) { return math::PowFOp::create(b, loc, x, y); }

  OpBuilder &b;
  Location loc;
  FloatType computeType;
  FloatType f64;
};

StepCoefficients emitPrologue(OpBuilder &b, Location loc,
                              const StepOperands &op,
                              const AdamVariant &variant,
                              FloatType computeType) {
  PrologueBuilder pb(b, loc, computeType);
  StepCoefficients c;
  Value one = pb.constant(1.0);
  Value lr = pb.wide(op.lr);
  Value beta1 = pb.wide(op.beta1);
  Value beta2 = pb.wide(op.beta2);

  // Scalars may arrive wider than the compute type (f64): everything the
  // element loop uses is rounded once, here.
  c.beta1 = pb.compute(op.beta1);
  c.beta2 = pb.compute(op.beta2);
  c.eps = pb.compute(op.eps);
  c.oneMinusBeta1 = pb.narrow(pb.sub(one, beta1));
  c.oneMinusBeta2 = pb.narrow(pb.sub(one, beta2));

  Value stepSize = lr;
  if (variant.biasCorrection != ::optim::BiasCorrection::none) {
    Value beta1Power, beta2Power;
    if (variant.givenPowers) {
      beta1Power = pb.wide(op.beta1Power);
      beta2Power = pb.wide(op.beta2Power);
    } else {
      Value t = pb.wide(op.step);
      beta1Power = pb.pow(beta1, t);
      beta2Power = pb.pow(beta2, t);
    }
    Value bc1 = pb.sub(one, beta1Power);
    Value bc2 = pb.sub(one, beta2Power);
    if (variant.biasCorrection == ::optim::BiasCorrection::standard) {
      stepSize = pb.div(lr, bc1);
      c.denomScale = pb.narrow(pb.div(one, pb.sqrt(bc2)));
    } else {
      stepSize = pb.div(pb.mul(lr, pb.sqrt(bc2)), bc1);
    }
  }
  c.stepSize = pb.narrow(stepSize);

  switch (variant.weightDecay) {
  case ::optim::WeightDecayMode::none:
    break;
  case ::optim::WeightDecayMode::l2:
    c.l2 = pb.compute(op.weightDecay);
    break;
  case ::optim::WeightDecayMode::decoupled: {
    Value eta = variant.decayRate == ::optim::DecayRate::lr ? lr : stepSize;
    c.decay = pb.narrow(pb.sub(one, pb.mul(eta, pb.wide(op.weightDecay))));
    break;
  }
  }

  if (variant.rescaleGrad)
    c.rescale = pb.compute(op.rescaleGrad);
  if (variant.gradScale)
    c.invGradScale = pb.narrow(pb.div(one, pb.wide(op.gradScale)));
  if (op.gradNorm) {
    // torch.nn.utils.clip_grad_norm_; NaN (a non-finite norm) propagates
    // through minimumf into the gradients, as in torch.
    Value quotient = pb.div(
        pb.wide(op.maxGradNorm),
        arith::AddFOp::create(b, loc, pb.wide(op.gradNorm), pb.constant(1e-6)));
    c.clipCoef = pb.narrow(arith::MinimumFOp::create(b, loc, one, quotient));
  }
  if (variant.clipGradient) {
    // MXNet: clipping is on when clip_gradient >= 0. The bounds are chosen
    // once here so that the element loop clamps unconditionally.
    Value clip = pb.compute(op.clipGradient);
    Value zero = arith::ConstantOp::create(b, loc, computeType,
                                           b.getFloatAttr(computeType, 0.0));
    Value inf = arith::ConstantOp::create(
        b, loc, computeType,
        b.getFloatAttr(computeType, std::numeric_limits<double>::infinity()));
    Value enabled =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGE, clip, zero);
    c.clipHi = arith::SelectOp::create(b, loc, enabled, clip, inf);
    c.clipLo = arith::NegFOp::create(b, loc, c.clipHi);
  }
  return c;
}

/// The update of one element: g, p, m, v (and, with AMSGrad, vmax) in the
/// compute type, p's stored element type `paramElementType`. Returns the new
/// p (in its stored type), m, v (and vmax) in the compute type.
/// With `rounding`, the new bf16 parameter is rounded stochastically over a
/// `rank`-dimensional iteration space.
SmallVector<Value> computeElementUpdate(
    OpBuilder &b, Location loc, Value g, Value p, Value m, Value v,
    Value vmax, Type paramElementType, const AdamVariant &variant,
    const StepCoefficients &c, FloatType computeType, bool fastMath,
    const ParamRounding *rounding, int64_t rank) {
  auto add = [&](Value x, Value y) {
    return arith::AddFOp::create(b, loc, x, y);
  };
  auto mul = [&](Value x, Value y) {
    return arith::MulFOp::create(b, loc, x, y);
  };

  // 1. Gradient preprocessing.
  if (c.rescale)
    g = mul(g, c.rescale);
  if (c.invGradScale)
    g = mul(g, c.invGradScale);
  if (c.clipCoef)
    g = mul(g, c.clipCoef);
  if (c.clipLo) {
    g = arith::MaximumFOp::create(b, loc, g, c.clipLo);
    g = arith::MinimumFOp::create(b, loc, g, c.clipHi);
  }
  if (variant.maximize)
    g = arith::NegFOp::create(b, loc, g);
  // 2. L2 weight decay enters the gradient.
  if (c.l2)
    g = add(g, mul(c.l2, p));
  // 3. Moments.
  Value newM = add(mul(c.beta1, m), mul(c.oneMinusBeta1, g));
  // v * beta2 + ((1 - beta2) * g) * g: PyTorch's addcmul order. g * g
  // first would overflow f32 for |g| > 1.8e19, where this stays finite up
  // to |g| ~ 5.8e20.
  Value newV = add(mul(v, c.beta2), mul(mul(c.oneMinusBeta2, g), g));
  Value vhat = newV;
  Value newVmax;
  if (variant.amsgrad) {
    newVmax = arith::MaximumFOp::create(b, loc, vmax, newV);
    vhat = newVmax;
  }
  // 4. Update: p = p * decay - step_size * m / (sqrt(vhat) * scale + eps).
  Value denom;
  if (fastMath && computeType.isF32()) {
    // sqrt(v) = v * rsqrt(v) (0 for v = 0, where rsqrt is inf); with the
    // function's reciprocal-estimate attribute both rsqrt and the divide
    // below become hardware estimates plus one Newton step.
    auto fast = arith::FastMathFlagsAttr::get(b.getContext(),
                                              arith::FastMathFlags::fast);
    Value rsqrt = math::RsqrtOp::create(b, loc, vhat, fast);
    Value root = arith::MulFOp::create(b, loc, vhat, rsqrt, fast);
    Value zero = arith::ConstantOp::create(b, loc, computeType,
                                           b.getFloatAttr(computeType, 0.0));
    Value positive =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, vhat, zero);
    denom = arith::SelectOp::create(b, loc, positive, root, zero);
  } else {
    denom = math::SqrtOp::create(b, loc, vhat);
  }
  if (c.denomScale)
    denom = mul(denom, c.denomScale);
  denom = add(denom, c.eps);
  if (c.decay)
    p = mul(p, c.decay);
  Value quotient = arith::DivFOp::create(b, loc, newM, denom);
  if (fastMath && computeType.isF32())
    quotient.getDefiningOp()->setAttr(
        "fastmath", arith::FastMathFlagsAttr::get(b.getContext(),
                                                  arith::FastMathFlags::fast));
  Value update = mul(c.stepSize, quotient);
  Value newP = arith::SubFOp::create(b, loc, p, update);
  if (rounding)
    newP = emitStochasticRoundToBF16(b, loc, newP, *rounding, rank);
  else if (paramElementType != computeType)
    newP = arith::TruncFOp::create(b, loc, paramElementType, newP);

  SmallVector<Value> updated = {newP, newM, newV};
  if (newVmax)
    updated.push_back(newVmax);
  return updated;
}

/// The body of the fused element-wise update. Block arguments: g, p, m, v
/// and, with AMSGrad, vmax; yields p, m, v (and vmax). Moments may be stored
/// narrower than the compute type (bf16): decoded here, rounded once (to
/// nearest even) on store.
void buildElementwiseBody(OpBuilder &b, Location loc, ValueRange args,
                          const AdamVariant &variant, const StepCoefficients &c,
                          FloatType computeType, bool fastMath,
                          const ParamRounding *rounding, int64_t rank) {
  auto ext = [&](Value x) -> Value {
    if (!x || x.getType() == computeType)
      return x;
    return arith::ExtFOp::create(b, loc, computeType, x);
  };
  SmallVector<Value> yields = computeElementUpdate(
      b, loc, ext(args[0]), ext(args[1]), ext(args[2]), ext(args[3]),
      variant.amsgrad ? ext(args[4]) : Value(), args[1].getType(), variant, c,
      computeType, fastMath, rounding, rank);
  for (auto [value, stored] : llvm::zip(yields, args.drop_front()))
    if (value.getType() != stored.getType())
      value = arith::TruncFOp::create(b, loc, stored.getType(), value);
  linalg::YieldOp::create(b, loc, yields);
}

} // namespace

bool mlir::optim::detail::canFlattenTo1D(MemRefType type) {
  if (type.getRank() == 1)
    return true;
  if (type.getRank() == 0)
    return type.getLayout().isIdentity();
  SmallVector<ReassociationIndices> reassociation(1);
  for (int64_t i = 0; i < type.getRank(); ++i)
    reassociation[0].push_back(i);
  return memref::CollapseShapeOp::isGuaranteedCollapsible(type, reassociation);
}

Value mlir::optim::detail::flattenTo1D(OpBuilder &b, Location loc,
                                       Value value) {
  auto type = cast<MemRefType>(value.getType());
  if (type.getRank() == 1)
    return value;
  if (type.getRank() == 0) {
    // A scalar parameter: a 1-element vector, in the scalar's memory space
    // and at its offset.
    FailureOr<MemRefType> vectorType =
        memref::ExpandShapeOp::computeExpandedType(type, {1}, {});
    assert(succeeded(vectorType) && "a 0-d memref expands to memref<1x...>");
    return memref::ExpandShapeOp::create(
        b, loc, *vectorType, value, ArrayRef<ReassociationIndices>{},
        ArrayRef<OpFoldResult>{b.getIndexAttr(1)});
  }
  SmallVector<ReassociationIndices> reassociation(1);
  for (int64_t i = 0; i < type.getRank(); ++i)
    reassociation[0].push_back(i);
  return memref::CollapseShapeOp::create(b, loc, value, reassociation);
}

namespace {

/// Emits the fused update of parameter `i`; returns the new tensors (tensor
/// form) or nothing (memref form, in place).
SmallVector<Value> emitParamUpdate(OpBuilder &b, Location loc,
                                   const StepOperands &op, unsigned i,
                                   const AdamVariant &variant,
                                   const StepCoefficients &c,
                                   const RoundingConstants *roundingConstants,
                                   FloatType computeType, bool fastMath) {
  Value grad = op.grads[i];
  SmallVector<Value> state = {op.params[i], op.expAvgs[i], op.expAvgSqs[i]};
  if (variant.amsgrad)
    state.push_back(op.maxExpAvgSqs[i]);

  bool tensorForm = isa<RankedTensorType>(grad.getType());
  if (!tensorForm) {
    // Flatten only if every operand flattens: the generic needs one
    // iteration space.
    SmallVector<Value> all = {grad};
    llvm::append_range(all, state);
    if (llvm::all_of(all, [](Value v) {
          return mlir::optim::detail::canFlattenTo1D(
              cast<MemRefType>(v.getType()));
        })) {
      grad = mlir::optim::detail::flattenTo1D(b, loc, grad);
      for (Value &v : state)
        v = mlir::optim::detail::flattenTo1D(b, loc, v);
    }
  }

  int64_t rank = cast<ShapedType>(grad.getType()).getRank();
  std::optional<ParamRounding> rounding;
  if (roundingConstants) {
    rounding = ParamRounding{roundingConstants, {}, {}, {}};
    emitParamRoundingKey(b, loc, *roundingConstants, i, *rounding);
    for (int64_t d = 1; d < rank; ++d) {
      if (tensorForm)
        rounding->sizes.push_back(tensor::DimOp::create(b, loc, grad, d));
      else
        rounding->sizes.push_back(memref::DimOp::create(b, loc, grad, d));
    }
  }
  AffineMap identity = b.getMultiDimIdentityMap(rank);
  SmallVector<AffineMap> maps(1 + state.size(), identity);
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  TypeRange resultTypes =
      tensorForm ? TypeRange(ValueRange(state).getTypes()) : TypeRange();
  auto generic = linalg::GenericOp::create(
      b, loc, resultTypes, ValueRange{grad}, state, maps, iterators,
      [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        buildElementwiseBody(nested, nestedLoc, args, variant, c, computeType,
                             fastMath, rounding ? &*rounding : nullptr, rank);
      });
  return SmallVector<Value>(generic.getResults());
}

//===----------------------------------------------------------------------===//
// 8-bit blockwise moments
//===----------------------------------------------------------------------===//

/// The code tables of 8-bit moments, per map: its 256 values (the decode)
/// and its encode table (optim/Support/QuantEncodeTable.h): memref.globals
/// the pass adds to the module, viewed as tensors so that the vectoriser
/// turns a lookup (tensor.extract) into a gather; the CPU schedule then
/// reads the globals directly, or, on AVX-512, turns the lookups in the
/// 256 values into in-register permutes.
struct QuantTables {
  Value values;
  Value encode;
  const ::optim::QuantEncodeTable *layout = nullptr;
};

std::string getQuantTableName(::optim::QuantMap map, bool encode = false) {
  std::string name = map == ::optim::QuantMap::signedDynamic
                         ? "__optim_dynamic_map_signed"
                         : "__optim_dynamic_map_unsigned";
  return encode ? name + "_encode" : name;
}

/// Adds the tables to `symbolTable` (the nearest symbol table of an op that
/// reads them: memref.get_global resolves there) unless they are there
/// already. A symbol of their name that is not the same constant table is
/// an error at `user`'s location: reusing it would read the wrong values,
/// or a global of another type.
LogicalResult addQuantTableGlobals(OpBuilder &b, Operation *symbolTable,
                                   Operation *user) {
  auto add = [&](StringRef name, DenseElementsAttr init) -> LogicalResult {
    auto type = MemRefType::get(init.getType().getShape(),
                                init.getType().getElementType());
    if (Operation *existing = SymbolTable::lookupSymbolIn(symbolTable, name)) {
      auto global = dyn_cast<memref::GlobalOp>(existing);
      if (global && global.getConstant() && global.getType() == type &&
          global.getInitialValue() == std::optional<Attribute>(init))
        return success();
      return user->emitError("convert-optim-to-linalg: the symbol '@")
             << name
             << "' that 8-bit moments name their code table is taken by "
                "another definition";
    }
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&symbolTable->getRegion(0).front());
    memref::GlobalOp::create(b, symbolTable->getLoc(), name,
                             b.getStringAttr("private"), type, init,
                             /*constant=*/true, /*alignment=*/IntegerAttr());
    return success();
  };
  for (::optim::QuantMap map : {::optim::QuantMap::signedDynamic,
                                ::optim::QuantMap::unsignedDynamic}) {
    SmallVector<float> values;
    for (unsigned code = 0; code < 256; ++code)
      values.push_back(::optim::getQuantMapValue(map, code));
    if (failed(add(
            getQuantTableName(map),
            DenseElementsAttr::get(RankedTensorType::get({256}, b.getF32Type()),
                                   ArrayRef(values)))))
      return failure();
    const ::optim::QuantEncodeTable &table = ::optim::getQuantEncodeTable(map);
    SmallVector<int32_t> entries(table.entries.begin(), table.entries.end());
    if (failed(add(getQuantTableName(map, /*encode=*/true),
                   DenseElementsAttr::get(
                       RankedTensorType::get({int64_t(entries.size())},
                                             b.getI32Type()),
                       ArrayRef(entries)))))
      return failure();
  }
  return success();
}

QuantTables emitQuantTables(OpBuilder &b, Location loc,
                            ::optim::QuantMap map) {
  auto view = [&](StringRef name, int64_t size, Type element) -> Value {
    auto type = MemRefType::get({size}, element);
    Value buffer = memref::GetGlobalOp::create(b, loc, type, name);
    return bufferization::ToTensorOp::create(
        b, loc, RankedTensorType::get(type.getShape(), element), buffer,
        /*restrict=*/true);
  };
  QuantTables tables;
  tables.layout = &::optim::getQuantEncodeTable(map);
  tables.values = view(getQuantTableName(map), 256, b.getF32Type());
  tables.encode = view(getQuantTableName(map, /*encode=*/true),
                       tables.layout->entries.size(), b.getI32Type());
  return tables;
}

/// map[code] * absmax.
Value emitDecode(OpBuilder &b, Location loc, Value map, Value code,
                 Value absmax) {
  Value index =
      arith::IndexCastUIOp::create(b, loc, b.getIndexType(), code);
  Value value = tensor::ExtractOp::create(b, loc, map, ValueRange{index});
  return arith::MulFOp::create(b, loc, value, absmax);
}

/// The divisor of a block's coding: its absmax, or 1 when that is 0 (then
/// every moment of the block is 0 and codes as 0 / 1 = 0). Block-uniform,
/// so the element loop divides without a select.
Value emitEncodeDivisor(OpBuilder &b, Location loc, Value absmax) {
  Type f32 = b.getF32Type();
  Value zero = arith::ConstantOp::create(b, loc, f32, b.getF32FloatAttr(0));
  Value one = arith::ConstantOp::create(b, loc, f32, b.getF32FloatAttr(1));
  Value isZero =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, absmax, zero);
  return arith::SelectOp::create(b, loc, isZero, one, absmax);
}

/// The code of y = x / divisor (emitEncodeDivisor), the number of midpoints
/// below y, by the encode table (encodeWithTable of
/// optim/Support/QuantEncodeTable.h): the bucket of y's bits, one lookup,
/// one compare of the low bits. Integer arithmetic throughout; on the CPU
/// the lookup is one gather from an L1-resident table.
Value emitEncode(OpBuilder &b, Location loc, const QuantTables &tables, Value x,
                 Value divisor) {
  const ::optim::QuantEncodeTable &layout = *tables.layout;
  auto constant = [&](uint32_t value) { return i32Constant(b, loc, value); };
  Value y = arith::DivFOp::create(b, loc, x, divisor);
  Value bits = arith::BitcastOp::create(b, loc, b.getI32Type(), y);
  Value magnitude = arith::AndIOp::create(b, loc, bits, constant(0x7fffffff));
  Value bucket =
      arith::ShRUIOp::create(b, loc, magnitude, constant(layout.shift));
  bucket = arith::MinUIOp::create(
      b, loc, arith::MaxUIOp::create(b, loc, bucket, constant(layout.lowest)),
      constant(layout.lowest + layout.numBuckets - 1));
  // All ones for negative y, else 0.
  Value sign = arith::ShRSIOp::create(b, loc, bits, constant(31));
  Value entryIndex = arith::AddIOp::create(
      b, loc, arith::SubIOp::create(b, loc, bucket, constant(layout.lowest)),
      arith::AndIOp::create(b, loc, sign, constant(layout.numBuckets)));
  // A signed cast (the index is below 2^31): the sign extension it becomes
  // is what x86 needs to gather with 32-bit indices, 16 lanes at a time.
  Value entry =
      tensor::ExtractOp::create(b, loc, tables.encode,
                                ValueRange{arith::IndexCastOp::create(
                                    b, loc, b.getIndexType(), entryIndex)});
  Value lowMask = constant(layout.getLowMask());
  Value low = arith::AndIOp::create(
      b, loc, arith::XOrIOp::create(b, loc, bits, sign), lowMask);
  Value code = arith::ShRUIOp::create(b, loc, entry, constant(layout.shift));
  Value above =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                            arith::AndIOp::create(b, loc, entry, lowMask), low);
  code = arith::SelectOp::create(
      b, loc, above, arith::AddIOp::create(b, loc, code, constant(1)), code);
  return arith::TruncIOp::create(b, loc, b.getI8Type(), code);
}

/// The update of parameter `i` whose moments are 8-bit codes with absmaxes
/// `absmaxes` (memref form, contiguous operands). Per block of 256
/// elements, in an scf.for over the full blocks and once more for a
/// partial last block:
///   1. one element-wise generic decodes m and v, updates p in place and
///      writes the new f32 moments to a block-sized scratch buffer;
///   2. a reduction generic takes the largest magnitude of each, the block's
///      new absmax, which replaces the old one;
///   3. one element-wise generic codes the new moments.
/// The block loop is serial: the scratch buffers are made once, before it,
/// and a block's new moments never leave L1. (The runtime gives threads
/// whole blocks.)
void emitQuantizedParamUpdate(
    OpBuilder &b, Location loc, const StepOperands &op, unsigned i,
    std::pair<Value, Value> absmaxes, const AdamVariant &variant,
    const StepCoefficients &c, const RoundingConstants *roundingConstants,
    FloatType computeType, bool fastMath, StringRef opName) {
  Value grad = op.grads[i];
  SmallVector<Value> state = {op.params[i], op.expAvgs[i], op.expAvgSqs[i]};
  grad = mlir::optim::detail::flattenTo1D(b, loc, grad);
  for (Value &v : state)
    v = mlir::optim::detail::flattenTo1D(b, loc, v);
  Value absmaxM = absmaxes.first, absmaxV = absmaxes.second;

  std::optional<ParamRounding> rounding;
  if (roundingConstants) {
    rounding = ParamRounding{roundingConstants, {}, {}, {}};
    emitParamRoundingKey(b, loc, *roundingConstants, i, *rounding);
  }
  QuantTables signedTables =
      emitQuantTables(b, loc, ::optim::QuantMap::signedDynamic);
  QuantTables unsignedTables =
      emitQuantTables(b, loc, ::optim::QuantMap::unsignedDynamic);

  Type f32 = b.getF32Type();
  Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
  Value blockSize =
      arith::ConstantIndexOp::create(b, loc, ::optim::kQuantBlockSize);
  Value n = memref::DimOp::create(b, loc, grad, 0);
  Value numFull = arith::DivUIOp::create(b, loc, n, blockSize);
  Value rest = arith::RemUIOp::create(b, loc, n, blockSize);
  Value numBlocks = arith::CeilDivUIOp::create(b, loc, n, blockSize);
  // The absmaxes must have one entry per block (a run-time check for
  // dynamic sizes, as for every other operand).
  for (auto [absmax, role] : {std::pair(absmaxM, "exp_avg"),
                              std::pair(absmaxV, "exp_avg_sq")}) {
    auto type = cast<MemRefType>(absmax.getType());
    if (!type.isDynamicDim(0) &&
        cast<ShapedType>(grad.getType()).hasStaticShape())
      continue;
    Value size = memref::DimOp::create(b, loc, absmax, c0);
    Value same = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                       size, numBlocks);
    cf::AssertOp::create(
        b, loc, same,
        llvm::formatv("{0}: {1} absmax of param #{2} needs one entry per "
                      "block of {3} elements",
                      opName, role, i, ::optim::kQuantBlockSize)
            .str());
  }
  Value zero = arith::ConstantOp::create(b, loc, f32, b.getF32FloatAttr(0));
  // Scratch for one block's new moments and absmaxes, made once: the block
  // loop is serial (the runtime splits tensors between threads at block
  // boundaries), and allocas inside it would grow the stack per block.
  auto scratchType = MemRefType::get({::optim::kQuantBlockSize}, f32);
  auto scalarType = MemRefType::get({}, b.getI32Type());
  Value scratchM = memref::AllocaOp::create(b, loc, scratchType);
  Value scratchV = memref::AllocaOp::create(b, loc, scratchType);
  Value maxM = memref::AllocaOp::create(b, loc, scalarType);
  Value maxV = memref::AllocaOp::create(b, loc, scalarType);

  // One block: `size` elements from `offset`, static (256) or not.
  auto emitBlock = [&](OpBuilder &b, Location loc, Value block,
                       OpFoldResult size) {
    Value offset = arith::MulIOp::create(b, loc, block, blockSize);
    auto slice = [&](Value v) -> Value {
      return memref::SubViewOp::create(
          b, loc, v, ArrayRef<OpFoldResult>{offset}, ArrayRef{size},
          ArrayRef<OpFoldResult>{b.getIndexAttr(1)});
    };
    Value g = slice(grad), p = slice(state[0]), codesM = slice(state[1]),
          codesV = slice(state[2]);
    Value oldAbsmaxM = memref::LoadOp::create(b, loc, absmaxM, block);
    Value oldAbsmaxV = memref::LoadOp::create(b, loc, absmaxV, block);
    bool partial = !getConstantIntValue(size);
    if (partial) {
      // The reduction reads whole blocks; 0 is neutral for magnitudes.
      linalg::FillOp::create(b, loc, ValueRange{zero},
                             ValueRange{scratchM});
      linalg::FillOp::create(b, loc, ValueRange{zero},
                             ValueRange{scratchV});
    }
    Value newM = scratchM, newV = scratchV;
    if (partial) {
      // slice() offsets by the block; the scratch starts at 0.
      auto head = [&](Value v) -> Value {
        return memref::SubViewOp::create(
            b, loc, v, ArrayRef<OpFoldResult>{b.getIndexAttr(0)},
            ArrayRef{size}, ArrayRef<OpFoldResult>{b.getIndexAttr(1)});
      };
      newM = head(scratchM);
      newV = head(scratchV);
    }

    // Stochastic rounding draws by the element's index in the parameter.
    std::optional<RoundingConstants> blockConstants;
    std::optional<ParamRounding> blockRounding;
    if (rounding) {
      blockConstants = *roundingConstants;
      blockConstants->elementBase = arith::AddIOp::create(
          b, loc, roundingConstants->elementBase,
          arith::IndexCastUIOp::create(b, loc, b.getI64Type(), offset));
      blockRounding = *rounding;
      blockRounding->constants = &*blockConstants;
    }

    MLIRContext *ctx = b.getContext();
    AffineMap identity = AffineMap::getMultiDimIdentityMap(1, ctx);
    auto parallel = SmallVector<utils::IteratorType>{
        utils::IteratorType::parallel};
    // 1. Decode, update p, keep the new moments.
    auto decodeUpdate = linalg::GenericOp::create(
        b, loc, TypeRange(), ValueRange{g, codesM, codesV},
        ValueRange{p, newM, newV}, SmallVector<AffineMap>(6, identity),
        parallel, [&](OpBuilder &nb, Location nl, ValueRange args) {
          auto ext = [&](Value x) -> Value {
            return x.getType() == computeType
                       ? x
                       : arith::ExtFOp::create(nb, nl, computeType, x);
          };
          Value m =
              emitDecode(nb, nl, signedTables.values, args[1], oldAbsmaxM);
          Value v =
              emitDecode(nb, nl, unsignedTables.values, args[2], oldAbsmaxV);
          SmallVector<Value> updated = computeElementUpdate(
              nb, nl, ext(args[0]), ext(args[3]), m, v, Value(),
              args[3].getType(), variant, c, computeType, fastMath,
              blockRounding ? &*blockRounding : nullptr, /*rank=*/1);
          linalg::YieldOp::create(nb, nl, updated);
        });
    // 2. The new absmaxes: the largest |x| as the largest of its bits read
    // as unsigned integers (the order of non-negative floats, with NaN above
    // +inf, so a NaN moment makes the block's absmax NaN): one integer max
    // per vector instead of a NaN-checked float max.
    Value zeroBits = i32Constant(b, loc, 0);
    memref::StoreOp::create(b, loc, zeroBits, maxM);
    memref::StoreOp::create(b, loc, zeroBits, maxV);
    AffineMap toScalar = AffineMap::get(1, 0, {}, ctx);
    auto reduce = linalg::GenericOp::create(
        b, loc, TypeRange(), ValueRange{scratchM, scratchV},
        ValueRange{maxM, maxV},
        SmallVector<AffineMap>{identity, identity, toScalar, toScalar},
        SmallVector<utils::IteratorType>{utils::IteratorType::reduction},
        [&](OpBuilder &nb, Location nl, ValueRange args) {
          auto fold = [&](Value x, Value acc) -> Value {
            Value bits = arith::BitcastOp::create(
                nb, nl, nb.getI32Type(), math::AbsFOp::create(nb, nl, x));
            return arith::MaxUIOp::create(nb, nl, acc, bits);
          };
          linalg::YieldOp::create(
              nb, nl,
              ValueRange{fold(args[0], args[2]), fold(args[1], args[3])});
        });
    auto loadAbsmax = [&](Value bits) -> Value {
      return arith::BitcastOp::create(b, loc, f32,
                                      memref::LoadOp::create(b, loc, bits));
    };
    Value newAbsmaxM = loadAbsmax(maxM);
    Value newAbsmaxV = loadAbsmax(maxV);
    memref::StoreOp::create(b, loc, newAbsmaxM, absmaxM, block);
    memref::StoreOp::create(b, loc, newAbsmaxV, absmaxV, block);
    // 3. Code the new moments.
    Value divisorM = emitEncodeDivisor(b, loc, newAbsmaxM);
    Value divisorV = emitEncodeDivisor(b, loc, newAbsmaxV);
    auto encode = linalg::GenericOp::create(
        b, loc, TypeRange(), ValueRange{newM, newV}, ValueRange{codesM, codesV},
        SmallVector<AffineMap>(4, identity), parallel,
        [&](OpBuilder &nb, Location nl, ValueRange args) {
          linalg::YieldOp::create(
              nb, nl,
              ValueRange{
                  emitEncode(nb, nl, signedTables, args[0], divisorM),
                  emitEncode(nb, nl, unsignedTables, args[1], divisorV)});
        });
    for (Operation *generic : {decodeUpdate, reduce, encode})
      generic->setAttr(kQuantBlockAttr, b.getUnitAttr());
  };

  Value c1 = arith::ConstantIndexOp::create(b, loc, 1);
  auto loop = scf::ForOp::create(b, loc, c0, numFull, c1);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(loop.getBody()->getTerminator());
    emitBlock(b, loc, loop.getInductionVar(),
              b.getIndexAttr(::optim::kQuantBlockSize));
  }
  Value hasTail =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, rest, c0);
  auto tail = scf::IfOp::create(b, loc, hasTail, /*withElseRegion=*/false);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(tail.thenBlock());
    emitBlock(b, loc, numFull, rest);
  }
}

/// What emitQuantizedParamUpdate needs of the op: the memref form, with
/// operands that view as 1-d.
LogicalResult checkQuantizedLowering(AdamStepOpInterface op,
                                     const StepOperands &in) {
  for (auto [i, m] : llvm::enumerate(in.expAvgs)) {
    if (!isQuantizedMomentType(m.getType()))
      continue;
    if (op.isTensorForm())
      return op.emitOpError("8-bit moments (exp_avg #")
             << i << ") lower from the memref form: bufferize first";
    for (Value v : {in.grads[i], in.params[i], in.expAvgs[i],
                    in.expAvgSqs[i]})
      if (!mlir::optim::detail::canFlattenTo1D(
              cast<MemRefType>(v.getType())))
        return op.emitOpError("8-bit moments of param #")
               << i << " need operands that view as 1-d, got "
               << v.getType();
  }
  return success();
}

/// The verifier makes every operand of a parameter have the gradient's type,
/// but a dynamic dimension (`memref<?xf32>`) is only known at run time, and
/// the generic walks all operands over one iteration space. Each dynamic
/// dimension is compared with the gradient's before anything is read or
/// written; a mismatch fails a cf.assert, which the LLVM lowering turns into
/// a message on stdout and abort(). Static shapes need no check.
void emitDynamicSizeChecks(OpBuilder &b, Location loc, StringRef opName,
                           const StepOperands &op) {
  for (auto [i, grad] : llvm::enumerate(op.grads)) {
    auto gradType = cast<ShapedType>(grad.getType());
    if (gradType.hasStaticShape())
      continue;
    std::pair<Value, StringRef> others[] = {
        {op.params[i], "param"},
        {op.expAvgs[i], "exp_avg"},
        {op.expAvgSqs[i], "exp_avg_sq"},
        {i < op.maxExpAvgSqs.size() ? op.maxExpAvgSqs[i] : Value(),
         "max_exp_avg_sq"}};
    for (int64_t dim = 0; dim < gradType.getRank(); ++dim) {
      if (!gradType.isDynamicDim(dim))
        continue;
      Value index = arith::ConstantIndexOp::create(b, loc, dim);
      auto sizeOf = [&](Value value) -> Value {
        if (isa<MemRefType>(value.getType()))
          return memref::DimOp::create(b, loc, value, index);
        return tensor::DimOp::create(b, loc, value, index);
      };
      Value expected = sizeOf(grad);
      for (auto [value, name] : others) {
        if (!value)
          continue;
        Value size = sizeOf(value);
        Value same = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                           size, expected);
        cf::AssertOp::create(
            b, loc, same,
            llvm::formatv("{0}: {1} #{2} and grad #{2} differ in size "
                          "(dimension {3})",
                          opName, name, i, dim)
                .str());
      }
    }
  }
}

struct LowerAdamStep : OpInterfaceConversionPattern<AdamStepOpInterface> {
  LowerAdamStep(MLIRContext *context, bool fastMath)
      : OpInterfaceConversionPattern(context), fastMath(fastMath) {}
  bool fastMath;

  LogicalResult
  matchAndRewrite(AdamStepOpInterface op, ArrayRef<Value> operands,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    StepOperands in(op, operands);
    AdamVariant variant = getAdamVariant(op);
    FloatType computeType =
        getComputeType(getElementTypeOrSelf(in.params.front().getType()));
    bool tensorForm = op.isTensorForm();
    unsigned numParams = in.params.size();

    emitDynamicSizeChecks(rewriter, loc, op->getName().getStringRef(), in);

    // Results are grouped by role (all params, all exp_avgs, ...), the
    // updates come out per parameter: regroup them.
    auto emitAll = [&](OpBuilder &b, Location l) -> SmallVector<Value> {
      StepCoefficients c = emitPrologue(b, l, in, variant, computeType);
      std::optional<RoundingConstants> rounding;
      if (variant.stochasticRounding)
        rounding = emitRoundingConstants(b, l, in);
      unsigned numState = variant.amsgrad ? 4 : 3;
      SmallVector<Value> results(numParams * numState);
      unsigned numQuantized = 0;
      for (unsigned i = 0; i < numParams; ++i) {
        if (isQuantizedMomentType(in.expAvgs[i].getType())) {
          // Memref form (checked above): nothing to return.
          emitQuantizedParamUpdate(
              b, l, in, i,
              {in.expAvgAbsmaxes[numQuantized],
               in.expAvgSqAbsmaxes[numQuantized]},
              variant, c, rounding ? &*rounding : nullptr, computeType,
              fastMath, op->getName().getStringRef());
          ++numQuantized;
          continue;
        }
        SmallVector<Value> updated =
            emitParamUpdate(b, l, in, i, variant, c,
                            rounding ? &*rounding : nullptr, computeType,
                            fastMath);
        for (auto [k, v] : llvm::enumerate(updated))
          results[k * numParams + i] = v;
      }
      return tensorForm ? results : SmallVector<Value>();
    };

    // Skip the whole step when found_inf != 0 (NaN counts as found) or,
    // with skip_nonfinite_norm, when the gradients' norm is NaN or inf.
    Value skip;
    if (variant.foundInf) {
      Value foundInf = in.foundInf;
      Value zero = arith::ConstantOp::create(
          rewriter, loc, foundInf.getType(),
          rewriter.getFloatAttr(foundInf.getType(), 0.0));
      skip = arith::CmpFOp::create(rewriter, loc, arith::CmpFPredicate::UNE,
                                   foundInf, zero);
    }
    if (in.skipNonfiniteNorm) {
      Type type = in.gradNorm.getType();
      Value inf = arith::ConstantOp::create(
          rewriter, loc, type,
          rewriter.getFloatAttr(type, std::numeric_limits<double>::infinity()));
      Value magnitude = math::AbsFOp::create(rewriter, loc, in.gradNorm);
      // Unordered or equal: NaN or +-inf.
      Value nonfinite = arith::CmpFOp::create(
          rewriter, loc, arith::CmpFPredicate::UEQ, magnitude, inf);
      skip = skip ? arith::OrIOp::create(rewriter, loc, skip, nonfinite)
                  : nonfinite;
    }
    if (!skip) {
      rewriter.replaceOp(op, emitAll(rewriter, loc));
      return success();
    }
    if (!tensorForm) {
      Value run = arith::XOrIOp::create(
          rewriter, loc, skip,
          arith::ConstantIntOp::create(rewriter, loc, 1, /*width=*/1));
      auto ifOp = scf::IfOp::create(rewriter, loc, run, /*withElse=*/false);
      {
        OpBuilder::InsertionGuard guard(rewriter);
        rewriter.setInsertionPointToStart(ifOp.thenBlock());
        emitAll(rewriter, loc);
      }
      rewriter.eraseOp(op);
      return success();
    }
    auto ifOp = scf::IfOp::create(
        rewriter, loc, skip,
        [&](OpBuilder &b, Location l) { scf::YieldOp::create(b, l, in.inits); },
        [&](OpBuilder &b, Location l) {
          scf::YieldOp::create(b, l, emitAll(b, l));
        });
    rewriter.replaceOp(op, ifOp.getResults());
    return success();
  }
};

/// Fast math needs LLVM's reciprocal estimates, a function attribute that
/// convert-func-to-llvm carries over in `passthrough`. Entries already there
/// are kept; a `reciprocal-estimates` the function already sets wins.
LogicalResult requestReciprocalEstimates(func::FuncOp func) {
  Builder b(func.getContext());
  StringRef key = "reciprocal-estimates";
  SmallVector<Attribute> entries;
  if (Attribute existing = func->getAttr("passthrough")) {
    auto array = dyn_cast<ArrayAttr>(existing);
    if (!array)
      return func.emitError("expected 'passthrough' to be an array attribute");
    for (Attribute entry : array) {
      auto pair = dyn_cast<ArrayAttr>(entry);
      Attribute name = pair && !pair.empty() ? pair[0] : entry;
      if (auto str = dyn_cast<StringAttr>(name); str && str == key)
        return success();
    }
    llvm::append_range(entries, array);
  }
  entries.push_back(b.getArrayAttr(
      {b.getStringAttr(key),
       b.getStringAttr("vec-divf:1,vec-sqrtf:1,divf:1,sqrtf:1")}));
  func->setAttr("passthrough", b.getArrayAttr(entries));
  return success();
}

struct ConvertOptimToLinalgPass
    : mlir::optim::impl::ConvertOptimToLinalgBase<ConvertOptimToLinalgPass> {
  using Base::Base;

  void runOnOperation() override {
    if (fastMath) {
      WalkResult result = getOperation()->walk([](func::FuncOp func) {
        bool hasStep = func.walk([](AdamStepOpInterface) {
                             return WalkResult::interrupt();
                           })
                           .wasInterrupted();
        if (hasStep && failed(requestReciprocalEstimates(func)))
          return WalkResult::interrupt();
        return WalkResult::advance();
      });
      if (result.wasInterrupted())
        return signalPassFailure();
    }

    // 8-bit moments read code tables, memref.globals in the nearest symbol
    // table of each op (a nested module, a gpu.module): added here, before
    // the conversion, so that patterns only refer to them. What their
    // lowering needs is checked first, with the op's location.
    OpBuilder b(&getContext());
    WalkResult checked = getOperation()->walk([&](AdamStepOpInterface op) {
      // In place, a buffer updated twice would race with itself: the loop
      // reads one role's old value after another role wrote it.
      if (!op.isTensorForm()) {
        llvm::SmallPtrSet<Value, 8> seen;
        for (OpOperand &init :
             cast<DestinationStyleOpInterface>(op.getOperation())
                 .getDpsInitsMutable())
          if (!seen.insert(init.get()).second) {
            op.emitOpError("updates the same buffer twice; params and "
                           "moments must be distinct");
            return WalkResult::interrupt();
          }
      }
      if (op.getExpAvgAbsmaxes().empty())
        return WalkResult::advance();
      SmallVector<Value> operands(op->getOperands());
      if (failed(checkQuantizedLowering(op, StepOperands(op, operands))))
        return WalkResult::interrupt();
      // A symbol table above the pass's anchor belongs to another pass's
      // thread (the pass on a func.func, say).
      Operation *symbolTable = SymbolTable::getNearestSymbolTable(op);
      if (!symbolTable || !getOperation()->isAncestor(symbolTable)) {
        op->emitError("convert-optim-to-linalg: 8-bit moments need the pass "
                      "to run on the module (or gpu.module) that holds them: "
                      "it adds their code tables as memref.globals");
        return WalkResult::interrupt();
      }
      if (failed(addQuantTableGlobals(b, symbolTable, op)))
        return WalkResult::interrupt();
      return WalkResult::advance();
    });
    if (checked.wasInterrupted())
      return signalPassFailure();

    // Every optim op must be lowered; everything else is left as it is.
    ConversionTarget target(getContext());
    target.addIllegalDialect<OptimDialect>();
    target.addLegalDialect<arith::ArithDialect,
                           bufferization::BufferizationDialect,
                           cf::ControlFlowDialect,
                           linalg::LinalgDialect, math::MathDialect,
                           memref::MemRefDialect, scf::SCFDialect,
                           tensor::TensorDialect>();
    RewritePatternSet patterns(&getContext());
    populateOptimToLinalgPatterns(patterns, fastMath);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void mlir::optim::populateOptimToLinalgPatterns(RewritePatternSet &patterns,
                                                bool fastMath) {
  patterns.add<LowerAdamStep>(patterns.getContext(), fastMath);
  populateGlobalNormToLinalgPatterns(patterns);
}
