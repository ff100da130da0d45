//===- CudaDriverTest.cpp - Tests for the dlopen'ed CUDA driver layer -----===//
//
// Part of the optim project.
//
//===----------------------------------------------------------------------===//
//
// Runs everywhere: without a GPU (or without the driver) it checks that the
// driver layer and the mgpu* wrappers fail cleanly; with a GPU it checks that
// they actually move data and launch kernels.
//
//===----------------------------------------------------------------------===//

#include "optim/Runtime/CUDA/CudaDriver.h"

#include "gtest/gtest.h"

#include <cstdint>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

using namespace optim::cuda;

// The wrappers have no header of their own: generated code declares them.
extern "C" {
void *mgpuModuleLoad(void *data, size_t gpuBlobSize);
void *mgpuModuleLoadJIT(void *data, int optLevel);
void mgpuModuleUnload(void *module);
void *mgpuModuleGetFunction(void *module, const char *name);
void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY,
                      intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                      intptr_t blockZ, int32_t smem, void *stream,
                      void **params, void **extra, size_t paramsCount);
void *mgpuStreamCreate();
void mgpuStreamDestroy(void *stream);
void mgpuStreamSynchronize(void *stream);
void mgpuStreamWaitEvent(void *stream, void *event);
void *mgpuEventCreate();
void mgpuEventDestroy(void *event);
void mgpuEventSynchronize(void *event);
void mgpuEventRecord(void *event, void *stream);
void *mgpuMemAlloc(uint64_t sizeBytes, void *stream, bool isHostShared);
void mgpuMemFree(void *ptr, void *stream);
void mgpuMemcpy(void *dst, void *src, size_t sizeBytes, void *stream);
void mgpuMemset32(void *dst, unsigned int value, size_t count, void *stream);
void mgpuMemset16(void *dst, unsigned short value, size_t count, void *stream);
void mgpuMemHostRegister(void *ptr, uint64_t sizeBytes);
void mgpuMemHostRegisterMemRef(int64_t rank, void *descriptor,
                               int64_t elementSizeBytes);
void mgpuMemHostUnregister(void *ptr);
void mgpuMemHostUnregisterMemRef(int64_t rank, void *descriptor,
                                 int64_t elementSizeBytes);
void mgpuSetDefaultDevice(int32_t device);
const char *optimCudaLastError();
void optimCudaClearError();
}

namespace {

// Writes 42 to out[i] for every i < n. Hand-written so the test needs no
// compiler at run time beyond the driver's PTX JIT; sm_75 PTX runs on every
// GPU CUDA 13 supports.
const char kWrite42Ptx[] = R"(
.version 8.0
.target sm_75
.address_size 64

.visible .entry write42(
  .param .u64 write42_out,
  .param .u32 write42_n
)
{
  .reg .pred %p<2>;
  .reg .b32 %r<6>;
  .reg .b64 %rd<5>;

  ld.param.u64 %rd1, [write42_out];
  ld.param.u32 %r1, [write42_n];
  mov.u32 %r2, %ctaid.x;
  mov.u32 %r3, %ntid.x;
  mov.u32 %r4, %tid.x;
  mad.lo.s32 %r5, %r2, %r3, %r4;
  setp.ge.u32 %p1, %r5, %r1;
  @%p1 bra DONE;
  cvta.to.global.u64 %rd2, %rd1;
  mul.wide.u32 %rd3, %r5, 4;
  add.s64 %rd4, %rd2, %rd3;
  st.global.u32 [%rd4], 42;
DONE:
  ret;
}
)";

/// Rank-1 memref descriptor with the layout MLIR's LLVM lowering uses.
struct MemRef1D {
  void *allocated;
  void *aligned;
  int64_t offset;
  int64_t sizes[1];
  int64_t strides[1];
};

