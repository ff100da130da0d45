//===- GPUPipeline.cpp - optim-lower-to-nvvm ------------------------------===//

#include "optim/Pipelines/Pipelines.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

using namespace mlir;
using namespace mlir::optim;

void mlir::optim::buildOptimLowerToNVVMPipeline(
    OpPassManager &pm, const GPUPipelineOptions &options) {
  llvm::report_fatal_error("optim-lower-to-nvvm: not implemented yet");
}
