//===- ScalarChecks.h - which hyperparameters a step accepts ----*- C++ -*-===//
//
// The one place that decides whether a hyperparameter or per-step scalar is
// acceptable. The verifier applies it to constant operands and the runtime to
// every step's arguments, so IR and host code reject exactly the same values.
// A value must be in its documented range *and* survive the compute type: an
// lr of 1e300 is a valid double but infinite in an f32 kernel.
//
// MLIR-free: plain C++ and LLVM's ADT only.
//
//===----------------------------------------------------------------------===//

#ifndef OPTIM_SUPPORT_SCALARCHECKS_H
#define OPTIM_SUPPORT_SCALARCHECKS_H

#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <optional>
#include <string>

namespace optim {

/// The float type a step's element-wise work is done in: f32 for f16, bf16
/// and f32 parameters, f64 for f64 parameters.
enum class ComputeType { f32, f64 };

/// The scalar operands of an Adam-family step, by role.
enum class ScalarRole {
  Lr,
  Beta1,
  Beta2,
  Eps,
  WeightDecay,
  Beta1Power,
  Beta2Power,
  RescaleGrad,
  ClipGradient,
  GradScale,
  FoundInf,
  MaxGradNorm,
};

/// The operand name of `role` as the IR spells it ("lr", "beta1_power", ...).
llvm::StringRef stringifyScalarRole(ScalarRole role);

/// The largest step count accepted: every count up to it is exact in f64, and
/// `t + 1` cannot overflow.
constexpr int64_t kMaxStepCount = int64_t(1) << 53;

/// Why `value` is unacceptable as `role` in a step computing in `type`, as a
/// sentence fragment to follow the operand's name ("must be non-negative, got
/// -1"); std::nullopt when it is acceptable. NaN is never acceptable.
std::optional<std::string> checkScalar(ScalarRole role, double value,
                                       ComputeType type);

/// The same for the step count t: an integer in [1, kMaxStepCount].
std::optional<std::string> checkStepCount(double t);

/// `value` spelled so that it can be read back exactly and no shorter
/// (1e-08, -0.5, 3.4028234663852886e+38, inf, nan): what an error message
/// should show. With `type == f32` the shortest spelling that reads back to
/// the same float is used, so an f32 constant 1e-8 prints as 1e-08.
std::string formatScalar(double value, ComputeType type = ComputeType::f64);

} // namespace optim

#endif // OPTIM_SUPPORT_SCALARCHECKS_H
