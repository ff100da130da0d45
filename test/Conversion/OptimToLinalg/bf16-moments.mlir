// RUN: optim-opt %s --convert-optim-to-linalg | FileCheck %s

// bf16 moments in the same fused generic: decoded with extf after the load,
// updated in f32, rounded once with truncf (to nearest even) before the
// store; vmax is compared in f32.
// CHECK-LABEL: func @bf16_moments
// CHECK: linalg.generic
// CHECK-SAME: outs(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : memref<?xf32>, memref<?xbf16>, memref<?xbf16>, memref<?xbf16>)
// CHECK: ^bb0(%{{.*}}: f32, %{{.*}}: f32, %[[M:[a-z0-9_]+]]: bf16, %[[V:[a-z0-9_]+]]: bf16, %[[VMAX:[a-z0-9_]+]]: bf16):
// CHECK-DAG: %[[M32:.*]] = arith.extf %[[M]] : bf16 to f32
// CHECK-DAG: %[[V32:.*]] = arith.extf %[[V]] : bf16 to f32
// CHECK-DAG: %[[VMAX32:.*]] = arith.extf %[[VMAX]] : bf16 to f32
// CHECK: %[[NEWVMAX:.*]] = arith.maximumf %[[VMAX32]], %{{.*}} : f32
// CHECK: %[[P:.*]] = arith.subf
// CHECK: %[[M16:.*]] = arith.truncf %{{.*}} : f32 to bf16
// CHECK: %[[V16:.*]] = arith.truncf %{{.*}} : f32 to bf16
// CHECK: %[[VMAX16:.*]] = arith.truncf %[[NEWVMAX]] : f32 to bf16
// CHECK: linalg.yield %[[P]], %[[M16]], %[[V16]], %[[VMAX16]] : f32, bf16, bf16, bf16
// CHECK-NOT: linalg.generic
func.func @bf16_moments(%p: memref<?xf32>, %g: memref<?xf32>, %m: memref<?xbf16>, %v: memref<?xbf16>, %vmax: memref<?xbf16>,
                        %lr: f32, %t: i64) {
  optim.adam amsgrad (%p, %g, %m, %v, %vmax) : (memref<?xf32>, memref<?xf32>, memref<?xbf16>, memref<?xbf16>, memref<?xbf16>)
      lr(%lr) betas(%lr, %lr) eps(%lr) step(%t : i64)
  return
}
