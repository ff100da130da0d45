// RUN: optim-opt %s | optim-opt | FileCheck %s
// RUN: optim-opt %s --optim-lower-to-llvm | FileCheck %s --check-prefix=LLVM

// The sample the README's main command shows: a PyTorch-style AdamW step over
// a parameter group, in place on memrefs, with every scalar a run-time value.

// CHECK: optim.adamw (%{{.*}}) : memref<?xf32>, (%{{.*}}) : memref<768x768xf32>
// LLVM: llvm.func @adamw_step
func.func @adamw_step(%bias: memref<?xf32>, %dbias: memref<?xf32>, %m0: memref<?xf32>, %v0: memref<?xf32>,
                      %w: memref<768x768xf32>, %dw: memref<768x768xf32>,
                      %m1: memref<768x768xf32>, %v1: memref<768x768xf32>,
                      %lr: f32, %beta1: f32, %beta2: f32, %eps: f32, %weight_decay: f32, %t: i64) {
  optim.adamw (%bias, %dbias, %m0, %v0) : memref<?xf32>,
              (%w, %dw, %m1, %v1) : memref<768x768xf32>
      lr(%lr) betas(%beta1, %beta2) eps(%eps) weight_decay(%weight_decay) step(%t : i64)
  return
}
