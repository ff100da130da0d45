//===- KernelBody.h - a generic's body as kernel code -----------*- C++ -*-===//
//
// What the GPU mappings share: the body of an element-wise linalg.generic
// cloned for one element or one vector, with the device's precise sqrt, and
// the walk over a group table and the views of the buffers it describes.
//
//===----------------------------------------------------------------------===//

#ifndef OPTIM_LIB_CODEGEN_GPU_KERNELBODY_H
#define OPTIM_LIB_CODEGEN_GPU_KERNELBODY_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"

namespace mlir::optim {

/// Whether a kernel can hold `op`'s body: the values it uses from outside
/// are scalars (integers, floats, indices; the kernel's parameters) or
/// constant tables (`bufferization.to_tensor` of a `memref.get_global`).
bool isKernelBody(linalg::GenericOp op);

/// Whether `op`'s body can be cloned for vectors: every op that depends on
/// the element (its block arguments, `linalg.index`) is a vectorisable op
/// on scalars, without regions; table lookups and nested regions are
/// scalar only, unless their values are uniform.
bool isVectorizableBody(linalg::GenericOp op);

/// Clones the body of `op` (block arguments already mapped in `mapping`)
/// for one element (`width` = 0) or one vector of `width` elements at
/// `index` (`op` must then satisfy isVectorizableBody), and returns the
/// values it yields. Ops that do not depend on the element are uniform:
/// cloned as they are, and broadcast where a vector op uses them; values
/// from outside the body map through `mapping` (to scalars) or stay;
/// `linalg.index` is `index` (plus the lanes); a lookup in a constant
/// table (`tensor.extract` of a `memref.get_global`) becomes a load of the
/// global; with `preciseMath`, an f32 sqrt is NVVM's sqrt.rn.
SmallVector<Value> cloneGenericBody(OpBuilder &b, Location loc,
                                    linalg::GenericOp op, IRMapping &mapping,
                                    Value index, int64_t width,
                                    bool preciseMath);

/// A memref<?xT> view of `size` (i64) elements at `address` (i64), for the
/// buffers a group table describes.
Value buildTableView(OpBuilder &b, Location loc, MemRefType type,
                     Value address, Value size);

/// Word `column` of row `row` of the group table `table`, as an i64.
Value loadTableWord(OpBuilder &b, Location loc, Value table, Value row,
                    int64_t column);

/// Row `row`'s element count (kGroupTableSizeColumn) as an index.
Value loadTableSize(OpBuilder &b, Location loc, Value table, Value row);

/// A block of threads' loop over the chunks of a group table: chunk c =
/// `first`, `first + stride`, ..., where row i holds `getRowChunks(i)`
/// chunks, [base_i, base_i + getRowChunks(i)). Chunks only grow, so the
/// loop finds each chunk's row by walking the table forward. Emits
/// `buildChunk(c, i, base_i)` for each chunk that lies in a row, which must
/// leave its builder at the end of the loop body it was given.
void buildTableChunkLoop(
    OpBuilder &b, Location loc, Value table, Value first, Value stride,
    function_ref<Value(OpBuilder &, Value row)> getRowChunks,
    function_ref<void(OpBuilder &, Value chunk, Value row, Value base)>
        buildChunk);

} // namespace mlir::optim

#endif // OPTIM_LIB_CODEGEN_GPU_KERNELBODY_H
