// REQUIRES: ptxas
// Stochastic rounding in the GPU's group-table form (the runtime's): the
// element index restarts in every tensor, so every tensor derives its own
// rounding keys, in the kernel, from the stream its table row holds (word
// 6, added to the step's stream base), with the template's key chain. The
// mapping loads that word and runs the Philox rounds of the key per row;
// ptxas accepts the kernel for sm_90 without spills.
// RUN: optim-opt %s --convert-optim-to-linalg --optim-map-elementwise-to-gpu | FileCheck %s --check-prefix=MAP
// RUN: optim-opt %s --optim-lower-to-nvvm > %t.mlir
// RUN: %python %S/Inputs/extract-ptx.py --index 0 < %t.mlir > %t.ptx
// RUN: ptxas -arch=sm_90 -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS
// Element indices over a table without the stream marker: refused.
// RUN: optim-opt %s --convert-optim-to-linalg > %t.linalg.mlir
// RUN: sed -e 's/optim.rounding_stream//' %t.linalg.mlir > %t.unmarked.mlir
// RUN: not optim-opt %t.unmarked.mlir --optim-map-elementwise-to-gpu 2>&1 | FileCheck %s --check-prefix=UNMARKED

// MAP-LABEL: func @rounded_table
// MAP: gpu.launch
// MAP: %[[C6:.*]] = arith.constant 6 : index
// MAP: %[[AT:.*]] = arith.addi %{{.*}}, %[[C6]] : index
// MAP: %[[WORD:.*]] = memref.load %{{.*}}[%[[AT]]] : memref<?xi64>
// MAP: %[[ROW:.*]] = arith.trunci %[[WORD]] : i64 to i32
// MAP: %[[STREAM:.*]] = arith.addi %{{.*}}, %[[ROW]] : i32
// MAP: arith.mului_extended %[[STREAM]]
// MAP: gpu.terminator

// PTXAS: Compiling entry function 'rounded_table_kernel'
// PTXAS: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads

// UNMARKED: error: a step over a group table cannot use element indices without a rounding stream

func.func @rounded_table(%table: memref<?xi64> {optim.group_table},
                         %p: memref<?xbf16> {optim.group_column = 0 : i64},
                         %g: memref<?xbf16> {optim.group_column = 1 : i64},
                         %m: memref<?xf32> {optim.group_column = 2 : i64},
                         %v: memref<?xf32> {optim.group_column = 3 : i64},
                         %lr: f64, %t: i64, %seed: i64, %stream: i64,
                         %element: i64) {
  optim.adamw (%p, %g, %m, %v) : memref<?xbf16> scalar_type(f64)
      lr(%lr) betas(%lr, %lr) eps(%lr) weight_decay(%lr) step(%t : i64)
      stochastic_rounding(%seed, %t) rounding_origin(%stream, %element)
  return
}
