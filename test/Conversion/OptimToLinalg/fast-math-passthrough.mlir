// RUN: optim-opt %s -convert-optim-to-linalg="fast-math=1" -split-input-file -verify-diagnostics | FileCheck %s

// Fast math asks LLVM for reciprocal estimates through the function's
// `passthrough` attribute; entries already there are kept.

// CHECK-LABEL: func @keeps_entries
// CHECK-SAME: passthrough = ["noinline", ["frame-pointer", "all"], ["reciprocal-estimates", "vec-divf:1,vec-sqrtf:1,divf:1,sqrtf:1"]]
func.func @keeps_entries(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>,
                         %lr: f32, %b1: f32, %b2: f32, %eps: f32, %t: i64)
    attributes {passthrough = ["noinline", ["frame-pointer", "all"]]} {
  optim.adam (%p, %g, %m, %v) : memref<8xf32>
      lr(%lr) betas(%b1, %b2) eps(%eps) step(%t : i64)
  return
}

// -----

// A function that already chose its reciprocal estimates keeps its choice.
// CHECK-LABEL: func @own_estimates
// CHECK-SAME: passthrough = {{\[}}["reciprocal-estimates", "none"]]
func.func @own_estimates(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>,
                         %lr: f32, %b1: f32, %b2: f32, %eps: f32, %t: i64)
    attributes {passthrough = [["reciprocal-estimates", "none"]]} {
  optim.adam (%p, %g, %m, %v) : memref<8xf32>
      lr(%lr) betas(%b1, %b2) eps(%eps) step(%t : i64)
  return
}

// -----

// Functions without steps are left alone.
// CHECK-LABEL: func @no_step
// CHECK-NOT: passthrough
// CHECK-SAME: {
func.func @no_step() {
  return
}

// -----

// expected-error @below {{expected 'passthrough' to be an array attribute}}
func.func @malformed(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>,
                     %lr: f32, %b1: f32, %b2: f32, %eps: f32, %t: i64)
    attributes {passthrough = "noinline"} {
  optim.adam (%p, %g, %m, %v) : memref<8xf32>
      lr(%lr) betas(%b1, %b2) eps(%eps) step(%t : i64)
  return
}
