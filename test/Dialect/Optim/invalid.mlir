// RUN: optim-opt %s -split-input-file -verify-diagnostics

// One case per invalid rule of SEMANTICS.md; each message names the operand.

func.func @case0(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i64) {
  // expected-error @+1 {{'optim.adam' op expects at least one parameter}}
  "optim.adam"(%lr, %b1, %b2, %eps, %t) <{operandSegmentSizes = array<i32: 0, 1, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0>}> : (f32, f32, f32, f32, i64) -> ()
  return
}

// -----

func.func @case1(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i64) {
  // expected-error @+1 {{'optim.adam' op expects one grad per param, got 2 for 1 params}}
  "optim.adam"(%g, %g, %lr, %b1, %b2, %eps, %t, %p, %m, %v) <{operandSegmentSizes = array<i32: 2, 1, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0>}> : (memref<8xf32>, memref<8xf32>, f32, f32, f32, f32, i64, memref<8xf32>, memref<8xf32>, memref<8xf32>) -> ()
  return
}

// -----

func.func @case2(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i64) {
  // expected-error @+1 {{'optim.adam' op expects one exp_avg_sq per param, got 0 for 1 params}}
  "optim.adam"(%g, %lr, %b1, %b2, %eps, %t, %p, %m) <{operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0>}> : (memref<8xf32>, f32, f32, f32, f32, i64, memref<8xf32>, memref<8xf32>) -> ()
  return
}

// -----

func.func @case3(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i64, %g9: memref<9xf32>) {
  // expected-error @+1 {{'optim.adam' op grad #0 has type 'memref<9xf32>' whose shape does not match param type 'memref<8xf32>'}}
  optim.adam (%p, %g9, %m, %v) : (memref<8xf32>, memref<9xf32>, memref<8xf32>, memref<8xf32>) lr(%lr) betas(%b1, %b2) eps(%eps) step(%t : i64)
  return
}

// -----

func.func @case4(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i64, %g64: memref<8xf64>) {
  // expected-error @+1 {{'optim.adam' op grad #0 has element type 'f64', expected 'f32'}}
  optim.adam (%p, %g64, %m, %v) : (memref<8xf32>, memref<8xf64>, memref<8xf32>, memref<8xf32>) lr(%lr) betas(%b1, %b2) eps(%eps) step(%t : i64)
  return
}

// -----

func.func @case5(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i64, %ph: memref<8xf16>, %gh: memref<8xf16>, %mh: memref<8xf16>, %mh2: memref<8xf32>) {
  // expected-error @+1 {{'optim.adam' op exp_avg #0 has element type 'f16', expected 'f32'}}
  optim.adam (%ph, %gh, %mh, %mh2) : (memref<8xf16>, memref<8xf16>, memref<8xf16>, memref<8xf32>) lr(%lr) betas(%b1, %b2) eps(%eps) step(%t : i64)
  return
}

// -----

func.func @case6(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i64, %p8: memref<8xf8E4M3FN>, %g8: memref<8xf8E4M3FN>) {
  // expected-error @+1 {{'optim.adam' op param #0 has unsupported element type 'f8E4M3FN' (expected f16, bf16, f32 or f64)}}
  "optim.adam"(%g8, %lr, %b1, %b2, %eps, %t, %p8, %m, %v) <{operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0>}> : (memref<8xf8E4M3FN>, f32, f32, f32, f32, i64, memref<8xf8E4M3FN>, memref<8xf32>, memref<8xf32>) -> ()
  return
}

// -----

func.func @case7(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i64) {
  // expected-error @+1 {{'optim.adam' op 'amsgrad' requires max_exp_avg_sq operands}}
  optim.adam amsgrad (%p, %g, %m, %v) : memref<8xf32> lr(%lr) betas(%b1, %b2) eps(%eps) step(%t : i64)
  return
}

// -----

