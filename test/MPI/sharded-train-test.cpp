//===- sharded-train-test.cpp - optim-train's model, data-parallel --------===//
//
// Run under `mpirun -np W` (see mpi-launch.sh): optim-train's MLP and data
// (tools/optim-train/TrainModel.h) trained data-parallel, each rank taking
// 1/W of every batch, with the sharded AdamW (gradients averaged by the
// reduce-scatter) and a cosine schedule; on every rank, the same model
// trained unsharded on the whole batches with optim::Optimizer. After the
// run the parameters must be identical on every rank and within 1e-6
// (relative to the largest) of the unsharded run, and the held-out losses
// must agree. Once plainly, once with global-norm clipping, and once with
// 8-bit moments (a wider model, whose first layer is coded: there the
// reordered gradient sums can move a code by one, so the runs agree to
// 1e-3, not to the last bits).
//
// Exits 0 when every check passed on every rank.
//
//===----------------------------------------------------------------------===//

#include "TrainModel.h"

#include "optim/Runtime/Distributed/MpiCommunicator.h"
#include "optim/Runtime/Distributed/ShardedOptimizer.h"
#include "optim/Runtime/Optimizer.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Support/xxhash.h"

#include <cmath>
#include <vector>

using namespace optim;
using namespace optim::distributed;
using namespace optim::train;

