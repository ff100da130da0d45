//===- InitAllOptim.cpp - register the optim dialect and passes -----------===//

#include "optim/InitAllOptim.h"

#include "optim/Dialect/Optim/IR/OptimDialect.h"

#include "mlir/IR/DialectRegistry.h"

void mlir::optim::registerOptimDialect(DialectRegistry &registry) {
  registry.insert<OptimDialect>();
}

void mlir::optim::registerOptimPasses() {}
