//===- InitAllOptimTest.cpp - optim's pipelines in a minimal context ------===//
//
// A pipeline embedding optim registers only what optim asks for
// (registerAllOptimDialects), not every upstream dialect and extension as
// optim-opt does. Each pipeline must then still run to its end, and the CPU
// result translate to LLVM IR: a missing interface model was a crash (a
// cast to TilingInterface in the vectoriser).
//
//===----------------------------------------------------------------------===//

#include "optim/InitAllOptim.h"
#include "optim/Dialect/Optim/IR/OptimDialect.h"
#include "optim/Pipelines/Pipelines.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <functional>
#include <vector>

using namespace mlir;

namespace {

constexpr const char *kMemrefStep = R"mlir(
func.func @step(%p: memref<?xf32>, %g: memref<?xf32>, %m: memref<?xf32>,
                %v: memref<?xf32>, %lr: f32, %b1: f32, %b2: f32, %eps: f32,
                %wd: f32, %t: i64) {
  optim.adamw (%p, %g, %m, %v) : memref<?xf32>
      lr(%lr) betas(%b1, %b2) eps(%eps) weight_decay(%wd) step(%t : i64)
  return
}
)mlir";

constexpr const char *kTensorStep = R"mlir(
func.func @step(%p: tensor<4096xf32>, %g: tensor<4096xf32>,
                %m: tensor<4096xf32>, %v: tensor<4096xf32>, %lr: f32,
                %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i64)
    -> (tensor<4096xf32>, tensor<4096xf32>, tensor<4096xf32>) {
  %p1, %m1, %v1 = optim.adamw (%p, %g, %m, %v) : tensor<4096xf32>
      lr(%lr) betas(%b1, %b2) eps(%eps) weight_decay(%wd) step(%t : i64)
  return %p1, %m1, %v1 : tensor<4096xf32>, tensor<4096xf32>, tensor<4096xf32>
}
)mlir";

/// A context that knows only what registerAllOptimDialects registers, and
/// the dialects of its input.
struct MinimalContext {
  DialectRegistry registry;
  std::unique_ptr<MLIRContext> context;
  MinimalContext() {
    registry.insert<arith::ArithDialect, func::FuncDialect,
                    memref::MemRefDialect, tensor::TensorDialect>();
    optim::registerAllOptimDialects(registry);
    context = std::make_unique<MLIRContext>(registry);
  }
};

/// Parses `source`, builds a pipeline with `build` and runs it; the
/// diagnostics of a failure are returned in `errors`.
OwningOpRef<ModuleOp>
lower(MLIRContext &context, const char *source,
      llvm::function_ref<LogicalResult(OpPassManager &, llvm::raw_ostream &)>
          build,
      std::string &errors) {
  llvm::raw_string_ostream os(errors);
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &d) {
    os << d << "\n";
    return success();
  });
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(source, &context);
  if (!module)
    return nullptr;
  PassManager pm(&context);
  if (failed(build(pm, os)) || failed(pm.run(*module)))
    return nullptr;
  return module;
}

void expectTranslatesToLLVMIR(ModuleOp module) {
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, llvmContext);
  ASSERT_TRUE(llvmModule) << "no LLVM IR translation";
  EXPECT_TRUE(llvmModule->getFunction("step"));
}

/// One pipeline on one input: it must run to its end and translate to LLVM
/// IR (the NVVM pipeline's module holds the PTX).
struct PipelineCase {
  const char *name;
  const char *source;
  std::function<LogicalResult(OpPassManager &, llvm::raw_ostream &)> build;
  bool emitsPtx = false;
};

void PrintTo(const PipelineCase &pipeline, std::ostream *os) {
  *os << pipeline.name;
}

std::vector<PipelineCase> getPipelineCases() {
  auto cpu = [](bool openmp) {
    return [openmp](OpPassManager &pm, llvm::raw_ostream &os) {
      optim::CPUPipelineOptions options;
      options.openmp = openmp;
      return optim::buildOptimLowerToLLVMPipeline(pm, options, os);
    };
  };
  return {
      {"CpuOnMemrefs", kMemrefStep, cpu(false)},
      {"CpuOnMemrefsWithOpenMP", kMemrefStep, cpu(true)},
      {"CpuOnTensors", kTensorStep, cpu(true)},
      {"EmulatedGpu", kMemrefStep,
       [](OpPassManager &pm, llvm::raw_ostream &os) {
         return optim::buildOptimLowerToEmulatedGPUPipeline(
             pm, optim::EmulatedGPUPipelineOptions(), os);
       }},
      {"NvvmToPtx", kMemrefStep,
       [](OpPassManager &pm, llvm::raw_ostream &os) {
         return optim::buildOptimLowerToNVVMPipeline(
             pm, optim::GPUPipelineOptions(), os);
       },
       /*emitsPtx=*/true},
  };
}

class InitAllOptimPipeline : public testing::TestWithParam<PipelineCase> {};

TEST_P(InitAllOptimPipeline, RunsInAMinimalContext) {
  const PipelineCase &pipeline = GetParam();
  MinimalContext c;
  std::string errors;
  auto module = lower(*c.context, pipeline.source, pipeline.build, errors);
  ASSERT_TRUE(module) << errors;
  if (pipeline.emitsPtx) {
    std::string text;
    llvm::raw_string_ostream os(text);
    module->print(os);
    EXPECT_NE(text.find(".visible .entry"), std::string::npos)
        << "no PTX kernel in the lowered module";
  }
  expectTranslatesToLLVMIR(*module);
}

INSTANTIATE_TEST_SUITE_P(Pipelines, InitAllOptimPipeline,
                         testing::ValuesIn(getPipelineCases()),
                         [](const testing::TestParamInfo<PipelineCase> &info) {
                           return std::string(info.param.name);
                         });

TEST(InitAllOptim, WithoutTheExtensionsThePipelineSaysWhatIsMissing) {
  // The dialect alone, as registerAllOptimDialects registered it before it
  // took the pipelines' extensions.
  DialectRegistry registry;
  registry.insert<arith::ArithDialect, func::FuncDialect,
                  memref::MemRefDialect, optim::OptimDialect>();
  MLIRContext context(registry);
  std::string errors;
  auto module = lower(context, kMemrefStep,
                      [](OpPassManager &pm, llvm::raw_ostream &os) {
                        return optim::buildOptimLowerToLLVMPipeline(
                            pm, optim::CPUPipelineOptions(), os);
                      },
                      errors);
  EXPECT_FALSE(module);
  EXPECT_NE(errors.find("linalg.generic has no TilingInterface model"),
            std::string::npos)
      << errors;
}

} // namespace
