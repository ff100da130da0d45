//===- OptimizerTest.cpp - the stateful optimizer -------------------------===//

#include "Reference.h"
#include "SharedCompiler.h"

#include "optim/Runtime/Optimizer.h"

#include "gtest/gtest.h"

#include <cstring>

using namespace optim;

namespace {
Compiler &getCompiler() { return test::getSharedCompiler(); }
} // namespace

TEST(Optimizer, StepsMatchTheReferenceWithASchedule) {
  StepConfig config = StepConfig::forPreset(
      Preset::TorchAdamW, ElementType::f64, PresetOptions{true, false});
  std::vector<double> w(1000), b(7);
  for (size_t i = 0; i < w.size(); ++i)
    w[i] = std::sin(0.1 * i);
  for (size_t i = 0; i < b.size(); ++i)
    b[i] = 0.5 - 0.1 * i;
  StepScalars hyper;
  hyper.lr = 1e-2;
  hyper.weightDecay = 1e-2;
  auto opt = Optimizer::create(getCompiler(), config, hyper,
                               {{w.data(), 1000}, {b.data(), 7}});
  ASSERT_TRUE(bool(opt)) << llvm::toString(opt.takeError());
  uint64_t misses = getCompiler().getCacheStats().misses;

  test::RefState rw{{w.begin(), w.end()},
                    std::vector<double>(1000),
                    std::vector<double>(1000),
                    std::vector<double>(1000)};
  test::RefState rb{{b.begin(), b.end()},
                    std::vector<double>(7),
                    std::vector<double>(7),
                    std::vector<double>(7)};
  std::vector<double> gw(1000), gb(7);
  for (int t = 1; t <= 5; ++t) {
    for (size_t i = 0; i < gw.size(); ++i)
      gw[i] = std::cos(0.3 * i + t);
    for (size_t i = 0; i < gb.size(); ++i)
      gb[i] = 0.01 * t * i;
    (*opt)->setLearningRate(1e-2 / t);
    ASSERT_FALSE(bool((*opt)->step({gw.data(), gb.data()})));
    StepScalars s = hyper;
    s.lr = 1e-2 / t;
    s.step = t;
    test::referenceStep(config, s, gw, rw);
    test::referenceStep(config, s, gb, rb);
  }
  EXPECT_EQ((*opt)->getStepCount(), 5);
  // A learning-rate schedule never recompiles.
  EXPECT_EQ(getCompiler().getCacheStats().misses, misses);
  for (size_t i = 0; i < w.size(); ++i)
    ASSERT_NEAR(w[i], rw.p[i], 1e-12 * (1 + std::fabs(rw.p[i])));
  for (size_t i = 0; i < b.size(); ++i)
    ASSERT_NEAR(b[i], rb.p[i], 1e-12 * (1 + std::fabs(rb.p[i])));
  auto *m = static_cast<const double *>((*opt)->getExpAvg(0));
  EXPECT_NEAR(m[10], rw.m[10], 1e-14);
}

TEST(Optimizer, FoundInfSkipsTheStepAndTheCount) {
  StepConfig config =
      StepConfig::forPreset(Preset::TorchAdam, ElementType::f32);
  std::vector<float> w(100, 1.0f), g(100, 0.5f);
  auto opt = llvm::cantFail(Optimizer::create(
      getCompiler(), config, StepScalars(), {{w.data(), 100}}));
  ASSERT_FALSE(bool(opt->step({g.data()}, /*foundInf=*/1.0)));
  EXPECT_EQ(opt->getStepCount(), 0);
  EXPECT_EQ(w[0], 1.0f);
  ASSERT_FALSE(bool(opt->step({g.data()})));
  EXPECT_EQ(opt->getStepCount(), 1);
  EXPECT_LT(w[0], 1.0f);
}

TEST(Optimizer, ExportImportRoundTrip) {
  StepConfig config = StepConfig::forPreset(
      Preset::TorchAdamW, ElementType::f32, PresetOptions{true, false});
  std::vector<float> w1(33, 1.0f), w2(33, 1.0f), g(33);
  for (size_t i = 0; i < g.size(); ++i)
    g[i] = 0.1f * i - 1.0f;
  auto a = llvm::cantFail(Optimizer::create(getCompiler(), config,
                                            StepScalars(), {{w1.data(), 33}}));
  auto b = llvm::cantFail(Optimizer::create(getCompiler(), config,
                                            StepScalars(), {{w2.data(), 33}}));
  for (int i = 0; i < 3; ++i)
    ASSERT_FALSE(bool(a->step({g.data()})));
  std::string blob = a->exportState();
  w2 = w1;
  ASSERT_FALSE(bool(b->importState(blob)));
  EXPECT_EQ(b->getStepCount(), 3);
  ASSERT_FALSE(bool(a->step({g.data()})));
  ASSERT_FALSE(bool(b->step({g.data()})));
  EXPECT_EQ(w1, w2);
  EXPECT_EQ(0, std::memcmp(a->getMaxExpAvgSq(0), b->getMaxExpAvgSq(0),
                           33 * sizeof(float)));
}

