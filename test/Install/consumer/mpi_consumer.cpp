//===- mpi_consumer.cpp - the sharded optimizer from the installed package ===//
//
// Links Optim::MPI and runs one sharded AdamW step on a single rank (MPI
// started as a singleton, without a launcher), checked against the plain
// Optimizer's step on the same gradient.
//
//===----------------------------------------------------------------------===//

#include "optim/Runtime/Distributed/MpiCommunicator.h"
#include "optim/Runtime/Distributed/ShardedOptimizer.h"
#include "optim/Runtime/Optimizer.h"

#include "llvm/Support/raw_ostream.h"

#include <mpi.h>

#include <vector>

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int status = 0;
  {
    auto compiler = llvm::cantFail(optim::Compiler::create());
    auto comm = llvm::cantFail(
        optim::distributed::MpiCommunicator::create(MPI_COMM_WORLD));
    std::vector<float> sharded(1000, 0.5f), plain = sharded, g(1000, 0.1f);
    optim::StepConfig config = optim::StepConfig::forPreset(
        optim::Preset::TorchAdamW, optim::ElementType::f32);
    optim::StepScalars hyper =
        optim::StepScalars::forPreset(optim::Preset::TorchAdamW);
    auto opt = llvm::cantFail(optim::distributed::ShardedOptimizer::create(
        *compiler, *comm, config, hyper,
        {{sharded.data(), int64_t(sharded.size())}}));
    auto reference = llvm::cantFail(optim::Optimizer::create(
        *compiler, optim::AdamWOptions(), {plain}));
    llvm::cantFail(opt->step({g.data()}));
    llvm::cantFail(reference->step({g.data()}));
    if (sharded != plain) {
      llvm::errs() << "the sharded step differs from the plain one\n";
      status = 1;
    } else {
      llvm::outs() << "one sharded step on " << comm->getName()
                   << ": matches the plain step\n";
    }
  }
  MPI_Finalize();
  return status;
}
