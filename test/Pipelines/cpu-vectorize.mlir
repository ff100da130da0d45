// RUN: optim-opt %s -convert-optim-to-linalg -optim-vectorize-elementwise | FileCheck %s
// RUN: optim-opt %s -convert-optim-to-linalg -optim-vectorize-elementwise="vector-size=8 chunk-size=0" | FileCheck %s --check-prefix=NOCHUNK

// linalg -> vector: chunks for threads, full-width unmasked vectors in the
// main loop, one masked partial vector for the tail; the scalar prologue
// stays outside all loops.

// CHECK-LABEL: func @adamw
// CHECK: math.powf
// CHECK: scf.forall (%[[C:.*]]) = (0) to (%{{.*}}) step (65536)
// CHECK-NOT: math.powf
// CHECK: scf.for
// CHECK-COUNT-4: vector.transfer_read {{.*}} {in_bounds = [true]} : memref<16xf32, strided<[1], offset: ?>>, vector<16xf32>
// CHECK: math.sqrt {{.*}} : vector<16xf32>
// CHECK: arith.divf {{.*}} : vector<16xf32>
// CHECK-COUNT-3: vector.transfer_write {{.*}} {in_bounds = [true]} : vector<16xf32>, memref<16xf32, strided<[1], offset: ?>>
// CHECK: scf.for
// CHECK: %[[MASK:.*]] = vector.create_mask %{{.*}} : vector<16xi1>
// CHECK: vector.mask %[[MASK]] { vector.transfer_read
// CHECK: vector.mask %[[MASK]] { vector.transfer_write

// NOCHUNK-LABEL: func @adamw
// NOCHUNK-NOT: scf.forall
// NOCHUNK: vector.transfer_read {{.*}} : memref<8xf32, strided<[1], offset: ?>>, vector<8xf32>
// NOCHUNK: vector.create_mask %{{.*}} : vector<8xi1>
func.func @adamw(%p: memref<?xf32>, %g: memref<?xf32>, %m: memref<?xf32>, %v: memref<?xf32>,
                 %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i64) {
  optim.adamw (%p, %g, %m, %v) : memref<?xf32>
      lr(%lr) betas(%b1, %b2) eps(%eps) weight_decay(%wd) step(%t : i64)
  return
}

// A static size that is a multiple of the vector size needs no tail.
// CHECK-LABEL: func @exact
// CHECK-NOT: vector.mask
// CHECK: vector.transfer_read {{.*}} vector<16xf64>
// CHECK-NOT: vector.mask
// CHECK: return
func.func @exact(%p: memref<4x32xf64>, %g: memref<4x32xf64>, %m: memref<4x32xf64>, %v: memref<4x32xf64>,
                 %lr: f64, %b1: f64, %b2: f64, %eps: f64, %t: i64) {
  optim.adam (%p, %g, %m, %v) : memref<4x32xf64>
      lr(%lr) betas(%b1, %b2) eps(%eps) step(%t : i64)
  return
}
