//===- CompiledStep.cpp - the CPU executor --------------------------------===//
//
// Checks a call completely before touching memory, then splits the
// flattened parameter list into equal element ranges, one per thread, and
// calls the kernel once per (range, tensor) piece.
//
//===----------------------------------------------------------------------===//

#include "optim/Runtime/Compiler.h"

#include "GpuState.h"
#include "JitEngine.h"
#include "StepKernel.h"
#include "WorkerPool.h"

#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <cmath>
#include <cstring>

using namespace ::optim;

namespace {
/// Below this many elements a step runs on the calling thread: waking the
/// pool would cost more than the work.
constexpr int64_t kSerialThreshold = 1 << 14;
/// Thread ranges start at multiples of this many elements (whole cache lines
/// and whole vectors; no two threads write one line).
constexpr int64_t kRangeQuantum = 1024;
/// The gradient norm is summed per chunk of this many elements of the
/// flattened group, and the chunks in order: the same bits whatever the
/// thread count.
constexpr int64_t kNormChunk = 1 << 16;

} // namespace

/// The bytes one buffer of a call spans.
struct optim::detail::BufferExtent {
  uintptr_t begin, end;
  size_t param;
  const char *role;
  /// The group in a multi-group step (messages name it), or -1.
  int64_t group;
  /// Gradients are only read, so they may overlap each other.
  bool grad;
};

namespace {
using Extent = detail::BufferExtent;

/// "param #3", or "group #1 param #3" in a multi-group step.
std::string nameParam(int64_t group, size_t param) {
  if (group < 0)
    return llvm::formatv("param #{0}", param).str();
  return llvm::formatv("group #{0} param #{1}", group, param).str();
}

llvm::Error overlapError(const Extent &a, const Extent &b) {
  return llvm::createStringError(
      llvm::formatv("buffers overlap: {0} of {1} and {2} of {3}", a.role,
                    nameParam(a.group, a.param), b.role,
                    nameParam(b.group, b.param))
          .str());
}

/// Every written buffer must be disjoint from every other buffer; gradients
/// (only read) may overlap each other. Messages name the pair in address
/// order (on a tie the written buffer, then the order of collection).
///
/// Only the written buffers are sorted: parameters and moments stay where
/// they are from step to step, so the sort sees the same input each time,
/// while a training loop's gradients are new tensors every step and sorting
/// them too (unpredictable branches) doubled the cost of checking a call of
/// many small tensors. Each gradient is then found by binary search.
llvm::Error checkDisjoint(llvm::ArrayRef<Extent> extents) {
  std::vector<std::pair<uintptr_t, size_t>> written;
  written.reserve(extents.size());
  for (auto [i, e] : llvm::enumerate(extents))
    if (!e.grad)
      written.push_back({e.begin, i});
  llvm::sort(written);
  for (size_t k = 1; k < written.size(); ++k) {
    const Extent &prev = extents[written[k - 1].second];
    const Extent &e = extents[written[k].second];
    if (e.begin < prev.end)
      return overlapError(prev, e);
  }
  // Disjoint and sorted by start, the written buffers are sorted by end
  // too: the only one a gradient can overlap first is the first that ends
  // after the gradient starts.
  for (const Extent &g : extents) {
    if (!g.grad)
      continue;
    auto w = llvm::partition_point(written, [&](const auto &key) {
      return extents[key.second].end <= g.begin;
    });
    if (w == written.end() || extents[w->second].begin >= g.end)
      continue;
    const Extent &e = extents[w->second];
    return e.begin <= g.begin ? overlapError(e, g) : overlapError(g, e);
  }
  return llvm::Error::success();
}
} // namespace

CompiledStep::CompiledStep(StepConfig config,
                           std::unique_ptr<detail::JitEngine> engine,
                           KernelFn kernel,
                           std::shared_ptr<detail::WorkerPool> pool,
                           unsigned numThreads, double compileMillis,
                           std::string loweredIR)
    : config(std::move(config)), engine(std::move(engine)), kernel(kernel),
      pool(std::move(pool)), numThreads(numThreads),
      compileMillis(compileMillis), loweredIR(std::move(loweredIR)) {}

CompiledStep::~CompiledStep() = default;

llvm::Error CompiledStep::validate(llvm::ArrayRef<ParamBuffers> params,
                                   const StepScalars &scalars) const {
  std::vector<Extent> extents;
  if (llvm::Error error = collectExtents(params, scalars, -1, extents))
    return error;
  return checkDisjoint(extents);
}

