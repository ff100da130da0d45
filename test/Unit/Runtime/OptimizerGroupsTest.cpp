//===- OptimizerGroupsTest.cpp - param groups, options, typed views -------===//

#include "ExpectError.h"
#include "Reference.h"
#include "SharedCompiler.h"

#include "optim/Runtime/Optimizer.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstring>
#include <limits>

using namespace optim;

namespace {
Compiler &getCompiler() { return test::getSharedCompiler(); }

using test::expectError;

template <typename T>
void expectCreateError(llvm::Expected<T> result, llvm::StringRef text) {
  ASSERT_FALSE(bool(result)) << "created; expected: " << text.str();
  expectError(result.takeError(), text);
}

test::RefState refFor(const std::vector<double> &p) {
  size_t n = p.size();
  return {p, std::vector<double>(n), std::vector<double>(n),
          std::vector<double>(n)};
}
} // namespace

// The everyday case: decay on the weights, none on the bias, and a schedule
// on one group only. Each group must follow torch's AdamW with its own
// scalars, and changing a group's rate must not compile anything.
TEST(OptimizerGroups, EachGroupStepsWithItsOwnHyperparameters) {
  std::vector<double> w(300), b(5);
  for (size_t i = 0; i < w.size(); ++i)
    w[i] = std::sin(0.07 * i);
  for (size_t i = 0; i < b.size(); ++i)
    b[i] = 0.3 - 0.1 * i;
  test::RefState rw = refFor(w), rb = refFor(b);
  OptimizerOptions decayed = AdamWOptions()
                                 .lr(1e-2)
                                 .weightDecay(0.1)
                                 .paramType(ElementType::f64);
  OptimizerOptions plain = AdamWOptions()
                               .lr(3e-3)
                               .weightDecay(0)
                               .betas(0.8, 0.99)
                               .paramType(ElementType::f64);
  auto opt = Optimizer::create(getCompiler(),
                               {ParamGroup({w}, decayed),
                                ParamGroup({b}, plain)});
  ASSERT_TRUE(bool(opt)) << llvm::toString(opt.takeError());
  ASSERT_EQ((*opt)->getNumGroups(), 2u);
  ASSERT_EQ((*opt)->getNumParams(), 2u);
  // One configuration, one compiled step: the scalars differ, not the code.
  EXPECT_EQ((*opt)->getCompiledStep(0), (*opt)->getCompiledStep(1));
  EXPECT_EQ((*opt)->getHyperParameters(1)->weightDecay, 0.0);
  uint64_t compiles = getCompiler().getCacheStats().compiles;
  uint64_t misses = getCompiler().getCacheStats().misses;

  std::vector<double> gw(w.size()), gb(b.size());
  for (int t = 1; t <= 4; ++t) {
    for (size_t i = 0; i < gw.size(); ++i)
      gw[i] = std::cos(0.2 * i + t);
    for (size_t i = 0; i < gb.size(); ++i)
      gb[i] = 0.1 * t - 0.05 * i;
    ASSERT_FALSE(bool((*opt)->setLearningRate(0, 1e-2 / t)));
    ASSERT_FALSE(
        bool((*opt)->step({ConstTensorView(gw), ConstTensorView(gb)})));
    StepScalars sw = decayed.getScalars(), sb = plain.getScalars();
    sw.lr = 1e-2 / t;
    sw.step = sb.step = t;
    test::referenceStep(decayed.getConfig(), sw, gw, rw);
    test::referenceStep(plain.getConfig(), sb, gb, rb);
  }
  EXPECT_EQ(getCompiler().getCacheStats().compiles, compiles);
  EXPECT_EQ(getCompiler().getCacheStats().misses, misses);
  EXPECT_EQ((*opt)->getLearningRate(0), 1e-2 / 4);
  EXPECT_EQ((*opt)->getLearningRate(1), 3e-3);
  for (size_t i = 0; i < w.size(); ++i)
    ASSERT_NEAR(w[i], rw.p[i], 1e-12 * (1 + std::fabs(rw.p[i]))) << i;
  for (size_t i = 0; i < b.size(); ++i)
    ASSERT_NEAR(b[i], rb.p[i], 1e-12 * (1 + std::fabs(rb.p[i]))) << i;
  // Flat numbering: parameter 1 is the first of group 1.
  auto *m = static_cast<const double *>((*opt)->getExpAvg(1));
  EXPECT_NEAR(m[2], rb.m[2], 1e-14);
}

