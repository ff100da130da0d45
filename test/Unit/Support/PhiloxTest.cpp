//===- PhiloxTest.cpp - the reference generator of stochastic rounding ----===//

#include "optim/Support/Philox.h"

#include "gtest/gtest.h"

#include <cmath>

using namespace optim;

// The known-answer vectors of Random123 (kat_vectors, philox4x32_10).
TEST(Philox, KnownAnswers) {
  struct {
    std::array<uint32_t, 4> counter;
    std::array<uint32_t, 2> key;
    std::array<uint32_t, 4> expected;
  } cases[] = {
      {{0, 0, 0, 0},
       {0, 0},
       {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
      {{~0u, ~0u, ~0u, ~0u},
       {~0u, ~0u},
       {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
      {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
       {0xa4093822, 0x299f31d0},
       {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
  };
  for (const auto &c : cases)
    EXPECT_EQ(philox4x32_10(c.counter, c.key), c.expected);
}

// Random123's known answers for philox2x32_10.
TEST(Philox, KnownAnswers2x32) {
  EXPECT_EQ(philox2x32_10({0, 0}, 0),
            (std::array<uint32_t, 2>{0xff1dae59, 0x6cd10df2}));
  EXPECT_EQ(philox2x32_10({~0u, ~0u}, ~0u),
            (std::array<uint32_t, 2>{0x2c3f628b, 0xab4fd7ad}));
  EXPECT_EQ(philox2x32_10({0x243f6a88, 0x85a308d3}, 0x13198a2e),
            (std::array<uint32_t, 2>{0xdd7ce038, 0xf62a4c12}));
}

// The coordinates map to the counters and keys as documented: the key
// material from (seed, offset, stream) by Philox4x32-10, the draw from
// (element) by Philox2x32-10 under it.
TEST(Philox, CoordinatesSpellTheCounters) {
  RoundingCoordinates at{0x299f31d0a4093822ull, 0x0370734413198a2eull,
                         0x243f6a88, 0x85a308d3ull << 32 | 0x1234};
  std::array<uint32_t, 4> words = philox4x32_10(
      {0x243f6a88, 0x13198a2e, 0x03707344, 0}, {0xa4093822, 0x299f31d0});
  EXPECT_EQ(stochasticRoundingKey(at.seed, at.offset, at.stream),
            (std::array<uint32_t, 2>{words[0], words[1]}));
  uint32_t draw = philox2x32_10({0x1234, 0x85a308d3 ^ words[1]}, words[0])[0];
  EXPECT_EQ(stochasticRoundingBits(at), draw & 0xFFFF);
  // Another stream, offset or seed changes the key material.
  EXPECT_NE(stochasticRoundingKey(at.seed, at.offset, at.stream + 1),
            stochasticRoundingKey(at.seed, at.offset, at.stream));
  EXPECT_NE(stochasticRoundingKey(at.seed, at.offset + (1ull << 32),
                                  at.stream),
            stochasticRoundingKey(at.seed, at.offset, at.stream));
}

TEST(Philox, RoundsBetweenTheNeighbours) {
  // 1 + 2^-9 is a quarter of a bf16 ulp above 1.0 (0x3F80).
  float x = 1.0f + 0x1p-9f;
  EXPECT_EQ(stochasticRoundToBF16(x, 0), 0x3F80);
  EXPECT_EQ(stochasticRoundToBF16(x, 0xBFFF), 0x3F80);
  EXPECT_EQ(stochasticRoundToBF16(x, 0xC000), 0x3F81);
  EXPECT_EQ(stochasticRoundToBF16(x, 0xFFFF), 0x3F81);
  // Exact values never move; signs are kept; infinities stay.
  EXPECT_EQ(stochasticRoundToBF16(-2.0f, 0xFFFF), 0xC000);
  EXPECT_EQ(stochasticRoundToBF16(INFINITY, 0xFFFF), 0x7F80);
  EXPECT_EQ(stochasticRoundToBF16(-INFINITY, 0xFFFF), 0xFF80);
  // NaN stays a quiet NaN whatever the draw.
  uint16_t nan = stochasticRoundToBF16(NAN, 0xFFFF);
  EXPECT_EQ(nan & 0x7F80, 0x7F80);
  EXPECT_NE(nan & 0x7F, 0);
}
