//===- Runtime.cpp - C API of the optim JIT runtime -----------------------===//
//
// Thin wrappers over optim::Compiler and optim::CompiledStep. Each entry
// point checks its pointer arguments and converts every llvm::Error into an
// OptimStatus, so nothing aborts and no error escapes unchecked.
//
//===----------------------------------------------------------------------===//

#include "optim-c/Runtime.h"

#include "optim/Runtime/Compiler.h"

#include "llvm/Support/FormatVariadic.h"

#include <cstring>
#include <limits>
#include <memory>
#include <string>

using namespace optim;

static_assert(
    sizeof(OptimParamBuffers) == sizeof(ParamBuffers) &&
        offsetof(OptimParamBuffers, param) == offsetof(ParamBuffers, param) &&
        offsetof(OptimParamBuffers, grad) == offsetof(ParamBuffers, grad) &&
        offsetof(OptimParamBuffers, expAvg) == offsetof(ParamBuffers, expAvg) &&
        offsetof(OptimParamBuffers, expAvgSq) ==
            offsetof(ParamBuffers, expAvgSq) &&
        offsetof(OptimParamBuffers, maxExpAvgSq) ==
            offsetof(ParamBuffers, maxExpAvgSq) &&
        offsetof(OptimParamBuffers, numElements) ==
            offsetof(ParamBuffers, numElements) &&
        offsetof(OptimParamBuffers, expAvgAbsmax) ==
            offsetof(ParamBuffers, expAvgAbsmax) &&
        offsetof(OptimParamBuffers, expAvgSqAbsmax) ==
            offsetof(ParamBuffers, expAvgSqAbsmax) &&
        offsetof(OptimParamBuffers, tensorElements) ==
            offsetof(ParamBuffers, tensorElements),
    "OptimParamBuffers is passed to CompiledStep::run as is");

