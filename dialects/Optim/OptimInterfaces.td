//===- OptimInterfaces.td - optim op interfaces ------------*- tablegen -*-===//

#ifndef OPTIM_INTERFACES_TD
#define OPTIM_INTERFACES_TD

include "mlir/IR/OpBase.td"

// Both Adam-family ops (optim.adam, optim.adamw) have the same operands and
// differ only in how weight decay enters the step. Lowerings, canonicalizers
// and the runtime are written once against this interface.
def Optim_AdamStepOpInterface : OpInterface<"AdamStepOpInterface"> {
  let cppNamespace = "::mlir::optim";
  let description = [{
    One Adam-family optimizer step over a group of parameter tensors that
    share hyperparameters.
  }];
  let methods = [
    InterfaceMethod<"How weight decay enters the step.",
      "::mlir::optim::WeightDecayMode", "getWeightDecayMode">,
    InterfaceMethod<"The rate that scales decoupled weight decay.",
      "::mlir::optim::DecayRate", "getDecayRate", (ins), [{}],
      [{ return $_op.getDecayRate(); }]>,
    InterfaceMethod<"", "::mlir::optim::BiasCorrection", "getBiasCorrection",
      (ins), [{}], [{ return $_op.getBiasCorrection(); }]>,
    InterfaceMethod<"", "bool", "getAmsgrad", (ins), [{}],
      [{ return $_op.getAmsgrad(); }]>,
    InterfaceMethod<"", "bool", "getMaximize", (ins), [{}],
      [{ return $_op.getMaximize(); }]>,
    InterfaceMethod<"", "::mlir::OperandRange", "getParams", (ins), [{}],
      [{ return $_op.getParams(); }]>,
    InterfaceMethod<"", "::mlir::OperandRange", "getGrads", (ins), [{}],
      [{ return $_op.getGrads(); }]>,
    InterfaceMethod<"", "::mlir::OperandRange", "getExpAvgs", (ins), [{}],
      [{ return $_op.getExpAvgs(); }]>,
    InterfaceMethod<"", "::mlir::OperandRange", "getExpAvgSqs", (ins), [{}],
      [{ return $_op.getExpAvgSqs(); }]>,
    InterfaceMethod<"", "::mlir::OperandRange", "getMaxExpAvgSqs", (ins), [{}],
      [{ return $_op.getMaxExpAvgSqs(); }]>,
    InterfaceMethod<"The absmaxes of the 8-bit exp_avgs, in parameter order.",
      "::mlir::OperandRange", "getExpAvgAbsmaxes", (ins), [{}],
      [{ return $_op.getExpAvgAbsmaxes(); }]>,
    InterfaceMethod<"The absmaxes of the 8-bit exp_avg_sqs.",
      "::mlir::OperandRange", "getExpAvgSqAbsmaxes", (ins), [{}],
      [{ return $_op.getExpAvgSqAbsmaxes(); }]>,
    InterfaceMethod<"", "::mlir::Value", "getLr", (ins), [{}],
      [{ return $_op.getLr(); }]>,
    InterfaceMethod<"", "::mlir::Value", "getBeta1", (ins), [{}],
      [{ return $_op.getBeta1(); }]>,
    InterfaceMethod<"", "::mlir::Value", "getBeta2", (ins), [{}],
      [{ return $_op.getBeta2(); }]>,
    InterfaceMethod<"", "::mlir::Value", "getEps", (ins), [{}],
      [{ return $_op.getEps(); }]>,
    InterfaceMethod<"Null when there is no weight decay.", "::mlir::Value",
      "getWeightDecay", (ins), [{}], [{ return $_op.getWeightDecay(); }]>,
    InterfaceMethod<"The step count t >= 1; null when powers are given.",
      "::mlir::Value", "getStep", (ins), [{}], [{ return $_op.getStep(); }]>,
    InterfaceMethod<"beta1^t as given by the caller, or null.",
      "::mlir::Value", "getBeta1Power", (ins), [{}],
      [{ return $_op.getBeta1Power(); }]>,
    InterfaceMethod<"beta2^t as given by the caller, or null.",
      "::mlir::Value", "getBeta2Power", (ins), [{}],
      [{ return $_op.getBeta2Power(); }]>,
    InterfaceMethod<"", "::mlir::Value", "getRescaleGrad", (ins), [{}],
      [{ return $_op.getRescaleGrad(); }]>,
    InterfaceMethod<"", "::mlir::Value", "getClipGradient", (ins), [{}],
      [{ return $_op.getClipGradient(); }]>,
    InterfaceMethod<"", "::mlir::Value", "getGradScale", (ins), [{}],
      [{ return $_op.getGradScale(); }]>,
    InterfaceMethod<"", "::mlir::Value", "getFoundInf", (ins), [{}],
      [{ return $_op.getFoundInf(); }]>,
    InterfaceMethod<"The gradients' global norm, null without clipping.",
      "::mlir::Value", "getGradNorm", (ins), [{}],
      [{ return $_op.getGradNorm(); }]>,
    InterfaceMethod<"The norm gradients are clipped to, null without "
      "clipping.", "::mlir::Value", "getMaxGradNorm", (ins), [{}],
      [{ return $_op.getMaxGradNorm(); }]>,
    InterfaceMethod<"The seed of stochastic rounding; null when bf16 "
      "parameters round to nearest even.", "::mlir::Value",
      "getRoundingSeed", (ins), [{}], [{ return $_op.getRoundingSeed(); }]>,
    InterfaceMethod<"The draw offset of stochastic rounding (the step).",
      "::mlir::Value", "getRoundingOffset", (ins), [{}],
      [{ return $_op.getRoundingOffset(); }]>,
    InterfaceMethod<"The stream of the group's first parameter, or null (0).",
      "::mlir::Value", "getRoundingStream", (ins), [{}],
      [{ return $_op.getRoundingStream(); }]>,
    InterfaceMethod<"The element index of the group's first element, or null "
      "(0).", "::mlir::Value", "getRoundingElement", (ins), [{}],
      [{ return $_op.getRoundingElement(); }]>,
    InterfaceMethod<"Whether a non-finite grad_norm skips the step.", "bool",
      "getSkipNonfiniteNorm", (ins), [{}],
      [{ return $_op.getSkipNonfiniteNorm(); }]>,
  ];
  let extraSharedClassDeclaration = [{
    /// Number of parameter tensors in the group.
    unsigned getNumParams() { return $_op.getParams().size(); }
    /// Whether the op works on tensors (value semantics) or memrefs.
    bool isTensorForm() {
      return ::llvm::isa<::mlir::RankedTensorType>(
          $_op.getParams().front().getType());
    }
    /// The element type the step computes in: f32 for f16/bf16/f32 params,
    /// f64 for f64 params.
    ::mlir::FloatType getComputeType() {
      return ::mlir::optim::getComputeType(::mlir::getElementTypeOrSelf(
          $_op.getParams().front().getType()));
    }
  }];

  // The operand rules are the same for every step op, so they are checked
  // once, here, rather than by each op's verifier.
  let verify = [{
    return ::mlir::optim::detail::verifyAdamStepOp($_op);
  }];
}

#endif // OPTIM_INTERFACES_TD
