//===- GpuTargets.cpp - run a device-kernel test on every GPU target ------===//

#include "GpuTargets.h"

#include "optim/Support/BlockwiseQuant.h"

#ifdef OPTIM_HAVE_CUDA
#include "optim/Runtime/CUDA/CudaDriver.h"
#endif

#include <cstdint>
#include <cstdlib>
#include <vector>

using namespace optim;

namespace {

#ifdef OPTIM_HAVE_CUDA
/// Device copies of a group's buffers, freed with the object. Each copy
/// sits at its host buffer's address modulo 256 within its allocation.
class DeviceGroup {
public:
  DeviceGroup() : driver(cuda::Driver::instance()) {}
  ~DeviceGroup() {
    for (const Copy &copy : copies)
      driver.memFree(copy.allocation);
  }
  DeviceGroup(const DeviceGroup &) = delete;
  DeviceGroup &operator=(const DeviceGroup &) = delete;

  llvm::Error upload(const StepConfig &config,
                     llvm::ArrayRef<ParamBuffers> host) {
    if (!context.ok())
      return llvm::createStringError(context.status().message());
    for (const ParamBuffers &b : host) {
      size_t n = b.numElements > 0 ? size_t(b.numElements) : 0;
      size_t paramBytes = n * getElementSize(config.paramType);
      size_t momentBytes =
          n * getMomentElementSize(config, b.getTensorElements());
      size_t absmaxBytes = getNumQuantBlocks(int64_t(n)) * sizeof(float);
      ParamBuffers d = b;
      d.param = mirror(b.param, paramBytes, /*isState=*/true);
      d.grad = mirror(b.grad, paramBytes, /*isState=*/false);
      d.expAvg = mirror(b.expAvg, momentBytes, true);
      d.expAvgSq = mirror(b.expAvgSq, momentBytes, true);
      d.maxExpAvgSq = mirror(b.maxExpAvgSq, momentBytes, true);
      d.expAvgAbsmax =
          static_cast<float *>(mirror(b.expAvgAbsmax, absmaxBytes, true));
      d.expAvgSqAbsmax =
          static_cast<float *>(mirror(b.expAvgSqAbsmax, absmaxBytes, true));
      device.push_back(d);
    }
    // Pageable copies may return before their DMA lands, and the step's
    // kernels run on non-blocking streams that do not wait for it.
    if (status.ok())
      record(driver.ctxSynchronize(), "cuCtxSynchronize");
    return takeError();
  }

  llvm::ArrayRef<ParamBuffers> getBuffers() const { return device; }

  /// Copies the state (everything but the gradients) back to the host.
  llvm::Error download() {
    for (const Copy &copy : copies)
      if (copy.isState && copy.bytes)
        record(driver.memcpyDtoH(copy.host, copy.allocation + copy.offset,
                                 copy.bytes),
               "cuMemcpyDtoH");
    return takeError();
  }

private:
  struct Copy {
    void *host;
    size_t bytes;
    bool isState;
    CUdeviceptr allocation;
    size_t offset;
  };

  void *mirror(const void *host, size_t bytes, bool isState) {
    if (!host || !status.ok())
      return nullptr;
    size_t offset = reinterpret_cast<uintptr_t>(host) % 256;
    CUdeviceptr allocation = 0;
    if (!record(driver.memAlloc(&allocation, offset + bytes + 1), "cuMemAlloc"))
      return nullptr;
    copies.push_back(
        {const_cast<void *>(host), bytes, isState, allocation, offset});
    if (bytes)
      record(driver.memcpyHtoD(allocation + offset, host, bytes),
             "cuMemcpyHtoD");
    return reinterpret_cast<void *>(allocation + offset);
  }

  bool record(CUresult result, const char *what) {
    if (status.ok())
      status = driver.check(result, what);
    return result == CUDA_SUCCESS;
  }

  llvm::Error takeError() {
    if (status.ok())
      return llvm::Error::success();
    return llvm::createStringError(status.message());
  }

  const cuda::Driver &driver;
  cuda::ScopedContext context;
  cuda::Status status = cuda::Status::success();
  std::vector<Copy> copies;
  std::vector<ParamBuffers> device;
};
#endif

/// `call` on `host`, or on device copies of it for a GPU step.
template <typename Result, typename Call>
Result callOnTarget(const CompiledStep &step, llvm::ArrayRef<ParamBuffers> host,
                    Call call) {
  if (step.getConfig().target != Target::GPU)
    return call(host);
#ifdef OPTIM_HAVE_CUDA
  DeviceGroup group;
  if (llvm::Error e = group.upload(step.getConfig(), host))
    return std::move(e);
  Result result = call(group.getBuffers());
  if (llvm::Error e = group.download()) {
    if (!result)
      return llvm::joinErrors(result.takeError(), std::move(e));
    return std::move(e);
  }
  return result;
#else
  return llvm::createStringError("optim was built without the CUDA headers");
#endif
}

} // namespace

bool optim::test::isGpuRequired() {
  const char *required = std::getenv("OPTIM_REQUIRE_GPU");
  return required && std::string(required) == "1";
}

std::string optim::test::getTargetUnavailableReason(Target target) {
  if (target != Target::GPU)
    return "";
#ifdef OPTIM_HAVE_CUDA
  const cuda::Driver &driver = cuda::Driver::instance();
  return driver.available() ? "" : driver.unavailableReason();
#else
  return "optim was built without the CUDA headers";
#endif
}

llvm::Error optim::test::runOnTarget(const CompiledStep &step,
                                     llvm::ArrayRef<ParamBuffers> host,
                                     const StepScalars &s) {
  // llvm::Error has no operator bool that keeps it, so it goes through
  // Expected like the norms.
  llvm::Expected<bool> ran = callOnTarget<llvm::Expected<bool>>(
      step, host,
      [&](llvm::ArrayRef<ParamBuffers> buffers) -> llvm::Expected<bool> {
        if (llvm::Error e = step.run(buffers, s))
          return std::move(e);
        return true;
      });
  return ran.takeError();
}

llvm::Expected<double>
optim::test::computeGradNormOnTarget(const CompiledStep &step,
                                     llvm::ArrayRef<ParamBuffers> host,
                                     const StepScalars &s) {
  return callOnTarget<llvm::Expected<double>>(
      step, host, [&](llvm::ArrayRef<ParamBuffers> buffers) {
        return step.computeGradNorm(buffers, s);
      });
}

llvm::Expected<double>
optim::test::computeGradSquaredNormOnTarget(const CompiledStep &step,
                                            llvm::ArrayRef<ParamBuffers> host,
                                            const StepScalars &s) {
  return callOnTarget<llvm::Expected<double>>(
      step, host, [&](llvm::ArrayRef<ParamBuffers> buffers) {
        return step.computeGradSquaredNorm(buffers, s);
      });
}

std::string
optim::test::getGpuTargetName(const ::testing::TestParamInfo<Target> &info) {
  return info.param == Target::GPU ? "Device" : "Emulated";
}
