//===- Passes.h - optim transformation passes -------------------*- C++ -*-===//

#ifndef OPTIM_DIALECT_OPTIM_TRANSFORMS_PASSES_H
#define OPTIM_DIALECT_OPTIM_TRANSFORMS_PASSES_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Pass/Pass.h"

namespace mlir::optim {

#define GEN_PASS_DECL
#include "optim/Dialect/Optim/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "optim/Dialect/Optim/Transforms/Passes.h.inc"

} // namespace mlir::optim

#endif // OPTIM_DIALECT_OPTIM_TRANSFORMS_PASSES_H
