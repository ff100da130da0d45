// RUN: optim-opt %s --optim-lower-to-llvm | FileCheck %s
// RUN: optim-opt %s --optim-lower-to-llvm="openmp=0" | FileCheck %s --check-prefix=SERIAL
// RUN: optim-opt %s --optim-lower-to-llvm="c-interface=1" | FileCheck %s --check-prefix=CIFACE

// The whole CPU pipeline: tensors in, in-place LLVM out, with OpenMP
// threads, unmasked 16-wide loads in the main loop and a masked tail.

// CHECK-NOT: optim.
// CHECK-NOT: linalg.
// CHECK-LABEL: llvm.func @adamw
// CHECK: llvm.intr.pow
// CHECK: omp.parallel
// CHECK: omp.wsloop
// CHECK: llvm.load {{.*}} -> vector<16xf32>
// CHECK: llvm.intr.sqrt({{.*}}) : (vector<16xf32>) -> vector<16xf32>
// CHECK: llvm.fdiv {{.*}} : vector<16xf32>
// CHECK: llvm.store {{.*}} : vector<16xf32>, !llvm.ptr
// CHECK: llvm.intr.masked.load
// CHECK: llvm.intr.masked.store
// CHECK-NOT: llvm.call @malloc
// CHECK-NOT: memcpy

// SERIAL-NOT: omp.
// SERIAL: llvm.func @adamw
// SERIAL: llvm.load {{.*}} -> vector<16xf32>

// CIFACE: llvm.func @_mlir_ciface_adamw
func.func @adamw(%p: tensor<?xf32>, %g: tensor<?xf32>, %m: tensor<?xf32>, %v: tensor<?xf32>,
                 %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i64)
    -> (tensor<?xf32>, tensor<?xf32>, tensor<?xf32>) {
  %r:3 = optim.adamw (%p, %g, %m, %v) : tensor<?xf32>
      lr(%lr) betas(%b1, %b2) eps(%eps) weight_decay(%wd) step(%t : i64)
  return %r#0, %r#1, %r#2 : tensor<?xf32>, tensor<?xf32>, tensor<?xf32>
}
