//===- GPUPipeline.cpp - optim-lower-to-nvvm ------------------------------===//

#include "optim/Pipelines/Pipelines.h"

#include "optim/Codegen/Passes.h"
#include "optim/Support/GpuLaunchShape.h"
#include "optim/Support/GpuTarget.h"
#include "optim/Support/VectorSize.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/Pipelines/Passes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace mlir::optim;

/// The part both GPU pipelines share: the optim front, then one fused launch
/// per step (optim-map-elementwise-to-gpu), canonicalised. The emulated
/// pipeline must map exactly as the device pipeline does.
static LogicalResult
addFrontAndGPUMapping(OpPassManager &pm, StringRef pipelineName,
                      int64_t blockSize, int64_t vectorWidth,
                      int64_t maxBlocks, bool preciseMath,
                      int64_t testStrideOffset, llvm::raw_ostream &errorStream) {
  if (!::optim::isValidGpuBlockSize(blockSize) ||
      !::optim::isValidGpuMaxBlocks(maxBlocks)) {
    errorStream << pipelineName
                << ": block-size must be from 1 to 1024 and max-blocks from 1 "
                   "to 2^31-1, got "
                << blockSize << " and " << maxBlocks;
    return failure();
  }
  // Vector accesses are aligned to their size, which must be a power of
  // two (and a wide one only makes LLVM build ever larger values).
  if (!::optim::isValidVectorSize(vectorWidth)) {
    errorStream << pipelineName
                << ": vector-width must be a power of two from 1 to "
                << ::optim::kMaxVectorSize << ", got " << vectorWidth;
    return failure();
  }
  buildOptimToLinalgPipeline(pm);
  OptimMapElementwiseToGPUOptions map;
  map.blockSize = blockSize;
  map.vectorBytes = vectorWidth * 4;
  map.preciseMath = preciseMath;
  map.maxBlocks = maxBlocks;
  map.testStrideOffset = testStrideOffset;
  pm.addNestedPass<func::FuncOp>(createOptimMapElementwiseToGPU(map));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  return success();
}

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
  if (!::optim::isKnownGpuChip(options.chip)) {
    errorStream << "optim-lower-to-nvvm: chip must be an NVIDIA chip of sm_75 "
                   "or newer that LLVM 22 knows (sm_75, sm_80, sm_86, sm_89, "
                   "sm_90, sm_90a, sm_100, sm_120, ...), got '"
                << options.chip << "'";
    return failure();
  }
  if (!::optim::isKnownGpuFeatureList(options.features)) {
    errorStream << "optim-lower-to-nvvm: features must be empty or PTX "
                   "versions LLVM 22 knows (+ptx80, ..., +ptx90), got '"
                << options.features << "'";
    return failure();
  }
  if (failed(addFrontAndGPUMapping(pm, "optim-lower-to-nvvm", options.blockSize,
                                   options.vectorWidth, options.maxBlocks,
                                   options.preciseMath,
                                   options.testStrideOffset, errorStream)))
    return failure();
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
  // Exactly the GPU back end's mapping (with its precise math, whose NVVM
  // sqrt.rn the emulation replaces by the host's correctly rounded sqrt)...
  if (failed(addFrontAndGPUMapping(pm, "optim-lower-to-emulated-gpu",
                                   options.blockSize, options.vectorWidth,
                                   options.maxBlocks, /*preciseMath=*/true,
                                   options.testStrideOffset, errorStream)))
    return failure();
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
