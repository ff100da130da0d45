//===- OptimOps.cpp - optim operations ------------------------------------===//
//
// What ODS cannot say about optim.adam and optim.adamw, written once for both:
// the parameter-group directive of the assembly format, the verifier, result
// type inference, the destination-style and memory-effect interfaces, and
// canonicalisation. OptimOps.td wires each into both ops.
//
//===----------------------------------------------------------------------===//

#include "optim/Dialect/Optim/IR/OptimOps.h"
#include "optim/Support/BlockwiseQuant.h"
#include "optim/Support/ScalarChecks.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/MathExtras.h"

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

bool mlir::optim::isQuantizedMomentType(Type momentType) {
  return getElementTypeOrSelf(momentType).isSignlessInteger(8);
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
// Assembly format: custom directives
//===----------------------------------------------------------------------===//

/// The parameter groups,
///
///   (%p, %g, %m, %v[, %vmax]) [absmax(%am, %av)] : <param type> [, ...]*
///
/// each split into the per-role operand segments. A group's types are spelled
/// as a parenthesised list (absmaxes last) when they differ from the
/// defaults: grads of the param type, moments of getMomentType. 8-bit
/// moments always differ, so a group with `absmax` spells its types.
static ParseResult parseParamGroups(
    OpAsmParser &parser,
    SmallVectorImpl<OpAsmParser::UnresolvedOperand> &params,
    SmallVectorImpl<OpAsmParser::UnresolvedOperand> &grads,
    SmallVectorImpl<OpAsmParser::UnresolvedOperand> &expAvgs,
    SmallVectorImpl<OpAsmParser::UnresolvedOperand> &expAvgSqs,
    SmallVectorImpl<OpAsmParser::UnresolvedOperand> &maxExpAvgSqs,
    SmallVectorImpl<OpAsmParser::UnresolvedOperand> &expAvgAbsmaxes,
    SmallVectorImpl<OpAsmParser::UnresolvedOperand> &expAvgSqAbsmaxes,
    SmallVectorImpl<Type> &paramTypes, SmallVectorImpl<Type> &gradTypes,
    SmallVectorImpl<Type> &expAvgTypes, SmallVectorImpl<Type> &expAvgSqTypes,
    SmallVectorImpl<Type> &maxExpAvgSqTypes,
    SmallVectorImpl<Type> &expAvgAbsmaxTypes,
    SmallVectorImpl<Type> &expAvgSqAbsmaxTypes) {
  SmallVectorImpl<OpAsmParser::UnresolvedOperand> *roles[] = {
      &params, &grads, &expAvgs, &expAvgSqs, &maxExpAvgSqs};
  SmallVectorImpl<Type> *roleTypes[] = {&paramTypes, &gradTypes, &expAvgTypes,
                                        &expAvgSqTypes, &maxExpAvgSqTypes};
  return parser.parseCommaSeparatedList([&]() -> ParseResult {
    SMLoc loc = parser.getCurrentLocation();
    SmallVector<OpAsmParser::UnresolvedOperand, 5> group;
    if (parser.parseOperandList(group, OpAsmParser::Delimiter::Paren))
      return failure();
    if (group.size() != 4 && group.size() != 5)
      return parser.emitError(loc, "expected (param, grad, exp_avg, "
                                   "exp_avg_sq[, max_exp_avg_sq])");
    SmallVector<OpAsmParser::UnresolvedOperand, 2> absmaxes;
    if (succeeded(parser.parseOptionalKeyword("absmax"))) {
      SMLoc absmaxLoc = parser.getCurrentLocation();
      if (parser.parseOperandList(absmaxes, OpAsmParser::Delimiter::Paren))
        return failure();
      if (absmaxes.size() != 2)
        return parser.emitError(absmaxLoc,
                                "expected absmax(exp_avg absmax, "
                                "exp_avg_sq absmax)");
    }
    if (parser.parseColon())
      return failure();
    size_t numTypes = group.size() + absmaxes.size();
    SmallVector<Type, 7> groupTypes;
    if (succeeded(parser.parseOptionalLParen())) {
      if (parser.parseTypeList(groupTypes) || parser.parseRParen())
        return failure();
      if (groupTypes.size() != numTypes)
        return parser.emitError(loc, "expected ")
               << numTypes << " types, got " << groupTypes.size();
      for (auto [k, type] : llvm::enumerate(groupTypes)) {
        auto shaped = dyn_cast<ShapedType>(type);
        Type element = shaped ? shaped.getElementType() : Type();
        // Moments may hold i8 codes; the verifier says where they fit.
        bool codes = (k == 2 || k == 3) && element &&
                     element.isSignlessInteger(8);
        if (!shaped || !shaped.hasRank() ||
            (!codes && !getComputeType(element)))
          return parser.emitError(loc, "expected ranked tensors or memrefs "
                                       "of f16, bf16, f32 or f64 (or i8 "
                                       "moment codes), got ")
                 << type;
      }
    } else {
      if (!absmaxes.empty())
        return parser.emitError(loc, "a group with 'absmax' spells its "
                                     "types as a parenthesised list");
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
    for (auto [operand, type, role, roleType] :
         llvm::zip(group, groupTypes, roles, roleTypes)) {
      role->push_back(operand);
      roleType->push_back(type);
    }
    if (!absmaxes.empty()) {
      expAvgAbsmaxes.push_back(absmaxes[0]);
      expAvgSqAbsmaxes.push_back(absmaxes[1]);
      expAvgAbsmaxTypes.push_back(groupTypes[group.size()]);
      expAvgSqAbsmaxTypes.push_back(groupTypes[group.size() + 1]);
    }
    return success();
  });
}

static void printParamGroups(
    OpAsmPrinter &p, Operation *, OperandRange params, OperandRange grads,
    OperandRange expAvgs, OperandRange expAvgSqs, OperandRange maxExpAvgSqs,
    OperandRange expAvgAbsmaxes, OperandRange expAvgSqAbsmaxes,
    TypeRange paramTypes, TypeRange gradTypes, TypeRange expAvgTypes,
    TypeRange expAvgSqTypes, TypeRange maxExpAvgSqTypes,
    TypeRange expAvgAbsmaxTypes, TypeRange expAvgSqAbsmaxTypes) {
  // A verified op has equal counts; anything else prints generically.
  size_t numGroups =
      std::min({params.size(), grads.size(), expAvgs.size(), expAvgSqs.size()});
  size_t nextAbsmax = 0;
  for (size_t i = 0; i < numGroups; ++i) {
    SmallVector<Value, 5> group = {params[i], grads[i], expAvgs[i],
                                   expAvgSqs[i]};
    SmallVector<Type, 7> types = {paramTypes[i], gradTypes[i], expAvgTypes[i],
                                  expAvgSqTypes[i]};
    if (i < maxExpAvgSqs.size()) {
      group.push_back(maxExpAvgSqs[i]);
      types.push_back(maxExpAvgSqTypes[i]);
    }
    if (i > 0)
      p << ", ";
    p << "(";
    p.printOperands(group);
    p << ")";
    // The k-th group with 8-bit moments owns the k-th absmaxes.
    if (isQuantizedMomentType(types[2]) &&
        nextAbsmax < std::min(expAvgAbsmaxes.size(),
                              expAvgSqAbsmaxes.size())) {
      p << " absmax(" << expAvgAbsmaxes[nextAbsmax] << ", "
        << expAvgSqAbsmaxes[nextAbsmax] << ")";
      types.push_back(expAvgAbsmaxTypes[nextAbsmax]);
      types.push_back(expAvgSqAbsmaxTypes[nextAbsmax]);
      ++nextAbsmax;
    }
    p << " : ";
    Type momentType = getMomentType(types[0]);
    bool defaultTypes =
        types.size() == group.size() && types[1] == types[0] &&
        llvm::all_of(ArrayRef(types).drop_front(2),
                     [&](Type type) { return type == momentType; });
    if (defaultTypes) {
      p << types[0];
      continue;
    }
    p << "(";
    llvm::interleaveComma(types, p);
    p << ")";
  }
}

/// An enum attribute as its bare keyword: `folded` in `bias_correction(folded)`
/// (the generic form spells the attribute `#optim.bias_correction<folded>`).
template <typename EnumAttrT>
static ParseResult parseEnumKeyword(OpAsmParser &parser, EnumAttrT &attr) {
  using EnumT = decltype(std::declval<EnumAttrT>().getValue());
  SMLoc loc = parser.getCurrentLocation();
  StringRef keyword;
  if (parser.parseKeyword(&keyword))
    return failure();
  if (std::optional<EnumT> value = symbolizeEnum<EnumT>(keyword)) {
    attr = EnumAttrT::get(parser.getContext(), *value);
    return success();
  }
  // The cases are numbered from 0; stringifyEnum is empty past the last.
  std::string expected;
  for (uint32_t i = 0; !stringifyEnum(static_cast<EnumT>(i)).empty(); ++i)
    expected += (i ? ", " : "") + stringifyEnum(static_cast<EnumT>(i)).str();
  return parser.emitError(loc, "unknown ")
         << EnumAttrT::getMnemonic() << " '" << keyword << "' (expected "
         << expected << ")";
}

template <typename EnumAttrT>
static void printEnumKeyword(OpAsmPrinter &p, Operation *, EnumAttrT attr) {
  p << stringifyEnum(attr.getValue());
}

/// The float scalar type, ` scalar_type(<type>)` where it is not the compute
/// type of the parameters. The operand traits give every float scalar the
/// type of `lr`.
static ParseResult parseScalarType(OpAsmParser &parser,
                                   ArrayRef<Type> paramTypes, Type &lrType) {
  if (succeeded(parser.parseOptionalKeyword("scalar_type")))
    return failure(parser.parseLParen() || parser.parseType(lrType) ||
                   parser.parseRParen());
  // The directive follows the groups, so there is at least one parameter, of
  // a supported type.
  lrType = getComputeType(getElementTypeOrSelf(paramTypes.front()));
  return success();
}

static void printScalarType(OpAsmPrinter &p, Operation *, TypeRange paramTypes,
                            Type lrType) {
  if (paramTypes.empty() ||
      lrType != getComputeType(getElementTypeOrSelf(paramTypes.front())))
    p << " scalar_type(" << lrType << ")";
}

//===----------------------------------------------------------------------===//
// Verifier
//===----------------------------------------------------------------------===//

/// The value of a float constant operand.
static std::optional<double> getConstantFloat(Value value) {
  FloatAttr attr;
  if (value && matchPattern(value, m_Constant(&attr)))
    return attr.getValueAsDouble();
  return std::nullopt;
}

/// The value of a constant step count, integer (of any width) or float.
static std::optional<double> getConstantStep(Value value) {
  if (std::optional<double> t = getConstantFloat(value))
    return t;
  IntegerAttr attr;
  if (!value || !matchPattern(value, m_Constant(&attr)))
    return std::nullopt;
  // Through APFloat: APInt::signedRoundToDouble is wrong beyond 64 bits.
  APFloat t(APFloat::IEEEdouble());
  t.convertFromAPInt(attr.getValue(), /*IsSigned=*/true,
                     APFloat::rmNearestTiesToEven);
  return t.convertToDouble();
}

/// Constant scalars must pass the checks the runtime applies to the same
/// values (optim/Support/ScalarChecks.h), in the step's compute type.
static LogicalResult verifyConstantScalars(AdamStepOpInterface op,
                                           FloatType computeType) {
  ::optim::ComputeType type = computeType.isF64() ? ::optim::ComputeType::f64
                                                  : ::optim::ComputeType::f32;
  using ::optim::ScalarRole;
  std::pair<ScalarRole, Value> scalars[] = {
      {ScalarRole::Lr, op.getLr()},
      {ScalarRole::Beta1, op.getBeta1()},
      {ScalarRole::Beta2, op.getBeta2()},
      {ScalarRole::Eps, op.getEps()},
      {ScalarRole::WeightDecay, op.getWeightDecay()},
      {ScalarRole::Beta1Power, op.getBeta1Power()},
      {ScalarRole::Beta2Power, op.getBeta2Power()},
      {ScalarRole::RescaleGrad, op.getRescaleGrad()},
      {ScalarRole::ClipGradient, op.getClipGradient()},
      {ScalarRole::GradScale, op.getGradScale()},
      {ScalarRole::FoundInf, op.getFoundInf()},
      {ScalarRole::MaxGradNorm, op.getMaxGradNorm()}};
  for (auto [role, value] : scalars) {
    std::optional<double> c = getConstantFloat(value);
    if (!c)
      continue;
    if (std::optional<std::string> error = ::optim::checkScalar(role, *c, type))
      return op.emitOpError("'")
             << ::optim::stringifyScalarRole(role) << "' " << *error;
  }
  if (std::optional<double> t = getConstantStep(op.getStep()))
    if (std::optional<std::string> error = ::optim::checkStepCount(*t))
      return op.emitOpError("'step' ") << *error;
  return success();
}

/// 8-bit blockwise moments: both moments of a parameter or neither, no
/// AMSGrad, and per 8-bit parameter (in order) one 1-d f32 absmax per moment
/// with an entry per block of 256 elements.
static LogicalResult verifyQuantizedMoments(AdamStepOpInterface op,
                                            bool tensorForm) {
  SmallVector<size_t> quantized;
  for (auto [i, m, v] :
       llvm::enumerate(op.getExpAvgs(), op.getExpAvgSqs())) {
    bool codesM = isQuantizedMomentType(m.getType());
    bool codesV = isQuantizedMomentType(v.getType());
    if (codesM != codesV)
      return op.emitOpError(codesM ? "exp_avg" : "exp_avg_sq")
             << " #" << i << " holds 8-bit codes but "
             << (codesM ? "exp_avg_sq" : "exp_avg") << " #" << i
             << " does not; a parameter's two moments are coded together";
    if (codesM)
      quantized.push_back(i);
  }
  if (!quantized.empty() && op.getAmsgrad())
    return op.emitOpError("8-bit moments (exp_avg #")
           << quantized.front() << ") do not support 'amsgrad'";
  std::pair<OperandRange, StringRef> roles[] = {
      {op.getExpAvgAbsmaxes(), "exp_avg"},
      {op.getExpAvgSqAbsmaxes(), "exp_avg_sq"}};
  for (auto [absmaxes, role] : roles) {
    if (absmaxes.size() != quantized.size())
      return op.emitOpError("expects one ")
             << role << " absmax per parameter with 8-bit moments, got "
             << absmaxes.size() << " for " << quantized.size();
    for (auto [k, absmax] : llvm::enumerate(absmaxes)) {
      size_t i = quantized[k];
      auto type = cast<ShapedType>(absmax.getType());
      auto paramType = cast<ShapedType>(op.getParams()[i].getType());
      if (isa<RankedTensorType>(type) != tensorForm)
        return op.emitOpError(role)
               << " absmax of param #" << i << " is a "
               << (tensorForm ? "memref" : "tensor") << " but param #0 is a "
               << (tensorForm ? "tensor" : "memref");
      bool shapeKnown = paramType.hasStaticShape();
      int64_t blocks =
          shapeKnown ? ::optim::getNumQuantBlocks(paramType.getNumElements())
                     : ShapedType::kDynamic;
      bool sizeOk = type.getRank() == 1 &&
                    (type.isDynamicDim(0) || !shapeKnown ||
                     type.getDimSize(0) == blocks);
      if (!type.getElementType().isF32() || !sizeOk) {
        InFlightDiagnostic diag =
            op.emitOpError(role) << " absmax of param #" << i << " has type "
                                 << type << ", expected a 1-d f32 "
                                 << (tensorForm ? "tensor" : "memref");
        if (shapeKnown)
          diag << " of " << blocks << " elements (one per block of "
               << ::optim::kQuantBlockSize << ")";
        return diag;
      }
    }
  }
  return success();
}

/// True when a static shape has more elements than an int64_t counts:
/// ShapedType::getNumElements would overflow, and the lowering flattens
/// every operand to that many elements.
static bool hasTooManyElements(ShapedType type) {
  int64_t count = 1;
  for (int64_t dim : type.getShape())
    if (!ShapedType::isDynamic(dim) && llvm::MulOverflow(count, dim, count))
      return true;
  return false;
}

/// ODS checks that an optional group has at most one operand, but not that
/// a required one has exactly one: a generic op could give `eps` none and
/// `weight_decay` two, and getEps() then read the decay. The groups are in
/// the order of Optim_AdamStepOp's arguments: grads, lr, beta1, beta2, eps,
/// weight_decay (required in optim.adamw), ...
template <typename OpT>
static LogicalResult verifyRequiredScalarGroups(OpT op, size_t numRequired) {
  static constexpr const char *kRequired[] = {"lr", "beta1", "beta2", "eps",
                                              "weight_decay"};
  ArrayRef<int32_t> sizes = op.getProperties().operandSegmentSizes;
  for (size_t i = 0; i < numRequired; ++i)
    if (sizes[i + 1] != 1)
      return op.emitOpError("requires exactly one '")
             << kRequired[i] << "' operand, got " << sizes[i + 1];
  return success();
}

static LogicalResult verifyRequiredScalarGroups(Operation *operation) {
  if (auto adamw = dyn_cast<AdamWOp>(operation))
    return verifyRequiredScalarGroups(adamw, 5);
  return verifyRequiredScalarGroups(cast<AdamOp>(operation), 4);
}

LogicalResult mlir::optim::detail::verifyAdamStepOp(Operation *operation) {
  auto op = cast<AdamStepOpInterface>(operation);
  if (failed(verifyRequiredScalarGroups(operation)))
    return failure();
  // Parsing fills in the defaults, but C++ can still store a null (setAttr
  // with an attribute of the wrong kind); everything below reads them.
  for (StringRef name : {"bias_correction", "decay_rate"}) {
    std::optional<Attribute> attr = operation->getInherentAttr(name);
    if (attr && !*attr)
      return op.emitOpError("requires attribute '") << name << "'";
  }
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
  bool tensorForm = op.isTensorForm();
  FloatType computeType;
  for (size_t i = 0; i < numParams; ++i) {
    auto paramType = cast<ShapedType>(op.getParams()[i].getType());
    Type elementType = paramType.getElementType();
    FloatType groupComputeType = getComputeType(elementType);
    if (!groupComputeType)
      return op.emitOpError("param #")
             << i << " has unsupported element type " << elementType
             << " (expected f16, bf16, f32 or f64)";
    if (hasTooManyElements(paramType))
      return op.emitOpError("param #")
             << i << " has type " << paramType
             << ", more elements than a 64-bit count holds";
    if (!computeType)
      computeType = groupComputeType;
    else if (computeType != groupComputeType)
      return op.emitOpError("param #")
             << i << " computes in " << groupComputeType
             << " but param #0 computes in " << computeType
             << "; a group shares one compute type";

    // Moments are stored in the compute type or, for an f32 step, in bf16
    // (decoded on load, rounded to nearest even on store).
    Type bf16 = BFloat16Type::get(op.getContext());
    bool isMoment = false, mayBeCodes = false;
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
      Type got = type.getElementType();
      if (got == expectedElementType)
        return success();
      bool bf16Storage = isMoment && computeType.isF32();
      if (bf16Storage && got == bf16)
        return success();
      bool codes = mayBeCodes && computeType.isF32();
      if (codes && got.isSignlessInteger(8))
        return success();
      InFlightDiagnostic diag = op.emitOpError(name)
                                << " #" << i << " has element type " << got
                                << ", expected " << expectedElementType;
      if (bf16Storage)
        diag << (codes ? ", 'bf16' or 'i8' (moment storage)"
                       : " or 'bf16' (moment storage)");
      return diag;
    };
    if (failed(checkOperand(op.getParams()[i], "param", elementType)) ||
        failed(checkOperand(op.getGrads()[i], "grad", elementType)))
      return failure();
    isMoment = mayBeCodes = true;
    if (failed(checkOperand(op.getExpAvgs()[i], "exp_avg", computeType)) ||
        failed(checkOperand(op.getExpAvgSqs()[i], "exp_avg_sq", computeType)))
      return failure();
    mayBeCodes = false;
    if (op.getAmsgrad() && failed(checkOperand(op.getMaxExpAvgSqs()[i],
                                               "max_exp_avg_sq", computeType)))
      return failure();
  }
  if (failed(verifyQuantizedMoments(op, tensorForm)))
    return failure();

  // ODS makes every float scalar the type of `lr`: the compute type, or f64
  // so that the scalar work (1 - beta, bias corrections) sees the caller's
  // exact values.
  Type scalarType = op.getLr().getType();
  if (scalarType != computeType && !scalarType.isF64())
    return op.emitOpError("'lr' must have the compute type ")
           << computeType << " or f64, got " << scalarType;
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
  // Without bias correction they would be read by nothing: most likely the
  // producer meant a corrected step.
  if (op.getBiasCorrection() == BiasCorrection::none &&
      (op.getStep() || hasPowers))
    return op.emitOpError("bias correction 'none' reads no ")
           << (op.getStep() ? "'step' count" : "'beta_powers'")
           << "; drop it or choose 'standard' or 'folded'";

  // Global-norm clipping: the norm and its bound come together.
  if (bool(op.getGradNorm()) != bool(op.getMaxGradNorm()))
    return op.emitOpError(
        "expects both 'grad_norm' and 'max_grad_norm', or neither");
  if (op.getSkipNonfiniteNorm() && !op.getGradNorm())
    return op.emitOpError("'skip_nonfinite_norm' requires "
                          "'clip_grad_norm(grad_norm, max_grad_norm)'");

  // Stochastic rounding: the seed and offset come together (the assembly
  // format enforces it, a builder might not), and only bf16 is rounded.
  if (bool(op.getRoundingSeed()) != bool(op.getRoundingOffset()))
    return op.emitOpError(
        "expects both 'rounding_seed' and 'rounding_offset', or neither");
  if (bool(op.getRoundingStream()) != bool(op.getRoundingElement()))
    return op.emitOpError(
        "expects both 'rounding_stream' and 'rounding_element', or neither");
  if (op.getRoundingStream() && !op.getRoundingSeed())
    return op.emitOpError("'rounding_origin' requires "
                          "'stochastic_rounding(seed, offset)'");
  if (op.getRoundingSeed())
    for (auto [i, param] : llvm::enumerate(op.getParams()))
      if (!getElementTypeOrSelf(param.getType()).isBF16())
        return op.emitOpError("'stochastic_rounding' rounds bf16 parameters, "
                              "but param #")
               << i << " has element type "
               << getElementTypeOrSelf(param.getType());

  // A buffer updated twice in place is refused by the lowering, not here:
  // CSE may merge two identical views into one value, and a verifier must
  // not turn valid IR invalid after a transformation.

  return verifyConstantScalars(op, computeType);
}

//===----------------------------------------------------------------------===//
// GlobalNormOp
//===----------------------------------------------------------------------===//

LogicalResult GlobalNormOp::verify() {
  if (getGrads().empty())
    return emitOpError("expects at least one grad");
  FloatType computeType;
  bool tensorForm = isa<RankedTensorType>(getGrads().front().getType());
  for (auto [i, grad] : llvm::enumerate(getGrads())) {
    if (isa<RankedTensorType>(grad.getType()) != tensorForm)
      return emitOpError("grad #")
             << i << " is a " << (tensorForm ? "memref" : "tensor")
             << " but grad #0 is a " << (tensorForm ? "tensor" : "memref")
             << "; mixed tensor and memref operands are not allowed";
    Type elementType = getElementTypeOrSelf(grad.getType());
    FloatType gradComputeType = getComputeType(elementType);
    if (!gradComputeType)
      return emitOpError("grad #")
             << i << " has unsupported element type " << elementType
             << " (expected f16, bf16, f32 or f64)";
    if (hasTooManyElements(cast<ShapedType>(grad.getType())))
      return emitOpError("grad #")
             << i << " has type " << grad.getType()
             << ", more elements than a 64-bit count holds";
    if (!computeType)
      computeType = gradComputeType;
    else if (gradComputeType != computeType)
      return emitOpError("grad #") << i << " computes in " << gradComputeType
                                   << " but grad #0 computes in " << computeType
                                   << "; the norm has one compute type";
  }
  Type normType = getNorm().getType();
  if (normType != computeType && !normType.isF64())
    return emitOpError("result 'norm' must have the compute type ")
           << computeType << " or f64, got " << normType;
  if (std::optional<double> scale = getConstantFloat(getGradScale())) {
    ::optim::ComputeType type = computeType.isF64() ? ::optim::ComputeType::f64
                                                    : ::optim::ComputeType::f32;
    if (std::optional<std::string> error =
            ::optim::checkScalar(::optim::ScalarRole::GradScale, *scale, type))
      return emitOpError("'grad_scale' ") << *error;
  }
  return success();
}

/// Reads its memref gradients; pure on tensors.
void GlobalNormOp::getEffects(
    SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>>
        &effects) {
  for (OpOperand &operand : getGradsMutable())
    if (isa<MemRefType>(operand.get().getType()))
      effects.emplace_back(MemoryEffects::Read::get(), &operand,
                           SideEffects::DefaultResource::get());
}

//===----------------------------------------------------------------------===//
// Interfaces
//===----------------------------------------------------------------------===//

namespace mlir::optim::detail {

/// Destination style: one result per tensor init, in operand order.
static void inferAdamStepResultTypes(ArrayRef<ValueRange> stateRanges,
                                     SmallVectorImpl<Type> &resultTypes) {
  for (ValueRange range : stateRanges)
    for (Type type : range.getTypes())
      if (isa<RankedTensorType>(type))
        resultTypes.push_back(type);
}

/// The state (params, exp_avgs, exp_avg_sqs, max_exp_avg_sqs and the
/// absmaxes of 8-bit moments) is the destination; ODS declares it as the
/// trailing operand segments.
static MutableOperandRange getAdamStepStateOperands(AdamStepOpInterface op) {
  unsigned numState = op.getParams().size() + op.getExpAvgs().size() +
                      op.getExpAvgSqs().size() + op.getMaxExpAvgSqs().size() +
                      op.getExpAvgAbsmaxes().size() +
                      op.getExpAvgSqAbsmaxes().size();
  return MutableOperandRange(op, op->getNumOperands() - numState, numState);
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

//===----------------------------------------------------------------------===//
// Canonicalization
//===----------------------------------------------------------------------===//

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

template <typename OpTy>
static void populateAdamStepCanonicalizationPatterns(RewritePatternSet &results,
                                                     MLIRContext *context) {
  results.add<DropNeutralOperands<OpTy>, EraseSkippedStep<OpTy>>(context);
}

} // namespace mlir::optim::detail

#define GET_OP_CLASSES
#include "optim/Dialect/Optim/IR/OptimOps.cpp.inc"
