//===- GPUPipeline.cpp - optim-lower-to-nvvm ------------------------------===//

#include "optim/Pipelines/Pipelines.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

using namespace mlir;
using namespace mlir::optim;

LogicalResult mlir::optim::buildOptimLowerToNVVMPipeline(
    OpPassManager &pm, const GPUPipelineOptions &options,
    llvm::raw_ostream &errorStream) {
  errorStream << "optim-lower-to-nvvm: not implemented yet";
  return failure();
}