// Groups of different configurations (Adam with L2 and AMSGrad beside
// AdamW) run through one step() call.
TEST(OptimizerGroups, GroupsMayDifferInConfiguration) {
  std::vector<float> w(64, 0.5f), b(3, -0.5f), gw(64), gb(3, 0.25f);
  for (size_t i = 0; i < gw.size(); ++i)
    gw[i] = 0.03f * i - 1.0f;
  auto opt = llvm::cantFail(Optimizer::create(
      getCompiler(),
      {ParamGroup({w}, AdamWOptions().lr(1e-2)),
       ParamGroup({b}, AdamOptions().lr(1e-2).weightDecay(0.5).amsgrad())}));
  EXPECT_NE(opt->getCompiledStep(0), opt->getCompiledStep(1));
  EXPECT_EQ(opt->getMaxExpAvgSq(0), nullptr);
  ASSERT_NE(opt->getMaxExpAvgSq(1), nullptr);
  ASSERT_FALSE(bool(opt->step({gw.data(), gb.data()})));

  // The same steps by two one-group optimizers.
  std::vector<float> w2(64, 0.5f), b2(3, -0.5f);
  auto a = llvm::cantFail(
      Optimizer::create(getCompiler(), AdamWOptions().lr(1e-2), {w2}));
  auto c = llvm::cantFail(Optimizer::create(
      getCompiler(), AdamOptions().lr(1e-2).weightDecay(0.5).amsgrad(), {b2}));
  ASSERT_FALSE(bool(a->step({gw.data()})));
  ASSERT_FALSE(bool(c->step({gb.data()})));
  EXPECT_EQ(w, w2);
  EXPECT_EQ(b, b2);
}

// Every group is checked before any runs: a bad scalar in the second group
// must leave the first group's parameters, every moment and the count as
// they were.
TEST(OptimizerGroups, ABadGroupLeavesEveryGroupUnchanged) {
  std::vector<float> w(40, 1.0f), b(4, 1.0f), gw(40, 0.5f), gb(4, 0.5f);
  auto opt = llvm::cantFail(Optimizer::create(
      getCompiler(), {ParamGroup({w}, AdamWOptions()),
                      ParamGroup({b}, AdamWOptions().weightDecay(0))}));
  ASSERT_FALSE(bool(opt->step({gw.data(), gb.data()})));
  std::string state = opt->exportState();
  std::vector<float> w0 = w, b0 = b;

  opt->getHyperParameters(1)->lr = std::numeric_limits<double>::quiet_NaN();
  expectError(opt->step({gw.data(), gb.data()}), "group #1");
  opt->getHyperParameters(1)->lr = 1e-3;
  opt->getHyperParameters(1)->beta2 = 1.5;
  expectError(opt->step({gw.data(), gb.data()}), "beta2");
  opt->getHyperParameters(1)->beta2 = 0.999;
  // A gradient of the second group that is the first group's parameter.
  expectError(opt->step({gw.data(), w.data()}),
              "buffers overlap: param of group #0 param #0 and grad of group "
              "#1 param #0");
  std::vector<float> shortGrad(3);
  expectError(opt->step({ConstTensorView(gw), ConstTensorView(shortGrad)}),
              "group #1 param #0: the gradient has 3 elements, the parameter "
              "4");
  EXPECT_EQ(w, w0);
  EXPECT_EQ(b, b0);
  EXPECT_EQ(opt->getStepCount(), 1);
  EXPECT_TRUE(opt->exportState() == state);
  ASSERT_FALSE(bool(opt->step({gw.data(), gb.data()})));
  EXPECT_EQ(opt->getStepCount(), 2);
}

// One buffer in two groups would be updated twice per step, with a race
// across threads: it is refused and nothing is written.
TEST(OptimizerGroups, AParameterInTwoGroupsIsRefused) {
  std::vector<float> w(32, 1.0f), g(32, 0.5f);
  auto opt = llvm::cantFail(Optimizer::create(
      getCompiler(), {ParamGroup({w}, AdamWOptions()),
                      ParamGroup({TensorView(w.data() + 16, 16)},
                                 AdamWOptions().weightDecay(0))}));
  expectError(opt->step({g.data(), g.data()}), "overlap");
  EXPECT_EQ(w, std::vector<float>(32, 1.0f));
  EXPECT_EQ(opt->getStepCount(), 0);
}

TEST(OptimizerGroups, CreationChecksEveryGroup) {
  std::vector<float> w(8, 1.0f);
  std::vector<double> d(8, 1.0);
  expectCreateError(Optimizer::create(getCompiler(), std::vector<ParamGroup>{}),
                    "an optimizer needs a parameter group");
  expectCreateError(
      Optimizer::create(getCompiler(),
                        {ParamGroup({w}, AdamWOptions()),
                         ParamGroup({w}, AdamWOptions().eps(-1))}),
      "group #1: ");
  expectCreateError(
      Optimizer::create(getCompiler(),
                        {ParamGroup({w}, AdamWOptions()),
                         ParamGroup({d}, AdamWOptions())}),
      "group #1 param #0: its elements are f64, the group's step updates f32");
  expectCreateError(
      Optimizer::create(getCompiler(), AdamWOptions().betas(1.0, 0.999), {w}),
      "beta1");
  expectCreateError(
      Optimizer::create(getCompiler(), AdamWOptions(),
                        {TensorView(static_cast<float *>(nullptr), 4)}),
      "param #0: null data or negative size");
  // An unsigned count past INT64_MAX is not wrapped to a small size.
  expectCreateError(
      Optimizer::create(getCompiler(), AdamWOptions(),
                        {TensorView(w.data(), ~uint64_t(0))}),
      "param #0: null data or negative size");
}

