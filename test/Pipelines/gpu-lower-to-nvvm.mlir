// RUN: optim-opt %s --optim-lower-to-nvvm | FileCheck %s --check-prefix=HOST
// RUN: optim-opt %s --optim-lower-to-nvvm | %python %S/Inputs/extract-ptx.py | FileCheck %s
// RUN: optim-opt %s --optim-lower-to-nvvm="chip=sm_80" | %python %S/Inputs/extract-ptx.py | FileCheck %s --check-prefix=SM80
// RUN: optim-opt %s --optim-lower-to-nvvm="precise-math=0" | %python %S/Inputs/extract-ptx.py | FileCheck %s --check-prefix=APPROX

// The whole GPU pipeline: optim -> linalg -> one launch -> NVVM -> PTX.

// The host side launches one kernel for the two-parameter group.
// HOST-LABEL: llvm.func @adamw_step
// HOST: gpu.launch_func  @adamw_step_kernel::@adamw_step_kernel
// HOST-NOT: gpu.launch_func
// HOST: gpu.binary @adamw_step_kernel

// CHECK: .target sm_90
// CHECK: .visible .entry adamw_step_kernel(
// 16-byte accesses for the aligned path, and the scalar path.
// CHECK-DAG: ld.global.v4.{{[bf]}}32
// CHECK-DAG: st.global.v4.{{[bf]}}32
// CHECK-DAG: ld.global.{{[bf]}}32
// Correctly rounded square root and division, as on the CPU.
// CHECK-DAG: sqrt.rn.f32
// CHECK-DAG: div.rn.f32
// CHECK-NOT: sqrt.approx
// CHECK-NOT: .local

// SM80: .target sm_80
// SM80: ld.global.v4

// APPROX: sqrt.approx.f32

func.func @adamw_step(%bias: memref<?xf32>, %dbias: memref<?xf32>, %m0: memref<?xf32>, %v0: memref<?xf32>,
                      %w: memref<768x768xf32>, %dw: memref<768x768xf32>,
                      %m1: memref<768x768xf32>, %v1: memref<768x768xf32>,
                      %lr: f32, %beta1: f32, %beta2: f32, %eps: f32, %weight_decay: f32, %t: i64) {
  optim.adamw (%bias, %dbias, %m0, %v0) : memref<?xf32>,
              (%w, %dw, %m1, %v1) : memref<768x768xf32>
      lr(%lr) betas(%beta1, %beta2) eps(%eps) weight_decay(%weight_decay) step(%t : i64)
  return
}
