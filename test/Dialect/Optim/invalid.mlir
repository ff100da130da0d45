// RUN: optim-opt %s -split-input-file -verify-diagnostics

// One case per invalid rule of SEMANTICS.md; each message names the operand.

func.func @no_params(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i64) {
  // expected-error @+1 {{'optim.adam' op expects at least one parameter}}
  "optim.adam"(%lr, %b1, %b2, %eps, %t) <{operandSegmentSizes = array<i32: 0, 1, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0>}> : (f32, f32, f32, f32, i64) -> ()
  return
}

// -----

func.func @grad_count_mismatch(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i64) {
  // expected-error @+1 {{'optim.adam' op expects one grad per param, got 2 for 1 params}}
  "optim.adam"(%g, %g, %lr, %b1, %b2, %eps, %t, %p, %m, %v) <{operandSegmentSizes = array<i32: 2, 1, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0>}> : (memref<8xf32>, memref<8xf32>, f32, f32, f32, f32, i64, memref<8xf32>, memref<8xf32>, memref<8xf32>) -> ()
  return
}

// -----

func.func @exp_avg_sq_count_mismatch(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i64) {
  // expected-error @+1 {{'optim.adam' op expects one exp_avg_sq per param, got 0 for 1 params}}
  "optim.adam"(%g, %lr, %b1, %b2, %eps, %t, %p, %m) <{operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0>}> : (memref<8xf32>, f32, f32, f32, f32, i64, memref<8xf32>, memref<8xf32>) -> ()
  return
}

// -----

func.func @grad_shape_mismatch(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i64, %g9: memref<9xf32>) {
  // expected-error @+1 {{'optim.adam' op grad #0 has type 'memref<9xf32>' whose shape does not match param type 'memref<8xf32>'}}
  optim.adam (%p, %g9, %m, %v) : (memref<8xf32>, memref<9xf32>, memref<8xf32>, memref<8xf32>) lr(%lr) betas(%b1, %b2) eps(%eps) step(%t : i64)
  return
}

// -----

func.func @grad_element_type_mismatch(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i64, %g64: memref<8xf64>) {
  // expected-error @+1 {{'optim.adam' op grad #0 has element type 'f64', expected 'f32'}}
  optim.adam (%p, %g64, %m, %v) : (memref<8xf32>, memref<8xf64>, memref<8xf32>, memref<8xf32>) lr(%lr) betas(%b1, %b2) eps(%eps) step(%t : i64)
  return
}

// -----

func.func @half_param_moment_not_f32(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i64, %ph: memref<8xf16>, %gh: memref<8xf16>, %mh: memref<8xf16>, %mh2: memref<8xf32>) {
  // expected-error @+1 {{'optim.adam' op exp_avg #0 has element type 'f16', expected 'f32'}}
  optim.adam (%ph, %gh, %mh, %mh2) : (memref<8xf16>, memref<8xf16>, memref<8xf16>, memref<8xf32>) lr(%lr) betas(%b1, %b2) eps(%eps) step(%t : i64)
  return
}

// -----

func.func @unsupported_param_element_type(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i64, %p8: memref<8xf8E4M3FN>, %g8: memref<8xf8E4M3FN>) {
  // expected-error @+1 {{'optim.adam' op param #0 has unsupported element type 'f8E4M3FN' (expected f16, bf16, f32 or f64)}}
  "optim.adam"(%g8, %lr, %b1, %b2, %eps, %t, %p8, %m, %v) <{operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0>}> : (memref<8xf8E4M3FN>, f32, f32, f32, f32, i64, memref<8xf8E4M3FN>, memref<8xf32>, memref<8xf32>) -> ()
  return
}

// -----

func.func @amsgrad_without_max_exp_avg_sq(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i64) {
  // expected-error @+1 {{'optim.adam' op 'amsgrad' requires max_exp_avg_sq operands}}
  optim.adam amsgrad (%p, %g, %m, %v) : memref<8xf32> lr(%lr) betas(%b1, %b2) eps(%eps) step(%t : i64)
  return
}

// -----

func.func @max_exp_avg_sq_without_amsgrad(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i64, %vmax: memref<8xf32>) {
  // expected-error @+1 {{'optim.adam' op max_exp_avg_sq operands given without 'amsgrad'}}
  optim.adam (%p, %g, %m, %v, %vmax) : memref<8xf32> lr(%lr) betas(%b1, %b2) eps(%eps) step(%t : i64)
  return
}

// -----

func.func @mixed_compute_types(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i64, %pd: memref<8xf64>, %pd2: memref<8xf64>, %pd3: memref<8xf64>, %pd4: memref<8xf64>) {
  // expected-error @+1 {{'optim.adamw' op param #1 computes in 'f64' but param #0 computes in 'f32'; a group shares one compute type}}
  optim.adamw (%p, %g, %m, %v) : memref<8xf32>, (%pd, %pd2, %pd3, %pd4) : memref<8xf64> lr(%lr) betas(%b1, %b2) eps(%eps) weight_decay(%wd) step(%t : i64)
  return
}

