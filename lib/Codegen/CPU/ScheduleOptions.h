//===- ScheduleOptions.h - the CPU schedules' shared options ----*- C++ -*-===//
//
// optim-vectorize-elementwise and optim-vectorize-reduction take the same
// vector-size and chunk-size options; both passes check them here, with the
// messages optim-lower-to-llvm gives for its own.
//
//===----------------------------------------------------------------------===//

#ifndef OPTIM_LIB_CODEGEN_CPU_SCHEDULEOPTIONS_H
#define OPTIM_LIB_CODEGEN_CPU_SCHEDULEOPTIONS_H

#include "optim/Support/VectorSize.h"

#include "mlir/IR/Operation.h"

namespace mlir::optim {

/// Emits an error on `op` for a vector size the schedules cannot tile by, or
/// a negative chunk size (which would otherwise read as 0, no forall).
inline LogicalResult checkScheduleOptions(Operation *op, int64_t vectorSize,
                                          int64_t chunkSize) {
  if (!::optim::isValidVectorSize(vectorSize))
    return op->emitError("vector-size must be a power of two from 1 to 64, "
                         "got ")
           << vectorSize;
  if (chunkSize < 0)
    return op->emitError("chunk-size must be non-negative, got ") << chunkSize;
  return success();
}

} // namespace mlir::optim

#endif // OPTIM_LIB_CODEGEN_CPU_SCHEDULEOPTIONS_H
