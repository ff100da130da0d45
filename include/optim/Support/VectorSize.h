//===- VectorSize.h - The vector widths optim compiles for ------*- C++ -*-===//
//
// One rule for every entry point that takes a vector width (the CPU
// pipeline, the CPU vectorisers, the runtime's StepConfig): a power of two
// from 1 to kMaxVectorSize lanes. Wider vectors only make LLVM build ever
// larger values (2^32 lanes ran out of memory).
//
//===----------------------------------------------------------------------===//

#ifndef OPTIM_SUPPORT_VECTORSIZE_H
#define OPTIM_SUPPORT_VECTORSIZE_H

#include "llvm/Support/MathExtras.h"

#include <cstdint>
#include <string>

namespace optim {

/// The widest vector, in lanes, that optim compiles for.
inline constexpr int64_t kMaxVectorSize = 64;

/// Whether `lanes` is a vector width optim compiles for.
inline constexpr bool isValidVectorSize(int64_t lanes) {
  return lanes >= 1 && lanes <= kMaxVectorSize && llvm::isPowerOf2_64(lanes);
}

static_assert(isValidVectorSize(1) && isValidVectorSize(64) &&
              !isValidVectorSize(0) && !isValidVectorSize(48) &&
              !isValidVectorSize(128) && !isValidVectorSize(-64));

/// What is wrong with a CPU schedule's vector and chunk sizes (the CPU
/// pipeline's options and its vectorisers'), or "" when nothing is. A
/// negative chunk size would read as 0, no forall.
inline std::string getScheduleOptionsError(int64_t vectorSize,
                                           int64_t chunkSize) {
  if (!isValidVectorSize(vectorSize))
    return "vector-size must be a power of two from 1 to " +
           std::to_string(kMaxVectorSize) + ", got " +
           std::to_string(vectorSize);
  if (chunkSize < 0)
    return "chunk-size must be non-negative, got " + std::to_string(chunkSize);
  return "";
}

} // namespace optim

#endif // OPTIM_SUPPORT_VECTORSIZE_H
