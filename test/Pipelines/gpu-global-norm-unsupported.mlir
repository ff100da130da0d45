// RUN: not optim-opt %s --optim-lower-to-nvvm 2>&1 | FileCheck %s

// optim.global_norm has no GPU lowering yet: the GPU pipeline reports it at
// the op (its reduction is not an element-wise generic), never a crash or
// host loops over device memory.
// CHECK: error: cannot be mapped to the GPU: only 1-d element-wise generics on contiguous buffers are supported
// CHECK-NEXT: optim.global_norm
func.func @norm(%g: memref<?xf32>) -> f32 {
  %n = optim.global_norm %g : memref<?xf32> -> f32
  return %n : f32
}
