//===- GradNormClipTest.cpp - global-norm clipping in the runtime ---------===//
//
// torch.nn.utils.clip_grad_norm_(params, max_norm) followed by the step:
// the norm (one pass, chunked, the same bits for any thread count), the
// clipped step against the double reference, a norm spanning several
// groups, non-finite norms, and the errors.
//
//===----------------------------------------------------------------------===//

#include "ExpectError.h"
#include "GpuTargets.h"
#include "Reference.h"
#include "SharedCompiler.h"

#include "optim/Runtime/Optimizer.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

using namespace optim;

namespace {
Compiler &getCompiler() { return test::getSharedCompiler(); }

using test::expectError;

StepConfig clippedAdamW(ElementType type) {
  StepConfig config = StepConfig::forPreset(Preset::TorchAdamW, type);
  config.variant.clipGradNorm = true;
  return config;
}

std::vector<float> randomVector(size_t n, unsigned seed, float scale) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(n);
  for (float &x : v)
    x = dist(rng);
  return v;
}

/// Host buffers of one f32 group of the given sizes.
struct Group {
  std::vector<std::vector<float>> p, g, m, v;
  std::vector<ParamBuffers> buffers;
  explicit Group(llvm::ArrayRef<size_t> sizes, float gradScale = 1.0f) {
    for (auto [i, n] : llvm::enumerate(sizes)) {
      p.push_back(randomVector(n, 10 + i, 1.0f));
      g.push_back(randomVector(n, 100 + i, gradScale));
      m.emplace_back(n, 0.0f);
      v.emplace_back(n, 0.0f);
    }
    for (size_t i = 0; i < sizes.size(); ++i) {
      ParamBuffers b;
      b.param = p[i].data();
      b.grad = g[i].data();
      b.expAvg = m[i].data();
      b.expAvgSq = v[i].data();
      b.numElements = static_cast<int64_t>(sizes[i]);
      buffers.push_back(b);
    }
  }
};
} // namespace

// The norm of a group whose tensors straddle the 2^16-element chunks, with
// AMP unscaling: the f64 sum of the squares of g * f32(1 / scale) rounded to
// f32 (GradScaler.unscale_), and exactly the same value on 1 and 2 threads.
TEST(GradNormClip, NormMatchesReferenceOnAnyThreadCount) {
  StepConfig config = clippedAdamW(ElementType::f32);
  config.variant.gradScale = true;
  Group group({70000, 3, 0, 131072, 17}, /*gradScale=*/1024.0f);
  StepScalars s;
  s.gradScale = 1024;
  s.maxGradNorm = 1.0;
  float inv = static_cast<float>(1.0 / s.gradScale);
  double reference = 0;
  for (const std::vector<float> &g : group.g)
    for (float x : g) {
      double unscaled = static_cast<float>(x * inv);
      reference += unscaled * unscaled;
    }
  reference = std::sqrt(reference);

  double norms[2];
  for (unsigned threads : {1u, 2u}) {
    CompilerOptions options;
    options.numThreads = threads;
    options.diskCache = false;
    auto compiler = llvm::cantFail(Compiler::create(options));
    auto step = llvm::cantFail(compiler->getStep(config));
    llvm::Expected<double> norm = step->computeGradNorm(group.buffers, s);
    ASSERT_TRUE(bool(norm)) << llvm::toString(norm.takeError());
    norms[threads - 1] = *norm;
  }
  EXPECT_NEAR(norms[0], reference, 1e-12 * reference);
  EXPECT_EQ(std::memcmp(&norms[0], &norms[1], sizeof(double)), 0)
      << norms[0] << " vs " << norms[1];
}

