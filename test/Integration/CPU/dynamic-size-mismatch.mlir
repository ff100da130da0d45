// RUN: optim-opt %s --optim-lower-to-llvm="openmp=0" \
// RUN: | not --crash stdbuf -oL mlir-runner -e main -entry-point-result=void \
// RUN:   -shared-libs=%mlir_lib_dir/libmlir_runner_utils%shlibext,%mlir_lib_dir/libmlir_c_runner_utils%shlibext \
// RUN:   2>&1 | FileCheck %s

// Operands of one parameter that disagree in size at run time: the lowered
// step checks every dynamic size before its loop and aborts with a message
// naming the op and the operand, instead of walking the gradient's 64
// elements over a 16-element exp_avg. The check runs before the loop, so
// nothing is read or written out of bounds. (cf.assert prints with puts to
// stdout, then aborts: stdbuf keeps the piped stdout line-buffered so that
// the message is not lost in the buffer.)

// CHECK: before the step
// CHECK: optim.adamw: exp_avg #0 and grad #0 differ in size (dimension 0)
// CHECK-NOT: after the step

func.func private @printString(!llvm.ptr)

llvm.mlir.global internal constant @before("before the step\0A\00")
llvm.mlir.global internal constant @after("after the step\0A\00")

func.func @step(%p: memref<?xf32>, %g: memref<?xf32>, %m: memref<?xf32>, %v: memref<?xf32>) {
  %lr = arith.constant 0.1 : f32
  %b1 = arith.constant 0.9 : f32
  %b2 = arith.constant 0.999 : f32
  %eps = arith.constant 1.0e-8 : f32
  %wd = arith.constant 0.1 : f32
  %t = arith.constant 1 : i64
  optim.adamw (%p, %g, %m, %v) : memref<?xf32>
      lr(%lr) betas(%b1, %b2) eps(%eps) weight_decay(%wd) step(%t : i64)
  return
}

func.func @main() {
  %n = arith.constant 64 : index
  %small = arith.constant 16 : index
  %p = memref.alloc(%n) : memref<?xf32>
  %g = memref.alloc(%n) : memref<?xf32>
  %m = memref.alloc(%small) : memref<?xf32>
  %v = memref.alloc(%n) : memref<?xf32>
  %0 = llvm.mlir.addressof @before : !llvm.ptr
  call @printString(%0) : (!llvm.ptr) -> ()
  call @step(%p, %g, %m, %v) : (memref<?xf32>, memref<?xf32>, memref<?xf32>, memref<?xf32>) -> ()
  %1 = llvm.mlir.addressof @after : !llvm.ptr
  call @printString(%1) : (!llvm.ptr) -> ()
  return
}
