//===- StepScalarsTest.cpp - run-time checks of the per-step scalars ------===//
//
// StepScalars::verify without compiling anything: which values each compute
// type accepts, and how the messages spell the offending value. (Every
// rejection is also run through a compiled step, with checksums, in
// MisuseTest.cpp.)
//
//===----------------------------------------------------------------------===//

#include "optim/Runtime/StepConfig.h"

#include "gtest/gtest.h"

#include <cmath>
#include <limits>

using namespace optim;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

/// AdamW that reads every scalar.
StepConfig everyScalar(ElementType type) {
  StepConfig config = StepConfig::forPreset(Preset::TorchAdamW, type);
  config.variant.rescaleGrad = true;
  config.variant.clipGradient = true;
  config.variant.gradScale = true;
  return config;
}

/// The message of verify's error, or "" when `s` is accepted.
std::string verify(const StepScalars &s, const StepConfig &config) {
  llvm::Error error = s.verify(config);
  return error ? llvm::toString(std::move(error)) : "";
}

} // namespace

// The defects found by hostile inputs: each value below used to be accepted
// and turned every parameter into NaN or Inf (or, for clip_gradient,
// silently disabled clipping).
TEST(StepScalars, ValuesThatPoisonedParametersAreRejected) {
  StepConfig f32 = everyScalar(ElementType::f32);
  StepScalars s;
  s.lr = kInf;
  EXPECT_EQ(verify(s, f32), "lr must be finite, got inf");
  s = StepScalars();
  s.weightDecay = kInf;
  EXPECT_EQ(verify(s, f32), "weight_decay must be finite, got inf");
  s = StepScalars();
  s.gradScale = 1e-39;
  EXPECT_EQ(verify(s, f32),
            "grad_scale must be at least 2.938736052218037e-39 (its "
            "reciprocal must be representable in f32), got 1e-39");
  s = StepScalars();
  s.rescaleGrad = 1e300;
  EXPECT_EQ(verify(s, f32),
            "rescale_grad must be representable in f32, got 1e+300");
  s = StepScalars();
  s.clipGradient = std::nan("");
  EXPECT_EQ(verify(s, f32), "clip_gradient must not be NaN");
  s = StepScalars();
  s.step = std::numeric_limits<int64_t>::max() - 1;
  EXPECT_EQ(verify(s, f32), "step must be at most 2^53 (9007199254740992), "
                            "got 9223372036854775806");
  s.step = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(verify(s, f32), "step must be at most 2^53 (9007199254740992), "
                            "got 9223372036854775807");
}

// What f32 cannot hold, f64 can: the checks follow the compute type (f32 for
// f16, bf16 and f32 parameters).
TEST(StepScalars, RangesFollowTheComputeType) {
  StepScalars tiny;
  tiny.gradScale = 1e-39;
  StepScalars huge;
  huge.rescaleGrad = 1e300;
  for (ElementType type :
       {ElementType::f16, ElementType::bf16, ElementType::f32}) {
    EXPECT_NE(verify(tiny, everyScalar(type)), "") << stringifyElementType(type).str();
    EXPECT_NE(verify(huge, everyScalar(type)), "") << stringifyElementType(type).str();
  }
  EXPECT_EQ(verify(tiny, everyScalar(ElementType::f64)), "");
  EXPECT_EQ(verify(huge, everyScalar(ElementType::f64)), "");
  tiny.gradScale = 1e-309; // its reciprocal overflows f64 too
  EXPECT_NE(verify(tiny, everyScalar(ElementType::f64)).find(
                "its reciprocal must be representable in f64"),
            std::string::npos);
}

