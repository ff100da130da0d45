// The GPU kernel of optim.global_norm, executed on the host: one launch over
// three gradients (1000, 7 and 5000 elements, one 2-d), per-thread partial
// sums over grid-stride loops, a tree per block in shared memory between
// barriers, the blocks' sums added by the host. The norm must equal a plain
// float64 loop's within 1e-12 (the summation order differs), with the
// launch shape the GPU path picks, with small blocks whose tree is not a
// power of two, and with one block that strides over everything.
// DEFINE: %{run} = mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_lib_dir/libmlir_c_runner_utils%shlibext,%mlir_lib_dir/libmlir_runner_utils%shlibext
// RUN: optim-opt %s --optim-lower-to-emulated-gpu | %{run} | FileCheck %s
// RUN: optim-opt %s --optim-lower-to-emulated-gpu="block-size=24 max-blocks=5" | %{run} | FileCheck %s
// RUN: optim-opt %s --optim-lower-to-emulated-gpu="block-size=1 max-blocks=1" | %{run} | FileCheck %s
// The CPU back end meets the same check.
// RUN: optim-opt %s --optim-lower-to-llvm="openmp=0" | %{run} | FileCheck %s
// A wrong grid stride misses elements: caught.
// RUN: optim-opt %s --optim-lower-to-emulated-gpu="block-size=24 max-blocks=5 test-stride-offset=1" | %{run} | FileCheck %s --check-prefix=MUTATED

// CHECK: norm matches: 1
// CHECK-NEXT: norm above 10: 1
// MUTATED: norm matches: 0

func.func @norm(%a: memref<?xf32>, %b: memref<7xf32>, %c: memref<50x100xf32>)
    -> f64 {
  %scale = arith.constant 4.0 : f64
  %n = optim.global_norm %a, %b, %c : memref<?xf32>, memref<7xf32>,
      memref<50x100xf32> grad_scale(%scale) -> f64
  return %n : f64
}

func.func @main() {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c7 = arith.constant 7 : index
  %c13 = arith.constant 13 : index
  %c50 = arith.constant 50 : index
  %c100 = arith.constant 100 : index
  %n = arith.constant 1000 : index
  %a = memref.alloc(%n) : memref<?xf32>
  %b = memref.alloc() : memref<7xf32>
  %c = memref.alloc() : memref<50x100xf32>
  %quarter = arith.constant 0.25 : f64
  %step = arith.constant 0.37 : f32
  %zero = arith.constant 0.0 : f64
  // g = (i mod 13) * 0.37 - 2, and the float64 sum of (g / 4)^2.
  %fill = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %zero) -> f64 {
    %x = func.call @value(%i) : (index) -> f32
    memref.store %x, %a[%i] : memref<?xf32>
    %s = func.call @square(%x) : (f32) -> f64
    %next = arith.addf %acc, %s : f64
    scf.yield %next : f64
  }
  %fill2 = scf.for %i = %c0 to %c7 step %c1 iter_args(%acc = %fill) -> f64 {
    %j = arith.addi %i, %c13 : index
    %x = func.call @value(%j) : (index) -> f32
    memref.store %x, %b[%i] : memref<7xf32>
    %s = func.call @square(%x) : (f32) -> f64
    %next = arith.addf %acc, %s : f64
    scf.yield %next : f64
  }
  %ref = scf.for %i = %c0 to %c50 step %c1 iter_args(%acc = %fill2) -> f64 {
    %row = scf.for %k = %c0 to %c100 step %c1 iter_args(%r = %acc) -> f64 {
      %ik = arith.muli %i, %c100 : index
      %j = arith.addi %ik, %k : index
      %j3 = arith.addi %j, %c7 : index
      %x = func.call @value(%j3) : (index) -> f32
      memref.store %x, %c[%i, %k] : memref<50x100xf32>
      %s = func.call @square(%x) : (f32) -> f64
      %next = arith.addf %r, %s : f64
      scf.yield %next : f64
    }
    scf.yield %row : f64
  }
  %aDyn = memref.cast %a : memref<?xf32> to memref<?xf32>
  %got = func.call @norm(%aDyn, %b, %c)
      : (memref<?xf32>, memref<7xf32>, memref<50x100xf32>) -> f64
  %want = math.sqrt %ref : f64
  %d = arith.subf %got, %want : f64
  %ad = math.absf %d : f64
  %tol = arith.constant 1.0e-12 : f64
  %bound = arith.mulf %want, %tol : f64
  %ok = arith.cmpf ole, %ad, %bound : f64
  vector.print str "norm matches: "
  vector.print %ok : i1
  %thirty = arith.constant 10.0 : f64
  %big = arith.cmpf ogt, %got, %thirty : f64
  vector.print str "norm above 10: "
  vector.print %big : i1
  return
}

// The i-th gradient value.
func.func @value(%i: index) -> f32 {
  %c13 = arith.constant 13 : index
  %r = arith.remui %i, %c13 : index
  %ri = arith.index_cast %r : index to i32
  %rf = arith.sitofp %ri : i32 to f32
  %step = arith.constant 0.37 : f32
  %two = arith.constant 2.0 : f32
  %x = arith.mulf %rf, %step : f32
  %y = arith.subf %x, %two : f32
  return %y : f32
}

// (x / 4)^2 in float64, as the norm unscales it (by 1/4, exact).
func.func @square(%x: f32) -> f64 {
  %quarter = arith.constant 0.25 : f32
  %u = arith.mulf %x, %quarter : f32
  %w = arith.extf %u : f32 to f64
  %s = arith.mulf %w, %w : f64
  return %s : f64
}
