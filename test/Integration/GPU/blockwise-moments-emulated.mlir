// The GPU kernel of 8-bit blockwise moments, executed on the host: one
// block of 256 threads per quantisation block, the block's absmaxes by an
// atomic max in shared memory between barriers (the emulation runs each
// phase between two barriers for every thread before the next). Three
// AdamW steps over 1100 elements (four whole blocks and a partial one of
// 76) must give bit for bit what the CPU back end gives: parameters, codes
// and absmaxes.
// The printed buffer address differs between runs: dropped.
// DEFINE: %{run} = mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_lib_dir/libmlir_c_runner_utils%shlibext,%mlir_lib_dir/libmlir_runner_utils%shlibext | sed -e 's/base@ = [0-9a-fx]*//'
// RUN: optim-opt %s --optim-lower-to-llvm="openmp=0" | %{run} > %t.cpu
// RUN: FileCheck %s < %t.cpu
// RUN: optim-opt %s --optim-lower-to-emulated-gpu | %{run} > %t.gpu
// RUN: diff %t.cpu %t.gpu
// Two blocks of threads take the five quantisation blocks in turn.
// RUN: optim-opt %s --optim-lower-to-emulated-gpu="max-blocks=2" | %{run} > %t.gpu2
// RUN: diff %t.cpu %t.gpu2
// A wrong block stride skips quantisation blocks: caught.
// RUN: optim-opt %s --optim-lower-to-emulated-gpu="max-blocks=2 test-stride-offset=1" | %{run} > %t.mutated
// RUN: not diff %t.cpu %t.mutated > /dev/null

// 1100 parameter bits, 1100 + 1100 codes, 5 + 5 absmax bits; no absmax is
// still 0 (every block moved) and the codes are not all alike.
// CHECK: sizes = [3310]
// CHECK: absmaxes zero: 0
// CHECK-NEXT: distinct absmaxes: 10
// CHECK: distinct m codes: {{[1-9][0-9]+}}

func.func @step(%p: memref<?xf32>, %g: memref<?xf32>, %m: memref<?xi8>,
                %v: memref<?xi8>, %am: memref<?xf32>, %av: memref<?xf32>,
                %t: i64) {
  %lr = arith.constant 1.0e-2 : f32
  %b1 = arith.constant 0.9 : f32
  %b2 = arith.constant 0.999 : f32
  %eps = arith.constant 1.0e-8 : f32
  %wd = arith.constant 0.01 : f32
  optim.adamw (%p, %g, %m, %v) absmax(%am, %av)
      : (memref<?xf32>, memref<?xf32>, memref<?xi8>, memref<?xi8>,
         memref<?xf32>, memref<?xf32>)
      lr(%lr) betas(%b1, %b2) eps(%eps) weight_decay(%wd) step(%t : i64)
  return
}

func.func private @printMemrefI32(memref<*xi32>)

