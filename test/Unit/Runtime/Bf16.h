//===- Bf16.h - bf16 and f32 bit patterns for the runtime tests -*- C++ -*-===//

#ifndef OPTIM_TEST_UNIT_RUNTIME_BF16_H
#define OPTIM_TEST_UNIT_RUNTIME_BF16_H

#include <cstdint>
#include <cstring>

namespace optim::test {

inline uint32_t bitsOf(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, 4);
  return bits;
}
inline float fromBits(uint32_t bits) {
  float x;
  std::memcpy(&x, &bits, 4);
  return x;
}
/// f32 -> bf16, round to nearest even (finite inputs).
inline uint16_t toBF16(float x) {
  uint32_t bits = bitsOf(x);
  bits += 0x7FFF + ((bits >> 16) & 1);
  return static_cast<uint16_t>(bits >> 16);
}
inline float fromBF16(uint16_t h) { return fromBits(uint32_t(h) << 16); }

} // namespace optim::test

#endif // OPTIM_TEST_UNIT_RUNTIME_BF16_H
