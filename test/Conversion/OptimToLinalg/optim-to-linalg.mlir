// RUN: optim-opt %s -convert-optim-to-linalg -split-input-file | FileCheck %s

// AdamW, standard bias correction, on memrefs: the scalar work (powers,
// corrections, step size, decay) happens once, before the single fused
// generic; per element there is one sqrt and one divide.
// CHECK-LABEL: func @adamw_memref
// CHECK-DAG: %[[ONE:.*]] = arith.constant 1.0{{.*}} : f64
// CHECK-DAG: math.powf {{.*}} : f64
// CHECK: %[[STEP:.*]] = arith.divf {{.*}} : f64
// CHECK: %[[ISQ:.*]] = arith.divf %[[ONE]], {{.*}} : f64
// CHECK-DAG: %[[SCALE:.*]] = arith.truncf %[[ISQ]] : f64 to f32
// CHECK-DAG: %[[STEP32:.*]] = arith.truncf %[[STEP]] : f64 to f32
// CHECK: %[[DECAY:.*]] = arith.truncf {{.*}} : f64 to f32
// CHECK: %[[G:.*]] = memref.collapse_shape %arg1 {{\[\[}}0, 1]] : memref<4x33xf32> into memref<132xf32>
// CHECK: %[[P:.*]] = memref.collapse_shape %arg0
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel"]
// CHECK-SAME: ins(%[[G]] : memref<132xf32>) outs(%[[P]], %{{.*}}, %{{.*}} : memref<132xf32>, memref<132xf32>, memref<132xf32>)
// CHECK-NEXT: ^bb0(%[[g:.*]]: f32, %[[p:.*]]: f32, %[[m:.*]]: f32, %[[v:.*]]: f32):
// CHECK-NOT: math.powf
// CHECK: %[[SQRT:.*]] = math.sqrt
// CHECK: %[[DEN0:.*]] = arith.mulf %[[SQRT]], %[[SCALE]]
// CHECK: %[[DEN:.*]] = arith.addf %[[DEN0]], %arg7
// CHECK: %[[PD:.*]] = arith.mulf %[[p]], %[[DECAY]]
// CHECK: %[[Q:.*]] = arith.divf %{{.*}}, %[[DEN]]
// CHECK: %[[U:.*]] = arith.mulf %[[STEP32]], %[[Q]]
// CHECK: %[[NP:.*]] = arith.subf %[[PD]], %[[U]]
// CHECK: linalg.yield %[[NP]],
// CHECK-NOT: linalg.generic
func.func @adamw_memref(%p: memref<4x33xf32>, %g: memref<4x33xf32>, %m: memref<4x33xf32>, %v: memref<4x33xf32>,
                        %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i64) {
  optim.adamw (%p, %g, %m, %v) : memref<4x33xf32>
      lr(%lr) betas(%b1, %b2) eps(%eps) weight_decay(%wd) step(%t : i64)
  return
}

// -----

// Adam with L2, AMSGrad and maximize on tensors: decay enters the gradient,
// vmax is the running max of v and feeds the denominator.
// CHECK-LABEL: func @adam_amsgrad_tensor
// CHECK: %[[R:.*]]:4 = linalg.generic {{.*}} ins(%arg1 : tensor<37xf64>) outs(%arg0, %arg2, %arg3, %arg4 : tensor<37xf64>, tensor<37xf64>, tensor<37xf64>, tensor<37xf64>)
// CHECK: ^bb0(%[[g:.*]]: f64, %[[p:.*]]: f64, %[[m:.*]]: f64, %[[v:.*]]: f64, %[[vmax:.*]]: f64):
// CHECK: %[[NEG:.*]] = arith.negf %[[g]]
// CHECK: %[[WDP:.*]] = arith.mulf %arg9, %[[p]]
// CHECK: %[[G2:.*]] = arith.addf %[[NEG]], %[[WDP]]
// CHECK: %[[NM:.*]] = arith.addf
// CHECK: %[[NV:.*]] = arith.addf
// CHECK: %[[NVMAX:.*]] = arith.maximumf %[[vmax]], %[[NV]]
// CHECK: math.sqrt %[[NVMAX]]
// CHECK: linalg.yield %{{.*}}, %[[NM]], %[[NV]], %[[NVMAX]]
// CHECK: return %[[R]]#0, %[[R]]#1, %[[R]]#2, %[[R]]#3
func.func @adam_amsgrad_tensor(%p: tensor<37xf64>, %g: tensor<37xf64>, %m: tensor<37xf64>, %v: tensor<37xf64>, %vmax: tensor<37xf64>,
                               %lr: f64, %b1: f64, %b2: f64, %eps: f64, %wd: f64, %t: i64)
    -> (tensor<37xf64>, tensor<37xf64>, tensor<37xf64>, tensor<37xf64>) {
  %r:4 = optim.adam amsgrad maximize (%p, %g, %m, %v, %vmax) : tensor<37xf64>
      lr(%lr) betas(%b1, %b2) eps(%eps) weight_decay(%wd) step(%t : i64)
  return %r#0, %r#1, %r#2, %r#3 : tensor<37xf64>, tensor<37xf64>, tensor<37xf64>, tensor<37xf64>
}

