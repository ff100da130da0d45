// The group-table form of the GPU kernel, executed on the host: every block
// and thread of the launch runs as loops, with the launch shape the GPU path
// picks and with small ones whose grid-stride loops wrap many times.
// DEFINE: %{run} = mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_lib_dir/libmlir_c_runner_utils%shlibext
// RUN: optim-opt %s --optim-lower-to-emulated-gpu | %{run} | FileCheck %s
// RUN: optim-opt %s --optim-lower-to-emulated-gpu="block-size=32 max-blocks=1" | %{run} | FileCheck %s
// RUN: optim-opt %s --optim-lower-to-emulated-gpu="block-size=64 max-blocks=3" | %{run} | FileCheck %s
// RUN: optim-opt %s --optim-lower-to-emulated-gpu="block-size=1 max-blocks=1" | %{run} | FileCheck %s
// A deliberately wrong chunk stride leaves chunks unprocessed: caught.
// RUN: optim-opt %s --optim-lower-to-emulated-gpu="block-size=32 max-blocks=3 test-stride-offset=1" | %{run} | FileCheck %s --check-prefix=MUTATED

// Seven tensors (41, 7, 0, 130, 1, 1029 and 3 elements) carved out of one
// arena per role, some 16-byte aligned and some not, with gaps between
// them. p[i] = i and g = 0, so AdamW only decays: p[i] = 0.99 i. Every arena
// element is compared with that (inside a tensor) or with the untouched
// sentinel -7 (in a gap): the count of mismatches must be 0.

// CHECK: mismatches: 0
// CHECK-NEXT: tensor 5, element 1028: 1017.72
// MUTATED: mismatches: {{[1-9][0-9]*}}

memref.global "private" constant @sizes : memref<7xindex> =
    dense<[41, 7, 0, 130, 1, 1029, 3]>
memref.global "private" constant @offsets : memref<7xindex> =
    dense<[0, 45, 53, 56, 189, 192, 1225]>

func.func @step(%table: memref<?xi64> {optim.group_table},
                %p: memref<?xf32> {optim.group_column = 0 : i64},
                %g: memref<?xf32> {optim.group_column = 1 : i64},
                %m: memref<?xf32> {optim.group_column = 2 : i64},
                %v: memref<?xf32> {optim.group_column = 3 : i64}) {
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
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %ntensors = arith.constant 7 : index
  %arena = arith.constant 1232 : index
  %total = arith.constant 1211 : index
  %sentinel = arith.constant -7.0 : f32
  %zero = arith.constant 0.0 : f32
  %sizes = memref.get_global @sizes : memref<7xindex>
  %offsets = memref.get_global @offsets : memref<7xindex>
  %p = memref.alloc(%arena) {alignment = 64 : i64} : memref<?xf32>
  %g = memref.alloc(%arena) {alignment = 64 : i64} : memref<?xf32>
  %m = memref.alloc(%arena) {alignment = 64 : i64} : memref<?xf32>
  %v = memref.alloc(%arena) {alignment = 64 : i64} : memref<?xf32>
  %want = memref.alloc(%arena) : memref<?xf32>
  linalg.fill ins(%sentinel : f32) outs(%p : memref<?xf32>)
  linalg.fill ins(%sentinel : f32) outs(%want : memref<?xf32>)
  linalg.fill ins(%zero : f32) outs(%g : memref<?xf32>)
  linalg.fill ins(%zero : f32) outs(%m : memref<?xf32>)
  linalg.fill ins(%zero : f32) outs(%v : memref<?xf32>)

  // The table: per tensor, the addresses of p, g, m, v and the size.
  %words = arith.muli %ntensors, %c8 : index
  %table = memref.alloc(%words) : memref<?xi64>
  %pBase = memref.extract_aligned_pointer_as_index %p : memref<?xf32> -> index
  %gBase = memref.extract_aligned_pointer_as_index %g : memref<?xf32> -> index
  %mBase = memref.extract_aligned_pointer_as_index %m : memref<?xf32> -> index
  %vBase = memref.extract_aligned_pointer_as_index %v : memref<?xf32> -> index
  %decay = arith.constant 0.99 : f32
  scf.for %k = %c0 to %ntensors step %c1 {
    %n = memref.load %sizes[%k] : memref<7xindex>
    %off = memref.load %offsets[%k] : memref<7xindex>
    %c4 = arith.constant 4 : index
    %bytes = arith.muli %off, %c4 : index
    %row = arith.muli %k, %c8 : index
    scf.for %col = %c0 to %c4 step %c1 {
      %base = scf.index_switch %col -> index
      case 0 { scf.yield %pBase : index }
      case 1 { scf.yield %gBase : index }
      case 2 { scf.yield %mBase : index }
      default { scf.yield %vBase : index }
      %address = arith.addi %base, %bytes : index
      %word = arith.index_cast %address : index to i64
      %at = arith.addi %row, %col : index
      memref.store %word, %table[%at] : memref<?xi64>
    }
    %c5 = arith.constant 5 : index
    %sizeAt = arith.addi %row, %c5 : index
    %nWord = arith.index_cast %n : index to i64
    memref.store %nWord, %table[%sizeAt] : memref<?xi64>
    scf.for %i = %c0 to %n step %c1 {
      %j = arith.addi %off, %i : index
      %ii = arith.index_cast %i : index to i32
      %fi = arith.sitofp %ii : i32 to f32
      memref.store %fi, %p[%j] : memref<?xf32>
      %e = arith.mulf %fi, %decay : f32
      memref.store %e, %want[%j] : memref<?xf32>
    }
  }

  // The template buffers give the group's total size; they are not read.
  %tp = memref.alloc(%total) : memref<?xf32>
  %tg = memref.alloc(%total) : memref<?xf32>
  %tm = memref.alloc(%total) : memref<?xf32>
  %tv = memref.alloc(%total) : memref<?xf32>
  call @step(%table, %tp, %tg, %tm, %tv)
      : (memref<?xi64>, memref<?xf32>, memref<?xf32>, memref<?xf32>,
         memref<?xf32>) -> ()

  %tol = arith.constant 1.0e-5 : f32
  %count = scf.for %j = %c0 to %arena step %c1 iter_args(%acc = %c0) -> index {
    %got = memref.load %p[%j] : memref<?xf32>
    %exp = memref.load %want[%j] : memref<?xf32>
    %d = arith.subf %got, %exp : f32
    %ad = math.absf %d : f32
    %bad = arith.cmpf ugt, %ad, %tol : f32
    %next = arith.addi %acc, %c1 : index
    %r = arith.select %bad, %next, %acc : index
    scf.yield %r : index
  }
  vector.print str "mismatches: "
  vector.print %count : index
  %last = arith.constant 1220 : index
  %lv = memref.load %p[%last] : memref<?xf32>
  vector.print str "tensor 5, element 1028: "
  vector.print %lv : f32
  return
}
