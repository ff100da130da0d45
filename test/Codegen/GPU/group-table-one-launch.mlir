// REQUIRES: cuda-headers
// RUN: optim-opt %s --optim-lower-to-nvvm | FileCheck %s

// The runtime's GPU kernel (lib/Runtime/StepKernel.cpp) takes the group as
// a table: however many tensors the group has (GPT-2-small: 148), the
// lowered host code launches one kernel, whose parameters are the table and
// the per-step coefficients only, and the kernel reads its buffers with
// 16-byte global accesses.

// CHECK-COUNT-1: gpu.launch_func
// CHECK-NOT: gpu.launch_func
// CHECK: ld.global.v4.b32
// CHECK: st.global.v4.b32
func.func @optim_step(%table: memref<?xi64> {optim.group_table},
                      %p: memref<?xf32> {optim.group_column = 0 : i64},
                      %g: memref<?xf32> {optim.group_column = 1 : i64},
                      %m: memref<?xf32> {optim.group_column = 2 : i64},
                      %v: memref<?xf32> {optim.group_column = 3 : i64},
                      %vmax: memref<?xf32> {optim.group_column = 4 : i64},
                      %scalars: memref<?xf64>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %c5 = arith.constant 5 : index
  %lr = memref.load %scalars[%c0] : memref<?xf64>
  %b1 = memref.load %scalars[%c1] : memref<?xf64>
  %b2 = memref.load %scalars[%c2] : memref<?xf64>
  %eps = memref.load %scalars[%c3] : memref<?xf64>
  %wd = memref.load %scalars[%c4] : memref<?xf64>
  %tf = memref.load %scalars[%c5] : memref<?xf64>
  %t = arith.fptosi %tf : f64 to i64
  optim.adamw (%p, %g, %m, %v) : memref<?xf32> scalar_type(f64)
      lr(%lr) betas(%b1, %b2) eps(%eps) weight_decay(%wd) step(%t : i64)
  return
}
