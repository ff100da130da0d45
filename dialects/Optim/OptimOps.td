//===- OptimOps.td - optim operations ----------------------*- tablegen -*-===//

#ifndef OPTIM_OPS_TD
#define OPTIM_OPS_TD

include "Optim/OptimDialect.td"
include "Optim/OptimEnums.td"
include "Optim/OptimInterfaces.td"
include "mlir/Interfaces/DestinationStyleOpInterface.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

// A parameter, gradient or moment: a ranked tensor (value semantics) or a
// memref (updated in place) of floats. Element types are checked by the
// verifier so that its messages can name the offending operand.
def Optim_FloatShaped
    : AnyTypeOf<[RankedTensorOf<[AnyFloat]>, MemRefOf<[AnyFloat]>],
                "ranked tensor or memref of floats">;

// A moment: floats, or the i8 codes of an 8-bit blockwise moment.
def Optim_MomentShaped
    : AnyTypeOf<[RankedTensorOf<[AnyFloat, I8]>, MemRefOf<[AnyFloat, I8]>],
                "ranked tensor or memref of floats or i8 codes">;

// An integer step is read as signed (the lowering's sitofp), so it needs
// room for a positive value: an i1 `true` would be step -1.
def Optim_StepInteger
    : Type<And<[CPred<"$_self.isSignlessInteger()">,
                CPred<"$_self.getIntOrFloatBitWidth() >= 8">]>,
           "signless integer of at least 8 bits">;

def Optim_StepCount
    : AnyTypeOf<[Optim_StepInteger, Index, AnyFloat],
                "signless integer (read as signed, at least 8 bits), index "
                # "or float step count">;

