// RUN: not optim-opt %s --convert-optim-to-linalg --optim-map-elementwise-to-gpu 2>&1 | FileCheck %s

// The group-table form of the GPU step (the runtime's: one launch over a
// table of tensors) has no 8-bit moments yet; the per-parameter launches
// do (gpu-ptxas-blockwise-moments.mlir). Refused at the op.

// CHECK: error: 8-bit blockwise moments cannot use a group table yet

func.func @table(%table: memref<?xi64> {optim.group_table},
                 %p: memref<?xf32> {optim.group_column = 0 : i64},
                 %g: memref<?xf32> {optim.group_column = 1 : i64},
                 %m: memref<?xi8> {optim.group_column = 2 : i64},
                 %v: memref<?xi8> {optim.group_column = 3 : i64},
                 %am: memref<?xf32>, %av: memref<?xf32>, %lr: f32, %t: i64) {
  optim.adamw (%p, %g, %m, %v) absmax(%am, %av) : (memref<?xf32>, memref<?xf32>, memref<?xi8>, memref<?xi8>, memref<?xf32>, memref<?xf32>)
      lr(%lr) betas(%lr, %lr) eps(%lr) weight_decay(%lr) step(%t : i64)
  return
}
