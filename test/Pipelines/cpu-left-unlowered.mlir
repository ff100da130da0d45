// RUN: not optim-opt %s -split-input-file --optim-lower-to-llvm 2>&1 | FileCheck %s

// What upstream's memref and func conversions cannot lower they report
// without a location and leave as casts, which reconcile-unrealized-casts
// keeps: optim-lower-to-llvm exited 0 with memref types in its output. The
// pipeline's last pass (optim-check-lowered-to-llvm) now fails, at the
// op, or at the function when the cast has no location of its own.

// A layout that is not strided (transposed by an affine map).
// CHECK: cpu-left-unlowered.mlir:[[# @LINE + 2]]:3: error: the lowering to LLVM left 'builtin.unrealized_conversion_cast' behind ('memref<4x8xf32>') -> ('!llvm.struct<{{.*}}>'): the host pipelines lower func.func bodies whose memrefs have strided layouts in the default or an integer memory space
func.func @permuted(%p: memref<4x8xf32, affine_map<(d0, d1) -> (d1, d0)>>, %g: memref<4x8xf32>, %m: memref<4x8xf32>, %v: memref<4x8xf32>, %lr: f32, %t: i64) {
  optim.adam (%p, %g, %m, %v) : (memref<4x8xf32, affine_map<(d0, d1) -> (d1, d0)>>, memref<4x8xf32>, memref<4x8xf32>, memref<4x8xf32>) lr(%lr) betas(%lr, %lr) eps(%lr) step(%t : i64)
  return
}

// -----

// A memory space that is not an integer.
// CHECK: cpu-left-unlowered.mlir:[[# @LINE + 1]]:1: error: the lowering to LLVM left 'builtin.unrealized_conversion_cast' behind
func.func @gpu_space(%p: memref<16xf32, #gpu.address_space<global>>, %g: memref<16xf32, #gpu.address_space<global>>, %m: memref<16xf32, #gpu.address_space<global>>, %v: memref<16xf32, #gpu.address_space<global>>, %lr: f32, %t: i64) {
  optim.adam (%p, %g, %m, %v) : (memref<16xf32, #gpu.address_space<global>>, memref<16xf32, #gpu.address_space<global>>, memref<16xf32, #gpu.address_space<global>>, memref<16xf32, #gpu.address_space<global>>) lr(%lr) betas(%lr, %lr) eps(%lr) step(%t : i64)
  return
}

// -----

// A step inside a gpu.func is not the host pipeline's to lower.
// CHECK: cpu-left-unlowered.mlir:[[# @LINE + 4]]:7: error: the lowering to LLVM left {{.*}}: device code lowers through optim-lower-to-nvvm or optim-lower-to-emulated-gpu
module attributes {gpu.container_module} {
  gpu.module @k {
    gpu.func @f(%p: memref<1000xf32>, %g: memref<1000xf32>, %m: memref<1000xf32>, %v: memref<1000xf32>, %lr: f32, %t: i64) kernel {
      optim.adamw (%p, %g, %m, %v) : memref<1000xf32> lr(%lr) betas(%lr, %lr) eps(%lr) weight_decay(%lr) step(%t : i64) found_inf(%lr)
      gpu.return
    }
  }
}

// -----

// A nested module lowers like the outer one and is not left behind.
// CHECK-NOT: error
module {
  func.func private @ext()
  module @inner {
    func.func @nested(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %v: memref<8xf32>, %lr: f32, %t: i64) {
      optim.adam (%p, %g, %m, %v) : memref<8xf32> lr(%lr) betas(%lr, %lr) eps(%lr) step(%t : i64)
      return
    }
  }
}
