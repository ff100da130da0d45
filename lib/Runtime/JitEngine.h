//===- JitEngine.h - an ExecutionEngine and what it refers to ---*- C++ -*-===//

#ifndef OPTIM_LIB_RUNTIME_JITENGINE_H
#define OPTIM_LIB_RUNTIME_JITENGINE_H

#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"

#include <functional>
#include <memory>

namespace optim::detail {

/// The code of a compiled step or module, in one of two forms:
///   - an ExecutionEngine (GPU steps and user modules), which compiles the
///     LLVM dialect itself. ExecutionEngineOptions holds its IR transformer
///     by function_ref, and the engine calls it whenever it materialises
///     code (at lookup, after create() returned): the transformer must live
///     as long as the engine;
///   - an LLJIT that linked a finished object (CPU steps, compiled here or
///     read from the kernel cache).
struct JitEngine {
  /// Destroying an ExecutionEngine makes ORC generate code for its platform
  /// (de)initialisers, which needs LLVM's lazily created statics. A Compiler
  /// kept in a static is destroyed after them; then the engine is released
  /// instead of destroyed.
  ~JitEngine();

  std::function<llvm::Error(llvm::Module *)> transformer;
  /// Errors LLVM reported while generating code (its default handler would
  /// exit() the process); the diagnostic handler writes here for as long as
  /// the engine lives.
  std::string codegenErrors;
  std::unique_ptr<mlir::ExecutionEngine> engine;
  /// A CPU step's object, linked into this process.
  std::unique_ptr<llvm::orc::LLJIT> objectJit;
};

/// Arranges (once, after LLVM's lazily created statics exist) for
/// `processIsExiting()` to become true when exit() starts.
void watchForProcessExit();
bool processIsExiting();

} // namespace optim::detail

#endif // OPTIM_LIB_RUNTIME_JITENGINE_H
