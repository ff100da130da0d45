//===- StepConfig.cpp - step configurations and scalars -------------------===//

#include "optim/Runtime/StepConfig.h"

#include "optim/Support/BlockwiseQuant.h"
#include "optim/Support/GpuLaunchShape.h"
#include "optim/Support/GpuTarget.h"
#include "optim/Support/VectorSize.h"

#include "llvm/Support/FormatVariadic.h"

#include <cmath>
#include <limits>

using namespace optim;

llvm::StringRef optim::stringifyElementType(ElementType type) {
  switch (type) {
  case ElementType::f16:
    return "f16";
  case ElementType::bf16:
    return "bf16";
  case ElementType::f32:
    return "f32";
  case ElementType::f64:
    return "f64";
  }
  llvm_unreachable("unknown element type");
}

std::optional<ElementType> optim::symbolizeElementType(llvm::StringRef name) {
  for (ElementType type : {ElementType::f16, ElementType::bf16,
                           ElementType::f32, ElementType::f64})
    if (stringifyElementType(type) == name)
      return type;
  return std::nullopt;
}

unsigned optim::getElementSize(ElementType type) {
  switch (type) {
  case ElementType::f16:
  case ElementType::bf16:
    return 2;
  case ElementType::f32:
    return 4;
  case ElementType::f64:
    return 8;
  }
  llvm_unreachable("unknown element type");
}

ElementType optim::getMomentElementType(ElementType type) {
  return type == ElementType::f64 ? ElementType::f64 : ElementType::f32;
}

ElementType optim::getMomentElementType(const StepConfig &config) {
  if (config.momentStorage == MomentStorage::bf16)
    return ElementType::bf16;
  return getMomentElementType(config.paramType);
}

bool optim::hasQuantizedMoments(const StepConfig &config,
                                int64_t numElements) {
  return config.momentStorage == MomentStorage::blockwise8 &&
         numElements >= kMinQuantizedElements;
}

unsigned optim::getMomentElementSize(const StepConfig &config,
                                     int64_t numElements) {
  if (hasQuantizedMoments(config, numElements))
    return 1;
  return getElementSize(getMomentElementType(config));
}

ComputeType optim::getComputeType(ElementType type) {
  return type == ElementType::f64 ? ComputeType::f64 : ComputeType::f32;
}

StepConfig StepConfig::forPreset(Preset preset, ElementType paramType,
                                 const PresetOptions &options) {
  StepConfig config;
  config.variant = getPresetVariant(preset, options);
  config.paramType = paramType;
  return config;
}

std::string StepConfig::key() const {
  std::string where = "cpu";
  if (target != Target::CPU) {
    where = target == Target::GPU ? "gpu." + gpuChip : "gpu-emulated";
    where += llvm::formatv(".{0}x{1}", gpuMaxBlocks, gpuBlockSize).str();
    if (gpuTestStrideOffset)
      where += llvm::formatv(".stride{0}", gpuTestStrideOffset).str();
  }
  std::string type = stringifyElementType(paramType).str();
  if (momentStorage == MomentStorage::bf16)
    type += "+mbf16";
  if (momentStorage == MomentStorage::blockwise8)
    type += "+m8";
  return llvm::formatv("{0}:{1}:v{2}:{3}{4}", variant.str(), type, vectorSize,
                       where, fastMath ? ":fast" : "")
      .str();
}

