//===- ShardedOptimizer.cpp - a ZeRO-1 sharded optimizer step -------------===//
//
// Creation, the step, and the agreement protocol that keeps the ranks in
// lockstep: every collective entry point first decides locally whether it
// can proceed, then the ranks exchange their verdicts, and either all of
// them go on or all of them return the same error. A rank never returns
// early from a call the others are still inside (that would hang them).
//
//===----------------------------------------------------------------------===//

#include "optim/Runtime/Distributed/ShardedOptimizer.h"

#include "Elementwise.h"
#include "FlatLayout.h"
#include "ShardedAgreement.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/xxhash.h"

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <random>

using namespace ::optim;
using namespace ::optim::distributed;

namespace {
/// Buffers and shard boundaries are 64-byte aligned: whole cache lines, and
/// aligned vector accesses at the start of every shard.
constexpr size_t kAlignment = 64;

using Clock = std::chrono::steady_clock;
double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

/// The hyperparameters and step count a step computes with, hashed by value:
/// every input of StepScalars but found_inf (the step's argument, agreed on
/// its own), the norm (computed by the step) and the rounding's element,
/// where each rank's shard starts.
uint64_t hashScalars(const StepScalars &s) {
  double values[] = {s.lr,           s.beta1,       s.beta2,
                     s.eps,          s.weightDecay, static_cast<double>(s.step),
                     s.beta1Power,   s.beta2Power,  s.rescaleGrad,
                     s.clipGradient, s.gradScale,   s.maxGradNorm};
  // The rounding's words by their bits (doubles would round them). The
  // stream is the first tensor's: each rank adds its shard's first tensor
  // after hashing.
  uint64_t words[] = {s.roundingSeed, s.roundingOffset, s.roundingStream};
  return llvm::xxh3_64bits(llvm::ArrayRef(
             reinterpret_cast<const uint8_t *>(values), sizeof(values))) ^
         (llvm::xxh3_64bits(llvm::ArrayRef(
              reinterpret_cast<const uint8_t *>(words), sizeof(words))) *
          0x9e3779b97f4a7c15ull);
}
} // namespace

void ShardedOptimizer::Buffer::operator()(void *p) const { std::free(p); }

ShardedOptimizer::ShardedOptimizer(std::shared_ptr<const CompiledStep> compiled,
                                   Communicator &comm, const StepScalars &hyper,
                                   std::vector<ShardedParam> params,
                                   ShardLayout layout,
                                   const ShardedOptions &options)
    : compiled(std::move(compiled)), comm(comm), hyper(hyper),
      params(std::move(params)), layout(layout), options(options),
      firstStep(hyper.step) {
  for (const ShardedParam &p : this->params)
    sizes.push_back(p.numElements);
  flatOffsets = getFlatOffsets(this->compiled->getConfig(), sizes);
}

ShardedOptimizer::~ShardedOptimizer() = default;

int64_t ShardedOptimizer::getMomentBytes(int64_t lo, int64_t hi) const {
  return distributed::getMomentBytes(compiled->getConfig(), sizes, flatOffsets,
                                     lo, hi);
}

int64_t ShardedOptimizer::getShardMomentBytes(int64_t begin,
                                              int64_t shardElements) const {
  const StepConfig &config = compiled->getConfig();
  // Moments of one element type hold S elements, the padding's included
  // (element i at flat index begin + i); 8-bit steps mix codes and f32.
  if (config.momentStorage != MomentStorage::blockwise8)
    return shardElements * getElementSize(getMomentElementType(config));
  return getMomentBytes(begin,
                        std::min(begin + shardElements, layout.totalElements));
}

