//===- CudaDriver.h - Run-time loaded CUDA driver API -----------*- C++ -*-===//
//
// Part of the optim project.
//
//===----------------------------------------------------------------------===//
//
// A thin layer over the CUDA *driver* API that loads libcuda with dlopen on
// first use instead of linking it. Every binary therefore builds, links and
// starts on machines without a GPU or without the NVIDIA driver, and can report
// "no CUDA device" instead of failing in the dynamic loader.
//
// <cuda.h> is used for its types, enums and prototypes only: the function
// pointers below are typed with decltype of the header's declarations, so the
// compiler checks every call, but no libcuda symbol is ever referenced at link
// time.
//
//===----------------------------------------------------------------------===//

#ifndef OPTIM_RUNTIME_CUDA_CUDADRIVER_H
#define OPTIM_RUNTIME_CUDA_CUDADRIVER_H

#include <cuda.h>

#include <atomic>
#include <memory>
#include <string>

namespace optim {
namespace cuda {

/// Result of a driver operation: success, or failure with a human-readable
/// message. Deliberately tiny so it works with -fno-exceptions and without
/// pulling LLVM support libraries into the runtime.
class Status {
public:
  static Status success() { return Status(); }
  static Status error(std::string message) {
    Status s;
    s.isOk = false;
    s.msg = std::move(message);
    return s;
  }

  bool ok() const { return isOk; }
  /// Empty on success.
  const std::string &message() const { return msg; }

private:
  Status() = default;

  bool isOk = true;
  std::string msg;
};

/// Process-wide handle on the dynamically loaded CUDA driver.
///
/// Initialisation (dlopen, dlsym, cuInit, device count) runs exactly once, on
/// the first call to instance() or get(), from whichever thread gets there
/// first. The object is never destroyed so that wrappers called from static
/// destructors or atexit handlers still find valid function pointers.
class Driver {
public:
  /// The singleton. Never null and never crashes; check available() before
  /// calling any of the function pointers.
  static Driver &instance();
  /// The singleton if the driver is usable (library loaded, cuInit succeeded
  /// and at least one device present), nullptr otherwise.
  static const Driver *get();

  Driver(const Driver &) = delete;
  Driver &operator=(const Driver &) = delete;

  /// True when libcuda was loaded, all required entry points resolved,
  /// cuInit succeeded and there is at least one device.
  bool available() const { return isAvailable; }
  /// Why available() is false, e.g. "no CUDA driver: libcuda.so.1 not found
  /// (dlopen: ...)" or "no CUDA device: cuInit failed: CUDA_ERROR_NO_DEVICE
  /// (...)". Empty when available.
  const std::string &unavailableReason() const { return reason; }
  /// The library name that was dlopen'ed, empty if none.
  const std::string &libraryName() const { return libName; }
  /// cuDriverGetVersion, e.g. 13000; 0 if unknown.
  int driverVersion() const { return version; }

  /// Number of CUDA devices; 0 when unavailable.
  int deviceCount() const { return numDevices; }
  /// Device name, or an empty string if the ordinal is invalid or the driver
  /// is unavailable.
  std::string deviceName(int ordinal) const;
  /// major * 10 + minor (e.g. 90 for sm_90), or -1 on error.
  int computeCapability(int ordinal) const;

  /// Device used by ScopedContext's default constructor (the mgpu* wrappers).
  /// Starts at 0.
  int defaultDevice() const {
    return defaultOrdinal.load(std::memory_order_relaxed);
  }
  Status setDefaultDevice(int ordinal);

  /// The primary context of `ordinal`. Retained on first request and cached
  /// for the lifetime of the process (never released: other threads may still
  /// be using it at exit). Thread-safe.
  Status primaryContext(int ordinal, CUcontext &context) const;

  /// Turns `result` into a Status whose message names `what` and carries the
  /// driver's error name and description.
  Status check(CUresult result, const char *what) const;
  /// "CUDA_ERROR_X (description)", falling back to the numeric code when the
  /// driver cannot describe it (e.g. it is not loaded).
  std::string describe(CUresult result) const;

  // Resolved driver entry points, named after the CUDA API without the "cu"
  // prefix. Each one is looked up under the name the CUDA headers map it to
  // (cuMemAlloc -> cuMemAlloc_v2, ...), so the pointer type always matches
  // the symbol. All required ones are non-null when available(); the few
  // optional ones (noted) may be null on older drivers.
  decltype(&::cuInit) init = nullptr;
  decltype(&::cuDriverGetVersion) driverGetVersion = nullptr;
  decltype(&::cuGetErrorString) getErrorString = nullptr;
  decltype(&::cuGetErrorName) getErrorName = nullptr;

  decltype(&::cuDeviceGetCount) deviceGetCount = nullptr;
  decltype(&::cuDeviceGet) deviceGet = nullptr;
  decltype(&::cuDeviceGetName) deviceGetName = nullptr;
  decltype(&::cuDeviceGetAttribute) deviceGetAttribute = nullptr;

