//===- CPUPipeline.cpp - optim-lower-to-llvm ------------------------------===//
//
// The pipelines are built from the passes' create functions and generated
// option structs, as upstream's buildLowerToNVVMPassPipeline does: a
// misspelt pass or option is a compile error, and no pass has to be in the
// global registry for the runtime to lower a step.
//
//===----------------------------------------------------------------------===//

#include "optim/Pipelines/Pipelines.h"

#include "optim/Codegen/Passes.h"
#include "optim/Conversion/Passes.h"
#include "optim/Support/VectorSize.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Dialect/Vector/Transforms/Passes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace mlir::optim;

void mlir::optim::buildOptimToLinalgPipeline(OpPassManager &pm, bool fastMath) {
  // Drop neutral operands (found_inf = 0, ...) before lowering.
  pm.addPass(createCanonicalizerPass());
  // Tensor-form steps become in-place memref steps (no state copies);
  // memref-form input passes through untouched.
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  ConvertOptimToLinalgOptions toLinalg;
  toLinalg.fastMath = fastMath;
  pm.addPass(createConvertOptimToLinalg(toLinalg));
}

LogicalResult
mlir::optim::buildOptimLowerToLLVMPipeline(OpPassManager &pm,
                                           const CPUPipelineOptions &options,
                                           llvm::raw_ostream &errorStream) {
  std::string error =
      ::optim::getScheduleOptionsError(options.vectorSize, options.chunkSize);
  if (!error.empty()) {
    errorStream << "optim-lower-to-llvm: " << error;
    return failure();
  }

  buildOptimToLinalgPipeline(pm, options.fastMath);
  OptimVectorizeElementwiseOptions vectorize;
  vectorize.vectorSize = options.vectorSize;
  vectorize.chunkSize = options.chunkSize;
  vectorize.avx512Lookups = options.avx512Lookups;
  OptimVectorizeReductionOptions reduce;
  reduce.vectorSize = options.vectorSize;
  reduce.chunkSize = options.chunkSize;
  OpPassManager &funcPm = pm.nest<func::FuncOp>();
  funcPm.addPass(createOptimVectorizeElementwise(vectorize));
  // optim.global_norm's reductions.
  funcPm.addPass(createOptimVectorizeReduction(reduce));
  buildOptimLoopsToLLVMPipeline(pm, options.openmp, options.cInterface,
                                options.nativeBf16);
  return success();
}

void mlir::optim::buildOptimLoopsToLLVMPipeline(OpPassManager &pm, bool openmp,
                                                bool cInterface,
                                                bool nativeBf16) {
  // Whatever was not vectorised (strided N-d operands) becomes loops.
  pm.addPass(createConvertLinalgToLoopsPass());
  // bf16 <-> f32 as integer arithmetic: the JIT has no compiler-rt to provide
  // __truncsfbf2, which LLVM calls for fptrunc to bfloat on targets without
  // a conversion instruction. (Widening is a shift on every target.)
  arith::ArithExpandOpsPassOptions expand;
  expand.includeBf16 = !nativeBf16;
  pm.addPass(arith::createArithExpandOpsPass(expand));
  if (openmp) {
    pm.addPass(createForallToParallelLoopPass());
    pm.addPass(createConvertSCFToOpenMPPass());
  } else {
    pm.addPass(createForallToForLoopPass());
  }
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addNestedPass<func::FuncOp>(vector::createLowerVectorMaskPass());
  // A block reduction (8-bit moments' absmax) is one vector.multi_reduction
  // over the whole block: a tree of vector maxima, then one horizontal one.
  pm.addNestedPass<func::FuncOp>(vector::createLowerVectorMultiReductionPass(
      vector::VectorMultiReductionLowering::InnerReduction));
  pm.addPass(createConvertVectorToSCFPass());
  // Order matters: strided metadata produces affine ops, and with OpenMP
  // the scf->cf conversion must follow the memref conversion.
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  // Without rollback: the conversion's bookkeeping of every op a block
  // split moves made it quadratic or worse in the number of loops (1000
  // parameters in one op: minutes and gigabytes).
  // Each loop's block already ends after it, so the conversion's own
  // splits move nothing; with rollback off it does no bookkeeping either.
  pm.addNestedPass<func::FuncOp>(createOptimSplitBlocksAfterLoops());
  SCFToControlFlowPassOptions scfToCf;
  scfToCf.allowPatternRollback = false;
  pm.addPass(createSCFToControlFlowPass(scfToCf));
  pm.addPass(createConvertVectorToLLVMPass());
  if (cInterface)
    pm.addNestedPass<func::FuncOp>(LLVM::createLLVMRequestCWrappersPass());
  ConvertToLLVMPassOptions toLLVM;
  toLLVM.allowPatternRollback = false;
  pm.addPass(createConvertToLLVMPass(toLLVM));
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createOptimCheckLoweredToLLVM());
}

std::string mlir::optim::getOptimLowerToLLVMPipelineString(
    const CPUPipelineOptions &options) {
  OpPassManager pm(ModuleOp::getOperationName());
  std::string pipeline;
  llvm::raw_string_ostream os(pipeline);
  if (failed(buildOptimLowerToLLVMPipeline(pm, options, llvm::nulls())))
    return "";
  pm.printAsTextualPipeline(os);
  return pipeline;
}
