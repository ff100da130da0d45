// RUN: optim-opt %s -split-input-file -optim-map-elementwise-to-gpu -verify-diagnostics | FileCheck %s

// The GPU schedule on hand-written element-wise generics, independent of
// the optim dialect: consecutive generics become one gpu.launch whose
// threads walk every generic with grid-stride loops, 16-byte vectors when
// the buffers are aligned, a scalar loop for the rest.

#id = affine_map<(d0) -> (d0)>

// CHECK-LABEL: func @two_generics
// CHECK: %[[BLOCKS:.*]] = arith.minui %{{.*}}, %c2048
// CHECK: gpu.launch blocks(%[[BX:.*]], %{{.*}}, %{{.*}}) in (%[[GX:.*]] = %[[BLOCKS]], {{.*}} threads(%[[TX:.*]], %{{.*}}, %{{.*}}) in (%[[BDIM:.*]] = %c256
// CHECK: %[[STRIDE:.*]] = arith.muli %[[GX]], %[[BDIM]]
// First generic: f32 vectors of 4, then the scalar loop.
// CHECK: memref.extract_aligned_pointer_as_index
// CHECK: scf.for {{.*}} step %[[STRIDE]]
// CHECK: vector.load %{{.*}} {alignment = 16 : i64} : memref<?xf32>, vector<4xf32>
// CHECK: llvm.call_intrinsic "llvm.nvvm.sqrt.rn.f"
// CHECK: vector.store %{{.*}} {alignment = 16 : i64} : memref<?xf32>, vector<4xf32>
// CHECK: scf.for {{.*}} step %[[STRIDE]]
// CHECK: memref.load
// CHECK: memref.store
// Second generic, same launch: f64 vectors of 2, math.sqrt kept for f64.
// CHECK: vector.load %{{.*}} {alignment = 16 : i64} : memref<10xf64>, vector<2xf64>
// CHECK: math.sqrt {{.*}} : vector<2xf64>
// CHECK: gpu.terminator
// CHECK-NOT: gpu.launch
// CHECK-NOT: linalg.generic
func.func @two_generics(%x: memref<?xf32>, %y: memref<?xf32>,
                        %u: memref<10xf64>, %w: memref<10xf64>) {
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : memref<?xf32>) outs(%y : memref<?xf32>) {
  ^bb0(%a: f32, %b: f32):
    %0 = math.sqrt %a : f32
    %1 = arith.addf %0, %b : f32
    linalg.yield %1 : f32
  }
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%u : memref<10xf64>) outs(%w : memref<10xf64>) {
  ^bb0(%a: f64, %b: f64):
    %0 = math.sqrt %a : f64
    linalg.yield %0 : f64
  }
  return
}

// -----

#id = affine_map<(d0) -> (d0)>

// An op with side effects between two generics separates them: two
// launches.
// CHECK-LABEL: func @separated
// CHECK: gpu.launch
// CHECK: memref.store
// CHECK: gpu.launch
func.func @separated(%x: memref<?xf32>, %y: memref<?xf32>, %f: f32) {
  %c0 = arith.constant 0 : index
  linalg.generic {indexing_maps = [#id], iterator_types = ["parallel"]}
      outs(%x : memref<?xf32>) {
  ^bb0(%a: f32):
    %0 = arith.negf %a : f32
    linalg.yield %0 : f32
  }
  memref.store %f, %y[%c0] : memref<?xf32>
  linalg.generic {indexing_maps = [#id], iterator_types = ["parallel"]}
      outs(%y : memref<?xf32>) {
  ^bb0(%a: f32):
    %0 = arith.negf %a : f32
    linalg.yield %0 : f32
  }
  return
}

// -----

#id2 = affine_map<(d0, d1) -> (d0, d1)>

// A generic the mapping cannot take would run on the host over device
// memory: an error, not a leftover.
func.func @two_dimensional(%x: memref<4x?xf32>) {
  // expected-error @below {{cannot be mapped to the GPU: only 1-d element-wise generics on contiguous buffers are supported}}
  linalg.generic {indexing_maps = [#id2], iterator_types = ["parallel", "parallel"]}
      outs(%x : memref<4x?xf32>) {
  ^bb0(%a: f32):
    %0 = arith.negf %a : f32
    linalg.yield %0 : f32
  }
  return
}