namespace {
/// What a step handle points to: one reference to the shared step.
using StepRef = std::shared_ptr<const CompiledStep>;

OptimStatus makeStatus(std::string message) {
  return OptimStatus{new std::string(std::move(message))};
}

OptimStatus toStatus(llvm::Error error) {
  if (!error)
    return OptimStatus{nullptr};
  return makeStatus(llvm::toString(std::move(error)));
}

Compiler *unwrap(OptimCompiler compiler) {
  return static_cast<Compiler *>(compiler.ptr);
}
const StepRef *unwrap(OptimStep step) {
  return static_cast<const StepRef *>(step.ptr);
}

/// The bias correction of a configuration optimStepConfigForPreset made
/// from an unknown preset.
constexpr int32_t kUnknownPreset = std::numeric_limits<int32_t>::min();

/// Reads a C configuration into a StepConfig, rejecting out-of-range enum
/// values (an FFI caller can pass any integer).
llvm::Expected<StepConfig> unwrap(const OptimStepConfig &c) {
  auto outOfRange = [](const char *field, int32_t value) {
    return llvm::createStringError(
        llvm::formatv("OptimStepConfig.{0}: {1} is not a valid value", field,
                      value)
            .str());
  };
  StepConfig config;
  AdamVariant &v = config.variant;
  switch (c.biasCorrection) {
  case OptimBiasCorrectionStandard:
    v.biasCorrection = BiasCorrection::standard;
    break;
  case OptimBiasCorrectionFolded:
    v.biasCorrection = BiasCorrection::folded;
    break;
  case OptimBiasCorrectionNone:
    v.biasCorrection = BiasCorrection::none;
    break;
  case kUnknownPreset:
    return llvm::createStringError(
        "OptimStepConfig: made by optimStepConfigForPreset from an unknown "
        "preset");
  default:
    return outOfRange("biasCorrection", c.biasCorrection);
  }
  switch (c.weightDecay) {
  case OptimWeightDecayNone:
    v.weightDecay = WeightDecayMode::none;
    break;
  case OptimWeightDecayL2:
    v.weightDecay = WeightDecayMode::l2;
    break;
  case OptimWeightDecayDecoupled:
    v.weightDecay = WeightDecayMode::decoupled;
    break;
  default:
    return outOfRange("weightDecay", c.weightDecay);
  }
  switch (c.decayRate) {
  case OptimDecayRateLr:
    v.decayRate = DecayRate::lr;
    break;
  case OptimDecayRateEffective:
    v.decayRate = DecayRate::effective;
    break;
  default:
    return outOfRange("decayRate", c.decayRate);
  }
  switch (c.paramType) {
  case OptimElementTypeF16:
    config.paramType = ElementType::f16;
    break;
  case OptimElementTypeBF16:
    config.paramType = ElementType::bf16;
    break;
  case OptimElementTypeF32:
    config.paramType = ElementType::f32;
    break;
  case OptimElementTypeF64:
    config.paramType = ElementType::f64;
    break;
  default:
    return outOfRange("paramType", c.paramType);
  }
  switch (c.target) {
  case OptimTargetCPU:
    config.target = Target::CPU;
    break;
  case OptimTargetGPU:
    config.target = Target::GPU;
    break;
  default:
    return outOfRange("target", c.target);
  }
  if (c.vectorSize < 0)
    return outOfRange("vectorSize", c.vectorSize);
  v.amsgrad = c.amsgrad != 0;
  v.maximize = c.maximize != 0;
  v.givenPowers = c.givenPowers != 0;
  v.rescaleGrad = c.rescaleGrad != 0;
  v.clipGradient = c.clipGradient != 0;
  v.gradScale = c.gradScale != 0;
  v.foundInf = c.foundInf != 0;
  config.fastMath = c.fastMath != 0;
  v.clipGradNorm = c.clipGradNorm != 0;
  v.stochasticRounding = c.stochasticRounding != 0;
  switch (c.momentStorage) {
  case OptimMomentStorageCompute:
    config.momentStorage = MomentStorage::compute;
    break;
  case OptimMomentStorageBF16:
    config.momentStorage = MomentStorage::bf16;
    break;
  case OptimMomentStorageBlockwise8:
    config.momentStorage = MomentStorage::blockwise8;
    break;
  default:
    return outOfRange("momentStorage", c.momentStorage);
  }
  config.vectorSize = static_cast<unsigned>(c.vectorSize);
  if (c.gpuChip)
    config.gpuChip = c.gpuChip;
  if (llvm::Error error = config.verify())
    return std::move(error);
  return config;
}

OptimStepConfig wrap(const StepConfig &config) {
  const AdamVariant &v = config.variant;
  OptimStepConfig c;
  switch (v.biasCorrection) {
  case BiasCorrection::standard:
    c.biasCorrection = OptimBiasCorrectionStandard;
    break;
  case BiasCorrection::folded:
    c.biasCorrection = OptimBiasCorrectionFolded;
    break;
  case BiasCorrection::none:
    c.biasCorrection = OptimBiasCorrectionNone;
    break;
  }
  switch (v.weightDecay) {
  case WeightDecayMode::none:
    c.weightDecay = OptimWeightDecayNone;
    break;
  case WeightDecayMode::l2:
    c.weightDecay = OptimWeightDecayL2;
    break;
  case WeightDecayMode::decoupled:
    c.weightDecay = OptimWeightDecayDecoupled;
    break;
  }
  c.decayRate = v.decayRate == DecayRate::lr ? OptimDecayRateLr
                                             : OptimDecayRateEffective;
  c.amsgrad = v.amsgrad;
  c.maximize = v.maximize;
  c.givenPowers = v.givenPowers;
  c.rescaleGrad = v.rescaleGrad;
  c.clipGradient = v.clipGradient;
  c.gradScale = v.gradScale;
  c.foundInf = v.foundInf;
  switch (config.paramType) {
  case ElementType::f16:
    c.paramType = OptimElementTypeF16;
    break;
  case ElementType::bf16:
    c.paramType = OptimElementTypeBF16;
    break;
  case ElementType::f32:
    c.paramType = OptimElementTypeF32;
    break;
  case ElementType::f64:
    c.paramType = OptimElementTypeF64;
    break;
  }
  c.target = config.target == Target::CPU ? OptimTargetCPU : OptimTargetGPU;
  c.fastMath = config.fastMath;
  c.clipGradNorm = v.clipGradNorm;
  switch (config.momentStorage) {
  case MomentStorage::compute:
    c.momentStorage = OptimMomentStorageCompute;
    break;
  case MomentStorage::bf16:
    c.momentStorage = OptimMomentStorageBF16;
    break;
  case MomentStorage::blockwise8:
    c.momentStorage = OptimMomentStorageBlockwise8;
    break;
  }
  c.stochasticRounding = v.stochasticRounding;
  c.vectorSize = static_cast<int32_t>(config.vectorSize);
  c.gpuChip = nullptr;
  return c;
}

StepScalars unwrap(const OptimStepScalars &s) {
  StepScalars scalars;
  scalars.lr = s.lr;
  scalars.beta1 = s.beta1;
  scalars.beta2 = s.beta2;
  scalars.eps = s.eps;
  scalars.weightDecay = s.weightDecay;
  scalars.step = s.step;
  scalars.beta1Power = s.beta1Power;
  scalars.beta2Power = s.beta2Power;
  scalars.rescaleGrad = s.rescaleGrad;
  scalars.clipGradient = s.clipGradient;
  scalars.gradScale = s.gradScale;
  scalars.foundInf = s.foundInf;
  scalars.gradNorm = s.gradNorm;
  scalars.maxGradNorm = s.maxGradNorm;
  scalars.roundingSeed = s.roundingSeed;
  scalars.roundingOffset = s.roundingOffset;
  scalars.roundingStream = s.roundingStream;
  return scalars;
}

OptimStepScalars wrap(const StepScalars &s) {
  return OptimStepScalars{s.lr,           s.beta1,      s.beta2,
                          s.eps,          s.weightDecay, s.step,
                          s.beta1Power,   s.beta2Power, s.rescaleGrad,
                          s.clipGradient, s.gradScale,  s.foundInf,
                          s.gradNorm,     s.maxGradNorm, s.roundingSeed,
                          s.roundingOffset, s.roundingStream};
}

/// The value a C caller passed for an enum parameter. C lets any int through
/// an enum type, but in C++ loading an out-of-range value as the enum is
/// undefined (UBSan's -fsanitize=enum reports it), so it is read as bytes
/// through a reference, never copied as the enum.
template <typename Enum> int32_t getRawValue(const Enum &value) {
  static_assert(sizeof(Enum) == sizeof(int32_t), "C enums are int-sized");
  int32_t raw;
  std::memcpy(&raw, &value, sizeof(raw));
  return raw;
}

/// A preset passed as its raw value (getRawValue).
std::optional<Preset> unwrapPreset(int32_t preset) {
  switch (preset) {
  case OptimPresetTorchAdam:
    return Preset::TorchAdam;
  case OptimPresetTorchAdamW:
    return Preset::TorchAdamW;
  case OptimPresetMindSporeAdamWeightDecay:
    return Preset::MindSporeAdamWeightDecay;
  case OptimPresetMindSporeApplyAdamWithAmsgradV2:
    return Preset::MindSporeApplyAdamWithAmsgradV2;
  case OptimPresetMXNetAdamW:
    return Preset::MXNetAdamW;
  case OptimPresetBrainpyAdamW:
    return Preset::BrainpyAdamW;
  }
  return std::nullopt;
}

OptimStatus nullArgument(const char *function, const char *argument) {
  return makeStatus(
      llvm::formatv("{0}: {1} is null", function, argument).str());
}

/// The checks every entry point that takes a group makes.
OptimStatus checkGroupArguments(const char *function, OptimStep step,
                                const OptimParamBuffers *params,
                                intptr_t numParams,
                                const OptimStepScalars *scalars) {
  if (!step.ptr)
    return nullArgument(function, "step");
  if (!scalars)
    return nullArgument(function, "scalars");
  if (numParams < 0)
    return makeStatus(
        llvm::formatv("{0}: negative parameter count {1}", function, numParams)
            .str());
  if (!params && numParams != 0)
    return nullArgument(function, "params");
  return OptimStatus{nullptr};
}

OptimStatus runStep(const char *function, OptimStep step,
                    const OptimParamBuffers *params, intptr_t numParams,
                    const OptimStepScalars *scalars, bool parallel) {
  if (OptimStatus bad =
          checkGroupArguments(function, step, params, numParams, scalars);
      bad.ptr)
    return bad;
  llvm::ArrayRef<ParamBuffers> buffers(
      reinterpret_cast<const ParamBuffers *>(params),
      static_cast<size_t>(numParams));
  const CompiledStep &compiled = **unwrap(step);
  StepScalars s = unwrap(*scalars);
  return toStatus(parallel ? compiled.run(buffers, s)
                       : compiled.runSerial(buffers, s));
}
} // namespace

