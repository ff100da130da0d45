// RUN: optim-opt %s -convert-optim-to-linalg | FileCheck %s

// convert-optim-to-linalg is a dialect conversion with the optim dialect
// illegal: an op its pattern refused would fail the pass with "failed to
// legalize operation 'optim.adamw'" instead of being left in the output.
// No valid op is refused today (the verifier rejects everything the
// lowering could not express: unranked or mixed operands, unsupported
// element types, mismatched static shapes; dynamic sizes are checked at run
// time), so this test checks the other half of the contract: every step,
// wherever it is nested and whatever produced its operands, is lowered.

// Two chained tensor steps (the second consumes the first's results, which
// the conversion replaces), one inside a loop.
// CHECK-LABEL: func @chained
// CHECK-NOT: optim.
// CHECK: %[[FIRST:.*]]:3 = linalg.generic
// CHECK: scf.for {{.*}} iter_args(%[[P:.*]] = %[[FIRST]]#0, %[[M:.*]] = %[[FIRST]]#1, %[[V:.*]] = %[[FIRST]]#2)
// CHECK: linalg.generic
// CHECK-SAME: outs(%[[P]], %[[M]], %[[V]] :
// CHECK-NOT: optim.
func.func @chained(%p: tensor<16xf32>, %g: tensor<16xf32>, %m: tensor<16xf32>, %v: tensor<16xf32>,
                   %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i64, %n: index)
    -> (tensor<16xf32>, tensor<16xf32>, tensor<16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %p1, %m1, %v1 = optim.adamw (%p, %g, %m, %v) : tensor<16xf32>
      lr(%lr) betas(%b1, %b2) eps(%eps) weight_decay(%wd) step(%t : i64)
  %r:3 = scf.for %i = %c0 to %n step %c1 iter_args(%pi = %p1, %mi = %m1, %vi = %v1)
      -> (tensor<16xf32>, tensor<16xf32>, tensor<16xf32>) {
    %p2, %m2, %v2 = optim.adam (%pi, %g, %mi, %vi) : tensor<16xf32>
        lr(%lr) betas(%b1, %b2) eps(%eps) step(%t : i64)
    scf.yield %p2, %m2, %v2 : tensor<16xf32>, tensor<16xf32>, tensor<16xf32>
  }
  return %r#0, %r#1, %r#2 : tensor<16xf32>, tensor<16xf32>, tensor<16xf32>
}