// Typed views carry their element type: a gradient of the wrong type or
// size is refused before anything runs.
TEST(OptimizerGroups, TypedViewsAreChecked) {
  std::vector<double> w(16, 1.0), g(16, 0.5);
  std::vector<float> gf(16, 0.5f);
  auto opt = llvm::cantFail(Optimizer::create(
      getCompiler(), AdamWOptions().paramType(ElementType::f64), {w}));
  EXPECT_EQ(opt->getConfig()->paramType, ElementType::f64);
  expectError(opt->step({ConstTensorView(gf)}),
              "param #0: the gradient's elements are f32, the parameter's "
              "f64");
  expectError(opt->step({ConstTensorView(g.data(), 15)}),
              "param #0: the gradient has 15 elements, the parameter 16");
  expectError(opt->step({ConstTensorView(g), ConstTensorView(g)}),
              "expected 1 gradients, got 2");
  EXPECT_EQ(w, std::vector<double>(16, 1.0));
  ASSERT_FALSE(bool(opt->step({ConstTensorView(g)})));
  EXPECT_LT(w[0], 1.0);

  // 16-bit views have no C++ element type: they are named.
  std::vector<uint16_t> h(4);
  TensorView bf = TensorView::bf16(h.data(), 4);
  EXPECT_EQ(bf.type, ElementType::bf16);
  EXPECT_EQ(bf.numElements, 4);
  EXPECT_EQ(ConstTensorView::f16(h.data(), 4).type, ElementType::f16);
}

// The options say what torch's constructors say: the presets' defaults,
// then the fields set.
TEST(OptimizerGroups, OptionsFollowTorchDefaults) {
  OptimizerOptions adamw = AdamWOptions();
  EXPECT_EQ(adamw.getPreset(), Preset::TorchAdamW);
  EXPECT_EQ(adamw.getScalars().lr, 1e-3);
  EXPECT_EQ(adamw.getScalars().weightDecay, 1e-2);
  EXPECT_EQ(adamw.getScalars().beta1, 0.9);
  EXPECT_EQ(adamw.getScalars().beta2, 0.999);
  EXPECT_EQ(adamw.getScalars().eps, 1e-8);
  EXPECT_EQ(adamw.getConfig().variant.weightDecay, WeightDecayMode::decoupled);
  EXPECT_FALSE(adamw.getConfig().variant.amsgrad);
  OptimizerOptions adam = AdamOptions().amsgrad().maximize().fastMath();
  EXPECT_EQ(adam.getScalars().weightDecay, 0.0);
  EXPECT_TRUE(adam.getConfig().variant.amsgrad);
  EXPECT_TRUE(adam.getConfig().variant.maximize);
  EXPECT_TRUE(adam.getConfig().fastMath);
  EXPECT_EQ(adam.getConfig().variant.weightDecay, WeightDecayMode::l2);
  EXPECT_EQ(AdamOptions().firstStep(7).getScalars().step, 7);
}

// An explicit amsgrad wins over a preset's own, which decides when unset.
// (The presets that fix AMSGrad used to overwrite the request silently.)
TEST(OptimizerGroups, AnExplicitAmsgradWinsOverThePreset) {
  auto amsgradOf = [](const OptimizerOptions &options) {
    return options.getConfig().variant.amsgrad;
  };
  EXPECT_FALSE(amsgradOf(OptimizerOptions(Preset::MXNetAdamW)));
  EXPECT_TRUE(amsgradOf(OptimizerOptions(Preset::MXNetAdamW).amsgrad()));
  EXPECT_TRUE(
      amsgradOf(OptimizerOptions(Preset::MindSporeAdamWeightDecay).amsgrad()));
  EXPECT_TRUE(
      amsgradOf(OptimizerOptions(Preset::MindSporeApplyAdamWithAmsgradV2)));
  EXPECT_FALSE(
      amsgradOf(OptimizerOptions(Preset::MindSporeApplyAdamWithAmsgradV2)
                    .amsgrad(false)));
}

