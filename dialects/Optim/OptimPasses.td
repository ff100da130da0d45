//===- OptimPasses.td - optim transformation passes --------*- tablegen -*-===//

#ifndef OPTIM_PASSES_TD
#define OPTIM_PASSES_TD

include "mlir/Pass/PassBase.td"

def OptimVectorizeElementwise
    : Pass<"optim-vectorize-elementwise", "func::FuncOp"> {
  let summary = "Tile, parallelise and vectorise elementwise linalg.generic ops";
  let description = [{
    Prepares the element-wise `linalg.generic` ops that optim steps lower to
    for the CPU: the iteration space is split into `scf.forall` chunks of
    `chunk-size` elements (the unit of multithreading), each chunk is tiled
    by `vector-size`, the loop is peeled so that the main loop has a static
    trip shape, and both parts are vectorised with the linalg vectoriser:
    full-width unmasked vectors in the main loop, a masked vector for the
    tail. Ops whose innermost dimension cannot be tiled are left alone.
  }];
  let options = [
    Option<"vectorSize", "vector-size", "int64_t", /*default=*/"16",
           "Elements per vector (16 x f32 fills an AVX-512 register)">,
    Option<"chunkSize", "chunk-size", "int64_t", /*default=*/"65536",
           "Elements per scf.forall iteration; 0 disables the forall level">,
  ];
  let dependentDialects = [
    "::mlir::affine::AffineDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
    "::mlir::vector::VectorDialect",
  ];
}

#endif // OPTIM_PASSES_TD
