// RUN: optim-opt %s -one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" -split-input-file | FileCheck %s

// The tensor form bufferizes to the in-place memref form: no allocation and
// no copy of the optimizer state.
// CHECK-LABEL: func @in_place(
// CHECK-SAME: %[[P:[a-z0-9]+]]: memref<4x33xf32>, %[[G:[a-z0-9]+]]: memref<4x33xf32>, %[[M:[a-z0-9]+]]: memref<4x33xf32>, %[[V:[a-z0-9]+]]: memref<4x33xf32>
// CHECK-NOT: memref.alloc
// CHECK-NOT: memref.copy
// CHECK: optim.adamw (%[[P]], %[[G]], %[[M]], %[[V]]) : memref<4x33xf32>
// CHECK-NOT: memref.copy
// CHECK: return %[[P]], %[[M]], %[[V]]
func.func @in_place(%p: tensor<4x33xf32>, %g: tensor<4x33xf32>, %m: tensor<4x33xf32>, %v: tensor<4x33xf32>,
                    %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i64)
    -> (tensor<4x33xf32>, tensor<4x33xf32>, tensor<4x33xf32>) {
  %r:3 = optim.adamw (%p, %g, %m, %v) : tensor<4x33xf32>
      lr(%lr) betas(%b1, %b2) eps(%eps) weight_decay(%wd) step(%t : i64)
  return %r#0, %r#1, %r#2 : tensor<4x33xf32>, tensor<4x33xf32>, tensor<4x33xf32>
}

// -----

// When the old parameter is still read after the step, bufferization must
// copy it first (the step writes in place).
// CHECK-LABEL: func @old_value_live
// CHECK: memref.alloc
// CHECK: memref.copy
// CHECK: optim.adam
func.func @old_value_live(%p: tensor<8xf32>, %g: tensor<8xf32>, %m: tensor<8xf32>, %v: tensor<8xf32>,
                          %lr: f32, %b1: f32, %b2: f32, %eps: f32, %t: i64)
    -> (tensor<8xf32>, tensor<8xf32>) {
  %r:3 = optim.adam (%p, %g, %m, %v) : tensor<8xf32> lr(%lr) betas(%b1, %b2) eps(%eps) step(%t : i64)
  return %r#0, %p : tensor<8xf32>, tensor<8xf32>
}

// -----

// optim.global_norm only reads its gradients: it takes their buffers, and
// the step that consumes the norm still updates the state in place.
// CHECK-LABEL: func @global_norm(
// CHECK-SAME: %[[P:[a-z0-9]+]]: memref<16xf32>, %[[G:[a-z0-9]+]]: memref<16xf32>
// CHECK-NOT: memref.alloc
// CHECK-NOT: memref.copy
// CHECK: %[[N:.*]] = optim.global_norm %[[G]] : memref<16xf32> -> f32
// CHECK: optim.adamw (%[[P]], %[[G]], %{{.*}}, %{{.*}}) : memref<16xf32> {{.*}} clip_grad_norm(%[[N]], %{{.*}})
// CHECK: return %[[N]], %[[P]]
func.func @global_norm(%p: tensor<16xf32>, %g: tensor<16xf32>, %m: tensor<16xf32>, %v: tensor<16xf32>,
                       %lr: f32, %wd: f32, %t: i64, %max: f32)
    -> (f32, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>) {
  %n = optim.global_norm %g : tensor<16xf32> -> f32
  %r:3 = optim.adamw (%p, %g, %m, %v) : tensor<16xf32>
      lr(%lr) betas(%lr, %lr) eps(%lr) weight_decay(%wd) step(%t : i64) clip_grad_norm(%n, %max)
  return %n, %r#0, %r#1, %r#2 : f32, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>
}