// -----

func.func @mixed_tensor_and_memref(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i64, %gt: tensor<8xf32>) {
  // expected-error @+1 {{'optim.adam' op grad #0 is a tensor but param #0 is a memref; mixed tensor and memref operands are not allowed}}
  optim.adam (%p, %gt, %m, %v) : (memref<8xf32>, tensor<8xf32>, memref<8xf32>, memref<8xf32>) lr(%lr) betas(%b1, %b2) eps(%eps) step(%t : i64)
  return
}

// -----

func.func @scalar_type_mismatch(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i64, %lr64: f64) {
  // expected-error @+1 {{'optim.adam' op failed to verify that 'beta1' has the type of 'lr'}}
  "optim.adam"(%g, %lr64, %b1, %b2, %eps, %t, %p, %m, %v) <{operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0>}> : (memref<8xf32>, f64, f32, f32, f32, i64, memref<8xf32>, memref<8xf32>, memref<8xf32>) -> ()
  return
}

// -----

func.func @step_and_beta_powers(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i64) {
  // expected-error @+1 {{'optim.adam' op expects a 'step' count or 'beta_powers', not both}}
  optim.adam (%p, %g, %m, %v) : memref<8xf32> lr(%lr) betas(%b1, %b2) eps(%eps) step(%t : i64) beta_powers(%b1, %b2)
  return
}

// -----

func.func @bias_correction_without_step(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i64) {
  // expected-error @+1 {{'optim.adam' op bias correction 'standard' needs a 'step' count or 'beta_powers'}}
  optim.adam (%p, %g, %m, %v) : memref<8xf32> lr(%lr) betas(%b1, %b2) eps(%eps)
  return
}

// -----

// Without bias correction nothing reads the step or the powers: a producer
// that passes them most likely meant a corrected step.
func.func @step_without_bias_correction(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %b1: f32, %b2: f32, %eps: f32, %t: i64) {
  // expected-error @+1 {{'optim.adam' op bias correction 'none' reads no 'step' count; drop it or choose 'standard' or 'folded'}}
  optim.adam (%p, %g, %m, %v) : memref<8xf32> lr(%lr) betas(%b1, %b2) eps(%eps) step(%t : i64) bias_correction(none)
  return
}

// -----

func.func @beta_powers_without_bias_correction(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %b1: f32, %b2: f32, %eps: f32) {
  // expected-error @+1 {{'optim.adam' op bias correction 'none' reads no 'beta_powers'; drop it or choose 'standard' or 'folded'}}
  optim.adam (%p, %g, %m, %v) : memref<8xf32> lr(%lr) betas(%b1, %b2) eps(%eps) beta_powers(%b1, %b2) bias_correction(none)
  return
}

// -----

func.func @one_beta_power(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i64) {
  // expected-error @+1 {{'optim.adam' op expects both 'beta1_power' and 'beta2_power', or neither}}
  "optim.adam"(%g, %lr, %b1, %b2, %eps, %b1, %p, %m, %v) <{operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0>}> : (memref<8xf32>, f32, f32, f32, f32, f32, memref<8xf32>, memref<8xf32>, memref<8xf32>) -> ()
  return
}

// -----

func.func @negative_lr(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i64) {
  %c = arith.constant -1.0 : f32
  // expected-error @+1 {{'optim.adam' op 'lr' must be non-negative, got -1}}
  optim.adam (%p, %g, %m, %v) : memref<8xf32> lr(%c) betas(%b1, %b2) eps(%eps) step(%t : i64)
  return
}

// -----

func.func @negative_eps(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i64) {
  %c = arith.constant -1.0e-08 : f32
  // expected-error @+1 {{'optim.adam' op 'eps' must be non-negative, got -1e-08}}
  optim.adam (%p, %g, %m, %v) : memref<8xf32> lr(%lr) betas(%b1, %b2) eps(%c) step(%t : i64)
  return
}

// -----

func.func @beta1_one(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i64) {
  %c = arith.constant 1.0 : f32
  // expected-error @+1 {{'optim.adam' op 'beta1' must be in [0, 1), got 1}}
  optim.adam (%p, %g, %m, %v) : memref<8xf32> lr(%lr) betas(%c, %b2) eps(%eps) step(%t : i64)
  return
}

// -----

func.func @negative_beta2(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i64) {
  %c = arith.constant -0.5 : f32
  // expected-error @+1 {{'optim.adam' op 'beta2' must be in [0, 1), got -0.5}}
  optim.adam (%p, %g, %m, %v) : memref<8xf32> lr(%lr) betas(%b1, %c) eps(%eps) step(%t : i64)
  return
}

// -----

func.func @negative_weight_decay(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i64) {
  %c = arith.constant -0.01 : f32
  // expected-error @+1 {{'optim.adam' op 'weight_decay' must be non-negative, got -0.01}}
  optim.adam (%p, %g, %m, %v) : memref<8xf32> lr(%lr) betas(%b1, %b2) eps(%eps) weight_decay(%c) step(%t : i64)
  return
}

