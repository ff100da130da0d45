// RUN: optim-opt %s | optim-opt | FileCheck %s
// RUN: optim-opt %s --mlir-print-op-generic | optim-opt | FileCheck %s
// RUN: optim-opt %s -emit-bytecode | optim-opt | FileCheck %s

// Every op form parses, prints and parses again to the same IR.

// CHECK-LABEL: func @adam_tensor
// CHECK: %[[R:.*]]:3 = optim.adam (%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) : tensor<4x33xf32> lr(%{{.*}}) betas(%{{.*}}, %{{.*}}) eps(%{{.*}}) step(%{{.*}} : i64)
// CHECK-NOT: bias_correction
func.func @adam_tensor(%p: tensor<4x33xf32>, %g: tensor<4x33xf32>, %m: tensor<4x33xf32>, %v: tensor<4x33xf32>,
                       %lr: f32, %b1: f32, %b2: f32, %eps: f32, %t: i64)
    -> (tensor<4x33xf32>, tensor<4x33xf32>, tensor<4x33xf32>) {
  %0:3 = optim.adam (%p, %g, %m, %v) : tensor<4x33xf32>
      lr(%lr) betas(%b1, %b2) eps(%eps) step(%t : i64)
  return %0#0, %0#1, %0#2 : tensor<4x33xf32>, tensor<4x33xf32>, tensor<4x33xf32>
}

// CHECK-LABEL: func @adam_l2_amsgrad_maximize_memref
// CHECK: optim.adam amsgrad maximize (%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) : memref<?xf64> lr(%{{.*}}) betas(%{{.*}}, %{{.*}}) eps(%{{.*}}) weight_decay(%{{.*}}) step(%{{.*}} : index)
func.func @adam_l2_amsgrad_maximize_memref(%p: memref<?xf64>, %g: memref<?xf64>, %m: memref<?xf64>, %v: memref<?xf64>, %vmax: memref<?xf64>,
                                           %lr: f64, %b1: f64, %b2: f64, %eps: f64, %wd: f64, %t: index) {
  optim.adam amsgrad maximize (%p, %g, %m, %v, %vmax) : memref<?xf64>
      lr(%lr) betas(%b1, %b2) eps(%eps) weight_decay(%wd) step(%t : index)
  return
}

// CHECK-LABEL: func @adamw_tensor_amsgrad
// CHECK: %{{.*}}:4 = optim.adamw amsgrad (%{{.*}}) : tensor<37xf32> lr(%{{.*}}) betas(%{{.*}}, %{{.*}}) eps(%{{.*}}) weight_decay(%{{.*}}) step(%{{.*}} : f32)
func.func @adamw_tensor_amsgrad(%p: tensor<37xf32>, %g: tensor<37xf32>, %m: tensor<37xf32>, %v: tensor<37xf32>, %vmax: tensor<37xf32>,
                                %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: f32)
    -> (tensor<37xf32>, tensor<37xf32>, tensor<37xf32>, tensor<37xf32>) {
  %0:4 = optim.adamw amsgrad (%p, %g, %m, %v, %vmax) : tensor<37xf32>
      lr(%lr) betas(%b1, %b2) eps(%eps) weight_decay(%wd) step(%t : f32)
  return %0#0, %0#1, %0#2, %0#3 : tensor<37xf32>, tensor<37xf32>, tensor<37xf32>, tensor<37xf32>
}

// Every optional operand and both enums, on a memref.
// CHECK-LABEL: func @adamw_everything
// CHECK: optim.adamw (%{{.*}}) : memref<3x7xf32> lr(%{{.*}}) betas(%{{.*}}, %{{.*}}) eps(%{{.*}}) weight_decay(%{{.*}}) step(%{{.*}} : i32)
// CHECK-SAME: rescale_grad(%{{.*}}) clip_gradient(%{{.*}}) grad_scale(%{{.*}}) found_inf(%{{.*}}) bias_correction(folded) decay_rate(effective)
func.func @adamw_everything(%p: memref<3x7xf32>, %g: memref<3x7xf32>, %m: memref<3x7xf32>, %v: memref<3x7xf32>,
                            %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i32,
                            %rescale: f32, %clip: f32, %scale: f32, %inf: f32) {
  optim.adamw (%p, %g, %m, %v) : memref<3x7xf32>
      lr(%lr) betas(%b1, %b2) eps(%eps) weight_decay(%wd) step(%t : i32)
      rescale_grad(%rescale) clip_gradient(%clip) grad_scale(%scale) found_inf(%inf)
      bias_correction(folded) decay_rate(effective)
  return
}

