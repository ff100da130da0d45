// RUN: optim-opt %s -split-input-file -optim-vectorize-reduction | FileCheck %s
// RUN: optim-opt %s -split-input-file -optim-vectorize-reduction="vector-size=8 chunk-size=0" | FileCheck %s --check-prefix=NOCHUNK

// The CPU schedule for flat sum reductions on hand-written generics: per
// chunk, a vector of partial sums over full vectors, one horizontal
// reduction and a scalar tail; the chunks' partial sums are added in order.

#id = affine_map<(d0) -> (d0)>
#scalar = affine_map<(d0) -> ()>

// CHECK-LABEL: func @sum_of_squares(
// CHECK-SAME: %[[X:.*]]: memref<?xf32>, %[[OUT:.*]]: memref<f64>, %[[K:.*]]: f32)
// CHECK: %[[N:.*]] = memref.dim %[[X]]
// CHECK: %[[CHUNKS:.*]] = arith.ceildivui %[[N]], %{{.*}} : index
// CHECK: %[[PARTIALS:.*]] = memref.alloc(%[[CHUNKS]]) : memref<?xf64>
// CHECK: scf.forall (%[[C:.*]]) in (%[[CHUNKS]]) {
// CHECK:   %[[V:.*]] = scf.for {{.*}} iter_args(%[[VACC:.*]] = %{{.*}}) -> (vector<16xf64>) {
// CHECK:     %[[READ:.*]] = vector.transfer_read %[[X]][%{{.*}}], %{{.*}} {in_bounds = [true]} : memref<?xf32>, vector<16xf32>
// CHECK:     %[[KV:.*]] = vector.broadcast %[[K]] : f32 to vector<16xf32>
// CHECK:     %[[SCALED:.*]] = arith.mulf %[[READ]], %[[KV]] : vector<16xf32>
// CHECK:     %[[WIDE:.*]] = arith.extf %[[SCALED]] : vector<16xf32> to vector<16xf64>
// CHECK:     %[[SQ:.*]] = arith.mulf %[[WIDE]], %[[WIDE]] : vector<16xf64>
// CHECK:     %[[NEXT:.*]] = arith.addf %[[SQ]], %[[VACC]] : vector<16xf64>
// CHECK:     scf.yield %[[NEXT]] : vector<16xf64>
// CHECK:   %[[HSUM:.*]] = vector.reduction <add>, %[[V]], %{{.*}} : vector<16xf64> into f64
// CHECK:   %[[TAIL:.*]] = scf.for {{.*}} iter_args(%{{.*}} = %[[HSUM]]) -> (f64) {
// CHECK:     memref.load %[[X]]
// CHECK:   memref.store %[[TAIL]], %[[PARTIALS]][%[[C]]]
// CHECK: %[[TOTAL:.*]] = scf.for {{.*}} -> (f64) {
// CHECK:   memref.load %[[PARTIALS]]
// CHECK: memref.dealloc %[[PARTIALS]]
// CHECK: %[[OLD:.*]] = memref.load %[[OUT]][]
// CHECK: %[[NEW:.*]] = arith.addf %[[OLD]], %[[TOTAL]] : f64
// CHECK: memref.store %[[NEW]], %[[OUT]][]
// CHECK-NOT: linalg.generic

// NOCHUNK-LABEL: func @sum_of_squares
// NOCHUNK-NOT: scf.forall
// NOCHUNK: scf.for {{.*}} -> (vector<8xf64>)
// NOCHUNK: vector.transfer_read {{.*}} : memref<?xf32>, vector<8xf32>
// NOCHUNK: vector.reduction <add>
// NOCHUNK-NOT: linalg.generic
func.func @sum_of_squares(%x: memref<?xf32>, %out: memref<f64>, %k: f32) {
  linalg.generic {indexing_maps = [#id, #scalar], iterator_types = ["reduction"]}
      ins(%x : memref<?xf32>) outs(%out : memref<f64>) {
  ^bb0(%in: f32, %acc: f64):
    %0 = arith.mulf %in, %k : f32
    %1 = arith.extf %0 : f32 to f64
    %2 = arith.mulf %1, %1 : f64
    %3 = arith.addf %2, %acc : f64
    linalg.yield %3 : f64
  }
  return
}

// -----

#id = affine_map<(d0) -> (d0)>
#scalar = affine_map<(d0) -> ()>

// A constant in the body becomes a splat in the vector loop.
// CHECK-LABEL: func @with_constant
// NOCHUNK-LABEL: func @with_constant
// CHECK: arith.constant dense<2.000000e+00> : vector<16xf32>
// CHECK: vector.reduction <add>
// CHECK-NOT: linalg.generic
func.func @with_constant(%x: memref<100xf32>, %out: memref<f32>) {
  linalg.generic {indexing_maps = [#id, #scalar], iterator_types = ["reduction"]}
      ins(%x : memref<100xf32>) outs(%out : memref<f32>) {
  ^bb0(%in: f32, %acc: f32):
    %c = arith.constant 2.0 : f32
    %0 = arith.mulf %in, %c : f32
    %1 = arith.addf %acc, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// -----

#id = affine_map<(d0) -> (d0)>
#scalar = affine_map<(d0) -> ()>

// Not a sum: left alone.
// CHECK-LABEL: func @max_reduction
// CHECK: linalg.generic
// CHECK-NOT: vector.reduction
func.func @max_reduction(%x: memref<?xf32>, %out: memref<f32>) {
  linalg.generic {indexing_maps = [#id, #scalar], iterator_types = ["reduction"]}
      ins(%x : memref<?xf32>) outs(%out : memref<f32>) {
  ^bb0(%in: f32, %acc: f32):
    %0 = arith.maximumf %acc, %in : f32
    linalg.yield %0 : f32
  }
  return
}

// -----

#id = affine_map<(d0) -> (d0)>
#scalar = affine_map<(d0) -> ()>

// The accumulator used inside f: not a flat sum, left alone.
// CHECK-LABEL: func @acc_in_term
// CHECK: linalg.generic
// CHECK-NOT: vector.reduction
func.func @acc_in_term(%x: memref<?xf32>, %out: memref<f32>) {
  linalg.generic {indexing_maps = [#id, #scalar], iterator_types = ["reduction"]}
      ins(%x : memref<?xf32>) outs(%out : memref<f32>) {
  ^bb0(%in: f32, %acc: f32):
    %0 = arith.mulf %in, %acc : f32
    %1 = arith.addf %acc, %0 : f32
    linalg.yield %1 : f32
  }
  return
}
