//===- OptimOps.cpp - optim operations ------------------------------------===//
//
// The assembly format, verifier, destination-style and memory-effect
// interfaces, and canonicalisation shared by optim.adam and optim.adamw.
//
//===----------------------------------------------------------------------===//

#include "optim/Dialect/Optim/IR/OptimOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace mlir::optim;

//===----------------------------------------------------------------------===//
// Types
//===----------------------------------------------------------------------===//

FloatType mlir::optim::getComputeType(Type elementType) {
  if (elementType.isF16() || elementType.isBF16() || elementType.isF32())
    return Float32Type::get(elementType.getContext());
  if (elementType.isF64())
    return Float64Type::get(elementType.getContext());
  return {};
}

Type mlir::optim::getMomentType(Type paramType) {
  auto shaped = dyn_cast<ShapedType>(paramType);
  if (!shaped)
    return {};
  FloatType computeType = getComputeType(shaped.getElementType());
  if (!computeType)
    return {};
  return shaped.clone(computeType);
}

//===----------------------------------------------------------------------===//
// Assembly format
//===----------------------------------------------------------------------===//
//
//   optim.adam[w] [amsgrad] [maximize]
//       (%p, %g, %m, %v[, %vmax]) : <param type> [, (...) : <type>]*
//       lr(%lr) betas(%b1, %b2) eps(%eps) [weight_decay(%wd)]
//       (step(%t : <type>) | beta_powers(%b1t, %b2t))
//       [rescale_grad(%x)] [clip_gradient(%x)] [grad_scale(%x)] [found_inf(%x)]
//       [bias_correction(<kind>)] [decay_rate(<kind>)] attr-dict
//
// A group's types are spelled as a parenthesised list only when they differ
// from the defaults (grad of the param type, moments of getMomentType).
// Float scalars have the compute type; results are the tensor inits' types.

namespace {
/// The ODS operand-segment order shared by both ops.
enum Segment : unsigned {
  kGrads,
  kLr,
  kBeta1,
  kBeta2,
  kEps,
  kWeightDecay,
  kStep,
  kBeta1Power,
  kBeta2Power,
  kRescaleGrad,
  kClipGradient,
  kGradScale,
  kFoundInf,
  kParams,
  kExpAvgs,
  kExpAvgSqs,
  kMaxExpAvgSqs,
  kNumSegments
};

using UnresolvedOperand = OpAsmParser::UnresolvedOperand;
} // namespace

