//===- RegisterPipelines.cpp - register optim's pipelines -----------------===//

#include "optim/Pipelines/Pipelines.h"

#include "mlir/Pass/PassRegistry.h"

void mlir::optim::registerOptimPipelines() {
  PassPipelineRegistration<CPUPipelineOptions>(
      "optim-lower-to-llvm",
      "Lower optim steps to fused, vectorised, multithreaded LLVM dialect IR",
      buildOptimLowerToLLVMPipeline);
  PassPipelineRegistration<GPUPipelineOptions>(
      "optim-lower-to-nvvm",
      "Lower optim steps to fused NVVM kernels serialised as PTX or cubin",
      buildOptimLowerToNVVMPipeline);
}
