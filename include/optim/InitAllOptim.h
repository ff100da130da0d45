//===- InitAllOptim.h - register the optim dialect and passes ---*- C++ -*-===//

#ifndef OPTIM_INITALLOPTIM_H
#define OPTIM_INITALLOPTIM_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace mlir::optim {

/// Adds the optim dialect and its external interface models (bufferization)
/// to `registry`.
void registerAllOptimDialects(DialectRegistry &registry);

/// Registers optim's passes and pass pipelines with the global registry
/// (for optim-opt; the pipelines themselves do not need it).
void registerAllOptimPasses();

} // namespace mlir::optim

#endif // OPTIM_INITALLOPTIM_H