static ParseResult parseAdamStepOp(OpAsmParser &parser, OperationState &result,
                                   bool hasDecayRate) {
  Builder &b = parser.getBuilder();
  if (succeeded(parser.parseOptionalKeyword("amsgrad")))
    result.addAttribute("amsgrad", b.getUnitAttr());
  if (succeeded(parser.parseOptionalKeyword("maximize")))
    result.addAttribute("maximize", b.getUnitAttr());

  // Per-parameter groups.
  std::array<SmallVector<UnresolvedOperand>, kNumSegments> operands;
  std::array<SmallVector<Type>, kNumSegments> types;
  const Segment groupSegments[] = {kParams, kGrads, kExpAvgs, kExpAvgSqs,
                                   kMaxExpAvgSqs};
  do {
    SMLoc loc = parser.getCurrentLocation();
    SmallVector<UnresolvedOperand> group;
    if (parser.parseOperandList(group, OpAsmParser::Delimiter::Paren) ||
        parser.parseColon())
      return failure();
    if (group.size() != 4 && group.size() != 5)
      return parser.emitError(loc, "expected (param, grad, exp_avg, "
                                   "exp_avg_sq[, max_exp_avg_sq])");
    SmallVector<Type> groupTypes;
    if (succeeded(parser.parseOptionalLParen())) {
      if (parser.parseTypeList(groupTypes) || parser.parseRParen())
        return failure();
      if (groupTypes.size() != group.size())
        return parser.emitError(loc, "expected ")
               << group.size() << " types, got " << groupTypes.size();
      for (Type type : groupTypes) {
        auto shaped = dyn_cast<ShapedType>(type);
        if (!shaped || !shaped.hasRank() ||
            !getComputeType(shaped.getElementType()))
          return parser.emitError(loc, "expected ranked tensors or memrefs "
                                       "of f16, bf16, f32 or f64, got ")
                 << type;
      }
    } else {
      Type paramType;
      SMLoc typeLoc = parser.getCurrentLocation();
      if (parser.parseType(paramType))
        return failure();
      Type momentType = getMomentType(paramType);
      if (!momentType)
        return parser.emitError(typeLoc, "unsupported parameter type ")
               << paramType;
      groupTypes = {paramType, paramType, momentType, momentType};
      if (group.size() == 5)
        groupTypes.push_back(momentType);
    }
    for (auto [i, operand] : llvm::enumerate(group)) {
      operands[groupSegments[i]].push_back(operand);
      types[groupSegments[i]].push_back(groupTypes[i]);
    }
  } while (succeeded(parser.parseOptionalComma()));

  auto paramType = cast<ShapedType>(types[kParams].front());
  Type scalarType = getComputeType(paramType.getElementType());
  // Scalars default to the compute type; `scalar_type(f64)` widens them.
  if (succeeded(parser.parseOptionalKeyword("scalar_type")))
    if (parser.parseLParen() || parser.parseType(scalarType) ||
        parser.parseRParen())
      return failure();

  // Scalars: `keyword(%a[, %b])`, all of the compute type.
  auto parseScalars = [&](StringRef keyword, ArrayRef<Segment> segments,
                          bool required) -> ParseResult {
    if (required) {
      if (parser.parseKeyword(keyword))
        return failure();
    } else if (failed(parser.parseOptionalKeyword(keyword))) {
      return success();
    }
    if (parser.parseLParen())
      return failure();
    for (auto [i, segment] : llvm::enumerate(segments)) {
      if ((i > 0 && parser.parseComma()) ||
          parser.parseOperand(operands[segment].emplace_back()))
        return failure();
      types[segment].push_back(scalarType);
    }
    return parser.parseRParen();
  };
  if (parseScalars("lr", {kLr}, true) ||
      parseScalars("betas", {kBeta1, kBeta2}, true) ||
      parseScalars("eps", {kEps}, true) ||
      parseScalars("weight_decay", {kWeightDecay}, false))
    return failure();
  if (succeeded(parser.parseOptionalKeyword("step"))) {
    Type stepType;
    if (parser.parseLParen() ||
        parser.parseOperand(operands[kStep].emplace_back()) ||
        parser.parseColonType(stepType) || parser.parseRParen())
      return failure();
    types[kStep].push_back(stepType);
  }
  if (parseScalars("beta_powers", {kBeta1Power, kBeta2Power}, false) ||
      parseScalars("rescale_grad", {kRescaleGrad}, false) ||
      parseScalars("clip_gradient", {kClipGradient}, false) ||
      parseScalars("grad_scale", {kGradScale}, false) ||
      parseScalars("found_inf", {kFoundInf}, false))
    return failure();

  // Non-default enums.
  if (succeeded(parser.parseOptionalKeyword("bias_correction"))) {
    StringRef name;
    SMLoc loc = parser.getCurrentLocation();
    if (parser.parseLParen() || parser.parseKeyword(&name) ||
        parser.parseRParen())
      return failure();
    std::optional<BiasCorrection> kind = symbolizeBiasCorrection(name);
    if (!kind)
      return parser.emitError(loc, "unknown bias_correction '")
             << name << "' (expected standard, folded or none)";
    result.addAttribute("bias_correction",
                        BiasCorrectionAttr::get(b.getContext(), *kind));
  }
  if (hasDecayRate && succeeded(parser.parseOptionalKeyword("decay_rate"))) {
    StringRef name;
    SMLoc loc = parser.getCurrentLocation();
    if (parser.parseLParen() || parser.parseKeyword(&name) ||
        parser.parseRParen())
      return failure();
    std::optional<DecayRate> kind = symbolizeDecayRate(name);
    if (!kind)
      return parser.emitError(loc, "unknown decay_rate '")
             << name << "' (expected lr or effective)";
    result.addAttribute("decay_rate",
                        DecayRateAttr::get(b.getContext(), *kind));
  }
  if (parser.parseOptionalAttrDict(result.attributes))
    return failure();

  SmallVector<int32_t> segmentSizes;
  for (unsigned segment = 0; segment < kNumSegments; ++segment) {
    segmentSizes.push_back(operands[segment].size());
    if (parser.resolveOperands(operands[segment], types[segment],
                               parser.getNameLoc(), result.operands))
      return failure();
  }
  result.addAttribute("operandSegmentSizes",
                      b.getDenseI32ArrayAttr(segmentSizes));

  // Destination style: one result per tensor init, in operand order.
  for (Segment segment : {kParams, kExpAvgs, kExpAvgSqs, kMaxExpAvgSqs})
    for (Type type : types[segment])
      if (isa<RankedTensorType>(type))
        result.addTypes(type);
  return success();
}

