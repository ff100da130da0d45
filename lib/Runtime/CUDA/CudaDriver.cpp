//===- CudaDriver.cpp - Run-time loaded CUDA driver API -------------------===//
//
// Part of the optim project.
//
//===----------------------------------------------------------------------===//

#include "optim/Runtime/CUDA/CudaDriver.h"

#include <dlfcn.h>

#include <cstdio>
#include <mutex>

using namespace optim::cuda;

// Two-level stringification so that the argument is macro-expanded first:
// OPTIM_CU_NAME(cuMemAlloc) is "cuMemAlloc_v2", exactly the symbol whose
// prototype decltype(&::cuMemAlloc) describes.
#define OPTIM_CU_NAME_IMPL(x) #x
#define OPTIM_CU_NAME(x) OPTIM_CU_NAME_IMPL(x)

struct Driver::PrimaryContextSlot {
  std::once_flag once;
  CUcontext context = nullptr;
  CUresult result = CUDA_SUCCESS;
};

Driver::Driver() = default;

Driver &Driver::instance() {
  // Heap-allocated and never freed: see the class comment.
  static std::once_flag once;
  static Driver *driver = nullptr;
  std::call_once(once, [] {
    driver = new Driver();
    driver->initialize();
  });
  return *driver;
}

const Driver *Driver::get() {
  Driver &driver = instance();
  return driver.available() ? &driver : nullptr;
}

namespace {
/// Looks `name` up in `handle` and stores it into `fn` with the right type.
template <typename Fn>
bool resolveInto(void *handle, Fn &fn, const char *name) {
  fn = reinterpret_cast<Fn>(dlsym(handle, name));
  return fn != nullptr;
}
} // namespace

bool Driver::resolveSymbols() {
  // Required entry points: a driver lacking any of them is treated as absent
  // so that callers only have to check available().
#define OPTIM_CU_REQUIRED(member, api)                                         \
  if (!resolveInto(handle, member, OPTIM_CU_NAME(api))) {                      \
    reason = "no CUDA driver: " + libName + " lacks entry point '" +           \
             OPTIM_CU_NAME(api) + "' (driver too old?)";                       \
    return false;                                                              \
  }
  OPTIM_CU_REQUIRED(init, cuInit)
  OPTIM_CU_REQUIRED(driverGetVersion, cuDriverGetVersion)
  OPTIM_CU_REQUIRED(getErrorString, cuGetErrorString)
  OPTIM_CU_REQUIRED(getErrorName, cuGetErrorName)
  OPTIM_CU_REQUIRED(deviceGetCount, cuDeviceGetCount)
  OPTIM_CU_REQUIRED(deviceGet, cuDeviceGet)
  OPTIM_CU_REQUIRED(deviceGetName, cuDeviceGetName)
  OPTIM_CU_REQUIRED(deviceGetAttribute, cuDeviceGetAttribute)
  OPTIM_CU_REQUIRED(devicePrimaryCtxRetain, cuDevicePrimaryCtxRetain)
  OPTIM_CU_REQUIRED(devicePrimaryCtxRelease, cuDevicePrimaryCtxRelease)
  OPTIM_CU_REQUIRED(ctxDestroy, cuCtxDestroy)
  OPTIM_CU_REQUIRED(ctxGetCurrent, cuCtxGetCurrent)
  OPTIM_CU_REQUIRED(ctxSetCurrent, cuCtxSetCurrent)
  OPTIM_CU_REQUIRED(ctxPushCurrent, cuCtxPushCurrent)
  OPTIM_CU_REQUIRED(ctxPopCurrent, cuCtxPopCurrent)
  OPTIM_CU_REQUIRED(ctxSynchronize, cuCtxSynchronize)
  OPTIM_CU_REQUIRED(memGetInfo, cuMemGetInfo)
  OPTIM_CU_REQUIRED(memAlloc, cuMemAlloc)
  OPTIM_CU_REQUIRED(memAllocManaged, cuMemAllocManaged)
  OPTIM_CU_REQUIRED(memFree, cuMemFree)
  OPTIM_CU_REQUIRED(memcpy, cuMemcpy)
  OPTIM_CU_REQUIRED(memcpyAsync, cuMemcpyAsync)
  OPTIM_CU_REQUIRED(memcpyHtoD, cuMemcpyHtoD)
  OPTIM_CU_REQUIRED(memcpyDtoH, cuMemcpyDtoH)
  OPTIM_CU_REQUIRED(memcpyDtoD, cuMemcpyDtoD)
  OPTIM_CU_REQUIRED(memcpyHtoDAsync, cuMemcpyHtoDAsync)
  OPTIM_CU_REQUIRED(memcpyDtoHAsync, cuMemcpyDtoHAsync)
  OPTIM_CU_REQUIRED(memcpyDtoDAsync, cuMemcpyDtoDAsync)
  OPTIM_CU_REQUIRED(memsetD8, cuMemsetD8)
  OPTIM_CU_REQUIRED(memsetD16, cuMemsetD16)
  OPTIM_CU_REQUIRED(memsetD32, cuMemsetD32)
  OPTIM_CU_REQUIRED(memsetD8Async, cuMemsetD8Async)
  OPTIM_CU_REQUIRED(memsetD16Async, cuMemsetD16Async)
  OPTIM_CU_REQUIRED(memsetD32Async, cuMemsetD32Async)
  OPTIM_CU_REQUIRED(memHostRegister, cuMemHostRegister)
  OPTIM_CU_REQUIRED(memHostUnregister, cuMemHostUnregister)
  OPTIM_CU_REQUIRED(moduleLoadData, cuModuleLoadData)
  OPTIM_CU_REQUIRED(moduleLoadDataEx, cuModuleLoadDataEx)
  OPTIM_CU_REQUIRED(moduleGetFunction, cuModuleGetFunction)
  OPTIM_CU_REQUIRED(moduleUnload, cuModuleUnload)
  OPTIM_CU_REQUIRED(funcSetAttribute, cuFuncSetAttribute)
  OPTIM_CU_REQUIRED(launchKernel, cuLaunchKernel)
  OPTIM_CU_REQUIRED(streamCreate, cuStreamCreate)
  OPTIM_CU_REQUIRED(streamSynchronize, cuStreamSynchronize)
  OPTIM_CU_REQUIRED(streamDestroy, cuStreamDestroy)
  OPTIM_CU_REQUIRED(streamWaitEvent, cuStreamWaitEvent)
  OPTIM_CU_REQUIRED(eventCreate, cuEventCreate)
  OPTIM_CU_REQUIRED(eventRecord, cuEventRecord)
  OPTIM_CU_REQUIRED(eventSynchronize, cuEventSynchronize)
  OPTIM_CU_REQUIRED(eventDestroy, cuEventDestroy)
#undef OPTIM_CU_REQUIRED

  // Optional entry points: newer header versions of these exist only in
  // recent drivers. The fallback names have the same prototype.
  resolveInto(handle, ctxCreate, OPTIM_CU_NAME(cuCtxCreate));
  if (!resolveInto(handle, eventElapsedTime, OPTIM_CU_NAME(cuEventElapsedTime)))
    resolveInto(handle, eventElapsedTime, "cuEventElapsedTime");
  return true;
}