/// Rank-2 memref descriptor.
struct MemRef2D {
  void *allocated;
  void *aligned;
  int64_t offset;
  int64_t sizes[2];
  int64_t strides[2];
};

bool hasDevice() { return Driver::instance().available(); }

std::string noDeviceMessage() {
  const std::string &reason = Driver::instance().unavailableReason();
  if (reason.rfind("no CUDA device", 0) == 0)
    return reason;
  return "no CUDA device: " + reason;
}

#define SKIP_WITHOUT_DEVICE()                                                  \
  do {                                                                         \
    if (!hasDevice())                                                          \
      GTEST_SKIP() << noDeviceMessage();                                       \
  } while (false)

#define SKIP_WITH_DEVICE()                                                     \
  do {                                                                         \
    if (hasDevice())                                                           \
      GTEST_SKIP() << "a CUDA device is present ("                             \
                   << Driver::instance().deviceName(0)                         \
                   << "); the no-device behaviour cannot be observed here";    \
  } while (false)

//===----------------------------------------------------------------------===//
// Driver layer
//===----------------------------------------------------------------------===//

TEST(CudaDriverTest, InstanceReportsAvailabilityConsistently) {
  Driver &driver = Driver::instance();
  // The singleton is stable across calls.
  EXPECT_EQ(&driver, &Driver::instance());

  if (driver.available()) {
    EXPECT_GT(driver.deviceCount(), 0);
    EXPECT_TRUE(driver.unavailableReason().empty());
    EXPECT_EQ(Driver::get(), &driver);
    EXPECT_FALSE(driver.libraryName().empty());
    EXPECT_FALSE(driver.deviceName(0).empty());
    EXPECT_GE(driver.computeCapability(0), 30);
    EXPECT_NE(driver.launchKernel, nullptr);
    EXPECT_NE(driver.eventElapsedTime, nullptr);
  } else {
    EXPECT_EQ(driver.deviceCount(), 0);
    EXPECT_FALSE(driver.unavailableReason().empty());
    EXPECT_NE(driver.unavailableReason().find("CUDA"), std::string::npos)
        << driver.unavailableReason();
    EXPECT_EQ(Driver::get(), nullptr);
    EXPECT_TRUE(driver.deviceName(0).empty());
    EXPECT_EQ(driver.computeCapability(0), -1);
  }
  // Out-of-range ordinals are rejected either way.
  EXPECT_TRUE(driver.deviceName(-1).empty());
  EXPECT_TRUE(driver.deviceName(driver.deviceCount()).empty());
  EXPECT_EQ(driver.computeCapability(driver.deviceCount()), -1);
}

TEST(CudaDriverTest, CheckNamesTheFailingCall) {
  EXPECT_TRUE(check(CUDA_SUCCESS, "cuNothing").ok());
  EXPECT_TRUE(check(CUDA_SUCCESS, "cuNothing").message().empty());

  Status s = check(CUDA_ERROR_INVALID_VALUE, "cuSomething");
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("cuSomething"), std::string::npos) << s.message();
  // With a working driver the message carries its error name.
  if (hasDevice()) {
    EXPECT_NE(s.message().find("CUDA_ERROR_INVALID_VALUE"), std::string::npos)
        << s.message();
  }
}

TEST(CudaDriverTest, StatusBasics) {
  Status ok = Status::success();
  EXPECT_TRUE(ok.ok());
  Status err = Status::error("boom");
  EXPECT_FALSE(err.ok());
  EXPECT_EQ(err.message(), "boom");
}

TEST(CudaDriverTest, ScopedContextMatchesAvailability) {
  ScopedContext ctx;
  EXPECT_EQ(ctx.ok(), hasDevice()) << ctx.status().message();
  if (ctx.ok()) {
    EXPECT_NE(ctx.context(), nullptr);
    // The primary context is current inside the scope.
    CUcontext current = nullptr;
    ASSERT_EQ(Driver::instance().ctxGetCurrent(&current), CUDA_SUCCESS);
    EXPECT_EQ(current, ctx.context());
  } else {
    EXPECT_EQ(ctx.context(), nullptr);
    EXPECT_FALSE(ctx.status().message().empty());
  }
}

