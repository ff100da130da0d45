//===- OptimDialect.td - optim dialect definition ----------*- tablegen -*-===//
//
// The optim dialect: fused optimizer steps (the Adam family) as first-class
// IR, lowered through linalg to vectorised CPU code or to NVVM kernels.
//
//===----------------------------------------------------------------------===//

#ifndef OPTIM_DIALECT_TD
#define OPTIM_DIALECT_TD

include "mlir/IR/OpBase.td"

def Optim_Dialect : Dialect {
  let name = "optim";
  let cppNamespace = "::mlir::optim";
  let summary = "Fused optimizer-step operations (Adam, AdamW, AMSGrad)";
  let description = [{
    The `optim` dialect describes one optimizer step over a parameter tensor,
    or over a group of parameter tensors that share hyperparameters, with
    every semantic switch that the common frameworks use (PyTorch, MindSpore,
    MXNet, brainpy): the bias-correction form, L2 or decoupled weight decay,
    AMSGrad, maximize, and gradient preprocessing (rescaling, clipping,
    loss-scale division, skipping a step on overflow).

    Per-step scalars are SSA operands, so a learning-rate schedule never
    forces a recompilation; state buffers are updated in place in the memref
    form, and the tensor form bufferizes in place.
  }];
  let useDefaultAttributePrinterParser = 1;
  let dependentDialects = [
    "::mlir::arith::ArithDialect"
  ];
}

class Optim_Op<string mnemonic, list<Trait> traits = []>
    : Op<Optim_Dialect, mnemonic, traits>;

#endif // OPTIM_DIALECT_TD
