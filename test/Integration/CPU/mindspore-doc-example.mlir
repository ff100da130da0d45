// RUN: optim-opt %s --optim-lower-to-llvm="chunk-size=2 vector-size=2" \
// RUN: | mlir-runner -e main -entry-point-result=void \
// RUN:   -shared-libs=%mlir_lib_dir/libmlir_runner_utils%shlibext,%mlir_lib_dir/libmlir_c_runner_utils%shlibext,%mlir_lib_dir/libomp%shlibext \
// RUN: | FileCheck %s
// REQUIRES: libomp

// MindSpore's documented ApplyAdamWithAmsgradV2 example, end to end through
// the real CPU pipeline (OpenMP threads, vectors, tails) and the JIT.
// Documented output: var = [[0.19886853, 0.1985858], [0.19853032, 0.19849943]].

func.func private @printMemrefF32(memref<*xf32>) attributes {llvm.emit_c_interface}

func.func @main() {
  %p = memref.alloc() : memref<2x2xf32>
  %g = memref.alloc() : memref<2x2xf32>
  %m = memref.alloc() : memref<2x2xf32>
  %v = memref.alloc() : memref<2x2xf32>
  %vmax = memref.alloc() : memref<2x2xf32>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %f01 = arith.constant 0.1 : f32
  %f02 = arith.constant 0.2 : f32
  %f03 = arith.constant 0.3 : f32
  %f04 = arith.constant 0.4 : f32
  %f06 = arith.constant 0.6 : f32
  linalg.fill ins(%f02 : f32) outs(%p : memref<2x2xf32>)
  memref.store %f01, %m[%c0, %c0] : memref<2x2xf32>
  memref.store %f02, %m[%c0, %c1] : memref<2x2xf32>
  memref.store %f04, %m[%c1, %c0] : memref<2x2xf32>
  memref.store %f03, %m[%c1, %c1] : memref<2x2xf32>
  memref.store %f02, %v[%c0, %c0] : memref<2x2xf32>
  memref.store %f01, %v[%c0, %c1] : memref<2x2xf32>
  memref.store %f03, %v[%c1, %c0] : memref<2x2xf32>
  memref.store %f04, %v[%c1, %c1] : memref<2x2xf32>
  memref.store %f01, %vmax[%c0, %c0] : memref<2x2xf32>
  memref.store %f02, %vmax[%c0, %c1] : memref<2x2xf32>
  memref.store %f06, %vmax[%c1, %c0] : memref<2x2xf32>
  memref.store %f02, %vmax[%c1, %c1] : memref<2x2xf32>
  memref.store %f04, %g[%c0, %c0] : memref<2x2xf32>
  memref.store %f02, %g[%c0, %c1] : memref<2x2xf32>
  memref.store %f02, %g[%c1, %c0] : memref<2x2xf32>
  memref.store %f03, %g[%c1, %c1] : memref<2x2xf32>

  %lr = arith.constant 0.01 : f32
  %b1 = arith.constant 0.8 : f32
  %b2 = arith.constant 0.999 : f32
  %eps = arith.constant 1.0e-8 : f32
  %b1p = arith.constant 0.9 : f32
  %b2p = arith.constant 0.999 : f32
  optim.adam amsgrad (%p, %g, %m, %v, %vmax) : memref<2x2xf32>
      lr(%lr) betas(%b1, %b2) eps(%eps) beta_powers(%b1p, %b2p) bias_correction(folded)

  // CHECK: data =
  // CHECK-NEXT: {{\[}}[0.198869, 0.198586],
  // CHECK-NEXT: [0.19853, 0.198499]]
  %up = memref.cast %p : memref<2x2xf32> to memref<*xf32>
  call @printMemrefF32(%up) : (memref<*xf32>) -> ()
  // CHECK: data =
  // CHECK-NEXT: {{\[}}[0.16, 0.2],
  // CHECK-NEXT: [0.36, 0.3]]
  %um = memref.cast %m : memref<2x2xf32> to memref<*xf32>
  call @printMemrefF32(%um) : (memref<*xf32>) -> ()
  // vhat = max(vmax, v'): v' = [0.19996, 0.09994, 0.29974, 0.39969]
  // CHECK: data =
  // CHECK-NEXT: {{\[}}[0.19996, 0.2],
  // CHECK-NEXT: [0.6, 0.39969]]
  %uvmax = memref.cast %vmax : memref<2x2xf32> to memref<*xf32>
  call @printMemrefF32(%uvmax) : (memref<*xf32>) -> ()
  memref.dealloc %p : memref<2x2xf32>
  memref.dealloc %g : memref<2x2xf32>
  memref.dealloc %m : memref<2x2xf32>
  memref.dealloc %v : memref<2x2xf32>
  memref.dealloc %vmax : memref<2x2xf32>
  return
}