TEST(CudaDriverTest, ScopedContextRestoresPreviousContext) {
  SKIP_WITHOUT_DEVICE();
  const Driver &driver = Driver::instance();
  CUcontext before = nullptr;
  ASSERT_EQ(driver.ctxGetCurrent(&before), CUDA_SUCCESS);
  {
    ScopedContext outer;
    ASSERT_TRUE(outer.ok()) << outer.status().message();
    ScopedContext inner;
    ASSERT_TRUE(inner.ok()) << inner.status().message();
    // Cached: the same primary context every time.
    EXPECT_EQ(inner.context(), outer.context());
  }
  CUcontext after = nullptr;
  ASSERT_EQ(driver.ctxGetCurrent(&after), CUDA_SUCCESS);
  EXPECT_EQ(after, before);
}

TEST(CudaDriverTest, SetDefaultDeviceRejectsBadOrdinals) {
  Driver &driver = Driver::instance();
  EXPECT_FALSE(driver.setDefaultDevice(-1).ok());
  EXPECT_FALSE(driver.setDefaultDevice(driver.deviceCount()).ok());
  EXPECT_EQ(driver.defaultDevice(), 0);
  if (hasDevice()) {
    EXPECT_TRUE(driver.setDefaultDevice(0).ok());
    EXPECT_EQ(driver.defaultDevice(), 0);
  }
}

TEST(CudaDriverTest, EventTimingThroughDriverPointers) {
  SKIP_WITHOUT_DEVICE();
  const Driver &driver = *Driver::get();
  ScopedContext ctx;
  ASSERT_TRUE(ctx.ok()) << ctx.status().message();
  CUevent start = nullptr, stop = nullptr;
  ASSERT_TRUE(
      check(driver.eventCreate(&start, CU_EVENT_DEFAULT), "cuEventCreate")
          .ok());
  ASSERT_TRUE(
      check(driver.eventCreate(&stop, CU_EVENT_DEFAULT), "cuEventCreate").ok());
  ASSERT_TRUE(check(driver.eventRecord(start, nullptr), "cuEventRecord").ok());
  ASSERT_TRUE(check(driver.eventRecord(stop, nullptr), "cuEventRecord").ok());
  ASSERT_TRUE(check(driver.eventSynchronize(stop), "cuEventSynchronize").ok());
  float ms = -1.0f;
  Status s =
      check(driver.eventElapsedTime(&ms, start, stop), "cuEventElapsedTime");
  EXPECT_TRUE(s.ok()) << s.message();
  EXPECT_GE(ms, 0.0f);
  EXPECT_TRUE(check(driver.eventDestroy(start), "cuEventDestroy").ok());
  EXPECT_TRUE(check(driver.eventDestroy(stop), "cuEventDestroy").ok());
}

//===----------------------------------------------------------------------===//
// mgpu* wrappers without a device
//===----------------------------------------------------------------------===//

TEST(MgpuWrappersNoDeviceTest, CreatorsReturnNull) {
  SKIP_WITH_DEVICE();
  EXPECT_EQ(mgpuMemAlloc(1024, nullptr, false), nullptr);
  EXPECT_EQ(mgpuMemAlloc(1024, nullptr, true), nullptr);
  EXPECT_EQ(mgpuStreamCreate(), nullptr);
  EXPECT_EQ(mgpuEventCreate(), nullptr);
  char blob[] = "not a module";
  EXPECT_EQ(mgpuModuleLoad(blob, sizeof(blob)), nullptr);
  std::string ptx = kWrite42Ptx;
  EXPECT_EQ(mgpuModuleLoadJIT(&ptx[0], 2), nullptr);
  EXPECT_EQ(mgpuModuleGetFunction(nullptr, "write42"), nullptr);
  int dummy = 0;
  EXPECT_EQ(mgpuModuleGetFunction(&dummy, "write42"), nullptr);
}

