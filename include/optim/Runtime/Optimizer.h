//===- Optimizer.h - a stateful Adam-family optimizer -----------*- C++ -*-===//
//
// What a training loop expects from an optimizer: it owns the moments (and
// AMSGrad's running maximum) and the step count for a list of parameters,
// split into groups with their own hyperparameters like torch.optim's param
// groups; `step()` updates every parameter of every group in one call, and
// the state can be saved and restored.
//
//   auto opt = cantFail(optim::Optimizer::create(*compiler, {
//       {{w}, optim::AdamWOptions().lr(3e-4).weightDecay(0.1)},
//       {{b}, optim::AdamWOptions().lr(3e-4).weightDecay(0)}}));
//   for (...) { computeGrads(); cantFail(opt->step({dw, db})); }
//
//===----------------------------------------------------------------------===//

#ifndef OPTIM_RUNTIME_OPTIMIZER_H
#define OPTIM_RUNTIME_OPTIMIZER_H

#include "optim/Runtime/Compiler.h"
#include "optim/Runtime/OptimizerOptions.h"
#include "optim/Runtime/TensorView.h"

#include <limits>
#include <memory>
#include <vector>

namespace optim {

/// An untyped parameter: `numElements` contiguous elements of the
/// configuration's parameter type, owned by the caller. (TensorView is the
/// typed form: its element type is checked.)
struct ParamRef {
  void *data;
  int64_t numElements;
};

/// Parameters updated with one configuration and one set of
/// hyperparameters.
struct ParamGroup {
  std::vector<TensorView> params;
  StepConfig config;
  /// lr, betas, eps, weight decay and the preprocessing scalars; `step` is
  /// the count of the group's first step (normally 1).
  StepScalars hyper;

  ParamGroup(std::vector<TensorView> params, const OptimizerOptions &options)
      : params(std::move(params)), config(options.getConfig()),
        hyper(options.getScalars()) {}
  ParamGroup(std::vector<TensorView> params, StepConfig config,
             StepScalars hyper)
      : params(std::move(params)), config(std::move(config)),
        hyper(std::move(hyper)) {}
};

class Optimizer {
public:
  /// One optimizer over `groups`. Each group's parameters must be of its
  /// configuration's parameter type; groups with equal configurations share
  /// one compiled step. Nothing is compiled or allocated on error.
  static llvm::Expected<std::unique_ptr<Optimizer>>
  create(Compiler &compiler, std::vector<ParamGroup> groups);
  /// One group from typed options.
  static llvm::Expected<std::unique_ptr<Optimizer>>
  create(Compiler &compiler, const OptimizerOptions &options,
         std::vector<TensorView> params);
  /// One group of untyped parameters, each of `config.paramType`.
  static llvm::Expected<std::unique_ptr<Optimizer>>
  create(Compiler &compiler, const StepConfig &config, const StepScalars &hyper,
         std::vector<ParamRef> params);

  /// One step over every parameter with `grads[i]` for parameter i, the
  /// parameters of all groups numbered in order. The step count advances
  /// unless `foundInf` is non-zero (then nothing changes). Every group is
  /// checked before any runs: on error nothing changes. A step whose count
  /// would exceed kMaxStepCount (2^53) is an error.
  llvm::Error step(llvm::ArrayRef<const void *> grads, double foundInf = 0.0);
  /// The same with typed gradients: each must have its parameter's element
  /// type and size.
  llvm::Error step(llvm::ArrayRef<ConstTensorView> grads,
                   double foundInf = 0.0);

  /// Learning-rate schedules: take effect at the next step, no recompile.
  /// Without a group, every group's rate is set; a group index out of range
  /// is an error.
  void setLearningRate(double lr);
  llvm::Error setLearningRate(size_t group, double lr);
  /// NaN for a group index out of range.
  double getLearningRate(size_t group = 0) const {
    return group < groups.size() ? groups[group].hyper.lr
                                 : std::numeric_limits<double>::quiet_NaN();
  }
  /// A group's scalars, to change between steps (e.g. weight decay); they
  /// are checked at the next step. The optimizer keeps the step count and
  /// takes found_inf as step()'s argument, so `step` and `foundInf` must
  /// stay as they are, and `maxGradNorm` is for groups created with
  /// clipping: other edits of them are refused (verifyEdits). Null for a
  /// group index out of range, as are the two below.
  StepScalars *getHyperParameters(size_t group = 0) {
    return group < groups.size() ? &groups[group].hyper : nullptr;
  }
  const StepConfig *getConfig(size_t group = 0) const {
    return group < groups.size() ? &groups[group].compiled->getConfig()
                                 : nullptr;
  }
  size_t getNumGroups() const { return groups.size(); }
  /// The compiled step of a group (shared by groups of equal
  /// configuration).
  const CompiledStep *getCompiledStep(size_t group = 0) const {
    return group < groups.size() ? groups[group].compiled.get() : nullptr;
  }

