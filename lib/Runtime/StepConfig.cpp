//===- StepConfig.cpp - step configurations and scalars -------------------===//

#include "optim/Runtime/StepConfig.h"

#include "llvm/Support/FormatVariadic.h"

#include <cmath>

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

StepConfig StepConfig::forPreset(Preset preset, ElementType paramType,
                                 const PresetOptions &options) {
  StepConfig config;
  config.variant = mlir::optim::getPresetVariant(preset, options);
  config.paramType = paramType;
  return config;
}

std::string StepConfig::key() const {
  std::string where = target == Target::CPU ? "cpu" : "gpu." + gpuChip;
  return llvm::formatv("{0}:{1}:v{2}:{3}{4}", variant.str(),
                       stringifyElementType(paramType), vectorSize, where,
                       fastMath ? ":fast" : "")
      .str();
}

llvm::Error StepConfig::verify() const {
  if (variant.weightDecay != WeightDecayMode::decoupled &&
      variant.decayRate != DecayRate::lr)
    return llvm::createStringError(
        "decay rate 'effective' needs decoupled weight decay");
  if (vectorSize > 64 || (vectorSize & (vectorSize - 1)))
    return llvm::createStringError(llvm::formatv(
        "vector size {0} is not a power of two <= 64", vectorSize));
  if (target == Target::GPU) {
    unsigned version = 0;
    if (!llvm::StringRef(gpuChip).consume_front("sm_") ||
        llvm::StringRef(gpuChip).drop_front(3).getAsInteger(10, version) ||
        version < 75)
      return llvm::createStringError(
          "GPU chip '" + gpuChip +
          "' is not an sm_XY of sm_75 or newer (CUDA 13's ptxas floor)");
  }
  return llvm::Error::success();
}

StepScalars StepScalars::forPreset(Preset preset) {
  mlir::optim::HyperParameters defaults =
      mlir::optim::getPresetDefaults(preset);
  StepScalars s;
  s.lr = defaults.lr;
  s.beta1 = defaults.beta1;
  s.beta2 = defaults.beta2;
  s.eps = defaults.eps;
  s.weightDecay = defaults.weightDecay;
  return s;
}

llvm::Error StepScalars::verify(const StepConfig &config) const {
  auto bad = [](llvm::StringRef what) {
    return llvm::createStringError(what.str());
  };
  // NaN fails every comparison below, so it is rejected too.
  if (!(lr >= 0))
    return bad(llvm::formatv("lr must be non-negative, got {0}", lr).str());
  if (!(eps >= 0))
    return bad(llvm::formatv("eps must be non-negative, got {0}", eps).str());
  if (!(beta1 >= 0 && beta1 < 1))
    return bad(llvm::formatv("beta1 must be in [0, 1), got {0}", beta1).str());
  if (!(beta2 >= 0 && beta2 < 1))
    return bad(llvm::formatv("beta2 must be in [0, 1), got {0}", beta2).str());
  const AdamVariant &v = config.variant;
  if (v.weightDecay != WeightDecayMode::none && !(weightDecay >= 0))
    return bad(
        llvm::formatv("weight_decay must be non-negative, got {0}", weightDecay)
            .str());
  if (v.biasCorrection != BiasCorrection::none) {
    if (v.givenPowers) {
      if (!(beta1Power >= 0 && beta1Power < 1))
        return bad(
            llvm::formatv("beta1_power must be in [0, 1), got {0}", beta1Power)
                .str());
      if (!(beta2Power >= 0 && beta2Power < 1))
        return bad(
            llvm::formatv("beta2_power must be in [0, 1), got {0}", beta2Power)
                .str());
    } else if (step < 1) {
      return bad(llvm::formatv("step must be >= 1, got {0}", step).str());
    }
  }
  if (v.gradScale && !(gradScale > 0))
    return bad(
        llvm::formatv("grad_scale must be positive, got {0}", gradScale).str());
  if (v.rescaleGrad && !std::isfinite(rescaleGrad))
    return bad(
        llvm::formatv("rescale_grad must be finite, got {0}", rescaleGrad)
            .str());
  return llvm::Error::success();
}
