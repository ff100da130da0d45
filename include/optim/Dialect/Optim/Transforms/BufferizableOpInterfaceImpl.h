//===- BufferizableOpInterfaceImpl.h - optim bufferization ------*- C++ -*-===//

#ifndef OPTIM_DIALECT_OPTIM_TRANSFORMS_BUFFERIZABLEOPINTERFACEIMPL_H
#define OPTIM_DIALECT_OPTIM_TRANSFORMS_BUFFERIZABLEOPINTERFACEIMPL_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace mlir::optim {

/// Attaches the BufferizableOpInterface to optim.adam and optim.adamw: the
/// tensor form bufferizes to the in-place memref form (each state result
/// aliases its operand), so a compiled step never copies optimizer state.
void registerBufferizableOpInterfaceExternalModels(DialectRegistry &registry);

} // namespace mlir::optim

#endif // OPTIM_DIALECT_OPTIM_TRANSFORMS_BUFFERIZABLEOPINTERFACEIMPL_H
