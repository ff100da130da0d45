//===- OptimToLinalg.h - lower optim steps to linalg ------------*- C++ -*-===//

#ifndef OPTIM_CONVERSION_OPTIMTOLINALG_OPTIMTOLINALG_H
#define OPTIM_CONVERSION_OPTIMTOLINALG_OPTIMTOLINALG_H

namespace mlir {
class RewritePatternSet;
} // namespace mlir

namespace mlir::optim {

/// Conversion patterns rewriting optim.adam/optim.adamw into run-time size
/// checks for dynamic dimensions, a scalar prologue and one fused
/// linalg.generic per parameter, for a dialect conversion in which the optim
/// dialect is illegal; `fastMath` selects the approximate f32 square root
/// and divide (see convert-optim-to-linalg).
void populateOptimToLinalgPatterns(RewritePatternSet &patterns,
                                   bool fastMath = false);

/// The pattern rewriting optim.global_norm into one reduction
/// linalg.generic per gradient, all accumulating the sum of squares into one
/// f64 accumulator; included in populateOptimToLinalgPatterns.
void populateGlobalNormToLinalgPatterns(RewritePatternSet &patterns);

} // namespace mlir::optim

#endif // OPTIM_CONVERSION_OPTIMTOLINALG_OPTIMTOLINALG_H
