// RUN: optim-opt %s -convert-optim-to-linalg | FileCheck %s
// RUN: optim-opt %s -convert-optim-to-linalg="fast-math=1" | FileCheck %s --check-prefixes=CHECK,FAST

// The second moment follows PyTorch's evaluation order,
//   exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
//   = v * beta2 + ((1 - beta2) * g) * g,
// never (1 - beta2) * (g * g): g * g overflows f32 for |g| > 1.8e19 where
// the reference stays finite up to |g| ~ 5.8e20. Fast math computes the
// same v and takes its square root from there.

// CHECK-LABEL: func @adam
// CHECK-SAME: %[[B2:[^:]*]]: f32, %{{[^:]*}}: f32, %{{[^:]*}}: i64)
// CHECK: %[[ONE:.*]] = arith.constant 1.0{{.*}} : f64
// CHECK: %[[B2W:.*]] = arith.extf %[[B2]] : f32 to f64
// CHECK: %[[OMB2_64:.*]] = arith.subf %[[ONE]], %[[B2W]] : f64
// CHECK-NEXT: %[[OMB2:.*]] = arith.truncf %[[OMB2_64]] : f64 to f32
// CHECK: linalg.generic
// CHECK-NEXT: ^bb0(%[[G:.*]]: f32, %[[P:.*]]: f32, %[[M:.*]]: f32, %[[V:.*]]: f32):
// CHECK: %[[VB:.*]] = arith.mulf %[[V]], %[[B2]] : f32
// CHECK-NEXT: %[[SG:.*]] = arith.mulf %[[OMB2]], %[[G]] : f32
// CHECK-NEXT: %[[SGG:.*]] = arith.mulf %[[SG]], %[[G]] : f32
// CHECK-NEXT: %[[NEWV:.*]] = arith.addf %[[VB]], %[[SGG]] : f32
// CHECK-NOT: arith.mulf %[[G]], %[[G]]
// FAST: %[[R:.*]] = math.rsqrt %[[NEWV]] fastmath<fast> : f32
// FAST: arith.mulf %[[NEWV]], %[[R]] fastmath<fast> : f32
// CHECK: linalg.yield %{{.*}}, %{{.*}}, %[[NEWV]] : f32, f32, f32
func.func @adam(%p: memref<?xf32>, %g: memref<?xf32>, %m: memref<?xf32>, %v: memref<?xf32>,
                %lr: f32, %b1: f32, %b2: f32, %eps: f32, %t: i64) {
  optim.adam (%p, %g, %m, %v) : memref<?xf32>
      lr(%lr) betas(%b1, %b2) eps(%eps) step(%t : i64)
  return
}