// The operands, attributes, assembly format, builder and shared C++ of both
// ops. `weightDecayType` is optional for Adam (present means L2) and required
// for AdamW (decoupled); AdamW adds `decay_rate` through the `extra*` fields.
class Optim_AdamStepOp<string mnemonic, TypeConstraint weightDecayType,
                       dag extraAttrs = (ins),
                       string extraClauses = "",
                       dag extraBuilderArgs = (ins),
                       string extraBuilderCall = "">
    : Optim_Op<mnemonic, [
        AttrSizedOperandSegments,
        Optim_AdamStepOpInterface,
        DeclareOpInterfaceMethods<DestinationStyleOpInterface>,
        DeclareOpInterfaceMethods<MemoryEffectsOpInterface>,
        InferTypeOpAdaptor] # !foreach(scalar, ["beta1", "beta2", "eps",
            "weight_decay", "beta1_power", "beta2_power", "rescale_grad",
            "clip_gradient", "grad_scale", "found_inf", "grad_norm",
            "max_grad_norm"],
          OptionalTypesMatchWith<"'" # scalar # "' has the type of 'lr'",
                                 "lr", scalar, "$_self">)> {
  // The state (params and moments) forms the trailing operand segments: it is
  // the destination-style init range, one contiguous run of operands.
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
      Optional<AnyFloat>:$grad_norm,
      Optional<AnyFloat>:$max_grad_norm,
      Optional<I64>:$rounding_seed,
      Optional<I64>:$rounding_offset,
      Optional<I64>:$rounding_stream,
      Optional<I64>:$rounding_element,
      Variadic<Optim_FloatShaped>:$params,
      Variadic<Optim_MomentShaped>:$exp_avgs,
      Variadic<Optim_MomentShaped>:$exp_avg_sqs,
      Variadic<Optim_FloatShaped>:$max_exp_avg_sqs,
      Variadic<Optim_FloatShaped>:$exp_avg_absmaxes,
      Variadic<Optim_FloatShaped>:$exp_avg_sq_absmaxes,
      DefaultValuedAttr<Optim_BiasCorrectionAttr,
                        "::mlir::optim::BiasCorrection::standard">:$bias_correction,
      UnitAttr:$amsgrad,
      UnitAttr:$maximize), extraAttrs, (ins UnitAttr:$skip_nonfinite_norm));

  // Tensor form only: the updated params, then exp_avgs, exp_avg_sqs,
  // max_exp_avg_sqs and the absmaxes of 8-bit moments (destination-passing
  // style: one result per tensor init).
  let results = (outs Variadic<AnyRankedTensor>:$results);

  // `ParamGroups` reads the `(p, g, m, v[, vmax]) : type` tuples into the
  // per-role segments; `ScalarType` gives `lr` (and through the traits above
  // every float scalar) the compute type unless `scalar_type(f64)` widens it.
  // The required scalars keep their order; the optional clauses may come in
  // any order.
  defvar optionalWeightDecay = !isa<Optional>(weightDecayType);
  defvar weightDecayClause = "`weight_decay` `(` $weight_decay `)`";
  let assemblyFormat =
      "oilist(`amsgrad` $amsgrad | `maximize` $maximize)"
      # " custom<ParamGroups>($params, $grads, $exp_avgs, $exp_avg_sqs,"
      # " $max_exp_avg_sqs, $exp_avg_absmaxes, $exp_avg_sq_absmaxes,"
      # " type($params), type($grads), type($exp_avgs),"
      # " type($exp_avg_sqs), type($max_exp_avg_sqs),"
      # " type($exp_avg_absmaxes), type($exp_avg_sq_absmaxes))"
      # " `` custom<ScalarType>(ref(type($params)), type($lr))"
      # " `lr` `(` $lr `)` `betas` `(` $beta1 `,` $beta2 `)` `eps` `(` $eps `)`"
      # !if(optionalWeightDecay, "", " " # weightDecayClause)
      # " oilist("
      # !if(optionalWeightDecay, weightDecayClause # " | ", "")
      # "`step` `(` $step `:` type($step) `)`"
      # " | `beta_powers` `(` $beta1_power `,` $beta2_power `)`"
      # " | `rescale_grad` `(` $rescale_grad `)`"
      # " | `clip_gradient` `(` $clip_gradient `)`"
      # " | `grad_scale` `(` $grad_scale `)`"
      # " | `found_inf` `(` $found_inf `)`"
      # " | `clip_grad_norm` `(` $grad_norm `,` $max_grad_norm `)`"
      # " | `skip_nonfinite_norm` $skip_nonfinite_norm"
      # " | `stochastic_rounding` `(` $rounding_seed `,` $rounding_offset `)`"
      # " | `rounding_origin` `(` $rounding_stream `,` $rounding_element `)`"
      # " | `bias_correction` `(` custom<EnumKeyword>($bias_correction) `)`"
      # extraClauses # ")"
      # " attr-dict";

  // The group form: one entry per parameter in each range (`maxExpAvgSqs`
  // only with AMSGrad); null scalars are absent operands. Result types are
  // inferred.
  let builders = [
    OpBuilder<!con((ins "::mlir::ValueRange":$params,
        "::mlir::ValueRange":$grads, "::mlir::ValueRange":$expAvgs,
        "::mlir::ValueRange":$expAvgSqs, "::mlir::ValueRange":$maxExpAvgSqs,
        "const ::mlir::optim::StepScalars &":$scalars,
        CArg<"::mlir::optim::BiasCorrection",
             "::mlir::optim::BiasCorrection::standard">:$biasCorrection,
        CArg<"bool", "false">:$amsgrad, CArg<"bool", "false">:$maximize),
        extraBuilderArgs, (ins CArg<"bool", "false">:$skipNonfiniteNorm,
        CArg<"::mlir::ValueRange", "{}">:$expAvgAbsmaxes,
        CArg<"::mlir::ValueRange", "{}">:$expAvgSqAbsmaxes)), [{
      build($_builder, $_state, grads, scalars.lr, scalars.beta1,
            scalars.beta2, scalars.eps, scalars.weightDecay, scalars.step,
            scalars.beta1Power, scalars.beta2Power, scalars.rescaleGrad,
            scalars.clipGradient, scalars.gradScale, scalars.foundInf,
            scalars.gradNorm, scalars.maxGradNorm, scalars.roundingSeed,
            scalars.roundingOffset, scalars.roundingStream,
            scalars.roundingElement, params, expAvgs, expAvgSqs,
            maxExpAvgSqs, expAvgAbsmaxes, expAvgSqAbsmaxes, biasCorrection,
            amsgrad,
            maximize}] # extraBuilderCall # [{, skipNonfiniteNorm);
    }]>
  ];

  let hasCanonicalizer = 1;

  // Written once for both ops; the helpers live in OptimOps.cpp.
  let extraClassDefinition = [{
    ::llvm::LogicalResult $cppClass::inferReturnTypes(
        ::mlir::MLIRContext *, std::optional<::mlir::Location>,
        Adaptor adaptor,
        ::llvm::SmallVectorImpl<::mlir::Type> &inferredReturnTypes) {
      ::mlir::optim::detail::inferAdamStepResultTypes(
          {adaptor.getParams(), adaptor.getExpAvgs(), adaptor.getExpAvgSqs(),
           adaptor.getMaxExpAvgSqs(), adaptor.getExpAvgAbsmaxes(),
           adaptor.getExpAvgSqAbsmaxes()},
          inferredReturnTypes);
      return ::mlir::success();
    }

    ::mlir::MutableOperandRange $cppClass::getDpsInitsMutable() {
      return ::mlir::optim::detail::getAdamStepStateOperands(*this);
    }

    void $cppClass::getEffects(
        ::llvm::SmallVectorImpl<::mlir::SideEffects::EffectInstance<
            ::mlir::MemoryEffects::Effect>> &effects) {
      ::mlir::optim::detail::getAdamStepEffects(*this, effects);
    }

    void $cppClass::getCanonicalizationPatterns(
        ::mlir::RewritePatternSet &results, ::mlir::MLIRContext *context) {
      ::mlir::optim::detail::populateAdamStepCanonicalizationPatterns<
          $cppClass>(results, context);
    }
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
    parameters. An f32 step may store any moment in bf16 instead
    (spelled in the group's type list): it is decoded to f32 on load and
    rounded to nearest even once on store, in the same fused loop. Scalars have the compute type (f32, or f64 for f64
    parameters). The step is given as a count `t >= 1` or, MindSpore style,
    as the powers `beta1^t, beta2^t`.

    On memrefs the op updates the state in place and has no results; on
    tensors it returns the new params, exp_avgs, exp_avg_sqs and
    max_exp_avg_sqs in that order, and bufferizes in place.

    Global-norm clipping (`torch.nn.utils.clip_grad_norm_` before the step)
    is `clip_grad_norm(%norm, %max_norm)`: `%norm` is the group's gradient
    norm, as `optim.global_norm` computes it in one pass before the step, and
    every gradient is multiplied by `coef = min(1, max_norm / (norm + 1e-6))`
    (computed once, in f64, rounded to the compute type) after `rescale_grad`
    and `grad_scale` and before `clip_gradient`. A non-finite norm makes
    `coef` NaN, as in torch; with `skip_nonfinite_norm` it skips the step
    instead, as a non-zero `found_inf` does.

    Moments may also be stored in 8 bits, blockwise (bitsandbytes' 8-bit
    optimizers; f32-computing steps without `amsgrad`): `exp_avg` and
    `exp_avg_sq` of element type `i8` hold codes, and the group names their
    absmaxes, `(%p, %g, %m, %v) absmax(%am, %av) : (...)`, two 1-d f32
    operands of `ceil(numel / 256)` entries. Flattened row-major, element
    `j` is in block `j / 256`; it decodes as `map[code] * absmax[block]`
    with bitsandbytes' signed dynamic map for `exp_avg` and its unsigned
    map for `exp_avg_sq` (optim/Support/BlockwiseQuant.h holds both). The
    step updates the decoded moments as usual and updates the parameter
    from them; each block's new absmax is the largest magnitude of its new
    moments (NaN if one is NaN), and each moment is stored as the code of
    the nearest map value to `x / absmax` (ties to the lower one; 0 when
    absmax is 0). A group may mix 8-bit and other parameters.

    bf16 parameters may be rounded stochastically instead of to nearest even
    (`stochastic_rounding(%seed, %offset)`, both i64): the updated f32 value
    `x` is stored as the bf16 bits `(bits(x) + r) >> 16`, so it rounds up
    with probability (dropped bits) / 2^16 and `E[p] = x`; NaN is truncated
    (quiet, sign kept). For parameter `i` of the group, once per step, the
    key material `(k0, k1)` is words 0 and 1 of Philox4x32-10 with key =
    `%seed` (low word first) and counter = (`stream + i` mod 2^32, `%offset`
    low, `%offset` high, 0). The 16 bits `r` of its element `j` (row-major)
    are the low half of word 0 of Philox2x32-10 with key `k0` and counter
    (`e` low, `e` high xor `k1`), where `e = element + j`; `stream` and
    `element` are 0 unless `rounding_origin(%stream, %element)` places the
    group elsewhere (a runtime that splits a parameter into pieces passes
    the piece's tensor and first element). A draw depends on nothing else,
    so the result is the same for any thread count, tiling or launch shape.
    The offset is
    normally the step count, so each step draws afresh.

    Example (PyTorch `Adam(amsgrad=True, weight_decay=wd)`):

    ```mlir
    %p1, %m1, %v1, %vmax1 = optim.adam amsgrad
        (%p, %g, %m, %v, %vmax) : tensor<1024xf32>
        lr(%lr) betas(%b1, %b2) eps(%eps) weight_decay(%wd) step(%t : i64)
    ```
  }];
  let extraClassDeclaration = [{
    /// Adam has no decoupled decay; the rate is reported for uniformity.
    ::mlir::optim::DecayRate getDecayRate() {
      return ::mlir::optim::DecayRate::lr;
    }
    ::mlir::optim::WeightDecayMode getWeightDecayMode() {
      return getWeightDecay() ? ::mlir::optim::WeightDecayMode::l2
                              : ::mlir::optim::WeightDecayMode::none;
    }
  }];
}

def Optim_AdamWOp : Optim_AdamStepOp<"adamw", AnyFloat,
    (ins DefaultValuedAttr<Optim_DecayRateAttr,
                           "::mlir::optim::DecayRate::lr">:$decay_rate),
    " | `decay_rate` `(` custom<EnumKeyword>($decay_rate) `)`",
    (ins CArg<"::mlir::optim::DecayRate",
              "::mlir::optim::DecayRate::lr">:$decayRate),
    ", decayRate"> {
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
  let extraClassDeclaration = [{
    ::mlir::optim::WeightDecayMode getWeightDecayMode() {
      return ::mlir::optim::WeightDecayMode::decoupled;
    }
  }];
}

def Optim_GlobalNormOp : Optim_Op<"global_norm", [
    AttrSizedOperandSegments,
    DeclareOpInterfaceMethods<MemoryEffectsOpInterface>,
    OptionalTypesMatchWith<"'grad_scale' has the type of the norm", "norm",
                           "grad_scale", "$_self">]> {
  let summary = "L2 norm of all the gradients of a group";
  let description = [{
    The global norm `torch.nn.utils.clip_grad_norm_` computes: the square
    root of the sum of the squares of every element of every gradient. With
    `grad_scale(%s)` (mixed precision), each element is first unscaled as
    `torch.cuda.amp.GradScaler.unscale_` does, `g * (1 / s)` with `1 / s`
    computed in f64 and rounded once, the product rounded to the compute
    type. Squares are accumulated in f64. The gradients may have any shapes;
    the result has the compute type (f32 for f16, bf16 and f32 gradients,
    f64 for f64) or f64, and feeds `clip_grad_norm` of the steps.

    The op lowers to one reduction pass over the gradients (a single
    accumulator for the whole group), vectorised on the CPU.

    ```mlir
    %norm = optim.global_norm %dw, %db : memref<768x768xf32>, memref<768xf32>
        grad_scale(%scale) -> f32
    optim.adamw (%w, %dw, %m0, %v0) : memref<768x768xf32>,
                (%b, %db, %m1, %v1) : memref<768xf32>
        lr(%lr) betas(%b1, %b2) eps(%eps) weight_decay(%wd) step(%t : i64)
        grad_scale(%scale) clip_grad_norm(%norm, %max_norm)
    ```
  }];
  let arguments = (ins Variadic<Optim_FloatShaped>:$grads,
                       Optional<AnyFloat>:$grad_scale);
  let results = (outs AnyFloat:$norm);
  let assemblyFormat = [{
    $grads `:` type($grads) (`grad_scale` `(` $grad_scale^ `)`)?
    `->` type($norm) attr-dict
  }];
  let hasVerifier = 1;
}

#endif // OPTIM_OPS_TD
