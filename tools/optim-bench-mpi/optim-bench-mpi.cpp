//===- optim-bench-mpi.cpp - the sharded step's time against ranks -------===//
//
// Run under mpirun with 1, 2, 4, ... ranks:
//
//   mpirun -np 4 optim-bench-mpi --elements=4194304
//
// Each rank steps a ShardedOptimizer over the same parameter group; rank 0
// prints the step time split into its phases (the slowest rank's time for
// each), the unsharded step on one rank for comparison, and a cost model
// of the ring reduce-scatter + all-gather,
//
//   t_comm(W) = 2 (W - 1) alpha + 2 (W - 1) / W * B / beta,
//
// B the parameter bytes, alpha the latency of one ring step and beta the
// bandwidth of one link. With 2 ranks or more, alpha and beta are measured
// here (ping-pong between ranks 0 and 1, with 8 bytes and with the chunk a
// ring step moves) and the model is compared with the measured
// communication; then it is extrapolated to 8..1024 ranks on this link and
// on a stated network (--net-bandwidth, --net-latency).
//
//===----------------------------------------------------------------------===//

#include "optim/Runtime/Distributed/MpiCommunicator.h"
#include "optim/Runtime/Distributed/ShardedOptimizer.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <vector>

using namespace llvm;
using namespace optim;
using namespace optim::distributed;

static cl::OptionCategory benchCategory("optim-bench-mpi options");
static cl::opt<int64_t> numElements("elements", cl::init(int64_t(1) << 22),
                                    cl::desc("Parameter elements (f32)"),
                                    cl::cat(benchCategory));
static cl::opt<int> numTensors("tensors", cl::init(8),
                               cl::desc("Tensors the elements are split into"),
                               cl::cat(benchCategory));
static cl::opt<int> numSteps("steps", cl::init(20),
                             cl::desc("Timed steps"), cl::cat(benchCategory));
static cl::opt<int> numThreads("num-threads", cl::init(1),
                               cl::desc("Threads of each rank's step"),
                               cl::cat(benchCategory));
static cl::opt<double> netBandwidth(
    "net-bandwidth", cl::init(12.5),
    cl::desc("Link bandwidth of the modelled network, GB/s (12.5: 100 Gb/s)"),
    cl::cat(benchCategory));
static cl::opt<double> netLatency(
    "net-latency", cl::init(5.0),
    cl::desc("Latency of one ring step on the modelled network, us"),
    cl::cat(benchCategory));
static cl::opt<bool> jsonOutput("json", cl::desc("One JSON record instead of text"),
                          cl::cat(benchCategory));

