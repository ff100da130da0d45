//===- AdamVariant.cpp - the variants of the dialect's Adam-family ops ----===//

#include "optim/Dialect/Optim/Utils/AdamVariant.h"

using namespace mlir;
using namespace mlir::optim;

// The plain enums mirror the ODS cases value for value.
#define OPTIM_SAME_CASE(Enum, Case)                                            \
  static_assert(static_cast<uint32_t>(Enum::Case) ==                           \
                static_cast<uint32_t>(::optim::Enum::Case))
OPTIM_SAME_CASE(BiasCorrection, standard);
OPTIM_SAME_CASE(BiasCorrection, folded);
OPTIM_SAME_CASE(BiasCorrection, none);
OPTIM_SAME_CASE(WeightDecayMode, none);
OPTIM_SAME_CASE(WeightDecayMode, l2);
OPTIM_SAME_CASE(WeightDecayMode, decoupled);
OPTIM_SAME_CASE(DecayRate, lr);
OPTIM_SAME_CASE(DecayRate, effective);
#undef OPTIM_SAME_CASE

BiasCorrection mlir::optim::toIR(::optim::BiasCorrection value) {
  return static_cast<BiasCorrection>(value);
}
WeightDecayMode mlir::optim::toIR(::optim::WeightDecayMode value) {
  return static_cast<WeightDecayMode>(value);
}
DecayRate mlir::optim::toIR(::optim::DecayRate value) {
  return static_cast<DecayRate>(value);
}
::optim::BiasCorrection mlir::optim::fromIR(BiasCorrection value) {
  return static_cast<::optim::BiasCorrection>(value);
}
::optim::WeightDecayMode mlir::optim::fromIR(WeightDecayMode value) {
  return static_cast<::optim::WeightDecayMode>(value);
}
::optim::DecayRate mlir::optim::fromIR(DecayRate value) {
  return static_cast<::optim::DecayRate>(value);
}

AdamVariant mlir::optim::getAdamVariant(AdamStepOpInterface op) {
  AdamVariant v;
  v.biasCorrection = fromIR(op.getBiasCorrection());
  v.weightDecay = fromIR(op.getWeightDecayMode());
  v.decayRate = fromIR(op.getDecayRate());
  v.amsgrad = op.getAmsgrad();
  v.maximize = op.getMaximize();
  v.givenPowers = bool(op.getBeta1Power());
  v.rescaleGrad = bool(op.getRescaleGrad());
  v.clipGradient = bool(op.getClipGradient());
  v.gradScale = bool(op.getGradScale());
  v.foundInf = bool(op.getFoundInf());
  v.clipGradNorm = bool(op.getGradNorm());
  v.stochasticRounding = bool(op.getRoundingSeed());
  return v;
}

//===----------------------------------------------------------------------===//
// Builders
//===----------------------------------------------------------------------===//

/// The operands `variant` selects from `scalars`: without bias correction the
/// step is not needed; with it, exactly one of the count and the powers.
static StepScalars selectScalars(const AdamVariant &variant,
                                 const StepScalars &scalars) {
  StepScalars selected = scalars;
  if (variant.weightDecay == ::optim::WeightDecayMode::none)
    selected.weightDecay = {};
  bool needsStep = variant.biasCorrection != ::optim::BiasCorrection::none;
  bool powers = needsStep && variant.givenPowers;
  if (!needsStep || powers)
    selected.step = {};
  if (!powers)
    selected.beta1Power = selected.beta2Power = {};
  if (!variant.rescaleGrad)
    selected.rescaleGrad = {};
  if (!variant.clipGradient)
    selected.clipGradient = {};
  if (!variant.gradScale)
    selected.gradScale = {};
  if (!variant.foundInf)
    selected.foundInf = {};
  if (!variant.clipGradNorm)
    selected.gradNorm = selected.maxGradNorm = {};
  if (!variant.stochasticRounding)
    selected.roundingSeed = selected.roundingOffset = selected.roundingStream =
        selected.roundingElement = {};
  return selected;
}

AdamStepOpInterface mlir::optim::buildAdamStep(OpBuilder &builder, Location loc,
                                               const AdamVariant &variant,
                                               ArrayRef<ParamState> params,
                                               const StepScalars &scalars) {
  SmallVector<Value> ps, gs, ms, vs, vmaxs, ams, avs;
  for (const ParamState &state : params) {
    ps.push_back(state.param);
    gs.push_back(state.grad);
    ms.push_back(state.expAvg);
    vs.push_back(state.expAvgSq);
    if (variant.amsgrad)
      vmaxs.push_back(state.maxExpAvgSq);
    if (state.expAvgAbsmax) {
      ams.push_back(state.expAvgAbsmax);
      avs.push_back(state.expAvgSqAbsmax);
    }
  }
  StepScalars selected = selectScalars(variant, scalars);
  if (variant.weightDecay == ::optim::WeightDecayMode::decoupled)
    return AdamWOp::create(builder, loc, ps, gs, ms, vs, vmaxs, selected,
                           toIR(variant.biasCorrection), variant.amsgrad,
                           variant.maximize, toIR(variant.decayRate),
                           /*skipNonfiniteNorm=*/false, ams, avs);
  return AdamOp::create(builder, loc, ps, gs, ms, vs, vmaxs, selected,
                        toIR(variant.biasCorrection), variant.amsgrad,
                        variant.maximize, /*skipNonfiniteNorm=*/false, ams,
                        avs);
}

AdamStepOpInterface mlir::optim::buildPresetStep(OpBuilder &builder,
                                                 Location loc, Preset preset,
                                                 ArrayRef<ParamState> params,
                                                 const StepScalars &scalars,
                                                 const PresetOptions &options) {
  return buildAdamStep(builder, loc, getPresetVariant(preset, options), params,
                       scalars);
}
