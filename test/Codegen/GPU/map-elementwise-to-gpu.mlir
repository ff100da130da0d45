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

// -----

#id = affine_map<(d0) -> (d0)>

// In one launch an element of one generic and the same element of the next
// are on different threads (vectors of 4 f32, then of 16 i8): a generic
// that reads what an earlier one writes, through a view, starts a new
// launch. An independent generic after it joins that launch.
// CHECK-LABEL: func @dependent
// CHECK: gpu.launch
// CHECK: vector<4xf32>
// CHECK: gpu.terminator
// CHECK: gpu.launch
// CHECK: vector<16xi8>
// CHECK: vector<4xf32>
// CHECK: gpu.terminator
// CHECK-NOT: gpu.launch
func.func @dependent(%x: memref<64xf32>, %a: memref<64xi8>,
                     %b: memref<8x8xi8>, %u: memref<64xf32>) {
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : memref<64xf32>) outs(%a : memref<64xi8>) {
  ^bb0(%v: f32, %o: i8):
    %c = arith.fptosi %v : f32 to i8
    linalg.yield %c : i8
  }
  %flat = memref.collapse_shape %b [[0, 1]] : memref<8x8xi8> into memref<64xi8>
  %view = memref.cast %a : memref<64xi8> to memref<?xi8>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%view : memref<?xi8>) outs(%flat : memref<64xi8>) {
  ^bb0(%v: i8, %o: i8):
    %c = arith.addi %v, %v : i8
    linalg.yield %c : i8
  }
  linalg.generic {indexing_maps = [#id], iterator_types = ["parallel"]}
      outs(%u : memref<64xf32>) {
  ^bb0(%o: f32):
    %c = arith.negf %o : f32
    linalg.yield %c : f32
  }
  return
}

// -----

#id = affine_map<(d0) -> (d0)>

// Writing a buffer an earlier generic reads (or writes) ends the launch too.
// CHECK-LABEL: func @anti_dependent
// CHECK-COUNT-3: gpu.launch
// CHECK-NOT: gpu.launch
func.func @anti_dependent(%x: memref<64xf32>, %y: memref<64xf32>) {
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : memref<64xf32>) outs(%y : memref<64xf32>) {
  ^bb0(%v: f32, %o: f32):
    linalg.yield %v : f32
  }
  linalg.generic {indexing_maps = [#id], iterator_types = ["parallel"]}
      outs(%x : memref<64xf32>) {
  ^bb0(%o: f32):
    %c = arith.negf %o : f32
    linalg.yield %c : f32
  }
  linalg.generic {indexing_maps = [#id], iterator_types = ["parallel"]}
      outs(%x : memref<64xf32>) {
  ^bb0(%o: f32):
    %c = arith.negf %o : f32
    linalg.yield %c : f32
  }
  return
}

// -----

#id = affine_map<(d0) -> (d0)>

// Ops that do not depend on the element (a constant, a captured scalar's
// arithmetic) stay scalars and are broadcast; an op with a region keeps it
// and, depending on the element, makes the generic scalar-only.
// CHECK-LABEL: func @uniform_body
// CHECK: gpu.launch
// CHECK: %[[TWO:.*]] = arith.constant 2.000000e+00 : f32
// CHECK: %[[S:.*]] = arith.mulf %[[TWO]], %{{.*}} : f32
// CHECK: %[[SPLAT:.*]] = vector.broadcast %[[S]] : f32 to vector<4xf32>
// CHECK: arith.mulf %{{.*}}, %[[SPLAT]] : vector<4xf32>
// CHECK: scf.for
// CHECK: arith.mulf %{{.*}}, %{{.*}} : f32
// The second generic: no vector loop, the scf.if whole.
// CHECK-NOT: vector.load
// CHECK: scf.if %{{.*}} -> (f32)
// CHECK: arith.negf
// CHECK: } else {
// CHECK: gpu.terminator
func.func @uniform_body(%x: memref<64xf32>, %y: memref<64xf32>, %s: f32) {
  linalg.generic {indexing_maps = [#id], iterator_types = ["parallel"]}
      outs(%x : memref<64xf32>) {
  ^bb0(%o: f32):
    %two = arith.constant 2.0 : f32
    %scale = arith.mulf %two, %s : f32
    %c = arith.mulf %o, %scale : f32
    linalg.yield %c : f32
  }
  linalg.generic {indexing_maps = [#id], iterator_types = ["parallel"]}
      outs(%y : memref<64xf32>) {
  ^bb0(%o: f32):
    %zero = arith.constant 0.0 : f32
    %neg = arith.cmpf olt, %o, %zero : f32
    %r = scf.if %neg -> (f32) {
      %n = arith.negf %o : f32
      scf.yield %n : f32
    } else {
      scf.yield %o : f32
    }
    linalg.yield %r : f32
  }
  return
}

// -----

#id = affine_map<(d0) -> (d0)>

func.func @index_elements(%x: memref<64xindex>) {
  // expected-error @below {{cannot be mapped to the GPU: operand #0 has elements of index: integers of 8, 16, 32 or 64 bits, f16, bf16, f32 and f64 are supported}}
  linalg.generic {indexing_maps = [#id], iterator_types = ["parallel"]}
      outs(%x : memref<64xindex>) {
  ^bb0(%o: index):
    linalg.yield %o : index
  }
  return
}

// -----

#id = affine_map<(d0) -> (d0)>

func.func @sub_byte_elements(%x: memref<64xf32>, %y: memref<64xi1>) {
  // expected-error @below {{cannot be mapped to the GPU: operand #1 has elements of i1: integers of 8, 16, 32 or 64 bits, f16, bf16, f32 and f64 are supported}}
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : memref<64xf32>) outs(%y : memref<64xi1>) {
  ^bb0(%v: f32, %o: i1):
    %zero = arith.constant 0.0 : f32
    %c = arith.cmpf olt, %v, %zero : f32
    linalg.yield %c : i1
  }
  return
}

// -----

#id = affine_map<(d0) -> (d0)>

func.func @complex_elements(%x: memref<64xcomplex<f32>>) {
  // expected-error @below {{cannot be mapped to the GPU: operand #0 has elements of complex<f32>}}
  linalg.generic {indexing_maps = [#id], iterator_types = ["parallel"]}
      outs(%x : memref<64xcomplex<f32>>) {
  ^bb0(%o: complex<f32>):
    linalg.yield %o : complex<f32>
  }
  return
}

// -----

#id = affine_map<(d0) -> (d0)>

// NVVM has no f8 arithmetic: refused here, not in the LLVM translation.
func.func @f8_elements(%x: memref<64xf8E4M3FN>) {
  // expected-error @below {{cannot be mapped to the GPU: operand #0 has elements of f8E4M3FN}}
  linalg.generic {indexing_maps = [#id], iterator_types = ["parallel"]}
      outs(%x : memref<64xf8E4M3FN>) {
  ^bb0(%o: f8E4M3FN):
    %y = arith.addf %o, %o : f8E4M3FN
    linalg.yield %y : f8E4M3FN
  }
  return
}

// -----

#id = affine_map<(d0) -> (d0)>

func.func @strided_1d(%x: memref<64xf32, strided<[2], offset: ?>>,
                      %y: memref<64xf32>) {
  // expected-error @below {{cannot be mapped to the GPU: operand #0 is not contiguous (its stride is not 1)}}
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : memref<64xf32, strided<[2], offset: ?>>)
      outs(%y : memref<64xf32>) {
  ^bb0(%v: f32, %o: f32):
    linalg.yield %v : f32
  }
  return
}

// -----

#id = affine_map<(d0) -> (d0)>

// A kernel holds scalars and constant tables from outside the body, not a
// tensor argument (nor a vector).
func.func @captured_tensor(%i: memref<64xi32>, %t: tensor<8xf32>,
                           %y: memref<64xf32>) {
  // expected-error @below {{cannot be mapped to the GPU: the body uses a value from outside that is neither a scalar nor a constant table}}
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%i : memref<64xi32>) outs(%y : memref<64xf32>) {
  ^bb0(%k: i32, %o: f32):
    %j = arith.index_cast %k : i32 to index
    %x = tensor.extract %t[%j] : tensor<8xf32>
    linalg.yield %x : f32
  }
  return
}

// -----

#id = affine_map<(d0) -> (d0)>

func.func @memory_space(%x: memref<64xf32, "foo">) {
  // expected-error @below {{cannot be mapped to the GPU: operand #0 is in memory space "foo": a launch's buffers are in the default memory space}}
  linalg.generic {indexing_maps = [#id], iterator_types = ["parallel"]}
      outs(%x : memref<64xf32, "foo">) {
  ^bb0(%o: f32):
    %n = arith.negf %o : f32
    linalg.yield %n : f32
  }
  return
}
