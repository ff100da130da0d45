// RUN: optim-opt %s -split-input-file -verify-diagnostics
// RUN: optim-opt %s -split-input-file -verify-diagnostics --mlir-print-op-generic

// Inherent attributes of the wrong kind are rejected with a diagnostic, in
// the custom form's attribute dictionary as in the generic form's properties;
// none is dropped silently and none reaches the printer.

func.func @bias_correction_string(%p: memref<8xf32>, %lr: f32, %wd: f32, %t: i64) {
  // expected-error @+1 {{'optim.adamw' op attribute 'bias_correction' failed to satisfy constraint: where the Adam bias correction is applied}}
  optim.adamw (%p, %p, %p, %p) : memref<8xf32> lr(%lr) betas(%lr, %lr) eps(%lr) weight_decay(%wd) step(%t : i64) {bias_correction = "folded"}
  return
}

// -----

func.func @bias_correction_integer(%p: memref<8xf32>, %lr: f32, %wd: f32, %t: i64) {
  // expected-error @+1 {{'optim.adamw' op attribute 'bias_correction' failed to satisfy constraint: where the Adam bias correction is applied}}
  optim.adamw (%p, %p, %p, %p) : memref<8xf32> lr(%lr) betas(%lr, %lr) eps(%lr) weight_decay(%wd) step(%t : i64) {bias_correction = 3 : i32}
  return
}

// -----

func.func @amsgrad_integer(%p: memref<8xf32>, %lr: f32, %t: i64) {
  // expected-error @+1 {{'optim.adam' op attribute 'amsgrad' failed to satisfy constraint: unit attribute}}
  optim.adam (%p, %p, %p, %p) : memref<8xf32> lr(%lr) betas(%lr, %lr) eps(%lr) step(%t : i64) {amsgrad = 1 : i32}
  return
}

// -----

func.func @maximize_string(%p: memref<8xf32>, %lr: f32, %t: i64) {
  // expected-error @+1 {{'optim.adam' op attribute 'maximize' failed to satisfy constraint: unit attribute}}
  optim.adam (%p, %p, %p, %p) : memref<8xf32> lr(%lr) betas(%lr, %lr) eps(%lr) step(%t : i64) {maximize = "yes"}
  return
}

// -----

func.func @decay_rate_of_bias_correction_kind(%p: memref<8xf32>, %lr: f32, %wd: f32, %t: i64) {
  // expected-error @+1 {{'optim.adamw' op attribute 'decay_rate' failed to satisfy constraint: the learning rate that scales decoupled weight decay}}
  optim.adamw (%p, %p, %p, %p) : memref<8xf32> lr(%lr) betas(%lr, %lr) eps(%lr) weight_decay(%wd) step(%t : i64) {decay_rate = #optim.bias_correction<folded>}
  return
}

// -----

// The generic form: properties are converted with the same constraints.
func.func @generic_bias_correction_string(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %wd: f32, %t: i64) {
  // expected-error @+1 {{Invalid attribute `bias_correction` in property conversion: "folded"}}
  "optim.adamw"(%g, %lr, %lr, %lr, %lr, %wd, %t, %p, %m, %v) <{bias_correction = "folded", operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0>}> : (memref<8xf32>, f32, f32, f32, f32, f32, i64, memref<8xf32>, memref<8xf32>, memref<8xf32>) -> ()
  return
}

// -----

func.func @generic_amsgrad_integer(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %t: i64) {
  // expected-error @+1 {{Invalid attribute `amsgrad` in property conversion: 1 : i32}}
  "optim.adam"(%g, %lr, %lr, %lr, %lr, %t, %p, %m, %v) <{amsgrad = 1 : i32, operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0>}> : (memref<8xf32>, f32, f32, f32, f32, i64, memref<8xf32>, memref<8xf32>, memref<8xf32>) -> ()
  return
}

// -----

// Without properties, inherent attributes in the generic attribute
// dictionary are converted the same way.
func.func @generic_dictionary_maximize_string(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %t: i64) {
  // expected-error @+1 {{'optim.adam' op attribute 'maximize' failed to satisfy constraint: unit attribute}}
  "optim.adam"(%g, %lr, %lr, %lr, %lr, %t, %p, %m, %v) {maximize = "yes", operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0>} : (memref<8xf32>, f32, f32, f32, f32, i64, memref<8xf32>, memref<8xf32>, memref<8xf32>) -> ()
  return
}
