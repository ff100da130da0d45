// RUN: optim-opt %s --convert-optim-to-linalg -split-input-file -verify-diagnostics | FileCheck %s

// 8-bit blockwise moments. The code tables become private constant
// memref.globals of the module; each parameter with 8-bit moments is an
// scf.for over its full blocks of 256 and an scf.if for a partial last
// block. Per block (scratch made once, before the loop; the three generics
// marked optim.quant_block for the back ends): one generic decodes the codes
// (table lookup times the block's absmax), updates p in place and keeps the
// new f32 moments in scratch; one reduction takes their largest magnitudes
// (an unsigned max of |x|'s bits: NaN propagates), which replace the
// absmaxes; one generic codes each moment with the map's encode table
// (optim/Support/QuantEncodeTable.h): the bucket of its bits, one lookup,
// one compare of the low bits. Other parameters of the group keep their one
// fused generic.

// CHECK-DAG: memref.global "private" constant @__optim_dynamic_map_signed : memref<256xf32> = dense<"0x33337EBF
// CHECK-DAG: memref.global "private" constant @__optim_dynamic_map_unsigned : memref<256xf32>
// The encode tables: buckets of 2^17 (signed map) and 2^16 (unsigned) bit
// patterns, 1402 and 2901 per sign. The first signed entry is the lowest
// bucket's: code 127 (the count of negative midpoints) and no midpoint
// (low bits all ones).
// CHECK-DAG: memref.global "private" constant @__optim_dynamic_map_signed_encode : memref<2804xi32> = dense<"0xFFFFFF00
// CHECK-DAG: memref.global "private" constant @__optim_dynamic_map_unsigned_encode : memref<5802xi32>
// CHECK-LABEL: func @q8
// CHECK-SAME: %[[P:[a-z0-9_]+]]: memref<4100xf32>, %[[G:[a-z0-9_]+]]: memref<4100xf32>, %[[M:[a-z0-9_]+]]: memref<4100xi8>, %[[V:[a-z0-9_]+]]: memref<4100xi8>, %[[AM:[a-z0-9_]+]]: memref<17xf32>, %[[AV:[a-z0-9_]+]]: memref<17xf32>
// CHECK: %[[SMAP:.*]] = memref.get_global @__optim_dynamic_map_signed
// CHECK: %[[STAB:.*]] = bufferization.to_tensor %[[SMAP]] restrict
// CHECK: %[[FULL:.*]] = arith.divui %{{.*}}, %c256
// CHECK: %[[SM:.*]] = memref.alloca() : memref<256xf32>
// CHECK: scf.for %[[B:.*]] = %c0 to %[[FULL]] step %c1
// CHECK: %[[OFF:.*]] = arith.muli %[[B]], %c256
// CHECK: memref.subview %[[G]][%[[OFF]]] [256] [1]
// CHECK: %[[OLDM:.*]] = memref.load %[[AM]][%[[B]]]
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel"]
// CHECK-SAME: optim.quant_block
// CHECK: ^bb0(%{{.*}}: f32, %[[CM:.*]]: i8, %{{.*}}: i8,
// CHECK: %[[IDX:.*]] = arith.index_castui %[[CM]] : i8 to index
// CHECK: %[[CODE:.*]] = tensor.extract %[[STAB]][%[[IDX]]]
// CHECK: arith.mulf %[[CODE]], %[[OLDM]]
// CHECK: linalg.yield
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["reduction"]
// CHECK: %[[ABS:.*]] = math.absf
// CHECK: %[[BITS:.*]] = arith.bitcast %[[ABS]] : f32 to i32
// CHECK: arith.maxui %{{.*}}, %[[BITS]]
// CHECK: %[[NEWBITS:.*]] = memref.load
// CHECK: %[[NEWM:.*]] = arith.bitcast %[[NEWBITS]] : i32 to f32
// CHECK: memref.store %[[NEWM]], %[[AM]][%[[B]]]
// An all-zero block divides by 1 (its moments code as 0 / 1 = 0), so the
// element loop has no select on the divisor.
// CHECK: %[[ZEROM:.*]] = arith.cmpf oeq, %[[NEWM]], %{{.*}} : f32
// CHECK: %[[DIVM:.*]] = arith.select %[[ZEROM]], %{{.*}}, %[[NEWM]] : f32
// CHECK: linalg.generic
// CHECK-SAME: ins(%[[SM]], %{{.*}} : memref<256xf32>, memref<256xf32>) outs(%{{.*}}, %{{.*}} : memref<256xi8, strided<[1], offset: ?>>, memref<256xi8, strided<[1], offset: ?>>)
// CHECK: %[[Y:.*]] = arith.divf %{{.*}}, %[[DIVM]]
// CHECK: %[[YBITS:.*]] = arith.bitcast %[[Y]] : f32 to i32
// CHECK: %[[MAG:.*]] = arith.andi %[[YBITS]], %c2147483647_i32
// CHECK: %[[BUCKET:.*]] = arith.shrui %[[MAG]], %c17_i32
// CHECK: arith.maxui %[[BUCKET]], %c6728_i32
// CHECK: arith.minui %{{.*}}, %c8129_i32
// CHECK: %[[SIGN:.*]] = arith.shrsi %[[YBITS]], %c31_i32
// CHECK: arith.andi %[[SIGN]], %c1402_i32
// CHECK: %[[ENTRY:.*]] = tensor.extract %{{.*}} : tensor<2804xi32>
// CHECK: %[[FLIPPED:.*]] = arith.xori %[[YBITS]], %[[SIGN]]
// CHECK: %[[LOW:.*]] = arith.andi %[[FLIPPED]], %c131071_i32
// CHECK: %[[BASE:.*]] = arith.shrui %[[ENTRY]], %c17_i32
// CHECK: %[[MIDLOW:.*]] = arith.andi %[[ENTRY]], %c131071_i32
// CHECK: %[[ABOVE:.*]] = arith.cmpi ult, %[[MIDLOW]], %[[LOW]]
// CHECK: %[[NEXT:.*]] = arith.addi %[[BASE]], %c1_i32
// CHECK: %[[CODE8:.*]] = arith.select %[[ABOVE]], %[[NEXT]], %[[BASE]]
// CHECK: arith.trunci %[[CODE8]] : i32 to i8
// CHECK: tensor.extract %{{.*}} : tensor<5802xi32>
// The partial last block: scratch zeroed, so the reduction stays static.
// CHECK: scf.if
// CHECK: linalg.fill
// CHECK: linalg.generic
// CHECK-SAME: memref<?xf32, strided<[1], offset: ?>>
// The small parameter: one fused generic on f32 moments.
// CHECK: linalg.generic {{.*}} outs(%{{.*}}, %{{.*}}, %{{.*}} : memref<8xf32>, memref<8xf32>, memref<8xf32>)
func.func @q8(%p: memref<4100xf32>, %g: memref<4100xf32>, %m: memref<4100xi8>, %v: memref<4100xi8>,
              %am: memref<17xf32>, %av: memref<17xf32>, %q: memref<8xf32>, %qm: memref<8xf32>, %qv: memref<8xf32>, %lr: f32, %t: i64) {
  optim.adamw (%p, %g, %m, %v) absmax(%am, %av) : (memref<4100xf32>, memref<4100xf32>, memref<4100xi8>, memref<4100xi8>, memref<17xf32>, memref<17xf32>),
              (%q, %q, %qm, %qv) : memref<8xf32>
      lr(%lr) betas(%lr, %lr) eps(%lr) weight_decay(%lr) step(%t : i64)
  return
}

