// RUN: optim-opt %s --convert-optim-to-linalg -split-input-file -verify-diagnostics | FileCheck %s
// RUN: not optim-opt %s --pass-pipeline='builtin.module(func.func(convert-optim-to-linalg))' -split-input-file 2>&1 | FileCheck %s --check-prefix=ON-FUNC

// The code tables of 8-bit moments go into the nearest symbol table of the
// op that reads them, where memref.get_global looks (they were added to the
// outer module, and the inner get_global named nothing). The outer module
// keeps no table of its own.
// CHECK: module {
// CHECK-NOT: memref.global
// CHECK-LABEL: module @inner
// CHECK-DAG: memref.global "private" constant @__optim_dynamic_map_signed : memref<256xf32>
// CHECK-DAG: memref.global "private" constant @__optim_dynamic_map_unsigned_encode
// CHECK: func.func @nested
// CHECK: memref.get_global @__optim_dynamic_map_signed : memref<256xf32>
module {
  module @inner {
    func.func @nested(%p: memref<4100xf32>, %g: memref<4100xf32>, %m: memref<4100xi8>, %v: memref<4100xi8>, %am: memref<17xf32>, %av: memref<17xf32>, %lr: f32, %t: i64) {
      optim.adamw (%p, %g, %m, %v) absmax(%am, %av) : (memref<4100xf32>, memref<4100xf32>, memref<4100xi8>, memref<4100xi8>, memref<17xf32>, memref<17xf32>) lr(%lr) betas(%lr, %lr) eps(%lr) weight_decay(%lr) step(%t : i64)
      return
    }
  }
}

// -----

// A symbol of a table's name that is something else is an error at the op
// (it was reused: a get_global of a function, or of a 4-element global).
func.func private @__optim_dynamic_map_signed()
func.func @clash_with_function(%p: memref<4100xf32>, %g: memref<4100xf32>, %m: memref<4100xi8>, %v: memref<4100xi8>, %am: memref<17xf32>, %av: memref<17xf32>, %lr: f32, %t: i64) {
  // expected-error @+1 {{convert-optim-to-linalg: the symbol '@__optim_dynamic_map_signed' that 8-bit moments name their code table is taken by another definition}}
  optim.adamw (%p, %g, %m, %v) absmax(%am, %av) : (memref<4100xf32>, memref<4100xf32>, memref<4100xi8>, memref<4100xi8>, memref<17xf32>, memref<17xf32>) lr(%lr) betas(%lr, %lr) eps(%lr) weight_decay(%lr) step(%t : i64)
  return
}

// -----

memref.global "private" constant @__optim_dynamic_map_signed : memref<4xf32> = dense<0.0>
func.func @clash_with_global(%p: memref<4100xf32>, %g: memref<4100xf32>, %m: memref<4100xi8>, %v: memref<4100xi8>, %am: memref<17xf32>, %av: memref<17xf32>, %lr: f32, %t: i64) {
  // expected-error @+1 {{is taken by another definition}}
  optim.adamw (%p, %g, %m, %v) absmax(%am, %av) : (memref<4100xf32>, memref<4100xf32>, memref<4100xi8>, memref<4100xi8>, memref<17xf32>, memref<17xf32>) lr(%lr) betas(%lr, %lr) eps(%lr) weight_decay(%lr) step(%t : i64)
  return
}

// Anchored on a function, the pass may not add to the module above it.
// ON-FUNC: error: convert-optim-to-linalg: 8-bit moments need the pass to run on the module (or gpu.module) that holds them