// Beta powers instead of a step count (MindSpore), no bias correction.
// CHECK-LABEL: func @powers_and_none
// CHECK: optim.adam amsgrad (%{{.*}}) : memref<2x2xf32> lr(%{{.*}}) betas(%{{.*}}, %{{.*}}) eps(%{{.*}}) beta_powers(%{{.*}}, %{{.*}}) bias_correction(folded)
// CHECK: optim.adamw (%{{.*}}) : memref<2x2xf32> lr(%{{.*}}) betas(%{{.*}}, %{{.*}}) eps(%{{.*}}) weight_decay(%{{.*}}) bias_correction(none)
func.func @powers_and_none(%p: memref<2x2xf32>, %g: memref<2x2xf32>, %m: memref<2x2xf32>, %v: memref<2x2xf32>, %vmax: memref<2x2xf32>,
                           %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %b1p: f32, %b2p: f32) {
  optim.adam amsgrad (%p, %g, %m, %v, %vmax) : memref<2x2xf32>
      lr(%lr) betas(%b1, %b2) eps(%eps) beta_powers(%b1p, %b2p) bias_correction(folded)
  optim.adamw (%p, %g, %m, %v) : memref<2x2xf32>
      lr(%lr) betas(%b1, %b2) eps(%eps) weight_decay(%wd) bias_correction(none)
  return
}

// f16 and bf16 parameters keep f32 moments; the short type form implies it.
// CHECK-LABEL: func @half_params
// CHECK: optim.adamw (%{{.*}}) : memref<8xbf16>, (%{{.*}}) : memref<16xf16>, (%{{.*}}) : memref<4x4xf32> lr
func.func @half_params(%p0: memref<8xbf16>, %g0: memref<8xbf16>, %m0: memref<8xf32>, %v0: memref<8xf32>,
                       %p1: memref<16xf16>, %g1: memref<16xf16>, %m1: memref<16xf32>, %v1: memref<16xf32>,
                       %p2: memref<4x4xf32>, %g2: memref<4x4xf32>, %m2: memref<4x4xf32>, %v2: memref<4x4xf32>,
                       %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i64) {
  optim.adamw (%p0, %g0, %m0, %v0) : memref<8xbf16>, (%p1, %g1, %m1, %v1) : memref<16xf16>,
              (%p2, %g2, %m2, %v2) : memref<4x4xf32>
      lr(%lr) betas(%b1, %b2) eps(%eps) weight_decay(%wd) step(%t : i64)
  return
}

// A parameter group on tensors: results are grouped by role.
// CHECK-LABEL: func @group_tensor
// CHECK: %{{.*}}:6 = optim.adamw (%{{.*}}) : tensor<8xf32>, (%{{.*}}) : tensor<2x3xf32> lr
func.func @group_tensor(%p0: tensor<8xf32>, %g0: tensor<8xf32>, %m0: tensor<8xf32>, %v0: tensor<8xf32>,
                        %p1: tensor<2x3xf32>, %g1: tensor<2x3xf32>, %m1: tensor<2x3xf32>, %v1: tensor<2x3xf32>,
                        %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i64)
    -> (tensor<8xf32>, tensor<2x3xf32>) {
  %r:6 = optim.adamw (%p0, %g0, %m0, %v0) : tensor<8xf32>, (%p1, %g1, %m1, %v1) : tensor<2x3xf32>
      lr(%lr) betas(%b1, %b2) eps(%eps) weight_decay(%wd) step(%t : i64)
  return %r#0, %r#1 : tensor<8xf32>, tensor<2x3xf32>
}

// Strided memrefs spell out every type.
// CHECK-LABEL: func @explicit_types
// CHECK: optim.adam (%{{.*}}) : (memref<4xf32, strided<[2]>>, memref<4xf32>, memref<4xf32>, memref<4xf32>) lr
func.func @explicit_types(%p: memref<4xf32, strided<[2]>>, %g: memref<4xf32>, %m: memref<4xf32>, %v: memref<4xf32>,
                          %lr: f32, %b1: f32, %b2: f32, %eps: f32, %t: i64) {
  optim.adam (%p, %g, %m, %v) : (memref<4xf32, strided<[2]>>, memref<4xf32>, memref<4xf32>, memref<4xf32>)
      lr(%lr) betas(%b1, %b2) eps(%eps) step(%t : i64)
  return
}

