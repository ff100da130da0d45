//===- OptimDialect.h - optim dialect ---------------------------*- C++ -*-===//

#ifndef OPTIM_DIALECT_OPTIM_IR_OPTIMDIALECT_H
#define OPTIM_DIALECT_OPTIM_IR_OPTIMDIALECT_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Dialect.h"

#include "optim/Dialect/Optim/IR/OptimDialect.h.inc"

#endif // OPTIM_DIALECT_OPTIM_IR_OPTIMDIALECT_H