// -----

func.func @beta1_power_above_one(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i64) {
  %c = arith.constant 1.5 : f32
  // expected-error @+1 {{'optim.adam' op 'beta1_power' must be in [0, 1), got 1.5}}
  optim.adam (%p, %g, %m, %v) : memref<8xf32> lr(%lr) betas(%b1, %b2) eps(%eps) beta_powers(%c, %b2)
  return
}

// -----

func.func @zero_grad_scale(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i64) {
  %c = arith.constant 0.0 : f32
  // expected-error @+1 {{'optim.adam' op 'grad_scale' must be positive, got 0}}
  optim.adam (%p, %g, %m, %v) : memref<8xf32> lr(%lr) betas(%b1, %b2) eps(%eps) step(%t : i64) grad_scale(%c)
  return
}

// -----

func.func @zero_step(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i64) {
  %c0 = arith.constant 0 : i64
  // expected-error @+1 {{'optim.adam' op 'step' must be >= 1, got 0}}
  optim.adam (%p, %g, %m, %v) : memref<8xf32> lr(%lr) betas(%b1, %b2) eps(%eps) step(%c0 : i64)
  return
}

// -----

func.func @result_count_mismatch(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i64, %pt: tensor<8xf32>, %gt: tensor<8xf32>, %mt: tensor<8xf32>, %vt: tensor<8xf32>) {
  // expected-error @+1 {{'optim.adamw' op expected the number of tensor results (2) to be equal to the number of output tensors (3)}}
  %r:2 = "optim.adamw"(%gt, %lr, %b1, %b2, %eps, %wd, %t, %pt, %mt, %vt) <{operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0>}> : (tensor<8xf32>, f32, f32, f32, f32, f32, i64, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>)
  return
}

// -----

func.func @bad_enum(%p: memref<8xf32>, %lr: f32, %t: i64) {
  // expected-error @+1 {{unknown bias_correction 'sideways' (expected standard, folded, none)}}
  optim.adam (%p, %p, %p, %p) : memref<8xf32> lr(%lr) betas(%lr, %lr) eps(%lr) step(%t : i64) bias_correction(sideways)
  return
}

// -----

func.func @bad_group(%p: memref<8xf32>, %lr: f32, %t: i64) {
  // expected-error @+1 {{expected (param, grad, exp_avg, exp_avg_sq[, max_exp_avg_sq])}}
  optim.adam (%p, %p, %p) : memref<8xf32> lr(%lr) betas(%lr, %lr) eps(%lr) step(%t : i64)
  return
}

// -----

func.func @narrow_scalars(%p: memref<8xf32>, %lr: f16, %t: i64) {
  // expected-error @+1 {{'optim.adam' op 'lr' must have the compute type 'f32' or f64, got 'f16'}}
  optim.adam (%p, %p, %p, %p) : (memref<8xf32>, memref<8xf32>, memref<8xf32>, memref<8xf32>) scalar_type(f16) lr(%lr) betas(%lr, %lr) eps(%lr) step(%t : i64)
  return
}

// -----

func.func @non_shaped(%x: f32, %t: i64) {
  // expected-error @+1 {{expected ranked tensors or memrefs of f16, bf16, f32 or f64 (or i8 moment codes), got 'f32'}}
  optim.adam (%x, %x, %x, %x) : (f32, f32, f32, f32) lr(%x) betas(%x, %x) eps(%x) step(%t : i64)
  return
}

// -----

func.func @integer_params(%p: memref<4xi32>, %t: i64) {
  // expected-error @+1 {{expected ranked tensors or memrefs of f16, bf16, f32 or f64 (or i8 moment codes), got 'memref<4xi32>'}}
  optim.adam (%p, %p, %p, %p) : (memref<4xi32>, memref<4xi32>, memref<4xi32>, memref<4xi32>) lr(%t) betas(%t, %t) eps(%t) step(%t : i64)
  return
}

// -----

// Constant scalars follow the runtime's rules (optim/Support/ScalarChecks.h)
// in the step's compute type.

func.func @infinite_lr(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %b1: f32, %b2: f32, %eps: f32, %t: i64) {
  %inf = arith.constant 0x7F800000 : f32
  // expected-error @+1 {{'optim.adam' op 'lr' must be finite, got inf}}
  optim.adam (%p, %g, %m, %v) : memref<8xf32> lr(%inf) betas(%b1, %b2) eps(%eps) step(%t : i64)
  return
}

// -----

func.func @infinite_weight_decay(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %b1: f32, %b2: f32, %eps: f32, %t: i64) {
  %inf = arith.constant 0x7F800000 : f32
  // expected-error @+1 {{'optim.adamw' op 'weight_decay' must be finite, got inf}}
  optim.adamw (%p, %g, %m, %v) : memref<8xf32> lr(%lr) betas(%b1, %b2) eps(%eps) weight_decay(%inf) step(%t : i64)
  return
}