// f64 scalars for f32 parameters: the scalar work sees the caller's exact
// hyperparameters (1 - 0.999 is 0.001, not 1 - 0.999f).
// CHECK-LABEL: func @wide_scalars
// CHECK: optim.adamw (%{{.*}}) : memref<?xf32> scalar_type(f64) lr(%{{.*}}) betas(%{{.*}}, %{{.*}}) eps(%{{.*}}) weight_decay(%{{.*}}) step(%{{.*}} : i64)
func.func @wide_scalars(%p: memref<?xf32>, %g: memref<?xf32>, %m: memref<?xf32>, %v: memref<?xf32>,
                        %lr: f64, %b1: f64, %b2: f64, %eps: f64, %wd: f64, %t: i64) {
  optim.adamw (%p, %g, %m, %v) : memref<?xf32> scalar_type(f64)
      lr(%lr) betas(%b1, %b2) eps(%eps) weight_decay(%wd) step(%t : i64)
  return
}

// CHECK-LABEL: func @global_norm_clip_memref
// CHECK: %[[N:.*]] = optim.global_norm %{{.*}}, %{{.*}} : memref<4x8xf32>, memref<?xbf16> grad_scale(%{{.*}}) -> f32
// CHECK: optim.adamw (%{{.*}}) : memref<4x8xf32> lr(%{{.*}}) betas(%{{.*}}, %{{.*}}) eps(%{{.*}}) weight_decay(%{{.*}}) step(%{{.*}} : i64) grad_scale(%{{.*}}) clip_grad_norm(%[[N]], %{{.*}}) skip_nonfinite_norm
func.func @global_norm_clip_memref(%p: memref<4x8xf32>, %g: memref<4x8xf32>, %m: memref<4x8xf32>, %v: memref<4x8xf32>, %gb: memref<?xbf16>,
                                   %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i64, %s: f32, %max: f32) -> f32 {
  %norm = optim.global_norm %g, %gb : memref<4x8xf32>, memref<?xbf16> grad_scale(%s) -> f32
  optim.adamw (%p, %g, %m, %v) : memref<4x8xf32>
      lr(%lr) betas(%b1, %b2) eps(%eps) weight_decay(%wd) step(%t : i64)
      grad_scale(%s) clip_grad_norm(%norm, %max) skip_nonfinite_norm
  return %norm : f32
}

// CHECK-LABEL: func @global_norm_tensor_f64_result
// CHECK: %[[N:.*]] = optim.global_norm %{{.*}} : tensor<16xf32> -> f64
// CHECK: optim.adam (%{{.*}}) : tensor<16xf32> scalar_type(f64) lr(%{{.*}}) betas(%{{.*}}, %{{.*}}) eps(%{{.*}}) step(%{{.*}} : i64) clip_grad_norm(%[[N]], %{{.*}})
// CHECK-NOT: skip_nonfinite_norm
func.func @global_norm_tensor_f64_result(%p: tensor<16xf32>, %g: tensor<16xf32>, %m: tensor<16xf32>, %v: tensor<16xf32>,
                                         %lr: f64, %b1: f64, %b2: f64, %eps: f64, %t: i64, %max: f64)
    -> (tensor<16xf32>, tensor<16xf32>, tensor<16xf32>) {
  %norm = optim.global_norm %g : tensor<16xf32> -> f64
  %r:3 = optim.adam (%p, %g, %m, %v) : tensor<16xf32> scalar_type(f64)
      lr(%lr) betas(%b1, %b2) eps(%eps) step(%t : i64) clip_grad_norm(%norm, %max)
  return %r#0, %r#1, %r#2 : tensor<16xf32>, tensor<16xf32>, tensor<16xf32>
}

// bf16 moment storage: visible in the group's types.
// CHECK-LABEL: func @bf16_moments
// CHECK: optim.adamw amsgrad (%{{.*}}) : (tensor<64xf32>, tensor<64xf32>, tensor<64xbf16>, tensor<64xbf16>, tensor<64xbf16>) lr
func.func @bf16_moments(%p: tensor<64xf32>, %g: tensor<64xf32>, %m: tensor<64xbf16>, %v: tensor<64xbf16>, %vmax: tensor<64xbf16>,
                        %lr: f32, %wd: f32, %t: i64)
    -> (tensor<64xf32>, tensor<64xbf16>, tensor<64xbf16>, tensor<64xbf16>) {
  %r:4 = optim.adamw amsgrad (%p, %g, %m, %v, %vmax) : (tensor<64xf32>, tensor<64xf32>, tensor<64xbf16>, tensor<64xbf16>, tensor<64xbf16>)
      lr(%lr) betas(%lr, %lr) eps(%lr) weight_decay(%wd) step(%t : i64)
  return %r#0, %r#1, %r#2, %r#3 : tensor<64xf32>, tensor<64xbf16>, tensor<64xbf16>, tensor<64xbf16>
}

