//===- OptimDialect.cpp - optim dialect -----------------------------------===//

#include "optim/Dialect/Optim/IR/OptimDialect.h"
#include "optim/Dialect/Optim/IR/OptimOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::optim;

#include "optim/Dialect/Optim/IR/OptimDialect.cpp.inc"
#include "optim/Dialect/Optim/IR/OptimEnums.cpp.inc"
#include "optim/Dialect/Optim/IR/OptimInterfaces.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "optim/Dialect/Optim/IR/OptimAttrs.cpp.inc"

void OptimDialect::initialize() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "optim/Dialect/Optim/IR/OptimAttrs.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "optim/Dialect/Optim/IR/OptimOps.cpp.inc"
      >();
}
