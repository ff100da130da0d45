//===- dialect_consumer.cpp - optim's pipeline inside another MLIR tool ---===//
//
// A tool that registers only its input's dialects and optim
// (registerAllOptimDialects), parses an optim.adamw and runs optim's CPU
// pipeline to the LLVM dialect, as a compiler embedding optim would.
//
//===----------------------------------------------------------------------===//

#include "optim/InitAllOptim.h"
#include "optim/Pipelines/Pipelines.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/raw_ostream.h"

int main() {
  mlir::DialectRegistry registry;
  registry.insert<mlir::arith::ArithDialect, mlir::func::FuncDialect,
                  mlir::memref::MemRefDialect>();
  mlir::optim::registerAllOptimDialects(registry);
  mlir::MLIRContext context(registry);
  const char *source = R"mlir(
func.func @step(%p: memref<?xf32>, %g: memref<?xf32>, %m: memref<?xf32>,
                %v: memref<?xf32>, %lr: f32, %b1: f32, %b2: f32, %eps: f32,
                %wd: f32, %t: i64) {
  optim.adamw (%p, %g, %m, %v) : memref<?xf32>
      lr(%lr) betas(%b1, %b2) eps(%eps) weight_decay(%wd) step(%t : i64)
  return
}
)mlir";
  auto module = mlir::parseSourceString<mlir::ModuleOp>(source, &context);
  if (!module)
    return 1;
  mlir::PassManager pm(&context);
  if (mlir::failed(mlir::optim::buildOptimLowerToLLVMPipeline(
          pm, mlir::optim::CPUPipelineOptions(), llvm::errs())) ||
      mlir::failed(pm.run(*module)))
    return 2;
  // What LLVM IR translation takes: the llvm dialect, and omp for the
  // parallel chunks.
  mlir::Operation *left = nullptr;
  module->walk([&](mlir::Operation *op) {
    llvm::StringRef ns = op->getName().getDialectNamespace();
    if (ns != "llvm" && ns != "omp" && ns != "builtin")
      left = op;
  });
  if (left) {
    llvm::errs() << "the pipeline left " << left->getName() << "\n";
    return 3;
  }
  llvm::outs() << "lowered optim.adamw to the LLVM dialect\n";
  return 0;
}