static void printAdamStepOp(OpAsmPrinter &p, AdamStepOpInterface op,
                            DecayRateAttr decayRate) {
  Operation *operation = op.getOperation();
  if (op.getAmsgrad())
    p << " amsgrad";
  if (op.getMaximize())
    p << " maximize";

  unsigned numGroups =
      std::min({op.getParams().size(), op.getGrads().size(),
                op.getExpAvgs().size(), op.getExpAvgSqs().size()});
  for (unsigned i = 0; i < numGroups; ++i) {
    SmallVector<Value> group = {op.getParams()[i], op.getGrads()[i],
                                op.getExpAvgs()[i], op.getExpAvgSqs()[i]};
    if (i < op.getMaxExpAvgSqs().size())
      group.push_back(op.getMaxExpAvgSqs()[i]);
    p << (i == 0 ? " (" : ", (");
    p.printOperands(group);
    p << ") : ";
    Type paramType = group[0].getType();
    Type momentType = getMomentType(paramType);
    bool defaultTypes = group[1].getType() == paramType;
    for (Value moment : llvm::drop_begin(group, 2))
      defaultTypes &= moment.getType() == momentType;
    if (defaultTypes) {
      p << paramType;
    } else {
      p << "(";
      llvm::interleaveComma(group, p, [&](Value v) { p << v.getType(); });
      p << ")";
    }
  }

  Type scalarType = op.getLr().getType();
  if (!op.getParams().empty() &&
      scalarType !=
          getComputeType(getElementTypeOrSelf(op.getParams()[0].getType())))
    p << " scalar_type(" << scalarType << ")";
  auto printScalars = [&](StringRef keyword, ValueRange values) {
    if (llvm::any_of(values, [](Value v) { return !v; }))
      return;
    p << " " << keyword << "(";
    p.printOperands(values);
    p << ")";
  };
  printScalars("lr", op.getLr());
  printScalars("betas", {op.getBeta1(), op.getBeta2()});
  printScalars("eps", op.getEps());
  printScalars("weight_decay", op.getWeightDecay());
  if (Value step = op.getStep())
    p << " step(" << step << " : " << step.getType() << ")";
  printScalars("beta_powers", {op.getBeta1Power(), op.getBeta2Power()});
  printScalars("rescale_grad", op.getRescaleGrad());
  printScalars("clip_gradient", op.getClipGradient());
  printScalars("grad_scale", op.getGradScale());
  printScalars("found_inf", op.getFoundInf());
  if (op.getBiasCorrection() != BiasCorrection::standard)
    p << " bias_correction(" << stringifyBiasCorrection(op.getBiasCorrection())
      << ")";
  if (decayRate && decayRate.getValue() != DecayRate::lr)
    p << " decay_rate(" << stringifyDecayRate(decayRate.getValue()) << ")";
  p.printOptionalAttrDict(operation->getAttrs(),
                          {"operandSegmentSizes", "amsgrad", "maximize",
                           "bias_correction", "decay_rate"});
}

ParseResult AdamOp::parse(OpAsmParser &parser, OperationState &result) {
  return parseAdamStepOp(parser, result, /*hasDecayRate=*/false);
}
void AdamOp::print(OpAsmPrinter &p) { printAdamStepOp(p, *this, {}); }

ParseResult AdamWOp::parse(OpAsmParser &parser, OperationState &result) {
  return parseAdamStepOp(parser, result, /*hasDecayRate=*/true);
}
void AdamWOp::print(OpAsmPrinter &p) {
  printAdamStepOp(p, *this, getDecayRateAttr());
}

//===----------------------------------------------------------------------===//
// Verifier
//===----------------------------------------------------------------------===//

static bool isSupportedParamElementType(Type type) {
  return type.isF16() || type.isBF16() || type.isF32() || type.isF64();
}

/// Returns the constant value of `value`, if it is a float constant.
static std::optional<double> getConstantFloat(Value value) {
  FloatAttr attr;
  if (value && matchPattern(value, m_Constant(&attr)))
    return attr.getValueAsDouble();
  return std::nullopt;
}

