//===- ConcurrencyTest.cpp - one Compiler, many threads -------------------===//
//
// Several threads compile the same and different configurations through one
// Compiler at once, and run steps (through the shared worker pool) on
// disjoint buffers while others compile; every result is checked against
// the reference. Meant to run under ThreadSanitizer as well: each test takes
// a few seconds at most, and `--gtest_filter='Concurrency.*'` selects them.
//
//===----------------------------------------------------------------------===//

#include "Reference.h"
#include "TestTensor.h"

#include "optim/Runtime/Optimizer.h"

#include "gtest/gtest.h"

#include <atomic>
#include <thread>

using namespace optim;
using optim::test::Tensor;

namespace {

/// A compiler of its own (cache statistics start at zero) with two threads,
/// so that steps of 16K elements and more go through the worker pool.
std::unique_ptr<Compiler> createCompiler() {
  CompilerOptions options;
  options.numThreads = 2;
  return llvm::cantFail(Compiler::create(options));
}

/// Releases every waiting thread at once, to maximise contention.
class StartLine {
public:
  explicit StartLine(unsigned count) : waiting(count) {}
  void arriveAndWait() {
    waiting.fetch_sub(1, std::memory_order_acq_rel);
    while (waiting.load(std::memory_order_acquire) != 0)
      std::this_thread::yield();
  }

private:
  std::atomic<unsigned> waiting;
};

/// Runs three steps of `step` over fresh tensors of `sizes` and checks them
/// against the reference.
template <typename T>
void runAndCheck(const CompiledStep &step, const std::vector<int64_t> &sizes,
                 unsigned seed, double tolerance) {
  const StepConfig &config = step.getConfig();
  bool amsgrad = config.variant.amsgrad;
  std::vector<Tensor<T>> tensors;
  for (auto [i, n] : llvm::enumerate(sizes))
    tensors.emplace_back(n, seed + i);
  StepScalars s = test::defaultScalars();
  for (int iteration = 0; iteration < 3; ++iteration, ++s.step) {
    std::vector<ParamBuffers> buffers;
    for (Tensor<T> &t : tensors)
      buffers.push_back(t.buffers(amsgrad));
    llvm::Error error = step.run(buffers, s);
    ASSERT_FALSE(bool(error)) << llvm::toString(std::move(error));
    for (Tensor<T> &t : tensors)
      test::referenceStep(config, s, t.gradRef, t.ref);
  }
  for (auto [i, t] : llvm::enumerate(tensors))
    EXPECT_LT(t.maxError(amsgrad), tolerance)
        << "tensor #" << i << " of " << sizes[i] << ", " << config.key();
}

void runAndCheck(const CompiledStep &step, const std::vector<int64_t> &sizes,
                 unsigned seed) {
  if (step.getConfig().paramType == ElementType::f64)
    runAndCheck<double>(step, sizes, seed, 1e-12);
  else
    runAndCheck<float>(step, sizes, seed, 2e-5);
}

std::vector<StepConfig> getConfigs() {
  StepConfig amsgrad =
      StepConfig::forPreset(Preset::TorchAdamW, ElementType::f32);
  amsgrad.variant.amsgrad = true;
  return {StepConfig::forPreset(Preset::TorchAdamW, ElementType::f32),
          StepConfig::forPreset(Preset::TorchAdam, ElementType::f64),
          StepConfig::forPreset(Preset::MXNetAdamW, ElementType::f32), amsgrad};
}

} // namespace

