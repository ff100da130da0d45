//===- AdamVariant.cpp - Adam-family variants and framework presets -------===//

#include "optim/Dialect/Optim/Utils/AdamVariant.h"

#include "llvm/ADT/StringSwitch.h"

using namespace mlir;
using namespace mlir::optim;

AdamVariant AdamVariant::get(AdamStepOpInterface op) {
  AdamVariant v;
  v.biasCorrection = op.getBiasCorrection();
  v.weightDecay = op.getWeightDecayMode();
  v.decayRate = op.getDecayRate();
  v.amsgrad = op.getAmsgrad();
  v.maximize = op.getMaximize();
  v.givenPowers = bool(op.getBeta1Power());
  v.rescaleGrad = bool(op.getRescaleGrad());
  v.clipGradient = bool(op.getClipGradient());
  v.gradScale = bool(op.getGradScale());
  v.foundInf = bool(op.getFoundInf());
  return v;
}

std::string AdamVariant::str() const {
  std::string s = weightDecay == WeightDecayMode::decoupled ? "adamw" : "adam";
  s += ".";
  s += stringifyBiasCorrection(biasCorrection);
  if (weightDecay == WeightDecayMode::l2)
    s += "+l2";
  if (weightDecay == WeightDecayMode::decoupled &&
      decayRate == DecayRate::effective)
    s += "+decay_effective";
  if (amsgrad)
    s += "+amsgrad";
  if (maximize)
    s += "+maximize";
  if (givenPowers)
    s += "+powers";
  if (rescaleGrad)
    s += "+rescale";
  if (clipGradient)
    s += "+clip";
  if (gradScale)
    s += "+gradscale";
  if (foundInf)
    s += "+foundinf";
  return s;
}

//===----------------------------------------------------------------------===//
// Presets
//===----------------------------------------------------------------------===//

AdamVariant mlir::optim::getPresetVariant(Preset preset,
                                          const PresetOptions &options) {
  AdamVariant v;
  v.amsgrad = options.amsgrad;
  v.maximize = options.maximize;
  switch (preset) {
  case Preset::TorchAdam:
    v.weightDecay = WeightDecayMode::l2;
    break;
  case Preset::TorchAdamW:
    v.weightDecay = WeightDecayMode::decoupled;
    break;
  case Preset::MindSporeAdamWeightDecay:
    v.biasCorrection = BiasCorrection::none;
    v.weightDecay = WeightDecayMode::decoupled;
    v.amsgrad = false;
    break;
  case Preset::MindSporeApplyAdamWithAmsgradV2:
    v.biasCorrection = BiasCorrection::folded;
    v.amsgrad = true;
    v.givenPowers = true;
    break;
  case Preset::MXNetAdamW:
    v.biasCorrection =
        options.correctBias ? BiasCorrection::folded : BiasCorrection::none;
    v.weightDecay = WeightDecayMode::decoupled;
    v.decayRate = DecayRate::effective;
    v.amsgrad = false;
    v.rescaleGrad = options.rescaleGrad;
    v.clipGradient = options.clipGradient;
    break;
  case Preset::BrainpyAdamW:
    v.biasCorrection = BiasCorrection::folded;
    v.weightDecay = WeightDecayMode::decoupled;
    break;
  }
  return v;
}

HyperParameters mlir::optim::getPresetDefaults(Preset preset) {
  HyperParameters h;
  switch (preset) {
  case Preset::TorchAdam:
  case Preset::MindSporeApplyAdamWithAmsgradV2:
    break;
  case Preset::TorchAdamW:
  case Preset::BrainpyAdamW:
  case Preset::MindSporeAdamWeightDecay:
    h.weightDecay = 1e-2;
    break;
  case Preset::MXNetAdamW:
    h.eps = 1e-6;
    h.weightDecay = 1e-2;
    break;
  }
  return h;
}

static const Preset kAllPresets[] = {Preset::TorchAdam,
                                     Preset::TorchAdamW,
                                     Preset::MindSporeAdamWeightDecay,
                                     Preset::MindSporeApplyAdamWithAmsgradV2,
                                     Preset::MXNetAdamW,
                                     Preset::BrainpyAdamW};

ArrayRef<Preset> mlir::optim::getAllPresets() { return kAllPresets; }

StringRef mlir::optim::stringifyPreset(Preset preset) {
  switch (preset) {
  case Preset::TorchAdam:
    return "torch.adam";
  case Preset::TorchAdamW:
    return "torch.adamw";
  case Preset::MindSporeAdamWeightDecay:
    return "mindspore.adam_weight_decay";
  case Preset::MindSporeApplyAdamWithAmsgradV2:
    return "mindspore.apply_adam_with_amsgrad_v2";
  case Preset::MXNetAdamW:
    return "mxnet.adamw";
  case Preset::BrainpyAdamW:
    return "brainpy.adamw";
  }
  llvm_unreachable("unknown preset");
}

std::optional<Preset> mlir::optim::symbolizePreset(StringRef name) {
  for (Preset preset : kAllPresets)
    if (stringifyPreset(preset) == name)
      return preset;
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// Builders
//===----------------------------------------------------------------------===//

/// The operands `variant` selects from `scalars`: without bias correction the
/// step is not needed; with it, exactly one of the count and the powers.
static StepScalars selectScalars(const AdamVariant &variant,
                                 const StepScalars &scalars) {
  StepScalars selected = scalars;
  if (variant.weightDecay == WeightDecayMode::none)
    selected.weightDecay = {};
  bool needsStep = variant.biasCorrection != BiasCorrection::none;
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
  return selected;
}

AdamStepOpInterface mlir::optim::buildAdamStep(OpBuilder &builder, Location loc,
                                               const AdamVariant &variant,
                                               ArrayRef<ParamState> params,
                                               const StepScalars &scalars) {
  SmallVector<Value> ps, gs, ms, vs, vmaxs;
  for (const ParamState &state : params) {
    ps.push_back(state.param);
    gs.push_back(state.grad);
    ms.push_back(state.expAvg);
    vs.push_back(state.expAvgSq);
    if (variant.amsgrad)
      vmaxs.push_back(state.maxExpAvgSq);
  }
  StepScalars selected = selectScalars(variant, scalars);
  if (variant.weightDecay == WeightDecayMode::decoupled)
    return AdamWOp::create(builder, loc, ps, gs, ms, vs, vmaxs, selected,
                           variant.biasCorrection, variant.amsgrad,
                           variant.maximize, variant.decayRate);
  return AdamOp::create(builder, loc, ps, gs, ms, vs, vmaxs, selected,
                        variant.biasCorrection, variant.amsgrad,
                        variant.maximize);
}

AdamStepOpInterface mlir::optim::buildPresetStep(OpBuilder &builder,
                                                 Location loc, Preset preset,
                                                 ArrayRef<ParamState> params,
                                                 const StepScalars &scalars,
                                                 const PresetOptions &options) {
  return buildAdamStep(builder, loc, getPresetVariant(preset, options), params,
                       scalars);
}