TEST(MgpuWrappersNoDeviceTest, OtherCallsAreNoOps) {
  SKIP_WITH_DEVICE();
  // Arbitrary non-null handles: an absent driver must not touch them.
  int fake[16] = {0};
  void *handle = fake;

  mgpuModuleUnload(handle);
  mgpuLaunchKernel(handle, 1, 1, 1, 1, 1, 1, 0, nullptr, nullptr, nullptr, 0);
  mgpuLaunchKernel(handle, 1, 1, 1, 1, 1, 1, 1 << 20, handle, nullptr, nullptr,
                   0);
  mgpuStreamSynchronize(nullptr);
  mgpuStreamSynchronize(handle);
  mgpuStreamWaitEvent(handle, handle);
  mgpuStreamDestroy(handle);
  mgpuEventRecord(handle, handle);
  mgpuEventSynchronize(handle);
  mgpuEventDestroy(handle);
  mgpuMemFree(handle, nullptr);
  mgpuMemcpy(handle, handle, 64, nullptr);
  mgpuMemset32(handle, 0xdeadbeef, 16, nullptr);
  mgpuMemset16(handle, 0xbeef, 16, nullptr);
  mgpuMemHostRegister(handle, sizeof(fake));
  mgpuMemHostUnregister(handle);
  MemRef1D desc = {fake, fake, 0, {16}, {1}};
  mgpuMemHostRegisterMemRef(1, &desc, sizeof(int));
  mgpuMemHostUnregisterMemRef(1, &desc, sizeof(int));
  mgpuSetDefaultDevice(0);
  mgpuSetDefaultDevice(7);

  // Nothing was written through the fake handles.
  for (int v : fake)
    EXPECT_EQ(v, 0);
}

//===----------------------------------------------------------------------===//
// mgpu* wrappers with a device
//===----------------------------------------------------------------------===//

TEST(MgpuWrappersDeviceTest, MemsetAndCopyRoundTrip) {
  SKIP_WITHOUT_DEVICE();
  constexpr size_t n = 4096;
  void *stream = mgpuStreamCreate();
  ASSERT_NE(stream, nullptr);
  void *dev = mgpuMemAlloc(n * sizeof(uint32_t), stream, false);
  ASSERT_NE(dev, nullptr);

  mgpuMemset32(dev, 0xdeadbeefu, n, stream);
  std::vector<uint32_t> host(n, 0);
  mgpuMemcpy(host.data(), dev, n * sizeof(uint32_t), stream);
  mgpuStreamSynchronize(stream);
  for (size_t i = 0; i < n; ++i)
    ASSERT_EQ(host[i], 0xdeadbeefu) << "at " << i;

  // Host -> device -> host through a second buffer.
  void *dev2 = mgpuMemAlloc(n * sizeof(uint32_t), stream, false);
  ASSERT_NE(dev2, nullptr);
  for (size_t i = 0; i < n; ++i)
    host[i] = uint32_t(i * 7 + 1);
  mgpuMemcpy(dev2, host.data(), n * sizeof(uint32_t), stream);
  mgpuMemcpy(dev, dev2, n * sizeof(uint32_t), stream);
  std::vector<uint32_t> back(n, 0);
  mgpuMemcpy(back.data(), dev, n * sizeof(uint32_t), stream);
  mgpuStreamSynchronize(stream);
  EXPECT_EQ(back, host);

  // 16-bit memset on part of the buffer.
  mgpuMemset16(dev, 0x1234, 8, stream);
  std::vector<uint16_t> halves(8, 0);
  mgpuMemcpy(halves.data(), dev, 8 * sizeof(uint16_t), stream);
  mgpuStreamSynchronize(stream);
  for (uint16_t h : halves)
    EXPECT_EQ(h, 0x1234);

  mgpuMemFree(dev2, stream);
  mgpuMemFree(dev, stream);
  mgpuStreamDestroy(stream);

  // Zero-sized allocations are null and freeing null is harmless.
  EXPECT_EQ(mgpuMemAlloc(0, nullptr, false), nullptr);
  mgpuMemFree(nullptr, nullptr);
}

