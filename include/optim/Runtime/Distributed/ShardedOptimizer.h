//===- ShardedOptimizer.h - a ZeRO-1 sharded optimizer step -----*- C++ -*-===//
//
// Data-parallel training where each of W ranks keeps 1/W of the optimizer
// state (DeepSpeed's ZeRO stage 1, PyTorch's ZeroRedundancyOptimizer). The
// group's parameters are viewed as one flat index space [0, T), padded to
// W * S elements and split into W contiguous shards of S; rank r owns
// [r * S, (r + 1) * S). Each step:
//
//   1. the gradients are reduce-scattered: rank r receives the sum (or the
//      mean) over the ranks of its shard's gradients;
//   2. the JIT-compiled fused step updates the shard's parameters and
//      moments (the shard may span several tensors, or part of one);
//   3. the updated parameters are all-gathered in place, so every rank ends
//      the step with the same parameters.
//
// Moments exist only for the local shard. Creation, step and importState
// are collective: every rank of the communicator calls them in the same
// order. Ranks that disagree (configuration, parameter sizes, initial
// values, hyperparameters, a step's scalars) all get the same error before
// anything is written.
//
//   auto comm = cantFail(distributed::MpiCommunicator::create(MPI_COMM_WORLD));
//   auto opt = cantFail(distributed::ShardedOptimizer::create(
//       *compiler, *comm, config, hyper, {{w, nw}, {b, nb}}));
//   for (...) { localGrads(); cantFail(opt->step({dw, db})); }
//
//===----------------------------------------------------------------------===//

#ifndef OPTIM_RUNTIME_DISTRIBUTED_SHARDEDOPTIMIZER_H
#define OPTIM_RUNTIME_DISTRIBUTED_SHARDEDOPTIMIZER_H

#include "optim/Runtime/Compiler.h"
#include "optim/Runtime/Distributed/Communicator.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

namespace optim {
namespace distributed {

/// A parameter updated in place: `numElements` contiguous elements of the
/// configuration's parameter type, owned by the caller.
struct ShardedParam {
  void *data = nullptr;
  int64_t numElements = 0;
};

/// How the ranks' gradients combine.
enum class GradReduction { Sum, Mean };

struct ShardedOptions {
  GradReduction reduction = GradReduction::Mean;
};

/// The flat index space and this rank's part of it.
struct ShardLayout {
  int rank = 0;
  int worldSize = 1;
  /// T: the parameters' elements. With 8-bit moments each tensor starts on
  /// a multiple of 256 (a quantisation block), and T counts the gaps.
  int64_t totalElements = 0;
  /// S: elements per shard, T / W rounded up to whole 64-byte lines (with
  /// 8-bit moments to whole blocks of 256, so that shards update whole
  /// blocks: the result does not depend on the number of ranks).
  int64_t shardElements = 0;
  /// This rank's shard is [shardBegin, shardBegin + shardElements); the part
  /// at or beyond T is padding.
  int64_t shardBegin = 0;
  /// Elements of the shard below T: the ones this rank updates.
  int64_t ownedElements = 0;
};

/// Memory this rank's optimizer holds, in bytes.
struct ShardedMemory {
  /// Moments (and AMSGrad's maximum) of the local shard: S elements each
  /// (with 8-bit moments the shard's codes and f32 parts, and its absmaxes).
  int64_t stateBytes = 0;
  /// Communication buffers: the flat W * S gradient / parameter buffer and
  /// the reduced shard of S gradients.
  int64_t bufferBytes = 0;
};

/// Where the time of the steps went, in seconds, summed over steps.
struct ShardedTimings {
  /// Copying the gradients into the flat buffer.
  double pack = 0;
  double reduceScatter = 0;
  /// The fused step on the local shard.
  double update = 0;
  /// Copying the shard's parameters out, and the gathered ones back.
  double unpack = 0;
  double allGather = 0;
  /// The per-step agreement check (one small all-reduce).
  double agree = 0;
  int64_t steps = 0;

