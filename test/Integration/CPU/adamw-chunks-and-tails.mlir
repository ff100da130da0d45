// RUN: optim-opt %s --optim-lower-to-llvm="chunk-size=16" \
// RUN: | mlir-runner -e main -entry-point-result=void \
// RUN:   -shared-libs=%mlir_lib_dir/libmlir_runner_utils%shlibext,%mlir_lib_dir/libmlir_c_runner_utils%shlibext,%mlir_lib_dir/libomp%shlibext \
// RUN: | FileCheck %s
// RUN: optim-opt %s --optim-lower-to-llvm="openmp=0 vector-size=8" \
// RUN: | mlir-runner -e main -entry-point-result=void \
// RUN:   -shared-libs=%mlir_lib_dir/libmlir_runner_utils%shlibext,%mlir_lib_dir/libmlir_c_runner_utils%shlibext \
// RUN: | FileCheck %s
// REQUIRES: libomp

// 41 elements = 2 full 16-element chunks (one vector each) + a 9-element
// chunk (masked tail). p[i] = i, g = 0: the step only applies the decoupled
// decay, p[i] = i * (1 - lr * wd) = 0.99 i, so every index is checked.
// A second, gradient-driven step then checks the Adam arithmetic with
// g = 0.5, m = v = 0, t = 1: m = 0.05, v = 2.5e-4, step size = lr / 0.1 = 1,
// denominator = sqrt(v) / sqrt(0.001) + eps = 0.5, p = 0.99 p - 0.1.

func.func private @printMemrefF32(memref<*xf32>) attributes {llvm.emit_c_interface}

func.func @main() {
  %n = arith.constant 41 : index
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %p = memref.alloc(%n) : memref<?xf32>
  %g = memref.alloc(%n) : memref<?xf32>
  %m = memref.alloc(%n) : memref<?xf32>
  %v = memref.alloc(%n) : memref<?xf32>
  scf.for %i = %c0 to %n step %c1 {
    %ii = arith.index_cast %i : index to i32
    %fi = arith.sitofp %ii : i32 to f32
    memref.store %fi, %p[%i] : memref<?xf32>
  }
  linalg.fill ins(%zero : f32) outs(%g : memref<?xf32>)
  linalg.fill ins(%zero : f32) outs(%m : memref<?xf32>)
  linalg.fill ins(%zero : f32) outs(%v : memref<?xf32>)

  %lr = arith.constant 0.1 : f32
  %b1 = arith.constant 0.5 : f32
  %b2 = arith.constant 0.999 : f32
  %eps = arith.constant 1.0e-8 : f32
  %wd = arith.constant 0.1 : f32
  %t = arith.constant 1 : i64
  optim.adamw (%p, %g, %m, %v) : memref<?xf32>
      lr(%lr) betas(%b1, %b2) eps(%eps) weight_decay(%wd) step(%t : i64)
  // CHECK: data =
  // CHECK-NEXT: [0,  0.99,  1.98,  2.97,  3.96,  4.95,  5.94,  6.93,  7.92,  8.91,  9.9,  10.89,  11.88,  12.87,  13.86,  14.85,  15.84,  16.83,  17.82,  18.81,  19.8,  20.79,  21.78,  22.77,  23.76,  24.75,  25.74,  26.73,  27.72,  28.71,  29.7,  30.69,  31.68,  32.67,  33.66,  34.65,  35.64,  36.63,  37.62,  38.61,  39.6]
  %up = memref.cast %p : memref<?xf32> to memref<*xf32>
  call @printMemrefF32(%up) : (memref<*xf32>) -> ()

  %one = arith.constant 1.0 : f32
  %half = arith.constant 0.5 : f32
  %b1b = arith.constant 0.9 : f32
  linalg.fill ins(%one : f32) outs(%p : memref<?xf32>)
  linalg.fill ins(%half : f32) outs(%g : memref<?xf32>)
  optim.adamw (%p, %g, %m, %v) : memref<?xf32>
      lr(%lr) betas(%b1b, %b2) eps(%eps) weight_decay(%wd) step(%t : i64)
  // CHECK: data =
  // CHECK-NEXT: [0.89{{(, +0.89)+}}]
  call @printMemrefF32(%up) : (memref<*xf32>) -> ()
  // CHECK: data =
  // CHECK-NEXT: [0.05{{(, +0.05)+}}]
  %um = memref.cast %m : memref<?xf32> to memref<*xf32>
  call @printMemrefF32(%um) : (memref<*xf32>) -> ()
  memref.dealloc %p : memref<?xf32>
  memref.dealloc %g : memref<?xf32>
  memref.dealloc %m : memref<?xf32>
  memref.dealloc %v : memref<?xf32>
  return
}