  /// Steps taken so far.
  int64_t getStepCount() const { return stepCount; }
  /// Global-norm clipping (OptimizerOptions::maxGradNorm): the norm of the
  /// last step's gradients over every group that clips, as
  /// clip_grad_norm_ returns it (NaN before the first such step, after
  /// importState, and for a step skipped by foundInf, which computes none).
  double getLastGradNorm() const { return lastGradNorm; }
  /// Whether a step whose gradient norm is NaN or infinite is skipped (like
  /// a non-zero foundInf: nothing changes, the count does not advance)
  /// instead of running with a NaN clipping coefficient as torch would.
  /// Off by default; the norm is reported either way.
  void setSkipNonfiniteNorm(bool skip) { skipNonfiniteNorm = skip; }
  /// Parameters in all groups.
  size_t getNumParams() const { return numParams; }
  /// Moment buffers of parameter `i` (all groups numbered in order; moment
  /// element type); null for an index out of range.
  const void *getExpAvg(size_t i) const {
    const ParamState *state = locate(i);
    return state ? state->expAvg.get() : nullptr;
  }
  const void *getExpAvgSq(size_t i) const {
    const ParamState *state = locate(i);
    return state ? state->expAvgSq.get() : nullptr;
  }
  const void *getMaxExpAvgSq(size_t i) const {
    const ParamState *state = locate(i);
    return state ? state->maxExpAvgSq.get() : nullptr;
  }
  /// With 8-bit moments (hasQuantizedMoments): the moments above are codes,
  /// and these their absmaxes (null otherwise).
  const float *getExpAvgAbsmax(size_t i) const {
    const ParamState *state = locate(i);
    return state ? reinterpret_cast<const float *>(state->expAvgAbsmax.get())
                 : nullptr;
  }
  const float *getExpAvgSqAbsmax(size_t i) const {
    const ParamState *state = locate(i);
    return state ? reinterpret_cast<const float *>(state->expAvgSqAbsmax.get())
                 : nullptr;
  }

  /// Serialises the step count and every moment buffer:
  ///
  ///   optim-state-v3 <number of groups> <steps taken>\n
  ///   per group: group <config key> <number of params>\n
  ///     per param: <elements>\n <exp_avg> <exp_avg_sq> [<max_exp_avg_sq>]
  ///                [<exp_avg absmax> <exp_avg_sq absmax>]  (8-bit moments)
  ///   xxh3 <16 hex digits>\n
  ///
  /// The buffers are raw host-endian moment elements; the last line is the
  /// xxh3_64bits of every byte before it. Hyperparameters are not state
  /// (the caller sets them, as with torch's param groups).
  std::string exportState() const;
  /// Restores what exportState produced. Rejects another format version, a
  /// checksum mismatch or truncation, other groups, configurations or
  /// sizes, a step count beyond kMaxStepCount, and moments no step could
  /// have produced (NaN or Inf, a negative exp_avg_sq or max_exp_avg_sq);
  /// on error nothing changes.
  llvm::Error importState(llvm::StringRef blob);

  /// exportState into the file at `path`, written atomically: a temporary
  /// file beside it, synced to disk, renamed over it, so a crash leaves the
  /// old file whole.
  llvm::Error saveState(llvm::StringRef path) const;
  /// importState from the regular file at `path` (a FIFO or a device is
  /// refused), with its checks; on error nothing changes.
  llvm::Error loadState(llvm::StringRef path);

private:
  struct Buffer {
    void operator()(void *p) const;
  };
  using Storage = std::unique_ptr<char, Buffer>;
  struct ParamState {
    Storage expAvg, expAvgSq, maxExpAvgSq;
    /// 8-bit moments only.
    Storage expAvgAbsmax, expAvgSqAbsmax;
  };
  struct Group {
    std::shared_ptr<const CompiledStep> compiled;
    StepScalars hyper;
    std::vector<TensorView> params;
    std::vector<ParamState> state;
    /// The kernel arguments, refreshed with the gradients of each step.
    std::vector<ParamBuffers> buffers;
    int64_t firstStep;
  };

  Optimizer() = default;
  /// Parameter `i`'s state; null when out of range.
  const ParamState *locate(size_t i) const;
  /// `grad(i)` is the gradient of parameter i (flat numbering).
  llvm::Error stepImpl(llvm::function_ref<const void *(size_t)> grad,
                       double foundInf);

  std::vector<Group> groups;
  size_t numParams = 0;
  int64_t stepCount = 0;
  double lastGradNorm = std::numeric_limits<double>::quiet_NaN();
  bool skipNonfiniteNorm = false;
};

} // namespace optim

#endif // OPTIM_RUNTIME_OPTIMIZER_H
