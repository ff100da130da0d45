// RUN: not optim-opt %s --optim-lower-to-nvvm 2>&1 | FileCheck %s

// 8-bit blockwise moments have no GPU mapping yet (a block reduction per
// quantisation block): the GPU pipeline says so at the op rather than
// leaving the block's generics unmapped.

// CHECK: error: 8-bit blockwise moments cannot be mapped to the GPU yet; use a CPU step
func.func @q8(%p: memref<4096xf32>, %g: memref<4096xf32>, %m: memref<4096xi8>, %v: memref<4096xi8>,
              %am: memref<16xf32>, %av: memref<16xf32>, %lr: f32, %t: i64) {
  optim.adamw (%p, %g, %m, %v) absmax(%am, %av) : (memref<4096xf32>, memref<4096xf32>, memref<4096xi8>, memref<4096xi8>, memref<16xf32>, memref<16xf32>)
      lr(%lr) betas(%lr, %lr) eps(%lr) weight_decay(%lr) step(%t : i64)
  return
}
