// RUN: optim-opt %s -optim-vectorize-reduction="vector-size=0" -verify-diagnostics
// A negative chunk size read as 0 (no forall): it is refused, as by
// optim-lower-to-llvm.
// RUN: not optim-opt %s -optim-vectorize-reduction="chunk-size=-1" 2>&1 | FileCheck %s --check-prefix=CHUNK
// CHUNK: error: chunk-size must be non-negative, got -1

// expected-error @below {{vector-size must be a power of two from 1 to 64, got 0}}
func.func @zero_vector_size() {
  return
}
