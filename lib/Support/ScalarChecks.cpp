//===- ScalarChecks.cpp - which hyperparameters a step accepts ------------===//

#include "optim/Support/ScalarChecks.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

using namespace optim;

llvm::StringRef optim::stringifyScalarRole(ScalarRole role) {
  switch (role) {
  case ScalarRole::Lr:
    return "lr";
  case ScalarRole::Beta1:
    return "beta1";
  case ScalarRole::Beta2:
    return "beta2";
  case ScalarRole::Eps:
    return "eps";
  case ScalarRole::WeightDecay:
    return "weight_decay";
  case ScalarRole::Beta1Power:
    return "beta1_power";
  case ScalarRole::Beta2Power:
    return "beta2_power";
  case ScalarRole::RescaleGrad:
    return "rescale_grad";
  case ScalarRole::ClipGradient:
    return "clip_gradient";
  case ScalarRole::GradScale:
    return "grad_scale";
  case ScalarRole::FoundInf:
    return "found_inf";
  case ScalarRole::MaxGradNorm:
    return "max_grad_norm";
  }
  return "scalar";
}

/// The largest finite value of the compute type.
static double getMaxFinite(ComputeType type) {
  return type == ComputeType::f32 ? double(std::numeric_limits<float>::max())
                                  : std::numeric_limits<double>::max();
}

static std::string stringifyComputeType(ComputeType type) {
  return type == ComputeType::f32 ? "f32" : "f64";
}

std::string optim::formatScalar(double value, ComputeType type) {
  if (std::isnan(value))
    return "nan";
  if (std::isinf(value))
    return value < 0 ? "-inf" : "inf";
  // The shortest %g spelling that reads back to the same value: what a person
  // wrote (1e-08), yet never hides a difference (0.99999999999999989).
  bool asFloat =
      type == ComputeType::f32 && double(float(value)) == value;
  char buffer[40];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buffer, sizeof(buffer), "%.*g", precision, value);
    double back = std::strtod(buffer, nullptr);
    if (asFloat ? float(back) == float(value) : back == value)
      break;
  }
  return buffer;
}

namespace {
/// Builds the "must be ..., got X" fragments.
struct Reject {
  ComputeType type;
  std::optional<std::string> operator()(const std::string &requirement,
                                        double value) const {
    return "must be " + requirement + ", got " + formatScalar(value, type);
  }
};
} // namespace

std::optional<std::string> optim::checkScalar(ScalarRole role, double value,
                                              ComputeType type) {
  Reject reject{type};
  double maxFinite = getMaxFinite(type);
  auto representable = [&]() -> std::optional<std::string> {
    if (std::fabs(value) > maxFinite)
      return reject("representable in " + stringifyComputeType(type), value);
    // Another value in the kernel too: an lr of 1e-50 is 0 in f32.
    if (value != 0 && type == ComputeType::f32 &&
        static_cast<float>(value) == 0)
      return "must be representable in f32 (it rounds to 0), got " +
             formatScalar(value);
    return std::nullopt;
  };
  // NaN fails every comparison below; it is named explicitly so that the
  // message does not read "must be non-negative, got nan".
  if (std::isnan(value))
    return std::string("must not be NaN");

  switch (role) {
  case ScalarRole::Beta1:
  case ScalarRole::Beta2:
  case ScalarRole::Beta1Power:
  case ScalarRole::Beta2Power:
    if (!(value >= 0 && value < 1))
      return reject("in [0, 1)", value);
    return std::nullopt;
  case ScalarRole::Lr:
  case ScalarRole::Eps:
  case ScalarRole::WeightDecay:
    if (!(value >= 0))
      return reject("non-negative", value);
    if (std::isinf(value))
      return reject("finite", value);
    return representable();
  case ScalarRole::RescaleGrad:
    if (std::isinf(value))
      return reject("finite", value);
    return representable();
  case ScalarRole::ClipGradient:
    // Negative disables clipping (MXNet's convention) and +inf clips nothing;
    // only NaN, handled above, is meaningless.
    return std::nullopt;
  case ScalarRole::GradScale: {
    if (!(value > 0))
      return reject("positive", value);
    if (std::isinf(value))
      return reject("finite", value);
    // The kernel multiplies by 1 / grad_scale in the compute type.
    if (1.0 / value > maxFinite)
      return reject("at least " + formatScalar(1.0 / maxFinite) +
                        " (its reciprocal must be representable in " +
                        stringifyComputeType(type) + ")",
                    value);
    return representable();
  }
  case ScalarRole::FoundInf:
    return std::nullopt;
  case ScalarRole::MaxGradNorm:
    // torch.nn.utils.clip_grad_norm_'s max_norm: +inf never clips; a
    // negative bound would flip the gradients' sign.
    if (!(value >= 0))
      return reject("non-negative", value);
    return std::nullopt;
  }
  return std::nullopt;
}

std::optional<std::string> optim::checkStepCount(double t) {
  if (std::isnan(t))
    return std::string("must not be NaN");
  if (!(t >= 1))
    return "must be >= 1, got " + formatScalar(t);
  if (!(t <= double(kMaxStepCount)))
    return "must be at most 2^53 (" + std::to_string(kMaxStepCount) +
           "), got " + formatScalar(t);
  if (std::trunc(t) != t)
    return "must be a whole number, got " + formatScalar(t);
  return std::nullopt;
}