llvm::Error ShardedOptimizer::allocate() {
  const StepConfig &config = compiled->getConfig();
  size_t paramSize = getElementSize(config.paramType);
  bool outOfMemory = false;
  auto zeroed = [&](size_t bytes) {
    bytes = llvm::alignTo(std::max<size_t>(bytes, 1), kAlignment);
    void *p = std::aligned_alloc(kAlignment, bytes);
    if (!p) {
      outOfMemory = true;
      return Storage();
    }
    std::memset(p, 0, bytes);
    return Storage(static_cast<char *>(p));
  };
  int64_t s = layout.shardElements;
  int64_t begin = layout.shardBegin, end = begin + layout.ownedElements;
  momentBytes = getShardMomentBytes(begin, s);
  expAvg = zeroed(momentBytes);
  expAvgSq = zeroed(momentBytes);
  if (config.variant.amsgrad)
    maxExpAvgSq = zeroed(momentBytes);
  if (config.momentStorage == MomentStorage::blockwise8) {
    // One entry per block of the shard, by its flat index (the gaps' and
    // the f32 tensors' entries stay 0).
    expAvgAbsmax = zeroed(s / kQuantBlockSize * sizeof(float));
    expAvgSqAbsmax = zeroed(s / kQuantBlockSize * sizeof(float));
  }
  flat = zeroed(s * layout.worldSize * paramSize);
  shardGrad = zeroed(s * paramSize);
  if (outOfMemory)
    return llvm::createStringError(
        llvm::formatv("out of memory for the shard's state and buffers ({0} "
                      "bytes of state, {1} of buffers)",
                      getMemory().stateBytes, getMemory().bufferBytes)
            .str());

  // The kernel's pieces: the parts of the tensors inside [begin, end). Their
  // parameters are the caller's memory, updated in place; gradients are at
  // the same flat offsets in the shard's buffer, moments follow each other
  // in the moment buffers at their own sizes. Pieces follow the tensors one
  // to one from the first (empty tensors inside the shard are empty
  // pieces), so piece k is tensor firstTensor + k.
  int64_t momentOffset = 0;
  for (auto [k, p] : llvm::enumerate(params)) {
    int64_t offset = flatOffsets[k];
    int64_t lo = std::max(begin, offset);
    int64_t hi = std::min(end, offset + p.numElements);
    if (lo >= hi && p.numElements == 0 && !pieces.empty() && offset < end) {
      pieces.emplace_back();
    } else if (lo < hi) {
      if (pieces.empty()) {
        firstTensor = k;
        firstElement = lo - offset;
      }
      ParamBuffers piece;
      piece.param = static_cast<char *>(p.data) + (lo - offset) * paramSize;
      piece.grad = shardGrad.get() + (lo - begin) * paramSize;
      piece.expAvg = expAvg.get() + momentOffset;
      piece.expAvgSq = expAvgSq.get() + momentOffset;
      if (maxExpAvgSq)
        piece.maxExpAvgSq = maxExpAvgSq.get() + momentOffset;
      piece.numElements = hi - lo;
      piece.tensorElements = p.numElements;
      if (hasQuantizedMoments(config, p.numElements)) {
        // lo is on a block: tensors and shards start on them.
        int64_t block = (lo - begin) / kQuantBlockSize;
        piece.expAvgAbsmax =
            reinterpret_cast<float *>(expAvgAbsmax.get()) + block;
        piece.expAvgSqAbsmax =
            reinterpret_cast<float *>(expAvgSqAbsmax.get()) + block;
      }
      momentOffset += getMomentBytes(lo, hi);
      pieces.push_back(piece);
    }
  }
  return llvm::Error::success();
}

/// The parameters are updated in place, so no two may overlap. (A rank
/// that finds an overlap among its own buffers reports it through the
/// creation's agreement, like any rank-local error.)
static llvm::Error checkParamsDisjoint(llvm::ArrayRef<ShardedParam> params,
                                       unsigned paramSize) {
  struct Extent {
    uintptr_t begin, end;
    size_t index;
  };
  std::vector<Extent> extents;
  for (auto [i, p] : llvm::enumerate(params))
    if (p.numElements) {
      auto begin = reinterpret_cast<uintptr_t>(p.data);
      extents.push_back(
          {begin, begin + static_cast<uintptr_t>(p.numElements) * paramSize,
           i});
    }
  llvm::sort(extents, [](const Extent &a, const Extent &b) {
    return a.begin < b.begin || (a.begin == b.begin && a.index < b.index);
  });
  for (size_t k = 1; k < extents.size(); ++k)
    if (extents[k].begin < extents[k - 1].end)
      return llvm::createStringError(
          llvm::formatv("buffers overlap: param #{0} and param #{1}",
                        std::min(extents[k - 1].index, extents[k].index),
                        std::max(extents[k - 1].index, extents[k].index))
              .str());
  return llvm::Error::success();
}