TEST(MgpuWrappersDeviceTest, ManagedAllocationIsHostVisible) {
  SKIP_WITHOUT_DEVICE();
  constexpr size_t n = 256;
  auto *shared = static_cast<uint32_t *>(
      mgpuMemAlloc(n * sizeof(uint32_t), nullptr, true));
  ASSERT_NE(shared, nullptr);
  mgpuMemset32(shared, 7u, n, nullptr);
  mgpuStreamSynchronize(nullptr);
  for (size_t i = 0; i < n; ++i)
    ASSERT_EQ(shared[i], 7u) << "at " << i;
  mgpuMemFree(shared, nullptr);
}

TEST(MgpuWrappersDeviceTest, EventsOrderStreams) {
  SKIP_WITHOUT_DEVICE();
  constexpr size_t n = 1 << 16;
  void *producer = mgpuStreamCreate();
  void *consumer = mgpuStreamCreate();
  void *event = mgpuEventCreate();
  ASSERT_NE(producer, nullptr);
  ASSERT_NE(consumer, nullptr);
  ASSERT_NE(event, nullptr);
  void *dev = mgpuMemAlloc(n * sizeof(uint32_t), nullptr, false);
  ASSERT_NE(dev, nullptr);

  mgpuMemset32(dev, 5u, n, producer);
  mgpuEventRecord(event, producer);
  mgpuStreamWaitEvent(consumer, event);
  std::vector<uint32_t> host(n, 0);
  mgpuMemcpy(host.data(), dev, n * sizeof(uint32_t), consumer);
  mgpuStreamSynchronize(consumer);
  mgpuEventSynchronize(event);
  for (size_t i = 0; i < n; ++i)
    ASSERT_EQ(host[i], 5u) << "at " << i;

  mgpuMemFree(dev, nullptr);
  mgpuEventDestroy(event);
  mgpuStreamDestroy(consumer);
  mgpuStreamDestroy(producer);
}

TEST(MgpuWrappersDeviceTest, HostRegisteredMemRefCopies) {
  SKIP_WITHOUT_DEVICE();
  // A 2-D row-major memref with an offset into its allocation.
  constexpr int64_t rows = 64, cols = 128, offset = 16;
  std::vector<float> storage(offset + rows * cols, 0.0f);
  MemRef2D desc = {
      storage.data(), storage.data(), offset, {rows, cols}, {cols, 1}};
  mgpuMemHostRegisterMemRef(2, &desc, sizeof(float));

  const Driver &driver = *Driver::get();
  ScopedContext ctx;
  ASSERT_TRUE(ctx.ok()) << ctx.status().message();
  // The wrapper registered exactly [aligned + offset, +rows*cols): the driver
  // refuses to register the same range again.
  float *begin = storage.data() + offset;
  EXPECT_EQ(driver.memHostRegister(begin, rows * cols * sizeof(float), 0),
            CUDA_ERROR_HOST_MEMORY_ALREADY_REGISTERED);

  void *dev = mgpuMemAlloc(rows * cols * sizeof(float), nullptr, false);
  ASSERT_NE(dev, nullptr);
  mgpuMemset32(dev, 0x3f800000u /* 1.0f */, rows * cols, nullptr);
  mgpuMemcpy(storage.data() + offset, dev, rows * cols * sizeof(float),
             nullptr);
  mgpuStreamSynchronize(nullptr);
  for (int64_t i = 0; i < offset; ++i)
    ASSERT_EQ(storage[i], 0.0f) << "prefix at " << i;
  for (int64_t i = offset; i < offset + rows * cols; ++i)
    ASSERT_EQ(storage[i], 1.0f) << "at " << i;

  mgpuMemHostUnregisterMemRef(2, &desc, sizeof(float));
  EXPECT_EQ(driver.memHostUnregister(begin),
            CUDA_ERROR_HOST_MEMORY_NOT_REGISTERED);
  mgpuMemFree(dev, nullptr);

  // Plain pointer registration: the driver can unregister what it did.
  std::vector<int> plain(1024, 3);
  mgpuMemHostRegister(plain.data(), plain.size() * sizeof(int));
  EXPECT_EQ(driver.memHostUnregister(plain.data()), CUDA_SUCCESS);
}

