// REQUIRES: ptxas
// optim.global_norm on the GPU: one launch over all of its gradients
// (per-thread partial sums, a tree per block in shared memory between
// barriers, one sum per block in host-shared memory that the host adds in
// block order), then the clipped step's own launch. ptxas accepts both
// kernels for sm_90 and reports no spills.
// RUN: optim-opt %s --optim-lower-to-nvvm > %t.mlir
// RUN: %python %S/Inputs/extract-ptx.py --index 0 < %t.mlir > %t.0.ptx
// RUN: %python %S/Inputs/extract-ptx.py --index 1 < %t.mlir > %t.1.ptx
// RUN: ptxas -arch=sm_90 -v %t.0.ptx -o %t.0.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS
// RUN: ptxas -arch=sm_90 -v %t.1.ptx -o %t.1.cubin 2>&1 | FileCheck %s --check-prefix=STEP
// The runtime's form, over a group table: ptxas too.
// RUN: %python %S/Inputs/extract-ptx.py --index 2 < %t.mlir > %t.2.ptx
// RUN: ptxas -arch=sm_90 -v %t.2.ptx -o %t.2.cubin 2>&1 | FileCheck %s --check-prefix=TABLE
// RUN: FileCheck %s --check-prefix=PTX < %t.0.ptx
// RUN: optim-opt %s --convert-optim-to-linalg --optim-map-elementwise-to-gpu | FileCheck %s --check-prefix=MAP

// PTXAS: Compiling entry function 'clipped_step_kernel'
// PTXAS: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// PTXAS: used 1 barriers, 2048 bytes smem
// STEP: Compiling entry function 'clipped_step_kernel'
// STEP: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads

// TABLE: Compiling entry function 'table_norm_kernel'
// TABLE: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// TABLE: used 1 barriers, 2048 bytes smem

// The norm kernel squares in f64 and adds the block's partials as a tree.
// PTX-LABEL: .entry clipped_step_kernel(
// PTX: mul.rn.f64
// PTX: bar.sync
// PTX: ld.shared.{{(f64|b64)}}
// PTX: add.rn.f64

// MAP-LABEL: func @clipped_step
// MAP: %[[SUMS:.*]] = gpu.alloc host_shared ({{.*}}) : memref<?xf64>
// MAP: gpu.launch {{.*}} workgroup(%[[SHARED:.*]] : memref<256xf64, #gpu.address_space<workgroup>>)
// Two gradients, two grid-stride loops, one launch:
// MAP-COUNT-2: scf.for {{.*}} iter_args
// MAP: memref.store %{{.*}}, %[[SHARED]]
// MAP: gpu.barrier
// MAP: memref.store %{{.*}}, %[[SUMS]]
// MAP: gpu.terminator
// The host adds the blocks' sums, then the step launches.
// MAP: scf.for {{.*}} iter_args
// MAP: memref.load %[[SUMS]]
// MAP: gpu.dealloc %[[SUMS]]
// MAP: gpu.launch
// MAP-NOT: linalg.generic

func.func @clipped_step(%p0: memref<?xf32>, %g0: memref<?xf32>, %m0: memref<?xf32>, %v0: memref<?xf32>,
                        %p1: memref<4x2xf32>, %g1: memref<4x2xf32>, %m1: memref<4x2xf32>, %v1: memref<4x2xf32>,
                        %lr: f32, %max: f32, %t: i64) -> f32 {
  %scale = arith.constant 2.0 : f32
  %norm = optim.global_norm %g0, %g1 : memref<?xf32>, memref<4x2xf32> grad_scale(%scale) -> f32
  optim.adamw (%p0, %g0, %m0, %v0) : memref<?xf32>, (%p1, %g1, %m1, %v1) : memref<4x2xf32>
      lr(%lr) betas(%lr, %lr) eps(%lr) weight_decay(%lr) step(%t : i64)
      grad_scale(%scale) clip_grad_norm(%norm, %max)
  return %norm : f32
}

// Every tensor of the table in turn, each over the whole grid: one launch.
// MAP-LABEL: func @table_norm
// MAP: gpu.launch
// MAP: scf.for {{.*}} iter_args
// MAP: memref.load %{{.*}} : memref<?xi64>
// MAP: scf.for {{.*}} iter_args
// MAP: gpu.barrier
// MAP-NOT: gpu.launch
func.func @table_norm(%table: memref<?xi64> {optim.group_table},
                      %g: memref<?xf32> {optim.group_column = 1 : i64}) -> f64 {
  %n = optim.global_norm %g : memref<?xf32> -> f64
  return %n : f64
}
