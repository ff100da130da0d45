// REQUIRES: ptxas
// ptxas accepts the PTX for sm_90 and sm_80 and reports no spills.
// RUN: optim-opt %s --optim-lower-to-nvvm | %python %S/Inputs/extract-ptx.py > %t.sm90.ptx
// RUN: ptxas -arch=sm_90 -v %t.sm90.ptx -o %t.sm90.cubin 2>&1 | FileCheck %s
// RUN: optim-opt %s --optim-lower-to-nvvm="chip=sm_80" | %python %S/Inputs/extract-ptx.py > %t.sm80.ptx
// RUN: ptxas -arch=sm_80 -v %t.sm80.ptx -o %t.sm80.cubin 2>&1 | FileCheck %s
// The cubin path (ptxas run by the pipeline itself).
// RUN: optim-opt %s --optim-lower-to-nvvm="format=bin" | FileCheck %s --check-prefix=BIN

// CHECK: Compiling entry function 'step_kernel'
// CHECK: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// BIN: gpu.binary @step_kernel {{.*}}ISAToBinaryTimeInMs

func.func @step(%p: memref<?xf32>, %g: memref<?xf32>, %m: memref<?xf32>, %v: memref<?xf32>, %vmax: memref<?xf32>,
                %lr: f64, %beta1: f64, %beta2: f64, %eps: f64, %wd: f64, %t: i64,
                %scale: f64, %inf: f64) {
  optim.adamw amsgrad (%p, %g, %m, %v, %vmax) : memref<?xf32> scalar_type(f64)
      lr(%lr) betas(%beta1, %beta2) eps(%eps) weight_decay(%wd) step(%t : i64)
      grad_scale(%scale) found_inf(%inf)
  return
}
