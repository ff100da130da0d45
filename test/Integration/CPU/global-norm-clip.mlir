// RUN: optim-opt %s --optim-lower-to-llvm="chunk-size=16" \
// RUN: | mlir-runner -e main -entry-point-result=void \
// RUN:   -shared-libs=%mlir_lib_dir/libmlir_runner_utils%shlibext,%mlir_lib_dir/libmlir_c_runner_utils%shlibext,%mlir_lib_dir/libomp%shlibext \
// RUN: | FileCheck %s
// RUN: optim-opt %s --optim-lower-to-llvm="openmp=0 chunk-size=0 vector-size=8" \
// RUN: | mlir-runner -e main -entry-point-result=void \
// RUN:   -shared-libs=%mlir_lib_dir/libmlir_runner_utils%shlibext,%mlir_lib_dir/libmlir_c_runner_utils%shlibext \
// RUN: | FileCheck %s
// REQUIRES: libomp

// torch's clip_grad_norm_ fused into an AMP step. Two gradients, 41 elements
// (with chunk-size=16: two full chunks and a 9-element one; the vector loop
// and the scalar tail both run) and 4x2, every element 2.0 under a loss scale
// of 2: the unscaled norm is sqrt(41 + 8) = 7.
//   - max_grad_norm 3.5: coef = 3.5 / (7 + 1e-6) ~ 0.5, so the first moment
//     after one step from zero is 0.1 * 0.5 = 0.05 (0.1 unclipped);
//   - max_grad_norm 100: clipping inactive, m = 0.1 exactly;
//   - an inf in a gradient: the norm is inf and skip_nonfinite_norm leaves
//     the parameters as they were.

func.func private @printMemrefF32(memref<*xf32>) attributes {llvm.emit_c_interface}

func.func @step(%p0: memref<?xf32>, %g0: memref<?xf32>, %m0: memref<?xf32>, %v0: memref<?xf32>,
                %p1: memref<4x2xf32>, %g1: memref<4x2xf32>, %m1: memref<4x2xf32>, %v1: memref<4x2xf32>,
                %max: f32) -> f32 {
  %lr = arith.constant 0.1 : f32
  %b1 = arith.constant 0.9 : f32
  %b2 = arith.constant 0.999 : f32
  %eps = arith.constant 1.0e-8 : f32
  %wd = arith.constant 0.0 : f32
  %t = arith.constant 1 : i64
  %scale = arith.constant 2.0 : f32
  %norm = optim.global_norm %g0, %g1 : memref<?xf32>, memref<4x2xf32> grad_scale(%scale) -> f32
  optim.adamw (%p0, %g0, %m0, %v0) : memref<?xf32>, (%p1, %g1, %m1, %v1) : memref<4x2xf32>
      lr(%lr) betas(%b1, %b2) eps(%eps) weight_decay(%wd) step(%t : i64)
      grad_scale(%scale) clip_grad_norm(%norm, %max) skip_nonfinite_norm
  return %norm : f32
}