// -----

func.func @infinite_rescale_grad(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i64) {
  %inf = arith.constant 0x7F800000 : f32
  // expected-error @+1 {{'optim.adamw' op 'rescale_grad' must be finite, got inf}}
  optim.adamw (%p, %g, %m, %v) : memref<8xf32> lr(%lr) betas(%b1, %b2) eps(%eps) weight_decay(%wd) step(%t : i64) rescale_grad(%inf)
  return
}

// -----

// A NaN clip bound would silently disable clipping.
func.func @nan_clip_gradient(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i64) {
  %nan = arith.constant 0x7FC00000 : f32
  // expected-error @+1 {{'optim.adamw' op 'clip_gradient' must not be NaN}}
  optim.adamw (%p, %g, %m, %v) : memref<8xf32> lr(%lr) betas(%b1, %b2) eps(%eps) weight_decay(%wd) step(%t : i64) clip_gradient(%nan)
  return
}

// -----

// The kernel multiplies by 1 / grad_scale, which overflows f32 here.
func.func @grad_scale_reciprocal_overflows_f32(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %b1: f32, %b2: f32, %eps: f32, %t: i64) {
  %tiny = arith.constant 1.0e-39 : f32
  // expected-error @+1 {{'optim.adam' op 'grad_scale' must be at least 2.938736052218037e-39 (its reciprocal must be representable in f32), got 1e-39}}
  optim.adam (%p, %g, %m, %v) : memref<8xf32> lr(%lr) betas(%b1, %b2) eps(%eps) step(%t : i64) grad_scale(%tiny)
  return
}

// -----

// f64 scalars on an f32 step: the value must survive the compute type.
func.func @f64_rescale_grad_overflows_f32(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f64, %b1: f64, %b2: f64, %eps: f64, %wd: f64, %t: i64) {
  %huge = arith.constant 1.0e300 : f64
  // expected-error @+1 {{'optim.adamw' op 'rescale_grad' must be representable in f32, got 1e+300}}
  optim.adamw (%p, %g, %m, %v) : memref<8xf32> scalar_type(f64) lr(%lr) betas(%b1, %b2) eps(%eps) weight_decay(%wd) step(%t : i64) rescale_grad(%huge)
  return
}

// -----

// The same for lr, which the kernel uses in f32.
func.func @f64_lr_overflows_f32(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %b1: f64, %b2: f64, %eps: f64, %t: i64) {
  %huge = arith.constant 1.0e300 : f64
  // expected-error @+1 {{'optim.adam' op 'lr' must be representable in f32, got 1e+300}}
  optim.adam (%p, %g, %m, %v) : memref<8xf32> scalar_type(f64) lr(%huge) betas(%b1, %b2) eps(%eps) step(%t : i64)
  return
}

// -----

// Nor may it vanish there: an eps of 1e-50 would be 0 in the kernel.
func.func @f64_eps_rounds_to_zero_in_f32(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f64, %b1: f64, %b2: f64, %t: i64) {
  %tiny = arith.constant 1.0e-50 : f64
  // expected-error @+1 {{'optim.adam' op 'eps' must be representable in f32 (it rounds to 0), got 1e-50}}
  optim.adam (%p, %g, %m, %v) : memref<8xf32> scalar_type(f64) lr(%lr) betas(%b1, %b2) eps(%tiny) step(%t : i64)
  return
}

// -----

func.func @step_above_2_pow_53(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %b1: f32, %b2: f32, %eps: f32) {
  %t = arith.constant 4611686018427387904 : i64
  // expected-error @+1 {{'optim.adam' op 'step' must be at most 2^53 (9007199254740992), got 4.611686018427388e+18}}
  optim.adam (%p, %g, %m, %v) : memref<8xf32> lr(%lr) betas(%b1, %b2) eps(%eps) step(%t : i64)
  return
}

// -----

// A step count wider than 64 bits is read without truncation.
func.func @step_i128(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %b1: f32, %b2: f32, %eps: f32) {
  %t = arith.constant 18446744073709551617 : i128
  // expected-error @+1 {{'optim.adam' op 'step' must be at most 2^53 (9007199254740992), got 1.8446744073709552e+19}}
  optim.adam (%p, %g, %m, %v) : memref<8xf32> lr(%lr) betas(%b1, %b2) eps(%eps) step(%t : i128)
  return
}

// -----

func.func @fractional_step(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %b1: f32, %b2: f32, %eps: f32) {
  %t = arith.constant 1.5 : f32
  // expected-error @+1 {{'optim.adam' op 'step' must be a whole number, got 1.5}}
  optim.adam (%p, %g, %m, %v) : memref<8xf32> lr(%lr) betas(%b1, %b2) eps(%eps) step(%t : f32)
  return
}

// -----