//===----------------------------------------------------------------------===//
// Status
//===----------------------------------------------------------------------===//

const char *optimStatusGetMessage(OptimStatus status) {
  if (!status.ptr)
    return "";
  return static_cast<std::string *>(status.ptr)->c_str();
}

void optimStatusDestroy(OptimStatus status) {
  delete static_cast<std::string *>(status.ptr);
}

int optimGetAbiVersion(void) { return OPTIM_C_ABI_VERSION; }

//===----------------------------------------------------------------------===//
// Configurations and scalars
//===----------------------------------------------------------------------===//

OptimStepConfig optimStepConfigForPreset(OptimPreset preset,
                                         OptimElementType paramType) {
  // An unknown preset or type yields a configuration that optimStepConfigVerify
  // (and optimCompilerGetStep) rejects, naming the preset or the field.
  std::optional<Preset> p = unwrapPreset(getRawValue(preset));
  OptimStepConfig c = wrap(
      StepConfig::forPreset(p.value_or(Preset::TorchAdamW), ElementType::f32));
  c.paramType = getRawValue(paramType);
  if (!p)
    c.biasCorrection = kUnknownPreset;
  return c;
}

OptimStepScalars optimStepScalarsForPreset(OptimPreset preset) {
  std::optional<Preset> p = unwrapPreset(getRawValue(preset));
  OptimStepScalars s = wrap(p ? StepScalars::forPreset(*p) : StepScalars());
  // Not a preset's: a NaN learning rate, which every step rejects.
  if (!p)
    s.lr = std::numeric_limits<double>::quiet_NaN();
  return s;
}

