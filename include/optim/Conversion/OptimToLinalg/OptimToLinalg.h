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

} // namespace mlir::optim

#endif // OPTIM_CONVERSION_OPTIMTOLINALG_OPTIMTOLINALG_H
