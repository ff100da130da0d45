// RUN: optim-opt %s -optim-vectorize-reduction="vector-size=0" -verify-diagnostics

// expected-error @below {{vector-size must be positive}}
func.func @zero_vector_size() {
  return
}
