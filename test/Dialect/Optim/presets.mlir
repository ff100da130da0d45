// RUN: optim-opt %s | optim-opt | FileCheck %s
// RUN: echo "" | optim-opt --test-optim-build-presets | optim-opt | FileCheck %s --check-prefix=BUILT

// The six framework presets of SEMANTICS.md, written by hand, and as the
// one-call C++ helper (buildPresetStep) builds them.

// PyTorch torch.optim.Adam(lr, betas, eps, weight_decay, amsgrad=False,
// maximize=False); also MindSpore experimental.optim.Adam.
// CHECK-LABEL: func @torch_adam
// CHECK: optim.adam (%{{.*}}) : memref<?xf32> lr(%{{.*}}) betas(%{{.*}}, %{{.*}}) eps(%{{.*}}) weight_decay(%{{.*}}) step(%{{.*}} : i64){{$}}
func.func @torch_adam(%p: memref<?xf32>, %g: memref<?xf32>, %m: memref<?xf32>, %v: memref<?xf32>,
                      %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i64) {
  optim.adam (%p, %g, %m, %v) : memref<?xf32>
      lr(%lr) betas(%b1, %b2) eps(%eps) weight_decay(%wd) step(%t : i64)
  return
}

// PyTorch torch.optim.AdamW(..., amsgrad=True, maximize=True).
// CHECK-LABEL: func @torch_adamw
// CHECK: optim.adamw amsgrad maximize (%{{.*}}) : memref<?xf32> lr(%{{.*}}) betas(%{{.*}}, %{{.*}}) eps(%{{.*}}) weight_decay(%{{.*}}) step(%{{.*}} : i64){{$}}
func.func @torch_adamw(%p: memref<?xf32>, %g: memref<?xf32>, %m: memref<?xf32>, %v: memref<?xf32>, %vmax: memref<?xf32>,
                       %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i64) {
  optim.adamw amsgrad maximize (%p, %g, %m, %v, %vmax) : memref<?xf32>
      lr(%lr) betas(%b1, %b2) eps(%eps) weight_decay(%wd) step(%t : i64)
  return
}

// MindSpore ops.AdamWeightDecay: no bias correction, decay scaled by lr, f16
// parameters with f32 moments.
// CHECK-LABEL: func @mindspore_adam_weight_decay
// CHECK: optim.adamw (%{{.*}}) : memref<?xf16> lr(%{{.*}}) betas(%{{.*}}, %{{.*}}) eps(%{{.*}}) weight_decay(%{{.*}}) bias_correction(none)
func.func @mindspore_adam_weight_decay(%p: memref<?xf16>, %g: memref<?xf16>, %m: memref<?xf32>, %v: memref<?xf32>,
                                       %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32) {
  optim.adamw (%p, %g, %m, %v) : memref<?xf16>
      lr(%lr) betas(%b1, %b2) eps(%eps) weight_decay(%wd) bias_correction(none)
  return
}

// MindSpore ops.ApplyAdamWithAmsgradV2: folded bias correction from the
// caller's beta powers; returns var, m, v, vhat (tensor form).
// CHECK-LABEL: func @mindspore_apply_adam_with_amsgrad_v2
// CHECK: %{{.*}}:4 = optim.adam amsgrad (%{{.*}}) : tensor<2x2xf64> lr(%{{.*}}) betas(%{{.*}}, %{{.*}}) eps(%{{.*}}) beta_powers(%{{.*}}, %{{.*}}) bias_correction(folded)
func.func @mindspore_apply_adam_with_amsgrad_v2(
    %var: tensor<2x2xf64>, %g: tensor<2x2xf64>, %m: tensor<2x2xf64>, %v: tensor<2x2xf64>, %vhat: tensor<2x2xf64>,
    %lr: f64, %b1: f64, %b2: f64, %eps: f64, %b1p: f64, %b2p: f64)
    -> (tensor<2x2xf64>, tensor<2x2xf64>, tensor<2x2xf64>, tensor<2x2xf64>) {
  %r:4 = optim.adam amsgrad (%var, %g, %m, %v, %vhat) : tensor<2x2xf64>
      lr(%lr) betas(%b1, %b2) eps(%eps) beta_powers(%b1p, %b2p) bias_correction(folded)
  return %r#0, %r#1, %r#2, %r#3 : tensor<2x2xf64>, tensor<2x2xf64>, tensor<2x2xf64>, tensor<2x2xf64>
}