OptimStatus optimStepConfigVerify(const OptimStepConfig *config) {
  if (!config)
    return nullArgument("optimStepConfigVerify", "config");
  return toStatus(unwrap(*config).takeError());
}

OptimStatus optimStepScalarsVerify(const OptimStepConfig *config,
                                   const OptimStepScalars *scalars) {
  if (!config)
    return nullArgument("optimStepScalarsVerify", "config");
  if (!scalars)
    return nullArgument("optimStepScalarsVerify", "scalars");
  llvm::Expected<StepConfig> c = unwrap(*config);
  if (!c)
    return toStatus(c.takeError());
  return toStatus(unwrap(*scalars).verify(*c));
}

size_t optimElementTypeGetSize(OptimElementType type) {
  switch (getRawValue(type)) {
  case OptimElementTypeF16:
  case OptimElementTypeBF16:
    return 2;
  case OptimElementTypeF32:
    return 4;
  case OptimElementTypeF64:
    return 8;
  }
  return 0;
}

size_t optimElementTypeGetMomentSize(OptimElementType type) {
  switch (getRawValue(type)) {
  case OptimElementTypeF16:
  case OptimElementTypeBF16:
  case OptimElementTypeF32:
    return 4;
  case OptimElementTypeF64:
    return 8;
  }
  return 0;
}