func.func @case8(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i64, %vmax: memref<8xf32>) {
  // expected-error @+1 {{'optim.adam' op max_exp_avg_sq operands given without 'amsgrad'}}
  optim.adam (%p, %g, %m, %v, %vmax) : memref<8xf32> lr(%lr) betas(%b1, %b2) eps(%eps) step(%t : i64)
  return
}

// -----

func.func @case9(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i64, %pd: memref<8xf64>, %pd2: memref<8xf64>, %pd3: memref<8xf64>, %pd4: memref<8xf64>) {
  // expected-error @+1 {{'optim.adamw' op param #1 computes in 'f64' but param #0 computes in 'f32'; a group shares one compute type}}
  optim.adamw (%p, %g, %m, %v) : memref<8xf32>, (%pd, %pd2, %pd3, %pd4) : memref<8xf64> lr(%lr) betas(%b1, %b2) eps(%eps) weight_decay(%wd) step(%t : i64)
  return
}

// -----

func.func @case10(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i64, %gt: tensor<8xf32>) {
  // expected-error @+1 {{'optim.adam' op grad #0 is a tensor but param #0 is a memref; mixed tensor and memref operands are not allowed}}
  optim.adam (%p, %gt, %m, %v) : (memref<8xf32>, tensor<8xf32>, memref<8xf32>, memref<8xf32>) lr(%lr) betas(%b1, %b2) eps(%eps) step(%t : i64)
  return
}

// -----

func.func @case11(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i64, %lr64: f64) {
  // expected-error @+1 {{'optim.adam' op 'beta1' must have the scalar type 'f64' (the type of 'lr'), got 'f32'}}
  "optim.adam"(%g, %lr64, %b1, %b2, %eps, %t, %p, %m, %v) <{operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0>}> : (memref<8xf32>, f64, f32, f32, f32, i64, memref<8xf32>, memref<8xf32>, memref<8xf32>) -> ()
  return
}

// -----

func.func @case12(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i64) {
  // expected-error @+1 {{'optim.adam' op expects a 'step' count or 'beta_powers', not both}}
  optim.adam (%p, %g, %m, %v) : memref<8xf32> lr(%lr) betas(%b1, %b2) eps(%eps) step(%t : i64) beta_powers(%b1, %b2)
  return
}

// -----

func.func @case13(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i64) {
  // expected-error @+1 {{'optim.adam' op bias correction 'standard' needs a 'step' count or 'beta_powers'}}
  optim.adam (%p, %g, %m, %v) : memref<8xf32> lr(%lr) betas(%b1, %b2) eps(%eps)
  return
}

// -----

func.func @case14(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i64) {
  // expected-error @+1 {{'optim.adam' op expects both 'beta1_power' and 'beta2_power', or neither}}
  "optim.adam"(%g, %lr, %b1, %b2, %eps, %b1, %p, %m, %v) <{operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 1, 1, 0>}> : (memref<8xf32>, f32, f32, f32, f32, f32, memref<8xf32>, memref<8xf32>, memref<8xf32>) -> ()
  return
}

// -----

func.func @case15(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i64) {
  // expected-error @+1 {{'optim.adam' op updates the same buffer twice; params and moments must be distinct}}
  optim.adam (%p, %g, %m, %m) : memref<8xf32> lr(%lr) betas(%b1, %b2) eps(%eps) step(%t : i64)
  return
}

// -----

func.func @case16(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i64) {
  %c = arith.constant -1.0 : f32
  // expected-error @+1 {{'optim.adam' op 'lr' must be non-negative, got -1}}
  optim.adam (%p, %g, %m, %v) : memref<8xf32> lr(%c) betas(%b1, %b2) eps(%eps) step(%t : i64)
  return
}

// -----

func.func @case17(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i64) {
  %c = arith.constant -1.0e-08 : f32
  // expected-error @+1 {{'optim.adam' op 'eps' must be non-negative, got -1e-08}}
  optim.adam (%p, %g, %m, %v) : memref<8xf32> lr(%lr) betas(%b1, %b2) eps(%c) step(%t : i64)
  return
}