llvm::Error CompiledStep::collectExtents(llvm::ArrayRef<ParamBuffers> params,
                                         const StepScalars &scalars,
                                         int64_t group,
                                         std::vector<Extent> &extents) const {
  if (params.size() > kMaxGroupParams)
    return llvm::createStringError(
        llvm::formatv("{0}{1} parameters, more than a group's {2}",
                      group < 0 ? ""
                                : llvm::formatv("group #{0}: ", group).str(),
                      params.size(), kMaxGroupParams)
            .str());
  if (llvm::Error error = scalars.verify(config)) {
    if (group < 0)
      return error;
    return llvm::createStringError(
        llvm::formatv("group #{0}: {1}", group,
                      llvm::toString(std::move(error)))
            .str());
  }
  bool amsgrad = config.variant.amsgrad;
  unsigned paramSize = getElementSize(config.paramType);
  extents.reserve(extents.size() + params.size() * 5);
  int64_t total = 0;
  for (auto [i, p] : llvm::enumerate(params)) {
    if (p.numElements < 0)
      return llvm::createStringError(
          llvm::formatv("{0}: negative element count {1}",
                        nameParam(group, i), p.numElements)
              .str());
    if (p.tensorElements != 0 && p.tensorElements < p.numElements)
      return llvm::createStringError(
          llvm::formatv("{0}: a piece of {1} elements of a tensor of {2}",
                        nameParam(group, i), p.numElements, p.tensorElements)
              .str());
    if (!amsgrad && p.maxExpAvgSq)
      return llvm::createStringError(
          llvm::formatv("{0}: max_exp_avg_sq given but the step is not "
                        "AMSGrad",
                        nameParam(group, i))
              .str());
    bool quantized = hasQuantizedMoments(config, p.getTensorElements());
    if (!quantized && (p.expAvgAbsmax || p.expAvgSqAbsmax))
      return llvm::createStringError(
          llvm::formatv("{0}: absmax given but its moments are not 8-bit "
                        "codes ({1} elements; 8-bit moments need "
                        "blockwise8 storage and at least {2})",
                        nameParam(group, i), p.getTensorElements(),
                        kMinQuantizedElements)
              .str());
    if (p.numElements == 0)
      continue;
    // Byte extents and the flattened total must not overflow.
    if (p.numElements > kMaxParamElements)
      return llvm::createStringError(
          llvm::formatv("{0}: {1} elements is too many",
                        nameParam(group, i), p.numElements)
              .str());
    total += p.numElements;
    if (total > kMaxParamElements)
      return llvm::createStringError(
          "the parameter group holds too many elements in total");
    unsigned momentSize = getMomentElementSize(config, p.getTensorElements());
    // An absmax buffer has one f32 per block: its extent in "elements" of
    // the moment is counted in blocks below.
    struct Buffer {
      const void *ptr;
      const char *role;
      unsigned size;
      bool grad;
      int64_t count;
    } buffers[] = {
        {p.param, "param", paramSize, false, p.numElements},
        {p.grad, "grad", paramSize, true, p.numElements},
        {p.expAvg, "exp_avg", momentSize, false, p.numElements},
        {p.expAvgSq, "exp_avg_sq", momentSize, false, p.numElements},
        {p.maxExpAvgSq, "max_exp_avg_sq", momentSize, false, p.numElements},
        {p.expAvgAbsmax, "exp_avg absmax", 4, false,
         getNumQuantBlocks(p.numElements)},
        {p.expAvgSqAbsmax, "exp_avg_sq absmax", 4, false,
         getNumQuantBlocks(p.numElements)}};
    llvm::SmallVector<const Buffer *, 7> used;
    for (auto &buffer : llvm::ArrayRef(buffers).take_front(4))
      used.push_back(&buffer);
    if (amsgrad)
      used.push_back(&buffers[4]);
    if (quantized) {
      used.push_back(&buffers[5]);
      used.push_back(&buffers[6]);
    }
    for (auto *bufferPtr : used) {
      auto &buffer = *bufferPtr;
      if (!buffer.ptr)
        return llvm::createStringError(
            llvm::formatv("{0}: {1} is null", nameParam(group, i),
                          buffer.role)
                .str());
      auto address = reinterpret_cast<uintptr_t>(buffer.ptr);
      if (address % buffer.size)
        return llvm::createStringError(
            llvm::formatv("{0}: {1} at {2} is not aligned to its "
                          "{3}-byte elements",
                          nameParam(group, i), buffer.role, buffer.ptr,
                          buffer.size)
                .str());
      extents.push_back(
          {address,
           address + static_cast<uintptr_t>(buffer.count) * buffer.size, i,
           buffer.role, group, buffer.grad});
    }
  }
  return llvm::Error::success();
}

