//===- CheckLoweredToLLVM.cpp - fail on what a host lowering left ---------===//
//
// The host pipelines end in LLVM (and OpenMP) dialect ops only. Upstream's
// memref and func conversions report some operands they cannot lower with
// an unlocated error but do not fail, and the casts they leave survive
// reconcile-unrealized-casts: this pass turns that into a located failure.
//
//===----------------------------------------------------------------------===//

#include "optim/Codegen/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir::optim {
#define GEN_PASS_DEF_OPTIMCHECKLOWEREDTOLLVM
#include "optim/Codegen/Passes.h.inc"
} // namespace mlir::optim

using namespace mlir;

namespace {

struct CheckLoweredToLLVM
    : public optim::impl::OptimCheckLoweredToLLVMBase<CheckLoweredToLLVM> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    WalkResult result = module->walk([&](Operation *op) {
      // Nested modules hold lowered code too.
      if (isa<ModuleOp>(op) ||
          isa<LLVM::LLVMDialect, omp::OpenMPDialect>(op->getDialect()))
        return WalkResult::advance();
      // Casts made for a function's arguments can have no location of
      // their own: the nearest enclosing op that has one stands in.
      Operation *located = op;
      while (isa<UnknownLoc>(located->getLoc()) && located->getParentOp() &&
             located->getParentOp() != module.getOperation())
        located = located->getParentOp();
      InFlightDiagnostic diag = emitError(located->getLoc())
                                << "the lowering to LLVM left '"
                                << op->getName() << "' behind";
      if (op->getNumOperands() || op->getNumResults()) {
        diag << " (";
        llvm::interleaveComma(op->getOperandTypes(), diag);
        diag << ") -> (";
        llvm::interleaveComma(op->getResultTypes(), diag);
        diag << ")";
      }
      // Device code is not the host pipeline's to lower. Elsewhere a cast
      // is what the memref and func conversions leave for a type they
      // cannot lower; other ops were outside the pipeline's reach.
      if (isa<gpu::GPUModuleOp>(op) || op->getParentOfType<gpu::GPUModuleOp>())
        diag << ": device code lowers through optim-lower-to-nvvm or "
                "optim-lower-to-emulated-gpu";
      else if (isa<UnrealizedConversionCastOp>(op))
        diag << ": the host pipelines lower func.func bodies whose memrefs "
                "have strided layouts in the default or an integer memory "
                "space";
      else
        diag << ": the host pipelines lower optim steps in func.func "
                "bodies and the ops their lowering makes";
      return WalkResult::interrupt();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
