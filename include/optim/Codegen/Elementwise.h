//===- Elementwise.h - the generics the schedules take ----------*- C++ -*-===//

#ifndef OPTIM_CODEGEN_ELEMENTWISE_H
#define OPTIM_CODEGEN_ELEMENTWISE_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"

namespace mlir::optim {

/// Marks the generics of one block of a blockwise-quantised tensor (8-bit
/// moments): a decode-update, a block reduction and an encode, inside the
/// serial loop over the tensor's blocks. The CPU schedule only vectorises
/// them (a block is already part of a thread's share); the GPU mapping
/// gives each block a block of threads.
inline constexpr llvm::StringLiteral kQuantBlockAttr = "optim.quant_block";

/// Marks the first op of a parameter's stochastic-rounding key derivation:
/// its first operand is the parameter's stream (stream base + its index).
/// The GPU's group-table form recomputes the chain from there per tensor,
/// with the stream the table row holds.
inline constexpr llvm::StringLiteral kRoundingStreamAttr =
    "optim.rounding_stream";

/// A 1-d, all-parallel, identity-indexed linalg.generic on memrefs: what
/// convert-optim-to-linalg produces for a contiguous parameter, and what
/// both back ends' schedules (CPU vectorisation, GPU mapping) take.
inline bool isFlatElementwiseGeneric(linalg::GenericOp op) {
  return op.hasPureBufferSemantics() && op.getNumLoops() == 1 &&
         op.getNumParallelLoops() == 1 &&
         llvm::all_of(op.getIndexingMapsArray(),
                      [](AffineMap map) { return map.isIdentity(); });
}

} // namespace mlir::optim

#endif // OPTIM_CODEGEN_ELEMENTWISE_H
