//===- optim-opt.cpp - the optim optimizer driver -------------------------===//
//
// mlir-opt for the optim dialect: the upstream dialects and passes that the
// optim pipelines lower through, plus optim's own.
//
//===----------------------------------------------------------------------===//

#include "optim/InitAllOptim.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

namespace mlir::optim::test {
void registerTestBuildPresetsPass();
} // namespace mlir::optim::test

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  mlir::optim::registerAllOptimPasses();
  mlir::optim::test::registerTestBuildPresetsPass();

  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  // Serialising gpu.modules (PTX, cubin) translates them to LLVM IR.
  mlir::registerAllToLLVMIRTranslations(registry);
  mlir::optim::registerAllOptimDialects(registry);

  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "optim optimizer driver\n", registry));
}
