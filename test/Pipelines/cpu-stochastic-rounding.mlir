// Stochastic rounding on the CPU stays in the vectorised loop: the lanes'
// element indices are a vector, Philox2x32's 32x32 -> 64-bit multiplies become
// vector multiplies of zero-extended lanes, and the rounded bits are stored
// as a vector of bf16.
// RUN: optim-opt %s --optim-lower-to-llvm="openmp=0 chunk-size=0 vector-size=8" | FileCheck %s

// CHECK-LABEL: llvm.func @step
// CHECK-COUNT-10: llvm.mul {{.*}} : vector<8xi64>
// CHECK: llvm.bitcast {{.*}} : vector<8xf32> to vector<8xi32>
// CHECK: llvm.trunc {{.*}} : vector<8xi32> to vector<8xi16>
// CHECK: {{llvm.store|llvm.intr.masked.store}} {{.*}} : vector<8xbf16>

func.func @step(%p: memref<?xbf16>, %g: memref<?xbf16>, %m: memref<?xf32>, %v: memref<?xf32>,
                %t: i64, %seed: i64) {
  %lr = arith.constant 0.001 : f32
  %b1 = arith.constant 0.9 : f32
  %b2 = arith.constant 0.999 : f32
  %eps = arith.constant 1.0e-8 : f32
  optim.adam (%p, %g, %m, %v) : memref<?xbf16>
      lr(%lr) betas(%b1, %b2) eps(%eps) step(%t : i64)
      stochastic_rounding(%seed, %t)
  return
}
