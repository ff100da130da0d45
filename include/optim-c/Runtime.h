/*===-- optim-c/Runtime.h - C API of the optim JIT runtime --------*- C -*-===*\
|*                                                                            *|
|* The runtime for callers that are not C++ (Python's ctypes, other FFIs),    *|
|* in the style of mlir-c: opaque handles, plain-data structs, and status     *|
|* objects instead of exceptions. No function aborts on bad input: every      *|
|* pointer argument is checked, and a call that fails returns a status with   *|
|* a message and has written nothing (neither the caller's buffers nor the    *|
|* out-parameters).                                                           *|
|*                                                                            *|
|*   OptimCompiler compiler;                                                  *|
|*   OptimStatus s = optimCompilerCreate(0, &compiler);                       *|
|*   OptimStepConfig config =                                                 *|
|*       optimStepConfigForPreset(OptimPresetTorchAdamW, OptimElementTypeF32);*|
|*   OptimStep step;                                                          *|
|*   s = optimCompilerGetStep(compiler, &config, &step);                      *|
|*   OptimStepScalars scalars = optimStepScalarsForPreset(...);               *|
|*   OptimParamBuffers buffers = {w, dw, m, v, NULL, n, NULL, NULL};          *|
|*   s = optimStepRun(step, &buffers, 1, &scalars);                           *|
|*   if (!optimStatusIsSuccess(s)) {                                          *|
|*     fprintf(stderr, "%s\n", optimStatusGetMessage(s));                     *|
|*     optimStatusDestroy(s);                                                 *|
|*   }                                                                        *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef OPTIM_C_RUNTIME_H
#define OPTIM_C_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#define OPTIM_CAPI_EXPORTED __declspec(dllexport)
#else
#define OPTIM_CAPI_EXPORTED __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/// The version of this interface. It changes whenever a struct below changes
/// layout; bindings compare it with optimGetAbiVersion() at load time.
#define OPTIM_C_ABI_VERSION 3

#define DEFINE_C_API_STRUCT(name, storage)                                     \
  struct name {                                                                \
    storage *ptr;                                                              \
  };                                                                           \
  typedef struct name name

/// The result of a call that can fail. A null `ptr` is success (and owns
/// nothing); a failure owns its message until optimStatusDestroy.
DEFINE_C_API_STRUCT(OptimStatus, void);
/// A JIT compiler with its cache of compiled steps and its thread pool.
DEFINE_C_API_STRUCT(OptimCompiler, void);
/// A compiled step (a reference; it stays valid after its compiler is
/// destroyed).
DEFINE_C_API_STRUCT(OptimStep, void);

#undef DEFINE_C_API_STRUCT

//===----------------------------------------------------------------------===//
// Status
//===----------------------------------------------------------------------===//

static inline bool optimStatusIsSuccess(OptimStatus status) {
  return status.ptr == NULL;
}

/// The failure's message ("" on success). Owned by the status.
OPTIM_CAPI_EXPORTED const char *optimStatusGetMessage(OptimStatus status);

/// Releases a status; destroying a success is a no-op.
OPTIM_CAPI_EXPORTED void optimStatusDestroy(OptimStatus status);

/// OPTIM_C_ABI_VERSION of the library actually loaded.
OPTIM_CAPI_EXPORTED int optimGetAbiVersion(void);

//===----------------------------------------------------------------------===//
// Configurations and scalars (plain data)
//===----------------------------------------------------------------------===//

typedef enum OptimElementType {
  OptimElementTypeF16 = 0,
  OptimElementTypeBF16 = 1,
  OptimElementTypeF32 = 2,
  OptimElementTypeF64 = 3,
} OptimElementType;

/// How a step stores its moments (optim::MomentStorage).
typedef enum OptimMomentStorage {
  /// The compute type (f32; f64 for f64 parameters).
  OptimMomentStorageCompute = 0,
  /// bf16, rounded to nearest even (f32-computing steps).
  OptimMomentStorageBF16 = 1,
  /// 8-bit blockwise codes with an f32 absmax per 256 elements (f32-computing
  /// steps without AMSGrad); tensors below 4096 elements keep f32 moments.
  OptimMomentStorageBlockwise8 = 2,
} OptimMomentStorage;

typedef enum OptimTarget {
  OptimTargetCPU = 0,
  OptimTargetGPU = 1,
} OptimTarget;

typedef enum OptimBiasCorrection {
  OptimBiasCorrectionStandard = 0,
  OptimBiasCorrectionFolded = 1,
  OptimBiasCorrectionNone = 2,
} OptimBiasCorrection;

typedef enum OptimWeightDecay {
  OptimWeightDecayNone = 0,
  OptimWeightDecayL2 = 1,
  OptimWeightDecayDecoupled = 2,
} OptimWeightDecay;

typedef enum OptimDecayRate {
  OptimDecayRateLr = 0,
  OptimDecayRateEffective = 1,
} OptimDecayRate;

/// The framework presets of SEMANTICS.md.
typedef enum OptimPreset {
  OptimPresetTorchAdam = 0,
  OptimPresetTorchAdamW = 1,
  OptimPresetMindSporeAdamWeightDecay = 2,
  OptimPresetMindSporeApplyAdamWithAmsgradV2 = 3,
  OptimPresetMXNetAdamW = 4,
  OptimPresetBrainpyAdamW = 5,
} OptimPreset;

/// Everything a compiled step depends on (optim::StepConfig). Fields are
/// int32_t rather than enums or bool so that the layout is the same for
/// every compiler and FFI.
typedef struct OptimStepConfig {
  int32_t biasCorrection; ///< OptimBiasCorrection
  int32_t weightDecay;    ///< OptimWeightDecay
  int32_t decayRate;      ///< OptimDecayRate (decoupled decay only)
  int32_t amsgrad;
  int32_t maximize;
  /// The caller passes beta1^t and beta2^t instead of the step count (needs
  /// bias correction standard or folded).
  int32_t givenPowers;
  int32_t rescaleGrad;
  int32_t clipGradient;
  int32_t gradScale;
  int32_t foundInf;
  int32_t paramType; ///< OptimElementType
  int32_t target;    ///< OptimTarget
  int32_t fastMath;
  /// Global-norm clipping: the step takes scalars.gradNorm (the square root
  /// of optimStepComputeGradSquaredNorm's sum) and scalars.maxGradNorm.
  int32_t clipGradNorm;
  int32_t momentStorage; ///< OptimMomentStorage
  /// bf16 parameters are rounded stochastically (scalars.roundingSeed,
  /// roundingOffset and roundingStream).
  int32_t stochasticRounding;
  /// Elements per vector; 0 picks the host's widest register.
  int32_t vectorSize;
  /// GPU steps: the NVIDIA chip, e.g. "sm_90"; NULL for the default.
  const char *gpuChip;
} OptimStepConfig;

/// Run-time scalars of one step (optim::StepScalars).
typedef struct OptimStepScalars {
  double lr;
  double beta1;
  double beta2;
  double eps;
  double weightDecay;
  /// The step count t >= 1, unless the configuration takes given powers.
  int64_t step;
  double beta1Power;
  double beta2Power;
  double rescaleGrad;
  /// Negative disables clipping.
  double clipGradient;
  double gradScale;
  /// Non-zero skips the step: nothing is written.
  double foundInf;
  /// Global-norm clipping: the gradients' norm and its bound (>= 0; +inf
  /// never clips). Gradients are scaled by min(1, max / (norm + 1e-6)).
  double gradNorm;
  double maxGradNorm;
  /// Stochastic rounding: the seed, the draw offset (normally the step
  /// count) and the stream of the call's first tensor (tensor k uses
  /// roundingStream + k).
  uint64_t roundingSeed;
  uint64_t roundingOffset;
  uint64_t roundingStream;
} OptimStepScalars;

/// One parameter's buffers: `numElements` contiguous elements each; the
/// moments (and maxExpAvgSq, AMSGrad only, otherwise NULL) have the moment
/// element type (bf16 with OptimMomentStorageBF16; otherwise f32 for
/// f16/bf16 parameters, the parameter type otherwise). With
/// OptimMomentStorageBlockwise8 and at least 4096 elements the moments are
/// one byte each and the absmaxes hold (numElements + 255) / 256 floats
/// (zero for fresh moments); they are NULL otherwise. tensorElements is 0,
/// or the whole tensor's element count when the buffers are a piece of it
/// that starts on one of its 256-element blocks (it decides the coding).
typedef struct OptimParamBuffers {
  void *param;
  const void *grad;
  void *expAvg;
  void *expAvgSq;
  void *maxExpAvgSq;
  int64_t numElements;
  float *expAvgAbsmax;
  float *expAvgSqAbsmax;
  int64_t tensorElements;
} OptimParamBuffers;

/// The configuration of `preset` for parameters of `paramType`, on the CPU,
/// without maximize, and without AMSGrad unless the preset has it (mindspore
/// ApplyAdamWithAmsgradV2). An unknown preset gives a configuration that
/// optimStepConfigVerify rejects, saying so; an unknown type, one it rejects
/// naming paramType.
OPTIM_CAPI_EXPORTED OptimStepConfig
optimStepConfigForPreset(OptimPreset preset, OptimElementType paramType);

/// The scalars users of `preset`'s framework expect, with step 1. An unknown
/// preset gives a NaN lr, which every step rejects.
OPTIM_CAPI_EXPORTED OptimStepScalars
optimStepScalarsForPreset(OptimPreset preset);

/// Checks `config` (field ranges and combinations a kernel can implement).
OPTIM_CAPI_EXPORTED OptimStatus
optimStepConfigVerify(const OptimStepConfig *config);

/// Checks `scalars` for a step compiled for `config`, as optimStepRun does
/// (ranges, NaN and Inf, representable in the compute type).
OPTIM_CAPI_EXPORTED OptimStatus
optimStepScalarsVerify(const OptimStepConfig *config,
                       const OptimStepScalars *scalars);

/// Bytes of one parameter element of `type` (0 for an unknown type) and of
/// one moment element for parameters of `type`.
OPTIM_CAPI_EXPORTED size_t optimElementTypeGetSize(OptimElementType type);
OPTIM_CAPI_EXPORTED size_t
optimElementTypeGetMomentSize(OptimElementType type);

//===----------------------------------------------------------------------===//
// Compiler and compiled steps
//===----------------------------------------------------------------------===//

/// Creates a compiler whose steps use up to `numThreads` threads (0: every
/// hardware thread).
OPTIM_CAPI_EXPORTED OptimStatus optimCompilerCreate(uint32_t numThreads,
                                                    OptimCompiler *compiler);

/// Destroys a compiler; steps obtained from it stay valid. Null is a no-op.
OPTIM_CAPI_EXPORTED void optimCompilerDestroy(OptimCompiler compiler);

/// The threads its steps use.
OPTIM_CAPI_EXPORTED uint32_t optimCompilerGetNumThreads(OptimCompiler compiler);

/// The compiled step for `config`: compiled on first request, then served
/// from the compiler's cache. Thread-safe. Release it with optimStepDestroy.
OPTIM_CAPI_EXPORTED OptimStatus optimCompilerGetStep(
    OptimCompiler compiler, const OptimStepConfig *config, OptimStep *step);

/// Releases a step reference. Null is a no-op.
OPTIM_CAPI_EXPORTED void optimStepDestroy(OptimStep step);

/// The configuration `step` was compiled for (its gpuChip points into the
/// step and lives as long as it).
OPTIM_CAPI_EXPORTED OptimStatus optimStepGetConfig(OptimStep step,
                                                   OptimStepConfig *config);

/// Updates the `numParams` parameters of `params` in place, splitting the
/// work over the compiler's threads. Every argument is checked first
/// (scalars, null, misaligned or overlapping buffers, sizes); on failure no
/// buffer has been written. `params` may be NULL when `numParams` is 0.
OPTIM_CAPI_EXPORTED OptimStatus optimStepRun(OptimStep step,
                                             const OptimParamBuffers *params,
                                             intptr_t numParams,
                                             const OptimStepScalars *scalars);

/// Same, on the calling thread only.
OPTIM_CAPI_EXPORTED OptimStatus optimStepRunSerial(
    OptimStep step, const OptimParamBuffers *params, intptr_t numParams,
    const OptimStepScalars *scalars);

/// Global-norm clipping (a step configured with clipGradNorm): writes to
/// `*squaredNorm` the sum of the squares of every gradient element of
/// `params` (unscaled by scalars->gradScale when the step takes one), in one
/// pass on the compiler's threads, the same bits for any thread count. The
/// norm over several groups is the square root of their sum; it goes into
/// scalars.gradNorm of the steps. Nothing is written on error.
OPTIM_CAPI_EXPORTED OptimStatus optimStepComputeGradSquaredNorm(
    OptimStep step, const OptimParamBuffers *params, intptr_t numParams,
    const OptimStepScalars *scalars, double *squaredNorm);

#ifdef __cplusplus
}
#endif

#endif // OPTIM_C_RUNTIME_H
