//===- QuantEncodeTable.cpp - 8-bit moment coding by table ----------------===//

#include "optim/Support/QuantEncodeTable.h"

#include <algorithm>
#include <cstdlib>

using namespace optim;

namespace {
float floatOf(uint32_t bits) { return detail::floatFromBits(bits); }

uint32_t bitsOf(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  return bits;
}

constexpr uint32_t kOneBits = 0x3f800000u;

/// The table of `map` at `shift`, or an empty one if a bucket would hold
/// more than one midpoint (or the lowest bucket one at all).
QuantEncodeTable tryBuild(QuantMap map, unsigned shift) {
  QuantEncodeTable table;
  table.shift = shift;
  uint32_t lowMask = table.getLowMask();
  uint32_t smallest = kOneBits;
  for (unsigned k = 0; k < 255; ++k)
    smallest =
        std::min(smallest, bitsOf(getQuantMidpoint(map, k)) & 0x7fffffffu);
  table.lowest = (smallest >> shift) - 1;
  uint32_t one = kOneBits >> shift;
  // lowest .. one, then NaN's.
  table.numBuckets = one - table.lowest + 2;
  table.entries.assign(2 * table.numBuckets, lowMask);
  for (uint32_t sign = 0; sign < 2; ++sign) {
    for (uint32_t bucket = table.lowest; bucket <= one; ++bucket) {
      float bottom = bucket == table.lowest ? 0.0f : floatOf(bucket << shift);
      float top = bucket == one ? 1.0f : floatOf((bucket << shift) | lowMask);
      float low = sign ? -top : bottom, high = sign ? -bottom : top;
      unsigned lowCode = encodeQuantized(map, low);
      unsigned highCode = encodeQuantized(map, high);
      uint32_t entry = uint32_t(lowCode) << shift | lowMask;
      if (highCode == lowCode + 1) {
        uint32_t midpoint = bitsOf(getQuantMidpoint(map, lowCode));
        if (bucket == table.lowest ||
            ((midpoint & 0x7fffffffu) >> shift) != bucket)
          return {};
        entry = uint32_t(lowCode) << shift |
                ((midpoint ^ (sign ? 0xffffffffu : 0)) & lowMask);
      } else if (highCode != lowCode) {
        return {};
      }
      table.entries[sign * table.numBuckets + bucket - table.lowest] = entry;
    }
    // NaN's bucket: code 0, never incremented.
    table.entries[sign * table.numBuckets + table.numBuckets - 1] = lowMask;
  }
  return table;
}
} // namespace

namespace {
QuantEncodeTable build(QuantMap map) {
  // The coarsest valid buckets: the smallest table.
  for (unsigned shift = 23; shift >= 8; --shift) {
    QuantEncodeTable table = tryBuild(map, shift);
    if (!table.entries.empty())
      return table;
  }
  // Unreachable for bitsandbytes' maps (BlockwiseMomentsTest checks them).
  std::abort();
}
} // namespace

const QuantEncodeTable &optim::getQuantEncodeTable(QuantMap map) {
  static const QuantEncodeTable tables[] = {build(QuantMap::signedDynamic),
                                            build(QuantMap::unsignedDynamic)};
  return tables[map == QuantMap::signedDynamic ? 0 : 1];
}