static std::optional<int64_t> getConstantInt(Value value) {
  IntegerAttr attr;
  if (value && matchPattern(value, m_Constant(&attr)))
    return attr.getValue().getSExtValue();
  return std::nullopt;
}

/// Prints a constant the way a user wrote it (1e-08, -0.5), not as %e.
static std::string formatValue(double value) {
  return llvm::formatv("{0}", llvm::format("%g", value)).str();
}

static LogicalResult verifyAdamStepOp(AdamStepOpInterface op) {
  size_t numParams = op.getParams().size();
  if (numParams == 0)
    return op.emitOpError("expects at least one parameter");
  auto checkCount = [&](OperandRange range, StringRef name) -> LogicalResult {
    if (range.size() == numParams)
      return success();
    return op.emitOpError("expects one ")
           << name << " per param, got " << range.size() << " for " << numParams
           << " params";
  };
  if (failed(checkCount(op.getGrads(), "grad")) ||
      failed(checkCount(op.getExpAvgs(), "exp_avg")) ||
      failed(checkCount(op.getExpAvgSqs(), "exp_avg_sq")))
    return failure();
  if (op.getAmsgrad() && op.getMaxExpAvgSqs().empty())
    return op.emitOpError("'amsgrad' requires max_exp_avg_sq operands");
  if (!op.getAmsgrad() && !op.getMaxExpAvgSqs().empty())
    return op.emitOpError("max_exp_avg_sq operands given without 'amsgrad'");
  if (op.getAmsgrad() &&
      failed(checkCount(op.getMaxExpAvgSqs(), "max_exp_avg_sq")))
    return failure();

  // Element types and shapes, per group.
  bool tensorForm = isa<RankedTensorType>(op.getParams()[0].getType());
  FloatType computeType;
  for (size_t i = 0; i < numParams; ++i) {
    auto paramType = cast<ShapedType>(op.getParams()[i].getType());
    Type elementType = paramType.getElementType();
    if (!isSupportedParamElementType(elementType))
      return op.emitOpError("param #")
             << i << " has unsupported element type " << elementType
             << " (expected f16, bf16, f32 or f64)";
    FloatType groupComputeType = getComputeType(elementType);
    if (!computeType)
      computeType = groupComputeType;
    else if (computeType != groupComputeType)
      return op.emitOpError("param #")
             << i << " computes in " << groupComputeType
             << " but param #0 computes in " << computeType
             << "; a group shares one compute type";

    auto checkOperand = [&](Value value, StringRef name,
                            Type expectedElementType) -> LogicalResult {
      auto type = cast<ShapedType>(value.getType());
      if (isa<RankedTensorType>(type) != tensorForm)
        return op.emitOpError(name)
               << " #" << i << " is a " << (tensorForm ? "memref" : "tensor")
               << " but param #0 is a " << (tensorForm ? "tensor" : "memref")
               << "; mixed tensor and memref operands are not allowed";
      if (type.getShape() != paramType.getShape())
        return op.emitOpError(name)
               << " #" << i << " has type " << type
               << " whose shape does not match param type " << paramType;
      if (type.getElementType() != expectedElementType)
        return op.emitOpError(name)
               << " #" << i << " has element type " << type.getElementType()
               << ", expected " << expectedElementType;
      return success();
    };
    if (failed(checkOperand(op.getParams()[i], "param", elementType)) ||
        failed(checkOperand(op.getGrads()[i], "grad", elementType)) ||
        failed(checkOperand(op.getExpAvgs()[i], "exp_avg", computeType)) ||
        failed(checkOperand(op.getExpAvgSqs()[i], "exp_avg_sq", computeType)))
      return failure();
    if (op.getAmsgrad() && failed(checkOperand(op.getMaxExpAvgSqs()[i],
                                               "max_exp_avg_sq", computeType)))
      return failure();
  }

  // Scalars share the compute type.
  std::pair<Value, StringRef> scalars[] = {
      {op.getLr(), "lr"},
      {op.getBeta1(), "beta1"},
      {op.getBeta2(), "beta2"},
      {op.getEps(), "eps"},
      {op.getWeightDecay(), "weight_decay"},
      {op.getBeta1Power(), "beta1_power"},
      {op.getBeta2Power(), "beta2_power"},
      {op.getRescaleGrad(), "rescale_grad"},
      {op.getClipGradient(), "clip_gradient"},
      {op.getGradScale(), "grad_scale"},
      {op.getFoundInf(), "found_inf"}};
  // One scalar type for all: the compute type, or f64 so that the scalar
  // work (1 - beta, bias corrections) sees the caller's exact values.
  Type scalarType = op.getLr().getType();
  if (scalarType != computeType && !scalarType.isF64())
    return op.emitOpError("'lr' must have the compute type ")
           << computeType << " or f64, got " << scalarType;
  for (auto [value, name] : scalars)
    if (value && value.getType() != scalarType)
      return op.emitOpError("'")
             << name << "' must have the scalar type " << scalarType
             << " (the type of 'lr'), got " << value.getType();
  if (Value step = op.getStep())
    if (isa<FloatType>(step.getType()) && step.getType() != scalarType)
      return op.emitOpError("a float 'step' must have the scalar type ")
             << scalarType << ", got " << step.getType();

  // The step count or the beta powers, exactly one of them.
  bool hasPowers = op.getBeta1Power() && op.getBeta2Power();
  if (bool(op.getBeta1Power()) != bool(op.getBeta2Power()))
    return op.emitOpError(
        "expects both 'beta1_power' and 'beta2_power', or neither");
  if (op.getStep() && hasPowers)
    return op.emitOpError("expects a 'step' count or 'beta_powers', not both");
  if (!op.getStep() && !hasPowers &&
      op.getBiasCorrection() != BiasCorrection::none)
    return op.emitOpError("bias correction '")
           << stringifyBiasCorrection(op.getBiasCorrection())
           << "' needs a 'step' count or 'beta_powers'";

  // In place, a buffer that is updated twice would race with itself.
  if (!tensorForm) {
    llvm::SmallPtrSet<Value, 8> seen;
    for (Value init : op->getOperands().drop_front(
             op->getNumOperands() -
             cast<DestinationStyleOpInterface>(op.getOperation())
                 .getNumDpsInits()))
      if (!seen.insert(init).second)
        return op.emitOpError("updates the same buffer twice; params and "
                              "moments must be distinct");
  }

  // Constant hyperparameters out of range.
  auto checkRange = [&](Value value, StringRef name, double lo, double hi,
                        bool hiInclusive, StringRef range) -> LogicalResult {
    std::optional<double> c = getConstantFloat(value);
    if (!c || (*c >= lo && (hiInclusive ? *c <= hi : *c < hi)))
      return success();
    return op.emitOpError("'")
           << name << "' must be " << range << ", got " << formatValue(*c);
  };
  constexpr double inf = std::numeric_limits<double>::infinity();
  if (failed(checkRange(op.getLr(), "lr", 0, inf, true, "non-negative")) ||
      failed(checkRange(op.getEps(), "eps", 0, inf, true, "non-negative")) ||
      failed(checkRange(op.getBeta1(), "beta1", 0, 1, false, "in [0, 1)")) ||
      failed(checkRange(op.getBeta2(), "beta2", 0, 1, false, "in [0, 1)")) ||
      failed(checkRange(op.getWeightDecay(), "weight_decay", 0, inf, true,
                        "non-negative")) ||
      failed(checkRange(op.getBeta1Power(), "beta1_power", 0, 1, false,
                        "in [0, 1)")) ||
      failed(checkRange(op.getBeta2Power(), "beta2_power", 0, 1, false,
                        "in [0, 1)")))
    return failure();
  if (std::optional<double> scale = getConstantFloat(op.getGradScale()))
    if (!(*scale > 0))
      return op.emitOpError("'grad_scale' must be positive, got ")
             << formatValue(*scale);
  if (Value step = op.getStep()) {
    std::optional<double> t = getConstantFloat(step);
    if (!t)
      if (std::optional<int64_t> i = getConstantInt(step))
        t = static_cast<double>(*i);
    if (t && !(*t >= 1))
      return op.emitOpError("'step' must be >= 1, got ") << formatValue(*t);
  }
  return success();
}