llvm::Error StepConfig::verify() const {
  if (variant.weightDecay != WeightDecayMode::decoupled &&
      variant.decayRate != DecayRate::lr)
    return llvm::createStringError(
        "decay rate 'effective' needs decoupled weight decay");
  // As the op's verifier: nothing would read the caller's powers.
  if (variant.givenPowers && variant.biasCorrection == BiasCorrection::none)
    return llvm::createStringError(
        "given beta powers need bias correction 'standard' or 'folded'");
  // 0: the runtime's default for the host.
  if (vectorSize != 0 && !isValidVectorSize(vectorSize))
    return llvm::createStringError(llvm::formatv(
        "vector size {0} is not a power of two <= 64", vectorSize));
  if (target != Target::CPU && (!isValidGpuBlockSize(gpuBlockSize) ||
                                !isValidGpuMaxBlocks(gpuMaxBlocks)))
    return llvm::createStringError(llvm::formatv(
        "GPU launch shape {0} blocks x {1} threads is out of range (1..2^31-1 "
        "blocks, 1..1024 threads)",
        gpuMaxBlocks, gpuBlockSize));
  if (momentStorage == MomentStorage::bf16 &&
      getComputeType(paramType) != ComputeType::f32)
    return llvm::createStringError(
        llvm::formatv("bf16 moments need a step that computes in f32 (f16, "
                      "bf16 or f32 parameters), not {0}",
                      stringifyElementType(paramType))
            .str());
  if (momentStorage == MomentStorage::blockwise8) {
    if (getComputeType(paramType) != ComputeType::f32)
      return llvm::createStringError(
          llvm::formatv("8-bit moments need a step that computes in f32 "
                        "(f16, bf16 or f32 parameters), not {0}",
                        stringifyElementType(paramType))
              .str());
    if (variant.amsgrad)
      return llvm::createStringError(
          "8-bit moments do not support AMSGrad (max_exp_avg_sq has no "
          "8-bit form)");
  }
  if (variant.stochasticRounding && paramType != ElementType::bf16)
    return llvm::createStringError(
        llvm::formatv("stochastic rounding rounds bf16 parameters, not {0}",
                      stringifyElementType(paramType))
            .str());
  if (target == Target::GPU && !isKnownGpuChip(gpuChip))
    return llvm::createStringError(
        "GPU chip '" + gpuChip +
        "' is not an NVIDIA chip of sm_75 or newer that LLVM 22 knows (sm_75, "
        "sm_80, sm_86, sm_89, sm_90, sm_90a, sm_100, sm_120, ...)");
  return llvm::Error::success();
}

StepScalars StepScalars::forPreset(Preset preset) {
  HyperParameters defaults = getPresetDefaults(preset);
  StepScalars s;
  s.lr = defaults.lr;
  s.beta1 = defaults.beta1;
  s.beta2 = defaults.beta2;
  s.eps = defaults.eps;
  s.weightDecay = defaults.weightDecay;
  return s;
}

namespace {
/// `role` checked by optim::checkScalar, as an error naming the operand.
llvm::Error verifyScalar(ScalarRole role, double value, ComputeType type) {
  if (std::optional<std::string> why = checkScalar(role, value, type))
    return llvm::createStringError(
        (stringifyScalarRole(role) + " " + *why).str());
  return llvm::Error::success();
}

/// A coefficient the lowering computes once per step in f64 and rounds to
/// the compute type (see convert-optim-to-linalg's prologue): it must stay
/// finite there.
llvm::Error verifyDerived(llvm::StringRef what, double value,
                          ComputeType type) {
  double maxFinite = type == ComputeType::f32
                         ? double(std::numeric_limits<float>::max())
                         : std::numeric_limits<double>::max();
  if (std::fabs(value) <= maxFinite)
    return llvm::Error::success();
  return llvm::createStringError(
      (what + " is " + formatScalar(value) + ", not finite in " +
       (type == ComputeType::f32 ? "f32" : "f64"))
          .str());
}
} // namespace

llvm::Error optim::verifyStepCount(int64_t t) {
  // Compared as integers first: 2^53 + 1 rounds to 2^53 as a double.
  if (t > kMaxStepCount)
    return llvm::createStringError(
        llvm::formatv("step must be at most 2^53 ({0}), got {1}", kMaxStepCount,
                      t)
            .str());
  if (std::optional<std::string> why = checkStepCount(static_cast<double>(t)))
    return llvm::createStringError("step " + *why);
  return llvm::Error::success();
}

llvm::Error optim::checkNextStepCount(int64_t t) {
  if (t <= kMaxStepCount)
    return llvm::Error::success();
  return llvm::createStringError(
      llvm::formatv("step {0} would exceed the largest step count, 2^53 ({1})",
                    t, kMaxStepCount)
          .str());
}

llvm::Error StepScalars::verifyEdits(const StepConfig &config,
                                     int64_t firstStep) const {
  if (step != firstStep)
    return llvm::createStringError(
        llvm::formatv("the hyperparameters' step was changed from {0} to "
                      "{1}: the optimizer counts the steps itself (its "
                      "first step is set at creation, the count by "
                      "importState)",
                      firstStep, step)
            .str());
  if (foundInf != 0)
    return llvm::createStringError(
        "the hyperparameters' foundInf is " + formatScalar(foundInf) +
        ": pass found_inf as the step's argument instead");
  if (!config.variant.clipGradNorm &&
      maxGradNorm != std::numeric_limits<double>::infinity())
    return llvm::createStringError(
        "the hyperparameters' maxGradNorm is " + formatScalar(maxGradNorm) +
        ", but the optimizer was created without global-norm clipping "
        "(OptimizerOptions::maxGradNorm)");
  return llvm::Error::success();
}