void CompiledStep::runRange(llvm::ArrayRef<ParamBuffers> params,
                            const double *scalarBlock, int64_t begin,
                            int64_t end) const {
  unsigned paramSize = getElementSize(config.paramType);
  auto descriptor = [](const void *base, int64_t offset, unsigned size,
                       int64_t length) {
    char *ptr = const_cast<char *>(static_cast<const char *>(base));
    if (ptr)
      ptr += offset * size;
    return Descriptor{ptr, ptr, 0, length, 1};
  };
  // Each call gets its own copy of the block: with stochastic rounding the
  // piece's stream (its tensor) and first element go into it, so that every
  // element draws the same bits however the group is split.
  double block[detail::kNumScalarSlots];
  std::memcpy(block, scalarBlock, sizeof block);
  uint64_t streamBase, firstElement;
  std::memcpy(&streamBase, &block[detail::kRoundingStream], sizeof streamBase);
  std::memcpy(&firstElement, &block[detail::kRoundingElement],
              sizeof firstElement);
  Descriptor scalars{block, block, 0, detail::kNumScalarSlots, 1};
  int64_t start = 0;
  for (auto [i, p] : llvm::enumerate(params)) {
    int64_t stop = start + p.numElements;
    int64_t lo = std::max(begin, start), hi = std::min(end, stop);
    bool quantized = hasQuantizedMoments(config, p.getTensorElements());
    if (quantized) {
      // A block is updated whole, by the range that holds its first
      // element: both ends move down to a block boundary of the tensor
      // (ranges are contiguous, so each block is taken exactly once).
      auto toBlock = [&](int64_t x) {
        return x == stop ? x
                         : start + (x - start) / kQuantBlockSize *
                                       kQuantBlockSize;
      };
      lo = toBlock(lo);
      hi = toBlock(hi);
    }
    if (lo < hi) {
      int64_t offset = lo - start, length = hi - lo;
      unsigned momentSize = getMomentElementSize(config, p.getTensorElements());
      detail::storeSlotBits(block[detail::kRoundingStream], streamBase + i);
      detail::storeSlotBits(block[detail::kRoundingElement],
                            offset + (i == 0 ? firstElement : 0));
      Descriptor dp = descriptor(p.param, offset, paramSize, length);
      Descriptor dg = descriptor(p.grad, offset, paramSize, length);
      Descriptor dm = descriptor(p.expAvg, offset, momentSize, length);
      Descriptor dv = descriptor(p.expAvgSq, offset, momentSize, length);
      if (quantized) {
        int64_t firstBlock = offset / kQuantBlockSize;
        int64_t blocks = getNumQuantBlocks(length);
        Descriptor dam = descriptor(p.expAvgAbsmax, firstBlock, 4, blocks);
        Descriptor dav = descriptor(p.expAvgSqAbsmax, firstBlock, 4, blocks);
        quantizedKernel(&dp, &dg, &dm, &dv, &dam, &dav, &scalars);
      } else {
        Descriptor dvmax =
            descriptor(p.maxExpAvgSq, offset, momentSize, length);
        kernel(&dp, &dg, &dm, &dv, &dvmax, &scalars);
      }
    }
    if (stop >= end)
      break;
    start = stop;
  }
}

llvm::Error CompiledStep::runImpl(llvm::ArrayRef<ParamBuffers> params,
                                  const StepScalars &scalars,
                                  bool parallel) const {
  if (llvm::Error error = validate(params, scalars))
    return error;
  return runValidated(params, scalars, parallel);
}

llvm::Error CompiledStep::runValidated(llvm::ArrayRef<ParamBuffers> params,
                                       const StepScalars &scalars,
                                       bool parallel) const {
  // A step that found inf/NaN gradients changes nothing.
  if (scalars.foundInf != 0)
    return llvm::Error::success();
  double block[detail::kNumScalarSlots];
  detail::packScalars(scalars, block);

  // GPU steps (device or emulated): one launch over the group's table.
  if (config.target != Target::CPU)
    return runOnGpu(params, block);

  int64_t total = 0;
  for (const ParamBuffers &p : params)
    total += p.numElements;
  if (total == 0)
    return llvm::Error::success();
  int64_t threads = parallel && pool && total >= kSerialThreshold
                        ? std::min<int64_t>(numThreads, total / kRangeQuantum)
                        : 1;
  if (threads <= 1) {
    runRange(params, block, 0, total);
    return llvm::Error::success();
  }
  // Equal shares of the total, rounded to the quantum: a thread's range may
  // span several tensors, and a large tensor is shared by several threads.
  int64_t share = (total + threads - 1) / threads;
  share = (share + kRangeQuantum - 1) / kRangeQuantum * kRangeQuantum;
  pool->run(threads, [&](unsigned t) {
    int64_t begin = std::min(total, int64_t(t) * share);
    int64_t end = std::min(total, begin + share);
    if (begin < end)
      runRange(params, block, begin, end);
  });
  return llvm::Error::success();
}

llvm::Error CompiledStep::run(llvm::ArrayRef<ParamBuffers> params,
                              const StepScalars &scalars) const {
  return runImpl(params, scalars, /*parallel=*/true);
}