// Eight threads ask for four configurations at once, each for its own and
// for one they all share; each then runs its steps while the others may
// still be compiling. Every configuration compiles exactly once.
TEST(Concurrency, CompileSameAndDifferentConfigurationsAndRun) {
  auto compiler = createCompiler();
  std::vector<StepConfig> configs = getConfigs();
  constexpr unsigned kThreads = 8;
  StartLine start(kThreads);
  std::vector<const CompiledStep *> shared(kThreads), own(kThreads);
  std::vector<std::thread> threads;
  for (unsigned i = 0; i < kThreads; ++i)
    threads.emplace_back([&, i] {
      start.arriveAndWait();
      auto common = compiler->getStep(configs[0]);
      auto mine = compiler->getStep(configs[i % configs.size()]);
      ASSERT_TRUE(common && mine);
      shared[i] = common->get();
      own[i] = mine->get();
      // Sizes below and above the pool threshold (16K elements).
      runAndCheck(**mine, {20000 + 1000 * i, 3, 1 << 10}, 100 + 10 * i);
    });
  for (std::thread &t : threads)
    t.join();
  CacheStats stats = compiler->getCacheStats();
  EXPECT_EQ(stats.misses, configs.size());
  EXPECT_EQ(stats.entries, configs.size());
  EXPECT_EQ(stats.hits, 2 * kThreads - configs.size());
  for (unsigned i = 0; i < kThreads; ++i) {
    EXPECT_EQ(shared[i], shared[0]);
    EXPECT_EQ(own[i], own[i % configs.size()]);
    EXPECT_EQ(own[i]->getConfig().key(), configs[i % configs.size()].key());
  }
}

// One compiled step, run by several threads at once on disjoint buffers:
// their pool hand-offs serialise, their results stay exact.
TEST(Concurrency, RunsOfOneStepOnDisjointBuffers) {
  auto compiler = createCompiler();
  auto step = llvm::cantFail(compiler->getStep(getConfigs()[0]));
  std::vector<std::thread> threads;
  StartLine start(4);
  for (unsigned i = 0; i < 4; ++i)
    threads.emplace_back([&, i] {
      start.arriveAndWait();
      for (unsigned round = 0; round < 3; ++round)
        runAndCheck(*step, {70000 + int64_t(i), 5}, 7 * i + round);
    });
  for (std::thread &t : threads)
    t.join();
}

// Optimizers of the same and of different configurations, created and
// stepped from several threads through one Compiler.
TEST(Concurrency, OptimizersStepInParallel) {
  auto compiler = createCompiler();
  std::vector<StepConfig> configs = {
      StepConfig::forPreset(Preset::TorchAdamW, ElementType::f64),
      StepConfig::forPreset(Preset::TorchAdamW, ElementType::f64),
      StepConfig::forPreset(Preset::MindSporeApplyAdamWithAmsgradV2,
                            ElementType::f64),
      StepConfig::forPreset(Preset::BrainpyAdamW, ElementType::f64)};
  StartLine start(configs.size());
  std::vector<std::thread> threads;
  for (auto [i, config] : llvm::enumerate(configs))
    threads.emplace_back([&, i = i, config = config] {
      const int64_t n = 30000 + 17 * i;
      std::vector<double> w(n), g(n);
      for (int64_t e = 0; e < n; ++e)
        w[e] = std::sin(0.01 * e + i);
      test::RefState ref{w, std::vector<double>(n), std::vector<double>(n),
                         std::vector<double>(n)};
      StepScalars hyper = StepScalars::forPreset(Preset::TorchAdamW);
      start.arriveAndWait();
      auto opt = Optimizer::create(*compiler, config, hyper, {{w.data(), n}});
      ASSERT_TRUE(bool(opt)) << llvm::toString(opt.takeError());
      for (int t = 1; t <= 4; ++t) {
        for (int64_t e = 0; e < n; ++e)
          g[e] = std::cos(0.03 * e + t + i);
        ASSERT_FALSE(bool((*opt)->step({g.data()})));
        StepScalars s = hyper;
        s.step = t;
        s.beta1Power = std::pow(s.beta1, t);
        s.beta2Power = std::pow(s.beta2, t);
        test::referenceStep(config, s, g, ref);
      }
      for (int64_t e = 0; e < n; ++e)
        ASSERT_NEAR(w[e], ref.p[e], 1e-12 * (1 + std::fabs(ref.p[e]))) << e;
    });
  for (std::thread &t : threads)
    t.join();
  EXPECT_EQ(compiler->getCacheStats().misses, 3u);
}
