//===- OptimOps.h - optim operations ----------------------------*- C++ -*-===//

#ifndef OPTIM_DIALECT_OPTIM_IR_OPTIMOPS_H
#define OPTIM_DIALECT_OPTIM_IR_OPTIMOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "optim/Dialect/Optim/IR/OptimDialect.h"

#include "optim/Dialect/Optim/IR/OptimEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "optim/Dialect/Optim/IR/OptimAttrs.h.inc"

namespace mlir::optim {

/// The type an Adam step computes in for parameters of `elementType`: f32 for
/// f16, bf16 and f32; f64 for f64. Null for unsupported element types.
FloatType getComputeType(Type elementType);

/// The type of a moment buffer for a parameter of type `paramType`: the same
/// shape (and, for memrefs, layout) with the compute element type.
Type getMomentType(Type paramType);

/// Whether a moment of type `momentType` holds 8-bit blockwise codes (i8
/// elements, with an absmax operand of its own).
bool isQuantizedMomentType(Type momentType);

/// The per-step scalar operands of a step, for the ops' group builders; null
/// values are absent operands.
struct StepScalars {
  Value lr, beta1, beta2, eps, weightDecay;
  Value step;                   ///< the count t, or
  Value beta1Power, beta2Power; ///< the powers beta1^t, beta2^t
  Value rescaleGrad, clipGradient, gradScale, foundInf;
  /// Global-norm clipping: the group's gradient norm (optim.global_norm)
  /// and the bound it is clipped to.
  Value gradNorm, maxGradNorm;
  /// Stochastic rounding of bf16 parameters (i64): the seed and the draw
  /// offset, and where the group starts (stream, element; null means 0).
  Value roundingSeed, roundingOffset, roundingStream, roundingElement;
};

namespace detail {
/// The verifier of AdamStepOpInterface: the operand rules both ops share.
LogicalResult verifyAdamStepOp(Operation *op);
} // namespace detail

} // namespace mlir::optim

#include "optim/Dialect/Optim/IR/OptimInterfaces.h.inc"

#define GET_OP_CLASSES
#include "optim/Dialect/Optim/IR/OptimOps.h.inc"

#endif // OPTIM_DIALECT_OPTIM_IR_OPTIMOPS_H