  decltype(&::cuDevicePrimaryCtxRetain) devicePrimaryCtxRetain = nullptr;
  decltype(&::cuDevicePrimaryCtxRelease) devicePrimaryCtxRelease = nullptr;
  /// Optional: cuCtxCreate_v4 needs a CUDA 12.5+ driver.
  decltype(&::cuCtxCreate) ctxCreate = nullptr;
  decltype(&::cuCtxDestroy) ctxDestroy = nullptr;
  decltype(&::cuCtxGetCurrent) ctxGetCurrent = nullptr;
  decltype(&::cuCtxSetCurrent) ctxSetCurrent = nullptr;
  decltype(&::cuCtxPushCurrent) ctxPushCurrent = nullptr;
  decltype(&::cuCtxPopCurrent) ctxPopCurrent = nullptr;
  decltype(&::cuCtxSynchronize) ctxSynchronize = nullptr;

  decltype(&::cuMemGetInfo) memGetInfo = nullptr;
  decltype(&::cuMemAlloc) memAlloc = nullptr;
  decltype(&::cuMemAllocManaged) memAllocManaged = nullptr;
  decltype(&::cuMemFree) memFree = nullptr;
  decltype(&::cuMemcpy) memcpy = nullptr;
  decltype(&::cuMemcpyAsync) memcpyAsync = nullptr;
  decltype(&::cuMemcpyHtoD) memcpyHtoD = nullptr;
  decltype(&::cuMemcpyDtoH) memcpyDtoH = nullptr;
  decltype(&::cuMemcpyDtoD) memcpyDtoD = nullptr;
  decltype(&::cuMemcpyHtoDAsync) memcpyHtoDAsync = nullptr;
  decltype(&::cuMemcpyDtoHAsync) memcpyDtoHAsync = nullptr;
  decltype(&::cuMemcpyDtoDAsync) memcpyDtoDAsync = nullptr;
  decltype(&::cuMemsetD8) memsetD8 = nullptr;
  decltype(&::cuMemsetD16) memsetD16 = nullptr;
  decltype(&::cuMemsetD32) memsetD32 = nullptr;
  decltype(&::cuMemsetD8Async) memsetD8Async = nullptr;
  decltype(&::cuMemsetD16Async) memsetD16Async = nullptr;
  decltype(&::cuMemsetD32Async) memsetD32Async = nullptr;
  decltype(&::cuMemHostRegister) memHostRegister = nullptr;
  decltype(&::cuMemHostUnregister) memHostUnregister = nullptr;

  decltype(&::cuModuleLoadData) moduleLoadData = nullptr;
  decltype(&::cuModuleLoadDataEx) moduleLoadDataEx = nullptr;
  decltype(&::cuModuleGetFunction) moduleGetFunction = nullptr;
  decltype(&::cuModuleUnload) moduleUnload = nullptr;
  decltype(&::cuFuncSetAttribute) funcSetAttribute = nullptr;
  decltype(&::cuLaunchKernel) launchKernel = nullptr;

  decltype(&::cuStreamCreate) streamCreate = nullptr;
  decltype(&::cuStreamSynchronize) streamSynchronize = nullptr;
  decltype(&::cuStreamDestroy) streamDestroy = nullptr;
  decltype(&::cuStreamWaitEvent) streamWaitEvent = nullptr;

  decltype(&::cuEventCreate) eventCreate = nullptr;
  decltype(&::cuEventRecord) eventRecord = nullptr;
  decltype(&::cuEventSynchronize) eventSynchronize = nullptr;
  /// Resolves cuEventElapsedTime_v2, falling back to cuEventElapsedTime on
  /// drivers older than 12.8 (same prototype).
  decltype(&::cuEventElapsedTime) eventElapsedTime = nullptr;
  decltype(&::cuEventDestroy) eventDestroy = nullptr;

private:
  struct PrimaryContextSlot;

  Driver();
  ~Driver() = delete; // Intentionally immortal, see class comment.

  void initialize();
  bool resolveSymbols();

  void *handle = nullptr;
  bool isAvailable = false;
  std::string reason;
  std::string libName;
  int version = 0;
  int numDevices = 0;
  std::atomic<int> defaultOrdinal{0};
  // One slot per device, created once numDevices is known.
  std::unique_ptr<PrimaryContextSlot[]> contexts;
};

/// Shorthand for Driver::instance().check(result, what).
Status check(CUresult result, const char *what);

/// Makes the primary context of a device current on the calling thread for
/// the lifetime of the object (push in the constructor, pop in the
/// destructor), so callers never leak context changes into user code that
/// manages its own contexts. The primary context is retained once per device
/// and cached.
class ScopedContext {
public:
  /// Uses Driver::defaultDevice() (device 0 unless mgpuSetDefaultDevice or
  /// Driver::setDefaultDevice changed it).
  ScopedContext();
  explicit ScopedContext(int ordinal);
  ~ScopedContext();

  ScopedContext(const ScopedContext &) = delete;
  ScopedContext &operator=(const ScopedContext &) = delete;

  /// False when the driver is unavailable or the context could not be made
  /// current; status() says why.
  bool ok() const { return st.ok(); }
  const Status &status() const { return st; }
  CUcontext context() const { return ctx; }

private:
  Status st = Status::success();
  CUcontext ctx = nullptr;
  bool pushed = false;
};

} // namespace cuda
} // namespace optim

#endif // OPTIM_RUNTIME_CUDA_CUDADRIVER_H