TEST(Optimizer, ImportRejectsMismatchesAndChangesNothing) {
  StepConfig config =
      StepConfig::forPreset(Preset::TorchAdamW, ElementType::f32);
  std::vector<float> w(8, 1.0f), g(8, 0.5f), other(9, 1.0f);
  auto a = llvm::cantFail(
      Optimizer::create(getCompiler(), config, StepScalars(), {{w.data(), 8}}));
  auto b = llvm::cantFail(Optimizer::create(
      getCompiler(), config, StepScalars(), {{other.data(), 9}}));
  ASSERT_FALSE(bool(a->step({g.data()})));
  std::string blob = a->exportState();

  auto expectError = [](llvm::Error error, llvm::StringRef text) {
    ASSERT_TRUE(bool(error));
    std::string message = llvm::toString(std::move(error));
    EXPECT_NE(message.find(text.str()), std::string::npos) << message;
  };
  expectError(b->importState(blob), "param #0: state has 8 elements");
  EXPECT_EQ(b->getStepCount(), 0);
  expectError(a->importState("garbage"), "not an optim state blob");
  expectError(a->importState(blob.substr(0, blob.size() - 4)), "truncated");
  auto c = llvm::cantFail(Optimizer::create(
      getCompiler(), StepConfig::forPreset(Preset::TorchAdam, ElementType::f32),
      StepScalars(), {{w.data(), 8}}));
  expectError(c->importState(blob), "state was saved for");
  EXPECT_EQ(a->getStepCount(), 1);
}

TEST(Optimizer, WrongGradientCountIsAnError) {
  StepConfig config =
      StepConfig::forPreset(Preset::TorchAdam, ElementType::f32);
  std::vector<float> w(8, 1.0f), g(8, 0.5f);
  auto opt = llvm::cantFail(
      Optimizer::create(getCompiler(), config, StepScalars(), {{w.data(), 8}}));
  llvm::Error error = opt->step({g.data(), g.data()});
  ASSERT_TRUE(bool(error));
  EXPECT_NE(
      llvm::toString(std::move(error)).find("expected 1 gradients, got 2"),
      std::string::npos);
  EXPECT_EQ(w[0], 1.0f);
}

TEST(Optimizer, MindSporePowersAreTracked) {
  // ApplyAdamWithAmsgradV2 takes beta powers: the optimizer derives them
  // from its step count.
  StepConfig config = StepConfig::forPreset(
      Preset::MindSporeApplyAdamWithAmsgradV2, ElementType::f64);
  std::vector<double> w(16, 0.2), g(16, 0.3);
  StepScalars hyper;
  hyper.lr = 0.01;
  auto opt = llvm::cantFail(
      Optimizer::create(getCompiler(), config, hyper, {{w.data(), 16}}));
  test::RefState ref{std::vector<double>(16, 0.2), std::vector<double>(16),
                     std::vector<double>(16), std::vector<double>(16)};
  for (int t = 1; t <= 4; ++t) {
    ASSERT_FALSE(bool(opt->step({g.data()})));
    StepScalars s = hyper;
    s.beta1Power = std::pow(s.beta1, t);
    s.beta2Power = std::pow(s.beta2, t);
    test::referenceStep(config, s, g, ref);
  }
  EXPECT_NEAR(w[3], ref.p[3], 1e-13);
}

TEST(Optimizer, GpuConfigurationsAreRejected) {
  StepConfig config =
      StepConfig::forPreset(Preset::TorchAdamW, ElementType::f32);
  config.target = Target::GPU;
  std::vector<float> w(8, 1.0f);
  auto opt =
      Optimizer::create(getCompiler(), config, StepScalars(), {{w.data(), 8}});
  ASSERT_FALSE(bool(opt));
  EXPECT_NE(llvm::toString(opt.takeError()).find("host memory"),
            std::string::npos);
}
