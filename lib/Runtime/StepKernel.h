//===- StepKernel.h - the MLIR of a runtime step kernel ---------*- C++ -*-===//
//
// The runtime compiles every configuration to one function over 1-d buffers.
// On the CPU:
//
//   func.func @optim_step(%p: memref<?xT>, %g: memref<?xT>, %m: memref<?xC>,
//                         %v: memref<?xC>, %vmax: memref<?xC>,
//                         %scalars: memref<?xf64>)
//
// whose body loads the per-step scalars from the scalar block and applies a
// single optim.adam/optim.adamw; the executor calls it per chunk of the
// flattened parameter list. On the GPU (and emulated GPU) the group arrives
// as a table (optim/Codegen/GroupTable.h):
//
//   func.func @optim_step(%table: memref<?xi64> {optim.group_table},
//                         %p: memref<?xT> {optim.group_column = 0}, ...,
//                         %vmax: memref<?xC> {optim.group_column = 4},
//                         %scalars: memref<?xf64>)
//
// where the five template buffers are never read: their size is the group's
// total element count (it sizes the grid), their pointers may be null.
//
// With 8-bit moments a second function, @optim_step_q8, takes the tensors
// whose moments are coded: (p, g, m: i8, v: i8, the two absmaxes, the
// scalars), on the GPU behind a table of their own whose rows hold the
// absmaxes in columns 4 and 7 (its templates: the total, and its blocks).
//
//===----------------------------------------------------------------------===//

#ifndef OPTIM_LIB_RUNTIME_STEPKERNEL_H
#define OPTIM_LIB_RUNTIME_STEPKERNEL_H

#include "optim/Runtime/StepConfig.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace llvm {
class Module;
} // namespace llvm

#include <cstring>

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
  kGradNorm,
  kMaxGradNorm,
  // Stochastic rounding: 64-bit integers, their bits stored in the f64
  // slots (storeSlotBits). The seed and offset are the step's; the stream
  // and element say where the piece a call updates starts (the executor
  // sets them per call).
  kRoundingSeed,
  kRoundingOffset,
  kRoundingStream,
  kRoundingElement,
  kNumScalarSlots
};

constexpr llvm::StringLiteral kKernelName = "optim_step";
/// With global-norm clipping the module also defines
///
///   func.func @optim_grad_norm(%g: memref<?xT>, %scalars: memref<?xf64>)
///       -> f64
///
/// the norm of one piece of a gradient (unscaled by the grad_scale slot when
/// the step takes one), summed in f64; the executor combines the pieces. On
/// the GPU it takes the group table first and is the norm of the whole
/// group (one launch).
constexpr llvm::StringLiteral kGradNormKernelName = "optim_grad_norm";
/// With 8-bit moments the module also defines the step of the tensors that
/// store them (optim_step then serves the smaller ones, with f32 moments):
///
///   func.func @optim_step_q8(%p, %g, %m: memref<?xi8>, %v: memref<?xi8>,
///       %m_absmax: memref<?xf32>, %v_absmax: memref<?xf32>, %scalars)
///
/// over a piece that starts at a block boundary of its tensor.
constexpr llvm::StringLiteral kQuantizedKernelName = "optim_step_q8";

/// Stores the bits of `value` in a slot of the scalar block (the kernel
/// loads them as f64 and bitcasts them back).
inline void storeSlotBits(double &slot, uint64_t value) {
  std::memcpy(&slot, &value, sizeof value);
}

/// Fills the scalar block for one step.
void packScalars(const StepScalars &scalars, double (&block)[kNumScalarSlots]);

/// Whether `config` compiles to the group-table form (GPU targets).
inline bool usesGroupTable(const StepConfig &config) {
  return config.target != Target::CPU;
}

/// Builds the kernel module for `config` (see the file comment).
mlir::OwningOpRef<mlir::ModuleOp> buildStepKernel(mlir::MLIRContext *context,
                                                  const StepConfig &config);

/// Marks the data pointers of the step kernels' buffers noalias in their
/// LLVM IR (before it is optimised): the executors call the kernels only on
/// buffers that CompiledStep checked do not overlap (gradients, which may,
/// are only read). Without it LLVM must keep every load of an iteration
/// behind the stores before it, and when buffers sit a few vectors apart
/// modulo 4 KiB (PyTorch's allocator staggers tensors by 128 bytes) the
/// loads wait on stores they only appear to depend on.
void markKernelBuffersNoAlias(llvm::Module &module);

} // namespace optim::detail

#endif // OPTIM_LIB_RUNTIME_STEPKERNEL_H
