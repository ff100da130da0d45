// bf16 moment storage on the CPU: by default the f32 -> bf16 rounding is
// integer arithmetic (no __truncsfbf2 to call in a JIT without compiler-rt);
// with native-bf16 (the runtime sets it on hosts with AVX512-BF16) it stays
// one vector fptrunc for the target's instruction. Widening is a 16-bit
// shift either way.
// RUN: optim-opt %s --optim-lower-to-llvm="openmp=0 chunk-size=0 vector-size=8" | FileCheck %s --check-prefix=EXPANDED
// RUN: optim-opt %s --optim-lower-to-llvm="openmp=0 chunk-size=0 vector-size=8 native-bf16=1" | FileCheck %s --check-prefix=NATIVE

// EXPANDED-NOT: llvm.fptrunc {{.*}} to vector<8xbf16>
// EXPANDED: llvm.shl {{.*}} : vector<8xi32>
// EXPANDED: llvm.trunc {{.*}} : vector<8xi32> to vector<8xi16>
// EXPANDED-NOT: llvm.fptrunc {{.*}} to vector<8xbf16>

// NATIVE: llvm.fpext {{.*}} : vector<8xbf16> to vector<8xf32>
// NATIVE: llvm.fptrunc {{.*}} : vector<8xf32> to vector<8xbf16>

func.func @step(%p: memref<?xf32>, %g: memref<?xf32>, %m: memref<?xbf16>, %v: memref<?xbf16>, %t: i64) {
  %lr = arith.constant 0.001 : f32
  %b1 = arith.constant 0.9 : f32
  %b2 = arith.constant 0.999 : f32
  %eps = arith.constant 1.0e-8 : f32
  optim.adam (%p, %g, %m, %v) : (memref<?xf32>, memref<?xf32>, memref<?xbf16>, memref<?xbf16>)
      lr(%lr) betas(%b1, %b2) eps(%eps) step(%t : i64)
  return
}
