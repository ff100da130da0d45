//===- Passes.h - optim conversion passes -----------------------*- C++ -*-===//

#ifndef OPTIM_CONVERSION_PASSES_H
#define OPTIM_CONVERSION_PASSES_H

#include "optim/Conversion/OptimToLinalg/OptimToLinalg.h"

#include "mlir/Pass/Pass.h"

namespace mlir::optim {

#define GEN_PASS_DECL
#include "optim/Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "optim/Conversion/Passes.h.inc"

} // namespace mlir::optim

#endif // OPTIM_CONVERSION_PASSES_H
