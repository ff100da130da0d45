//===- GPUPipeline.cpp - optim-lower-to-nvvm ------------------------------===//

#include "optim/Pipelines/Pipelines.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace mlir::optim;

std::string mlir::optim::getOptimLowerToNVVMPipelineString(
    const GPUPipelineOptions &options) {
  std::string pipeline;
  llvm::raw_string_ostream os(pipeline);
  appendOptimToLinalgPipeline(os);
  // The GPU back end: one fused launch per step, then upstream's NVVM
  // pipeline (outlining, NVVM, serialisation, host lowering to mgpu* calls).
  os << llvm::formatv("func.func(optim-map-elementwise-to-gpu{{block-size={0} "
                      "vector-bytes={1} precise-math={2}}),",
                      options.blockSize.getValue(),
                      options.vectorWidth.getValue() * 4,
                      options.preciseMath ? "true" : "false");
  os << "canonicalize,cse,";
  os << llvm::formatv("gpu-lower-to-nvvm-pipeline{{cubin-chip={0} "
                      "cubin-features={1} cubin-format={2} opt-level=3}",
                      options.chip.getValue(), options.features.getValue(),
                      options.format.getValue());
  return pipeline;
}

LogicalResult
mlir::optim::buildOptimLowerToNVVMPipeline(OpPassManager &pm,
                                           const GPUPipelineOptions &options,
                                           llvm::raw_ostream &errorStream) {
  return parsePassPipeline(getOptimLowerToNVVMPipelineString(options), pm,
                           errorStream);
}
