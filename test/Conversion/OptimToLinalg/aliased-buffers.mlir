// RUN: optim-opt %s -split-input-file -verify-diagnostics -convert-optim-to-linalg
// RUN: optim-opt %s -split-input-file -cse | FileCheck %s --check-prefix=CSE
// RUN: not optim-opt %s -split-input-file -cse -convert-optim-to-linalg 2>&1 | FileCheck %s --check-prefix=LOWERED

// In place, a buffer updated in two roles would race with itself. The
// lowering refuses it; the verifier did, but CSE can merge two identical
// views into one value, and valid IR then failed to verify after a pass.
// CSE: func.func @identical_views
// CSE: optim.adamw
// LOWERED: aliased-buffers.mlir:[[# @LINE + 4]]:3: error: 'optim.adamw' op updates the same buffer twice
func.func @identical_views(%buf: memref<2000xf32>, %g: memref<1000xf32>, %v: memref<1000xf32>, %lr: f32, %t: i64) {
  %p = memref.subview %buf[0] [1000] [1] : memref<2000xf32> to memref<1000xf32, strided<[1]>>
  %q = memref.subview %buf[0] [1000] [1] : memref<2000xf32> to memref<1000xf32, strided<[1]>>
  optim.adamw (%p, %g, %q, %v) : (memref<1000xf32, strided<[1]>>, memref<1000xf32>, memref<1000xf32, strided<[1]>>, memref<1000xf32>) lr(%lr) betas(%lr, %lr) eps(%lr) weight_decay(%lr) step(%t : i64)
  return
}

// -----

func.func @aliased_state_buffers(%p: memref<8xf32>, %g: memref<8xf32>, %m: memref<8xf32>, %lr: f32, %t: i64) {
  // expected-error @+1 {{'optim.adam' op updates the same buffer twice; params and moments must be distinct}}
  optim.adam (%p, %g, %m, %m) : memref<8xf32> lr(%lr) betas(%lr, %lr) eps(%lr) step(%t : i64)
  return
}
