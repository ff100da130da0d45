//===- GpuLaunchShape.h - The launch shapes optim's kernels take -*- C++ -*-===//
//
// One rule for every entry point that takes a GPU launch shape (the GPU
// pipelines, the mapping pass, the runtime's StepConfig): CUDA's limits on
// threads per block and on blocks along x. The mapping multiplies these
// into index constants, so unbounded values would overflow there.
//
//===----------------------------------------------------------------------===//

#ifndef OPTIM_SUPPORT_GPULAUNCHSHAPE_H
#define OPTIM_SUPPORT_GPULAUNCHSHAPE_H

#include <cstdint>

namespace optim {

/// The most threads per block (every NVIDIA chip optim targets).
inline constexpr int64_t kMaxGpuBlockSize = 1024;
/// The most blocks along x (gridDim.x).
inline constexpr int64_t kMaxGpuBlocks = (int64_t(1) << 31) - 1;

inline constexpr bool isValidGpuBlockSize(int64_t threads) {
  return threads >= 1 && threads <= kMaxGpuBlockSize;
}

inline constexpr bool isValidGpuMaxBlocks(int64_t blocks) {
  return blocks >= 1 && blocks <= kMaxGpuBlocks;
}

} // namespace optim

#endif // OPTIM_SUPPORT_GPULAUNCHSHAPE_H
