// RUN: optim-opt %s -split-input-file --convert-optim-to-linalg | FileCheck %s

// optim.global_norm: one pass over the gradients, every gradient's reduction
// accumulating into the same f64 accumulator (no per-tensor norm), then one
// square root; N-d gradients are viewed as 1-d.

// CHECK-DAG: #[[ID:.*]] = affine_map<(d0) -> (d0)>
// CHECK-DAG: #[[SCALAR:.*]] = affine_map<(d0) -> ()>
// CHECK-LABEL: func @norm_memref(
// CHECK-SAME: %[[G0:.*]]: memref<4x8xf32>, %[[G1:.*]]: memref<?xbf16>, %[[S:.*]]: f32)
// CHECK: %[[S64:.*]] = arith.extf %[[S]] : f32 to f64
// CHECK: %[[INV64:.*]] = arith.divf %{{.*}}, %[[S64]] : f64
// CHECK: %[[INV:.*]] = arith.truncf %[[INV64]] : f64 to f32
// CHECK: %[[ACC:.*]] = memref.alloca() : memref<f64>
// CHECK: memref.store %{{.*}}, %[[ACC]][] : memref<f64>
// CHECK: %[[FLAT:.*]] = memref.collapse_shape %[[G0]] {{\[\[}}0, 1]] : memref<4x8xf32> into memref<32xf32>
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[SCALAR]]], iterator_types = ["reduction"]} ins(%[[FLAT]] : memref<32xf32>) outs(%[[ACC]] : memref<f64>)
// CHECK: ^bb0(%[[X:[a-z0-9_]+]]: f32, %[[A:[a-z0-9_]+]]: f64):
// CHECK:   %[[U:.*]] = arith.mulf %[[X]], %[[INV]] : f32
// CHECK:   %[[W:.*]] = arith.extf %[[U]] : f32 to f64
// CHECK:   %[[SQ:.*]] = arith.mulf %[[W]], %[[W]] : f64
// CHECK:   %[[SUM:.*]] = arith.addf %[[A]], %[[SQ]] : f64
// CHECK:   linalg.yield %[[SUM]] : f64
// CHECK: linalg.generic {{.*}} ins(%[[G1]] : memref<?xbf16>) outs(%[[ACC]] : memref<f64>)
// CHECK: ^bb0(%[[XB:[a-z0-9_]+]]: bf16, %{{.*}}: f64):
// CHECK:   arith.extf %[[XB]] : bf16 to f32
// CHECK: %[[TOTAL:.*]] = memref.load %[[ACC]][] : memref<f64>
// CHECK: %[[ROOT:.*]] = math.sqrt %[[TOTAL]] : f64
// CHECK: %[[NORM:.*]] = arith.truncf %[[ROOT]] : f64 to f32
// CHECK: return %[[NORM]]
func.func @norm_memref(%g0: memref<4x8xf32>, %g1: memref<?xbf16>, %s: f32) -> f32 {
  %n = optim.global_norm %g0, %g1 : memref<4x8xf32>, memref<?xbf16> grad_scale(%s) -> f32
  return %n : f32
}

// -----

// Tensor form: the accumulator is threaded from one generic to the next.
// CHECK-LABEL: func @norm_tensor_f64(
// CHECK: %[[INIT:.*]] = linalg.fill ins(%{{.*}} : f64) outs(%{{.*}} : tensor<f64>) -> tensor<f64>
// CHECK: %[[A0:.*]] = linalg.generic {{.*}} ins(%{{.*}} : tensor<3xf64>) outs(%[[INIT]] : tensor<f64>)
// CHECK-NOT: arith.extf
// CHECK: %[[A1:.*]] = linalg.generic {{.*}} ins(%{{.*}} : tensor<2x2xf64>) outs(%[[A0]] : tensor<f64>)
// CHECK: %[[T:.*]] = tensor.extract %[[A1]][] : tensor<f64>
// CHECK: %[[R:.*]] = math.sqrt %[[T]] : f64
// CHECK-NOT: arith.truncf
// CHECK: return %[[R]]
func.func @norm_tensor_f64(%g0: tensor<3xf64>, %g1: tensor<2x2xf64>) -> f64 {
  %n = optim.global_norm %g0, %g1 : tensor<3xf64>, tensor<2x2xf64> -> f64
  return %n : f64
}