func.func @main() {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = arith.constant 1100 : index
  %blocks = arith.constant 5 : index
  %c0_i8 = arith.constant 0 : i8
  %zero = arith.constant 0.0 : f32
  %false = arith.constant false
  %true = arith.constant true
  %p = memref.alloc(%n) : memref<?xf32>
  %g = memref.alloc(%n) : memref<?xf32>
  %m = memref.alloc(%n) : memref<?xi8>
  %v = memref.alloc(%n) : memref<?xi8>
  %am = memref.alloc(%blocks) : memref<?xf32>
  %av = memref.alloc(%blocks) : memref<?xf32>
  // Absmaxes of 0: every moment decodes to 0 whatever its code.
  linalg.fill ins(%c0_i8 : i8) outs(%m : memref<?xi8>)
  linalg.fill ins(%c0_i8 : i8) outs(%v : memref<?xi8>)
  linalg.fill ins(%zero : f32) outs(%am : memref<?xf32>)
  linalg.fill ins(%zero : f32) outs(%av : memref<?xf32>)
  %c17 = arith.constant 17 : index
  %c23 = arith.constant 23 : index
  %c5 = arith.constant 5 : index
  %c7 = arith.constant 7 : index
  %c11 = arith.constant 11 : index
  %tenth = arith.constant 0.1 : f32
  %centi = arith.constant 0.01 : f32
  %decades = arith.constant 10.0 : f32
  scf.for %i = %c0 to %n step %c1 {
    // p in [-0.8, 0.8]; g over four decades, both signs.
    %a = arith.remui %i, %c17 : index
    %ai = arith.index_cast %a : index to i32
    %af = arith.sitofp %ai : i32 to f32
    %pa = arith.mulf %af, %tenth : f32
    %half = arith.constant 0.8 : f32
    %pi = arith.subf %pa, %half : f32
    memref.store %pi, %p[%i] : memref<?xf32>
    %i7 = arith.muli %i, %c7 : index
    %b = arith.remui %i7, %c23 : index
    %bs = arith.subi %b, %c11 : index
    %bi = arith.index_cast %bs : index to i32
    %bf = arith.sitofp %bi : i32 to f32
    %e = arith.remui %i, %c5 : index
    %ei = arith.index_cast %e : index to i32
    %ef = arith.sitofp %ei : i32 to f32
    %scale = math.powf %decades, %ef : f32
    %gb = arith.mulf %bf, %centi : f32
    %gs = arith.mulf %gb, %scale : f32
    // Each block its own absmax: g grows with the block.
    %c256 = arith.constant 256 : index
    %blk = arith.divui %i, %c256 : index
    %blk1 = arith.addi %blk, %c1 : index
    %bki = arith.index_cast %blk1 : index to i32
    %bkf = arith.sitofp %bki : i32 to f32
    %gi = arith.mulf %gs, %bkf : f32
    memref.store %gi, %g[%i] : memref<?xf32>
  }
  %t1 = arith.constant 1 : i64
  %t2 = arith.constant 2 : i64
  %t3 = arith.constant 3 : i64
  call @step(%p, %g, %m, %v, %am, %av, %t1)
      : (memref<?xf32>, memref<?xf32>, memref<?xi8>, memref<?xi8>,
         memref<?xf32>, memref<?xf32>, i64) -> ()
  call @step(%p, %g, %m, %v, %am, %av, %t2)
      : (memref<?xf32>, memref<?xf32>, memref<?xi8>, memref<?xi8>,
         memref<?xf32>, memref<?xf32>, i64) -> ()
  call @step(%p, %g, %m, %v, %am, %av, %t3)
      : (memref<?xf32>, memref<?xf32>, memref<?xi8>, memref<?xi8>,
         memref<?xf32>, memref<?xf32>, i64) -> ()

  // Everything as i32: parameter bits, codes, absmax bits.
  %total = arith.constant 3310 : index
  %out = memref.alloc(%total) : memref<?xi32>
  %n2 = arith.constant 2200 : index
  %n3 = arith.constant 3300 : index
  %n4 = arith.constant 3305 : index
  scf.for %i = %c0 to %n step %c1 {
    %x = memref.load %p[%i] : memref<?xf32>
    %bits = arith.bitcast %x : f32 to i32
    memref.store %bits, %out[%i] : memref<?xi32>
    %cm = memref.load %m[%i] : memref<?xi8>
    %cmi = arith.extui %cm : i8 to i32
    %j = arith.addi %i, %n : index
    memref.store %cmi, %out[%j] : memref<?xi32>
    %cv = memref.load %v[%i] : memref<?xi8>
    %cvi = arith.extui %cv : i8 to i32
    %k = arith.addi %i, %n2 : index
    memref.store %cvi, %out[%k] : memref<?xi32>
  }
  %zeros = scf.for %b = %c0 to %blocks step %c1 iter_args(%acc = %c0)
      -> index {
    %x = memref.load %am[%b] : memref<?xf32>
    %y = memref.load %av[%b] : memref<?xf32>
    %xb = arith.bitcast %x : f32 to i32
    %yb = arith.bitcast %y : f32 to i32
    %j = arith.addi %b, %n3 : index
    %k = arith.addi %b, %n4 : index
    memref.store %xb, %out[%j] : memref<?xi32>
    memref.store %yb, %out[%k] : memref<?xi32>
    %xz = arith.cmpf oeq, %x, %zero : f32
    %yz = arith.cmpf oeq, %y, %zero : f32
    %z = arith.ori %xz, %yz : i1
    %zi = arith.index_castui %z : i1 to index
    %next = arith.addi %acc, %zi : index
    scf.yield %next : index
  }
  // The ten absmaxes differ from each other.
  %distinctAbsmax = scf.for %a = %n3 to %total step %c1 iter_args(%acc = %c0)
      -> index {
    %x = memref.load %out[%a] : memref<?xi32>
    %ap1 = arith.addi %a, %c1 : index
    %dup = scf.for %b = %ap1 to %total step %c1 iter_args(%d = %false)
        -> i1 {
      %y = memref.load %out[%b] : memref<?xi32>
      %same = arith.cmpi eq, %x, %y : i32
      %any = arith.ori %d, %same : i1
      scf.yield %any : i1
    }
    %unique = arith.xori %dup, %true : i1
    %ui = arith.index_castui %unique : i1 to index
    %next = arith.addi %acc, %ui : index
    scf.yield %next : index
  }
  %cast = memref.cast %out : memref<?xi32> to memref<*xi32>
  call @printMemrefI32(%cast) : (memref<*xi32>) -> ()
  vector.print str "absmaxes zero: "
  vector.print %zeros : index
  vector.print str "distinct absmaxes: "
  vector.print %distinctAbsmax : index
  // How many of the 256 codes the m moments use.
  %seen = memref.alloc() : memref<256xi1>
  linalg.fill ins(%false : i1) outs(%seen : memref<256xi1>)
  scf.for %i = %c0 to %n step %c1 {
    %cm = memref.load %m[%i] : memref<?xi8>
    %ci = arith.index_castui %cm : i8 to index
    memref.store %true, %seen[%ci] : memref<256xi1>
  }
  %c256 = arith.constant 256 : index
  %distinct = scf.for %c = %c0 to %c256 step %c1 iter_args(%acc = %c0)
      -> index {
    %s = memref.load %seen[%c] : memref<256xi1>
    %si = arith.index_castui %s : i1 to index
    %next = arith.addi %acc, %si : index
    scf.yield %next : index
  }
  vector.print str "distinct m codes: "
  vector.print %distinct : index
  return
}
