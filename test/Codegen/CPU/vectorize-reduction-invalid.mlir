// RUN: optim-opt %s -optim-vectorize-reduction="vector-size=0" -verify-diagnostics

// expected-error @below {{vector-size must be a power of two from 1 to 64, got 0}}
func.func @zero_vector_size() {
  return
}
