// Element-wise generics mapped to the GPU and executed on the host, where a
// launch runs its threads one after another (each thread's whole body in
// turn). Checked against the values the bodies define, element by element:
//   - a generic that reads what the one before it writes, with another
//     vector width (4 f32, then 16 i8), in its own launch: in the same
//     launch, thread 0 would read the i8 codes of elements 4..15 before the
//     threads that own them wrote them;
//   - a body with a constant and uniform arithmetic on a captured scalar
//     (scalars, broadcast into the vector loop), and one with an scf.if
//     (its region kept; scalar loop only).
// DEFINE: %{run} = mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_lib_dir/libmlir_c_runner_utils%shlibext
// RUN: optim-opt %s --optim-lower-to-emulated-gpu | %{run} | FileCheck %s
// RUN: optim-opt %s --optim-lower-to-emulated-gpu="block-size=32 max-blocks=3" | %{run} | FileCheck %s
// RUN: optim-opt %s --optim-lower-to-emulated-gpu="block-size=1 max-blocks=1" | %{run} | FileCheck %s

// CHECK: codes mismatches: 0
// CHECK-NEXT: doubled mismatches: 0
// CHECK-NEXT: scaled mismatches: 0
// CHECK-NEXT: absolute mismatches: 0

#id = affine_map<(d0) -> (d0)>

func.func @step(%x: memref<?xf32>, %a: memref<?xi8>, %b: memref<?xi8>,
                %y: memref<?xf32>, %z: memref<?xf32>, %s: f32) {
  // Static sizes: the front end checks that dynamic ones agree, and its
  // checks would separate the generics anyway.
  %xs = memref.cast %x : memref<?xf32> to memref<1003xf32>
  %as = memref.cast %a : memref<?xi8> to memref<1003xi8>
  %bs = memref.cast %b : memref<?xi8> to memref<1003xi8>
  %ys = memref.cast %y : memref<?xf32> to memref<1003xf32>
  %zs = memref.cast %z : memref<?xf32> to memref<1003xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%xs : memref<1003xf32>) outs(%as : memref<1003xi8>) {
  ^bb0(%v: f32, %o: i8):
    %c = arith.fptosi %v : f32 to i8
    linalg.yield %c : i8
  }
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%as : memref<1003xi8>) outs(%bs : memref<1003xi8>) {
  ^bb0(%v: i8, %o: i8):
    %c = arith.addi %v, %v : i8
    linalg.yield %c : i8
  }
  linalg.generic {indexing_maps = [#id], iterator_types = ["parallel"]}
      outs(%ys : memref<1003xf32>) {
  ^bb0(%o: f32):
    %two = arith.constant 2.0 : f32
    %scale = arith.mulf %two, %s : f32
    %c = arith.mulf %o, %scale : f32
    linalg.yield %c : f32
  }
  linalg.generic {indexing_maps = [#id], iterator_types = ["parallel"]}
      outs(%zs : memref<1003xf32>) {
  ^bb0(%o: f32):
    %zero = arith.constant 0.0 : f32
    %neg = arith.cmpf olt, %o, %zero : f32
    %r = scf.if %neg -> (f32) {
      %n = arith.negf %o : f32
      scf.yield %n : f32
    } else {
      scf.yield %o : f32
    }
    linalg.yield %r : f32
  }
  return
}

// The number of elements where `actual` differs from `expected`.
func.func @mismatchesI8(%actual: memref<?xi8>, %expected: memref<?xi8>)
    -> index {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = memref.dim %actual, %c0 : memref<?xi8>
  %count = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %c0) -> index {
    %u = memref.load %actual[%i] : memref<?xi8>
    %v = memref.load %expected[%i] : memref<?xi8>
    %same = arith.cmpi eq, %u, %v : i8
    %next = arith.addi %acc, %c1 : index
    %r = arith.select %same, %acc, %next : index
    scf.yield %r : index
  }
  return %count : index
}

func.func @mismatchesF32(%actual: memref<?xf32>, %expected: memref<?xf32>)
    -> index {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = memref.dim %actual, %c0 : memref<?xf32>
  %count = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %c0) -> index {
    %u = memref.load %actual[%i] : memref<?xf32>
    %v = memref.load %expected[%i] : memref<?xf32>
    %same = arith.cmpf oeq, %u, %v : f32
    %next = arith.addi %acc, %c1 : index
    %r = arith.select %same, %acc, %next : index
    scf.yield %r : index
  }
  return %count : index
}

func.func @main() {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c50 = arith.constant 50 : index
  %c25 = arith.constant 25 : index
  %zero8 = arith.constant 0 : i8
  %n = arith.constant 1003 : index
  %x = memref.alloc(%n) {alignment = 64} : memref<?xf32>
  %a = memref.alloc(%n) {alignment = 64} : memref<?xi8>
  %b = memref.alloc(%n) {alignment = 64} : memref<?xi8>
  %y = memref.alloc(%n) {alignment = 64} : memref<?xf32>
  %z = memref.alloc(%n) {alignment = 64} : memref<?xf32>
  %ea = memref.alloc(%n) {alignment = 64} : memref<?xi8>
  %eb = memref.alloc(%n) {alignment = 64} : memref<?xi8>
  %ey = memref.alloc(%n) {alignment = 64} : memref<?xf32>
  %ez = memref.alloc(%n) {alignment = 64} : memref<?xf32>
  %s = arith.constant 1.5 : f32
  %three = arith.constant 3.0 : f32
  // x = i mod 50 (codes i mod 50, doubled 2 (i mod 50)); y = z = i mod 50
  // - 25 (scaled by 3, and its absolute value).
  scf.for %i = %c0 to %n step %c1 {
    %r = arith.remui %i, %c50 : index
    %ri = arith.index_cast %r : index to i8
    %rf = arith.uitofp %ri : i8 to f32
    memref.store %rf, %x[%i] : memref<?xf32>
    memref.store %zero8, %a[%i] : memref<?xi8>
    memref.store %zero8, %b[%i] : memref<?xi8>
    memref.store %ri, %ea[%i] : memref<?xi8>
    %twice = arith.addi %ri, %ri : i8
    memref.store %twice, %eb[%i] : memref<?xi8>
    %centred = arith.subi %r, %c25 : index
    %ci = arith.index_cast %centred : index to i32
    %cf = arith.sitofp %ci : i32 to f32
    memref.store %cf, %y[%i] : memref<?xf32>
    memref.store %cf, %z[%i] : memref<?xf32>
    %scaled = arith.mulf %cf, %three : f32
    memref.store %scaled, %ey[%i] : memref<?xf32>
    %abs = math.absf %cf : f32
    memref.store %abs, %ez[%i] : memref<?xf32>
  }
  call @step(%x, %a, %b, %y, %z, %s)
      : (memref<?xf32>, memref<?xi8>, memref<?xi8>, memref<?xf32>,
         memref<?xf32>, f32) -> ()
  %ma = call @mismatchesI8(%a, %ea) : (memref<?xi8>, memref<?xi8>) -> index
  vector.print str "codes mismatches: "
  vector.print %ma : index
  %mb = call @mismatchesI8(%b, %eb) : (memref<?xi8>, memref<?xi8>) -> index
  vector.print str "doubled mismatches: "
  vector.print %mb : index
  %my = call @mismatchesF32(%y, %ey) : (memref<?xf32>, memref<?xf32>) -> index
  vector.print str "scaled mismatches: "
  vector.print %my : index
  %mz = call @mismatchesF32(%z, %ez) : (memref<?xf32>, memref<?xf32>) -> index
  vector.print str "absolute mismatches: "
  vector.print %mz : index
  return
}
