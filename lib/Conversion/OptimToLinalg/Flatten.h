//===- Flatten.h - 1-d views of contiguous memrefs --------------*- C++ -*-===//
//
// Shared by the patterns of convert-optim-to-linalg: the back ends' schedules
// take 1-d generics, so contiguous N-d operands are viewed as 1-d first.
//
//===----------------------------------------------------------------------===//

#ifndef OPTIM_LIB_CONVERSION_OPTIMTOLINALG_FLATTEN_H
#define OPTIM_LIB_CONVERSION_OPTIMTOLINALG_FLATTEN_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

namespace mlir::optim::detail {

/// Whether `type` can be viewed as 1-d without a copy.
bool canFlattenTo1D(MemRefType type);

/// Views a memref for which canFlattenTo1D holds as 1-d, so that the
/// vectoriser (and the GPU mapping) see one long loop.
Value flattenTo1D(OpBuilder &b, Location loc, Value value);

} // namespace mlir::optim::detail

#endif // OPTIM_LIB_CONVERSION_OPTIMTOLINALG_FLATTEN_H