llvm::Error StepScalars::verify(const StepConfig &config) const {
  ComputeType type = getComputeType(config.paramType);
  const AdamVariant &v = config.variant;
  auto check = [&](ScalarRole role, double value) {
    return verifyScalar(role, value, type);
  };
  if (llvm::Error error = check(ScalarRole::Lr, lr))
    return error;
  if (llvm::Error error = check(ScalarRole::Beta1, beta1))
    return error;
  if (llvm::Error error = check(ScalarRole::Beta2, beta2))
    return error;
  if (llvm::Error error = check(ScalarRole::Eps, eps))
    return error;
  if (v.weightDecay != WeightDecayMode::none)
    if (llvm::Error error = check(ScalarRole::WeightDecay, weightDecay))
      return error;
  // beta1^t and beta2^t, as the lowering computes them.
  double beta1Pow = 0, beta2Pow = 0;
  if (v.biasCorrection != BiasCorrection::none) {
    if (v.givenPowers) {
      if (llvm::Error error = check(ScalarRole::Beta1Power, beta1Power))
        return error;
      if (llvm::Error error = check(ScalarRole::Beta2Power, beta2Power))
        return error;
      beta1Pow = beta1Power;
      beta2Pow = beta2Power;
    } else {
      if (llvm::Error error = verifyStepCount(step))
        return error;
      beta1Pow = std::pow(beta1, static_cast<double>(step));
      beta2Pow = std::pow(beta2, static_cast<double>(step));
    }
  }
  if (v.rescaleGrad)
    if (llvm::Error error = check(ScalarRole::RescaleGrad, rescaleGrad))
      return error;
  if (v.clipGradient)
    if (llvm::Error error = check(ScalarRole::ClipGradient, clipGradient))
      return error;
  if (v.gradScale)
    if (llvm::Error error = check(ScalarRole::GradScale, gradScale))
      return error;
  if (v.clipGradNorm) {
    if (llvm::Error error = check(ScalarRole::MaxGradNorm, maxGradNorm))
      return error;
    // A non-finite norm is the caller's to pass on (torch does); a negative
    // one is no norm.
    if (gradNorm < 0)
      return llvm::createStringError(
          "grad_norm must be non-negative, got " + formatScalar(gradNorm));
  }
  // The device's table gives each tensor its stream, not an element origin.
  if (v.stochasticRounding && roundingElement != 0 &&
      config.target != Target::CPU)
    return llvm::createStringError(
        "rounding_element must be 0 on GPU targets: they round every tensor "
        "from its element 0");
  // The executor reads found_inf whatever the variant: non-zero skips.
  if (llvm::Error error = check(ScalarRole::FoundInf, foundInf))
    return error;

  // Each scalar is representable, but the step size divides by a bias
  // correction that may be tiny and the decay multiplies two of them.
  double stepSize = lr;
  llvm::StringRef stepSizeName = "lr";
  double bc1 = 1 - beta1Pow, bc2 = 1 - beta2Pow;
  switch (v.biasCorrection) {
  case BiasCorrection::none:
    break;
  case BiasCorrection::standard:
    stepSize = lr / bc1;
    stepSizeName = "the step size lr / (1 - beta1^t)";
    break;
  case BiasCorrection::folded:
    stepSize = lr * std::sqrt(bc2) / bc1;
    stepSizeName = "the step size lr * sqrt(1 - beta2^t) / (1 - beta1^t)";
    break;
  }
  if (llvm::Error error = verifyDerived(stepSizeName, stepSize, type))
    return error;
  if (v.weightDecay == WeightDecayMode::decoupled) {
    double eta = v.decayRate == DecayRate::lr ? lr : stepSize;
    if (llvm::Error error = verifyDerived(
            "the decay factor 1 - eta * weight_decay", 1 - eta * weightDecay,
            type))
      return error;
  }
  return llvm::Error::success();
}
