//===- OptimEnums.td - optim enumerations ------------------*- tablegen -*-===//

#ifndef OPTIM_ENUMS_TD
#define OPTIM_ENUMS_TD

include "Optim/OptimDialect.td"
include "mlir/IR/EnumAttr.td"

def Optim_BiasCorrection : I32EnumAttr<"BiasCorrection",
    "where the Adam bias correction is applied", [
      // p -= (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
      I32EnumAttrCase<"standard", 0>,
      // lr_t = lr * sqrt(1 - b2^t) / (1 - b1^t); p -= lr_t * m / (sqrt(v) + eps)
      I32EnumAttrCase<"folded", 1>,
      // p -= lr * m / (sqrt(v) + eps)
      I32EnumAttrCase<"none", 2>
    ]> {
  let cppNamespace = "::mlir::optim";
  let genSpecializedAttr = 0;
}

def Optim_BiasCorrectionAttr
    : EnumAttr<Optim_Dialect, Optim_BiasCorrection, "bias_correction"> {
  let assemblyFormat = "`<` $value `>`";
}

def Optim_DecayRate : I32EnumAttr<"DecayRate",
    "the learning rate that scales decoupled weight decay", [
      // p *= 1 - lr * wd (PyTorch AdamW, brainpy, MindSpore AdamWeightDecay)
      I32EnumAttrCase<"lr", 0>,
      // p *= 1 - lr_t * wd with the bias-corrected step size (MXNet AdamW)
      I32EnumAttrCase<"effective", 1>
    ]> {
  let cppNamespace = "::mlir::optim";
  let genSpecializedAttr = 0;
}

def Optim_DecayRateAttr
    : EnumAttr<Optim_Dialect, Optim_DecayRate, "decay_rate"> {
  let assemblyFormat = "`<` $value `>`";
}

// Not an attribute: derived from the op (adam with/without weight_decay,
// adamw). It is what the lowering and the runtime configuration speak.
def Optim_WeightDecayMode : I32EnumAttr<"WeightDecayMode",
    "how weight decay enters the step", [
      I32EnumAttrCase<"none", 0>,
      I32EnumAttrCase<"l2", 1>,
      I32EnumAttrCase<"decoupled", 2>
    ]> {
  let cppNamespace = "::mlir::optim";
  let genSpecializedAttr = 0;
}

#endif // OPTIM_ENUMS_TD