func.func @bad_decay_rate(%p: memref<8xf32>, %lr: f32, %t: i64) {
  // expected-error @+1 {{unknown decay_rate 'slow' (expected lr, effective)}}
  optim.adamw (%p, %p, %p, %p) : memref<8xf32> lr(%lr) betas(%lr, %lr) eps(%lr) weight_decay(%lr) step(%t : i64) decay_rate(slow)
  return
}

// -----

func.func @decay_rate_on_adam(%p: memref<8xf32>, %lr: f32, %t: i64) {
  // expected-error @+1 {{custom op 'decay_rate' is unknown}}
  optim.adam (%p, %p, %p, %p) : memref<8xf32> lr(%lr) betas(%lr, %lr) eps(%lr) step(%t : i64) decay_rate(lr)
  return
}

// -----

func.func @repeated_clause(%p: memref<8xf32>, %lr: f32, %t: i64) {
  // expected-error @+1 {{`step` clause can appear at most once in the expansion of the oilist directive}}
  optim.adam (%p, %p, %p, %p) : memref<8xf32> lr(%lr) betas(%lr, %lr) eps(%lr) step(%t : i64) step(%t : i64)
  return
}

// -----

// Global-norm clipping.

func.func @grad_norm_without_max(%p: memref<8xf32>, %lr: f32, %t: i64) {
  // expected-error @+1 {{'optim.adam' op expects both 'grad_norm' and 'max_grad_norm', or neither}}
  "optim.adam"(%p, %lr, %lr, %lr, %lr, %t, %lr, %p, %p, %p) <{operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0>}> : (memref<8xf32>, f32, f32, f32, f32, i64, f32, memref<8xf32>, memref<8xf32>, memref<8xf32>) -> ()
  return
}

// -----

func.func @skip_nonfinite_without_clip(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %t: i64) {
  // expected-error @+1 {{'optim.adam' op 'skip_nonfinite_norm' requires 'clip_grad_norm(grad_norm, max_grad_norm)'}}
  optim.adam (%p, %g, %m, %v) : memref<8xf32> lr(%lr) betas(%lr, %lr) eps(%lr) step(%t : i64) skip_nonfinite_norm
  return
}

// -----

func.func @negative_max_grad_norm(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %t: i64, %norm: f32) {
  %max = arith.constant -1.0 : f32
  // expected-error @+1 {{'optim.adam' op 'max_grad_norm' must be non-negative, got -1}}
  optim.adam (%p, %g, %m, %v) : memref<8xf32> lr(%lr) betas(%lr, %lr) eps(%lr) step(%t : i64) clip_grad_norm(%norm, %max)
  return
}

// -----

func.func @nan_max_grad_norm(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %t: i64, %norm: f32) {
  %max = arith.constant 0x7FC00000 : f32
  // expected-error @+1 {{'optim.adam' op 'max_grad_norm' must not be NaN}}
  optim.adam (%p, %g, %m, %v) : memref<8xf32> lr(%lr) betas(%lr, %lr) eps(%lr) step(%t : i64) clip_grad_norm(%norm, %max)
  return
}

// -----

func.func @grad_norm_type(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %t: i64, %norm: f64, %max: f32) {
  // expected-error @+1 {{'grad_norm' has the type of 'lr'}}
  "optim.adam"(%g, %lr, %lr, %lr, %lr, %t, %norm, %max, %p, %m, %v) <{operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0>}> : (memref<8xf32>, f32, f32, f32, f32, i64, f64, f32, memref<8xf32>, memref<8xf32>, memref<8xf32>) -> ()
  return
}

// -----

func.func @global_norm_no_grads(%s: f32) -> f32 {
  // expected-error @+1 {{'optim.global_norm' op expects at least one grad}}
  %n = "optim.global_norm"() <{operandSegmentSizes = array<i32: 0, 0>}> : () -> f32
  return %n : f32
}

// -----

func.func @global_norm_mixed_compute_types(%g: memref<8xf32>, %g64: memref<8xf64>) -> f32 {
  // expected-error @+1 {{'optim.global_norm' op grad #1 computes in 'f64' but grad #0 computes in 'f32'; the norm has one compute type}}
  %n = optim.global_norm %g, %g64 : memref<8xf32>, memref<8xf64> -> f32
  return %n : f32
}

// -----

func.func @global_norm_unsupported_type(%g: memref<8xf32>, %g8: memref<8xf8E4M3FN>) -> f32 {
  // expected-error @+1 {{'optim.global_norm' op grad #1 has unsupported element type 'f8E4M3FN' (expected f16, bf16, f32 or f64)}}
  %n = optim.global_norm %g, %g8 : memref<8xf32>, memref<8xf8E4M3FN> -> f32
  return %n : f32
}

// -----

func.func @global_norm_result_type(%g: memref<8xf64>) -> f32 {
  // expected-error @+1 {{'optim.global_norm' op result 'norm' must have the compute type 'f64' or f64, got 'f32'}}
  %n = optim.global_norm %g : memref<8xf64> -> f32
  return %n : f32
}

// -----

