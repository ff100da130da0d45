// REQUIRES: ptxas
// The issue-10 forms on the GPU: bf16 moment storage (decoded on load,
// rounded to nearest even on store) and the clip_grad_norm clause of the
// step (the norm comes from the host). ptxas accepts the PTX for sm_90 and
// reports no spills for either kernel.
// RUN: optim-opt %s --optim-lower-to-nvvm > %t.mlir
// RUN: %python %S/Inputs/extract-ptx.py --index 0 < %t.mlir > %t.0.ptx
// RUN: %python %S/Inputs/extract-ptx.py --index 1 < %t.mlir > %t.1.ptx
// RUN: ptxas -arch=sm_90 -v %t.0.ptx -o %t.0.cubin 2>&1 | FileCheck %s --check-prefix=MOMENTS
// RUN: ptxas -arch=sm_90 -v %t.1.ptx -o %t.1.cubin 2>&1 | FileCheck %s --check-prefix=CLIPPED
// RUN: FileCheck %s --check-prefix=PTX < %t.0.ptx

// MOMENTS: Compiling entry function 'bf16_moments_kernel'
// MOMENTS: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// CLIPPED: Compiling entry function 'clipped_kernel'
// CLIPPED: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads

// The bf16 moments are loaded and stored as 16-bit values.
// PTX-LABEL: .entry bf16_moments_kernel
// PTX: ld.global.{{(u16|b16)}}
// PTX: st.global.{{(u16|b16)}}

func.func @bf16_moments(%p: memref<?xf32>, %g: memref<?xf32>, %m: memref<?xbf16>, %v: memref<?xbf16>,
                        %lr: f64, %beta1: f64, %beta2: f64, %eps: f64, %wd: f64, %t: i64) {
  optim.adamw (%p, %g, %m, %v) : (memref<?xf32>, memref<?xf32>, memref<?xbf16>, memref<?xbf16>)
      scalar_type(f64)
      lr(%lr) betas(%beta1, %beta2) eps(%eps) weight_decay(%wd) step(%t : i64)
  return
}

func.func @clipped(%p: memref<?xf32>, %g: memref<?xf32>, %m: memref<?xf32>, %v: memref<?xf32>,
                   %lr: f64, %beta1: f64, %beta2: f64, %eps: f64, %wd: f64, %t: i64,
                   %norm: f64, %max: f64) {
  optim.adamw (%p, %g, %m, %v) : memref<?xf32> scalar_type(f64)
      lr(%lr) betas(%beta1, %beta2) eps(%eps) weight_decay(%wd) step(%t : i64)
      clip_grad_norm(%norm, %max)
  return
}

// Stochastic rounding of bf16 parameters: the element index of each lane
// feeds ten Philox rounds (multiplies and xors), and the param is
// stored as 16-bit values.
// RUN: %python %S/Inputs/extract-ptx.py --index 2 < %t.mlir > %t.2.ptx
// RUN: ptxas -arch=sm_90 -v %t.2.ptx -o %t.2.cubin 2>&1 | FileCheck %s --check-prefix=ROUNDED
// RUN: FileCheck %s --check-prefix=ROUNDED-PTX < %t.2.ptx
// ROUNDED: Compiling entry function 'rounded_kernel'
// ROUNDED: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// ROUNDED-PTX-LABEL: .entry rounded_kernel
// ROUNDED-PTX: xor.b32
// ROUNDED-PTX: st.global.{{(u16|b16)}}

func.func @rounded(%p: memref<?xbf16>, %g: memref<?xbf16>, %m: memref<?xf32>, %v: memref<?xf32>,
                   %lr: f64, %beta1: f64, %beta2: f64, %eps: f64, %wd: f64, %t: i64,
                   %seed: i64, %stream: i64, %element: i64) {
  optim.adamw (%p, %g, %m, %v) : memref<?xbf16> scalar_type(f64)
      lr(%lr) betas(%beta1, %beta2) eps(%eps) weight_decay(%wd) step(%t : i64)
      stochastic_rounding(%seed, %t) rounding_origin(%stream, %element)
  return
}