  double communication() const { return reduceScatter + allGather + agree; }
  double total() const {
    return pack + reduceScatter + update + unpack + allGather + agree;
  }
};

class ShardedOptimizer {
public:
  /// Collective. `hyper` holds lr, betas, eps, weight decay and the
  /// preprocessing scalars; its `step` is the count of the first step. Every
  /// rank must pass the same configuration, hyperparameters, parameter sizes
  /// and initial parameter values; otherwise every rank returns the same
  /// error. `comm` must outlive the optimizer.
  ///
  /// Stochastic rounding (AdamVariant::stochasticRounding, bf16 params):
  /// `hyper.roundingSeed` is the seed and `hyper.roundingStream` the first
  /// tensor's stream. Step t draws with offset t and tensor k with stream
  /// roundingStream + k, each element by its index in the whole tensor, so
  /// every element rounds as in the unsharded step on the same gradients,
  /// whatever the number of ranks.
  ///
  /// As in Optimizer (StepScalars::verifyEdits), `hyper.foundInf` must be
  /// 0 and `hyper.maxGradNorm` is for a configuration that clips; this
  /// holds at every step too, with `hyper.step` unchanged.
  static llvm::Expected<std::unique_ptr<ShardedOptimizer>>
  create(Compiler &compiler, Communicator &comm, const StepConfig &config,
         const StepScalars &hyper, std::vector<ShardedParam> params,
         const ShardedOptions &options = {});
  ~ShardedOptimizer();

  /// Collective: one step with this rank's gradients, `grads[i]` for
  /// parameter i. `foundInf` non-zero on any rank skips the step on every
  /// rank (nothing changes, the count does not advance). A step whose
  /// scalars or step count differ between ranks, or that any rank rejects,
  /// fails on every rank with nothing written.
  llvm::Error step(llvm::ArrayRef<const void *> grads, double foundInf = 0.0);

  /// Takes effect at the next step; every rank must set the same value.
  void setLearningRate(double lr) { hyper.lr = lr; }
  double getLearningRate() const { return hyper.lr; }
  StepScalars &getHyperParameters() { return hyper; }
  int64_t getStepCount() const { return stepCount; }
  /// Global-norm clipping (AdamVariant::clipGradNorm): the norm of the
  /// last step's reduced gradients over all ranks (the same on every rank),
  /// NaN before the first step and after importState. Each rank sums the
  /// squares of its shard in the norm pass; the W partial sums are gathered
  /// and added in rank order, so the norm does not depend on the MPI
  /// library's reduction order.
  double getLastGradNorm() const { return lastGradNorm; }

  const ShardLayout &getLayout() const { return layout; }
  ShardedMemory getMemory() const;
  const ShardedTimings &getTimings() const { return timings; }
  void resetTimings() { timings = {}; }

  /// This rank's moments (moment element type), S elements each; element i
  /// belongs to flat index getLayout().shardBegin + i. With 8-bit moments
  /// (MomentStorage::blockwise8) each buffer holds the shard's part of
  /// each tensor in turn, codes for a coded tensor (hasQuantizedMoments of
  /// the whole tensor) and f32 otherwise, each part from a 64-byte line;
  /// the absmaxes have an entry per 256 elements of the shard.
  const void *getExpAvg() const { return expAvg.get(); }
  const void *getExpAvgSq() const { return expAvgSq.get(); }
  const void *getMaxExpAvgSq() const { return maxExpAvgSq.get(); }
  const float *getExpAvgAbsmax() const {
    return reinterpret_cast<const float *>(expAvgAbsmax.get());
  }
  const float *getExpAvgSqAbsmax() const {
    return reinterpret_cast<const float *>(expAvgSqAbsmax.get());
  }