//===----------------------------------------------------------------------===//
// Compiler and compiled steps
//===----------------------------------------------------------------------===//

OptimStatus optimCompilerCreate(uint32_t numThreads, OptimCompiler *compiler) {
  if (!compiler)
    return nullArgument("optimCompilerCreate", "compiler");
  CompilerOptions options;
  options.numThreads = numThreads;
  llvm::Expected<std::unique_ptr<Compiler>> created = Compiler::create(options);
  if (!created)
    return toStatus(created.takeError());
  compiler->ptr = created->release();
  return OptimStatus{nullptr};
}

void optimCompilerDestroy(OptimCompiler compiler) { delete unwrap(compiler); }

uint32_t optimCompilerGetNumThreads(OptimCompiler compiler) {
  return compiler.ptr ? unwrap(compiler)->getNumThreads() : 0;
}

OptimStatus optimCompilerGetStep(OptimCompiler compiler,
                                 const OptimStepConfig *config,
                                 OptimStep *step) {
  if (!compiler.ptr)
    return nullArgument("optimCompilerGetStep", "compiler");
  if (!config)
    return nullArgument("optimCompilerGetStep", "config");
  if (!step)
    return nullArgument("optimCompilerGetStep", "step");
  llvm::Expected<StepConfig> c = unwrap(*config);
  if (!c)
    return toStatus(c.takeError());
  llvm::Expected<StepRef> compiled = unwrap(compiler)->getStep(*c);
  if (!compiled)
    return toStatus(compiled.takeError());
  step->ptr = new StepRef(std::move(*compiled));
  return OptimStatus{nullptr};
}

void optimStepDestroy(OptimStep step) { delete unwrap(step); }

OptimStatus optimStepGetConfig(OptimStep step, OptimStepConfig *config) {
  if (!step.ptr)
    return nullArgument("optimStepGetConfig", "step");
  if (!config)
    return nullArgument("optimStepGetConfig", "config");
  const StepConfig &c = (*unwrap(step))->getConfig();
  *config = wrap(c);
  config->gpuChip = c.gpuChip.c_str();
  return OptimStatus{nullptr};
}

OptimStatus optimStepRun(OptimStep step, const OptimParamBuffers *params,
                         intptr_t numParams, const OptimStepScalars *scalars) {
  return runStep("optimStepRun", step, params, numParams, scalars,
                 /*parallel=*/true);
}

OptimStatus optimStepRunSerial(OptimStep step, const OptimParamBuffers *params,
                               intptr_t numParams,
                               const OptimStepScalars *scalars) {
  return runStep("optimStepRunSerial", step, params, numParams, scalars,
                 /*parallel=*/false);
}

OptimStatus optimStepComputeGradSquaredNorm(OptimStep step,
                                            const OptimParamBuffers *params,
                                            intptr_t numParams,
                                            const OptimStepScalars *scalars,
                                            double *squaredNorm) {
  const char *function = "optimStepComputeGradSquaredNorm";
  if (OptimStatus bad =
          checkGroupArguments(function, step, params, numParams, scalars);
      bad.ptr)
    return bad;
  if (!squaredNorm)
    return nullArgument(function, "squaredNorm");
  llvm::ArrayRef<ParamBuffers> buffers(
      reinterpret_cast<const ParamBuffers *>(params),
      static_cast<size_t>(numParams));
  llvm::Expected<double> sum =
      (*unwrap(step))->computeGradSquaredNorm(buffers, unwrap(*scalars));
  if (!sum)
    return toStatus(sum.takeError());
  *squaredNorm = *sum;
  return OptimStatus{nullptr};
}
