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
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

#endif // OPTIM_CONVERSION_PASSES_TD
