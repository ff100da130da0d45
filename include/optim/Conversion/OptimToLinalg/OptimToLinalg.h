//===- OptimToLinalg.h - lower optim steps to linalg ------------*- C++ -*-===//

#ifndef OPTIM_CONVERSION_OPTIMTOLINALG_OPTIMTOLINALG_H
#define OPTIM_CONVERSION_OPTIMTOLINALG_OPTIMTOLINALG_H

namespace mlir {
class RewritePatternSet;
} // namespace mlir

namespace mlir::optim {

/// Patterns rewriting optim.adam/optim.adamw into a scalar prologue and one
/// fused linalg.generic per parameter; `fastMath` selects the approximate
/// f32 square root and divide (see convert-optim-to-linalg).
void populateOptimToLinalgPatterns(RewritePatternSet &patterns,
                                   bool fastMath = false);

} // namespace mlir::optim

#endif // OPTIM_CONVERSION_OPTIMTOLINALG_OPTIMTOLINALG_H
