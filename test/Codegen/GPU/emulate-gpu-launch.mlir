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
// The thread-independent values, once per block:
// CHECK: %[[BASE:.*]] = arith.muli %[[BX]], %[[BXV]]
// CHECK: %[[S:.*]] = arith.muli %[[GXV]], %[[BXV]]
// CHECK: scf.for %{{.*}} = %{{.*}} to %c1
// CHECK: scf.for %{{.*}} = %{{.*}} to %c1
// CHECK: scf.for %[[TX:.*]] = %{{.*}} to %[[BXV]]
// CHECK: %[[I:.*]] = arith.addi %[[BASE]], %[[TX]]
// CHECK: math.sqrt
// CHECK: memref.store %{{.*}}, %[[BUF]][%[[I]]]
// CHECK-NOT: gpu.
// CHECK-NOT: llvm.call_intrinsic
// SMALL-LABEL: func @launch
// SMALL: scf.for %{{.*}} = %c0 to %c3
// SMALL: arith.muli %{{.*}}, %c32
// SMALL: scf.for %{{.*}} = %{{.*}} to %c32
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

// A barrier cuts the body into phases, each a loop over the block's
// threads; shared memory is one host buffer; the value a thread loads
// before the barriers and uses after them goes through a slot per thread;
// the thread-independent work (the block's base) runs once per block.

// CHECK-LABEL: func @block_max
// CHECK-DAG: %[[SHARED:.*]] = memref.alloca() : memref<1xi32>
// CHECK-DAG: %[[SLOT:.*]] = memref.alloca(%{{.*}}) : memref<?xi32>
// CHECK: scf.for %[[BX:.*]] = %c0{{.*}} to %c4
// CHECK: %[[BASE:.*]] = arith.muli %[[BX]], %c64
// CHECK: scf.for %[[T0:.*]] = %{{.*}} to %c64
// CHECK: scf.if
// CHECK: memref.store %{{.*}}, %[[SHARED]]
// CHECK: %[[I:.*]] = arith.addi %[[BASE]], %[[T0]]
// CHECK: %[[X:.*]] = memref.load %{{.*}}[%[[I]]]
// CHECK: memref.store %[[X]], %[[SLOT]]
// CHECK: scf.for %[[T1:.*]] = %{{.*}} to %c64
// CHECK: %[[X1:.*]] = memref.load %[[SLOT]]
// CHECK: memref.atomic_rmw maxu %[[X1]], %[[SHARED]]
// CHECK: scf.for %{{.*}} = %{{.*}} to %c64
// CHECK: memref.load %[[SHARED]]
// CHECK: memref.load %[[SLOT]]
// CHECK-NOT: gpu.
func.func @block_max(%buf: memref<?xi32>, %out: memref<?xi32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant 0 : i32
  gpu.launch blocks(%b0, %b1, %b2) in (%g0 = %c4, %g1 = %c1, %g2 = %c1)
             threads(%t0, %t1, %t2) in (%s0 = %c64, %s1 = %c1, %s2 = %c1)
             workgroup(%acc : memref<1xi32, #gpu.address_space<workgroup>>) {
    %first = arith.cmpi eq, %t0, %c0 : index
    scf.if %first {
      memref.store %zero, %acc[%c0] : memref<1xi32, #gpu.address_space<workgroup>>
    }
    %base = arith.muli %b0, %s0 : index
    %i = arith.addi %base, %t0 : index
    %x = memref.load %buf[%i] : memref<?xi32>
    gpu.barrier
    %old = memref.atomic_rmw maxu %x, %acc[%c0] : (i32, memref<1xi32, #gpu.address_space<workgroup>>) -> i32
    gpu.barrier
    %max = memref.load %acc[%c0] : memref<1xi32, #gpu.address_space<workgroup>>
    %d = arith.subi %max, %x : i32
    memref.store %d, %out[%i] : memref<?xi32>
    gpu.terminator
  }
  return
}

// -----

// A barrier in a block-uniform loop: the loop runs once per block, its
// phases inside it.

// CHECK-LABEL: func @uniform_loop
// CHECK-SAME: (%[[N:[^:]*]]: index
// CHECK: scf.for %[[BX:.*]] = %c0 to %[[N]] step
// CHECK: scf.for %[[K:.*]] = %[[BX]] to %[[N]] step %[[N]]
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[N]]
// CHECK: memref.store
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[N]]
// CHECK: memref.load
func.func @uniform_loop(%n: index, %buf: memref<?xf32>) {
  %c1 = arith.constant 1 : index
  gpu.launch blocks(%b0, %b1, %b2) in (%g0 = %n, %g1 = %c1, %g2 = %c1)
             threads(%t0, %t1, %t2) in (%s0 = %n, %s1 = %c1, %s2 = %c1) {
    scf.for %k = %b0 to %n step %g0 {
      %x = arith.constant 1.0 : f32
      memref.store %x, %buf[%t0] : memref<?xf32>
      gpu.barrier
      %y = memref.load %buf[%k] : memref<?xf32>
      memref.store %y, %buf[%t0] : memref<?xf32>
    }
    gpu.terminator
  }
  return
}

