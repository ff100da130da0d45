//===- InitAllOptim.h - register the optim dialect and passes ---*- C++ -*-===//

#ifndef OPTIM_INITALLOPTIM_H
#define OPTIM_INITALLOPTIM_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace mlir::optim {

/// Adds to `registry` the optim dialect, its interface models, and what optim's
/// pipelines need from the upstream dialects they produce
/// (registerOptimPipelineExtensions): enough for a tool that registers nothing
/// else to run every optim pipeline and translate the result to LLVM IR.
void registerAllOptimDialects(DialectRegistry &registry);

/// The upstream interface models and LLVM IR translations optim's pipelines
/// use (tiling, value bounds, bufferization, convert-to-llvm, the NVVM
/// target). Registering them again, e.g. by registerAllExtensions, is
/// harmless: the registry keeps one of each.
void registerOptimPipelineExtensions(DialectRegistry &registry);

/// Registers optim's passes and pass pipelines with the global registry
/// (for optim-opt; the pipelines themselves do not need it).
void registerAllOptimPasses();

} // namespace mlir::optim

#endif // OPTIM_INITALLOPTIM_H
