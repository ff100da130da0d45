//===- Optimizer.h - a stateful Adam-family optimizer -----------*- C++ -*-===//
//
// What a training loop expects from an optimizer: it owns the moments (and
// AMSGrad's running maximum) and the step count for a list of parameters,
// `step()` updates every parameter in one call, and the state can be saved
// and restored.
//
//   auto opt = cantFail(optim::Optimizer::create(
//       *compiler, optim::StepConfig::forPreset(optim::Preset::TorchAdamW,
//                                               optim::ElementType::f32),
//       hyper, {{w.data(), w.size()}, {b.data(), b.size()}}));
//   for (...) { computeGrads(); cantFail(opt->step({dw.data(), db.data()})); }
//
//===----------------------------------------------------------------------===//

#ifndef OPTIM_RUNTIME_OPTIMIZER_H
#define OPTIM_RUNTIME_OPTIMIZER_H

#include "optim/Runtime/Compiler.h"

#include <memory>
#include <vector>

namespace optim {

/// A parameter the optimizer updates in place: `numElements` contiguous
/// elements of the configuration's parameter type, owned by the caller.
struct ParamRef {
  void *data;
  int64_t numElements;
};

class Optimizer {
public:
  /// `hyper` holds lr, betas, eps, weight decay and the preprocessing
  /// scalars; its `step` is the count of the first step (normally 1).
  static llvm::Expected<std::unique_ptr<Optimizer>>
  create(Compiler &compiler, const StepConfig &config, const StepScalars &hyper,
         std::vector<ParamRef> params);

  /// One step over every parameter with `grads[i]` for parameter i. The
  /// step count advances unless `foundInf` is non-zero (then nothing
  /// changes). On error nothing changes either; a step whose count would
  /// exceed kMaxStepCount (2^53) is an error.
  llvm::Error step(llvm::ArrayRef<const void *> grads, double foundInf = 0.0);

  /// Learning-rate schedules: takes effect at the next step, no recompile.
  void setLearningRate(double lr) { hyper.lr = lr; }
  double getLearningRate() const { return hyper.lr; }
  StepScalars &getHyperParameters() { return hyper; }

  /// Steps taken so far.
  int64_t getStepCount() const { return stepCount; }
  size_t getNumParams() const { return params.size(); }
  /// Moment buffers of parameter `i` (moment element type).
  const void *getExpAvg(size_t i) const { return state[i].expAvg.get(); }
  const void *getExpAvgSq(size_t i) const { return state[i].expAvgSq.get(); }
  const void *getMaxExpAvgSq(size_t i) const {
    return state[i].maxExpAvgSq.get();
  }

  /// Serialises the step count and every moment buffer:
  ///
  ///   optim-state-v2 <config key> <number of params> <steps taken>\n
  ///   per param: <elements>\n <exp_avg> <exp_avg_sq> [<max_exp_avg_sq>]
  ///   xxh3 <16 hex digits>\n
  ///
  /// The buffers are raw host-endian moment elements; the last line is the
  /// xxh3_64bits of every byte before it.
  std::string exportState() const;
  /// Restores what exportState produced. Rejects another format version, a
  /// checksum mismatch or truncation, a different configuration or sizes, a
  /// step count beyond kMaxStepCount, and moments no step could have
  /// produced (NaN or Inf, a negative exp_avg_sq or max_exp_avg_sq); on
  /// error nothing changes.
  llvm::Error importState(llvm::StringRef blob);

private:
  struct Buffer {
    void operator()(void *p) const;
  };
  using Storage = std::unique_ptr<char, Buffer>;
  struct ParamState {
    Storage expAvg, expAvgSq, maxExpAvgSq;
  };

  Optimizer(std::shared_ptr<const CompiledStep> compiled,
            const StepScalars &hyper, std::vector<ParamRef> params);

  std::shared_ptr<const CompiledStep> compiled;
  StepScalars hyper;
  std::vector<ParamRef> params;
  std::vector<ParamState> state;
  /// The kernel arguments, refreshed with the gradients of each step.
  std::vector<ParamBuffers> buffers;
  int64_t firstStep;
  int64_t stepCount = 0;
};

} // namespace optim

#endif // OPTIM_RUNTIME_OPTIMIZER_H