// Two groups (decay on the weights, none on the bias) clipped by one norm
// over both, as clip_grad_norm_(model.parameters()) then AdamW: large
// gradients (clipping active) alternate with small ones (inactive).
TEST(GradNormClip, OptimizerClipsByTheNormOfAllGroups) {
  std::vector<double> w(3000), b(40);
  for (size_t i = 0; i < w.size(); ++i)
    w[i] = std::sin(0.01 * i);
  for (size_t i = 0; i < b.size(); ++i)
    b[i] = 0.5 - 0.02 * i;
  auto ref = [](const std::vector<double> &p) {
    return test::RefState{p, std::vector<double>(p.size()),
                          std::vector<double>(p.size()), {}};
  };
  test::RefState rw = ref(w), rb = ref(b);
  OptimizerOptions decayed = AdamWOptions()
                                 .lr(1e-2)
                                 .weightDecay(0.1)
                                 .maxGradNorm(1.0)
                                 .paramType(ElementType::f64);
  OptimizerOptions plain = AdamWOptions()
                               .lr(1e-2)
                               .weightDecay(0)
                               .maxGradNorm(1.0)
                               .paramType(ElementType::f64);
  auto opt = Optimizer::create(
      getCompiler(), {ParamGroup({w}, decayed), ParamGroup({b}, plain)});
  ASSERT_TRUE(bool(opt)) << llvm::toString(opt.takeError());
  EXPECT_TRUE(std::isnan((*opt)->getLastGradNorm()));

  std::vector<double> gw(w.size()), gb(b.size());
  bool sawActive = false, sawInactive = false;
  for (int t = 1; t <= 6; ++t) {
    double magnitude = t % 2 ? 0.5 : 1e-3; // norms about 20 and 0.04
    for (size_t i = 0; i < gw.size(); ++i)
      gw[i] = magnitude * std::cos(0.3 * i + t);
    for (size_t i = 0; i < gb.size(); ++i)
      gb[i] = magnitude * std::sin(0.7 * i - t);
    double squared = 0;
    for (double x : gw)
      squared += x * x;
    for (double x : gb)
      squared += x * x;
    double norm = std::sqrt(squared);
    (norm > 1.0 ? sawActive : sawInactive) = true;

    ASSERT_FALSE(bool((*opt)->step({ConstTensorView(gw), ConstTensorView(gb)})));
    EXPECT_NEAR((*opt)->getLastGradNorm(), norm, 1e-12 * norm);
    for (auto [options, grad, state] :
         {std::tuple(&decayed, &gw, &rw), std::tuple(&plain, &gb, &rb)}) {
      StepScalars s = options->getScalars();
      s.step = t;
      s.gradNorm = norm;
      test::referenceStep(options->getConfig(), s, *grad, *state);
    }
  }
  EXPECT_TRUE(sawActive && sawInactive);
  for (size_t i = 0; i < w.size(); ++i)
    ASSERT_NEAR(w[i], rw.p[i], 1e-12) << "w[" << i << "]";
  for (size_t i = 0; i < b.size(); ++i)
    ASSERT_NEAR(b[i], rb.p[i], 1e-12) << "b[" << i << "]";
}

// A non-finite norm: torch's clip_grad_norm_ scales by a NaN coefficient
// (and the parameters become NaN); with setSkipNonfiniteNorm the step is
// skipped like a found_inf one. The norm is reported either way.
TEST(GradNormClip, NonfiniteNormRunsLikeTorchOrSkips) {
  for (bool skip : {false, true}) {
    std::vector<float> w = randomVector(100, 1, 1.0f), before = w;
    std::vector<float> g = randomVector(100, 2, 1.0f);
    g[37] = std::numeric_limits<float>::infinity();
    auto opt = llvm::cantFail(Optimizer::create(
        getCompiler(), AdamWOptions().maxGradNorm(1.0), {TensorView(w)}));
    opt->setSkipNonfiniteNorm(skip);
    ASSERT_FALSE(bool(opt->step({ConstTensorView(g)})));
    EXPECT_TRUE(std::isinf(opt->getLastGradNorm()));
    if (skip) {
      EXPECT_EQ(opt->getStepCount(), 0);
      EXPECT_EQ(std::memcmp(w.data(), before.data(), w.size() * 4), 0);
    } else {
      // coef = max_norm / (inf + 1e-6) = 0: the infinite element becomes
      // NaN (inf * 0), the others no gradient at all.
      EXPECT_EQ(opt->getStepCount(), 1);
      EXPECT_TRUE(std::isnan(w[37]));
      EXPECT_TRUE(std::isfinite(w[36]));
    }
  }
}

