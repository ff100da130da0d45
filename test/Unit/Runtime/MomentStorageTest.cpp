//===- MomentStorageTest.cpp - moments stored narrower than computed ------===//
//
// bf16 moment storage: decoded to f32 on load, the step computed in f32,
// each moment rounded to nearest even once on store. Checked bit for bit
// against the f32-storage step from the same state, over many steps against
// the double reference, and through the Optimizer's state files.
//
//===----------------------------------------------------------------------===//

#include "Bf16.h"
#include "ExpectError.h"
#include "GpuTargets.h"
#include "Reference.h"
#include "SharedCompiler.h"

#include "optim/Runtime/Optimizer.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstring>
#include <random>

using namespace optim;

namespace {
Compiler &getCompiler() { return test::getSharedCompiler(); }

using test::expectError;

using test::bitsOf;
using test::fromBF16;
using test::toBF16;

StepConfig bf16Moments(Preset preset, bool amsgrad = false) {
  PresetOptions options;
  options.amsgrad = amsgrad;
  StepConfig config = StepConfig::forPreset(preset, ElementType::f32, options);
  config.momentStorage = MomentStorage::bf16;
  return config;
}
} // namespace

// One step from the same state: the bf16-storage step must write exactly
// the parameters of the f32-storage step (the update uses the unrounded
// moments) and store exactly the round-to-nearest-even of its moments. 1000
// elements: whole vectors and a tail.
static void expectBf16StepIsTheF32StepRounded(Target target) {
  for (bool amsgrad : {false, true}) {
    StepConfig narrow = bf16Moments(Preset::TorchAdamW, amsgrad);
    narrow.target = target;
    StepConfig wide = narrow;
    wide.momentStorage = MomentStorage::compute;
    auto narrowStep = llvm::cantFail(getCompiler().getStep(narrow));
    auto wideStep = llvm::cantFail(getCompiler().getStep(wide));

    const size_t n = 1000;
    std::mt19937 rng(5);
    std::normal_distribution<float> dist(0.0f, 1.0f);
    std::vector<float> p(n), g(n);
    std::vector<uint16_t> m(n), v(n), vmax(n);
    for (size_t i = 0; i < n; ++i) {
      p[i] = dist(rng);
      g[i] = dist(rng);
      m[i] = toBF16(0.1f * dist(rng));
      v[i] = toBF16(0.01f * std::fabs(dist(rng)));
      vmax[i] = toBF16(fromBF16(v[i]) * 1.5f);
    }
    std::vector<float> p32 = p, m32(n), v32(n), vmax32(n);
    for (size_t i = 0; i < n; ++i) {
      m32[i] = fromBF16(m[i]);
      v32[i] = fromBF16(v[i]);
      vmax32[i] = fromBF16(vmax[i]);
    }
    StepScalars s;
    s.lr = 1e-2;
    s.weightDecay = 0.01;
    s.step = 7;
    ParamBuffers a{p.data(), g.data(), m.data(), v.data(),
                   amsgrad ? vmax.data() : nullptr, int64_t(n)};
    ParamBuffers b{p32.data(), g.data(), m32.data(), v32.data(),
                   amsgrad ? vmax32.data() : nullptr, int64_t(n)};
    ASSERT_FALSE(bool(test::runOnTarget(*narrowStep, a, s)));
    ASSERT_FALSE(bool(test::runOnTarget(*wideStep, b, s)));
    for (size_t i = 0; i < n; ++i) {
      ASSERT_EQ(bitsOf(p[i]), bitsOf(p32[i])) << "param " << i;
      ASSERT_EQ(m[i], toBF16(m32[i])) << "exp_avg " << i;
      ASSERT_EQ(v[i], toBF16(v32[i])) << "exp_avg_sq " << i;
      if (amsgrad)
        ASSERT_EQ(vmax[i], toBF16(vmax32[i])) << "max_exp_avg_sq " << i;
    }
  }
}

TEST(MomentStorage, Bf16StepIsTheF32StepRoundedOnceOnStore) {
  expectBf16StepIsTheF32StepRounded(Target::CPU);
}

/// bf16 moments on the GPU, emulated on the host and on a device when one
/// is present.
class MomentStorageGpu : public test::GpuTargetTest {};
OPTIM_INSTANTIATE_ON_GPU_TARGETS(MomentStorageGpu);

