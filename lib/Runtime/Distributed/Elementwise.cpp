//===- Elementwise.cpp - element arithmetic of the sharded step -----------===//

#include "Elementwise.h"

#include <cstring>

using namespace ::optim;
using namespace ::optim::distributed;

namespace {
float fromHalf(uint16_t bits) {
  _Float16 h;
  std::memcpy(&h, &bits, sizeof(h));
  return static_cast<float>(h);
}

uint16_t toHalf(float x) {
  _Float16 h = static_cast<_Float16>(x);
  uint16_t bits;
  std::memcpy(&bits, &h, sizeof(bits));
  return bits;
}

float fromBFloat(uint16_t bits) {
  uint32_t wide = uint32_t(bits) << 16;
  float x;
  std::memcpy(&x, &wide, sizeof(x));
  return x;
}

/// Round to nearest, ties to even; NaN stays a (quiet) NaN.
uint16_t toBFloat(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, sizeof(bits));
  if ((bits & 0x7fffffffu) > 0x7f800000u)
    return static_cast<uint16_t>((bits >> 16) | 0x40);
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>(bits >> 16);
}

template <typename T>
void addTyped(void *inout, const void *in, int64_t n) {
  auto *a = static_cast<T *>(inout);
  const auto *b = static_cast<const T *>(in);
  for (int64_t i = 0; i < n; ++i)
    a[i] += b[i];
}

template <float (*From)(uint16_t), uint16_t (*To)(float)>
void addHalfTyped(void *inout, const void *in, int64_t n) {
  auto *a = static_cast<uint16_t *>(inout);
  const auto *b = static_cast<const uint16_t *>(in);
  for (int64_t i = 0; i < n; ++i)
    a[i] = To(From(a[i]) + From(b[i]));
}

/// For f32 the f64 quotient rounded to f32 is the correctly rounded f32
/// quotient (53 >= 2 * 24 + 2), the same as dividing in f32.
template <typename T>
void divideTyped(void *data, int64_t n, double divisor) {
  auto *a = static_cast<T *>(data);
  for (int64_t i = 0; i < n; ++i)
    a[i] = static_cast<T>(static_cast<double>(a[i]) / divisor);
}

template <float (*From)(uint16_t), uint16_t (*To)(float)>
void divideHalfTyped(void *data, int64_t n, double divisor) {
  auto *a = static_cast<uint16_t *>(data);
  // The quotient is rounded to f32 and then to 16 bits; rounding twice can
  // differ from one rounding by one 16-bit ulp on rare ties, as the
  // frameworks' f32-computed means do.
  for (int64_t i = 0; i < n; ++i)
    a[i] = To(static_cast<float>(From(a[i]) / divisor));
}
} // namespace

void optim::distributed::addInPlace(void *inout, const void *in, int64_t n,
                                    ElementType type) {
  switch (type) {
  case ElementType::f16:
    return addHalfTyped<fromHalf, toHalf>(inout, in, n);
  case ElementType::bf16:
    return addHalfTyped<fromBFloat, toBFloat>(inout, in, n);
  case ElementType::f32:
    return addTyped<float>(inout, in, n);
  case ElementType::f64:
    return addTyped<double>(inout, in, n);
  }
}

void optim::distributed::divideInPlace(void *data, int64_t n, ElementType type,
                                       double divisor) {
  switch (type) {
  case ElementType::f16:
    return divideHalfTyped<fromHalf, toHalf>(data, n, divisor);
  case ElementType::bf16:
    return divideHalfTyped<fromBFloat, toBFloat>(data, n, divisor);
  case ElementType::f32:
    return divideTyped<float>(data, n, divisor);
  case ElementType::f64:
    return divideTyped<double>(data, n, divisor);
  }
}