void Driver::initialize() {
  // libcuda.so.1 is what the driver installs; libcuda.so is usually only the
  // development symlink (or the toolkit's link stub), so it comes second.
  static const char *const candidates[] = {"libcuda.so.1", "libcuda.so"};
  std::string dlErrors;
  for (const char *name : candidates) {
    handle = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (handle) {
      libName = name;
      break;
    }
    const char *err = dlerror();
    if (!dlErrors.empty())
      dlErrors += "; ";
    dlErrors += err ? err : name;
  }
  if (!handle) {
    reason =
        "no CUDA driver: libcuda.so.1 not found (dlopen: " + dlErrors + ")";
    return;
  }

  if (!resolveSymbols())
    return;

  // A failing cuDriverGetVersion is not fatal; the version is informational.
  if (driverGetVersion(&version) != CUDA_SUCCESS)
    version = 0;

  if (CUresult r = init(0); r != CUDA_SUCCESS) {
    reason = "no CUDA device: cuInit failed: " + describe(r);
    return;
  }

  int count = 0;
  if (CUresult r = deviceGetCount(&count); r != CUDA_SUCCESS) {
    reason = "no CUDA device: cuDeviceGetCount failed: " + describe(r);
    return;
  }
  if (count <= 0) {
    reason = "no CUDA device: cuDeviceGetCount returned 0";
    return;
  }

  numDevices = count;
  contexts.reset(new PrimaryContextSlot[count]);
  isAvailable = true;
}

namespace {
/// Names for the errors that cuInit typically reports, for when the driver
/// cannot describe its own errors (the toolkit's link stub answers every call,
/// cuGetErrorName included, with CUDA_ERROR_STUB_LIBRARY).
void describeInitError(CUresult result, const char *&name, const char *&text) {
  switch (result) {
  case CUDA_ERROR_STUB_LIBRARY:
    name = "CUDA_ERROR_STUB_LIBRARY";
    text = "libcuda is the toolkit's link stub, not the NVIDIA driver";
    break;
  case CUDA_ERROR_NO_DEVICE:
    name = "CUDA_ERROR_NO_DEVICE";
    text = "no CUDA-capable device is detected";
    break;
  case CUDA_ERROR_SYSTEM_DRIVER_MISMATCH:
    name = "CUDA_ERROR_SYSTEM_DRIVER_MISMATCH";
    text = "libcuda and the NVIDIA kernel module versions differ";
    break;
  case CUDA_ERROR_NOT_INITIALIZED:
    name = "CUDA_ERROR_NOT_INITIALIZED";
    break;
  default:
    break;
  }
}
} // namespace