llvm::Expected<std::unique_ptr<ShardedOptimizer>>
ShardedOptimizer::create(Compiler &compiler, Communicator &comm,
                         const StepConfig &config, const StepScalars &hyper,
                         std::vector<ShardedParam> params,
                         const ShardedOptions &options) {
  int worldSize = comm.getSize(), rank = comm.getRank();
  ShardLayout layout;
  layout.rank = rank;
  layout.worldSize = worldSize;
  unsigned paramSize = getElementSize(config.paramType);

  // What this rank can check alone. Whatever it finds, it still takes part
  // in the exchange below.
  std::shared_ptr<const CompiledStep> compiled;
  auto checkLocally = [&]() -> llvm::Error {
    if (config.target != Target::CPU)
      return llvm::createStringError(
          "sharded steps run on host buffers (Target::CPU); a GPU version "
          "would reduce over NCCL on device buffers");
    if (llvm::Error error = config.verify())
      return error;
    if (llvm::Error error = verifyStepCount(hyper.step))
      return error;
    if (llvm::Error error = hyper.verify(config))
      return error;
    if (llvm::Error error = hyper.verifyEdits(config, hyper.step))
      return error;
    if (params.empty())
      return llvm::createStringError("the parameter group is empty");
    std::vector<int64_t> sizes;
    for (auto [i, p] : llvm::enumerate(params)) {
      if (p.numElements < 0 || p.numElements > kMaxParamElements)
        return llvm::createStringError(
            llvm::formatv("param #{0}: element count {1} is out of range", i,
                          p.numElements)
                .str());
      if (p.numElements && !p.data)
        return llvm::createStringError(
            llvm::formatv("param #{0} is null", i).str());
      if (reinterpret_cast<uintptr_t>(p.data) % paramSize)
        return llvm::createStringError(
            llvm::formatv("param #{0} at {1} is not aligned to its {2}-byte "
                          "elements",
                          i, p.data, paramSize)
                .str());
      sizes.push_back(p.numElements);
      // (Each tensor adds at most a block of padding to the space.)
      layout.totalElements += p.numElements + kQuantBlockSize;
      if (layout.totalElements > kMaxParamElements)
        return llvm::createStringError(
            "the parameter group holds too many elements in total");
    }
    if (llvm::Error error = checkParamsDisjoint(params, paramSize))
      return error;
    layout.totalElements = getFlatOffsets(config, sizes).back();
    if (layout.totalElements == 0)
      return llvm::createStringError("the parameter group has no elements");
    layout.shardElements =
        getShardElements(config, layout.totalElements, worldSize);
    if (layout.shardElements > kMaxBlockElements)
      return llvm::createStringError(
          llvm::formatv("a shard of {0} elements exceeds the {1} elements a "
                        "collective moves per rank: use more ranks",
                        layout.shardElements, kMaxBlockElements)
              .str());
    layout.shardBegin = int64_t(rank) * layout.shardElements;
    layout.ownedElements =
        std::clamp<int64_t>(layout.totalElements - layout.shardBegin, 0,
                            layout.shardElements);
    auto step = compiler.getStep(config);
    if (!step)
      return step.takeError();
    compiled = std::move(*step);
    return llvm::Error::success();
  };
  llvm::Error local = checkLocally();

  // The fingerprint: everything the ranks must agree on.
  RankReport report;
  std::memset(&report, 0, sizeof(report));
  report.configHash = llvm::xxh3_64bits(config.key());
  report.hyperHash = hashScalars(hyper);
  report.numParams = params.size();
  std::vector<uint64_t> sizes, values;
  // (Summed without overflow: the counts may be out of range, which
  // checkLocally reported, and then only need to differ between ranks.)
  uint64_t totalElements = 0;
  for (const ShardedParam &p : params) {
    sizes.push_back(p.numElements);
    totalElements += static_cast<uint64_t>(p.numElements);
  }
  report.totalElements = static_cast<int64_t>(totalElements);
  report.sizesHash = hashWords(sizes);
  report.reduction = static_cast<int32_t>(options.reduction);
  // The run's name in its checkpoints: shards of two runs do not mix.
  std::random_device entropy;
  report.runId = (uint64_t(entropy()) << 32) ^ entropy();
  if (local) {
    report.failed = 1;
    copyMessage(report.message, llvm::toString(std::move(local)));
  } else {
    // Initial values: after the first step every rank holds its shard
    // owner's parameters, but the first gradients are computed from each
    // rank's own, so they must agree from the start.
    for (const ShardedParam &p : params)
      values.push_back(llvm::xxh3_64bits(
          llvm::ArrayRef(static_cast<const uint8_t *>(p.data),
                         static_cast<size_t>(p.numElements) * paramSize)));
    report.valuesHash = hashWords(values);
    copyMessage(report.message, config.key());
  }
  uint64_t runId = 0;
  if (llvm::Error error = agreeOnCreation(comm, report, runId))
    return std::move(error);

  std::unique_ptr<ShardedOptimizer> optimizer(new ShardedOptimizer(
      std::move(compiled), comm, hyper, std::move(params), layout, options));
  optimizer->runId = runId;
  // A rank that cannot allocate its shard tells the others, which would
  // otherwise wait for it in their first step.
  if (llvm::Error error = agreeOnOutcome(comm, optimizer->allocate(),
                                         "sharded optimizer not created"))
    return std::move(error);
  return std::move(optimizer);
}

