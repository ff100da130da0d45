//===- Passes.h - schedules for element-wise linalg -------------*- C++ -*-===//
//
// The back ends' schedules for element-wise linalg.generic ops: CPU
// vectorisation and GPU mapping.
//
//===----------------------------------------------------------------------===//

#ifndef OPTIM_CODEGEN_PASSES_H
#define OPTIM_CODEGEN_PASSES_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::optim {

#define GEN_PASS_DECL
#include "optim/Codegen/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "optim/Codegen/Passes.h.inc"

} // namespace mlir::optim

#endif // OPTIM_CODEGEN_PASSES_H
