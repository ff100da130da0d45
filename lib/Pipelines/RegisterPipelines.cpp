//===- RegisterPipelines.cpp - register optim's pipelines -----------------===//

#include "optim/Pipelines/Pipelines.h"

#include "mlir/Pass/PassRegistry.h"

using namespace mlir;
using namespace mlir::optim;

/// Like PassPipelineRegistration<Options>, whose builder cannot fail, but a
/// pipeline that does not build (an unusable option value) reports why.
template <typename Options>
static void registerPipeline(StringRef argument, StringRef description,
                             LogicalResult (*build)(OpPassManager &,
                                                    const Options &,
                                                    llvm::raw_ostream &)) {
  registerPassPipeline(
      argument, description,
      [build](OpPassManager &pm, StringRef optionsString,
              function_ref<LogicalResult(const Twine &)> errorHandler) {
        Options options;
        if (failed(options.parseFromString(optionsString)))
          return failure();
        std::string error;
        llvm::raw_string_ostream errorStream(error);
        if (failed(build(pm, options, errorStream)))
          return errorHandler(error);
        return success();
      },
      [](function_ref<void(const detail::PassOptions &)> optionHandler) {
        optionHandler(Options());
      });
}

void mlir::optim::registerOptimPipelines() {
  registerPipeline<CPUPipelineOptions>(
      "optim-lower-to-llvm",
      "Lower optim steps to fused, vectorised, multithreaded LLVM dialect IR",
      buildOptimLowerToLLVMPipeline);
  registerPipeline<GPUPipelineOptions>(
      "optim-lower-to-nvvm",
      "Lower optim steps to fused NVVM kernels serialised as PTX or cubin",
      buildOptimLowerToNVVMPipeline);
  registerPipeline<EmulatedGPUPipelineOptions>(
      "optim-lower-to-emulated-gpu",
      "Lower optim steps through the GPU mapping, then run every block and "
      "thread of each launch as host loops (LLVM dialect for the CPU)",
      buildOptimLowerToEmulatedGPUPipeline);
}