TEST(MgpuWrappersDeviceTest, HostRegisterMemRefCoversPermutedLayouts) {
  SKIP_WITHOUT_DEVICE();
  // A column-major (transposed) view: the outer stride is the small one, so
  // the registered range must come from the whole span, not sizes[0] *
  // strides[0].
  constexpr int64_t rows = 32, cols = 64;
  std::vector<double> storage(rows * cols, 0.0);
  MemRef2D desc = {storage.data(), storage.data(), 0, {cols, rows}, {1, cols}};
  mgpuMemHostRegisterMemRef(2, &desc, sizeof(double));

  const Driver &driver = *Driver::get();
  ScopedContext ctx;
  ASSERT_TRUE(ctx.ok()) << ctx.status().message();
  EXPECT_EQ(driver.memHostRegister(storage.data(),
                                   storage.size() * sizeof(double), 0),
            CUDA_ERROR_HOST_MEMORY_ALREADY_REGISTERED);
  mgpuMemHostUnregisterMemRef(2, &desc, sizeof(double));
  EXPECT_EQ(driver.memHostUnregister(storage.data()),
            CUDA_ERROR_HOST_MEMORY_NOT_REGISTERED);
}

TEST(MgpuWrappersDeviceTest, JitModuleLaunchWritesResult) {
  SKIP_WITHOUT_DEVICE();
  std::string ptx = kWrite42Ptx; // Must be NUL-terminated for the JIT.
  void *module = mgpuModuleLoadJIT(&ptx[0], /*optLevel=*/2);
  ASSERT_NE(module, nullptr) << "PTX JIT failed; see stderr";
  void *function = mgpuModuleGetFunction(module, "write42");
  ASSERT_NE(function, nullptr);
  EXPECT_EQ(mgpuModuleGetFunction(module, "no_such_kernel"), nullptr);

  constexpr uint32_t n = 1000;
  void *stream = mgpuStreamCreate();
  ASSERT_NE(stream, nullptr);
  void *dev = mgpuMemAlloc(n * sizeof(int32_t), stream, false);
  ASSERT_NE(dev, nullptr);
  mgpuMemset32(dev, 0u, n, stream);

  CUdeviceptr out = reinterpret_cast<CUdeviceptr>(dev);
  uint32_t count = n;
  void *params[] = {&out, &count};
  constexpr intptr_t block = 128;
  mgpuLaunchKernel(function, (n + block - 1) / block, 1, 1, block, 1, 1,
                   /*smem=*/0, stream, params, nullptr, 2);

  std::vector<int32_t> host(n + 1, -1);
  mgpuMemcpy(host.data(), dev, n * sizeof(int32_t), stream);
  mgpuStreamSynchronize(stream);
  for (uint32_t i = 0; i < n; ++i)
    ASSERT_EQ(host[i], 42) << "at " << i;
  EXPECT_EQ(host[n], -1); // The copy stayed in bounds.

  mgpuMemFree(dev, stream);
  mgpuStreamDestroy(stream);
  mgpuModuleUnload(module);
}