// -----

// clip_grad_norm: coef = min(1, max / (norm + 1e-6)) once, in f64, rounded
// to f32; the gradient is multiplied by it after unscaling. With
// skip_nonfinite_norm, a NaN or infinite norm (|norm| ueq inf) skips the
// step together with found_inf.
// CHECK-LABEL: func @clip(
// CHECK-SAME: %[[LR:[a-z0-9]+]]: f32, %[[T:[a-z0-9]+]]: i64, %[[S:[a-z0-9]+]]: f32, %[[FI:[a-z0-9]+]]: f32, %[[N:[a-z0-9]+]]: f32, %[[MAX:[a-z0-9]+]]: f32)
// CHECK: %[[FOUND:.*]] = arith.cmpf une, %[[FI]], %{{.*}} : f32
// CHECK: %[[ABS:.*]] = math.absf %[[N]] : f32
// CHECK: %[[NONFINITE:.*]] = arith.cmpf ueq, %[[ABS]], %{{.*}} : f32
// CHECK: %[[SKIP:.*]] = arith.ori %[[FOUND]], %[[NONFINITE]] : i1
// CHECK: %[[GO:.*]] = arith.xori %[[SKIP]], %{{.*}} : i1
// CHECK: scf.if %[[GO]] {
// CHECK:   %[[MAX64:.*]] = arith.extf %[[MAX]] : f32 to f64
// CHECK:   %[[N64:.*]] = arith.extf %[[N]] : f32 to f64
// CHECK:   %[[DEN:.*]] = arith.addf %[[N64]], %{{.*}} : f64
// CHECK:   %[[Q:.*]] = arith.divf %[[MAX64]], %[[DEN]] : f64
// CHECK:   %[[MIN:.*]] = arith.minimumf %{{.*}}, %[[Q]] : f64
// CHECK:   %[[COEF:.*]] = arith.truncf %[[MIN]] : f64 to f32
// CHECK:   linalg.generic
// CHECK:   ^bb0(%[[G:[a-z0-9_]+]]: f32,
// CHECK:     %[[UNSCALED:.*]] = arith.mulf %[[G]], %{{.*}} : f32
// CHECK:     %[[CLIPPED:.*]] = arith.mulf %[[UNSCALED]], %[[COEF]] : f32
// CHECK:     arith.mulf %{{.*}}, %[[CLIPPED]] : f32
func.func @clip(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>,
                %lr: f32, %t: i64, %s: f32, %fi: f32, %norm: f32, %max: f32) {
  optim.adam (%p, %g, %m, %v) : memref<8xf32> lr(%lr) betas(%lr, %lr) eps(%lr) step(%t : i64)
      grad_scale(%s) found_inf(%fi) clip_grad_norm(%norm, %max) skip_nonfinite_norm
  return
}

// -----

// Without skip_nonfinite_norm there is no skip at all: a NaN norm flows into
// the coefficient, as in torch.
// CHECK-LABEL: func @clip_no_skip(
// CHECK-NOT: scf.if
// CHECK: arith.minimumf
// CHECK: linalg.generic
func.func @clip_no_skip(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>,
                        %lr: f32, %t: i64, %norm: f32, %max: f32) {
  optim.adam (%p, %g, %m, %v) : memref<8xf32> lr(%lr) betas(%lr, %lr) eps(%lr) step(%t : i64)
      clip_grad_norm(%norm, %max)
  return
}

// -----

// A 0-d gradient in a memory space is viewed as a 1-element vector in the
// same space (the view dropped the space: an expand_shape that failed to
// verify).
// CHECK-LABEL: func.func @scalar_in_memory_space
// CHECK: memref.expand_shape %{{.*}} [] output_shape [1] : memref<f32, 1> into memref<1xf32, 1>
func.func @scalar_in_memory_space(%g: memref<f32, 1>) -> f32 {
  %n = optim.global_norm %g : memref<f32, 1> -> f32
  return %n : f32
}