// Stochastic rounding of bf16 parameters, with and without an origin; the
// clauses may come in any order and print in the declared one.
// CHECK-LABEL: func @stochastic_rounding
// CHECK: optim.adamw (%{{.*}}) : memref<?xbf16> lr(%{{.*}}) betas(%{{.*}}, %{{.*}}) eps(%{{.*}}) weight_decay(%{{.*}}) step(%{{.*}} : i64) stochastic_rounding(%[[SEED:.*]], %[[T:.*]])
// CHECK-NOT: rounding_origin
// CHECK: optim.adam (%{{.*}}) : tensor<4x4xbf16> lr(%{{.*}}) betas(%{{.*}}, %{{.*}}) eps(%{{.*}}) step(%{{.*}} : i64) stochastic_rounding(%[[SEED]], %[[T]]) rounding_origin(%{{.*}}, %{{.*}})
func.func @stochastic_rounding(%p: memref<?xbf16>, %g: memref<?xbf16>, %m: memref<?xf32>, %v: memref<?xf32>,
                               %q: tensor<4x4xbf16>, %h: tensor<4x4xbf16>, %n: tensor<4x4xf32>, %w: tensor<4x4xf32>,
                               %lr: f32, %t: i64, %seed: i64, %stream: i64, %element: i64) -> tensor<4x4xbf16> {
  optim.adamw (%p, %g, %m, %v) : memref<?xbf16>
      lr(%lr) betas(%lr, %lr) eps(%lr) weight_decay(%lr) step(%t : i64)
      stochastic_rounding(%seed, %t)
  %r:3 = optim.adam (%q, %h, %n, %w) : tensor<4x4xbf16>
      lr(%lr) betas(%lr, %lr) eps(%lr)
      rounding_origin(%stream, %element) step(%t : i64)
      stochastic_rounding(%seed, %t)
  return %r#0 : tensor<4x4xbf16>
}

// 8-bit blockwise moments: i8 codes in the group's types, their absmaxes
// (one f32 per block of 256) named by `absmax`; a group may mix them with
// f32 moments. Tensor results: params, exp_avgs, exp_avg_sqs, absmaxes.
// CHECK-LABEL: func @blockwise_moments
// CHECK: optim.adamw (%{{.*}}) absmax(%[[AM:.*]], %[[AV:.*]]) : (memref<4100xf32>, memref<4100xf32>, memref<4100xi8>, memref<4100xi8>, memref<17xf32>, memref<17xf32>), (%{{.*}}) : memref<8xf32> lr
// CHECK: %{{.*}}:5 = optim.adam (%{{.*}}) absmax(%{{.*}}, %{{.*}}) : (tensor<64x64xbf16>, tensor<64x64xbf16>, tensor<64x64xi8>, tensor<64x64xi8>, tensor<16xf32>, tensor<16xf32>) lr
func.func @blockwise_moments(%p: memref<4100xf32>, %g: memref<4100xf32>, %m: memref<4100xi8>, %v: memref<4100xi8>,
                             %am: memref<17xf32>, %av: memref<17xf32>,
                             %q: memref<8xf32>, %h: memref<8xf32>, %n: memref<8xf32>, %w: memref<8xf32>,
                             %pt: tensor<64x64xbf16>, %gt: tensor<64x64xbf16>, %mt: tensor<64x64xi8>, %vt: tensor<64x64xi8>,
                             %amt: tensor<16xf32>, %avt: tensor<16xf32>, %lr: f32, %t: i64) -> tensor<16xf32> {
  optim.adamw (%p, %g, %m, %v) absmax(%am, %av) : (memref<4100xf32>, memref<4100xf32>, memref<4100xi8>, memref<4100xi8>, memref<17xf32>, memref<17xf32>),
              (%q, %h, %n, %w) : memref<8xf32>
      lr(%lr) betas(%lr, %lr) eps(%lr) weight_decay(%lr) step(%t : i64)
  %r:5 = optim.adam (%pt, %gt, %mt, %vt) absmax(%amt, %avt) : (tensor<64x64xbf16>, tensor<64x64xbf16>, tensor<64x64xi8>, tensor<64x64xi8>, tensor<16xf32>, tensor<16xf32>)
      lr(%lr) betas(%lr, %lr) eps(%lr) step(%t : i64)
  return %r#4 : tensor<16xf32>
}
