//===- RegisterPipelines.cpp - register optim's pipelines -----------------===//

#include "optim/Pipelines/Pipelines.h"

#include "mlir/Pass/PassRegistry.h"

void mlir::optim::registerOptimPipelines() {
  // PassPipelineRegistration's builder cannot fail; a pipeline that does not
  // parse is a bug in optim, reported through the pass manager's output.
  PassPipelineRegistration<CPUPipelineOptions>(
      "optim-lower-to-llvm",
      "Lower optim steps to fused, vectorised, multithreaded LLVM dialect IR",
      [](OpPassManager &pm, const CPUPipelineOptions &options) {
        (void)buildOptimLowerToLLVMPipeline(pm, options, llvm::errs());
      });
  PassPipelineRegistration<GPUPipelineOptions>(
      "optim-lower-to-nvvm",
      "Lower optim steps to fused NVVM kernels serialised as PTX or cubin",
      [](OpPassManager &pm, const GPUPipelineOptions &options) {
        (void)buildOptimLowerToNVVMPipeline(pm, options, llvm::errs());
      });
}
