//===- ScheduleOptions.h - the CPU schedules' shared options ----*- C++ -*-===//
//
// optim-vectorize-elementwise and optim-vectorize-reduction take the same
// vector-size and chunk-size options; both passes check them here, with the
// rule and messages optim-lower-to-llvm uses for its own.
//
//===----------------------------------------------------------------------===//

#ifndef OPTIM_LIB_CODEGEN_CPU_SCHEDULEOPTIONS_H
#define OPTIM_LIB_CODEGEN_CPU_SCHEDULEOPTIONS_H

#include "optim/Support/VectorSize.h"

#include "mlir/IR/Operation.h"

namespace mlir::optim {

/// Emits an error on `op` for a vector size the schedules cannot tile by, or
/// a negative chunk size (::optim::getScheduleOptionsError).
inline LogicalResult checkScheduleOptions(Operation *op, int64_t vectorSize,
                                          int64_t chunkSize) {
  std::string error = ::optim::getScheduleOptionsError(vectorSize, chunkSize);
  if (error.empty())
    return success();
  return op->emitError(error);
}

} // namespace mlir::optim

#endif // OPTIM_LIB_CODEGEN_CPU_SCHEDULEOPTIONS_H