func.func @global_norm_mixed_forms(%g: memref<8xf32>, %t: tensor<8xf32>) -> f32 {
  // expected-error @+1 {{'optim.global_norm' op grad #1 is a tensor but grad #0 is a memref; mixed tensor and memref operands are not allowed}}
  %n = optim.global_norm %g, %t : memref<8xf32>, tensor<8xf32> -> f32
  return %n : f32
}

// -----

func.func @global_norm_zero_grad_scale(%g: memref<8xf32>) -> f32 {
  %s = arith.constant 0.0 : f32
  // expected-error @+1 {{'optim.global_norm' op 'grad_scale' must be positive, got 0}}
  %n = optim.global_norm %g : memref<8xf32> grad_scale(%s) -> f32
  return %n : f32
}

// -----

func.func @global_norm_grad_scale_type(%g: memref<8xf32>, %s: f64) -> f32 {
  // expected-error @+1 {{'grad_scale' has the type of the norm}}
  %n = "optim.global_norm"(%g, %s) <{operandSegmentSizes = array<i32: 1, 1>}> : (memref<8xf32>, f64) -> f32
  return %n : f32
}

// -----

// bf16 moment storage is for f32 steps only.

func.func @bf16_moments_f64_step(%p: memref<8xf64>, %g: memref<8xf64>, %m: memref<8xbf16>, %v: memref<8xbf16>, %lr: f64, %t: i64) {
  // expected-error @+1 {{'optim.adam' op exp_avg #0 has element type 'bf16', expected 'f64'}}
  optim.adam (%p, %g, %m, %v) : (memref<8xf64>, memref<8xf64>, memref<8xbf16>, memref<8xbf16>) lr(%lr) betas(%lr, %lr) eps(%lr) step(%t : i64)
  return
}

// -----

func.func @f16_moment_storage(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf16>, %lr: f32, %t: i64) {
  // expected-error @+1 {{'optim.adam' op exp_avg_sq #0 has element type 'f16', expected 'f32', 'bf16' or 'i8' (moment storage)}}
  optim.adam (%p, %g, %m, %v) : (memref<8xf32>, memref<8xf32>, memref<8xf32>, memref<8xf16>) lr(%lr) betas(%lr, %lr) eps(%lr) step(%t : i64)
  return
}

// -----

func.func @bf16_grad(%p: memref<8xf32>, %g: memref<8xbf16>, %m: memref<8xbf16>, %v: memref<8xbf16>, %lr: f32, %t: i64) {
  // expected-error @+1 {{'optim.adam' op grad #0 has element type 'bf16', expected 'f32'}}
  optim.adam (%p, %g, %m, %v) : (memref<8xf32>, memref<8xbf16>, memref<8xbf16>, memref<8xbf16>) lr(%lr) betas(%lr, %lr) eps(%lr) step(%t : i64)
  return
}

// -----

// Stochastic rounding is for bf16 parameters; the message names the param.

func.func @sr_f32_param(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %t: i64, %seed: i64) {
  // expected-error @+1 {{'optim.adam' op 'stochastic_rounding' rounds bf16 parameters, but param #0 has element type 'f32'}}
  optim.adam (%p, %g, %m, %v) : memref<8xf32> lr(%lr) betas(%lr, %lr) eps(%lr) step(%t : i64) stochastic_rounding(%seed, %t)
  return
}

// -----

func.func @sr_mixed_params(%p: memref<8xbf16>, %g: memref<8xbf16>, %m: memref<8xf32>, %v: memref<8xf32>,
                           %q: memref<8xf16>, %h: memref<8xf16>, %n: memref<8xf32>, %w: memref<8xf32>, %lr: f32, %t: i64, %seed: i64) {
  // expected-error @+1 {{'optim.adamw' op 'stochastic_rounding' rounds bf16 parameters, but param #1 has element type 'f16'}}
  optim.adamw (%p, %g, %m, %v) : memref<8xbf16>, (%q, %h, %n, %w) : memref<8xf16> lr(%lr) betas(%lr, %lr) eps(%lr) weight_decay(%lr) step(%t : i64) stochastic_rounding(%seed, %t)
  return
}

// -----

func.func @origin_without_sr(%p: memref<8xbf16>, %g: memref<8xbf16>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %t: i64) {
  // expected-error @+1 {{'optim.adam' op 'rounding_origin' requires 'stochastic_rounding(seed, offset)'}}
  optim.adam (%p, %g, %m, %v) : memref<8xbf16> lr(%lr) betas(%lr, %lr) eps(%lr) step(%t : i64) rounding_origin(%t, %t)
  return
}

// -----

// expected-note @+1 {{prior use here}}
func.func @sr_seed_type(%p: memref<8xbf16>, %g: memref<8xbf16>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %t: i64, %seed: i32) {
  // expected-error @+1 {{use of value '%seed' expects different type than prior uses: 'i64' vs 'i32'}}
  optim.adam (%p, %g, %m, %v) : memref<8xbf16> lr(%lr) betas(%lr, %lr) eps(%lr) step(%t : i64) stochastic_rounding(%seed, %t)
  return
}