ShardedMemory ShardedOptimizer::getMemory() const {
  const StepConfig &config = compiled->getConfig();
  int64_t paramSize = getElementSize(config.paramType);
  int64_t s = layout.shardElements;
  ShardedMemory memory;
  memory.stateBytes = momentBytes * (config.variant.amsgrad ? 3 : 2);
  if (config.momentStorage == MomentStorage::blockwise8)
    memory.stateBytes += 2 * (s / kQuantBlockSize) * int64_t(sizeof(float));
  memory.bufferBytes = (int64_t(layout.worldSize) + 1) * s * paramSize;
  return memory;
}

llvm::Error ShardedOptimizer::step(llvm::ArrayRef<const void *> grads,
                                   double foundInf) {
  const StepConfig &config = compiled->getConfig();
  size_t paramSize = getElementSize(config.paramType);
  int64_t t = firstStep + stepCount;
  StepScalars s = hyper;
  s.step = t;
  // The argument is the step's found_inf (verifyEdits refuses one in the
  // hyperparameters): the ranks agree on it below, and a step that runs
  // has none.
  s.foundInf = 0.0;
  if (config.variant.stochasticRounding)
    s.roundingOffset = uint64_t(t); // As Optimizer: afresh each step.
  if (config.variant.givenPowers) {
    s.beta1Power = std::pow(s.beta1, static_cast<double>(t));
    s.beta2Power = std::pow(s.beta2, static_cast<double>(t));
  }
  uint64_t scalarsHash = hashScalars(s);
  if (config.variant.stochasticRounding) {
    // Each tensor its own stream, each element drawn by its index in the
    // tensor: where this rank's shard starts.
    s.roundingStream = hyper.roundingStream + firstTensor;
    s.roundingElement = firstElement;
  }
  auto checkLocally = [&]() -> llvm::Error {
    if (grads.size() != params.size())
      return llvm::createStringError(
          llvm::formatv("{0} gradients for {1} parameters", grads.size(),
                        params.size())
              .str());
    for (auto [i, g] : llvm::enumerate(grads)) {
      if (params[i].numElements && !g)
        return llvm::createStringError(
            llvm::formatv("gradient #{0} is null", i).str());
      if (reinterpret_cast<uintptr_t>(g) % paramSize)
        return llvm::createStringError(
            llvm::formatv("gradient #{0} at {1} is not aligned to its "
                          "{2}-byte elements",
                          i, g, paramSize)
                .str());
    }
    if (std::isnan(foundInf))
      return llvm::createStringError("found_inf is NaN");
    if (llvm::Error error = checkNextStepCount(t))
      return error;
    if (llvm::Error error = hyper.verifyEdits(config, firstStep))
      return error;
    return s.verify(config);
  };

  Clock::time_point start = Clock::now();
  StepVerdict verdict;
  if (llvm::Error error = agreeOnStep(comm, checkLocally(), scalarsHash,
                                      foundInf != 0, t, verdict))
    return error;
  timings.agree += secondsSince(start);
  if (verdict.skip)
    return llvm::Error::success();

  // 1. Gradients into the flat buffer (its padding stays zero), then
  //    reduce-scattered: this rank's shard of the sum.
  start = Clock::now();
  char *flatBytes = flat.get();
  for (auto [k, p] : llvm::enumerate(params))
    if (p.numElements) // (an empty tensor's gradient may be null)
      std::memcpy(flatBytes + flatOffsets[k] * paramSize, grads[k],
                  p.numElements * paramSize);
  timings.pack += secondsSince(start);
  start = Clock::now();
  llvm::Error failure = comm.reduceScatterSum(
      flatBytes, shardGrad.get(), layout.shardElements, config.paramType);
  if (!failure && options.reduction == GradReduction::Mean &&
      layout.worldSize > 1)
    divideInPlace(shardGrad.get(), layout.ownedElements, config.paramType,
                  layout.worldSize);
  timings.reduceScatter += secondsSince(start);
  // A collective that failed leaves the ranks out of step: MPI gives no
  // guarantee that the communicator is usable afterwards, so stop here.
  if (failure)
    return failure;

  // Global-norm clipping: the squares of this shard's reduced gradients,
  // then every rank's partial sum (and whether it could compute one),
  // added in rank order on every rank.
  if (config.variant.clipGradNorm) {
    start = Clock::now();
    llvm::Expected<double> local =
        compiled->computeGradSquaredNorm(pieces, s);
    double mine[2] = {local ? *local : 0.0, local ? 0.0 : 1.0};
    std::string localError = local ? "" : llvm::toString(local.takeError());
    std::vector<double> all(2 * layout.worldSize);
    failure = comm.allGather(mine, all.data(), sizeof(mine));
    timings.agree += secondsSince(start);
    if (failure)
      return failure;
    double squared = 0;
    for (int r = 0; r < layout.worldSize; ++r) {
      if (all[2 * r + 1] != 0)
        return llvm::createStringError(
            llvm::formatv("rank {0} could not compute its gradient norm{1}",
                          r, localError.empty() ? "" : ": " + localError)
                .str());
      squared += all[2 * r];
    }
    s.gradNorm = lastGradNorm = std::sqrt(squared);
  }

  // 2. The fused step on the shard's pieces (checked above and at creation,
  //    where the parameters were found disjoint: it only fails on what no
  //    rank can detect in advance, and then the all-gather still runs so
  //    that no rank waits forever).
  start = Clock::now();
  llvm::Error updateError = compiled->run(pieces, s);
  timings.update += secondsSince(start);

  // 3. The shard's parameters into their place in the flat buffer, gathered
  //    in place, and every other rank's part copied back.
  start = Clock::now();
  int64_t begin = layout.shardBegin, end = begin + layout.ownedElements;
  for (auto [k, p] : llvm::enumerate(params)) {
    int64_t offset = flatOffsets[k];
    int64_t lo = std::max(begin, offset);
    int64_t hi = std::min(end, offset + p.numElements);
    if (lo < hi)
      std::memcpy(flatBytes + lo * paramSize,
                  static_cast<char *>(p.data) + (lo - offset) * paramSize,
                  (hi - lo) * paramSize);
  }
  timings.unpack += secondsSince(start);
  start = Clock::now();
  failure = comm.allGatherInPlace(flatBytes, layout.shardElements * paramSize);
  timings.allGather += secondsSince(start);
  if (failure)
    return llvm::joinErrors(std::move(updateError), std::move(failure));
  start = Clock::now();
  for (auto [k, p] : llvm::enumerate(params)) {
    // The parts below and above this rank's shard.
    int64_t offset = flatOffsets[k], pEnd = offset + p.numElements;
    auto *data = static_cast<char *>(p.data);
    if (int64_t hi = std::min(pEnd, begin); hi > offset)
      std::memcpy(data, flatBytes + offset * paramSize,
                  (hi - offset) * paramSize);
    if (int64_t lo = std::max(offset, end); lo < pEnd)
      std::memcpy(data + (lo - offset) * paramSize, flatBytes + lo * paramSize,
                  (pEnd - lo) * paramSize);
  }
  timings.unpack += secondsSince(start);
  if (updateError)
    return updateError;
  ++timings.steps;
  ++stepCount;
  return llvm::Error::success();
}