// -----

// Dynamic sizes: the absmaxes are checked against the block count at run
// time, as every other operand is against the gradient.
// CHECK-LABEL: func @q8_dynamic
// CHECK: %[[BLOCKS:.*]] = arith.ceildivui %{{.*}}, %c256
// CHECK: %[[SIZE:.*]] = memref.dim %{{.*}}, %c0
// CHECK: %[[OK:.*]] = arith.cmpi eq, %[[SIZE]], %[[BLOCKS]]
// CHECK: cf.assert %[[OK]], "optim.adam: exp_avg absmax of param #0 needs one entry per block of 256 elements"
// CHECK: cf.assert %{{.*}}, "optim.adam: exp_avg_sq absmax of param #0 needs one entry per block of 256 elements"
func.func @q8_dynamic(%p: memref<?xbf16>, %m: memref<?xi8>, %v: memref<?xi8>, %a: memref<?xf32>, %b: memref<?xf32>, %lr: f32, %t: i64) {
  optim.adam (%p, %p, %m, %v) absmax(%a, %b) : (memref<?xbf16>, memref<?xbf16>, memref<?xi8>, memref<?xi8>, memref<?xf32>, memref<?xf32>)
      lr(%lr) betas(%lr, %lr) eps(%lr) step(%t : i64)
  return
}

// -----

// The tensor form is bufferized first (the CPU and GPU pipelines do it).
func.func @q8_tensor(%p: tensor<512xf32>, %m: tensor<512xi8>, %a: tensor<2xf32>, %lr: f32, %t: i64) -> tensor<512xf32> {
  // expected-error @+1 {{'optim.adam' op 8-bit moments (exp_avg #0) lower from the memref form: bufferize first}}
  %r:5 = optim.adam (%p, %p, %m, %m) absmax(%a, %a) : (tensor<512xf32>, tensor<512xf32>, tensor<512xi8>, tensor<512xi8>, tensor<2xf32>, tensor<2xf32>)
      lr(%lr) betas(%lr, %lr) eps(%lr) step(%t : i64)
  return %r#0 : tensor<512xf32>
}

// -----

// CHECK-LABEL: func.func @scalar_in_memory_space
// CHECK: memref.expand_shape %{{.*}} [] output_shape [1] : memref<f32, 1> into memref<1xf32, 1>
func.func @scalar_in_memory_space(%p: memref<f32, 1>, %g: memref<f32, 1>, %m: memref<i8, 1>, %v: memref<i8, 1>, %am: memref<1xf32>, %av: memref<1xf32>, %lr: f32, %t: i64) {
  optim.adamw (%p, %g, %m, %v) absmax(%am, %av) : (memref<f32, 1>, memref<f32, 1>, memref<i8, 1>, memref<i8, 1>, memref<1xf32>, memref<1xf32>) lr(%lr) betas(%lr, %lr) eps(%lr) weight_decay(%lr) step(%t : i64)
  return
}