TEST(GradNormClip, BadInputIsAnErrorAndWritesNothing) {
  // A negative bound would flip the gradients: rejected when the optimizer
  // is made, and by a step whose bound was changed since.
  std::vector<float> w = randomVector(64, 3, 1.0f), before = w;
  std::vector<float> g = randomVector(64, 4, 1.0f);
  auto bad = Optimizer::create(getCompiler(), AdamWOptions().maxGradNorm(-1.0),
                               {TensorView(w)});
  ASSERT_FALSE(bool(bad));
  expectError(bad.takeError(), "max_grad_norm must be non-negative");
  auto opt = Optimizer::create(getCompiler(), AdamWOptions().maxGradNorm(1.0),
                               {TensorView(w)});
  ASSERT_TRUE(bool(opt)) << llvm::toString(opt.takeError());
  (*opt)->getHyperParameters()->maxGradNorm = std::nan("");
  expectError((*opt)->step({ConstTensorView(g)}), "max_grad_norm must not be NaN");
  EXPECT_EQ((*opt)->getStepCount(), 0);
  EXPECT_EQ(std::memcmp(w.data(), before.data(), w.size() * 4), 0);

  // A caller-supplied norm must be a norm.
  auto step = llvm::cantFail(getCompiler().getStep(
      clippedAdamW(ElementType::f32)));
  Group group({64});
  StepScalars s;
  s.gradNorm = -2;
  expectError(step->run(group.buffers, s), "grad_norm must be non-negative");

  // The norm is checked like the step: a null gradient is named.
  s.gradNorm = 0;
  group.buffers[0].grad = nullptr;
  llvm::Expected<double> norm = step->computeGradNorm(group.buffers, s);
  ASSERT_FALSE(bool(norm));
  expectError(norm.takeError(), "param #0: grad is null");

  // A step that does not clip has no norm to compute.
  auto plain = llvm::cantFail(getCompiler().getStep(
      StepConfig::forPreset(Preset::TorchAdamW, ElementType::f32)));
  Group other({8});
  norm = plain->computeGradNorm(other.buffers, StepScalars());
  ASSERT_FALSE(bool(norm));
  expectError(norm.takeError(), "does not clip by the global norm");
}

/// The norm and the clipped step on the GPU, emulated on the host and on a
/// device when one is present.
class GradNormClipGpu : public test::GpuTargetTest {};
OPTIM_INSTANTIATE_ON_GPU_TARGETS(GradNormClipGpu);

// On the GPU the norm is one launch over the group table: within 1e-12 of
// the f64 reference, the same bits on every call, and the clipped step with
// it gives the CPU's bits. Bad gradients are named as on the CPU.
TEST_P(GradNormClipGpu, NormIsOneLaunchOverTheGroup) {
  StepConfig config = clippedAdamW(ElementType::f32);
  config.variant.gradScale = true;
  StepConfig gpuConfig = config;
  gpuConfig.target = GetParam();
  Group onGpu({70000, 3, 0, 131072, 17}, /*gradScale=*/1024.0f);
  Group onCpu({70000, 3, 0, 131072, 17}, /*gradScale=*/1024.0f);
  StepScalars s;
  s.gradScale = 1024;
  s.maxGradNorm = 0.5;
  float inv = static_cast<float>(1.0 / s.gradScale);
  double reference = 0;
  for (const std::vector<float> &g : onGpu.g)
    for (float x : g) {
      double unscaled = static_cast<float>(x * inv);
      reference += unscaled * unscaled;
    }
  reference = std::sqrt(reference);

  auto gpu = llvm::cantFail(getCompiler().getStep(gpuConfig));
  auto cpu = llvm::cantFail(getCompiler().getStep(config));
  llvm::Expected<double> norm =
      test::computeGradNormOnTarget(*gpu, onGpu.buffers, s);
  ASSERT_TRUE(bool(norm)) << llvm::toString(norm.takeError());
  EXPECT_NEAR(*norm, reference, 1e-12 * reference);
  llvm::Expected<double> again =
      test::computeGradNormOnTarget(*gpu, onGpu.buffers, s);
  ASSERT_TRUE(bool(again));
  EXPECT_EQ(std::memcmp(&*norm, &*again, sizeof(double)), 0);
  llvm::Expected<double> squared =
      test::computeGradSquaredNormOnTarget(*gpu, onGpu.buffers, s);
  ASSERT_TRUE(bool(squared));
  EXPECT_NEAR(*squared, reference * reference, 1e-12 * reference * reference);

  // Clipping is active (the norm is far above 0.5): the same step as the
  // CPU's with the same norm.
  ASSERT_GT(*norm, 10 * s.maxGradNorm);
  s.gradNorm = *norm;
  ASSERT_FALSE(bool(test::runOnTarget(*gpu, onGpu.buffers, s)));
  ASSERT_FALSE(bool(cpu->run(onCpu.buffers, s)));
  for (size_t t = 0; t < onGpu.p.size(); ++t)
    for (size_t i = 0; i < onGpu.p[t].size(); ++i) {
      ASSERT_EQ(std::memcmp(&onGpu.p[t][i], &onCpu.p[t][i], sizeof(float)), 0)
          << "tensor " << t << " element " << i;
      ASSERT_EQ(std::memcmp(&onGpu.m[t][i], &onCpu.m[t][i], sizeof(float)), 0)
          << "tensor " << t << " element " << i;
    }

  onGpu.buffers[3].grad = nullptr;
  norm = test::computeGradNormOnTarget(*gpu, onGpu.buffers, s);
  ASSERT_FALSE(bool(norm));
  expectError(norm.takeError(), "param #3: grad is null");
}
