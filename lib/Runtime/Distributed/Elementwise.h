//===- Elementwise.h - element arithmetic of the sharded step ---*- C++ -*-===//
//
// The little arithmetic the sharded step does outside the compiled kernel:
// summing f16 / bf16 blocks (MPI has no such types) and the mean's division.
// Half-precision sums round once per addition, in the element type, as
// NCCL's and MPI implementations' native f16 sums do.
//
//===----------------------------------------------------------------------===//

#ifndef OPTIM_LIB_RUNTIME_DISTRIBUTED_ELEMENTWISE_H
#define OPTIM_LIB_RUNTIME_DISTRIBUTED_ELEMENTWISE_H

#include "optim/Runtime/StepConfig.h"

#include <cstdint>

namespace optim {
namespace distributed {

/// inout[i] += in[i] for `n` elements of `type`.
void addInPlace(void *inout, const void *in, int64_t n, ElementType type);

/// data[i] /= divisor for `n` elements of `type` (computed in f64, rounded
/// once).
void divideInPlace(void *data, int64_t n, ElementType type, double divisor);

} // namespace distributed
} // namespace optim

#endif // OPTIM_LIB_RUNTIME_DISTRIBUTED_ELEMENTWISE_H