// -----

// MXNet: rescale, clip with bounds chosen once (clip < 0 disables), folded
// correction (no scale on sqrt(v)), decay by the effective learning rate.
// CHECK-LABEL: func @mxnet
// CHECK: %[[LR:.*]] = arith.extf %arg4 : f32 to f64
// CHECK: %[[LRT:.*]] = arith.divf {{.*}} : f64
// CHECK: %[[LRT32:.*]] = arith.truncf %[[LRT]]
// CHECK: %[[ETAWD:.*]] = arith.mulf %[[LRT]], {{.*}} : f64
// CHECK: %[[ON:.*]] = arith.cmpf oge, %arg11
// CHECK: %[[HI:.*]] = arith.select %[[ON]], %arg11
// CHECK: %[[LO:.*]] = arith.negf %[[HI]]
// CHECK: linalg.generic
// CHECK: %[[RG:.*]] = arith.mulf %{{.*}}, %arg10
// CHECK: %[[C1:.*]] = arith.maximumf %[[RG]], %[[LO]]
// CHECK: %[[C2:.*]] = arith.minimumf %[[C1]], %[[HI]]
// CHECK: %[[S:.*]] = math.sqrt
// CHECK-NEXT: arith.addf %[[S]], %arg7
func.func @mxnet(%p: memref<?xf32>, %g: memref<?xf32>, %m: memref<?xf32>, %v: memref<?xf32>,
                 %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i64, %rescale: f32, %clip: f32) {
  optim.adamw (%p, %g, %m, %v) : memref<?xf32>
      lr(%lr) betas(%b1, %b2) eps(%eps) weight_decay(%wd) step(%t : i64)
      rescale_grad(%rescale) clip_gradient(%clip) bias_correction(folded) decay_rate(effective)
  return
}

// -----

// found_inf guards the whole step, prologue included; f16 params compute in
// f32 and round once on store.
// CHECK-LABEL: func @found_inf_f16
// CHECK: %[[SKIP:.*]] = arith.cmpf une, %arg10, %{{.*}} : f32
// CHECK: %[[GO:.*]] = arith.xori %[[SKIP]], %{{.*}} : i1
// CHECK: scf.if %[[GO]] {
// CHECK: math.powf
// CHECK: linalg.generic
// CHECK: arith.extf %{{.*}} : f16 to f32
// CHECK: arith.truncf %{{.*}} : f32 to f16
func.func @found_inf_f16(%p: memref<64xf16>, %g: memref<64xf16>, %m: memref<64xf32>, %v: memref<64xf32>,
                         %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i64, %inf: f32) {
  optim.adamw (%p, %g, %m, %v) : memref<64xf16>
      lr(%lr) betas(%b1, %b2) eps(%eps) weight_decay(%wd) step(%t : i64) found_inf(%inf)
  return
}

// -----

// A parameter group: one prologue, one generic per parameter.
// CHECK-LABEL: func @group
// CHECK-COUNT-2: math.powf
// CHECK-NOT: math.powf
// CHECK: linalg.generic {{.*}} memref<8xf32>
// CHECK-NOT: math.powf
// CHECK: linalg.generic {{.*}} memref<6xf32>
func.func @group(%p0: memref<8xf32>, %g0: memref<8xf32>, %m0: memref<8xf32>, %v0: memref<8xf32>,
                 %p1: memref<2x3xf32>, %g1: memref<2x3xf32>, %m1: memref<2x3xf32>, %v1: memref<2x3xf32>,
                 %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i64) {
  optim.adamw (%p0, %g0, %m0, %v0) : memref<8xf32>, (%p1, %g1, %m1, %v1) : memref<2x3xf32>
      lr(%lr) betas(%b1, %b2) eps(%eps) weight_decay(%wd) step(%t : i64)
  return
}