TEST(MgpuWrappersDeviceTest, ConcurrentCallersShareThePrimaryContext) {
  SKIP_WITHOUT_DEVICE();
  constexpr int numThreads = 4;
  constexpr size_t n = 1024;
  std::vector<int> failures(numThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < numThreads; ++t) {
    threads.emplace_back([t, &failures] {
      void *stream = mgpuStreamCreate();
      void *dev = mgpuMemAlloc(n * sizeof(uint32_t), stream, false);
      if (!stream || !dev) {
        failures[t] = 1;
        return;
      }
      mgpuMemset32(dev, uint32_t(t + 1), n, stream);
      std::vector<uint32_t> host(n, 0);
      mgpuMemcpy(host.data(), dev, n * sizeof(uint32_t), stream);
      mgpuStreamSynchronize(stream);
      for (uint32_t v : host)
        failures[t] += v != uint32_t(t + 1);
      mgpuMemFree(dev, stream);
      mgpuStreamDestroy(stream);
    });
  }
  for (std::thread &thread : threads)
    thread.join();
  for (int t = 0; t < numThreads; ++t)
    EXPECT_EQ(failures[t], 0) << "thread " << t;
}

TEST(MgpuWrappersDeviceTest, SetDefaultDeviceKeepsWrappersWorking) {
  SKIP_WITHOUT_DEVICE();
  mgpuSetDefaultDevice(0);
  EXPECT_EQ(Driver::instance().defaultDevice(), 0);
  // An invalid ordinal is reported and ignored.
  mgpuSetDefaultDevice(Driver::instance().deviceCount());
  EXPECT_EQ(Driver::instance().defaultDevice(), 0);
  void *p = mgpuMemAlloc(64, nullptr, false);
  EXPECT_NE(p, nullptr);
  mgpuMemFree(p, nullptr);
}

} // namespace

// Every failure of the mgpu* layer reaches the caller through the error
// channel: the first one per thread since the last clear, naming the call.
TEST(CudaDriverTest, ErrorChannelKeepsTheFirstFailure) {
  optimCudaClearError();
  EXPECT_EQ(optimCudaLastError(), nullptr);
  if (Driver::instance().available()) {
    // A launch of no function (as after a failed module load) and a
    // module that is not PTX.
    mgpuLaunchKernel(nullptr, 1, 1, 1, 1, 1, 1, 0, nullptr, nullptr, nullptr,
                     0);
    ASSERT_NE(optimCudaLastError(), nullptr);
    EXPECT_NE(std::string(optimCudaLastError()).find("mgpuLaunchKernel"),
              std::string::npos);
    char garbage[] = "not a module";
    EXPECT_EQ(mgpuModuleLoad(garbage, sizeof(garbage)), nullptr);
    EXPECT_NE(std::string(optimCudaLastError()).find("mgpuLaunchKernel"),
              std::string::npos)
        << "the first failure is kept";
  } else {
    // Without a device every call fails, and says why.
    EXPECT_EQ(mgpuMemAlloc(64, nullptr, false), nullptr);
    ASSERT_NE(optimCudaLastError(), nullptr);
    std::string message = optimCudaLastError();
    EXPECT_EQ(message.rfind("mgpuMemAlloc: no CUDA", 0), 0u) << message;
    mgpuLaunchKernel(nullptr, 1, 1, 1, 1, 1, 1, 0, nullptr, nullptr, nullptr,
                     0);
    EXPECT_EQ(std::string(optimCudaLastError()), message)
        << "the first failure is kept";
  }
  optimCudaClearError();
  EXPECT_EQ(optimCudaLastError(), nullptr);
  // Per thread: another thread's failures are not this one's.
  std::thread([] { mgpuLaunchKernel(nullptr, 1, 1, 1, 1, 1, 1, 0, nullptr,
                                    nullptr, nullptr, 0); })
      .join();
  EXPECT_EQ(optimCudaLastError(), nullptr);
}