// MXNet optimizer.adamW.AdamW: folded correction (none with
// correct_bias=False), decay by the effective lr, rescale and clip.
// CHECK-LABEL: func @mxnet_adamw
// CHECK: optim.adamw (%{{.*}}) : memref<?xf32> lr(%{{.*}}) betas(%{{.*}}, %{{.*}}) eps(%{{.*}}) weight_decay(%{{.*}}) step(%{{.*}} : i64) rescale_grad(%{{.*}}) clip_gradient(%{{.*}}) bias_correction(folded) decay_rate(effective)
// CHECK: optim.adamw (%{{.*}}) : memref<?xf32> lr(%{{.*}}) betas(%{{.*}}, %{{.*}}) eps(%{{.*}}) weight_decay(%{{.*}}) rescale_grad(%{{.*}}) bias_correction(none) decay_rate(effective)
func.func @mxnet_adamw(%p: memref<?xf32>, %g: memref<?xf32>, %m: memref<?xf32>, %v: memref<?xf32>,
                       %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i64, %rescale: f32, %clip: f32) {
  optim.adamw (%p, %g, %m, %v) : memref<?xf32>
      lr(%lr) betas(%b1, %b2) eps(%eps) weight_decay(%wd) step(%t : i64)
      rescale_grad(%rescale) clip_gradient(%clip) bias_correction(folded) decay_rate(effective)
  optim.adamw (%p, %g, %m, %v) : memref<?xf32>
      lr(%lr) betas(%b1, %b2) eps(%eps) weight_decay(%wd)
      rescale_grad(%rescale) bias_correction(none) decay_rate(effective)
  return
}

// brainpy optim.AdamW: folded correction, decay scaled by lr, optional
// AMSGrad.
// CHECK-LABEL: func @brainpy_adamw
// CHECK: optim.adamw amsgrad (%{{.*}}) : memref<?xf64> lr(%{{.*}}) betas(%{{.*}}, %{{.*}}) eps(%{{.*}}) weight_decay(%{{.*}}) step(%{{.*}} : i64) bias_correction(folded){{$}}
func.func @brainpy_adamw(%p: memref<?xf64>, %g: memref<?xf64>, %m: memref<?xf64>, %v: memref<?xf64>, %vmax: memref<?xf64>,
                         %lr: f64, %b1: f64, %b2: f64, %eps: f64, %wd: f64, %t: i64) {
  optim.adamw amsgrad (%p, %g, %m, %v, %vmax) : memref<?xf64>
      lr(%lr) betas(%b1, %b2) eps(%eps) weight_decay(%wd) step(%t : i64) bias_correction(folded)
  return
}

// BUILT-LABEL: func @torch_adam(
// BUILT: optim.adam (%{{.*}}) : memref<?xf32> lr(%{{.*}}) betas(%{{.*}}, %{{.*}}) eps(%{{.*}}) weight_decay(%{{.*}}) step(%{{.*}} : f32){{$}}
// BUILT-LABEL: func @torch_adamw(
// BUILT: optim.adamw (%{{.*}}) : memref<?xf32> lr(%{{.*}}) betas(%{{.*}}, %{{.*}}) eps(%{{.*}}) weight_decay(%{{.*}}) step(%{{.*}} : f32){{$}}
// BUILT-LABEL: func @mindspore_adam_weight_decay(
// BUILT: optim.adamw (%{{.*}}) : memref<?xf32> lr(%{{.*}}) betas(%{{.*}}, %{{.*}}) eps(%{{.*}}) weight_decay(%{{.*}}) bias_correction(none){{$}}
// BUILT-LABEL: func @mindspore_apply_adam_with_amsgrad_v2(
// BUILT: optim.adam amsgrad (%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) : memref<?xf32> lr(%{{.*}}) betas(%{{.*}}, %{{.*}}) eps(%{{.*}}) beta_powers(%{{.*}}, %{{.*}}) bias_correction(folded){{$}}
// BUILT-LABEL: func @mxnet_adamw(
// BUILT: optim.adamw (%{{.*}}) : memref<?xf32> lr(%{{.*}}) betas(%{{.*}}, %{{.*}}) eps(%{{.*}}) weight_decay(%{{.*}}) step(%{{.*}} : f32) rescale_grad(%{{.*}}) clip_gradient(%{{.*}}) bias_correction(folded) decay_rate(effective){{$}}
// BUILT-LABEL: func @brainpy_adamw(
// BUILT: optim.adamw (%{{.*}}) : memref<?xf32> lr(%{{.*}}) betas(%{{.*}}, %{{.*}}) eps(%{{.*}}) weight_decay(%{{.*}}) step(%{{.*}} : f32) bias_correction(folded){{$}}
// The ops' group builder, tensor form: the results (params, exp_avgs,
// exp_avg_sqs, max_exp_avg_sqs) are inferred.
// BUILT-LABEL: func @group_builder_tensor(
// BUILT: %[[R:.*]]:8 = optim.adamw amsgrad (%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) : tensor<4xf32>, (%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) : tensor<2x3xbf16> scalar_type(f64) lr(%{{.*}}) betas(%{{.*}}, %{{.*}}) eps(%{{.*}}) weight_decay(%{{.*}}) step(%{{.*}} : i64) rescale_grad(%{{.*}}) bias_correction(folded) decay_rate(effective){{$}}
// BUILT: return %[[R]]#0, %[[R]]#1, %[[R]]#2, %[[R]]#3, %[[R]]#4, %[[R]]#5, %[[R]]#6, %[[R]]#7 : tensor<4xf32>, tensor<2x3xbf16>, tensor<4xf32>, tensor<2x3xf32>, tensor<4xf32>, tensor<2x3xf32>, tensor<4xf32>, tensor<2x3xf32>
