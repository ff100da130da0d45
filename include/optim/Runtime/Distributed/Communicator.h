//===- Communicator.h - the collectives of a sharded step -------*- C++ -*-===//
//
// The few collectives ShardedOptimizer needs, over a fixed group of ranks.
// The optimizer is written against this interface only: MpiCommunicator
// (MpiCommunicator.h) implements it with MPI on host buffers; a GPU
// implementation would call NCCL on device buffers (see the README's design
// note). Every call is collective: each rank of the group makes the same
// calls, in the same order, with the same counts.
//
//===----------------------------------------------------------------------===//

#ifndef OPTIM_RUNTIME_DISTRIBUTED_COMMUNICATOR_H
#define OPTIM_RUNTIME_DISTRIBUTED_COMMUNICATOR_H

#include "optim/Runtime/StepConfig.h"

#include "llvm/Support/Error.h"

#include <cstdint>

namespace optim {
namespace distributed {

/// The largest block a collective moves per rank, in elements: MPI's counts
/// are `int`.
constexpr int64_t kMaxBlockElements = (int64_t(1) << 31) - 1;

class Communicator {
public:
  virtual ~Communicator();

  virtual int getRank() const = 0;
  virtual int getSize() const = 0;
  /// A short name for messages and reports, e.g. "MPICH 4.0.2".
  virtual std::string getName() const = 0;

  /// `send` holds getSize() blocks of `blockElements` elements of `type`;
  /// on return `recv` holds block getRank() of their element-wise sum over
  /// the ranks. The order of the additions is the implementation's.
  virtual llvm::Error reduceScatterSum(const void *send, void *recv,
                                       int64_t blockElements,
                                       ElementType type) = 0;

  /// In place: `buffer` holds getSize() blocks of `blockBytes` bytes, block
  /// getRank() this rank's; on return every block holds its owner's bytes.
  virtual llvm::Error allGatherInPlace(void *buffer, int64_t blockBytes) = 0;

  /// `recv` (getSize() * `bytes` bytes) receives every rank's `bytes` bytes
  /// at `send`, in rank order. For small control messages.
  virtual llvm::Error allGather(const void *send, void *recv,
                                int64_t bytes) = 0;

  /// Replaces each of `values` by its maximum over the ranks.
  virtual llvm::Error allReduceMax(double *values, int count) = 0;
};

} // namespace distributed
} // namespace optim

#endif // OPTIM_RUNTIME_DISTRIBUTED_COMMUNICATOR_H