  /// This rank's shard of the state:
  ///
  ///   optim-sharded-state-v2 <config key> <ranks> <rank> <elements>
  ///       <shard elements> <steps taken> <tensors> <sizes' xxh3, hex>
  ///       <run, hex>\n
  ///   <exp_avg> <exp_avg_sq> [<max_exp_avg_sq>]   (S raw moment elements;
  ///       with 8-bit moments the buffers as getExpAvg() describes them,
  ///       then the two absmax arrays)
  ///   xxh3 <16 hex digits>\n
  std::string exportState() const;
  /// Collective: restores the shard exportState wrote on this rank with the
  /// same number of ranks. Rejects another format, a damaged blob, another
  /// configuration, tensor count or sizes, number of ranks or rank, moments no
  /// step produces, and checkpoints of different steps or runs on different
  /// ranks;
  /// if any rank rejects, every rank returns the same error and nothing
  /// changes anywhere.
  llvm::Error importState(llvm::StringRef blob);
  /// Collective: re-shards. `shards` are every shard of a checkpoint (in
  /// any order), saved with any number of ranks; each rank takes the part
  /// of its new shard it needs. Same checks and guarantees as importState.
  llvm::Error importState(llvm::ArrayRef<llvm::StringRef> shards);

private:
  struct Buffer {
    void operator()(void *p) const;
  };
  using Storage = std::unique_ptr<char, Buffer>;
  struct ParsedShard;

  ShardedOptimizer(std::shared_ptr<const CompiledStep> compiled,
                   Communicator &comm, const StepScalars &hyper,
                   std::vector<ShardedParam> params, ShardLayout layout,
                   const ShardedOptions &options);
  /// The shard's state and buffers, and the kernel's pieces.
  llvm::Error allocate();
  /// Bytes of one moment buffer for the flat range [lo, hi) (FlatLayout.h).
  int64_t getMomentBytes(int64_t lo, int64_t hi) const;
  /// Bytes of one moment buffer of the shard [begin, begin + S).
  int64_t getShardMomentBytes(int64_t begin, int64_t shardElements) const;
  llvm::Error parseShard(llvm::StringRef blob, ParsedShard &out) const;
  /// Agrees with the other ranks on `local` (this rank's verdict on
  /// `shards`), then copies the shards' overlap with this rank's shard.
  llvm::Error commitShards(llvm::ArrayRef<ParsedShard> shards,
                           llvm::Error local);

  std::shared_ptr<const CompiledStep> compiled;
  Communicator &comm;
  StepScalars hyper;
  std::vector<ShardedParam> params;
  ShardLayout layout;
  ShardedOptions options;
  /// The tensors' sizes and their first indices in the flat space
  /// (FlatLayout.h; one more entry, the extent T).
  std::vector<int64_t> sizes, flatOffsets;
  Storage expAvg, expAvgSq, maxExpAvgSq;
  /// Bytes of each moment buffer.
  int64_t momentBytes = 0;
  /// With 8-bit moments: S / 256 absmaxes each, entry j for the block at
  /// flat index shardBegin + 256 j.
  Storage expAvgAbsmax, expAvgSqAbsmax;
  /// W * S parameter-type elements: gradients in, parameters out.
  Storage flat;
  /// The reduced gradients of the shard (S elements).
  Storage shardGrad;
  /// The kernel's arguments: the pieces of the tensors the shard covers.
  std::vector<ParamBuffers> pieces;
  /// Where pieces[0] starts: its tensor's index in the group and its first
  /// element's index in that tensor (stochastic rounding draws by them).
  uint64_t firstTensor = 0, firstElement = 0;
  int64_t firstStep;
  int64_t stepCount = 0;
  /// Names the run in checkpoints (rank 0's random number at creation, or
  /// the restored checkpoint's): ranks restoring shards of two runs refuse.
  uint64_t runId = 0;
  double lastGradNorm = std::numeric_limits<double>::quiet_NaN();
  ShardedTimings timings;
};

} // namespace distributed
} // namespace optim

#endif // OPTIM_RUNTIME_DISTRIBUTED_SHARDEDOPTIMIZER_H