namespace {
using Clock = std::chrono::steady_clock;
double now() {
  return std::chrono::duration<double>(Clock::now().time_since_epoch())
      .count();
}

/// One-way time of a `bytes` message between ranks 0 and 1 (ping-pong).
double pingPong(int rank, int64_t bytes) {
  std::vector<char> buffer(std::max<int64_t>(bytes, 1));
  constexpr int kReps = 20;
  MPI_Barrier(MPI_COMM_WORLD);
  double start = now();
  for (int i = 0; i < kReps; ++i) {
    if (rank == 0) {
      MPI_Send(buffer.data(), bytes, MPI_BYTE, 1, 0, MPI_COMM_WORLD);
      MPI_Recv(buffer.data(), bytes, MPI_BYTE, 1, 0, MPI_COMM_WORLD,
               MPI_STATUS_IGNORE);
    } else if (rank == 1) {
      MPI_Recv(buffer.data(), bytes, MPI_BYTE, 0, 0, MPI_COMM_WORLD,
               MPI_STATUS_IGNORE);
      MPI_Send(buffer.data(), bytes, MPI_BYTE, 0, 0, MPI_COMM_WORLD);
    }
  }
  double oneWay = (now() - start) / (2 * kReps);
  MPI_Bcast(&oneWay, 1, MPI_DOUBLE, 0, MPI_COMM_WORLD);
  return oneWay;
}

/// A failure on one rank would leave the others waiting: end the job.
[[noreturn]] void die(Error error) {
  errs() << "error: " << toString(std::move(error)) << "\n";
  MPI_Abort(MPI_COMM_WORLD, 1);
  std::abort();
}

double ringTime(int w, double bytes, double alpha, double beta) {
  return w == 1 ? 0 : 2.0 * (w - 1) * alpha + 2.0 * (w - 1) / w * bytes / beta;
}

int run(int rank, int worldSize) {
  CompilerOptions compilerOptions;
  compilerOptions.numThreads = numThreads;
  auto compiler = Compiler::create(compilerOptions);
  auto comm = compiler ? MpiCommunicator::create(MPI_COMM_WORLD)
                       : Expected<std::unique_ptr<MpiCommunicator>>(
                             compiler.takeError());
  if (!comm)
    die(comm.takeError());
  StepConfig config =
      StepConfig::forPreset(Preset::TorchAdamW, ElementType::f32);
  StepScalars hyper = StepScalars::forPreset(Preset::TorchAdamW);
  std::vector<std::vector<float>> params, grads;
  std::vector<ShardedParam> refs;
  std::vector<const void *> gradPtrs;
  int64_t left = numElements;
  for (int t = 0; t < numTensors; ++t) {
    int64_t n = t + 1 == numTensors ? left : numElements / numTensors;
    left -= n;
    params.emplace_back(n, 0.5f);
    grads.emplace_back(n, 0.01f * (rank + 1));
    refs.push_back({params.back().data(), n});
    gradPtrs.push_back(grads.back().data());
  }
  auto opt = ShardedOptimizer::create(**compiler, **comm, config, hyper, refs);
  if (!opt)
    die(opt.takeError());
  for (int i = 0; i < 3; ++i)
    if (Error e = (*opt)->step(gradPtrs))
      die(std::move(e));
  (*opt)->resetTimings();
  // Steps start together: a late rank's lag is not charged to the
  // collectives of the others.
  for (int i = 0; i < numSteps; ++i) {
    MPI_Barrier(MPI_COMM_WORLD);
    if (Error e = (*opt)->step(gradPtrs))
      die(std::move(e));
  }
  const ShardedTimings &t = (*opt)->getTimings();
  double phases[] = {t.pack,    t.reduceScatter, t.update,
                     t.unpack,  t.allGather,     t.agree};
  for (double &p : phases)
    p /= t.steps;
  MPI_Allreduce(MPI_IN_PLACE, phases, 6, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  ShardedMemory memory = (*opt)->getMemory();

  // The unsharded step, rank 0 alone, on its own full moments.
  double unsharded = 0;
  if (rank == 0) {
    auto step = cantFail((*compiler)->getStep(config));
    std::vector<std::vector<float>> m, v;
    std::vector<ParamBuffers> buffers;
    for (int i = 0; i < numTensors; ++i) {
      m.emplace_back(params[i].size(), 0.f);
      v.emplace_back(params[i].size(), 0.f);
      ParamBuffers b;
      b.param = params[i].data();
      b.grad = grads[i].data();
      b.expAvg = m.back().data();
      b.expAvgSq = v.back().data();
      b.numElements = params[i].size();
      buffers.push_back(b);
    }
    StepScalars s = hyper;
    std::vector<double> times;
    for (int i = 0; i < numSteps + 3; ++i) {
      double start = now();
      cantFail(step->run(buffers, s));
      if (i >= 3)
        times.push_back(now() - start);
    }
    std::sort(times.begin(), times.end());
    unsharded = times[times.size() / 2];
  }
  MPI_Barrier(MPI_COMM_WORLD);

  double bytes = double(numElements) * sizeof(float);
  double alpha = 0, beta = 0;
  if (worldSize >= 2) {
    alpha = pingPong(rank, 8);
    int64_t chunk = (*opt)->getLayout().shardElements * sizeof(float);
    beta = chunk / std::max(pingPong(rank, chunk) - alpha, 1e-9);
  }
  if (rank != 0)
    return 0;

  double commTime = phases[1] + phases[4] + phases[5];
  double step = 0;
  for (double p : phases)
    step += p;
  double linkBytes = 2.0 * (worldSize - 1) / worldSize * bytes;
  double modelled = ringTime(worldSize, bytes, alpha, beta);
  std::string name = (*comm)->getName();
  if (jsonOutput) {
    // json::OStream escapes: MPICH's name holds a tab.
    llvm::json::OStream record(outs());
    record.object([&] {
      record.attribute("mpi", name);
      record.attribute("ranks", worldSize);
      record.attribute("elements", int64_t(numElements));
      record.attribute("step_ms", step * 1e3);
      const char *phaseNames[] = {"pack_ms",   "reduce_scatter_ms",
                                  "update_ms", "unpack_ms",
                                  "all_gather_ms", "agree_ms"};
      for (auto [phaseName, seconds] : llvm::zip(phaseNames, phases))
        record.attribute(phaseName, seconds * 1e3);
      record.attribute("communication_ms", commTime * 1e3);
      record.attribute("unsharded_update_ms", unsharded * 1e3);
      record.attribute("state_bytes_per_rank", int64_t(memory.stateBytes));
      record.attribute("link_bytes", linkBytes);
      record.attribute("alpha_us", alpha * 1e6);
      record.attribute("beta_gbs", beta / 1e9);
      record.attribute("modelled_communication_ms", modelled * 1e3);
    });
    outs() << "\n";
    return 0;
  }
  outs() << formatv("{0}, {1} ranks, AdamW f32, {2} elements in {3} tensors "
                    "({4:f1} MB), {5} thread(s) per rank, {6} steps\n",
                    name, worldSize, int64_t(numElements), int(numTensors),
                    bytes / 1e6, int(numThreads), int(numSteps));
  outs() << formatv(
      "step {0:f3} ms = pack {1:f3} + reduce-scatter {2:f3} + update {3:f3} "
      "+ copy back {4:f3} + all-gather {5:f3} + agree {6:f3}\n",
      step * 1e3, phases[0] * 1e3, phases[1] * 1e3, phases[2] * 1e3,
      phases[3] * 1e3, phases[4] * 1e3, phases[5] * 1e3);
  outs() << formatv("communication {0:f3} ms ({1:f0}% of the step); "
                    "unsharded update on one rank {2:f3} ms\n",
                    commTime * 1e3, 100 * commTime / step, unsharded * 1e3);
  outs() << formatv("state per rank {0} bytes (unsharded {1})\n",
                    memory.stateBytes, int64_t(2 * bytes));
  if (worldSize < 2)
    return 0;
  outs() << formatv(
      "link (ranks 0-1 ping-pong): alpha {0:f2} us, beta {1:f2} GB/s; ring "
      "model for {2} ranks: {3:f3} ms (2(W-1)/W x {4:f1} MB = {5:f1} MB per "
      "link) vs {6:f3} ms measured ({7:f2}x)\n",
      alpha * 1e6, beta / 1e9, worldSize, modelled * 1e3, bytes / 1e6,
      linkBytes / 1e6, commTime * 1e3, commTime / modelled);
  outs() << "model (update = this run's x W / W'; pack and copy back stay "
            "O(elements)):\n";
  outs() << "   ranks | state/rank MB | update ms | comm ms (this link) | "
            "comm ms (net) | step ms (net) | comm % (net)\n";
  double perUpdate = phases[2] * worldSize;
  double copies = phases[0] + phases[3];
  double netBeta = netBandwidth * 1e9, netAlpha = netLatency * 1e-6;
  for (int w : {8, 16, 64, 256, 1024}) {
    double update = perUpdate / w;
    double here = ringTime(w, bytes, alpha, beta);
    double net = ringTime(w, bytes, netAlpha, netBeta);
    double total = update + copies + net;
    outs() << formatv("  {0,6} | {1,13:f2} | {2,9:f3} | {3,19:f3} | {4,13:f3} "
                      "| {5,13:f3} | {6,11:f0}\n",
                      w, 2 * bytes / w / 1e6, update * 1e3, here * 1e3,
                      net * 1e3, total * 1e3, 100 * net / total);
  }
  return 0;
}
} // namespace

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  cl::HideUnrelatedOptions(benchCategory);
  cl::ParseCommandLineOptions(argc, argv,
                              "The sharded optimizer step against ranks\n");
  int rank = 0, worldSize = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &worldSize);
  int status = 1;
  // Two f32 vectors per element on every rank (parameters and gradients)
  // and the shard's state: bounded before anything is allocated.
  constexpr int64_t kMaxElements = int64_t(1) << 32;
  if (numElements < worldSize || numElements > kMaxElements ||
      numTensors < 1 || numTensors > numElements || numSteps < 1 ||
      numThreads < 0 || !(netBandwidth > 0) || !std::isfinite(netBandwidth) ||
      !(netLatency >= 0) || !std::isfinite(netLatency)) {
    if (rank == 0)
      errs() << "error: need ranks <= --elements <= 2^32, 1 <= --tensors <= "
                "--elements, --steps >= 1, --num-threads >= 0, a finite "
                "--net-bandwidth > 0 and a finite --net-latency >= 0\n";
  } else {
    status = run(rank, worldSize);
  }
  MPI_Finalize();
  return status;
}
