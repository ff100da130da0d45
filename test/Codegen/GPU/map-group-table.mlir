// RUN: optim-opt %s -split-input-file -optim-map-elementwise-to-gpu -verify-diagnostics | FileCheck %s
// RUN: optim-opt %s -split-input-file -optim-map-elementwise-to-gpu="test-stride-offset=1" -verify-diagnostics | FileCheck %s --check-prefix=MUTATED

// The group-table form: the template generic's operands are marked
// function arguments; the launch reads each tensor's buffers and size from
// the table, so the kernel's only buffer operand is the table.

#id = affine_map<(d0) -> (d0)>

// CHECK-LABEL: func @table
// The grid: the template's size (the group's total) over 256 x 4-element
// chunks, at most 2048 blocks.
// CHECK: %[[TOTAL:.*]] = memref.dim %arg2
// CHECK: arith.ceildivui %[[TOTAL]], %c1024
// CHECK: gpu.launch blocks(%[[BX:[a-z0-9_]+]], %{{.*}}, %{{.*}}) in (%[[GX:[a-z0-9_]+]] = %{{.*}}, {{.*}} threads(%[[TX:[a-z0-9_]+]], %{{.*}}, %{{.*}}) in (%[[BDIM:[a-z0-9_]+]] = %c256
// Chunk loop: blocks take chunks c = blockIdx, blockIdx + gridDim, ...
// CHECK: scf.while (%{{.*}} = %[[BX]], %{{.*}} = %c0{{.*}}, %{{.*}} = %c0{{.*}})
// ... and walk the table forward to the tensor holding chunk c.
// CHECK: scf.while
// CHECK: memref.load %arg0
// CHECK: scf.condition
// Each buffer is a view of a table address (global memory).
// CHECK: llvm.inttoptr %{{.*}} : i64 to !llvm.ptr<1>
// CHECK: llvm.addrspacecast
// CHECK: builtin.unrealized_conversion_cast %{{.*}} : !llvm.struct<(ptr, ptr, i64, array<1 x i64>, array<1 x i64>)> to memref<?xf32>
// Whole aligned vectors, otherwise one element at a time.
// CHECK: scf.if
// CHECK: vector.load %{{.*}} {alignment = 16 : i64} : memref<?xf32>, vector<4xf32>
// CHECK: vector.store %{{.*}} {alignment = 16 : i64} : memref<?xf32>, vector<4xf32>
// CHECK: } else {
// CHECK: scf.for
// CHECK: memref.load
// CHECK: memref.store
// CHECK: arith.addi %{{.*}}, %[[GX]]
// CHECK: gpu.terminator
// CHECK-NOT: linalg.generic
// The mutation that shows the emulated tests catch indexing bugs.
// MUTATED-LABEL: func @table
// MUTATED: gpu.launch blocks(%{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}}) in (%[[GX:[a-z0-9_]+]] =
// MUTATED: %[[STRIDE:.*]] = arith.addi %[[GX]], %c1{{(_[0-9]+)?}} : index
// MUTATED: arith.addi %{{.*}}, %[[STRIDE]]
func.func @table(%table: memref<?xi64> {optim.group_table},
                 %x: memref<?xf32> {optim.group_column = 1 : i64},
                 %y: memref<?xf32> {optim.group_column = 0 : i64}) {
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : memref<?xf32>) outs(%y : memref<?xf32>) {
  ^bb0(%a: f32, %b: f32):
    %0 = arith.addf %a, %b : f32
    linalg.yield %0 : f32
  }
  return
}

// -----

#id = affine_map<(d0) -> (d0)>

func.func @unmarked(%table: memref<?xi64> {optim.group_table},
                    %y: memref<?xf32>) {
  // expected-error @+1 {{with a group table, every operand must be a function argument marked optim.group_column = 0..4}}
  linalg.generic {indexing_maps = [#id], iterator_types = ["parallel"]}
      outs(%y : memref<?xf32>) {
  ^bb0(%b: f32):
    %0 = arith.negf %b : f32
    linalg.yield %0 : f32
  }
  return
}

// -----

// expected-error @+1 {{the optim.group_table argument must be a 1-d memref of i64}}
func.func @bad_table(%table: memref<?xi32> {optim.group_table}) {
  return
}
