//===- Philox.h - the counter-based generator of stochastic rounding -*-C++-*-//
//
// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2,
// 3", SC'11), the generator of cuRAND, PyTorch and JAX, and the reference of
// the draws the compiled steps make for stochastic rounding. A draw is a
// pure function of (counter, key), so any element can be rounded by any
// thread in any order and the result is the same.
//
//===----------------------------------------------------------------------===//

#ifndef OPTIM_SUPPORT_PHILOX_H
#define OPTIM_SUPPORT_PHILOX_H

#include <array>
#include <cstdint>
#include <cstring>

namespace optim {

/// The multipliers and the key increments (Weyl sequence) of Philox4x32 and
/// Philox2x32.
inline constexpr uint32_t kPhiloxM0 = 0xD2511F53u;
inline constexpr uint32_t kPhiloxM1 = 0xCD9E8D57u;
inline constexpr uint32_t kPhilox2x32M = 0xD256D193u;
inline constexpr uint32_t kPhiloxW0 = 0x9E3779B9u;
inline constexpr uint32_t kPhiloxW1 = 0xBB67AE85u;
inline constexpr int kPhiloxRounds = 10;

/// Philox4x32-10 of `counter` under `key`.
inline std::array<uint32_t, 4> philox4x32_10(std::array<uint32_t, 4> counter,
                                             std::array<uint32_t, 2> key) {
  for (int round = 0; round < kPhiloxRounds; ++round) {
    uint64_t p0 = uint64_t(kPhiloxM0) * counter[0];
    uint64_t p1 = uint64_t(kPhiloxM1) * counter[2];
    counter = {uint32_t(p1 >> 32) ^ counter[1] ^ key[0], uint32_t(p1),
               uint32_t(p0 >> 32) ^ counter[3] ^ key[1], uint32_t(p0)};
    key[0] += kPhiloxW0;
    key[1] += kPhiloxW1;
  }
  return counter;
}

/// Philox2x32-10 of `counter` under `key`: one 32x32->64 multiply per round
/// (Philox4x32 has two), the per-element generator of stochastic rounding.
inline std::array<uint32_t, 2> philox2x32_10(std::array<uint32_t, 2> counter,
                                             uint32_t key) {
  for (int round = 0; round < kPhiloxRounds; ++round) {
    uint64_t p = uint64_t(kPhilox2x32M) * counter[0];
    counter = {uint32_t(p >> 32) ^ counter[1] ^ key, uint32_t(p)};
    key += kPhiloxW0;
  }
  return counter;
}

/// Where a stochastically rounded element sits: the step's seed and offset
/// (the step count, normally), the parameter's stream and its element index.
struct RoundingCoordinates {
  uint64_t seed = 0;
  uint64_t offset = 0;
  uint64_t stream = 0;
  uint64_t element = 0;
};

/// The 64 bits of key material of one parameter in one step: words 0 and 1
/// of Philox4x32-10 with key = seed and counter = (stream mod 2^32, offset
/// low, offset high, 0). Made once per parameter and step, outside the
/// element loop.
inline std::array<uint32_t, 2> stochasticRoundingKey(uint64_t seed,
                                                     uint64_t offset,
                                                     uint64_t stream) {
  std::array<uint32_t, 4> words =
      philox4x32_10({uint32_t(stream), uint32_t(offset),
                     uint32_t(offset >> 32), 0},
                    {uint32_t(seed), uint32_t(seed >> 32)});
  return {words[0], words[1]};
}

/// The 16 random bits that round the element at `at` (the semantics of the
/// dialect's `stochastic_rounding`): with (k0, k1) = stochasticRoundingKey,
/// the low 16 bits of word 0 of Philox2x32-10 with key k0 and counter
/// (element low, element high ^ k1).
inline uint32_t stochasticRoundingBits(const RoundingCoordinates &at) {
  std::array<uint32_t, 2> key =
      stochasticRoundingKey(at.seed, at.offset, at.stream);
  return philox2x32_10({uint32_t(at.element),
                        uint32_t(at.element >> 32) ^ key[1]},
                       key[0])[0] &
         0xFFFFu;
}

/// `x` rounded to bf16 (its bit pattern) with the random bits `r` < 2^16:
/// up with probability (dropped bits) / 2^16, so E[result] = x. NaN rounds
/// as truncation does (quiet, sign kept); a finite value may round up to
/// infinity only when it is within one bf16 ulp of the largest bf16.
inline uint16_t stochasticRoundToBF16(float x, uint32_t r) {
  uint32_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  if (x != x)
    return uint16_t((bits >> 16) | 0x40u);
  return uint16_t((bits + r) >> 16);
}

} // namespace optim

#endif // OPTIM_SUPPORT_PHILOX_H
