//===- QuantEncodeTable.h - 8-bit moment coding by table --------*- C++ -*-===//
//
// How the compiled steps find the code of a normalised moment y = x / absmax
// (encodeQuantized of BlockwiseQuant.h: the number of midpoints below y)
// with one table lookup and one integer compare instead of a search.
//
// The bits of |y| shifted right by `shift` name a bucket: an exponent and
// the leading mantissa bits. `shift` is the largest for which every bucket
// holds at most one midpoint, so within a bucket the code is the code of the
// bucket's bottom, plus one if y is above the bucket's midpoint. That
// midpoint shares y's bits above `shift`, so the compare needs only the low
// bits, and for negative y (whose order the bits reverse) both low parts
// are flipped. Each entry packs the two:
//
//   entry = code << shift | midpoint's low bits (flipped if y < 0)
//   code(y) = (entry >> shift) + ((entry & lowMask) < (bits(y) ^ sign) &
//                                 lowMask)
//
// where bucket b of sign s is entry [s * numBuckets + b - lowest]. Buckets
// are clamped to [lowest, lowest + numBuckets - 1]: `lowest` lies below
// every midpoint's bucket (all smaller magnitudes, zero and subnormals
// included, share its code), and the last bucket, above 1.0 (|y| <= 1
// otherwise), is NaN's, with code 0. Buckets without a midpoint store
// lowMask, which no y's low bits exceed.
//
//===----------------------------------------------------------------------===//

#ifndef OPTIM_SUPPORT_QUANTENCODETABLE_H
#define OPTIM_SUPPORT_QUANTENCODETABLE_H

#include "optim/Support/BlockwiseQuant.h"

#include <cstdint>
#include <cstring>
#include <vector>

namespace optim {

struct QuantEncodeTable {
  unsigned shift = 0;
  uint32_t lowest = 0;
  /// Buckets per sign, NaN's included.
  uint32_t numBuckets = 0;
  /// 2 * numBuckets entries: the positive buckets, then the negative ones.
  std::vector<uint32_t> entries;

  uint32_t getLowMask() const { return (uint32_t(1) << shift) - 1; }
};

/// The table of `map`, built once (deterministic: the compiled steps embed
/// it).
const QuantEncodeTable &getQuantEncodeTable(QuantMap map);

/// The code of `y` by `table`, as the compiled steps compute it.
inline uint8_t encodeWithTable(const QuantEncodeTable &table, float y) {
  uint32_t bits;
  std::memcpy(&bits, &y, sizeof bits);
  uint32_t bucket = (bits & 0x7fffffffu) >> table.shift;
  uint32_t last = table.lowest + table.numBuckets - 1;
  bucket =
      bucket < table.lowest ? table.lowest : (bucket > last ? last : bucket);
  uint32_t sign = bits >> 31 ? 0xffffffffu : 0;
  uint32_t entry =
      table.entries[bucket - table.lowest + (sign & table.numBuckets)];
  uint32_t low = (bits ^ sign) & table.getLowMask();
  uint32_t code = entry >> table.shift;
  return uint8_t(code + ((entry & table.getLowMask()) < low));
}

} // namespace optim

#endif // OPTIM_SUPPORT_QUANTENCODETABLE_H
