//===- GpuStep.cpp - running a GPU step -----------------------------------===//
//
// A GPU step (on a device, or emulated on the host) is one launch over a
// table of the group's tensors (one 64-byte row per tensor: the buffer
// addresses, the element count and the rounding stream, see
// optim/Codegen/GroupTable.h) that the kernel walks, so any number of
// tensors is one launch and the kernel's chunks are balanced by total
// elements; tensors with 8-bit moments take a second launch over a table
// of their own. On a device each table is uploaded once and reused while
// the group stays the same.
//
//===----------------------------------------------------------------------===//

#include "GpuState.h"
#include "JitEngine.h"
#include "StepKernel.h"

#include "optim/Codegen/GroupTable.h"
#include "optim/Runtime/Compiler.h"
#ifdef OPTIM_CUDA_RUNTIME_LIBRARY
#include "optim/Runtime/CUDA/CudaDriver.h"
#endif

#include "llvm/Support/DynamicLibrary.h"

#include <cstring>

using namespace ::optim;
using namespace ::optim::detail;

namespace {
constexpr int64_t kRowWords = mlir::optim::kGroupTableRowWords;
static_assert(mlir::optim::kGroupTableSizeColumn == 5 &&
                  mlir::optim::kGroupTableMaxColumns == 5,
              "the runtime writes p, g, m, v, vmax, then the size");
} // namespace

llvm::Expected<std::unique_ptr<GpuState>>
optim::detail::createGpuState(bool onDevice, const char *cudaRuntimeLibrary) {
  auto state = std::make_unique<GpuState>();
  state->onDevice = onDevice;
  if (!onDevice)
    return std::move(state);
  std::string error;
  auto library = llvm::sys::DynamicLibrary::getPermanentLibrary(
      cudaRuntimeLibrary, &error);
  if (!library.isValid())
    return llvm::createStringError(
        "cannot load the CUDA layer: " + error +
        " (set OPTIM_CUDA_RUNTIME_LIBRARY to liboptim_cuda_runtime.so's "
        "path, e.g. <prefix>/lib of an installed optim)");
  state->errors.lastError = reinterpret_cast<const char *(*)()>(
      library.getAddressOfSymbol("optimCudaLastError"));
  state->errors.clearError = reinterpret_cast<void (*)()>(
      library.getAddressOfSymbol("optimCudaClearError"));
  if (!state->errors.lastError || !state->errors.clearError)
    return llvm::createStringError(
        "the CUDA layer lacks optimCudaLastError/optimCudaClearError");
  return std::move(state);
}

GpuState::~GpuState() {
#ifdef OPTIM_CUDA_RUNTIME_LIBRARY
  if (!onDevice || processIsExiting())
    return;
  const cuda::Driver *driver = cuda::Driver::get();
  if (!driver)
    return;
  cuda::ScopedContext context;
  if (!context.ok())
    return;
  for (Table &table : tables)
    driver->memFree(table.device);
#endif
}

llvm::Expected<uint64_t>
GpuState::getDeviceTable(const std::vector<int64_t> &host) {
  std::lock_guard<std::mutex> lock(mutex);
  for (auto it = tables.begin(); it != tables.end(); ++it) {
    if (it->host != host)
      continue;
    uint64_t device = it->device;
    std::rotate(it, it + 1, tables.end());
    return device;
  }
#ifdef OPTIM_CUDA_RUNTIME_LIBRARY
  const cuda::Driver &driver = cuda::Driver::instance();
  if (!driver.available())
    return llvm::createStringError("no CUDA device: " +
                                   driver.unavailableReason());
  cuda::ScopedContext context;
  if (!context.ok())
    return llvm::createStringError(context.status().message());
  size_t bytes = host.size() * sizeof(int64_t);
  CUdeviceptr device = 0;
  cuda::Status status =
      driver.check(driver.memAlloc(&device, bytes), "cuMemAlloc");
  if (status.ok()) {
    status = driver.check(driver.memcpyHtoD(device, host.data(), bytes),
                          "cuMemcpyHtoD");
    // From pageable memory the copy may return before its DMA lands, and
    // the kernels run on non-blocking streams, which the legacy stream's
    // copy does not order: wait for it.
    if (status.ok())
      status = driver.check(driver.ctxSynchronize(), "cuCtxSynchronize");
    if (!status.ok())
      driver.memFree(device);
  }
  if (!status.ok())
    return llvm::createStringError("uploading the group table: " +
                                   status.message());
  if (tables.size() == kMaxTables) {
    driver.memFree(tables.front().device);
    tables.erase(tables.begin());
  }
  tables.push_back({host, device});
  return device;
#else
  return llvm::createStringError(
      "this optim was built without the CUDA headers: no GPU target");
#endif
}

