//===- AdamVariant.h - variants of the dialect's Adam ops ----*- C++ -*-===//
//
// The dialect's side of optim/Support/AdamVariant.h: the variant an op
// computes, the conversions between the plain enums and the dialect's ODS
// enums, and builders that create the op a variant (or a framework preset)
// describes.
//
//===----------------------------------------------------------------------===//

#ifndef OPTIM_DIALECT_OPTIM_UTILS_ADAMVARIANT_H
#define OPTIM_DIALECT_OPTIM_UTILS_ADAMVARIANT_H

#include "optim/Dialect/Optim/IR/OptimOps.h"
#include "optim/Support/AdamVariant.h"

#include "mlir/IR/Builders.h"

namespace mlir::optim {

// The plain descriptions, under the dialect's namespace. The enums keep their
// ODS spelling here (BiasCorrection is the attribute's enum); convert with
// toIR/fromIR.
using ::optim::AdamVariant;
using ::optim::getAllPresets;
using ::optim::getPresetDefaults;
using ::optim::getPresetVariant;
using ::optim::HyperParameters;
using ::optim::Preset;
using ::optim::PresetOptions;
using ::optim::stringifyPreset;
using ::optim::symbolizePreset;

BiasCorrection toIR(::optim::BiasCorrection value);
WeightDecayMode toIR(::optim::WeightDecayMode value);
DecayRate toIR(::optim::DecayRate value);
::optim::BiasCorrection fromIR(BiasCorrection value);
::optim::WeightDecayMode fromIR(WeightDecayMode value);
::optim::DecayRate fromIR(DecayRate value);

/// The switches and optional operands of `op`.
AdamVariant getAdamVariant(AdamStepOpInterface op);

/// The per-parameter operands of a step; `maxExpAvgSq` only with AMSGrad,
/// the absmaxes only with 8-bit (i8) moments.
struct ParamState {
  Value param, grad, expAvg, expAvgSq, maxExpAvgSq;
  Value expAvgAbsmax, expAvgSqAbsmax;
};

// StepScalars, the per-step scalar operands, is declared with the ops.

/// Creates the op `variant` describes (optim.adamw for decoupled decay,
/// optim.adam otherwise) over `params`. Result types are inferred: none for
/// memrefs, the updated state for tensors.
AdamStepOpInterface buildAdamStep(OpBuilder &builder, Location loc,
                                  const AdamVariant &variant,
                                  ArrayRef<ParamState> params,
                                  const StepScalars &scalars);

/// One call per framework preset.
AdamStepOpInterface buildPresetStep(OpBuilder &builder, Location loc,
                                    Preset preset, ArrayRef<ParamState> params,
                                    const StepScalars &scalars,
                                    const PresetOptions &options = {});

} // namespace mlir::optim

#endif // OPTIM_DIALECT_OPTIM_UTILS_ADAMVARIANT_H
