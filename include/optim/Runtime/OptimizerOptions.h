//===- OptimizerOptions.h - typed construction of optimizers ----*- C++ -*-===//
//
// One object that says what an optimizer (or one of its parameter groups)
// computes: a preset's semantics and defaults, then the fields a trainer
// changes, in torch.optim's vocabulary.
//
//   auto opt = Optimizer::create(compiler, AdamWOptions().lr(3e-4)
//                                              .weightDecay(0.1), params);
//
//===----------------------------------------------------------------------===//

#ifndef OPTIM_RUNTIME_OPTIMIZEROPTIONS_H
#define OPTIM_RUNTIME_OPTIMIZEROPTIONS_H

#include "optim/Runtime/StepConfig.h"

namespace optim {

class OptimizerOptions {
public:
  /// The preset's semantics and its framework's default hyperparameters.
  explicit OptimizerOptions(Preset preset = Preset::TorchAdamW);

  OptimizerOptions &lr(double value) {
    scalars.lr = value;
    return *this;
  }
  OptimizerOptions &betas(double beta1, double beta2) {
    scalars.beta1 = beta1;
    scalars.beta2 = beta2;
    return *this;
  }
  OptimizerOptions &eps(double value) {
    scalars.eps = value;
    return *this;
  }
  OptimizerOptions &weightDecay(double value) {
    scalars.weightDecay = value;
    return *this;
  }
  /// AMSGrad on or off, whatever the preset's own (mindspore
  /// ApplyAdamWithAmsgradV2 has it, the others do not).
  OptimizerOptions &amsgrad(bool on = true) {
    presetOptions.amsgrad = on;
    return *this;
  }
  OptimizerOptions &maximize(bool on = true) {
    presetOptions.maximize = on;
    return *this;
  }
  /// The parameters' (and gradients') element type; f32 by default.
  OptimizerOptions &paramType(ElementType type) {
    elementType = type;
    return *this;
  }
  /// How the moments are stored (StepConfig::momentStorage): bf16 halves
  /// the optimizer state of an f32-computing step.
  OptimizerOptions &momentStorage(MomentStorage storage) {
    moments = storage;
    return *this;
  }
  /// StepConfig::fastMath: estimated reciprocals (f32 only).
  OptimizerOptions &fastMath(bool on = true) {
    fast = on;
    return *this;
  }
  /// The count of the first step (1 for a fresh run).
  OptimizerOptions &firstStep(int64_t t) {
    scalars.step = t;
    return *this;
  }
  /// Global-norm clipping, as torch.nn.utils.clip_grad_norm_(params,
  /// max_norm) before the step: the gradients are scaled by
  /// min(1, max_norm / (norm + 1e-6)), the norm taken over every group that
  /// clips.
  OptimizerOptions &maxGradNorm(double maxNorm) {
    clipNorm = true;
    scalars.maxGradNorm = maxNorm;
    return *this;
  }

  /// bf16 parameters rounded stochastically (Philox, keyed by `seed`, the
  /// step count and the element) instead of to nearest even: updates below
  /// half a bf16 ulp still move the parameters, in expectation exactly.
  OptimizerOptions &stochasticRounding(uint64_t seed) {
    rounding = true;
    scalars.roundingSeed = seed;
    return *this;
  }

  /// What these options compile to, and the scalars they run with. Invalid
  /// values are reported when an optimizer is created from them.
  StepConfig getConfig() const;
  const StepScalars &getScalars() const { return scalars; }
  Preset getPreset() const { return preset; }

private:
  Preset preset;
  PresetOptions presetOptions;
  ElementType elementType = ElementType::f32;
  bool fast = false;
  bool clipNorm = false;
  bool rounding = false;
  MomentStorage moments = MomentStorage::compute;
  StepScalars scalars;
};

/// torch.optim.Adam's semantics and defaults (L2 weight decay, 0 by default).
struct AdamOptions : OptimizerOptions {
  AdamOptions() : OptimizerOptions(Preset::TorchAdam) {}
};

/// torch.optim.AdamW's semantics and defaults (decoupled decay, 1e-2).
struct AdamWOptions : OptimizerOptions {
  AdamWOptions() : OptimizerOptions(Preset::TorchAdamW) {}
};

} // namespace optim

#endif // OPTIM_RUNTIME_OPTIMIZEROPTIONS_H
