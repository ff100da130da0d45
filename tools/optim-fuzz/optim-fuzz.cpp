//===- optim-fuzz.cpp - libFuzzer target over parse, verify and lowering --===//
//
// Feeds arbitrary bytes to what optim-opt does with a file: parse, verify,
// then every registered optim pipeline on a copy of the module, and the
// translation of the CPU result to LLVM IR. Errors are the expected answer to
// most inputs and are swallowed; a crash, a sanitizer report, a hang or a
// leak is a finding. Built only with -DOPTIM_ENABLE_FUZZER=ON (clang's
// -fsanitize=fuzzer); seeds are the lit tests' .mlir files (see
// tools/scripts/run-fuzzer.sh).
//
//===----------------------------------------------------------------------===//

#include "optim/InitAllOptim.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <cstdlib>
#include <memory>

using namespace mlir;

namespace {
/// The pipelines optim registers, with the options that select different
/// code paths. Every one of them must answer any verified module with either
/// success or a diagnostic.
const char *const kPipelines[] = {
    "optim-lower-to-llvm",
    "optim-lower-to-llvm{openmp=0 fast-math=1 vector-size=4}",
    "optim-lower-to-nvvm{format=isa}",
};

struct FuzzState {
  DialectRegistry registry;
  std::unique_ptr<MLIRContext> context;

  FuzzState() {
    registerAllPasses();
    optim::registerAllOptimPasses();
    registerAllDialects(registry);
    registerAllExtensions(registry);
    registerAllToLLVMIRTranslations(registry);
    optim::registerAllOptimDialects(registry);
    llvm::InitializeAllTargets();
    llvm::InitializeAllTargetMCs();
    llvm::InitializeAllAsmPrinters();
    renewContext();
  }

  /// A context keeps every type and attribute it ever uniqued; a fresh one
  /// every few hundred inputs keeps long runs within libFuzzer's RSS limit.
  void renewContext() {
    context = std::make_unique<MLIRContext>(registry,
                                            MLIRContext::Threading::DISABLED);
    context->loadAllAvailableDialects();
    // Diagnostics are the expected answer; keep the output readable.
    context->getDiagEngine().registerHandler([](Diagnostic &) {});
    inputsSinceRenewal = 0;
  }

  unsigned inputsSinceRenewal = 0;
};

FuzzState &getState() {
  static FuzzState *state = new FuzzState(); // Lives until exit, like libFuzzer.
  return *state;
}

/// Environment knob for the long runs: OPTIM_FUZZ_PIPELINES=0 fuzzes only
/// the parser and verifier (many more executions per second).
bool runPipelines() {
  const char *value = std::getenv("OPTIM_FUZZ_PIPELINES");
  return !value || value[0] != '0';
}
} // namespace

/// libMLIR.so is not instrumented, but LLVM's BumpPtrAllocator inlined into
/// optim's instrumented code poisons the slabs it allocates; the library's
/// own, uninstrumented allocation from the same slab never unpoisons them,
/// and the next memmove into it is reported (a false use-after-poison).
/// Manual poisoning is therefore off; every other ASan check stays on.
extern "C" const char *__asan_default_options() {
  return "allow_user_poisoning=0";
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // Inputs larger than any test file only slow the search down.
  if (size > 16384)
    return -1;
  FuzzState &state = getState();
  if (++state.inputsSinceRenewal > 500)
    state.renewContext();
  MLIRContext &context = *state.context;
  // The parser reads up to a terminating NUL, which libFuzzer's buffer
  // lacks; every real entry point (a file, a std::string) has one.
  std::string source(reinterpret_cast<const char *>(data), size);
  OwningOpRef<ModuleOp> module =
      parseSourceString<ModuleOp>(source, ParserConfig(&context));
  if (!module || failed(verify(*module)))
    return 0;
  // Printing exercises the custom assembly formats on what was accepted.
  std::string printed;
  llvm::raw_string_ostream os(printed);
  module->print(os);
  if (!runPipelines())
    return 0;

  for (const char *pipeline : kPipelines) {
    OwningOpRef<ModuleOp> copy = module->clone();
    PassManager pm(&context);
    std::string errors;
    llvm::raw_string_ostream errorStream(errors);
    if (failed(parsePassPipeline(pipeline, pm, errorStream))) {
      // A pipeline the fuzzer names must exist: a build problem, not input.
      llvm::errs() << "optim-fuzz: cannot build '" << pipeline
                   << "': " << errors << "\n";
      std::abort();
    }
    if (failed(pm.run(*copy)))
      continue;
    if (llvm::StringRef(pipeline).starts_with("optim-lower-to-llvm")) {
      llvm::LLVMContext llvmContext;
      (void)translateModuleToLLVMIR(*copy, llvmContext);
    }
  }
  return 0;
}