// -----

// Strided (non-contiguous) parameters keep their N-d iteration space.
// CHECK-LABEL: func @strided
// CHECK-NOT: collapse_shape
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]
func.func @strided(%p: memref<4x4xf32, strided<[8, 1]>>, %g: memref<4x4xf32>, %m: memref<4x4xf32>, %v: memref<4x4xf32>,
                   %lr: f32, %b1: f32, %b2: f32, %eps: f32, %t: i64) {
  optim.adam (%p, %g, %m, %v) : (memref<4x4xf32, strided<[8, 1]>>, memref<4x4xf32>, memref<4x4xf32>, memref<4x4xf32>)
      lr(%lr) betas(%b1, %b2) eps(%eps) step(%t : i64)
  return
}

// -----

// A scalar (rank-0) parameter becomes a 1-element 1-d buffer, so both back
// ends see the same loop.
// CHECK-LABEL: func @scalar_param
// CHECK: %[[G:.*]] = memref.expand_shape %arg1 [] output_shape [1] : memref<f32> into memref<1xf32>
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel"]{{.*}} ins(%[[G]] : memref<1xf32>)
func.func @scalar_param(%p: memref<f32>, %g: memref<f32>, %m: memref<f32>, %v: memref<f32>,
                        %lr: f32, %b1: f32, %b2: f32, %eps: f32, %t: i64) {
  optim.adam (%p, %g, %m, %v) : memref<f32> lr(%lr) betas(%b1, %b2) eps(%eps) step(%t : i64)
  return
}

// -----

// Given powers (MindSpore) need no pow; no bias correction needs neither.
// CHECK-LABEL: func @powers
// CHECK-NOT: math.powf
// CHECK: arith.extf %arg9
// CHECK: linalg.generic
func.func @powers(%p: memref<4xf32>, %g: memref<4xf32>, %m: memref<4xf32>, %v: memref<4xf32>, %vmax: memref<4xf32>,
                  %lr: f32, %b1: f32, %b2: f32, %eps: f32, %b1p: f32, %b2p: f32) {
  optim.adam amsgrad (%p, %g, %m, %v, %vmax) : memref<4xf32>
      lr(%lr) betas(%b1, %b2) eps(%eps) beta_powers(%b1p, %b2p) bias_correction(folded)
  return
}

// -----

// Fast math (f32): sqrt(v) as v * rsqrt(v), guarded at 0, a fast divide, and
// the function asks LLVM for reciprocal estimates with one Newton step.
// RUN: optim-opt %s -convert-optim-to-linalg="fast-math=1" -split-input-file | FileCheck %s --check-prefix=FAST
// FAST-LABEL: func @fast_math
// FAST-SAME: passthrough = {{\[\[}}"reciprocal-estimates", "vec-divf:1,vec-sqrtf:1,divf:1,sqrtf:1"]]
// FAST: linalg.generic
// FAST: %[[R:.*]] = math.rsqrt %[[V:.*]] fastmath<fast> : f32
// FAST: %[[ROOT:.*]] = arith.mulf %[[V]], %[[R]] fastmath<fast> : f32
// FAST: %[[POS:.*]] = arith.cmpf ogt, %[[V]]
// FAST: arith.select %[[POS]], %[[ROOT]]
// FAST: arith.divf {{.*}} fastmath<fast> : f32
// FAST-NOT: math.sqrt
// FAST-LABEL: func @fast_math_f64
// FAST: math.sqrt {{.*}} : f64
func.func @fast_math(%p: memref<?xf32>, %g: memref<?xf32>, %m: memref<?xf32>, %v: memref<?xf32>,
                     %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i64) {
  optim.adamw (%p, %g, %m, %v) : memref<?xf32>
      lr(%lr) betas(%b1, %b2) eps(%eps) weight_decay(%wd) step(%t : i64)
  return
}
func.func @fast_math_f64(%p: memref<?xf64>, %g: memref<?xf64>, %m: memref<?xf64>, %v: memref<?xf64>,
                         %lr: f64, %b1: f64, %b2: f64, %eps: f64, %t: i64) {
  optim.adam (%p, %g, %m, %v) : memref<?xf64> lr(%lr) betas(%b1, %b2) eps(%eps) step(%t : i64)
  return
}
