//===- MapReductionsToGPU.h - sum reductions to gpu.launch ------*- C++ -*-===//

#ifndef OPTIM_LIB_CODEGEN_GPU_MAPREDUCTIONSTOGPU_H
#define OPTIM_LIB_CODEGEN_GPU_MAPREDUCTIONSTOGPU_H

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace mlir::optim {

struct ReductionMappingOptions {
  int64_t blockSize;
  int64_t maxBlocks;
  /// Added to the grid stride, to test that a wrong stride is caught.
  int64_t testStrideOffset;
};

/// Maps each run of flat sum reductions into one 0-d accumulator (what
/// optim.global_norm lowers to: one generic per gradient) to one
/// gpu.launch: per-thread partial sums over grid-stride loops, a tree in
/// shared memory per block, one partial per block in host-shared memory,
/// which the host adds to the accumulator in block order.
LogicalResult mapSumReductions(func::FuncOp func,
                               const ReductionMappingOptions &options);

} // namespace mlir::optim

#endif // OPTIM_LIB_CODEGEN_GPU_MAPREDUCTIONSTOGPU_H
