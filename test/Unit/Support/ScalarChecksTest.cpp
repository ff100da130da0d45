//===- ScalarChecksTest.cpp - the shared hyperparameter rules -------------===//

#include "optim/Support/ScalarChecks.h"

#include "gtest/gtest.h"

#include <cmath>
#include <limits>

using namespace optim;

namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// The message for `value`, or "" when it is accepted.
std::string check(ScalarRole role, double value,
                  ComputeType type = ComputeType::f32) {
  return checkScalar(role, value, type).value_or("");
}

TEST(ScalarChecks, FormatIsShortestRoundTrip) {
  EXPECT_EQ(formatScalar(-1e-8), "-1e-08");
  EXPECT_EQ(formatScalar(0.5), "0.5");
  EXPECT_EQ(formatScalar(0.999), "0.999");
  EXPECT_EQ(formatScalar(1e300), "1e+300");
  EXPECT_EQ(formatScalar(kInf), "inf");
  EXPECT_EQ(formatScalar(-kInf), "-inf");
  EXPECT_EQ(formatScalar(kNaN), "nan");
  // An f32 constant prints as the user wrote it, an f64 view of it does not.
  double f32Eps = double(float(1e-8));
  EXPECT_EQ(formatScalar(f32Eps, ComputeType::f32), "1e-08");
  EXPECT_NE(formatScalar(f32Eps, ComputeType::f64), "1e-08");
  // Never hides a difference.
  EXPECT_EQ(std::strtod(formatScalar(0.1 + 0.2).c_str(), nullptr), 0.1 + 0.2);
}

TEST(ScalarChecks, AcceptsEverydayValues) {
  for (ComputeType type : {ComputeType::f32, ComputeType::f64}) {
    EXPECT_EQ(check(ScalarRole::Lr, 1e-3, type), "");
    EXPECT_EQ(check(ScalarRole::Lr, 0, type), "");
    EXPECT_EQ(check(ScalarRole::Beta1, 0.9, type), "");
    EXPECT_EQ(check(ScalarRole::Beta2, 0.999, type), "");
    EXPECT_EQ(check(ScalarRole::Eps, 1e-8, type), "");
    EXPECT_EQ(check(ScalarRole::WeightDecay, 1e-2, type), "");
    EXPECT_EQ(check(ScalarRole::Beta1Power, 0.0, type), "");
    EXPECT_EQ(check(ScalarRole::RescaleGrad, 1.0 / 256, type), "");
    EXPECT_EQ(check(ScalarRole::ClipGradient, -1, type), "");
    EXPECT_EQ(check(ScalarRole::ClipGradient, kInf, type), "");
    EXPECT_EQ(check(ScalarRole::GradScale, 65536, type), "");
    EXPECT_EQ(check(ScalarRole::FoundInf, 1, type), "");
    EXPECT_EQ(check(ScalarRole::MaxGradNorm, 1.0, type), "");
    EXPECT_EQ(check(ScalarRole::MaxGradNorm, 0.0, type), "");
    EXPECT_EQ(check(ScalarRole::MaxGradNorm, kInf, type), "");
  }
}

TEST(ScalarChecks, RejectsWhatTurnsParametersIntoNaN) {
  EXPECT_EQ(check(ScalarRole::Lr, kInf), "must be finite, got inf");
  EXPECT_EQ(check(ScalarRole::WeightDecay, kInf), "must be finite, got inf");
  EXPECT_EQ(check(ScalarRole::Eps, -1e-8), "must be non-negative, got -1e-08");
  EXPECT_EQ(check(ScalarRole::Beta1, 1), "must be in [0, 1), got 1");
  EXPECT_EQ(check(ScalarRole::Beta2Power, -0.5), "must be in [0, 1), got -0.5");
  EXPECT_EQ(check(ScalarRole::RescaleGrad, kInf), "must be finite, got inf");
  EXPECT_EQ(check(ScalarRole::RescaleGrad, 1e300),
            "must be representable in f32, got 1e+300");
  EXPECT_EQ(check(ScalarRole::RescaleGrad, 1e300, ComputeType::f64), "");
  EXPECT_EQ(check(ScalarRole::Lr, 1e39), "must be representable in f32, got 1e+39");
  // Rounding to 0 in the kernel's type is another value too.
  EXPECT_EQ(check(ScalarRole::Lr, 1e-50),
            "must be representable in f32 (it rounds to 0), got 1e-50");
  EXPECT_EQ(check(ScalarRole::Eps, 1e-320),
            "must be representable in f32 (it rounds to 0), got 1e-320");
  EXPECT_EQ(check(ScalarRole::Eps, 1e-320, ComputeType::f64), "");
  EXPECT_EQ(check(ScalarRole::Lr, 1e-45), ""); // f32's least subnormal
  EXPECT_EQ(check(ScalarRole::Lr, 0), "");
  EXPECT_EQ(check(ScalarRole::GradScale, 0), "must be positive, got 0");
  EXPECT_NE(check(ScalarRole::GradScale, 1e-39).find("reciprocal"),
            std::string::npos);
  EXPECT_EQ(check(ScalarRole::GradScale, 1e-39, ComputeType::f64), "");
  EXPECT_EQ(check(ScalarRole::GradScale, kInf), "must be finite, got inf");
  EXPECT_EQ(check(ScalarRole::MaxGradNorm, -1), "must be non-negative, got -1");
  for (ScalarRole role :
       {ScalarRole::Lr, ScalarRole::Beta1, ScalarRole::Beta2, ScalarRole::Eps,
        ScalarRole::WeightDecay, ScalarRole::Beta1Power, ScalarRole::Beta2Power,
        ScalarRole::RescaleGrad, ScalarRole::ClipGradient,
        ScalarRole::GradScale, ScalarRole::FoundInf, ScalarRole::MaxGradNorm})
    EXPECT_EQ(check(role, kNaN), "must not be NaN") << stringifyScalarRole(role).str();
}

TEST(ScalarChecks, StepCount) {
  EXPECT_FALSE(checkStepCount(1));
  EXPECT_FALSE(checkStepCount(double(kMaxStepCount)));
  EXPECT_EQ(checkStepCount(0).value_or(""), "must be >= 1, got 0");
  EXPECT_EQ(checkStepCount(1.5).value_or(""),
            "must be a whole number, got 1.5");
  EXPECT_TRUE(checkStepCount(std::ldexp(1.0, 62)));
  EXPECT_TRUE(checkStepCount(double(std::numeric_limits<int64_t>::max())));
  EXPECT_TRUE(checkStepCount(kNaN));
  EXPECT_TRUE(checkStepCount(kInf));
}
} // namespace
