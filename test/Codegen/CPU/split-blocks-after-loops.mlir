// RUN: optim-opt %s --pass-pipeline='builtin.module(func.func(optim-split-blocks-after-loops))' | FileCheck %s

// Each top-level loop ends its block, so that convert-scf-to-cf's own split
// after it moves only the branch (it moved the rest of the block: O(N^2)
// over a step of N parameters). A loop just before the terminator, and
// loops nested in other ops, stay where they are.
// CHECK-LABEL: func.func @three_loops
// CHECK:         scf.for
// CHECK-NEXT:      memref.store
// CHECK-NEXT:    }
// CHECK-NEXT:    cf.br ^[[B1:.*]]
// CHECK-NEXT:  ^[[B1]]:
// CHECK-NEXT:    memref.store
// CHECK-NEXT:    scf.if
// CHECK:         }
// CHECK-NEXT:    cf.br ^[[B2:.*]]
// CHECK-NEXT:  ^[[B2]]:
// CHECK-NEXT:    scf.for
// CHECK-NEXT:      scf.for
// CHECK-NEXT:        memref.store
// CHECK-NEXT:      }
// CHECK-NEXT:    }
// CHECK-NEXT:    return
func.func @three_loops(%m: memref<16xf32>, %c: i1, %x: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  scf.for %i = %c0 to %c16 step %c1 {
    memref.store %x, %m[%i] : memref<16xf32>
  }
  memref.store %x, %m[%c0] : memref<16xf32>
  scf.if %c {
    memref.store %x, %m[%c1] : memref<16xf32>
  }
  scf.for %i = %c0 to %c16 step %c1 {
    scf.for %j = %c0 to %c16 step %c1 {
      memref.store %x, %m[%j] : memref<16xf32>
    }
  }
  return
}