llvm::Error CompiledStep::runSerial(llvm::ArrayRef<ParamBuffers> params,
                                    const StepScalars &scalars) const {
  return runImpl(params, scalars, /*parallel=*/false);
}

llvm::Expected<double>
CompiledStep::computeGradSquaredNorm(llvm::ArrayRef<ParamBuffers> params,
                                     const StepScalars &scalars) const {
  if (!normKernel && !normPacked)
    return llvm::createStringError(
        "this step does not clip by the global norm (its configuration has "
        "no clipGradNorm)");
  // The step's own checks: what is wrong for the step is wrong here.
  std::vector<Extent> extents;
  if (llvm::Error error = collectExtents(params, scalars, -1, extents))
    return std::move(error);
  int64_t total = 0;
  for (const ParamBuffers &p : params)
    total += p.numElements;
  if (total == 0)
    return 0.0;
  double block[detail::kNumScalarSlots];
  detail::packScalars(scalars, block);
  if (config.target != Target::CPU) {
    llvm::Expected<double> norm = computeGradNormOnGpu(params, block);
    if (!norm)
      return norm.takeError();
    return *norm * *norm;
  }
  Descriptor scalarDesc{block, block, 0, detail::kNumScalarSlots, 1};
  unsigned size = getElementSize(config.paramType);

  int64_t numChunks = (total + kNormChunk - 1) / kNormChunk;
  std::vector<double> chunkSums(numChunks, 0.0);
  // Chunks [c0, c1): every piece of a tensor inside one chunk is one kernel
  // call, its squared norm added to the chunk's sum in address order.
  auto sumChunks = [&](int64_t c0, int64_t c1) {
    int64_t begin = c0 * kNormChunk, end = std::min(total, c1 * kNormChunk);
    int64_t start = 0;
    for (const ParamBuffers &p : params) {
      int64_t stop = start + p.numElements;
      int64_t lo = std::max(begin, start), hi = std::min(end, stop);
      while (lo < hi) {
        int64_t chunk = lo / kNormChunk;
        int64_t pieceEnd = std::min(hi, (chunk + 1) * kNormChunk);
        char *base = const_cast<char *>(static_cast<const char *>(p.grad)) +
                     (lo - start) * size;
        Descriptor grad{base, base, 0, pieceEnd - lo, 1};
        double norm = normKernel(&grad, &scalarDesc);
        chunkSums[chunk] += norm * norm;
        lo = pieceEnd;
      }
      if (stop >= end)
        break;
      start = stop;
    }
  };
  int64_t threads = pool && total >= kSerialThreshold
                        ? std::min<int64_t>(numThreads, numChunks)
                        : 1;
  if (threads <= 1) {
    sumChunks(0, numChunks);
  } else {
    pool->run(threads, [&](unsigned t) {
      sumChunks(numChunks * t / threads, numChunks * (t + 1) / threads);
    });
  }
  double sum = 0;
  for (double s : chunkSums)
    sum += s;
  return sum;
}

llvm::Expected<double>
CompiledStep::computeGradNorm(llvm::ArrayRef<ParamBuffers> params,
                              const StepScalars &scalars) const {
  if (config.target != Target::CPU && normPacked) {
    // The kernel's own norm, not the root of its square.
    std::vector<Extent> extents;
    if (llvm::Error error = collectExtents(params, scalars, -1, extents))
      return std::move(error);
    double block[detail::kNumScalarSlots];
    detail::packScalars(scalars, block);
    return computeGradNormOnGpu(params, block);
  }
  llvm::Expected<double> squared = computeGradSquaredNorm(params, scalars);
  if (!squared)
    return squared.takeError();
  return std::sqrt(*squared);
}

llvm::Error CompiledStep::runGroups(llvm::ArrayRef<StepGroup> groups) {
  std::vector<Extent> extents;
  for (auto [g, group] : llvm::enumerate(groups)) {
    if (!group.step || !group.scalars)
      return llvm::createStringError(
          llvm::formatv("group #{0}: no step or no scalars", g).str());
    if (group.step->config.target != groups.front().step->config.target)
      return llvm::createStringError(
          llvm::formatv("group #{0}: its step runs on another target than "
                        "group #0's",
                        g)
              .str());
    if (llvm::Error error = group.step->collectExtents(
            group.params, *group.scalars, static_cast<int64_t>(g), extents))
      return error;
  }
  if (llvm::Error error = checkDisjoint(extents))
    return error;
  // Everything is checked: from here on only the CUDA layer can fail (and a
  // device error is not one a caller's input caused).
  for (const StepGroup &group : groups)
    if (llvm::Error error = group.step->runValidated(
            group.params, *group.scalars, /*parallel=*/true))
      return error;
  return llvm::Error::success();
}
