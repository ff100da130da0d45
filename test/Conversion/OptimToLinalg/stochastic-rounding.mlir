// RUN: optim-opt %s --convert-optim-to-linalg | FileCheck %s

// Stochastic rounding of bf16 parameters: the seed's round keys, the
// multipliers and each parameter's key material (one scalar Philox4x32-10
// of (stream + i, offset), twenty multiplies) are made before the generic;
// the body indexes the element (linalg.index), runs ten Philox2x32 rounds
// (one 32x32->64 multiply each) and adds the low 16 bits of word 0 to the
// f32 bits before dropping them. Moments stay f32.

// CHECK-LABEL: func @sr
// CHECK-SAME: %[[SEED:[a-z0-9_]+]]: i64, %[[OFFSET:[a-z0-9_]+]]: i64)
// CHECK-DAG: %[[M0:.*]] = arith.constant -766435501 : i32
// CHECK-DAG: %[[M1:.*]] = arith.constant -845247145 : i32
// CHECK-DAG: %[[M2:.*]] = arith.constant -766062189 : i32
// CHECK-DAG: %[[SEEDLO:.*]] = arith.trunci %[[SEED]] : i64 to i32
// CHECK-DAG: %[[OFFLO:.*]] = arith.trunci %[[OFFSET]] : i64 to i32
// The key's first multiply takes the parameter's stream: marked for the
// GPU's group-table form, which recomputes the chain per tensor.
// CHECK: arith.mului_extended %{{.*}}, %c-766435501_i32 {optim.rounding_stream} : i32
// CHECK-COUNT-19: arith.mului_extended %{{.*}}, %c-{{(766435501|845247145)}}_i32 : i32
// CHECK: linalg.generic
// CHECK-SAME: outs(%{{.*}}, %{{.*}}, %{{.*}} : memref<?xbf16>, memref<?xf32>, memref<?xf32>)
// CHECK: %[[I:.*]] = linalg.index 0 : index
// CHECK: arith.index_castui %[[I]] : index to i64
// CHECK-COUNT-10: arith.mului_extended %{{.*}}, %[[M2]] : i32
// CHECK-NOT: arith.mului_extended
// CHECK: %[[BITS:.*]] = arith.bitcast %{{.*}} : f32 to i32
// CHECK: %[[SUM:.*]] = arith.addi %[[BITS]], %{{.*}} : i32
// CHECK: %[[UP:.*]] = arith.shrui %[[SUM]], %{{.*}} : i32
// CHECK: %[[NAN:.*]] = arith.cmpf uno
// CHECK: %[[SEL:.*]] = arith.select %[[NAN]], %{{.*}}, %[[UP]] : i32
// CHECK: %[[HALF:.*]] = arith.trunci %[[SEL]] : i32 to i16
// CHECK: %[[P:.*]] = arith.bitcast %[[HALF]] : i16 to bf16
// CHECK: linalg.yield %[[P]], %{{.*}}, %{{.*}} : bf16, f32, f32
func.func @sr(%p: memref<?xbf16>, %g: memref<?xbf16>, %m: memref<?xf32>, %v: memref<?xf32>,
              %lr: f32, %t: i64, %seed: i64, %offset: i64) {
  optim.adam (%p, %g, %m, %v) : memref<?xbf16>
      lr(%lr) betas(%lr, %lr) eps(%lr) step(%t : i64)
      stochastic_rounding(%seed, %offset)
  return
}

// Parameter i of the group rounds with stream `stream + i`, and a
// multi-dimensional tensor linearises its indices row-major.
// CHECK-LABEL: func @origin
// CHECK-SAME: %[[STREAM:[a-z0-9_]+]]: i64, %[[ELEMENT:[a-z0-9_]+]]: i64)
// CHECK: %[[BASE:.*]] = arith.trunci %[[STREAM]] : i64 to i32
// CHECK: linalg.generic
// CHECK: linalg.index 0
// CHECK: arith.addi %[[ELEMENT]], %{{.*}} : i64
// CHECK: %[[C1:.*]] = arith.constant 1 : i32
// CHECK: %[[S1:.*]] = arith.addi %[[BASE]], %[[C1]] : i32
// CHECK: arith.mului_extended %[[S1]], %{{.*}} : i32
// CHECK: %[[D1:.*]] = tensor.dim %{{.*}}, %{{.*}} : tensor<4x?xbf16>
// CHECK: linalg.generic
// CHECK: %[[R:.*]] = linalg.index 0 : index
// CHECK: %[[C:.*]] = linalg.index 1 : index
// CHECK: %[[RD:.*]] = arith.muli %[[R]], %[[D1]] : index
// CHECK: arith.addi %[[RD]], %[[C]] : index
func.func @origin(%p0: tensor<8xbf16>, %g0: tensor<8xbf16>, %m0: tensor<8xf32>, %v0: tensor<8xf32>,
                  %p1: tensor<4x?xbf16>, %g1: tensor<4x?xbf16>, %m1: tensor<4x?xf32>, %v1: tensor<4x?xf32>,
                  %lr: f32, %t: i64, %seed: i64, %offset: i64, %stream: i64, %element: i64)
    -> (tensor<8xbf16>, tensor<4x?xbf16>) {
  %r:6 = optim.adam (%p0, %g0, %m0, %v0) : tensor<8xbf16>,
                    (%p1, %g1, %m1, %v1) : tensor<4x?xbf16>
      lr(%lr) betas(%lr, %lr) eps(%lr) step(%t : i64)
      stochastic_rounding(%seed, %offset) rounding_origin(%stream, %element)
  return %r#0, %r#1 : tensor<8xbf16>, tensor<4x?xbf16>
}
