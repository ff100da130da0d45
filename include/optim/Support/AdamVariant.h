//===- AdamVariant.h - the switches of one Adam-family step -----*- C++ -*-===//
//
// An IR-independent description of an Adam-family step and the framework
// presets of SEMANTICS.md. Plain data over the C++ standard library and
// LLVM's ADT only, so that the runtime's public headers need no MLIR: the
// dialect converts to and from its ODS enums
// (optim/Dialect/Optim/Utils/AdamVariant.h), the runtime keys its cache on
// it.
//
//===----------------------------------------------------------------------===//

#ifndef OPTIM_SUPPORT_ADAMVARIANT_H
#define OPTIM_SUPPORT_ADAMVARIANT_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <optional>
#include <string>

namespace optim {

/// How the step corrects the moments' initialisation bias (the dialect's
/// `#optim.bias_correction`).
enum class BiasCorrection : uint32_t {
  standard = 0, ///< m / (1 - beta1^t) and v / (1 - beta2^t) (torch)
  folded = 1,   ///< folded into the step size lr_t (MXNet, MindSpore)
  none = 2,     ///< no correction
};

/// What the decoupled decay multiplies (the dialect's `#optim.decay_rate`).
enum class DecayRate : uint32_t {
  lr = 0,        ///< p *= 1 - lr * wd (torch)
  effective = 1, ///< p *= 1 - lr_t * wd, the bias-corrected rate (MXNet)
};

/// Where weight decay enters the update.
enum class WeightDecayMode : uint32_t {
  none = 0,
  l2 = 1,        ///< added to the gradient (torch.optim.Adam)
  decoupled = 2, ///< applied to the parameter (AdamW)
};

llvm::StringRef stringifyBiasCorrection(BiasCorrection value);
std::optional<BiasCorrection> symbolizeBiasCorrection(llvm::StringRef name);
llvm::StringRef stringifyDecayRate(DecayRate value);
std::optional<DecayRate> symbolizeDecayRate(llvm::StringRef name);
llvm::StringRef stringifyWeightDecayMode(WeightDecayMode value);
std::optional<WeightDecayMode> symbolizeWeightDecayMode(llvm::StringRef name);

/// Which op a step is and which optional operands it carries.
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
  /// Global-norm clipping (torch.nn.utils.clip_grad_norm_ before the step):
  /// the step takes the gradients' global norm and the bound it clips to.
  bool clipGradNorm = false;
  /// bf16 parameters are rounded stochastically (Philox draws keyed by a
  /// seed, the step's offset and the element) instead of to nearest even.
  bool stochasticRounding = false;

  /// A short stable spelling, e.g. "adamw.standard+amsgrad"; used in cache
  /// keys and kernel names.
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
  /// Unset: the preset's own (on for mindspore ApplyAdamWithAmsgradV2, off
  /// for the others). Set, it wins: AMSGrad combines with every preset.
  std::optional<bool> amsgrad;
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

} // namespace optim

#endif // OPTIM_SUPPORT_ADAMVARIANT_H
