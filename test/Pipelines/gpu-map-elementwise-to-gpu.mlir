// RUN: optim-opt %s -convert-optim-to-linalg -optim-map-elementwise-to-gpu -split-input-file -verify-diagnostics | FileCheck %s

// A parameter group is one launch: every thread walks every parameter with
// a grid-stride loop; aligned buffers move 16-byte vectors, the rest and
// the remainder take a scalar loop; sqrt is the correctly rounded NVVM one.

// CHECK-LABEL: func @group
// CHECK: math.powf
// CHECK: %[[BLOCKS:.*]] = arith.minui %{{.*}}, %c2048
// CHECK: gpu.launch blocks(%[[BX:.*]], %{{.*}}, %{{.*}}) in (%[[GX:.*]] = %[[BLOCKS]], {{.*}} threads(%[[TX:.*]], %{{.*}}, %{{.*}}) in (%[[BDIM:.*]] = %c256
// CHECK-NOT: gpu.launch
// CHECK: %[[TID0:.*]] = arith.muli %[[BX]], %[[BDIM]]
// CHECK: %[[TID:.*]] = arith.addi %[[TID0]], %[[TX]]
// CHECK: %[[STRIDE:.*]] = arith.muli %[[GX]], %[[BDIM]]
// First parameter: alignment check, vector loop, scalar loop.
// CHECK: memref.extract_aligned_pointer_as_index
// CHECK: arith.remui %{{.*}}, %c16
// CHECK: %[[NV:.*]] = arith.select
// CHECK: scf.for %{{.*}} = %[[TID]] to %[[NV]] step %[[STRIDE]]
// CHECK: vector.load %{{.*}} {alignment = 16 : i64} : memref<?xf32>, vector<4xf32>
// CHECK-COUNT-4: llvm.call_intrinsic "llvm.nvvm.sqrt.rn.f"
// CHECK: vector.store %{{.*}} {alignment = 16 : i64} : memref<?xf32>, vector<4xf32>
// CHECK: scf.for {{.*}} step %[[STRIDE]]
// CHECK: memref.load
// CHECK: llvm.call_intrinsic "llvm.nvvm.sqrt.rn.f"
// CHECK: memref.store
// Second parameter, same launch.
// CHECK: vector.load %{{.*}} {alignment = 16 : i64} : memref<6xf32>, vector<4xf32>
// CHECK: gpu.terminator
// CHECK-NOT: linalg.generic
func.func @group(%p0: memref<?xf32>, %g0: memref<?xf32>, %m0: memref<?xf32>, %v0: memref<?xf32>,
                 %p1: memref<2x3xf32>, %g1: memref<2x3xf32>, %m1: memref<2x3xf32>, %v1: memref<2x3xf32>,
                 %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i64) {
  optim.adamw (%p0, %g0, %m0, %v0) : memref<?xf32>, (%p1, %g1, %m1, %v1) : memref<2x3xf32>
      lr(%lr) betas(%b1, %b2) eps(%eps) weight_decay(%wd) step(%t : i64)
  return
}

// -----

// f64 moves two elements per 16 bytes and keeps libdevice's (correctly
// rounded) f64 sqrt; f16 parameters with f32 moments use 4-wide vectors.
// CHECK-LABEL: func @f64
// CHECK: vector.load %{{.*}} {alignment = 16 : i64} : memref<?xf64>, vector<2xf64>
// CHECK: math.sqrt %{{.*}} : vector<2xf64>
func.func @f64(%p: memref<?xf64>, %g: memref<?xf64>, %m: memref<?xf64>, %v: memref<?xf64>,
               %lr: f64, %b1: f64, %b2: f64, %eps: f64, %t: i64) {
  optim.adam (%p, %g, %m, %v) : memref<?xf64> lr(%lr) betas(%b1, %b2) eps(%eps) step(%t : i64)
  return
}

// CHECK-LABEL: func @f16
// A vector of 4 f16 is 8 bytes: it claims 8-byte alignment, not 16.
// CHECK: vector.load %{{.*}} {alignment = 8 : i64} : memref<?xf16>, vector<4xf16>
// CHECK: vector.load %{{.*}} {alignment = 16 : i64} : memref<?xf32>, vector<4xf32>
func.func @f16(%p: memref<?xf16>, %g: memref<?xf16>, %m: memref<?xf32>, %v: memref<?xf32>,
               %lr: f32, %b1: f32, %b2: f32, %eps: f32, %t: i64) {
  optim.adam (%p, %g, %m, %v) : memref<?xf16> lr(%lr) betas(%b1, %b2) eps(%eps) step(%t : i64)
  return
}

// -----

// A strided parameter cannot be flattened: it is reported, not run on the
// host over device memory.
func.func @strided(%p: memref<4x4xf32, strided<[8, 1]>>, %g: memref<4x4xf32>, %m: memref<4x4xf32>, %v: memref<4x4xf32>,
                   %lr: f32, %b1: f32, %b2: f32, %eps: f32, %t: i64) {
  // expected-error @+1 {{cannot be mapped to the GPU: only 1-d element-wise generics on contiguous buffers are supported}}
  optim.adam (%p, %g, %m, %v) : (memref<4x4xf32, strided<[8, 1]>>, memref<4x4xf32>, memref<4x4xf32>, memref<4x4xf32>)
      lr(%lr) betas(%b1, %b2) eps(%eps) step(%t : i64)
  return
}
