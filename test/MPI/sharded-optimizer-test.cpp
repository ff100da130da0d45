//===- sharded-optimizer-test.cpp - the sharded optimizer under mpirun ----===//
//
// Run under `mpirun -np W` (see mpi-launch.sh):
//
//   optim-mpi-test check   after N steps every rank holds the same parameters,
//                          within 1e-6 relative of the unsharded step on the
//                          summed (or averaged) gradients; the state per rank
//                          is 1/W (+ padding), measured; ranks that disagree
//                          all get the same error and nothing is written;
//                          checkpoints restore bit-exactly, another rank
//                          count is rejected or re-sharded
//   optim-mpi-test kill    the last rank kills itself mid-run; the others
//                          must not hang (the launcher's exit status is
//                          checked by mpi-launch.sh)
//
// Exits 0 when every check passed on every rank.
//
//===----------------------------------------------------------------------===//

#include "optim/Runtime/Distributed/MpiCommunicator.h"
#include "optim/Runtime/Distributed/ShardedOptimizer.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Support/xxhash.h"

#include <malloc.h>

#include <cmath>
#include <csignal>
#include <cstring>
#include <limits>
#include <vector>

using namespace optim;
using namespace optim::distributed;

namespace {
int rank = 0, worldSize = 1;
int failures = 0;

void fail(const llvm::Twine &message) {
  llvm::errs() << "rank " << rank << ": FAIL: " << message << "\n";
  ++failures;
}

#define CHECK(cond, message)                                                   \
  do {                                                                         \
    if (!(cond))                                                               \
      fail(llvm::Twine(message) + " [" #cond "]");                             \
  } while (false)

template <typename T>
T unwrap(llvm::Expected<T> value, llvm::StringRef what) {
  if (!value) {
    llvm::errs() << "rank " << rank << ": " << what << ": "
                 << llvm::toString(value.takeError()) << "\n";
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  return std::move(*value);
}

/// A parameter group of odd sizes, so that shards begin and end inside
/// tensors and one shard spans several, with an empty tensor inside the
/// last rank's shard (W = 2 and 4).
const std::vector<int64_t> kSizes = {1000, 37, 1, 4099, 0, 3, 250};

/// bf16 as the tests hold it: conversions round to nearest even, and the
/// arithmetic the reference needs (the reduction's sum and mean) rounds once
/// per operation, as the communicator's bf16 sum and mean do.
struct BFloat16 {
  uint16_t bits = 0;
  BFloat16() = default;
  explicit BFloat16(double x) : bits(round(static_cast<float>(x))) {}
  explicit operator double() const {
    uint32_t u = uint32_t(bits) << 16;
    float f;
    std::memcpy(&f, &u, sizeof f);
    return f;
  }
  BFloat16 &operator+=(BFloat16 other) {
    bits = round(static_cast<float>(double(*this)) +
                 static_cast<float>(double(other)));
    return *this;
  }
  BFloat16 &operator/=(BFloat16 other) {
    bits = round(static_cast<float>(double(*this) / double(other)));
    return *this;
  }
  static uint16_t round(float f) {
    uint32_t u;
    std::memcpy(&u, &f, sizeof u);
    if ((u & 0x7fffffffu) > 0x7f800000u)
      return uint16_t((u >> 16) | 0x40);
    return uint16_t((u + 0x7fffu + ((u >> 16) & 1)) >> 16);
  }
};

template <typename T> struct Model {
  std::vector<std::vector<T>> params;
  Model() {
    for (auto [t, n] : llvm::enumerate(kSizes)) {
      params.emplace_back(n);
      for (int64_t i = 0; i < n; ++i)
        params.back()[i] = static_cast<T>(std::sin(0.37 * i + t) * 0.8);
    }
  }
  std::vector<ShardedParam> refs() {
    std::vector<ShardedParam> out;
    for (auto &p : params)
      out.push_back({p.data(), static_cast<int64_t>(p.size())});
    return out;
  }
  uint64_t hash() const {
    std::vector<uint64_t> hashes;
    for (auto &p : params)
      hashes.push_back(llvm::xxh3_64bits(llvm::ArrayRef(
          reinterpret_cast<const uint8_t *>(p.data()), p.size() * sizeof(T))));
    return llvm::xxh3_64bits(llvm::ArrayRef(
        reinterpret_cast<const uint8_t *>(hashes.data()),
        hashes.size() * sizeof(uint64_t)));
  }
};

/// Rank `r`'s gradient at step `k`: depends on the current parameters, as a
/// real gradient does, and differs between ranks.
template <typename T>
std::vector<std::vector<T>> gradient(const Model<T> &m, int r, int k) {
  std::vector<std::vector<T>> g;
  for (auto [t, p] : llvm::enumerate(m.params)) {
    g.emplace_back(p.size());
    for (size_t i = 0; i < p.size(); ++i)
      g.back()[i] = static_cast<T>(
          (double(p[i]) - 0.3 * r) * (1 + 0.5 * std::sin(0.1 * i + r + k + t)));
  }
  return g;
}

template <typename T>
std::vector<const void *> pointers(const std::vector<std::vector<T>> &grads) {
  std::vector<const void *> out;
  for (auto &g : grads)
    out.push_back(g.data());
  return out;
}

bool allEqual(uint64_t value) {
  std::vector<uint64_t> all(worldSize);
  MPI_Allgather(&value, 1, MPI_UINT64_T, all.data(), 1, MPI_UINT64_T,
                MPI_COMM_WORLD);
  for (uint64_t v : all)
    if (v != all.front())
      return false;
  return true;
}

/// Expects `error` to be set and its message identical on every rank of
/// `comm` and to contain `needle`.
void expectSameError(llvm::Error error, llvm::StringRef needle,
                     llvm::StringRef what, MPI_Comm comm = MPI_COMM_WORLD) {
  std::string message = error ? llvm::toString(std::move(error)) : "";
  CHECK(!message.empty(), what + ": no error");
  CHECK(llvm::StringRef(message).contains(needle),
        what + ": unexpected message: " + message);
  uint64_t hash = llvm::xxh3_64bits(message);
  int size = 0;
  MPI_Comm_size(comm, &size);
  std::vector<uint64_t> all(size);
  MPI_Allgather(&hash, 1, MPI_UINT64_T, all.data(), 1, MPI_UINT64_T, comm);
  for (uint64_t h : all)
    CHECK(h == all.front(), what + ": ranks got different messages: " +
                                message);
  if (rank == 0)
    llvm::outs() << "  " << what << ": " << message << "\n";
}

size_t heapInUse() {
  struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd;
}

/// N sharded steps against the unsharded step on the reduced gradients.
template <typename T>
void checkAgainstUnsharded(Compiler &compiler, Communicator &comm,
                           StepConfig config, GradReduction reduction,
                           double tolerance) {
  constexpr int kSteps = 12;
  std::string name = config.key() + (reduction == GradReduction::Mean
                                         ? " (mean)"
                                         : " (sum)");
  StepScalars hyper = StepScalars::forPreset(Preset::TorchAdamW);
  hyper.lr = 1e-2;
  hyper.weightDecay = 1e-2;
  hyper.roundingSeed = 0x5eed;
  bool clip = config.variant.clipGradNorm;
  if (clip)
    name += " clipped";
  // The bound alternates between below the gradients' norm (about 50) and
  // far above it: clipping active and inactive.
  auto boundAt = [](int k) { return k % 2 ? 0.5 : 1e6; };
  int clippedSteps = 0;
  double worstNorm = 0;
  Model<T> sharded, reference;
  auto step = unwrap(compiler.getStep(config), "getStep");

  ShardedOptions options;
  options.reduction = reduction;
  auto opt = unwrap(ShardedOptimizer::create(compiler, comm, config, hyper,
                                             sharded.refs(), options),
                    "create");

  // The unsharded reference: full moments, the gradients reduced in rank
  // order.
  size_t momentSize = getElementSize(getMomentElementType(config));
  int64_t total = 0;
  for (int64_t n : kSizes)
    total += n;
  std::vector<std::vector<char>> moments;
  std::vector<std::vector<float>> absmaxes;
  std::vector<ParamBuffers> buffers;
  // The unsharded state's bytes (8-bit codes and absmaxes where coded).
  int64_t unshardedState = 0;
  for (auto &p : reference.params) {
    ParamBuffers b;
    b.param = p.data();
    b.numElements = p.size();
    for (void **m : {&b.expAvg, &b.expAvgSq, &b.maxExpAvgSq}) {
      if (m == &b.maxExpAvgSq && !config.variant.amsgrad)
        continue;
      moments.emplace_back(p.size() * momentSize + 64, 0);
      *m = moments.back().data();
      unshardedState += p.size() * getMomentElementSize(config, p.size());
    }
    if (hasQuantizedMoments(config, p.size()))
      for (float **a : {&b.expAvgAbsmax, &b.expAvgSqAbsmax}) {
        absmaxes.emplace_back(getNumQuantBlocks(p.size()), 0.f);
        *a = absmaxes.back().data();
        unshardedState += absmaxes.back().size() * sizeof(float);
      }
    buffers.push_back(b);
  }
  for (int k = 1; k <= kSteps; ++k) {
    if (clip)
      hyper.maxGradNorm = opt->getHyperParameters().maxGradNorm = boundAt(k);
    if (llvm::Error e = opt->step(pointers(gradient(sharded, rank, k))))
      fail(name + ": step: " + llvm::toString(std::move(e)));
    auto sum = gradient(reference, 0, k);
    for (int r = 1; r < worldSize; ++r) {
      auto g = gradient(reference, r, k);
      for (size_t t = 0; t < sum.size(); ++t)
        for (size_t i = 0; i < sum[t].size(); ++i)
          sum[t][i] += g[t][i];
    }
    if (reduction == GradReduction::Mean)
      for (auto &g : sum)
        for (T &x : g)
          x /= static_cast<T>(worldSize);
    for (auto [b, g] : llvm::zip(buffers, sum))
      b.grad = g.data();
    StepScalars s = hyper;
    s.step = k;
    // Optimizer's draws: afresh each step, tensor i with stream i.
    s.roundingOffset = k;
    if (clip) {
      // clip_grad_norm_ on the reduced gradients, as DDP users call it.
      s.gradNorm = unwrap(step->computeGradNorm(buffers, s), "norm");
      clippedSteps += s.gradNorm > hyper.maxGradNorm;
      worstNorm = std::max(worstNorm, std::fabs(opt->getLastGradNorm() -
                                                s.gradNorm) /
                                          s.gradNorm);
    }
    if (llvm::Error e = step->run(buffers, s))
      fail(name + ": reference step: " + llvm::toString(std::move(e)));
  }
  if (clip) {
    CHECK(clippedSteps > 0 && clippedSteps < kSteps,
          llvm::formatv("{0}: clipping was active on {1} of {2} steps", name,
                        clippedSteps, kSteps)
              .str());
    // With more than two ranks the f32 gradients are summed in MPI's order
    // (last bits differ); with two the norm differs only by how the partial
    // sums are added.
    CHECK(worstNorm <= (worldSize > 2 ? 1e-6 : 1e-12),
          llvm::formatv("{0}: gradient norm {1:e} off the unsharded one",
                        name, worstNorm)
              .str());
  }

  CHECK(allEqual(sharded.hash()), name + ": parameters differ between ranks");
  // Relative to the largest parameter. (With more than two ranks MPI sums
  // the gradients in its own order, so sums that nearly cancel differ in
  // their last bits, and Adam's normalised update passes that on; with two
  // ranks the sum is order-free and the result bit-identical.)
  double worst = 0, largest = 0, worstElement = 0;
  for (auto [a, b] : llvm::zip(sharded.params, reference.params))
    for (auto [x, y] : llvm::zip(a, b)) {
      double diff = std::fabs(double(x) - double(y));
      worst = std::max(worst, diff);
      largest = std::max(largest, std::fabs(double(y)));
      worstElement =
          std::max(worstElement, diff / std::max(std::fabs(double(y)), 1e-3));
    }
  worst /= largest;
  CHECK(worst <= tolerance, llvm::formatv("{0}: relative error {1:e} vs the "
                                          "unsharded step",
                                          name, worst)
                                .str());
  // (The clipped step's norm adds the ranks' partial sums: its last bit may
  // differ from one sum over everything.)
  CHECK(worldSize > 2 || worst == 0 || (clip && worst <= 1e-6),
        name + ": two ranks differ from the unsharded step");

  // Memory: 1/W of the unsharded moments, plus the padding of the shard to
  // a 64-byte line of parameters per buffer; and the allocation measured
  // around create().
  ShardLayout layout = opt->getLayout();
  ShardedMemory memory = opt->getMemory();
  int64_t numBuffers = config.variant.amsgrad ? 3 : 2;
  int64_t unsharded = total * momentSize * numBuffers;
  int64_t ideal = llvm::divideCeil(total, worldSize) * momentSize * numBuffers;
  int64_t padding =
      numBuffers * (64 / int64_t(sizeof(T))) * int64_t(momentSize);
  if (config.momentStorage == MomentStorage::blockwise8) {
    // The shards together hold the unsharded state, plus at most a line
    // per tensor part and moment buffer and an absmax per 256 elements of
    // padding (tensors start, and shards are cut, on blocks).
    int64_t sum = 0, mine = memory.stateBytes;
    MPI_Allreduce(&mine, &sum, 1, MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD);
    int64_t slack =
        int64_t(worldSize) * numBuffers * 64 * int64_t(kSizes.size()) +
        2 * int64_t(sizeof(float)) *
            (int64_t(worldSize) * layout.shardElements - total) / 256 +
        2 * int64_t(sizeof(float)) * int64_t(kSizes.size());
    CHECK(sum >= unshardedState && sum <= unshardedState + slack,
          llvm::formatv("{0}: the ranks hold {1} bytes of state, unsharded "
                        "{2} (slack {3})",
                        name, sum, unshardedState, slack)
              .str());
    ideal = unshardedState / worldSize;
    unsharded = unshardedState;
  } else {
    CHECK(memory.stateBytes >= ideal && memory.stateBytes <= ideal + padding,
          llvm::formatv("{0}: state {1} bytes per rank, 1/W is {2}", name,
                        memory.stateBytes, ideal)
              .str());
  }
  // Measured as the heap the optimizer gives back when destroyed (its
  // creation would also count the MPI library's lazily allocated buffers):
  // what it reports plus its own small bookkeeping.
  int64_t held = memory.stateBytes + memory.bufferBytes;
  size_t before = heapInUse();
  opt.reset();
  int64_t measured = int64_t(before) - int64_t(heapInUse());
  // (glibc keeps freed chunks of up to 1 KiB in a per-thread cache that
  // mallinfo counts as in use: the 8-bit step's absmaxes are 64 bytes.)
  int64_t cached = config.momentStorage == MomentStorage::blockwise8 ? 256 : 0;
  CHECK(measured >= held - cached && measured <= held + 4096,
        llvm::formatv("{0}: destroying the optimizer freed {1} bytes, it "
                      "reports {2}",
                      name, measured, held)
            .str());
  if (rank == 0)
    llvm::outs() << llvm::formatv(
        "  {0}: W={1}, {2} elements, shard {3} (rank 0 owns {4}); state per "
        "rank {5} B = {6:f4} of unsharded {7} B (1/W = {8:f4}); buffers {9} "
        "B; measured (freed at destruction) {10} B; relative error {11:e} (largest element's "
        "{12:e})\n",
        name, worldSize, total, layout.shardElements, layout.ownedElements,
        memory.stateBytes, double(memory.stateBytes) / unsharded, unsharded,
        1.0 / worldSize, memory.bufferBytes, measured, worst, worstElement);
}

/// Ranks with different rounding seeds would round their shards apart.
void checkRoundingSeedMismatch(Compiler &compiler, Communicator &comm) {
  StepConfig config =
      StepConfig::forPreset(Preset::TorchAdamW, ElementType::bf16);
  config.variant.stochasticRounding = true;
  StepScalars hyper = StepScalars::forPreset(Preset::TorchAdamW);
  hyper.roundingSeed = rank == worldSize - 1 ? 8 : 7;
  Model<BFloat16> m;
  uint64_t before = m.hash();
  expectSameError(
      ShardedOptimizer::create(compiler, comm, config, hyper, m.refs())
          .takeError(),
      "ranks disagree on the hyperparameters", "rounding seeds differ");
  CHECK(m.hash() == before, "rejected create wrote the parameters");
  hyper.roundingSeed = 7;
  hyper.roundingStream = rank == worldSize - 1 ? 5 : 0;
  expectSameError(
      ShardedOptimizer::create(compiler, comm, config, hyper, m.refs())
          .takeError(),
      "ranks disagree on the hyperparameters", "rounding streams differ");
}

void checkMismatches(Compiler &compiler, Communicator &comm) {
  StepConfig config =
      StepConfig::forPreset(Preset::TorchAdamW, ElementType::f32);
  StepScalars hyper = StepScalars::forPreset(Preset::TorchAdamW);
  int last = worldSize - 1;

  // Sizes: the last rank has one element more.
  {
    Model<float> m;
    uint64_t before = m.hash();
    auto refs = m.refs();
    if (rank == last)
      refs.back().numElements -= 1;
    auto opt = ShardedOptimizer::create(compiler, comm, config, hyper, refs);
    expectSameError(opt.takeError(), "ranks disagree on the parameters",
                    "parameter sizes differ");
    CHECK(m.hash() == before, "rejected create wrote the parameters");
  }
  // Hyperparameters, configuration and initial values.
  {
    Model<float> m;
    StepScalars other = hyper;
    if (rank == last)
      other.lr *= 2;
    expectSameError(
        ShardedOptimizer::create(compiler, comm, config, other, m.refs())
            .takeError(),
        "ranks disagree on the hyperparameters", "learning rates differ");
    StepConfig amsgrad = config;
    amsgrad.variant.amsgrad = rank == last;
    expectSameError(
        ShardedOptimizer::create(compiler, comm, amsgrad, hyper, m.refs())
            .takeError(),
        "ranks disagree on the step configuration", "configurations differ");
    if (rank == last)
      m.params[3][7] += 1;
    expectSameError(
        ShardedOptimizer::create(compiler, comm, config, hyper, m.refs())
            .takeError(),
        "ranks disagree on the initial parameter values",
        "initial values differ");
    ShardedOptions sum;
    sum.reduction = rank == last ? GradReduction::Sum : GradReduction::Mean;
    Model<float> fresh;
    expectSameError(ShardedOptimizer::create(compiler, comm, config, hyper,
                                             fresh.refs(), sum)
                        .takeError(),
                    "ranks disagree on the gradient reduction",
                    "reductions differ");
  }
  // The clipping bound, at creation and per step.
  {
    StepConfig clipped = config;
    clipped.variant.clipGradNorm = true;
    Model<float> m;
    StepScalars other = hyper;
    other.maxGradNorm = rank == last ? 0.5 : 1e6;
    expectSameError(
        ShardedOptimizer::create(compiler, comm, clipped, other, m.refs())
            .takeError(),
        "ranks disagree on the hyperparameters", "clipping bounds differ");
    auto opt = unwrap(
        ShardedOptimizer::create(compiler, comm, clipped, hyper, m.refs()),
        "create");
    uint64_t before = m.hash();
    if (rank == last)
      opt->getHyperParameters().maxGradNorm = 0.5;
    expectSameError(opt->step(pointers(gradient(m, rank, 1))),
                    "ranks disagree on the step's scalars",
                    "clipping bounds differ at step 1");
    CHECK(m.hash() == before, "a rejected step wrote parameters");
    // The last norm belongs to the state it was computed with.
    opt->getHyperParameters().maxGradNorm = hyper.maxGradNorm;
    if (llvm::Error e = opt->step(pointers(gradient(m, rank, 1))))
      fail("clipped step: " + llvm::toString(std::move(e)));
    CHECK(std::isfinite(opt->getLastGradNorm()), "no norm after a step");
    if (llvm::Error e = opt->importState(opt->exportState()))
      fail("importState: " + llvm::toString(std::move(e)));
    CHECK(std::isnan(opt->getLastGradNorm()),
          "the last norm survived importState");
  }
  // Parameters that overlap (the same on every rank: each rank's shard is
  // disjoint, but together they would be updated twice), and element
  // counts beyond range (their sum must not overflow).
  {
    Model<float> m;
    auto refs = m.refs();
    refs[1].data = m.params[0].data() + 990;
    uint64_t before = m.hash();
    expectSameError(
        ShardedOptimizer::create(compiler, comm, config, hyper, refs)
            .takeError(),
        "buffers overlap: param #0 and param #1", "overlapping parameters");
    CHECK(m.hash() == before, "rejected create wrote the parameters");
    refs = m.refs();
    refs[0].numElements = refs[1].numElements =
        std::numeric_limits<int64_t>::max();
    expectSameError(
        ShardedOptimizer::create(compiler, comm, config, hyper, refs)
            .takeError(),
        "param #0: element count 9223372036854775807 is out of range",
        "element counts out of range");
  }
  // A rank-local error at creation (a null parameter on one rank).
  {
    Model<float> m;
    auto refs = m.refs();
    if (rank == last)
      refs[2].data = nullptr;
    expectSameError(
        ShardedOptimizer::create(compiler, comm, config, hyper, refs)
            .takeError(),
        llvm::formatv("rank {0} of {1}: param #2 is null", last, worldSize)
            .str(),
        "null parameter on one rank");
  }
  // Per step: different learning rates, a null gradient on one rank,
  // found_inf on one rank; each changes nothing anywhere.
  {
    Model<float> m;
    auto opt = unwrap(
        ShardedOptimizer::create(compiler, comm, config, hyper, m.refs()),
        "create");
    auto g = gradient(m, rank, 1);
    if (llvm::Error e = opt->step(pointers(g)))
      fail("first step: " + llvm::toString(std::move(e)));
    uint64_t before = m.hash();
    uint64_t momentsBefore = llvm::xxh3_64bits(llvm::StringRef(
        static_cast<const char *>(opt->getExpAvg()),
        opt->getLayout().shardElements * sizeof(float)));
    if (rank == 0)
      opt->setLearningRate(hyper.lr * 3);
    expectSameError(opt->step(pointers(g)),
                    "ranks disagree on the step's scalars",
                    "learning rates differ at step 2");
    opt->setLearningRate(hyper.lr);
    auto ptrs = pointers(g);
    if (rank == last)
      ptrs[5] = nullptr;
    expectSameError(opt->step(ptrs),
                    llvm::formatv("sharded step 2 not taken: rank {0} of {1}: "
                                  "gradient #5 is null",
                                  last, worldSize)
                        .str(),
                    "null gradient on one rank");
    if (llvm::Error e = opt->step(pointers(g), rank == 0 ? 1.0 : 0.0))
      fail("found_inf step: " + llvm::toString(std::move(e)));
    CHECK(opt->getStepCount() == 1, "a rejected or skipped step counted");
    CHECK(m.hash() == before, "a rejected or skipped step wrote parameters");
    CHECK(llvm::xxh3_64bits(llvm::StringRef(
              static_cast<const char *>(opt->getExpAvg()),
              opt->getLayout().shardElements * sizeof(float))) ==
              momentsBefore,
          "a rejected or skipped step wrote moments");
    if (llvm::Error e = opt->step(pointers(g)))
      fail("step after rejections: " + llvm::toString(std::move(e)));
    CHECK(opt->getStepCount() == 2, "the step after rejections did not count");
    // found_inf is the step's argument, as in Optimizer: one set in the
    // hyperparameters on one rank is refused on every rank (it skipped
    // only that rank's shard), as is a changed step count.
    before = m.hash();
    if (rank == last)
      opt->getHyperParameters().foundInf = 1;
    expectSameError(opt->step(pointers(g)),
                    llvm::formatv("sharded step 3 not taken: rank {0} of {1}: "
                                  "the hyperparameters' foundInf is 1",
                                  last, worldSize)
                        .str(),
                    "found_inf in one rank's hyperparameters");
    opt->getHyperParameters().foundInf = 0;
    if (rank == 0)
      opt->getHyperParameters().step = 10;
    expectSameError(opt->step(pointers(g)),
                    "the hyperparameters' step was changed from 1 to 10",
                    "a changed step count on one rank");
    opt->getHyperParameters().step = 1;
    CHECK(opt->getStepCount() == 2, "a rejected step counted");
    CHECK(m.hash() == before, "a rejected step wrote parameters");
  }
}

/// `blob` with its header's field `field` (0 is the magic and version)
/// replaced by `value`, checksum resealed.
std::string withHeaderField(const std::string &blob, unsigned field,
                            llvm::StringRef value) {
  constexpr size_t kChecksumLine = 22; // "xxh3 " + 16 hex digits + "\n"
  std::string body = blob.substr(0, blob.size() - kChecksumLine);
  size_t end = body.find('\n');
  llvm::SmallVector<llvm::StringRef> fields;
  llvm::StringRef(body).take_front(end).split(fields, ' ');
  std::string header;
  for (auto [i, f] : llvm::enumerate(fields))
    header += (i ? " " : "") + (i == field ? value : f).str();
  body = header + body.substr(end);
  return body + "xxh3 " +
         llvm::utohexstr(llvm::xxh3_64bits(body), /*LowerCase=*/true,
                         /*Width=*/16) +
         "\n";
}

/// Every rank's blob, on every rank.
std::vector<std::string> gatherBlobs(const std::string &mine) {
  int64_t size = mine.size();
  std::vector<int64_t> sizes(worldSize);
  MPI_Allgather(&size, 1, MPI_INT64_T, sizes.data(), 1, MPI_INT64_T,
                MPI_COMM_WORLD);
  std::vector<std::string> all;
  for (int r = 0; r < worldSize; ++r) {
    std::string blob = r == rank ? mine : std::string(sizes[r], '\0');
    MPI_Bcast(blob.data(), blob.size(), MPI_CHAR, r, MPI_COMM_WORLD);
    all.push_back(std::move(blob));
  }
  return all;
}

void checkCheckpoints(Compiler &compiler, Communicator &comm,
                      const StepConfig &config) {
  // Rank 0's gradient only, summed: the trajectory does not depend on the
  // number of ranks, so a re-sharded run must match bit for bit.
  if (rank == 0)
    llvm::outs() << "  checkpoints of " << config.key() << "\n";
  StepScalars hyper = StepScalars::forPreset(Preset::TorchAdamW);
  ShardedOptions options;
  options.reduction = GradReduction::Sum;
  auto stepsWith = [&](ShardedOptimizer &opt, Model<float> &m, int from,
                       int to, int myRank) {
    for (int k = from; k <= to; ++k) {
      auto g = gradient(m, 0, k);
      if (myRank != 0)
        for (auto &t : g)
          std::fill(t.begin(), t.end(), 0.f);
      if (llvm::Error e = opt.step(pointers(g)))
        fail("checkpoint run: " + llvm::toString(std::move(e)));
    }
  };
  Model<float> m;
  auto opt = unwrap(ShardedOptimizer::create(compiler, comm, config, hyper,
                                             m.refs(), options),
                    "create");
  stepsWith(*opt, m, 1, 3, rank);
  std::string blob = opt->exportState();
  Model<float> saved = m;
  stepsWith(*opt, m, 4, 7, rank);

  // Same W: bit-exact.
  Model<float> resumed = saved;
  auto again = unwrap(ShardedOptimizer::create(compiler, comm, config, hyper,
                                               resumed.refs(), options),
                      "create");
  if (llvm::Error e = again->importState(blob))
    fail("importState: " + llvm::toString(std::move(e)));
  CHECK(again->getStepCount() == 3, "restored step count");
  stepsWith(*again, resumed, 4, 7, rank);
  CHECK(resumed.params == m.params, "resumed run differs from the original");
  CHECK(again->exportState() == opt->exportState(), "resumed moments differ");

  // A damaged blob on one rank: every rank refuses, nothing changes.
  {
    std::string bad = blob;
    if (rank == worldSize - 1)
      bad[bad.size() / 2] ^= 1;
    Model<float> fresh = saved;
    auto other = unwrap(ShardedOptimizer::create(compiler, comm, config, hyper,
                                                 fresh.refs(), options),
                        "create");
    expectSameError(other->importState(bad), "checksum mismatch",
                    "damaged checkpoint on one rank");
    CHECK(other->getStepCount() == 0, "a refused import changed the count");
    // A step count that would overflow the next step's.
    expectSameError(
        other->importState(withHeaderField(blob, 6, "9223372036854775807")),
        "steps taken: beyond the largest step count",
        "checkpoint of too many steps");
  }
  // Shards of two runs: a second run, identical to the first up to its
  // checkpoint, saved its own; one rank restoring it is refused on every
  // rank (each shard was consistent alone). Re-sharding refuses them too.
  {
    Model<float> twin;
    auto other = unwrap(ShardedOptimizer::create(compiler, comm, config, hyper,
                                                 twin.refs(), options),
                        "create");
    stepsWith(*other, twin, 1, 3, rank);
    std::string otherBlob = other->exportState();
    Model<float> fresh = saved;
    auto restored =
        unwrap(ShardedOptimizer::create(compiler, comm, config, hyper,
                                        fresh.refs(), options),
               "create");
    expectSameError(
        restored->importState(rank == worldSize - 1 ? otherBlob : blob),
        "the ranks' checkpoints come from different runs",
        "shards of two runs");
    CHECK(restored->getStepCount() == 0, "a refused import changed the count");
    std::vector<std::string> mine = gatherBlobs(blob),
                             theirs = gatherBlobs(otherBlob);
    if (worldSize > 1) {
      std::vector<llvm::StringRef> mixed(mine.begin(), mine.end());
      mixed.back() = theirs.back();
      expectSameError(restored->importState(mixed),
                      "the shards come from different checkpoints",
                      "re-sharding shards of two runs");
    }
  }
  // Another parameter list of the same total size: refused (its moments
  // would be read as the wrong tensors').
  {
    std::vector<int64_t> sizes = kSizes;
    sizes[0] -= 1;
    sizes[1] += 1;
    std::vector<std::vector<float>> params;
    std::vector<ShardedParam> refs;
    for (int64_t n : sizes) {
      params.emplace_back(n, 0.5f);
      refs.push_back({params.back().data(), n});
    }
    auto other = unwrap(
        ShardedOptimizer::create(compiler, comm, config, hyper, refs, options),
        "create");
    CHECK(other->getLayout().totalElements == opt->getLayout().totalElements,
          "the other parameter list should have the same extent");
    expectSameError(other->importState(blob),
                    "state was saved for 7 tensors of other sizes",
                    "checkpoint of other tensor sizes");
    CHECK(other->getStepCount() == 0, "a refused import changed the count");
  }

  // Another W: the ranks split into groups of W/2 (or 1).
  std::vector<std::string> all = gatherBlobs(blob);
  int groups = worldSize >= 4 ? 2 : worldSize;
  MPI_Comm half;
  MPI_Comm_split(MPI_COMM_WORLD, rank % groups, rank, &half);
  {
    auto halfComm = unwrap(MpiCommunicator::create(half), "communicator");
    Model<float> fresh = saved;
    auto other = unwrap(ShardedOptimizer::create(compiler, *halfComm, config,
                                                 hyper, fresh.refs(), options),
                        "create");
    expectSameError(
        other->importState(blob),
        llvm::formatv("the state was saved by {0} ranks and this optimizer "
                      "runs on {1}",
                      worldSize, halfComm->getSize())
            .str(),
        "checkpoint of another rank count", half);
    // Re-sharded from every shard: continues bit-exactly.
    std::vector<llvm::StringRef> refs(all.begin(), all.end());
    std::reverse(refs.begin(), refs.end());
    if (llvm::Error e = other->importState(refs))
      fail("re-sharded importState: " + llvm::toString(std::move(e)));
    stepsWith(*other, fresh, 4, 7, halfComm->getRank());
    CHECK(fresh.params == m.params, "re-sharded run differs from the original");
    if (rank == 0)
      llvm::outs() << llvm::formatv(
          "  checkpoint of {0} ranks re-sharded onto {1}: continues bit-exactly\n",
          worldSize, halfComm->getSize());
    // Missing shards are refused.
    refs.pop_back();
    expectSameError(other->importState(refs), "every shard is needed",
                    "a shard missing", half);
  }
  MPI_Comm_free(&half);
}

int killRun(Compiler &compiler, Communicator &comm) {
  StepConfig config =
      StepConfig::forPreset(Preset::TorchAdamW, ElementType::f32);
  Model<float> m;
  auto opt = unwrap(ShardedOptimizer::create(
                        compiler, comm, config,
                        StepScalars::forPreset(Preset::TorchAdamW), m.refs()),
                    "create");
  for (int k = 1; k <= 1000000; ++k) {
    if (rank == worldSize - 1 && k == 20) {
      llvm::errs() << "rank " << rank << ": killing myself at step " << k
                   << "\n";
      std::raise(SIGKILL);
    }
    if (llvm::Error e = opt->step(pointers(gradient(m, rank, k)))) {
      llvm::errs() << "rank " << rank << ": step " << k
                   << " failed: " << llvm::toString(std::move(e)) << "\n";
      return 3;
    }
  }
  llvm::outs() << "rank " << rank << ": survived\n";
  return 0;
}
} // namespace

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &worldSize);
  llvm::StringRef mode = argc > 1 ? argv[1] : "check";
  int status = 0;
  {
    CompilerOptions compilerOptions;
    compilerOptions.numThreads = 1;
    auto compiler = unwrap(Compiler::create(compilerOptions), "compiler");
    auto comm = unwrap(MpiCommunicator::create(MPI_COMM_WORLD), "comm");
    if (rank == 0)
      llvm::outs() << comm->getName() << ", " << worldSize << " ranks, "
                   << mode << "\n";
    if (mode == "kill") {
      status = killRun(*compiler, *comm);
    } else {
      checkAgainstUnsharded<float>(
          *compiler, *comm,
          StepConfig::forPreset(Preset::TorchAdamW, ElementType::f32),
          GradReduction::Mean, 1e-6);
      StepConfig amsgrad =
          StepConfig::forPreset(Preset::TorchAdam, ElementType::f64);
      amsgrad.variant.amsgrad = true;
      checkAgainstUnsharded<double>(*compiler, *comm, amsgrad,
                                    GradReduction::Sum, 1e-12);
      StepConfig clipped =
          StepConfig::forPreset(Preset::TorchAdamW, ElementType::f32);
      clipped.variant.clipGradNorm = true;
      checkAgainstUnsharded<float>(*compiler, *comm, clipped,
                                   GradReduction::Mean, 1e-6);
      StepConfig narrow =
          StepConfig::forPreset(Preset::TorchAdamW, ElementType::f32);
      narrow.momentStorage = MomentStorage::bf16;
      // A last-bit difference of a reordered sum (W > 2) can move a bf16
      // moment by one ulp, 2^-8 of itself.
      checkAgainstUnsharded<float>(*compiler, *comm, narrow,
                                   GradReduction::Mean, 1e-3);
      // Stochastic rounding: every element draws by its unsharded tensor
      // and element index, so two ranks give the unsharded step's bits
      // (shards start inside tensors); with more ranks a reordered
      // gradient sum can move a rounding by one bf16 ulp.
      StepConfig rounded =
          StepConfig::forPreset(Preset::TorchAdamW, ElementType::bf16);
      rounded.variant.stochasticRounding = true;
      checkAgainstUnsharded<BFloat16>(*compiler, *comm, rounded,
                                      GradReduction::Mean, 1e-2);
      // 8-bit moments: shards are cut on the tensors' blocks (the 4099-
      // element tensor is coded, the rest keep f32), so two ranks give the
      // unsharded step's bits; with more, a reordered gradient sum can move
      // a code by one, a step of the map.
      StepConfig coded =
          StepConfig::forPreset(Preset::TorchAdamW, ElementType::f32);
      coded.momentStorage = MomentStorage::blockwise8;
      checkAgainstUnsharded<float>(*compiler, *comm, coded, GradReduction::Mean,
                                   1e-3);
      checkRoundingSeedMismatch(*compiler, *comm);
      checkMismatches(*compiler, *comm);
      StepConfig checkpointed =
          StepConfig::forPreset(Preset::TorchAdamW, ElementType::f32);
      checkpointed.variant.amsgrad = true;
      checkCheckpoints(*compiler, *comm, checkpointed);
      checkCheckpoints(*compiler, *comm, coded);
      int total = 0;
      MPI_Allreduce(&failures, &total, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
      if (rank == 0)
        llvm::outs() << (total ? "FAILED" : "PASSED") << " on " << worldSize
                     << " ranks (" << total << " failures)\n";
      status = total ? 1 : 0;
    }
  }
  MPI_Finalize();
  return status;
}