func.func @main() {
  %n = arith.constant 41 : index
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %two = arith.constant 2.0 : f32
  %inf = arith.constant 0x7F800000 : f32
  %p0 = memref.alloc(%n) : memref<?xf32>
  %g0 = memref.alloc(%n) : memref<?xf32>
  %m0 = memref.alloc(%n) : memref<?xf32>
  %v0 = memref.alloc(%n) : memref<?xf32>
  %p1 = memref.alloc() : memref<4x2xf32>
  %g1 = memref.alloc() : memref<4x2xf32>
  %m1 = memref.alloc() : memref<4x2xf32>
  %v1 = memref.alloc() : memref<4x2xf32>
  %um0 = memref.cast %m0 : memref<?xf32> to memref<*xf32>
  %um1 = memref.cast %m1 : memref<4x2xf32> to memref<*xf32>
  %up0 = memref.cast %p0 : memref<?xf32> to memref<*xf32>

  // Clipping active.
  linalg.fill ins(%one : f32) outs(%p0 : memref<?xf32>)
  linalg.fill ins(%two : f32) outs(%g0 : memref<?xf32>)
  linalg.fill ins(%zero : f32) outs(%m0 : memref<?xf32>)
  linalg.fill ins(%zero : f32) outs(%v0 : memref<?xf32>)
  linalg.fill ins(%one : f32) outs(%p1 : memref<4x2xf32>)
  linalg.fill ins(%two : f32) outs(%g1 : memref<4x2xf32>)
  linalg.fill ins(%zero : f32) outs(%m1 : memref<4x2xf32>)
  linalg.fill ins(%zero : f32) outs(%v1 : memref<4x2xf32>)
  %clip = arith.constant 3.5 : f32
  %norm = call @step(%p0, %g0, %m0, %v0, %p1, %g1, %m1, %v1, %clip)
      : (memref<?xf32>, memref<?xf32>, memref<?xf32>, memref<?xf32>, memref<4x2xf32>, memref<4x2xf32>, memref<4x2xf32>, memref<4x2xf32>, f32) -> f32
  // CHECK: 7
  vector.print %norm : f32
  // CHECK: data =
  // CHECK-NEXT: [0.05{{(, +0.05)+}}]
  call @printMemrefF32(%um0) : (memref<*xf32>) -> ()
  // CHECK: data =
  // CHECK-NEXT: [0.05, 0.05]
  // CHECK-NEXT: [0.05, 0.05]
  // CHECK-NEXT: [0.05, 0.05]
  // CHECK-NEXT: [0.05, 0.05]
  call @printMemrefF32(%um1) : (memref<*xf32>) -> ()

  // Clipping inactive: the same step as without it.
  linalg.fill ins(%zero : f32) outs(%m0 : memref<?xf32>)
  linalg.fill ins(%zero : f32) outs(%v0 : memref<?xf32>)
  linalg.fill ins(%zero : f32) outs(%m1 : memref<4x2xf32>)
  linalg.fill ins(%zero : f32) outs(%v1 : memref<4x2xf32>)
  %loose = arith.constant 100.0 : f32
  %norm2 = call @step(%p0, %g0, %m0, %v0, %p1, %g1, %m1, %v1, %loose)
      : (memref<?xf32>, memref<?xf32>, memref<?xf32>, memref<?xf32>, memref<4x2xf32>, memref<4x2xf32>, memref<4x2xf32>, memref<4x2xf32>, f32) -> f32
  // CHECK: 7
  vector.print %norm2 : f32
  // CHECK: data =
  // CHECK-NEXT: [0.1{{(, +0.1)+}}]
  call @printMemrefF32(%um0) : (memref<*xf32>) -> ()

  // A non-finite gradient: the norm is inf and the step is skipped.
  linalg.fill ins(%one : f32) outs(%p0 : memref<?xf32>)
  %c40 = arith.constant 40 : index
  memref.store %inf, %g0[%c40] : memref<?xf32>
  %norm3 = call @step(%p0, %g0, %m0, %v0, %p1, %g1, %m1, %v1, %clip)
      : (memref<?xf32>, memref<?xf32>, memref<?xf32>, memref<?xf32>, memref<4x2xf32>, memref<4x2xf32>, memref<4x2xf32>, memref<4x2xf32>, f32) -> f32
  // CHECK: inf
  vector.print %norm3 : f32
  // CHECK: data =
  // CHECK-NEXT: [1{{(, +1)+}}]
  call @printMemrefF32(%up0) : (memref<*xf32>) -> ()
  // CHECK: data =
  // CHECK-NEXT: [0.1{{(, +0.1)+}}]
  call @printMemrefF32(%um0) : (memref<*xf32>) -> ()

  memref.dealloc %p0 : memref<?xf32>
  memref.dealloc %g0 : memref<?xf32>
  memref.dealloc %m0 : memref<?xf32>
  memref.dealloc %v0 : memref<?xf32>
  memref.dealloc %p1 : memref<4x2xf32>
  memref.dealloc %g1 : memref<4x2xf32>
  memref.dealloc %m1 : memref<4x2xf32>
  memref.dealloc %v1 : memref<4x2xf32>
  return
}
