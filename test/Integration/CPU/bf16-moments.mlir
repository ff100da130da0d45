// RUN: optim-opt %s --optim-lower-to-llvm="openmp=0 chunk-size=0 vector-size=8" \
// RUN: | mlir-runner -e main -entry-point-result=void \
// RUN:   -shared-libs=%mlir_lib_dir/libmlir_runner_utils%shlibext,%mlir_lib_dir/libmlir_c_runner_utils%shlibext \
// RUN: | FileCheck %s

// bf16 moment storage for f32 parameters: the moments are decoded to f32,
// updated in f32 in the same fused loop, and rounded to nearest even on
// store. 19 elements: two 8-wide vectors and a masked tail of 3.
//   - m = 0.5 * g with g = 2.0078125: m = 1.00390625 = 0x3F808000 in f32, a
//     tie halfway between the bf16 values 1 (0x3F80, even) and 1.0078125
//     (0x3F81): round-to-nearest-even stores 1, rounding half up would store
//     1.0078125;
//   - v = 0.001 * g * g = 0.0040313 lies between the bf16 values 0.00402832
//     and 0.00405884 (one ulp is 2^-15) and is stored as the nearer;
//   - a second step with g = 0.2: m = 0.5 * 1 + 0.1 = 0.6 (f32 0x3F19999A),
//     whose nearest bf16 is 0x3F1A = 0.6015625 (truncation: 0.59765625).

func.func private @printMemrefF32(memref<*xf32>) attributes {llvm.emit_c_interface}

func.func @step(%p: memref<?xf32>, %g: memref<?xf32>, %m: memref<?xbf16>, %v: memref<?xbf16>, %t: i64) {
  %lr = arith.constant 0.001 : f32
  %b1 = arith.constant 0.5 : f32
  %b2 = arith.constant 0.999 : f32
  %eps = arith.constant 1.0e-8 : f32
  optim.adam (%p, %g, %m, %v) : (memref<?xf32>, memref<?xf32>, memref<?xbf16>, memref<?xbf16>)
      lr(%lr) betas(%b1, %b2) eps(%eps) step(%t : i64)
  return
}

func.func @print(%x: memref<?xbf16>, %n: index) {
  %wide = memref.alloc(%n) : memref<?xf32>
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]}
      ins(%x : memref<?xbf16>) outs(%wide : memref<?xf32>) {
  ^bb0(%in: bf16, %out: f32):
    %e = arith.extf %in : bf16 to f32
    linalg.yield %e : f32
  }
  %u = memref.cast %wide : memref<?xf32> to memref<*xf32>
  call @printMemrefF32(%u) : (memref<*xf32>) -> ()
  memref.dealloc %wide : memref<?xf32>
  return
}

func.func @main() {
  %n = arith.constant 19 : index
  %zero = arith.constant 0.0 : f32
  %zero16 = arith.constant 0.0 : bf16
  %g1 = arith.constant 2.0078125 : f32
  %g2 = arith.constant 0.2 : f32
  %p = memref.alloc(%n) : memref<?xf32>
  %g = memref.alloc(%n) : memref<?xf32>
  %m = memref.alloc(%n) : memref<?xbf16>
  %v = memref.alloc(%n) : memref<?xbf16>
  linalg.fill ins(%zero : f32) outs(%p : memref<?xf32>)
  linalg.fill ins(%g1 : f32) outs(%g : memref<?xf32>)
  linalg.fill ins(%zero16 : bf16) outs(%m : memref<?xbf16>)
  linalg.fill ins(%zero16 : bf16) outs(%v : memref<?xbf16>)
  %t1 = arith.constant 1 : i64
  call @step(%p, %g, %m, %v, %t1) : (memref<?xf32>, memref<?xf32>, memref<?xbf16>, memref<?xbf16>, i64) -> ()
  // CHECK: data =
  // CHECK-NEXT: [1{{(, +1)+}}]
  call @print(%m, %n) : (memref<?xbf16>, index) -> ()
  // CHECK: data =
  // CHECK-NEXT: [0.00402832{{(, +0.00402832)+}}]
  call @print(%v, %n) : (memref<?xbf16>, index) -> ()
  // The parameter stays f32: one Adam step of lr 0.001 from 0.
  // CHECK: data =
  // CHECK-NEXT: [-0.001{{(, +-0.001)+}}]
  %up = memref.cast %p : memref<?xf32> to memref<*xf32>
  call @printMemrefF32(%up) : (memref<*xf32>) -> ()

  linalg.fill ins(%g2 : f32) outs(%g : memref<?xf32>)
  %t2 = arith.constant 2 : i64
  call @step(%p, %g, %m, %v, %t2) : (memref<?xf32>, memref<?xf32>, memref<?xbf16>, memref<?xbf16>, i64) -> ()
  // CHECK: data =
  // CHECK-NEXT: [0.601562{{(, +0.601562)+}}]
  call @print(%m, %n) : (memref<?xbf16>, index) -> ()
  memref.dealloc %p : memref<?xf32>
  memref.dealloc %g : memref<?xf32>
  memref.dealloc %m : memref<?xbf16>
  memref.dealloc %v : memref<?xbf16>
  return
}