namespace {
int rank = 0, worldSize = 1;
int failures = 0;

void check(bool ok, const llvm::Twine &message) {
  if (ok)
    return;
  llvm::errs() << "rank " << rank << ": FAIL: " << message << "\n";
  ++failures;
}

template <typename T> T unwrap(llvm::Expected<T> value, llvm::StringRef what) {
  if (!value) {
    llvm::errs() << "rank " << rank << ": " << what << ": "
                 << llvm::toString(value.takeError()) << "\n";
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  return std::move(*value);
}

std::vector<const void *> gradsOf(Mlp &m) {
  return {m.gw1.data(), m.gb1.data(), m.gw2.data(), m.gb2.data()};
}

uint64_t hashOf(Mlp &m) {
  uint64_t h = 0;
  for (std::vector<float> *p : {&m.w1, &m.b1, &m.w2, &m.b2})
    h ^= llvm::xxh3_64bits(llvm::ArrayRef(
        reinterpret_cast<const uint8_t *>(p->data()), p->size() * 4));
  return h;
}

void trainBoth(Compiler &compiler, Communicator &comm, double maxGradNorm,
               MomentStorage storage = MomentStorage::compute,
               int hidden = 64) {
  constexpr int kBatch = 128, kSteps = 120;
  constexpr double kPeakLr = 3e-3;
  Dataset data;
  Mlp sharded(hidden), reference(hidden);
  StepConfig config =
      StepConfig::forPreset(Preset::TorchAdamW, ElementType::f32);
  config.momentStorage = storage;
  bool coded = storage == MomentStorage::blockwise8;
  double tolerance = coded ? 1e-3 : 1e-6;
  if (coded)
    check(hasQuantizedMoments(config, sharded.w1.size()),
          "the 8-bit run's first layer is not coded");
  StepScalars hyper;
  hyper.lr = kPeakLr;
  hyper.weightDecay = 1e-2;
  if (maxGradNorm > 0) {
    config.variant.clipGradNorm = true;
    hyper.maxGradNorm = maxGradNorm;
  }
  std::string name = config.key();
  auto refs = [](Mlp &m) {
    std::vector<ShardedParam> out;
    for (std::vector<float> *p : {&m.w1, &m.b1, &m.w2, &m.b2})
      out.push_back({p->data(), int64_t(p->size())});
    return out;
  };
  ShardedOptions options;
  options.reduction = GradReduction::Mean;
  auto opt = unwrap(ShardedOptimizer::create(compiler, comm, config, hyper,
                                             refs(sharded), options),
                    "create");
  std::vector<ParamRef> plain;
  for (ShardedParam p : refs(reference))
    plain.push_back({p.data, p.numElements});
  auto unsharded =
      unwrap(Optimizer::create(compiler, config, hyper, plain), "unsharded");

  // Every rank draws the same batches; rank r trains on its slice.
  Batches batches;
  const std::vector<int> &evalRows = batches.heldOut;
  std::vector<int> batch(kBatch);
  int per = kBatch / worldSize;
  double firstLoss = reference.run(data, evalRows, false);
  double worstNorm = 0;
  for (int step = 1; step <= kSteps; ++step) {
    batches.next(batch);
    std::vector<int> slice(batch.begin() + rank * per,
                           batch.begin() + (rank + 1) * per);
    sharded.run(data, slice, /*train=*/true);
    reference.run(data, batch, /*train=*/true);
    double lr = 0.5 * kPeakLr * (1 + std::cos(M_PI * (step - 1) / kSteps));
    opt->setLearningRate(lr);
    unsharded->setLearningRate(lr);
    if (llvm::Error e = opt->step(gradsOf(sharded)))
      check(false, name + ": sharded step: " + llvm::toString(std::move(e)));
    if (llvm::Error e = unsharded->step(gradsOf(reference)))
      check(false, name + ": unsharded step: " + llvm::toString(std::move(e)));
    if (maxGradNorm > 0)
      worstNorm = std::max(
          worstNorm, std::fabs(opt->getLastGradNorm() -
                               unsharded->getLastGradNorm()) /
                         unsharded->getLastGradNorm());
  }

  // Identical on every rank.
  uint64_t mine = hashOf(sharded);
  std::vector<uint64_t> all(worldSize);
  MPI_Allgather(&mine, 1, MPI_UINT64_T, all.data(), 1, MPI_UINT64_T,
                MPI_COMM_WORLD);
  for (uint64_t h : all)
    check(h == mine, name + ": parameters differ between ranks");
  // Against the unsharded run. The batch's mean gradient is summed in
  // another order (per slice, then across ranks), so agreement is to the
  // last bits of f32, not exact.
  double worst = 0, largest = 0;
  for (auto [pa, pb] :
       llvm::zip(std::vector<std::vector<float> *>{&sharded.w1, &sharded.b1,
                                                   &sharded.w2, &sharded.b2},
                 std::vector<std::vector<float> *>{&reference.w1,
                                                   &reference.b1,
                                                   &reference.w2,
                                                   &reference.b2}))
    for (auto [x, y] : llvm::zip(*pa, *pb)) {
      worst = std::max(worst, std::fabs(double(x) - double(y)));
      largest = std::max(largest, std::fabs(double(y)));
    }
  worst /= largest;
  check(worst <= tolerance,
        llvm::formatv("{0}: parameters {1:e} (relative) from "
                      "the unsharded run",
                      name, worst)
            .str());
  double shardedLoss = sharded.run(data, evalRows, false);
  double referenceLoss = reference.run(data, evalRows, false);
  check(referenceLoss < 0.5 * firstLoss, name + ": the loss did not fall");
  check(std::fabs(shardedLoss - referenceLoss) <=
            (coded ? 1e-3 : 1e-5) * referenceLoss,
        llvm::formatv("{0}: held-out loss {1} vs {2} unsharded", name,
                      shardedLoss, referenceLoss)
            .str());
  if (maxGradNorm > 0)
    check(worstNorm <= 1e-5,
          llvm::formatv("{0}: gradient norm {1:e} (relative) from the "
                        "unsharded one",
                        name, worstNorm)
              .str());
  if (rank == 0)
    llvm::outs() << llvm::formatv(
        "  {0}: W={1}, {2} steps of {3} rows ({4} per rank): held-out loss "
        "{5:f6} -> {6:f6} (unsharded {7:f6}); parameters within {8:e} "
        "relative{9}\n",
        name, worldSize, kSteps, kBatch, per, firstLoss, shardedLoss,
        referenceLoss, worst,
        maxGradNorm > 0
            ? llvm::formatv("; gradient norms within {0:e}", worstNorm).str()
            : std::string());
}
} // namespace

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &worldSize);
  {
    CompilerOptions compilerOptions;
    compilerOptions.numThreads = 1;
    auto compiler = unwrap(Compiler::create(compilerOptions), "compiler");
    auto comm = unwrap(MpiCommunicator::create(MPI_COMM_WORLD), "comm");
    if (rank == 0)
      llvm::outs() << comm->getName() << ", " << worldSize
                   << " ranks, optim-train's model\n";
    trainBoth(*compiler, *comm, /*maxGradNorm=*/0);
    trainBoth(*compiler, *comm, /*maxGradNorm=*/0.5);
    trainBoth(*compiler, *comm, /*maxGradNorm=*/0, MomentStorage::blockwise8,
              /*hidden=*/256);
  }
  int total = 0;
  MPI_Allreduce(&failures, &total, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  if (rank == 0)
    llvm::outs() << (total ? "FAILED" : "PASSED") << " on " << worldSize
                 << " ranks (" << total << " failures)\n";
  MPI_Finalize();
  return total ? 1 : 0;
}
