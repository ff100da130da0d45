//===- MapQuantBlocks.h - 8-bit moment blocks to gpu.launch -----*- C++ -*-===//

#ifndef OPTIM_LIB_CODEGEN_GPU_MAPQUANTBLOCKS_H
#define OPTIM_LIB_CODEGEN_GPU_MAPQUANTBLOCKS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace mlir::optim {

struct QuantBlockMappingOptions {
  int64_t maxBlocks;
  bool preciseMath;
  /// Added to the block stride, to test that a wrong stride is caught.
  int64_t testStrideOffset;
};

/// Maps the block loops of 8-bit moments in `func` (per parameter, the
/// scf.for over its whole blocks and the scf.if of its partial last block,
/// as convert-optim-to-linalg emits them) to one gpu.launch each. With a
/// group `table` (the function argument marked optim.group_table) `func`
/// must hold one such parameter, the template of every tensor of the
/// table, and its launch takes the blocks of them all.
LogicalResult mapQuantBlockLoops(func::FuncOp func,
                                 const QuantBlockMappingOptions &options,
                                 Value table = nullptr);

} // namespace mlir::optim

#endif // OPTIM_LIB_CODEGEN_GPU_MAPQUANTBLOCKS_H