// -----

// The generic form can give a seed without its offset.

func.func @sr_seed_only(%p: memref<8xbf16>, %g: memref<8xbf16>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %t: i64) {
  // expected-error @+1 {{'optim.adam' op expects both 'rounding_seed' and 'rounding_offset', or neither}}
  "optim.adam"(%g, %lr, %lr, %lr, %lr, %t, %t, %p, %m, %v) <{operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0>}> : (memref<8xbf16>, f32, f32, f32, f32, i64, i64, memref<8xbf16>, memref<8xf32>, memref<8xf32>) -> ()
  return
}

// -----

// 8-bit moments: both moments of a parameter are coded, or neither.
func.func @codes_for_one_moment(%p: memref<4096xf32>, %m: memref<4096xi8>, %v: memref<4096xf32>, %a: memref<16xf32>, %lr: f32, %t: i64) {
  // expected-error @+1 {{'optim.adamw' op exp_avg #0 holds 8-bit codes but exp_avg_sq #0 does not; a parameter's two moments are coded together}}
  optim.adamw (%p, %p, %m, %v) : (memref<4096xf32>, memref<4096xf32>, memref<4096xi8>, memref<4096xf32>)
      lr(%lr) betas(%lr, %lr) eps(%lr) weight_decay(%lr) step(%t : i64)
  return
}

// -----

func.func @codes_without_absmax(%p: memref<4096xf32>, %m: memref<4096xi8>, %lr: f32, %t: i64) {
  // expected-error @+1 {{'optim.adamw' op expects one exp_avg absmax per parameter with 8-bit moments, got 0 for 1}}
  optim.adamw (%p, %p, %m, %m) : (memref<4096xf32>, memref<4096xf32>, memref<4096xi8>, memref<4096xi8>)
      lr(%lr) betas(%lr, %lr) eps(%lr) weight_decay(%lr) step(%t : i64)
  return
}

// -----

func.func @absmax_of_wrong_size(%p: memref<4100xf32>, %m: memref<4100xi8>, %v: memref<4100xi8>, %a: memref<16xf32>, %b: memref<17xf32>, %lr: f32, %t: i64) {
  // expected-error @+1 {{'optim.adamw' op exp_avg absmax of param #0 has type 'memref<16xf32>', expected a 1-d f32 memref of 17 elements (one per block of 256)}}
  optim.adamw (%p, %p, %m, %v) absmax(%a, %b) : (memref<4100xf32>, memref<4100xf32>, memref<4100xi8>, memref<4100xi8>, memref<16xf32>, memref<17xf32>)
      lr(%lr) betas(%lr, %lr) eps(%lr) weight_decay(%lr) step(%t : i64)
  return
}

// -----

func.func @absmax_of_wrong_type(%p: memref<512xf32>, %m: memref<512xi8>, %v: memref<512xi8>, %a: memref<2xf32>, %b: memref<2xf16>, %lr: f32, %t: i64) {
  // expected-error @+1 {{'optim.adamw' op exp_avg_sq absmax of param #0 has type 'memref<2xf16>', expected a 1-d f32 memref of 2 elements (one per block of 256)}}
  optim.adamw (%p, %p, %m, %v) absmax(%a, %b) : (memref<512xf32>, memref<512xf32>, memref<512xi8>, memref<512xi8>, memref<2xf32>, memref<2xf16>)
      lr(%lr) betas(%lr, %lr) eps(%lr) weight_decay(%lr) step(%t : i64)
  return
}

// -----

func.func @codes_with_amsgrad(%p: memref<512xf32>, %m: memref<512xi8>, %vmax: memref<512xf32>, %a: memref<2xf32>, %lr: f32, %t: i64) {
  // expected-error @+1 {{'optim.adamw' op 8-bit moments (exp_avg #0) do not support 'amsgrad'}}
  optim.adamw amsgrad (%p, %p, %m, %m, %vmax) absmax(%a, %a) : (memref<512xf32>, memref<512xf32>, memref<512xi8>, memref<512xi8>, memref<512xf32>, memref<2xf32>, memref<2xf32>)
      lr(%lr) betas(%lr, %lr) eps(%lr) weight_decay(%lr) step(%t : i64)
  return
}

// -----

func.func @codes_for_an_f64_step(%p: memref<512xf64>, %m: memref<512xi8>, %a: memref<2xf32>, %lr: f64, %t: i64) {
  // expected-error @+1 {{'optim.adamw' op exp_avg #0 has element type 'i8', expected 'f64'}}
  optim.adamw (%p, %p, %m, %m) absmax(%a, %a) : (memref<512xf64>, memref<512xf64>, memref<512xi8>, memref<512xi8>, memref<2xf32>, memref<2xf32>)
      lr(%lr) betas(%lr, %lr) eps(%lr) weight_decay(%lr) step(%t : i64)
  return
}

