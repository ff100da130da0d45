//===- GPUPipeline.cpp - optim-lower-to-nvvm ------------------------------===//

#include "optim/Pipelines/Pipelines.h"

#include "optim/Codegen/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/Pipelines/Passes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace mlir::optim;

LogicalResult
mlir::optim::buildOptimLowerToNVVMPipeline(OpPassManager &pm,
                                           const GPUPipelineOptions &options,
                                           llvm::raw_ostream &errorStream) {
  StringRef format = options.format.getValue();
  if (!llvm::is_contained({"isa", "bin", "fatbin"}, format)) {
    errorStream << "optim-lower-to-nvvm: format must be isa, bin or fatbin, "
                   "got '"
                << format << "'";
    return failure();
  }
  if (options.blockSize < 1 || options.vectorWidth < 1 ||
      options.maxBlocks < 1) {
    errorStream << "optim-lower-to-nvvm: block-size, vector-width and "
                   "max-blocks must be positive, got "
                << options.blockSize << ", " << options.vectorWidth << " and "
                << options.maxBlocks;
    return failure();
  }

  buildOptimToLinalgPipeline(pm);
  // The GPU back end: one fused launch per step, then upstream's NVVM
  // pipeline (outlining, NVVM, serialisation, host lowering to mgpu* calls).
  OptimMapElementwiseToGPUOptions map;
  map.blockSize = options.blockSize;
  map.vectorBytes = options.vectorWidth * 4;
  map.preciseMath = options.preciseMath;
  map.maxBlocks = options.maxBlocks;
  map.testStrideOffset = options.testStrideOffset;
  pm.addNestedPass<func::FuncOp>(createOptimMapElementwiseToGPU(map));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  gpu::GPUToNVVMPipelineOptions nvvm;
  nvvm.cubinChip = options.chip.getValue();
  nvvm.cubinFeatures = options.features.getValue();
  nvvm.cubinFormat = format.str();
  nvvm.optLevel = 3;
  gpu::buildLowerToNVVMPassPipeline(pm, nvvm);
  return success();
}

LogicalResult mlir::optim::buildOptimLowerToEmulatedGPUPipeline(
    OpPassManager &pm, const EmulatedGPUPipelineOptions &options,
    llvm::raw_ostream &errorStream) {
  if (options.blockSize < 1 || options.vectorWidth < 1 ||
      options.maxBlocks < 1) {
    errorStream << "optim-lower-to-emulated-gpu: block-size, vector-width and "
                   "max-blocks must be positive, got "
                << options.blockSize << ", " << options.vectorWidth << " and "
                << options.maxBlocks;
    return failure();
  }
  buildOptimToLinalgPipeline(pm);
  // Exactly the GPU back end's mapping (with its precise math, whose NVVM
  // sqrt.rn the emulation replaces by the host's correctly rounded sqrt)...
  OptimMapElementwiseToGPUOptions map;
  map.blockSize = options.blockSize;
  map.maxBlocks = options.maxBlocks;
  map.vectorBytes = options.vectorWidth * 4;
  map.preciseMath = true;
  map.testStrideOffset = options.testStrideOffset;
  pm.addNestedPass<func::FuncOp>(createOptimMapElementwiseToGPU(map));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  // ... then every block and thread as host loops, and the CPU's lowering.
  pm.addNestedPass<func::FuncOp>(createOptimEmulateGPULaunch());
  buildOptimLoopsToLLVMPipeline(pm, /*openmp=*/false, options.cInterface);
  return success();
}

std::string mlir::optim::getOptimLowerToNVVMPipelineString(
    const GPUPipelineOptions &options) {
  OpPassManager pm(ModuleOp::getOperationName());
  std::string pipeline;
  llvm::raw_string_ostream os(pipeline);
  if (failed(buildOptimLowerToNVVMPipeline(pm, options, llvm::nulls())))
    return "";
  pm.printAsTextualPipeline(os);
  return pipeline;
}