// Counts are compared as integers: 2^53 + 1 is not mistaken for its f64
// rounding, 2^53.
TEST(StepScalars, StepCountLimits) {
  StepConfig config = everyScalar(ElementType::f64);
  StepScalars s;
  s.step = kMaxStepCount;
  EXPECT_EQ(verify(s, config), "");
  s.step = kMaxStepCount + 1;
  EXPECT_EQ(verify(s, config), "step must be at most 2^53 (9007199254740992), "
                               "got 9007199254740993");
  s.step = 1;
  EXPECT_EQ(verify(s, config), "");
  s.step = 0;
  EXPECT_EQ(verify(s, config), "step must be >= 1, got 0");
  s.step = std::numeric_limits<int64_t>::min();
  EXPECT_NE(verify(s, config).find("step must be >= 1"), std::string::npos);
  // Steps that take the powers, or skip bias correction, do not read it.
  config.variant.givenPowers = true;
  EXPECT_EQ(verify(s, config), "");
  EXPECT_FALSE(bool(verifyStepCount(kMaxStepCount)));
  llvm::Error error = verifyStepCount(-1);
  EXPECT_EQ(llvm::toString(std::move(error)), "step must be >= 1, got -1");
}

// The optimizers that keep the count (Optimizer, ShardedOptimizer) word the
// overflow of the next step alike.
TEST(StepScalars, NextStepCount) {
  EXPECT_FALSE(static_cast<bool>(checkNextStepCount(kMaxStepCount)));
  llvm::Error error = checkNextStepCount(kMaxStepCount + 1);
  ASSERT_TRUE(static_cast<bool>(error));
  EXPECT_EQ(llvm::toString(std::move(error)),
            "step 9007199254740993 would exceed the largest step count, 2^53 "
            "(9007199254740992)");
}

// Messages show the offending value as written, not rounded to two decimals
// (which printed -1e-8 as -0.00).
TEST(StepScalars, MessagesSpellValuesExactly) {
  StepConfig f32 = everyScalar(ElementType::f32);
  StepScalars s;
  s.eps = -1e-8;
  EXPECT_EQ(verify(s, f32), "eps must be non-negative, got -1e-08");
  s = StepScalars();
  s.beta2 = 1.0000001;
  EXPECT_EQ(verify(s, f32), "beta2 must be in [0, 1), got 1.0000001");
  s = StepScalars();
  s.lr = -3e-5;
  EXPECT_EQ(verify(s, f32), "lr must be non-negative, got -3e-05");
  s = StepScalars();
  s.beta1 = std::nan("");
  EXPECT_EQ(verify(s, f32), "beta1 must not be NaN");
}

// Each scalar representable, but the step size divides by a small bias
// correction, and the decoupled decay multiplies lr by weight_decay.
TEST(StepScalars, DerivedCoefficientsMustBeFinite) {
  StepConfig f32 = everyScalar(ElementType::f32);
  StepScalars s;
  s.lr = 3e38;
  s.step = 1; // lr / (1 - 0.9) = 3e39
  EXPECT_EQ(verify(s, f32), "the step size lr / (1 - beta1^t) is "
                            "3.0000000000000006e+39, not finite in f32");
  EXPECT_EQ(verify(s, everyScalar(ElementType::f64)), "");
  s = StepScalars();
  s.lr = 1e200;
  s.weightDecay = 1e200;
  EXPECT_EQ(verify(s, everyScalar(ElementType::f64)),
            "the decay factor 1 - eta * weight_decay is -inf, not finite in "
            "f64");
  // Without decay the product is never formed.
  StepConfig adam = StepConfig::forPreset(Preset::MindSporeApplyAdamWithAmsgradV2,
                                          ElementType::f64);
  s.beta1Power = 0.5;
  s.beta2Power = 0.5;
  EXPECT_EQ(verify(s, adam), "");
}

// Clipping: negative disables it, +inf clips nothing, both are accepted.
TEST(StepScalars, ClipGradientConventions) {
  StepConfig f32 = everyScalar(ElementType::f32);
  StepScalars s;
  for (double clip : {-1.0, 0.0, 1e-3, kInf, -kInf}) {
    s.clipGradient = clip;
    EXPECT_EQ(verify(s, f32), "") << clip;
  }
}
