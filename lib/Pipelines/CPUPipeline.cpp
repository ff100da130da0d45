//===- CPUPipeline.cpp - optim-lower-to-llvm ------------------------------===//

#include "optim/Pipelines/Pipelines.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace mlir::optim;

void mlir::optim::appendOptimToLinalgPipeline(llvm::raw_ostream &os,
                                              bool fastMath) {
  // Drop neutral operands (found_inf = 0, ...) before lowering.
  os << "canonicalize,";
  // Tensor-form steps become in-place memref steps (no state copies);
  // memref-form input passes through untouched.
  os << "one-shot-bufferize{bufferize-function-boundaries "
        "function-boundary-type-conversion=identity-layout-map},";
  os << (fastMath ? "convert-optim-to-linalg{fast-math=1},"
                  : "convert-optim-to-linalg,");
}

std::string mlir::optim::getOptimLowerToLLVMPipelineString(
    const CPUPipelineOptions &options) {
  std::string pipeline;
  llvm::raw_string_ostream os(pipeline);
  appendOptimToLinalgPipeline(os, options.fastMath);
  os << llvm::formatv("func.func(optim-vectorize-elementwise{{vector-size={0} "
                      "chunk-size={1}}),",
                      options.vectorSize.getValue(),
                      options.chunkSize.getValue());
  // Whatever was not vectorised (strided N-d operands) becomes loops.
  os << "convert-linalg-to-loops,";
  // bf16 <-> f32 as integer arithmetic: the JIT has no compiler-rt to provide
  // __truncsfbf2.
  os << "arith-expand{include-bf16=true},";
  if (options.openmp)
    os << "scf-forall-to-parallel,convert-scf-to-openmp,";
  else
    os << "scf-forall-to-for,";
  os << "canonicalize,cse,";
  os << "func.func(lower-vector-mask),convert-vector-to-scf,";
  // Order matters: strided metadata produces affine ops, and with OpenMP
  // the scf->cf conversion must follow the memref conversion.
  os << "expand-strided-metadata,lower-affine,finalize-memref-to-llvm,"
        "convert-scf-to-cf,convert-vector-to-llvm,";
  if (options.cInterface)
    os << "func.func(llvm-request-c-wrappers),";
  os << "convert-to-llvm,reconcile-unrealized-casts";
  return pipeline;
}

LogicalResult
mlir::optim::buildOptimLowerToLLVMPipeline(OpPassManager &pm,
                                           const CPUPipelineOptions &options,
                                           llvm::raw_ostream &errorStream) {
  // The pipeline string is the single source of truth: optim-opt, the JIT
  // and the tests all run exactly what it says.
  return parsePassPipeline(getOptimLowerToLLVMPipelineString(options), pm,
                           errorStream);
}
