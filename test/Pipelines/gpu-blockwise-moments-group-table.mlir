// REQUIRES: ptxas
// The group-table form of the 8-bit step (the runtime's: one launch for
// every tensor with coded moments): blocks of 256 threads take the
// quantisation blocks of all the table's rows in turn; each row's views,
// block count and partial block come from its words (the absmaxes in
// columns 4 and 7). ptxas accepts the PTX for sm_90 without spills, and the
// emulation accepts the walk around the block's barriers.
// RUN: optim-opt %s --optim-lower-to-nvvm > %t.mlir
// RUN: %python %S/Inputs/extract-ptx.py --index 0 < %t.mlir > %t.ptx
// RUN: ptxas -arch=sm_90 -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: optim-opt %s --convert-optim-to-linalg --optim-map-elementwise-to-gpu | FileCheck %s --check-prefix=MAP
// RUN: optim-opt %s --convert-optim-to-linalg --optim-map-elementwise-to-gpu --optim-emulate-gpu-launch | FileCheck %s --check-prefix=EMULATED

// PTXAS: Compiling entry function 'table_kernel'
// PTXAS: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// PTXAS: used 1 barriers, 8 bytes smem

// PTX-LABEL: .entry table_kernel
// PTX-DAG: ld.global.{{(u8|b8|s8)}}
// PTX-DAG: st.global.{{(u8|b8)}}
// PTX-DAG: atom.shared.max.u32
// PTX-DAG: bar.sync

// MAP-LABEL: func @table
// MAP-SAME: (%[[TABLE:[^:]*]]: memref<?xi64>
// MAP: gpu.launch {{.*}} threads({{.*}}) in (%{{[^ ]*}} = %c256{{(_[0-9]+)?}}, {{.*}}) workgroup(%{{.*}} : memref<2xi32, #gpu.address_space<workgroup>>)
// The walk: a row's blocks are ceil(size / 256), the size in word 5.
// MAP: scf.while
// MAP: scf.while
// MAP: arith.constant 5 : index
// MAP: memref.load %[[TABLE]]
// MAP: arith.ceildivui %{{.*}}, %c256
// MAP: scf.condition
// The row's absmax views: words 4 and 7, one f32 per block.
// MAP: } do {
// MAP-DAG: arith.constant 4 : index
// MAP-DAG: arith.constant 7 : index
// MAP: gpu.barrier
// MAP: memref.atomic_rmw maxu
// MAP: gpu.barrier
// MAP-NOT: gpu.launch
// MAP: return

// EMULATED-LABEL: func @table
// EMULATED-NOT: gpu.launch
// EMULATED: scf.while
// EMULATED: memref.atomic_rmw maxu
// EMULATED: return

func.func @table(%table: memref<?xi64> {optim.group_table},
                 %p: memref<?xf32> {optim.group_column = 0 : i64},
                 %g: memref<?xf32> {optim.group_column = 1 : i64},
                 %m: memref<?xi8> {optim.group_column = 2 : i64},
                 %v: memref<?xi8> {optim.group_column = 3 : i64},
                 %am: memref<?xf32> {optim.group_column = 4 : i64},
                 %av: memref<?xf32> {optim.group_column = 7 : i64},
                 %lr: f32, %t: i64) {
  optim.adamw (%p, %g, %m, %v) absmax(%am, %av) : (memref<?xf32>, memref<?xf32>, memref<?xi8>, memref<?xi8>, memref<?xf32>, memref<?xf32>)
      lr(%lr) betas(%lr, %lr) eps(%lr) weight_decay(%lr) step(%t : i64)
  return
}