namespace {
/// Appends the table row of `p`, the group's tensor `index`: its buffers'
/// addresses (with 8-bit moments, `quantized`, the absmaxes' in place of
/// max_exp_avg_sq's and in the last word), its size and its rounding
/// stream.
void appendRow(std::vector<int64_t> &table, const ParamBuffers &p,
               int64_t index, bool quantized = false) {
  table.resize(table.size() + kRowWords, 0);
  int64_t *row = &table[table.size() - kRowWords];
  auto address = [](const void *buffer) {
    return static_cast<int64_t>(reinterpret_cast<uintptr_t>(buffer));
  };
  static_assert(mlir::optim::kGroupTableExpAvgAbsmaxColumn == 4,
                "exp_avg's absmax takes max_exp_avg_sq's column");
  const void *buffers[] = {p.param, p.grad, p.expAvg, p.expAvgSq,
                           quantized ? p.expAvgAbsmax : p.maxExpAvgSq};
  for (auto [column, buffer] : llvm::enumerate(buffers))
    row[column] = address(buffer);
  if (quantized)
    row[mlir::optim::kGroupTableExpAvgSqAbsmaxColumn] =
        address(p.expAvgSqAbsmax);
  row[mlir::optim::kGroupTableSizeColumn] = p.numElements;
  row[mlir::optim::kGroupTableStreamColumn] = index;
}

/// Calls a packed launcher with pointers to `descriptors` (and `result`).
template <typename DescriptorT>
void callPacked(void (*launcher)(void **),
                llvm::MutableArrayRef<DescriptorT> descriptors,
                void *result = nullptr) {
  assert(descriptors.size() <= 8 && "the launchers take at most 8 buffers");
  DescriptorT *pointers[8];
  void *args[9];
  unsigned count = 0;
  for (DescriptorT &descriptor : descriptors) {
    pointers[count] = &descriptor;
    args[count] = &pointers[count];
    ++count;
  }
  if (result)
    args[count] = result;
  launcher(args);
}
} // namespace

llvm::Expected<void *>
CompiledStep::getTableAddress(std::vector<int64_t> &table) const {
  if (!gpu->onDevice)
    return table.data();
  llvm::Expected<uint64_t> device = gpu->getDeviceTable(table);
  if (!device)
    return device.takeError();
  return reinterpret_cast<void *>(static_cast<uintptr_t>(*device));
}

llvm::Error CompiledStep::runOnGpu(llvm::ArrayRef<ParamBuffers> params,
                                   const double *scalarBlock) const {
  // Two launches at most: the tensors whose moments are 8-bit codes (a
  // block of threads per quantisation block) and the rest, each over a
  // table of its own.
  std::vector<int64_t> table, quantizedTable;
  int64_t total = 0, quantizedTotal = 0;
  for (auto [i, p] : llvm::enumerate(params)) {
    if (p.numElements == 0)
      continue;
    if (hasQuantizedMoments(config, p.getTensorElements())) {
      appendRow(quantizedTable, p, i, /*quantized=*/true);
      quantizedTotal += p.numElements;
      continue;
    }
    appendRow(table, p, i);
    total += p.numElements;
  }
  Descriptor scalars = {const_cast<double *>(scalarBlock),
                        const_cast<double *>(scalarBlock), 0, kNumScalarSlots,
                        1};
  auto tableDescriptor = [](void *address, const std::vector<int64_t> &t) {
    return Descriptor{address, address, 0, int64_t(t.size()), 1};
  };
  // A template: only its size is read (it sizes the grid).
  auto sized = [](int64_t size) {
    return Descriptor{nullptr, nullptr, 0, size, 1};
  };
  if (gpu->onDevice)
    gpu->errors.clearError();
  if (total) {
    llvm::Expected<void *> tableAddress = getTableAddress(table);
    if (!tableAddress)
      return tableAddress.takeError();
    // The table, the five templates and the scalar block.
    Descriptor descriptors[7] = {tableDescriptor(*tableAddress, table)};
    for (int i = 1; i <= 5; ++i)
      descriptors[i] = sized(total);
    descriptors[6] = scalars;
    callPacked(packed, llvm::MutableArrayRef(descriptors));
  }
  if (quantizedTotal) {
    llvm::Expected<void *> tableAddress = getTableAddress(quantizedTable);
    if (!tableAddress)
      return tableAddress.takeError();
    // The table, the templates of p, g, m, v (the total) and of the
    // absmaxes (its blocks, as the step checks), the scalar block.
    int64_t blocks = getNumQuantBlocks(quantizedTotal);
    Descriptor descriptors[8] = {tableDescriptor(*tableAddress, quantizedTable),
                                 sized(quantizedTotal),
                                 sized(quantizedTotal),
                                 sized(quantizedTotal),
                                 sized(quantizedTotal),
                                 sized(blocks),
                                 sized(blocks),
                                 scalars};
    callPacked(quantizedPacked, llvm::MutableArrayRef(descriptors));
  }
  if (gpu->onDevice)
    if (const char *error = gpu->errors.lastError())
      return llvm::createStringError(std::string("GPU step failed: ") + error);
  return llvm::Error::success();
}

llvm::Expected<double>
CompiledStep::computeGradNormOnGpu(llvm::ArrayRef<ParamBuffers> params,
                                   const double *scalarBlock) const {
  std::vector<int64_t> table;
  int64_t total = 0;
  for (auto [i, p] : llvm::enumerate(params)) {
    if (p.numElements == 0)
      continue;
    appendRow(table, p, i);
    total += p.numElements;
  }
  if (total == 0)
    return 0.0;
  llvm::Expected<void *> tableAddress = getTableAddress(table);
  if (!tableAddress)
    return tableAddress.takeError();
  // The table, the gradient template (its size, the total, sizes the grid)
  // and the scalar block; the norm comes back through the last pointer.
  Descriptor descriptors[3] = {
      {*tableAddress, *tableAddress, 0, int64_t(table.size()), 1},
      {nullptr, nullptr, 0, total, 1},
      {const_cast<double *>(scalarBlock), const_cast<double *>(scalarBlock),
       0, kNumScalarSlots, 1}};
  double norm = 0;
  if (gpu->onDevice)
    gpu->errors.clearError();
  callPacked(normPacked, llvm::MutableArrayRef(descriptors), &norm);
  if (gpu->onDevice)
    if (const char *error = gpu->errors.lastError())
      return llvm::createStringError(std::string("GPU norm failed: ") +
                                     error);
  return norm;
}
