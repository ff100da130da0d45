// RUN: optim-opt %s -optim-vectorize-elementwise="vector-size=16 chunk-size=0" | FileCheck %s --check-prefix=GATHER
// RUN: optim-opt %s -optim-vectorize-elementwise="vector-size=16 chunk-size=0 avx512-lookups=1" | FileCheck %s --check-prefix=PERMUTE
// RUN: optim-opt %s -optim-vectorize-elementwise="vector-size=8 chunk-size=0 avx512-lookups=1" | FileCheck %s --check-prefix=GATHER

// A lookup in a constant table (tensor.extract from a to_tensor view of a
// global, as the 8-bit moments' decode and search emit them) vectorises to
// a gather from the global itself. With avx512-lookups a 16-lane gather
// from a table of at most 256 f32 becomes permutes of the table held in
// registers: vpermps for 16 entries (the 5-entry table is padded), one
// vpermi2ps per 32 entries and a select tree over index bits 5 and up.
// Other vector widths keep the gather.

memref.global "private" constant @small : memref<5xf32> = dense<[1.0, 2.0, 3.0, 4.0, 5.0]>
memref.global "private" constant @large : memref<128xf32> = dense<0.5>

// GATHER-LABEL: func @lookup
// GATHER-NOT: bufferization.to_tensor
// GATHER: vector.gather %{{.*}}[%{{.*}}] [%{{.*}}], %{{.*}}, %{{.*}} : memref<5xf32>
// GATHER: vector.gather %{{.*}}[%{{.*}}] [%{{.*}}], %{{.*}}, %{{.*}} : memref<128xf32>
// GATHER-NOT: llvm.call_intrinsic

// PERMUTE-LABEL: func @lookup
// PERMUTE-NOT: vector.gather
// PERMUTE: %[[SMALL:.*]] = llvm.call_intrinsic "llvm.x86.avx512.permvar.sf.512"(%{{.*}}, %{{.*}}) : (vector<16xf32>, vector<16xi32>) -> vector<16xf32>
// PERMUTE-COUNT-4: llvm.call_intrinsic "llvm.x86.avx512.vpermi2var.ps.512"
// PERMUTE-COUNT-3: arith.select %{{.*}}, %{{.*}}, %{{.*}} : vector<16xi1>, vector<16xf32>
// PERMUTE-NOT: vector.gather
func.func @lookup(%codes: memref<256xi8>, %out: memref<256xf32>, %out2: memref<256xf32>) {
  %g1 = memref.get_global @small : memref<5xf32>
  %t1 = bufferization.to_tensor %g1 restrict : memref<5xf32> to tensor<5xf32>
  %g2 = memref.get_global @large : memref<128xf32>
  %t2 = bufferization.to_tensor %g2 restrict : memref<128xf32> to tensor<128xf32>
  %c4 = arith.constant 4 : i8
  %c127 = arith.constant 127 : i8
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>],
                  iterator_types = ["parallel"]}
      ins(%codes : memref<256xi8>) outs(%out, %out2 : memref<256xf32>, memref<256xf32>) {
  ^bb0(%c: i8, %o: f32, %o2: f32):
    %small = arith.minui %c, %c4 : i8
    %i = arith.index_castui %small : i8 to index
    %x = tensor.extract %t1[%i] : tensor<5xf32>
    %large = arith.minui %c, %c127 : i8
    %j = arith.index_castui %large : i8 to index
    %y = tensor.extract %t2[%j] : tensor<128xf32>
    linalg.yield %x, %y : f32, f32
  }
  return
}
