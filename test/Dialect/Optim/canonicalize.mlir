// RUN: optim-opt %s -canonicalize -split-input-file | FileCheck %s

// Neutral preprocessing operands disappear: found_inf = 0, rescale = 1,
// grad_scale = 1, a negative clip (disabled), an L2 weight decay of 0.
// CHECK-LABEL: func @drop_neutral
// CHECK: optim.adam (%{{.*}}) : memref<8xf32> lr(%{{.*}}) betas(%{{.*}}, %{{.*}}) eps(%{{.*}}) step(%{{.*}} : i64){{$}}
func.func @drop_neutral(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>,
                        %lr: f32, %b1: f32, %b2: f32, %eps: f32, %t: i64) {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %neg = arith.constant -1.0 : f32
  optim.adam (%p, %g, %m, %v) : memref<8xf32> lr(%lr) betas(%b1, %b2) eps(%eps) weight_decay(%zero)
      step(%t : i64) rescale_grad(%one) clip_gradient(%neg) grad_scale(%one) found_inf(%zero)
  return
}

// -----

// AdamW keeps a zero decay (it is part of the op), and live operands stay.
// CHECK-LABEL: func @keep_live
// CHECK: optim.adamw (%{{.*}}) : memref<8xf32> lr(%{{.*}}) betas(%{{.*}}, %{{.*}}) eps(%{{.*}}) weight_decay(%{{.*}}) step(%{{.*}} : i64) rescale_grad(%{{.*}}) clip_gradient(%{{.*}}) found_inf(%{{.*}})
func.func @keep_live(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>,
                     %lr: f32, %b1: f32, %b2: f32, %eps: f32, %t: i64, %inf: f32) {
  %zero = arith.constant 0.0 : f32
  %half = arith.constant 0.5 : f32
  optim.adamw (%p, %g, %m, %v) : memref<8xf32> lr(%lr) betas(%b1, %b2) eps(%eps) weight_decay(%zero)
      step(%t : i64) rescale_grad(%half) clip_gradient(%half) found_inf(%inf)
  return
}

// -----

// A step skipped by a constant found_inf is erased; the tensor form forwards
// the old state.
// CHECK-LABEL: func @skipped
// CHECK-NOT: optim.adam
// CHECK: return %arg0, %arg2, %arg3
func.func @skipped(%p: tensor<8xf32>, %g: tensor<8xf32>, %m: tensor<8xf32>, %v: tensor<8xf32>,
                   %lr: f32, %b1: f32, %b2: f32, %eps: f32, %t: i64)
    -> (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) {
  %one = arith.constant 1.0 : f32
  %r:3 = optim.adam (%p, %g, %m, %v) : tensor<8xf32> lr(%lr) betas(%b1, %b2) eps(%eps)
      step(%t : i64) found_inf(%one)
  return %r#0, %r#1, %r#2 : tensor<8xf32>, tensor<8xf32>, tensor<8xf32>
}
