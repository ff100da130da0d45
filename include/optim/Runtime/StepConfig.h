//===- StepConfig.h - what a compiled optimizer step computes ---*- C++ -*-===//
//
// Plain data shared by the runtime's compiler, its executors and its users:
// the configuration a step is compiled for (and cached under), the per-step
// scalars passed at run time, and the buffers of one parameter.
//
//===----------------------------------------------------------------------===//

#ifndef OPTIM_RUNTIME_STEPCONFIG_H
#define OPTIM_RUNTIME_STEPCONFIG_H

#include "optim/Support/AdamVariant.h"
#include "optim/Support/BlockwiseQuant.h"
#include "optim/Support/ScalarChecks.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <limits>
#include <optional>
#include <string>

namespace optim {

/// Element type of parameters and gradients. Moments are f32 for f16/bf16
/// parameters and the parameter type otherwise.
enum class ElementType { f16, bf16, f32, f64 };

llvm::StringRef stringifyElementType(ElementType type);
std::optional<ElementType> symbolizeElementType(llvm::StringRef name);
/// Bytes of one parameter (or gradient) element.
unsigned getElementSize(ElementType type);
/// The moment element type for parameters of `type` (in their compute type).
ElementType getMomentElementType(ElementType type);
/// The type a step on parameters of `type` computes in (that of its moments).
ComputeType getComputeType(ElementType type);

/// Checks a step count exactly: an integer in [1, kMaxStepCount]. (Counts
/// beyond 2^53 are checked as integers, not by their f64 rounding.)
llvm::Error verifyStepCount(int64_t t);
/// The error for a step that would bring the count to `t` > kMaxStepCount,
/// success otherwise: what an optimizer that keeps the count says before it
/// runs a step (a caller-supplied count is checked by verifyStepCount).
llvm::Error checkNextStepCount(int64_t t);

/// How a step stores its moments (exp_avg, exp_avg_sq, max_exp_avg_sq). The
/// step always computes in its compute type; a narrower storage is decoded
/// on load and encoded once on store, in the same fused loop.
enum class MomentStorage {
  /// The compute type: f32 (f64 for f64 parameters).
  compute,
  /// bf16, rounded to nearest even on store (f32-computing steps): 4 bytes
  /// of state per parameter instead of 8.
  bf16,
  /// 8-bit blockwise codes (bitsandbytes' scheme, optim/Support/
  /// BlockwiseQuant.h; f32-computing steps without AMSGrad): per moment one
  /// byte per element and an f32 absmax per block of 256 elements, 2.03
  /// bytes of state per parameter. Tensors below kMinQuantizedElements
  /// elements keep f32 moments (see hasQuantizedMoments).
  blockwise8,
};

/// Where a step runs. GPUEmulated compiles the GPU kernel exactly as for
/// the device (same mapping, same group table) and runs every block and
/// thread of the launch as host loops: a GPU step tested without a GPU.
enum class Target { CPU, GPU, GPUEmulated };

/// Everything a compiled step depends on. Two equal configurations share one
/// compiled kernel.
struct StepConfig {
  AdamVariant variant;
  ElementType paramType = ElementType::f32;
  MomentStorage momentStorage = MomentStorage::compute;
  Target target = Target::CPU;
  /// The NVIDIA chip a GPU step is compiled for (sm_80 and newer).
  std::string gpuChip = "sm_90";
  /// f32 only: reciprocal and reciprocal-square-root estimates refined by
  /// one Newton step instead of correctly rounded sqrt and division. The
  /// update's relative error stays below 2^-20 (every golden case passes);
  /// f64 steps are always precise.
  bool fastMath = false;
  /// Elements per vector; 0 picks the host's widest register (e.g. 16 f32 or
  /// 8 f64 with AVX-512).
  unsigned vectorSize = 0;
  /// GPU targets: threads per block and the most blocks a launch uses (the
  /// kernel's grid-stride loop covers any group with any grid).
  unsigned gpuBlockSize = 256;
  unsigned gpuMaxBlocks = 2048;
  /// Testing only: added to the GPU kernel's grid stride, a deliberate
  /// indexing bug that the emulated conformance run must catch.
  int gpuTestStrideOffset = 0;

  static StepConfig forPreset(Preset preset, ElementType paramType,
                              const PresetOptions &options = {});

