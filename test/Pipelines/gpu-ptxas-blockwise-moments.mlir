// REQUIRES: ptxas
// 8-bit blockwise moments on the GPU: one block of 256 threads per
// quantisation block; the block's new absmaxes are an atomic unsigned max
// in shared memory between barriers; the codes are loaded and stored as
// bytes. ptxas accepts the PTX for sm_90 and reports no spills, for the
// static size (whole blocks only) and the dynamic one (a partial block).
// RUN: optim-opt %s --optim-lower-to-nvvm > %t.mlir
// RUN: %python %S/Inputs/extract-ptx.py --index 0 < %t.mlir > %t.0.ptx
// RUN: %python %S/Inputs/extract-ptx.py --index 1 < %t.mlir > %t.1.ptx
// RUN: ptxas -arch=sm_90 -v %t.0.ptx -o %t.0.cubin 2>&1 | FileCheck %s --check-prefix=STATIC
// RUN: ptxas -arch=sm_90 -v %t.1.ptx -o %t.1.cubin 2>&1 | FileCheck %s --check-prefix=DYNAMIC
// RUN: FileCheck %s --check-prefix=PTX < %t.1.ptx
// The mapping itself: a launch of 256-thread blocks with two shared slots.
// RUN: optim-opt %s --convert-optim-to-linalg --optim-map-elementwise-to-gpu | FileCheck %s --check-prefix=MAP

// STATIC: Compiling entry function 'whole_blocks_kernel'
// STATIC: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// STATIC: used 1 barriers
// DYNAMIC: Compiling entry function 'partial_block_kernel'
// DYNAMIC: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// DYNAMIC: used 1 barriers, 8 bytes smem

// PTX-LABEL: .entry partial_block_kernel
// PTX-DAG: ld.global.{{(u8|b8|s8)}}
// PTX-DAG: st.global.{{(u8|b8)}}
// PTX-DAG: atom.shared.max.u32
// PTX-DAG: bar.sync

// MAP-LABEL: func @whole_blocks
// MAP: gpu.launch {{.*}} threads({{.*}}) in (%{{[^ ]*}} = %c256{{(_[0-9]+)?}}, {{.*}}) workgroup(%[[S:.*]] : memref<2xi32, #gpu.address_space<workgroup>>)
// MAP: gpu.barrier
// MAP: memref.atomic_rmw maxu %{{.*}}, %[[S]]
// MAP: memref.atomic_rmw maxu %{{.*}}, %[[S]]
// MAP: gpu.barrier
// MAP-NOT: linalg.generic

func.func @whole_blocks(%p: memref<4096xf32>, %g: memref<4096xf32>, %m: memref<4096xi8>, %v: memref<4096xi8>,
                        %am: memref<16xf32>, %av: memref<16xf32>, %lr: f32, %t: i64) {
  optim.adamw (%p, %g, %m, %v) absmax(%am, %av) : (memref<4096xf32>, memref<4096xf32>, memref<4096xi8>, memref<4096xi8>, memref<16xf32>, memref<16xf32>)
      lr(%lr) betas(%lr, %lr) eps(%lr) weight_decay(%lr) step(%t : i64)
  return
}

func.func @partial_block(%p: memref<?xf32>, %g: memref<?xf32>, %m: memref<?xi8>, %v: memref<?xi8>,
                         %am: memref<?xf32>, %av: memref<?xf32>, %lr: f32, %t: i64) {
  optim.adam (%p, %g, %m, %v) absmax(%am, %av) : (memref<?xf32>, memref<?xf32>, memref<?xi8>, memref<?xi8>, memref<?xf32>, memref<?xf32>)
      lr(%lr) betas(%lr, %lr) eps(%lr) weight_decay(%lr) step(%t : i64)
  return
}
