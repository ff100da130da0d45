//===- AdamVariant.cpp - Adam-family variants and framework presets -------===//

#include "optim/Support/AdamVariant.h"

#include "llvm/Support/ErrorHandling.h"

using namespace optim;

/// The value of `all` that `stringify` spells `name`.
template <typename Enum, typename Values>
static std::optional<Enum> symbolize(llvm::StringRef name, const Values &all,
                                     llvm::StringRef (*stringify)(Enum)) {
  for (Enum value : all)
    if (stringify(value) == name)
      return value;
  return std::nullopt;
}

llvm::StringRef optim::stringifyBiasCorrection(BiasCorrection value) {
  switch (value) {
  case BiasCorrection::standard:
    return "standard";
  case BiasCorrection::folded:
    return "folded";
  case BiasCorrection::none:
    return "none";
  }
  llvm_unreachable("unknown bias correction");
}

std::optional<BiasCorrection>
optim::symbolizeBiasCorrection(llvm::StringRef name) {
  static const BiasCorrection all[] = {
      BiasCorrection::standard, BiasCorrection::folded, BiasCorrection::none};
  return symbolize(name, all, stringifyBiasCorrection);
}

llvm::StringRef optim::stringifyDecayRate(DecayRate value) {
  switch (value) {
  case DecayRate::lr:
    return "lr";
  case DecayRate::effective:
    return "effective";
  }
  llvm_unreachable("unknown decay rate");
}

std::optional<DecayRate> optim::symbolizeDecayRate(llvm::StringRef name) {
  static const DecayRate all[] = {DecayRate::lr, DecayRate::effective};
  return symbolize(name, all, stringifyDecayRate);
}

llvm::StringRef optim::stringifyWeightDecayMode(WeightDecayMode value) {
  switch (value) {
  case WeightDecayMode::none:
    return "none";
  case WeightDecayMode::l2:
    return "l2";
  case WeightDecayMode::decoupled:
    return "decoupled";
  }
  llvm_unreachable("unknown weight decay mode");
}

std::optional<WeightDecayMode>
optim::symbolizeWeightDecayMode(llvm::StringRef name) {
  static const WeightDecayMode all[] = {
      WeightDecayMode::none, WeightDecayMode::l2, WeightDecayMode::decoupled};
  return symbolize(name, all, stringifyWeightDecayMode);
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
  if (clipGradNorm)
    s += "+clipnorm";
  if (stochasticRounding)
    s += "+sr";
  return s;
}

//===----------------------------------------------------------------------===//
// Presets
//===----------------------------------------------------------------------===//

AdamVariant optim::getPresetVariant(Preset preset,
                                    const PresetOptions &options) {
  AdamVariant v;
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
    v.rescaleGrad = options.rescaleGrad;
    v.clipGradient = options.clipGradient;
    break;
  case Preset::BrainpyAdamW:
    v.biasCorrection = BiasCorrection::folded;
    v.weightDecay = WeightDecayMode::decoupled;
    break;
  }
  // An explicit request wins over the preset's own (it used to be
  // overwritten silently for the presets that fix AMSGrad).
  if (options.amsgrad)
    v.amsgrad = *options.amsgrad;
  return v;
}

HyperParameters optim::getPresetDefaults(Preset preset) {
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

llvm::ArrayRef<Preset> optim::getAllPresets() { return kAllPresets; }

llvm::StringRef optim::stringifyPreset(Preset preset) {
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

std::optional<Preset> optim::symbolizePreset(llvm::StringRef name) {
  return symbolize(name, kAllPresets, stringifyPreset);
}
