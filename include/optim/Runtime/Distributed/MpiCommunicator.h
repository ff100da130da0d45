//===- MpiCommunicator.h - the sharded step's collectives over MPI -*- C++ -*-//
//
// Communicator on an MPI communicator. Works with MPICH and Open MPI (the
// implementation is chosen when optim is configured: OPTIM_MPI).
//
//   MPI_Init(&argc, &argv);
//   auto comm = cantFail(optim::distributed::MpiCommunicator::create(
//       MPI_COMM_WORLD));
//   ... ShardedOptimizer::create(*compiler, *comm, ...) ...
//   comm.reset();      // before MPI_Finalize
//   MPI_Finalize();
//
//===----------------------------------------------------------------------===//

#ifndef OPTIM_RUNTIME_DISTRIBUTED_MPICOMMUNICATOR_H
#define OPTIM_RUNTIME_DISTRIBUTED_MPICOMMUNICATOR_H

#include "optim/Runtime/Distributed/Communicator.h"

#include <mpi.h>

#include <memory>

namespace optim {
namespace distributed {

class MpiCommunicator final : public Communicator {
public:
  /// Duplicates `comm` (collective over it), so that the optimizer's
  /// messages never match the caller's, and sets MPI_ERRORS_RETURN on the
  /// duplicate: a failure MPI reports becomes an llvm::Error instead of
  /// aborting the job. MPI must be initialised.
  static llvm::Expected<std::unique_ptr<MpiCommunicator>>
  create(MPI_Comm comm);
  /// Frees the duplicate (collective); call it before MPI_Finalize.
  ~MpiCommunicator() override;

  int getRank() const override { return rank; }
  int getSize() const override { return size; }
  std::string getName() const override;

  llvm::Error reduceScatterSum(const void *send, void *recv,
                               int64_t blockElements,
                               ElementType type) override;
  llvm::Error allGatherInPlace(void *buffer, int64_t blockBytes) override;
  llvm::Error allGather(const void *send, void *recv, int64_t bytes) override;
  llvm::Error allReduceMax(double *values, int count) override;

  MPI_Comm getComm() const { return comm; }

private:
  MpiCommunicator(MPI_Comm comm, int rank, int size);

  MPI_Comm comm;
  int rank, size;
  /// Sums of f16 and bf16 elements (MPI has no such types): user reduction
  /// operations over MPI_UINT16_T, created on first use.
  MPI_Op halfSum = MPI_OP_NULL, bfloatSum = MPI_OP_NULL;
};

} // namespace distributed
} // namespace optim

#endif // OPTIM_RUNTIME_DISTRIBUTED_MPICOMMUNICATOR_H
