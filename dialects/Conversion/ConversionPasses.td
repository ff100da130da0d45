//===- ConversionPasses.td - optim conversion passes -------*- tablegen -*-===//

#ifndef OPTIM_CONVERSION_PASSES_TD
#define OPTIM_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertOptimToLinalg : Pass<"convert-optim-to-linalg"> {
  let summary = "Lower optim steps to one fused linalg.generic per parameter";
  let description = [{
    Rewrites every `optim.adam` / `optim.adamw` into:
    - a scalar prologue, emitted once per op (and so once per step): beta
      powers, bias corrections, the step size, the decoupled decay factor,
      the clipping bounds; computed in f64 and rounded once to the compute
      type;
    - one `linalg.generic` per parameter that reads p, g, m, v (and vmax)
      once and writes p, m, v (and vmax) once, on tensors or, in place, on
      memrefs. Contiguous N-d operands are collapsed to 1-d first so that the
      vectoriser sees one long loop;
    - an `scf.if` that skips the whole step when `found_inf` is non-zero.

    Operands with dynamic dimensions (`memref<?xf32>`) are checked at run
    time, before anything is read or written: each dynamic dimension of a
    parameter's `param`, `exp_avg`, `exp_avg_sq` and `max_exp_avg_sq` must
    equal the gradient's. A mismatch fails a `cf.assert` whose message names
    the op and the operand, e.g. `optim.adamw: exp_avg #0 and grad #0 differ
    in size (dimension 0)`; lowered to LLVM it prints the message and calls
    `abort()`. Static shapes are checked by the verifier and get no run-time
    check.

    The second moment is updated in PyTorch's order,
    `v * beta2 + ((1 - beta2) * g) * g`, which stays finite for f32
    gradients up to about 5.8e20 (squaring `g` first overflows at 1.8e19).

    The rewrite is a dialect conversion with the optim dialect illegal: an
    optim op that is not lowered fails the pass ("failed to legalize
    operation").

    With `fast-math`, f32 steps compute sqrt(v) as v * rsqrt(v) and divide
    with fast-math flags, and the function asks LLVM for reciprocal
    estimates refined by one Newton-Raphson step (`vrsqrtps`/`vrcpps` + one
    FMA iteration on x86), appended to the function's `passthrough`
    attribute (a `reciprocal-estimates` entry already there is kept). The
    update's relative error stays below 2^-20; f64 steps are unaffected.
  }];
  let options = [
    Option<"fastMath", "fast-math", "bool", /*default=*/"false",
           "Approximate reciprocal and reciprocal square root (f32)">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::cf::ControlFlowDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

#endif // OPTIM_CONVERSION_PASSES_TD