// Group and parameter indices out of range: an error, NaN or null, never
// out-of-bounds accesses (they were unchecked, or report_fatal_error).
TEST(OptimizerGroups, IndicesOutOfRangeAreErrorsOrNull) {
  std::vector<float> w(100, 1.0f);
  auto opt =
      llvm::cantFail(Optimizer::create(getCompiler(), AdamWOptions(), {w}));
  ASSERT_EQ(opt->getNumGroups(), 1u);
  llvm::Error error = opt->setLearningRate(1, 0.5);
  ASSERT_TRUE(bool(error));
  EXPECT_EQ(llvm::toString(std::move(error)),
            "group #1 does not exist (the optimizer has 1)");
  EXPECT_EQ(opt->getLearningRate(0), 1e-3);
  EXPECT_TRUE(std::isnan(opt->getLearningRate(3)));
  EXPECT_EQ(opt->getHyperParameters(1), nullptr);
  EXPECT_EQ(opt->getConfig(1), nullptr);
  EXPECT_EQ(opt->getCompiledStep(1), nullptr);
  EXPECT_NE(opt->getExpAvg(0), nullptr);
  EXPECT_EQ(opt->getExpAvg(1), nullptr);
  EXPECT_EQ(opt->getExpAvgSq(7), nullptr);
  EXPECT_EQ(opt->getMaxExpAvgSq(7), nullptr);
  EXPECT_EQ(opt->getExpAvgAbsmax(7), nullptr);
  EXPECT_EQ(opt->getExpAvgSqAbsmax(7), nullptr);
}

// The optimizer keeps the step count and takes found_inf as step()'s
// argument, and clips only if created to: edits of those scalars are
// refused, with nothing written (they were ignored silently).
TEST(OptimizerGroups, EditsOfScalarsTheOptimizerKeepsAreRefused) {
  std::vector<float> w(100, 1.0f), g(100, 0.5f);
  auto opt =
      llvm::cantFail(Optimizer::create(getCompiler(), AdamWOptions(), {w}));
  llvm::cantFail(opt->step({g.data()}));
  std::vector<float> before = w;
  StepScalars &hyper = *opt->getHyperParameters();
  hyper.step = 1000;
  expectError(opt->step({g.data()}),
              "the hyperparameters' step was changed from 1 to 1000");
  hyper.step = 1;
  hyper.foundInf = 1;
  expectError(opt->step({g.data()}),
              "the hyperparameters' foundInf is 1: pass found_inf as the "
              "step's argument");
  hyper.foundInf = 0;
  hyper.maxGradNorm = 1e-6;
  expectError(opt->step({g.data()}),
              "maxGradNorm is 1e-06, but the optimizer was created without "
              "global-norm clipping");
  hyper.maxGradNorm = std::numeric_limits<double>::infinity();
  EXPECT_EQ(w, before);
  EXPECT_EQ(opt->getStepCount(), 1);
  llvm::cantFail(opt->step({g.data()}));
  EXPECT_EQ(opt->getStepCount(), 2);
  // At creation too.
  StepScalars edited = AdamWOptions().getScalars();
  edited.maxGradNorm = 1.0;
  expectCreateError(
      Optimizer::create(getCompiler(),
                        {ParamGroup({w}, AdamWOptions().getConfig(), edited)}),
      "created without global-norm clipping");
}

// A step that a non-finite norm skips (setSkipNonfiniteNorm) still checks
// every group's scalars first: a bad group is an error either way.
TEST(OptimizerGroups, ASkippedStepStillChecksEveryGroup) {
  std::vector<float> w(64, 1.0f), b(8, 1.0f);
  std::vector<float> gw(64, std::numeric_limits<float>::infinity());
  std::vector<float> gb(8, 0.5f);
  auto opt = llvm::cantFail(Optimizer::create(
      getCompiler(), {ParamGroup({w}, AdamWOptions().maxGradNorm(1.0)),
                      ParamGroup({b}, AdamWOptions())}));
  opt->setSkipNonfiniteNorm(true);
  llvm::cantFail(opt->step({gw.data(), gb.data()}));
  EXPECT_EQ(opt->getStepCount(), 0); // skipped: the norm is infinite
  opt->getHyperParameters(1)->lr = -1;
  expectError(opt->step({gw.data(), gb.data()}), "group #1: lr");
}

// The last norm belongs to the state it was computed for: NaN again after
// a checkpoint is restored.
TEST(OptimizerGroups, RestoredStateHasNoLastNorm) {
  std::vector<float> w(64, 1.0f), g(64, 0.5f);
  auto opt = llvm::cantFail(
      Optimizer::create(getCompiler(), AdamWOptions().maxGradNorm(1.0), {w}));
  std::string fresh = opt->exportState();
  llvm::cantFail(opt->step({g.data()}));
  EXPECT_EQ(opt->getLastGradNorm(), 4.0); // 0.5 * sqrt(64)
  llvm::cantFail(opt->importState(fresh));
  EXPECT_TRUE(std::isnan(opt->getLastGradNorm()));
}
