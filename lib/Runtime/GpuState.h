//===- GpuState.h - what a GPU step keeps between calls ---------*- C++ -*-===//

#ifndef OPTIM_LIB_RUNTIME_GPUSTATE_H
#define OPTIM_LIB_RUNTIME_GPUSTATE_H

#include "llvm/Support/Error.h"

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace optim::detail {

/// The CUDA layer's error channel (MgpuRuntimeWrappers.cpp): the lowered
/// host code calls mgpu* functions that cannot return errors, so each
/// failure is recorded per thread and read back after the launch.
struct CudaErrorChannel {
  const char *(*lastError)() = nullptr;
  void (*clearError)() = nullptr;
};

/// Per-step state of a GPU step (device or emulated).
struct GpuState {
  /// Device steps: the entry points of liboptim_cuda_runtime.so.
  bool onDevice = false;
  CudaErrorChannel errors;

  /// Device copies of the most recent group tables: an optimizer passes the
  /// same group every step, so its table is uploaded once.
  struct Table {
    std::vector<int64_t> host;
    uint64_t device = 0;
  };
  std::mutex mutex;
  std::vector<Table> tables; // most recently used last
  static constexpr size_t kMaxTables = 8;

  ~GpuState();
  /// The device address of a copy of `host`, uploaded if not cached.
  llvm::Expected<uint64_t> getDeviceTable(const std::vector<int64_t> &host);
};

/// The GPU state for a new step; `onDevice` resolves the CUDA layer's error
/// channel in the already loaded `cudaRuntimeLibrary`.
llvm::Expected<std::unique_ptr<GpuState>>
createGpuState(bool onDevice, const char *cudaRuntimeLibrary);

} // namespace optim::detail

#endif // OPTIM_LIB_RUNTIME_GPUSTATE_H