  /// The cache key: every field, spelled stably.
  std::string key() const;
  /// Rejects combinations no kernel can implement.
  llvm::Error verify() const;
};

/// The element type `config` stores its moments in (its storage, or the
/// compute type of its parameters). For 8-bit storage this is f32, the type
/// of the tensors too small to be coded (hasQuantizedMoments).
ElementType getMomentElementType(const StepConfig &config);

/// Whether a tensor of `numElements` elements stores 8-bit moments under
/// `config` (blockwise8 storage, at least kMinQuantizedElements elements).
bool hasQuantizedMoments(const StepConfig &config, int64_t numElements);

/// Bytes per element of each moment of a tensor of `numElements` elements:
/// 1 for 8-bit codes, otherwise the moment element type's size.
unsigned getMomentElementSize(const StepConfig &config, int64_t numElements);

/// Run-time scalars of one step. Which ones are read depends on the
/// configuration (e.g. `step` or the powers, `rescaleGrad` only with
/// AdamVariant::rescaleGrad).
struct StepScalars {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weightDecay = 0.0;
  /// The step count, 1 <= t <= kMaxStepCount (bias correction with beta^t).
  int64_t step = 1;
  /// beta1^t and beta2^t when the configuration takes given powers.
  double beta1Power = 0.0;
  double beta2Power = 0.0;
  double rescaleGrad = 1.0;
  /// Clip gradients to [-clip, clip] when clip >= 0 (MXNet); a negative
  /// value disables clipping, NaN is an error.
  double clipGradient = -1.0;
  double gradScale = 1.0;
  /// Non-zero skips the whole step: nothing is written.
  double foundInf = 0.0;
  /// Global-norm clipping (AdamVariant::clipGradNorm): the gradients' norm,
  /// as CompiledStep::computeGradNorm returns it, and the bound. Every
  /// gradient is multiplied by min(1, maxGradNorm / (gradNorm + 1e-6)); a
  /// NaN or infinite norm makes that NaN, as in torch (Optimizer can skip
  /// such a step instead). maxGradNorm must be >= 0 (+inf never clips).
  double gradNorm = 0.0;
  double maxGradNorm = std::numeric_limits<double>::infinity();
  /// Stochastic rounding (AdamVariant::stochasticRounding, bf16 params):
  /// the seed, the draw offset (Optimizer passes the step count, so every
  /// step draws afresh) and the stream of the group's first tensor (tensor
  /// k of the group rounds with stream roundingStream + k; Optimizer gives
  /// each group its own). Equal values give bit-identical results whatever
  /// the thread count.
  uint64_t roundingSeed = 0;
  uint64_t roundingOffset = 0;
  uint64_t roundingStream = 0;
  /// The index, within its tensor, of the first tensor's first element: 0
  /// unless that buffer is the tail of a tensor whose head is elsewhere, as
  /// a shard's first piece is (ShardedOptimizer), so that it draws the bits
  /// the whole tensor would. CPU steps only.
  uint64_t roundingElement = 0;

  /// The defaults users of `preset`'s framework expect (lr, betas, eps,
  /// weight decay; e.g. eps 1e-6 for MXNet, weight decay 1e-2 for AdamW).
  static StepScalars forPreset(Preset preset);

  /// The checks the verifier applies to constants (optim::checkScalar, in
  /// the step's compute type), at run time, for every scalar `config` reads;
  /// and that the per-step coefficients derived from them (the step size
  /// lr / (1 - beta1^t) or lr_t, the decoupled decay factor) are finite in
  /// the compute type: no value the kernel uses becomes NaN or Inf before
  /// it reaches the element loop.
  llvm::Error verify(const StepConfig &config) const;

  /// For the scalars of an optimizer, which a user may edit between steps:
  /// the optimizer keeps the step count (its first step is `firstStep`) and
  /// takes found_inf as the step's argument, so these must be unchanged,
  /// and the clipping bound may be set only if `config` clips (each edit
  /// was ignored silently before). The rest is verify's, on the scalars of
  /// the step.
  llvm::Error verifyEdits(const StepConfig &config, int64_t firstStep) const;
};

/// The most elements a parameter group (and so each parameter) may hold:
/// byte offsets of 8-byte elements stay far from overflowing.
constexpr int64_t kMaxParamElements = int64_t(1) << 59;

/// The most parameters one group may hold: a count beyond any model's,
/// checked before anything is allocated per parameter (a C caller's 2^40
/// was an uncaught std::bad_alloc).
constexpr size_t kMaxGroupParams = size_t(1) << 24;

/// One parameter tensor's buffers, flattened: `numElements` contiguous
/// elements each. Moments (and `maxExpAvgSq`, AMSGrad only) are of the
/// moment element type, or 8-bit codes (hasQuantizedMoments), which come
/// with their absmaxes: getNumQuantBlocks(numElements) f32 each, zero for
/// fresh moments (the absmaxes are null otherwise).
struct ParamBuffers {
  void *param = nullptr;
  const void *grad = nullptr;
  void *expAvg = nullptr;
  void *expAvgSq = nullptr;
  void *maxExpAvgSq = nullptr;
  int64_t numElements = 0;
  float *expAvgAbsmax = nullptr;
  float *expAvgSqAbsmax = nullptr;
  /// When the buffers are a piece of a larger tensor (a sharded step's
  /// shard): the whole tensor's element count; 0 when they are the tensor.
  /// Whether moments are codes is the tensor's property, so a piece of a
  /// coded tensor is coded however short it is; such a piece starts on one
  /// of the tensor's quantisation blocks.
  int64_t tensorElements = 0;

  int64_t getTensorElements() const {
    return tensorElements ? tensorElements : numElements;
  }
};

} // namespace optim

#endif // OPTIM_RUNTIME_STEPCONFIG_H
