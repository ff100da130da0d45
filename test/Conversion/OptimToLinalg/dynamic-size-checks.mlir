// RUN: optim-opt %s -convert-optim-to-linalg -split-input-file | FileCheck %s

// Dynamic dimensions are compared with the gradient's at run time, before
// anything is read or written; static shapes (checked by the verifier) get
// no check.

// CHECK-LABEL: func @dynamic_memref
// CHECK-SAME: (%[[P:[^:]*]]: memref<?xf32>, %[[G:[^:]*]]: memref<?xf32>, %[[M:[^:]*]]: memref<?xf32>, %[[V:[^:]*]]: memref<?xf32>, %[[VMAX:[^:]*]]: memref<?xf32>
// CHECK: %[[C0:.*]] = arith.constant 0 : index
// CHECK: %[[NG:.*]] = memref.dim %[[G]], %[[C0]]
// CHECK: %[[NP:.*]] = memref.dim %[[P]], %[[C0]]
// CHECK: %[[OK0:.*]] = arith.cmpi eq, %[[NP]], %[[NG]] : index
// CHECK: cf.assert %[[OK0]], "optim.adamw: param #0 and grad #0 differ in size (dimension 0)"
// CHECK: memref.dim %[[M]], %[[C0]]
// CHECK: cf.assert %{{.*}}, "optim.adamw: exp_avg #0 and grad #0 differ in size (dimension 0)"
// CHECK: memref.dim %[[V]], %[[C0]]
// CHECK: cf.assert %{{.*}}, "optim.adamw: exp_avg_sq #0 and grad #0 differ in size (dimension 0)"
// CHECK: memref.dim %[[VMAX]], %[[C0]]
// CHECK: cf.assert %{{.*}}, "optim.adamw: max_exp_avg_sq #0 and grad #0 differ in size (dimension 0)"
// The second parameter is static: no check.
// CHECK-NOT: cf.assert
// CHECK: linalg.generic
// CHECK: linalg.generic
// CHECK-NOT: cf.assert
func.func @dynamic_memref(%p: memref<?xf32>, %g: memref<?xf32>, %m: memref<?xf32>, %v: memref<?xf32>, %vmax: memref<?xf32>,
                          %p1: memref<8xf32>, %g1: memref<8xf32>, %m1: memref<8xf32>, %v1: memref<8xf32>, %vmax1: memref<8xf32>,
                          %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i64) {
  optim.adamw amsgrad (%p, %g, %m, %v, %vmax) : memref<?xf32>,
                      (%p1, %g1, %m1, %v1, %vmax1) : memref<8xf32>
      lr(%lr) betas(%b1, %b2) eps(%eps) weight_decay(%wd) step(%t : i64)
  return
}

// -----

// Only the dynamic dimension of a partly static shape is checked.
// CHECK-LABEL: func @partly_dynamic
// CHECK-NOT: "{{.*}}(dimension 0)"
// CHECK: %[[C1:.*]] = arith.constant 1 : index
// CHECK: memref.dim %{{.*}}, %[[C1]] : memref<4x?xf64>
// CHECK: cf.assert %{{.*}}, "optim.adam: param #0 and grad #0 differ in size (dimension 1)"
// CHECK: cf.assert %{{.*}}, "optim.adam: exp_avg #0 and grad #0 differ in size (dimension 1)"
// CHECK: cf.assert %{{.*}}, "optim.adam: exp_avg_sq #0 and grad #0 differ in size (dimension 1)"
// CHECK-NOT: cf.assert
// CHECK: linalg.generic
func.func @partly_dynamic(%p: memref<4x?xf64>, %g: memref<4x?xf64>, %m: memref<4x?xf64>, %v: memref<4x?xf64>,
                          %lr: f64, %b1: f64, %b2: f64, %eps: f64, %t: i64) {
  optim.adam (%p, %g, %m, %v) : memref<4x?xf64>
      lr(%lr) betas(%b1, %b2) eps(%eps) step(%t : i64)
  return
}

// -----

// Tensors are checked with tensor.dim; the checks stay outside the
// found_inf branch (a skipped step with mismatched operands is still a
// caller bug).
// CHECK-LABEL: func @dynamic_tensor
// CHECK: tensor.dim
// CHECK: cf.assert %{{.*}}, "optim.adam: param #0 and grad #0 differ in size (dimension 0)"
// CHECK: cf.assert %{{.*}}, "optim.adam: exp_avg #0 and grad #0 differ in size (dimension 0)"
// CHECK: cf.assert %{{.*}}, "optim.adam: exp_avg_sq #0 and grad #0 differ in size (dimension 0)"
// CHECK: scf.if
// CHECK-NOT: cf.assert
// CHECK: linalg.generic
func.func @dynamic_tensor(%p: tensor<?xf32>, %g: tensor<?xf32>, %m: tensor<?xf32>, %v: tensor<?xf32>,
                          %lr: f32, %b1: f32, %b2: f32, %eps: f32, %t: i64, %inf: f32)
    -> (tensor<?xf32>, tensor<?xf32>, tensor<?xf32>) {
  %0:3 = optim.adam (%p, %g, %m, %v) : tensor<?xf32>
      lr(%lr) betas(%b1, %b2) eps(%eps) step(%t : i64) found_inf(%inf)
  return %0#0, %0#1, %0#2 : tensor<?xf32>, tensor<?xf32>, tensor<?xf32>
}

// -----

// CHECK-LABEL: func @static_shapes
// CHECK-NOT: cf.assert
// CHECK-NOT: memref.dim
// CHECK: linalg.generic
// CHECK-NOT: cf.assert
func.func @static_shapes(%p: memref<4x3xf32>, %g: memref<4x3xf32>, %m: memref<4x3xf32>, %v: memref<4x3xf32>,
                         %lr: f32, %b1: f32, %b2: f32, %eps: f32, %t: i64) {
  optim.adam (%p, %g, %m, %v) : memref<4x3xf32>
      lr(%lr) betas(%b1, %b2) eps(%eps) step(%t : i64)
  return
}