TEST_P(MomentStorageGpu, Bf16StepIsTheF32StepRoundedOnceOnStore) {
  expectBf16StepIsTheF32StepRounded(GetParam());
}

// Twenty AdamW steps with bf16 moments track the double reference (which
// keeps its moments exact) to within the moments' 8-bit precision.
TEST(MomentStorage, Bf16StepsTrackTheReference) {
  const size_t n = 513;
  std::vector<float> w(n);
  std::vector<double> w64(n);
  for (size_t i = 0; i < n; ++i)
    w64[i] = w[i] = std::sin(0.37 * i);
  test::RefState ref{w64, std::vector<double>(n), std::vector<double>(n), {}};
  OptimizerOptions options =
      AdamWOptions().lr(1e-3).weightDecay(0.01).momentStorage(
          MomentStorage::bf16);
  auto opt = llvm::cantFail(
      Optimizer::create(getCompiler(), options, {TensorView(w)}));
  std::vector<float> g(n);
  std::vector<double> g64(n);
  for (int t = 1; t <= 20; ++t) {
    for (size_t i = 0; i < n; ++i)
      g64[i] = g[i] = std::cos(0.11 * i * t);
    ASSERT_FALSE(bool(opt->step({ConstTensorView(g)})));
    StepScalars s = options.getScalars();
    s.step = t;
    test::referenceStep(options.getConfig(), s, g64, ref);
  }
  // Each step moves a parameter by at most about lr; an error of 1% of
  // the 20 steps' travel is the bf16 moments' rounding, not a wrong update.
  for (size_t i = 0; i < n; ++i)
    ASSERT_NEAR(w[i], ref.p[i], 20 * 1e-3 * 1e-2) << i;
}

// The state file holds 2-byte moments and round-trips bit-exactly; a state
// saved with f32 moments is another configuration and is rejected.
TEST(MomentStorage, Bf16StateRoundTripsAndIsItsOwnConfiguration) {
  const size_t n = 300;
  std::vector<float> w(n, 0.5f), w2 = w, g(n);
  for (size_t i = 0; i < n; ++i)
    g[i] = std::sin(0.5 * i);
  OptimizerOptions narrow = AdamWOptions().momentStorage(MomentStorage::bf16);
  auto a = llvm::cantFail(
      Optimizer::create(getCompiler(), narrow, {TensorView(w)}));
  auto wide = llvm::cantFail(
      Optimizer::create(getCompiler(), AdamWOptions(), {TensorView(w2)}));
  for (int t = 0; t < 3; ++t) {
    ASSERT_FALSE(bool(a->step({ConstTensorView(g)})));
    ASSERT_FALSE(bool(wide->step({ConstTensorView(g)})));
  }
  std::string narrowState = a->exportState(), wideState = wide->exportState();
  // Two moments of n elements, 2 bytes against 4.
  EXPECT_NEAR(double(wideState.size() - narrowState.size()), 2.0 * 2 * n, 64);

  std::vector<float> w3 = w;
  auto b = llvm::cantFail(
      Optimizer::create(getCompiler(), narrow, {TensorView(w3)}));
  ASSERT_FALSE(bool(b->importState(narrowState)));
  EXPECT_EQ(b->exportState(), narrowState);
  EXPECT_EQ(std::memcmp(b->getExpAvgSq(0), a->getExpAvgSq(0), 2 * n), 0);
  expectError(b->importState(wideState), "+mbf16");
  EXPECT_EQ(b->exportState(), narrowState);
}

TEST(MomentStorage, Bf16MomentsNeedAnF32Step) {
  StepConfig config =
      StepConfig::forPreset(Preset::TorchAdamW, ElementType::f64);
  config.momentStorage = MomentStorage::bf16;
  expectError(config.verify(), "bf16 moments need a step that computes in f32");
  std::vector<double> w(4);
  auto opt = Optimizer::create(
      getCompiler(),
      AdamWOptions().paramType(ElementType::f64).momentStorage(
          MomentStorage::bf16),
      {TensorView(w)});
  ASSERT_FALSE(bool(opt));
  expectError(opt.takeError(), "bf16 moments need");
}
