//===- InitAllOptim.cpp - register the optim dialect and passes -----------===//

#include "optim/InitAllOptim.h"

#include "optim/Codegen/Passes.h"
#include "optim/Conversion/Passes.h"
#include "optim/Dialect/Optim/IR/OptimDialect.h"
#include "optim/Dialect/Optim/Transforms/BufferizableOpInterfaceImpl.h"
#include "optim/Pipelines/Pipelines.h"

#include "mlir/IR/DialectRegistry.h"

void mlir::optim::registerAllOptimDialects(DialectRegistry &registry) {
  registry.insert<OptimDialect>();
  registerBufferizableOpInterfaceExternalModels(registry);
}

void mlir::optim::registerAllOptimPasses() {
  registerOptimConversionPasses();
  registerOptimCodegenPasses();
  registerOptimPipelines();
}
