//===- StepKernel.h - the MLIR of a runtime step kernel ---------*- C++ -*-===//
//
// The runtime compiles every configuration to one function over 1-d buffers:
//
//   func.func @optim_step(%p: memref<?xT>, %g: memref<?xT>, %m: memref<?xC>,
//                         %v: memref<?xC>, %vmax: memref<?xC>, [... K times]
//                         %scalars: memref<?xf64>)
//
// whose body loads the per-step scalars from the scalar block and applies a
// single optim.adam/optim.adamw over the K tensors. The CPU executor calls it
// (K = 1) per chunk of the flattened parameter list; on the GPU the same op
// becomes one launch for K tensors.
//
//===----------------------------------------------------------------------===//

#ifndef OPTIM_LIB_RUNTIME_STEPKERNEL_H
#define OPTIM_LIB_RUNTIME_STEPKERNEL_H

#include "optim/Runtime/StepConfig.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace optim::detail {

/// Slots of the f64 scalar block passed to every kernel.
enum ScalarSlot : unsigned {
  kLr,
  kBeta1,
  kBeta2,
  kEps,
  kWeightDecay,
  kStep,
  kBeta1Power,
  kBeta2Power,
  kRescaleGrad,
  kClipGradient,
  kGradScale,
  kNumScalarSlots
};

constexpr llvm::StringLiteral kKernelName = "optim_step";

/// Fills the scalar block for one step.
void packScalars(const StepScalars &scalars, double (&block)[kNumScalarSlots]);

/// Parameters per GPU launch: every tensor adds five memref descriptors
/// (200 bytes) to the kernel's parameters, which must stay under 4 KiB.
constexpr unsigned kGpuGroupSize = 16;

/// Tensors per kernel call for `config`: 1 on the CPU (the executor splits
/// work itself), kGpuGroupSize on the GPU (one launch per chunk of tensors).
unsigned getKernelGroupSize(const StepConfig &config);

/// Builds the kernel module for `config`: `optim_step` over
/// getKernelGroupSize(config) tuples (p, g, m, v, vmax) and the scalar block.
mlir::OwningOpRef<mlir::ModuleOp> buildStepKernel(mlir::MLIRContext *context,
                                                  const StepConfig &config);

} // namespace optim::detail

#endif // OPTIM_LIB_RUNTIME_STEPKERNEL_H
