// RUN: optim-opt %s -split-input-file -optim-vectorize-elementwise | FileCheck %s
// RUN: optim-opt %s -split-input-file -optim-vectorize-elementwise="vector-size=8 chunk-size=0" | FileCheck %s --check-prefix=NOCHUNK

// The CPU schedule on hand-written element-wise generics, independent of
// the optim dialect: chunks for threads, full-width unmasked vectors in the
// main loop, one masked partial vector for the tail.

#id = affine_map<(d0) -> (d0)>

// CHECK-LABEL: func @axpy_dynamic
// CHECK: scf.forall (%{{.*}}) = (0) to (%{{.*}}) step (65536)
// CHECK: scf.for
// CHECK-COUNT-2: vector.transfer_read {{.*}} {in_bounds = [true]} : memref<16xf32, strided<[1], offset: ?>>, vector<16xf32>
// CHECK: arith.mulf {{.*}} : vector<16xf32>
// CHECK: arith.addf {{.*}} : vector<16xf32>
// CHECK: vector.transfer_write {{.*}} {in_bounds = [true]} : vector<16xf32>, memref<16xf32, strided<[1], offset: ?>>
// CHECK: scf.for
// CHECK: %[[MASK:.*]] = vector.create_mask %{{.*}} : vector<16xi1>
// CHECK: vector.mask %[[MASK]] { vector.transfer_read
// CHECK: vector.mask %[[MASK]] { vector.transfer_write
// CHECK-NOT: linalg.generic

// NOCHUNK-LABEL: func @axpy_dynamic
// NOCHUNK-NOT: scf.forall
// NOCHUNK: scf.for
// NOCHUNK: vector.transfer_read {{.*}} : memref<8xf32, strided<[1], offset: ?>>, vector<8xf32>
// NOCHUNK: vector.create_mask %{{.*}} : vector<8xi1>
// NOCHUNK-NOT: linalg.generic
func.func @axpy_dynamic(%x: memref<?xf32>, %y: memref<?xf32>, %a: f32) {
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : memref<?xf32>) outs(%y : memref<?xf32>) {
  ^bb0(%xi: f32, %yi: f32):
    %0 = arith.mulf %a, %xi : f32
    %1 = arith.addf %0, %yi : f32
    linalg.yield %1 : f32
  }
  return
}

// -----

#id = affine_map<(d0) -> (d0)>

// A static size that is not a multiple of the vector: 42 = 5 x 8 + 2. The
// main loop is unmasked; the 2-element tail is vectorised at its static
// size, so it needs no mask either.
// NOCHUNK-LABEL: func @scale_static
// NOCHUNK: scf.for %{{.*}} = %c0 to %c40 step %c8
// NOCHUNK: vector.transfer_read {{.*}} {in_bounds = [true]} : memref<8xf32, strided<[1], offset: ?>>, vector<8xf32>
// NOCHUNK: }
// NOCHUNK: memref.subview %arg0[40] [2] [1]
// NOCHUNK: vector.transfer_read {{.*}} {in_bounds = [true]} : memref<2xf32, strided<[1], offset: 40>>, vector<2xf32>
// NOCHUNK-NOT: vector.mask
// NOCHUNK-NOT: linalg.generic
// NOCHUNK: return
func.func @scale_static(%x: memref<42xf32>, %y: memref<42xf32>, %a: f32) {
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : memref<42xf32>) outs(%y : memref<42xf32>) {
  ^bb0(%xi: f32, %yi: f32):
    %0 = arith.mulf %a, %xi : f32
    linalg.yield %0 : f32
  }
  return
}

// -----

#id2 = affine_map<(d0, d1) -> (d0, d1)>
#id = affine_map<(d0) -> (d0)>
#sum = affine_map<(d0) -> ()>

// Not flat element-wise generics: 2-d, a reduction, and tensors are left
// as they are.
// CHECK-LABEL: func @left_alone
// CHECK-NOT: vector.
// CHECK-NOT: scf.for
// CHECK-COUNT-3: linalg.generic
// CHECK-NOT: vector.
func.func @left_alone(%x2: memref<4x?xf32>, %y2: memref<4x?xf32>,
                      %x: memref<?xf32>, %s: memref<f32>,
                      %t: tensor<?xf32>) -> tensor<?xf32> {
  linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%x2 : memref<4x?xf32>) outs(%y2 : memref<4x?xf32>) {
  ^bb0(%a: f32, %b: f32):
    linalg.yield %a : f32
  }
  linalg.generic {indexing_maps = [#id, #sum], iterator_types = ["reduction"]}
      ins(%x : memref<?xf32>) outs(%s : memref<f32>) {
  ^bb0(%a: f32, %b: f32):
    %0 = arith.addf %a, %b : f32
    linalg.yield %0 : f32
  }
  %r = linalg.generic {indexing_maps = [#id], iterator_types = ["parallel"]}
      outs(%t : tensor<?xf32>) {
  ^bb0(%a: f32):
    %0 = arith.negf %a : f32
    linalg.yield %0 : f32
  } -> tensor<?xf32>
  return %r : tensor<?xf32>
}

// -----

// Without a generic to schedule, the function is left as it is (not
// canonicalised).
// CHECK-LABEL: func @nothing_to_schedule
// CHECK: %[[X:.*]] = arith.addi %{{.*}}, %c0 : index
// CHECK: tensor.extract
// CHECK: return %[[X]]
func.func @nothing_to_schedule(%a: index, %m: memref<4xf32>) -> index {
  %c0 = arith.constant 0 : index
  %x = arith.addi %a, %c0 : index
  %t = bufferization.to_tensor %m restrict : memref<4xf32> to tensor<4xf32>
  %unused = tensor.extract %t[%c0] : tensor<4xf32>
  return %x : index
}

// -----

#id = affine_map<(d0) -> (d0)>

// Only views of constant globals (the code tables) are read from their
// buffers: this view's read must see the value before the store.
// CHECK-LABEL: func @view_of_written_buffer
// CHECK: %[[T:.*]] = bufferization.to_tensor
// CHECK: memref.store
// CHECK: tensor.extract %[[T]]
func.func @view_of_written_buffer(%m: memref<4xf32>, %v: f32,
                                  %x: memref<64xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %t = bufferization.to_tensor %m : memref<4xf32> to tensor<4xf32>
  memref.store %v, %m[%c0] : memref<4xf32>
  %e = tensor.extract %t[%c0] : tensor<4xf32>
  linalg.generic {indexing_maps = [#id], iterator_types = ["parallel"]}
      outs(%x : memref<64xf32>) {
  ^bb0(%o: f32):
    %n = arith.negf %o : f32
    linalg.yield %n : f32
  }
  return %e : f32
}
