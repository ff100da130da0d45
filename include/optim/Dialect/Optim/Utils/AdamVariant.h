//===- AdamVariant.h - the switches of one Adam-family step -----*- C++ -*-===//
//
// An IR-independent description of an Adam-family step: which op it is and
// which optional operands it carries. The lowering reads it off an op, the
// runtime keys its cache on it, and the preset helpers build ops from it.
//
//===----------------------------------------------------------------------===//

#ifndef OPTIM_DIALECT_OPTIM_UTILS_ADAMVARIANT_H
#define OPTIM_DIALECT_OPTIM_UTILS_ADAMVARIANT_H

#include "optim/Dialect/Optim/IR/OptimOps.h"

#include "mlir/IR/Builders.h"

#include <optional>
#include <string>

namespace mlir::optim {

struct AdamVariant {
  BiasCorrection biasCorrection = BiasCorrection::standard;
  WeightDecayMode weightDecay = WeightDecayMode::none;
  /// Only meaningful for decoupled decay.
  DecayRate decayRate = DecayRate::lr;
  bool amsgrad = false;
  bool maximize = false;
  /// The caller passes beta1^t and beta2^t instead of the step count t.
  bool givenPowers = false;
  bool rescaleGrad = false;
  bool clipGradient = false;
  bool gradScale = false;
  bool foundInf = false;

  static AdamVariant get(AdamStepOpInterface op);

  /// A short stable spelling, e.g. "adamw.standard.lr+amsgrad"; used in
  /// cache keys and kernel names.
  std::string str() const;
};

/// The framework presets of SEMANTICS.md.
enum class Preset {
  TorchAdam,                ///< torch.optim.Adam, MindSpore experimental Adam
  TorchAdamW,               ///< torch.optim.AdamW
  MindSporeAdamWeightDecay, ///< mindspore.ops.AdamWeightDecay
  MindSporeApplyAdamWithAmsgradV2, ///< mindspore.ops.ApplyAdamWithAmsgradV2
  MXNetAdamW,                      ///< mxnet optimizer.adamW.AdamW
  BrainpyAdamW,                    ///< brainpy optim.AdamW
};

/// The user-facing switches a preset leaves open.
struct PresetOptions {
  bool amsgrad = false;
  bool maximize = false;
  /// MXNet's `correct_bias`; false selects no bias correction.
  bool correctBias = true;
  /// MXNet: gradient preprocessing operands.
  bool rescaleGrad = false;
  bool clipGradient = false;
};

/// The defaults users of each framework expect.
struct HyperParameters {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weightDecay = 0.0;
};

AdamVariant getPresetVariant(Preset preset, const PresetOptions &options = {});
HyperParameters getPresetDefaults(Preset preset);
llvm::StringRef stringifyPreset(Preset preset);
std::optional<Preset> symbolizePreset(llvm::StringRef name);
llvm::ArrayRef<Preset> getAllPresets();

/// The per-parameter operands of a step; `maxExpAvgSq` only with AMSGrad.
struct ParamState {
  Value param, grad, expAvg, expAvgSq, maxExpAvgSq;
};

// StepScalars, the per-step scalar operands, is declared with the ops.

/// Creates the op `variant` describes (optim.adamw for decoupled decay,
/// optim.adam otherwise) over `params`. Result types are inferred: none for
/// memrefs, the updated state for tensors.
AdamStepOpInterface buildAdamStep(OpBuilder &builder, Location loc,
                                  const AdamVariant &variant,
                                  ArrayRef<ParamState> params,
                                  const StepScalars &scalars);

/// One call per framework preset.
AdamStepOpInterface buildPresetStep(OpBuilder &builder, Location loc,
                                    Preset preset, ArrayRef<ParamState> params,
                                    const StepScalars &scalars,
                                    const PresetOptions &options = {});

} // namespace mlir::optim

#endif // OPTIM_DIALECT_OPTIM_UTILS_ADAMVARIANT_H