// -----

// A barrier only some threads reach deadlocks on the device: refused.
func.func @divergent_barrier(%n: index) {
  %c0 = arith.constant 0 : index
  gpu.launch blocks(%b0, %b1, %b2) in (%g0 = %n, %g1 = %n, %g2 = %n)
             threads(%t0, %t1, %t2) in (%s0 = %n, %s1 = %n, %s2 = %n) {
    %first = arith.cmpi eq, %t0, %c0 : index
    // expected-error @+1 {{cannot emulate a barrier under control flow that depends on the thread}}
    scf.if %first {
      gpu.barrier
    }
    gpu.terminator
  }
  return
}

// -----

func.func @barrier_in_while_condition(%n: index) {
  %c0 = arith.constant 0 : index
  gpu.launch blocks(%b0, %b1, %b2) in (%g0 = %n, %g1 = %n, %g2 = %n)
             threads(%t0, %t1, %t2) in (%s0 = %n, %s1 = %n, %s2 = %n) {
    %false = arith.constant false
    // expected-error @+1 {{cannot emulate a barrier in the condition of an scf.while}}
    scf.while : () -> () {
      gpu.barrier
      scf.condition(%false)
    } do {
      scf.yield
    }
    gpu.terminator
  }
  return
}

// -----

// A walk over a table the kernel only reads (a group table): its loads are
// the same for every thread, so an scf.while around barriers runs once
// per block, with the threads' phases inside.
// CHECK-LABEL: func @uniform_while
// CHECK-SAME: (%[[N:[^:]*]]: index, %[[TABLE:[^:]*]]: memref<?xindex>
// CHECK: scf.for %[[BX:.*]] = %c0 to %[[N]] step
// CHECK: scf.while (%[[ROW:.*]] = %[[BX]])
// CHECK-NEXT: memref.load %[[TABLE]][%[[ROW]]]
// CHECK: scf.condition
// CHECK: } do {
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[N]]
// CHECK: memref.store
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[N]]
// CHECK: memref.load
// CHECK: scf.yield
func.func @uniform_while(%n: index, %table: memref<?xindex>,
                         %buf: memref<?xf32>) {
  %c1 = arith.constant 1 : index
  gpu.launch blocks(%b0, %b1, %b2) in (%g0 = %n, %g1 = %c1, %g2 = %c1)
             threads(%t0, %t1, %t2) in (%s0 = %n, %s1 = %c1, %s2 = %c1) {
    %end = scf.while (%row = %b0) : (index) -> index {
      %next = memref.load %table[%row] : memref<?xindex>
      %more = arith.cmpi ult, %next, %n : index
      scf.condition(%more) %next : index
    } do {
    ^bb0(%row: index):
      %x = arith.constant 1.0 : f32
      memref.store %x, %buf[%t0] : memref<?xf32>
      gpu.barrier
      %y = memref.load %buf[%row] : memref<?xf32>
      memref.store %y, %buf[%t0] : memref<?xf32>
      scf.yield %row : index
    }
    gpu.terminator
  }
  return
}

// -----

// A load from a buffer the kernel writes differs between the phases: a
// while loop around barriers cannot depend on it.
func.func @written_while_condition(%n: index, %buf: memref<?xindex>) {
  %c1 = arith.constant 1 : index
  gpu.launch blocks(%b0, %b1, %b2) in (%g0 = %n, %g1 = %c1, %g2 = %c1)
             threads(%t0, %t1, %t2) in (%s0 = %n, %s1 = %c1, %s2 = %c1) {
    scf.while (%row = %b0) : (index) -> () {
      // expected-error @+1 {{cannot emulate a barrier under an scf.while whose condition depends on the thread}}
      %next = memref.load %buf[%row] : memref<?xindex>
      %more = arith.cmpi ult, %next, %n : index
      scf.condition(%more)
    } do {
      memref.store %t0, %buf[%t0] : memref<?xindex>
      gpu.barrier
      scf.yield %b0 : index
    }
    gpu.terminator
  }
  return
}

// -----

// Written through a view, the buffer is written all the same.
func.func @written_through_a_view(%n: index, %buf: memref<?xindex>) {
  %c1 = arith.constant 1 : index
  gpu.launch blocks(%b0, %b1, %b2) in (%g0 = %n, %g1 = %c1, %g2 = %c1)
             threads(%t0, %t1, %t2) in (%s0 = %n, %s1 = %c1, %s2 = %c1) {
    %view = memref.subview %buf[1] [%n] [1] : memref<?xindex> to memref<?xindex, strided<[1], offset: 1>>
    scf.while (%row = %b0) : (index) -> () {
      // expected-error @+1 {{cannot emulate a barrier under an scf.while whose condition depends on the thread}}
      %next = memref.load %buf[%row] : memref<?xindex>
      %more = arith.cmpi ult, %next, %n : index
      scf.condition(%more)
    } do {
      memref.store %t0, %view[%t0] : memref<?xindex, strided<[1], offset: 1>>
      gpu.barrier
      scf.yield %b0 : index
    }
    gpu.terminator
  }
  return
}

