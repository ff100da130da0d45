// RUN: optim-opt %s --optim-lower-to-llvm="openmp=0 vector-size=4" \
// RUN: | mlir-runner -e main -entry-point-result=void \
// RUN:   -shared-libs=%mlir_lib_dir/libmlir_runner_utils%shlibext,%mlir_lib_dir/libmlir_c_runner_utils%shlibext \
// RUN: | FileCheck %s
// RUN: optim-opt %s --optim-lower-to-llvm="openmp=0 vector-size=4 fast-math=1" \
// RUN: | mlir-runner -e main -entry-point-result=void \
// RUN:   -shared-libs=%mlir_lib_dir/libmlir_runner_utils%shlibext,%mlir_lib_dir/libmlir_c_runner_utils%shlibext \
// RUN: | FileCheck %s

// f32 gradients whose square overflows (|g| > 1.8e19) but whose second
// moment does not: PyTorch computes v * beta2 + ((1 - beta2) * g) * g,
// finite up to |g| ~ 5.8e20. Adam, t = 1, p = 1, m = v = 0, lr = 1e-3:
//   m = 0.1 g, v = 1e-3 g^2, step size = lr / 0.1, denominator =
//   sqrt(v) / sqrt(1e-3) + eps = |g|, so p = 1 - 1e-3 * sign(g).
// Squaring g first gives v = inf and p = 1 (precise) or NaN (fast math).
// The tiny gradient's second moment underflows to 0 in both orders: p
// stays 1 (the update, 1e-25, is below half an ulp).

func.func private @printMemrefF32(memref<*xf32>) attributes {llvm.emit_c_interface}

func.func @main() {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %p = memref.alloc() : memref<4xf32>
  %g = memref.alloc() : memref<4xf32>
  %m = memref.alloc() : memref<4xf32>
  %v = memref.alloc() : memref<4xf32>
  linalg.fill ins(%one : f32) outs(%p : memref<4xf32>)
  linalg.fill ins(%zero : f32) outs(%m : memref<4xf32>)
  linalg.fill ins(%zero : f32) outs(%v : memref<4xf32>)
  %g0 = arith.constant 4.0e20 : f32
  %g1 = arith.constant -5.0e20 : f32
  %g2 = arith.constant 2.0e19 : f32
  %g3 = arith.constant 1.0e-30 : f32
  memref.store %g0, %g[%c0] : memref<4xf32>
  memref.store %g1, %g[%c1] : memref<4xf32>
  memref.store %g2, %g[%c2] : memref<4xf32>
  memref.store %g3, %g[%c3] : memref<4xf32>

  %lr = arith.constant 1.0e-3 : f32
  %b1 = arith.constant 0.9 : f32
  %b2 = arith.constant 0.999 : f32
  %eps = arith.constant 1.0e-8 : f32
  %t = arith.constant 1 : i64
  optim.adam (%p, %g, %m, %v) : memref<4xf32>
      lr(%lr) betas(%b1, %b2) eps(%eps) step(%t : i64)

  // CHECK: data =
  // CHECK-NEXT: [0.999,  1.001,  0.999,  1]
  %up = memref.cast %p : memref<4xf32> to memref<*xf32>
  call @printMemrefF32(%up) : (memref<*xf32>) -> ()
  // v = (1 - beta2) g^2, finite (1 - beta2 is 1 - f32(0.999), computed in
  // f64: 9.99987e-4).
  // CHECK: data =
  // CHECK-NEXT: [1.59998e+38,  2.49997e+38,  3.99995e+35,  0]
  %uv = memref.cast %v : memref<4xf32> to memref<*xf32>
  call @printMemrefF32(%uv) : (memref<*xf32>) -> ()
  memref.dealloc %p : memref<4xf32>
  memref.dealloc %g : memref<4xf32>
  memref.dealloc %m : memref<4xf32>
  memref.dealloc %v : memref<4xf32>
  return
}
