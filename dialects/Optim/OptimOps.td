//===- OptimOps.td - optim operations ----------------------*- tablegen -*-===//

#ifndef OPTIM_OPS_TD
#define OPTIM_OPS_TD

include "Optim/OptimDialect.td"
include "Optim/OptimEnums.td"
include "Optim/OptimInterfaces.td"
include "mlir/Interfaces/DestinationStyleOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

// A parameter, gradient or moment: a ranked tensor (value semantics) or a
// memref (updated in place) of floats. Element types are checked by the
// verifier so that its messages can name the offending operand.
def Optim_FloatShaped
    : AnyTypeOf<[RankedTensorOf<[AnyFloat]>, MemRefOf<[AnyFloat]>],
                "ranked tensor or memref of floats">;

def Optim_StepCount
    : AnyTypeOf<[AnySignlessInteger, Index, AnyFloat],
                "integer, index or float step count">;

// The operands and attributes both ops share. `weightDecayType` is optional
// for Adam (present means L2) and required for AdamW (decoupled).
class Optim_AdamStepOp<string mnemonic, TypeConstraint weightDecayType,
                       dag extraAttrs = (ins)>
    : Optim_Op<mnemonic, [
        AttrSizedOperandSegments,
        DeclareOpInterfaceMethods<Optim_AdamStepOpInterface,
                                  ["getWeightDecayMode"]>,
        DeclareOpInterfaceMethods<DestinationStyleOpInterface>,
        DeclareOpInterfaceMethods<MemoryEffectsOpInterface>]> {
  let arguments = !con((ins
      Variadic<Optim_FloatShaped>:$grads,
      AnyFloat:$lr,
      AnyFloat:$beta1,
      AnyFloat:$beta2,
      AnyFloat:$eps,
      weightDecayType:$weight_decay,
      Optional<Optim_StepCount>:$step,
      Optional<AnyFloat>:$beta1_power,
      Optional<AnyFloat>:$beta2_power,
      Optional<AnyFloat>:$rescale_grad,
      Optional<AnyFloat>:$clip_gradient,
      Optional<AnyFloat>:$grad_scale,
      Optional<AnyFloat>:$found_inf,
      Variadic<Optim_FloatShaped>:$params,
      Variadic<Optim_FloatShaped>:$exp_avgs,
      Variadic<Optim_FloatShaped>:$exp_avg_sqs,
      Variadic<Optim_FloatShaped>:$max_exp_avg_sqs,
      DefaultValuedAttr<Optim_BiasCorrectionAttr,
                        "::mlir::optim::BiasCorrection::standard">:$bias_correction,
      UnitAttr:$amsgrad,
      UnitAttr:$maximize), extraAttrs);

  // Tensor form only: the updated params, then exp_avgs, exp_avg_sqs and
  // max_exp_avg_sqs (destination-passing style: one result per tensor init).
  let results = (outs Variadic<AnyRankedTensor>:$results);

  let hasCustomAssemblyFormat = 1;
  let hasVerifier = 1;
  let hasCanonicalizer = 1;

  code commonExtraClassDeclaration = [{
    /// The element type the step computes in: f32 for f16/bf16/f32 params,
    /// f64 for f64 params. Every float scalar operand has this type.
    ::mlir::FloatType getComputeType();
  }];
}

def Optim_AdamOp : Optim_AdamStepOp<"adam", Optional<AnyFloat>> {
  let summary = "Adam step (optionally AMSGrad, L2 weight decay)";
  let description = [{
    One Adam step over a group of parameters sharing hyperparameters, as
    `torch.optim.Adam`, MindSpore's `ApplyAdamWithAmsgradV2` and
    `experimental.optim.Adam` define it. A `weight_decay` operand, when
    present, is classic L2 regularisation: `g = g + weight_decay * p`.

    Each parenthesised group lists `param, grad, exp_avg, exp_avg_sq` (and
    `max_exp_avg_sq` with `amsgrad`), followed by the parameter type; the
    moments have the parameter's shape, with f32 elements for f16/bf16
    parameters. Scalars have the compute type (f32, or f64 for f64
    parameters). The step is given as a count `t >= 1` or, MindSpore style,
    as the powers `beta1^t, beta2^t`.

    On memrefs the op updates the state in place and has no results; on
    tensors it returns the new params, exp_avgs, exp_avg_sqs and
    max_exp_avg_sqs in that order, and bufferizes in place.

    Example (PyTorch `Adam(amsgrad=True, weight_decay=wd)`):

    ```mlir
    %p1, %m1, %v1, %vmax1 = optim.adam amsgrad
        (%p, %g, %m, %v, %vmax) : tensor<1024xf32>
        lr(%lr) betas(%b1, %b2) eps(%eps) weight_decay(%wd) step(%t : i64)
    ```
  }];
  let extraClassDeclaration = commonExtraClassDeclaration # [{
    /// Adam has no decoupled decay; the rate is reported for uniformity.
    ::mlir::optim::DecayRate getDecayRate() {
      return ::mlir::optim::DecayRate::lr;
    }
  }];
}

def Optim_AdamWOp : Optim_AdamStepOp<"adamw", AnyFloat,
    (ins DefaultValuedAttr<Optim_DecayRateAttr,
                           "::mlir::optim::DecayRate::lr">:$decay_rate)> {
  let summary = "AdamW step: Adam with decoupled weight decay";
  let description = [{
    One AdamW step: the parameter decays multiplicatively,
    `p = p * (1 - eta * weight_decay)`, independently of the moments. `eta`
    is the learning rate (`decay_rate(lr)`, the default: PyTorch, brainpy,
    MindSpore `AdamWeightDecay`) or the bias-corrected step size
    (`decay_rate(effective)`: MXNet, `w -= lr_t * (m / (sqrt(v) + eps) +
    wd * w)`). Everything else is as for `optim.adam`.

    Example (MXNet `AdamW` with gradient rescaling and clipping):

    ```mlir
    optim.adamw (%p, %g, %m, %v) : memref<?xf32>
        lr(%lr) betas(%b1, %b2) eps(%eps) weight_decay(%wd) step(%t : i64)
        rescale_grad(%rescale) clip_gradient(%clip)
        bias_correction(folded) decay_rate(effective)
    ```
  }];
  let extraClassDeclaration = commonExtraClassDeclaration;
}

#endif // OPTIM_OPS_TD