LogicalResult AdamOp::verify() { return verifyAdamStepOp(*this); }
LogicalResult AdamWOp::verify() { return verifyAdamStepOp(*this); }

//===----------------------------------------------------------------------===//
// Interfaces
//===----------------------------------------------------------------------===//

WeightDecayMode AdamOp::getWeightDecayMode() {
  return getWeightDecay() ? WeightDecayMode::l2 : WeightDecayMode::none;
}
WeightDecayMode AdamWOp::getWeightDecayMode() {
  return WeightDecayMode::decoupled;
}

FloatType AdamOp::getComputeType() {
  return optim::getComputeType(getElementTypeOrSelf(getParams()[0].getType()));
}
FloatType AdamWOp::getComputeType() {
  return optim::getComputeType(getElementTypeOrSelf(getParams()[0].getType()));
}

/// The state (params, exp_avgs, exp_avg_sqs, max_exp_avg_sqs) is the
/// destination; it forms the trailing operand segments.
template <typename OpTy> static MutableOperandRange getStateOperands(OpTy op) {
  unsigned start = op.getODSOperandIndexAndLength(kParams).first;
  return MutableOperandRange(op.getOperation(), start,
                             op->getNumOperands() - start);
}

MutableOperandRange AdamOp::getDpsInitsMutable() {
  return getStateOperands(*this);
}
MutableOperandRange AdamWOp::getDpsInitsMutable() {
  return getStateOperands(*this);
}