// -----

func.func @case18(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i64) {
  %c = arith.constant 1.0 : f32
  // expected-error @+1 {{'optim.adam' op 'beta1' must be in [0, 1), got 1}}
  optim.adam (%p, %g, %m, %v) : memref<8xf32> lr(%lr) betas(%c, %b2) eps(%eps) step(%t : i64)
  return
}

// -----

func.func @case19(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i64) {
  %c = arith.constant -0.5 : f32
  // expected-error @+1 {{'optim.adam' op 'beta2' must be in [0, 1), got -0.5}}
  optim.adam (%p, %g, %m, %v) : memref<8xf32> lr(%lr) betas(%b1, %c) eps(%eps) step(%t : i64)
  return
}

// -----

func.func @case20(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i64) {
  %c = arith.constant -0.01 : f32
  // expected-error @+1 {{'optim.adam' op 'weight_decay' must be non-negative, got -0.01}}
  optim.adam (%p, %g, %m, %v) : memref<8xf32> lr(%lr) betas(%b1, %b2) eps(%eps) weight_decay(%c) step(%t : i64)
  return
}

// -----

func.func @case21(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i64) {
  %c = arith.constant 1.5 : f32
  // expected-error @+1 {{'optim.adam' op 'beta1_power' must be in [0, 1), got 1.5}}
  optim.adam (%p, %g, %m, %v) : memref<8xf32> lr(%lr) betas(%b1, %b2) eps(%eps) beta_powers(%c, %b2)
  return
}

// -----

func.func @case22(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i64) {
  %c = arith.constant 0.0 : f32
  // expected-error @+1 {{'optim.adam' op 'grad_scale' must be positive, got 0}}
  optim.adam (%p, %g, %m, %v) : memref<8xf32> lr(%lr) betas(%b1, %b2) eps(%eps) step(%t : i64) grad_scale(%c)
  return
}

// -----

func.func @case23(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i64) {
  %c0 = arith.constant 0 : i64
  // expected-error @+1 {{'optim.adam' op 'step' must be >= 1, got 0}}
  optim.adam (%p, %g, %m, %v) : memref<8xf32> lr(%lr) betas(%b1, %b2) eps(%eps) step(%c0 : i64)
  return
}

// -----

func.func @case24(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i64, %pt: tensor<8xf32>, %gt: tensor<8xf32>, %mt: tensor<8xf32>, %vt: tensor<8xf32>) {
  // expected-error @+1 {{'optim.adamw' op expected the number of tensor results (2) to be equal to the number of output tensors (3)}}
  %r:2 = "optim.adamw"(%gt, %lr, %b1, %b2, %eps, %wd, %t, %pt, %mt, %vt) <{operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0>}> : (tensor<8xf32>, f32, f32, f32, f32, f32, i64, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>)
  return
}

// -----

func.func @bad_enum(%p: memref<8xf32>, %lr: f32, %t: i64) {
  // expected-error @+1 {{unknown bias_correction 'sideways' (expected standard, folded or none)}}
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
  // expected-error @+1 {{expected ranked tensors or memrefs of f16, bf16, f32 or f64, got 'f32'}}
  optim.adam (%x, %x, %x, %x) : (f32, f32, f32, f32) lr(%x) betas(%x, %x) eps(%x) step(%t : i64)
  return
}

// -----

func.func @integer_params(%p: memref<4xi32>, %t: i64) {
  // expected-error @+1 {{expected ranked tensors or memrefs of f16, bf16, f32 or f64, got 'memref<4xi32>'}}
  optim.adam (%p, %p, %p, %p) : (memref<4xi32>, memref<4xi32>, memref<4xi32>, memref<4xi32>) lr(%t) betas(%t, %t) eps(%t) step(%t : i64)
  return
}