// -----

// What an iteration passes on must be the same for every thread.
func.func @thread_carried_while(%n: index, %table: memref<?xindex>) {
  %c1 = arith.constant 1 : index
  gpu.launch blocks(%b0, %b1, %b2) in (%g0 = %n, %g1 = %c1, %g2 = %c1)
             threads(%t0, %t1, %t2) in (%s0 = %n, %s1 = %c1, %s2 = %c1) {
    // expected-error @+1 {{cannot emulate a barrier inside an scf.while that carries values of a thread}}
    scf.while (%row = %b0) : (index) -> () {
      %next = memref.load %table[%row] : memref<?xindex>
      %more = arith.cmpi ult, %next, %n : index
      scf.condition(%more)
    } do {
      gpu.barrier
      scf.yield %t0 : index
    }
    gpu.terminator
  }
  return
}

// -----

// Lanes that exchange registers cannot run one after another.
func.func @shuffle(%n: index, %x: f32) {
  %c1 = arith.constant 1 : i32
  %c32 = arith.constant 32 : i32
  gpu.launch blocks(%b0, %b1, %b2) in (%g0 = %n, %g1 = %n, %g2 = %n)
             threads(%t0, %t1, %t2) in (%s0 = %n, %s1 = %n, %s2 = %n) {
    // expected-error @+1 {{cannot emulate 'gpu.shuffle': threads would interact}}
    %r, %ok = gpu.shuffle xor %x, %c1, %c32 : f32
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

func.func @private(%n: index) {
  // expected-error @+1 {{cannot emulate private memory attributions}}
  gpu.launch blocks(%b0, %b1, %b2) in (%g0 = %n, %g1 = %n, %g2 = %n)
             threads(%t0, %t1, %t2) in (%s0 = %n, %s1 = %n, %s2 = %n)
             private(%w : memref<32xf32, #gpu.address_space<private>>) {
    gpu.terminator
  }
  return
}

// -----

// The device's ops in other dialects: NVVM's barrier (which would not cut
// the phases), its shuffles and special registers (a thread id the host
// would take for block-uniform) and inline assembly.
func.func @nvvm_barrier(%n: index) {
  gpu.launch blocks(%b0, %b1, %b2) in (%g0 = %n, %g1 = %n, %g2 = %n)
             threads(%t0, %t1, %t2) in (%s0 = %n, %s1 = %n, %s2 = %n) {
    // expected-error @+1 {{cannot emulate 'nvvm.barrier0' on the host}}
    nvvm.barrier0
    gpu.terminator
  }
  return
}

// -----

func.func @nvvm_thread_id(%n: index) {
  gpu.launch blocks(%b0, %b1, %b2) in (%g0 = %n, %g1 = %n, %g2 = %n)
             threads(%t0, %t1, %t2) in (%s0 = %n, %s1 = %n, %s2 = %n) {
    // expected-error @+1 {{cannot emulate 'nvvm.read.ptx.sreg.tid.x' on the host}}
    %tid = nvvm.read.ptx.sreg.tid.x : i32
    gpu.terminator
  }
  return
}

// -----

func.func @inline_asm(%n: index, %x: i32) {
  gpu.launch blocks(%b0, %b1, %b2) in (%g0 = %n, %g1 = %n, %g2 = %n)
             threads(%t0, %t1, %t2) in (%s0 = %n, %s1 = %n, %s2 = %n) {
    // expected-error @+1 {{cannot emulate 'llvm.inline_asm' on the host}}
    %r = llvm.inline_asm "mov.u32 $0, $1;", "=r,r" %x : (i32) -> i32
    gpu.terminator
  }
  return
}

// -----

// A store through an LLVM pointer may write any buffer: no load is taken
// as read-only, so each thread reads %buf after its own store (the load
// stays in the thread loop, after the store).
// CHECK-LABEL: func @store_through_pointer
// CHECK: scf.for %{{.*}} = %{{.*}} to %c64
// CHECK-NEXT: arith.index_cast
// CHECK-NEXT: llvm.store
// CHECK-NEXT: memref.load
func.func @store_through_pointer(%buf: memref<1xi32>, %out: memref<64xi32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    %addr = memref.extract_aligned_pointer_as_index %buf
        : memref<1xi32> -> index
    %a64 = arith.index_cast %addr : index to i64
    %ptr = llvm.inttoptr %a64 : i64 to !llvm.ptr
    %t = arith.index_cast %tx : index to i32
    llvm.store %t, %ptr : i32, !llvm.ptr
    %x = memref.load %buf[%c0] : memref<1xi32>
    memref.store %x, %out[%tx] : memref<64xi32>
    gpu.terminator
  }
  return
}