/// Memref form: reads every buffer, writes the state. Tensor form: pure.
static void getAdamStepEffects(
    DestinationStyleOpInterface op,
    SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>>
        &effects) {
  for (OpOperand &operand : op->getOpOperands()) {
    if (!isa<MemRefType>(operand.get().getType()))
      continue;
    effects.emplace_back(MemoryEffects::Read::get(), &operand,
                         SideEffects::DefaultResource::get());
    if (op.isDpsInit(&operand))
      effects.emplace_back(MemoryEffects::Write::get(), &operand,
                           SideEffects::DefaultResource::get());
  }
}

void AdamOp::getEffects(
    SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>>
        &effects) {
  getAdamStepEffects(*this, effects);
}
void AdamWOp::getEffects(
    SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>>
        &effects) {
  getAdamStepEffects(*this, effects);
}

//===----------------------------------------------------------------------===//
// Canonicalization
//===----------------------------------------------------------------------===//

namespace {
/// Removes optional operands whose constant value makes them the identity:
/// found_inf = 0, rescale_grad = 1, grad_scale = 1, a negative clip_gradient
/// (clipping disabled) and, for Adam, an L2 weight_decay of 0.
template <typename OpTy> struct DropNeutralOperands : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    bool changed = false;
    // Each range is fetched just before it is cleared: clearing one segment
    // shifts the operands of the segments after it.
    auto dropIf = [&](Value value, bool (*neutral)(double),
                      llvm::function_ref<MutableOperandRange()> range) {
      std::optional<double> c = getConstantFloat(value);
      if (!c || !neutral(*c))
        return;
      rewriter.modifyOpInPlace(op, [&] { range().clear(); });
      changed = true;
    };
    dropIf(
        op.getFoundInf(), [](double x) { return x == 0; },
        [&] { return op.getFoundInfMutable(); });
    dropIf(
        op.getRescaleGrad(), [](double x) { return x == 1; },
        [&] { return op.getRescaleGradMutable(); });
    dropIf(
        op.getGradScale(), [](double x) { return x == 1; },
        [&] { return op.getGradScaleMutable(); });
    dropIf(
        op.getClipGradient(), [](double x) { return x < 0; },
        [&] { return op.getClipGradientMutable(); });
    if constexpr (std::is_same_v<OpTy, AdamOp>)
      dropIf(
          op.getWeightDecay(), [](double x) { return x == 0; },
          [&] { return op.getWeightDecayMutable(); });
    return success(changed);
  }
};

/// A step whose constant found_inf is non-zero changes nothing.
template <typename OpTy> struct EraseSkippedStep : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    std::optional<double> foundInf = getConstantFloat(op.getFoundInf());
    if (!foundInf || *foundInf == 0)
      return failure();
    SmallVector<Value> unchanged;
    for (OpOperand &init : op.getDpsInitsMutable())
      if (isa<RankedTensorType>(init.get().getType()))
        unchanged.push_back(init.get());
    rewriter.replaceOp(op, unchanged);
    return success();
  }
};
} // namespace

void AdamOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                         MLIRContext *context) {
  results.add<DropNeutralOperands<AdamOp>, EraseSkippedStep<AdamOp>>(context);
}
void AdamWOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                          MLIRContext *context) {
  results.add<DropNeutralOperands<AdamWOp>, EraseSkippedStep<AdamWOp>>(context);
}

#define GET_OP_CLASSES
#include "optim/Dialect/Optim/IR/OptimOps.cpp.inc"
