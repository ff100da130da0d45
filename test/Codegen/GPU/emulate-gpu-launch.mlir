// RUN: optim-opt %s -split-input-file -optim-emulate-gpu-launch -verify-diagnostics | FileCheck %s
// RUN: optim-opt %s -split-input-file -optim-emulate-gpu-launch="blocks=3 threads=32" -verify-diagnostics | FileCheck %s --check-prefix=SMALL

// A launch becomes loops over the grid (z, y, x) and, inside, the block
// (z, y, x); ids are the induction variables, sizes the launch's operands
// (or the overrides); NVVM's correctly rounded sqrt becomes math.sqrt.

// CHECK-LABEL: func @launch
// CHECK-SAME: (%[[GXV:.*]]: index, %[[BXV:.*]]: index, %[[BUF:.*]]: memref<?xf32>)
// CHECK: scf.for %{{.*}} = %c0 to %c1
// CHECK: scf.for %{{.*}} = %c0 to %c1
// CHECK: scf.for %[[BX:.*]] = %c0 to %[[GXV]]
// CHECK: scf.for %{{.*}} = %c0 to %c1
// CHECK: scf.for %{{.*}} = %c0 to %c1
// CHECK: scf.for %[[TX:.*]] = %c0 to %[[BXV]]
// CHECK: %[[BASE:.*]] = arith.muli %[[BX]], %[[BXV]]
// CHECK: %[[I:.*]] = arith.addi %[[BASE]], %[[TX]]
// CHECK: %[[S:.*]] = arith.muli %[[GXV]], %[[BXV]]
// CHECK: math.sqrt
// CHECK: memref.store %{{.*}}, %[[BUF]][%[[I]]]
// CHECK-NOT: gpu.
// CHECK-NOT: llvm.call_intrinsic
// SMALL-LABEL: func @launch
// SMALL: scf.for %{{.*}} = %c0 to %c3
// SMALL: scf.for %{{.*}} = %c0 to %c32
// SMALL: arith.muli %{{.*}}, %c32
func.func @launch(%gx: index, %bx: index, %buf: memref<?xf32>) {
  %c1 = arith.constant 1 : index
  gpu.launch blocks(%b0, %b1, %b2) in (%g0 = %gx, %g1 = %c1, %g2 = %c1)
             threads(%t0, %t1, %t2) in (%s0 = %bx, %s1 = %c1, %s2 = %c1) {
    %base = arith.muli %b0, %s0 : index
    %i = arith.addi %base, %t0 : index
    %stride = arith.muli %g0, %s0 : index
    %x = memref.load %buf[%stride] : memref<?xf32>
    %r = llvm.call_intrinsic "llvm.nvvm.sqrt.rn.f"(%x) : (f32) -> f32
    memref.store %r, %buf[%i] : memref<?xf32>
    gpu.terminator
  }
  return
}

// -----

// Threads that synchronise cannot run one after another.
func.func @barrier(%n: index) {

  gpu.launch blocks(%b0, %b1, %b2) in (%g0 = %n, %g1 = %n, %g2 = %n)
             threads(%t0, %t1, %t2) in (%s0 = %n, %s1 = %n, %s2 = %n) {
    // expected-error @+1 {{cannot emulate 'gpu.barrier': threads would interact}}
    gpu.barrier
    gpu.terminator
  }
  return
}

// -----

func.func @intrinsic(%n: index, %x: f32) {
  gpu.launch blocks(%b0, %b1, %b2) in (%g0 = %n, %g1 = %n, %g2 = %n)
             threads(%t0, %t1, %t2) in (%s0 = %n, %s1 = %n, %s2 = %n) {
    // expected-error @+1 {{cannot emulate 'llvm.nvvm.rsqrt.approx.f' on the host}}
    %r = llvm.call_intrinsic "llvm.nvvm.rsqrt.approx.f"(%x) : (f32) -> f32
    gpu.terminator
  }
  return
}

// -----

func.func @shared(%n: index) {
  // expected-error @+1 {{cannot emulate memory attributions}}
  gpu.launch blocks(%b0, %b1, %b2) in (%g0 = %n, %g1 = %n, %g2 = %n)
             threads(%t0, %t1, %t2) in (%s0 = %n, %s1 = %n, %s2 = %n)
             workgroup(%w : memref<32xf32, #gpu.address_space<workgroup>>) {
    gpu.terminator
  }
  return
}