std::string Driver::describe(CUresult result) const {
  const char *name = nullptr;
  const char *text = nullptr;
  // Either lookup may fail; fall back to a few known codes, then to the
  // numeric value.
  if (getErrorName && getErrorName(result, &name) != CUDA_SUCCESS)
    name = nullptr;
  if (getErrorString && getErrorString(result, &text) != CUDA_SUCCESS)
    text = nullptr;
  if (!name)
    describeInitError(result, name, text);

  std::string out =
      name ? std::string(name) : "CUDA error " + std::to_string(int(result));
  if (text)
    out += std::string(" (") + text + ")";
  return out;
}

Status Driver::check(CUresult result, const char *what) const {
  if (result == CUDA_SUCCESS)
    return Status::success();
  return Status::error(std::string(what ? what : "CUDA driver call") +
                       " failed: " + describe(result));
}

Status optim::cuda::check(CUresult result, const char *what) {
  // Avoid forcing driver initialisation just to report success.
  if (result == CUDA_SUCCESS)
    return Status::success();
  return Driver::instance().check(result, what);
}

std::string Driver::deviceName(int ordinal) const {
  if (!isAvailable || ordinal < 0 || ordinal >= numDevices)
    return {};
  CUdevice device;
  if (deviceGet(&device, ordinal) != CUDA_SUCCESS)
    return {};
  char buffer[256] = {0};
  if (deviceGetName(buffer, sizeof(buffer) - 1, device) != CUDA_SUCCESS)
    return {};
  return buffer;
}

int Driver::computeCapability(int ordinal) const {
  if (!isAvailable || ordinal < 0 || ordinal >= numDevices)
    return -1;
  CUdevice device;
  int major = 0, minor = 0;
  if (deviceGet(&device, ordinal) != CUDA_SUCCESS ||
      deviceGetAttribute(&major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR,
                         device) != CUDA_SUCCESS ||
      deviceGetAttribute(&minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR,
                         device) != CUDA_SUCCESS)
    return -1;
  return major * 10 + minor;
}

Status Driver::setDefaultDevice(int ordinal) {
  if (!isAvailable)
    return Status::error(reason);
  if (ordinal < 0 || ordinal >= numDevices)
    return Status::error("invalid CUDA device ordinal " +
                         std::to_string(ordinal) + " (" +
                         std::to_string(numDevices) + " device(s) present)");
  defaultOrdinal.store(ordinal, std::memory_order_relaxed);
  return Status::success();
}

Status Driver::primaryContext(int ordinal, CUcontext &context) const {
  context = nullptr;
  if (!isAvailable)
    return Status::error(reason);
  if (ordinal < 0 || ordinal >= numDevices)
    return Status::error("invalid CUDA device ordinal " +
                         std::to_string(ordinal) + " (" +
                         std::to_string(numDevices) + " device(s) present)");

  PrimaryContextSlot &slot = contexts[ordinal];
  // Retained once and kept: releasing at exit races with other threads and
  // static destructors still using it, and the driver cleans up on exit.
  std::call_once(slot.once, [&] {
    CUdevice device;
    slot.result = deviceGet(&device, ordinal);
    if (slot.result == CUDA_SUCCESS)
      slot.result = devicePrimaryCtxRetain(&slot.context, device);
    if (slot.result != CUDA_SUCCESS)
      slot.context = nullptr;
  });
  if (slot.result != CUDA_SUCCESS)
    return check(slot.result, "cuDevicePrimaryCtxRetain");
  context = slot.context;
  return Status::success();
}

ScopedContext::ScopedContext()
    : ScopedContext(Driver::instance().defaultDevice()) {}

ScopedContext::ScopedContext(int ordinal) {
  const Driver &driver = Driver::instance();
  st = driver.primaryContext(ordinal, ctx);
  if (!st.ok())
    return;
  st = driver.check(driver.ctxPushCurrent(ctx), "cuCtxPushCurrent");
  pushed = st.ok();
}

ScopedContext::~ScopedContext() {
  if (!pushed)
    return;
  CUcontext popped = nullptr;
  Status s = Driver::instance().check(Driver::instance().ctxPopCurrent(&popped),
                                      "cuCtxPopCurrent");
  // A destructor cannot return the error; do not lose it silently either.
  if (!s.ok())
    std::fprintf(stderr, "optim-cuda: %s\n", s.message().c_str());
}