// -----

func.func @codes_as_max_exp_avg_sq(%p: memref<512xf32>, %v: memref<512xi8>, %lr: f32, %t: i64) {
  // expected-error @+1 {{expected ranked tensors or memrefs of f16, bf16, f32 or f64 (or i8 moment codes), got 'memref<512xi8>'}}
  optim.adamw amsgrad (%p, %p, %p, %p, %v) : (memref<512xf32>, memref<512xf32>, memref<512xf32>, memref<512xf32>, memref<512xi8>)
      lr(%lr) betas(%lr, %lr) eps(%lr) weight_decay(%lr) step(%t : i64)
  return
}

// -----

func.func @absmax_with_short_types(%p: memref<512xf32>, %a: memref<2xf32>, %lr: f32, %t: i64) {
  // expected-error @+1 {{a group with 'absmax' spells its types as a parenthesised list}}
  optim.adamw (%p, %p, %p, %p) absmax(%a, %a) : memref<512xf32>
      lr(%lr) betas(%lr, %lr) eps(%lr) weight_decay(%lr) step(%t : i64)
  return
}

// -----

// The largest static 8-bit tensor: its block count is computed without
// overflow (the ASan + UBSan suite runs this file too).
func.func @absmax_of_the_largest_tensor(%p: memref<9223372036854775807xf32>, %g: memref<9223372036854775807xf32>, %m: memref<9223372036854775807xi8>, %v: memref<9223372036854775807xi8>, %a: memref<16xf32>, %lr: f32, %t: i64) {
  // expected-error @+1 {{'optim.adamw' op exp_avg absmax of param #0 has type 'memref<16xf32>', expected a 1-d f32 memref of 36028797018963968 elements (one per block of 256)}}
  optim.adamw (%p, %g, %m, %v) absmax(%a, %a) : (memref<9223372036854775807xf32>, memref<9223372036854775807xf32>, memref<9223372036854775807xi8>, memref<9223372036854775807xi8>, memref<16xf32>, memref<16xf32>)
      lr(%lr) betas(%lr, %lr) eps(%lr) weight_decay(%lr) step(%t : i64)
  return
}

// -----

// 2^62 x 4 elements: more than an int64_t counts.
func.func @param_with_too_many_elements(%p: memref<4611686018427387904x4xf32>, %lr: f32, %t: i64) {
  // expected-error @+1 {{'optim.adamw' op param #0 has type 'memref<4611686018427387904x4xf32>', more elements than a 64-bit count holds}}
  optim.adamw (%p, %p, %p, %p) : memref<4611686018427387904x4xf32>
      lr(%lr) betas(%lr, %lr) eps(%lr) weight_decay(%lr) step(%t : i64)
  return
}

// -----

func.func @global_norm_with_too_many_elements(%g: memref<8xf32>, %h: memref<4611686018427387904x4xf32>) -> f32 {
  // expected-error @+1 {{'optim.global_norm' op grad #1 has type 'memref<4611686018427387904x4xf32>', more elements than a 64-bit count holds}}
  %n = optim.global_norm %g, %h : memref<8xf32>, memref<4611686018427387904x4xf32> -> f32
  return %n : f32
}

// -----

// ODS checks optional groups (0 or 1 operand), not required ones: with no
// 'eps' operand and two 'weight_decay' ones, getEps() read the decay.
func.func @required_scalar_missing(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %b1: f32, %b2: f32, %wd: f32, %t: i64) {
  // expected-error @+1 {{'optim.adamw' op requires exactly one 'eps' operand, got 0}}
  "optim.adamw"(%g, %lr, %b1, %b2, %wd, %t, %p, %m, %v) <{operandSegmentSizes = array<i32: 1, 1, 1, 1, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0>}> : (memref<8xf32>, f32, f32, f32, f32, i64, memref<8xf32>, memref<8xf32>, memref<8xf32>) -> ()
  return
}

// -----

func.func @required_scalar_twice(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %b1: f32, %b2: f32, %eps: f32) {
  // expected-error @+1 {{'optim.adam' op requires exactly one 'lr' operand, got 2}}
  "optim.adam"(%g, %lr, %lr, %b1, %b2, %eps, %p, %m, %v) <{bias_correction = #optim.bias_correction<none>, operandSegmentSizes = array<i32: 1, 2, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0>}> : (memref<8xf32>, f32, f32, f32, f32, f32, memref<8xf32>, memref<8xf32>, memref<8xf32>) -> ()
  return
}

// -----

// An integer step is read as signed: an i1's only positive-looking value,
// true, was step -1.
func.func @step_of_one_bit(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %t: i1) {
  // expected-error @+1 {{'optim.adam' op operand #5 must be signless integer (read as signed, at least 8 bits), index or float step count, but got 'i1'}}
  optim.adam (%p, %g, %m, %v) : memref<8xf32> lr(%lr) betas(%lr, %lr) eps(%lr) step(%t : i1)
  return
}
