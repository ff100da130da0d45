//===- FlatLayout.h - the sharded group's flat index space ------*- C++ -*-===//
//
// Where each tensor of a sharded group lies in the flat index space that the
// ranks split, and what its moments take. Creation and the checkpoints
// (which re-shard saved states) must compute them alike.
//
//===----------------------------------------------------------------------===//

#ifndef OPTIM_LIB_RUNTIME_DISTRIBUTED_FLATLAYOUT_H
#define OPTIM_LIB_RUNTIME_DISTRIBUTED_FLATLAYOUT_H

#include "optim/Runtime/StepConfig.h"
#include "optim/Support/BlockwiseQuant.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/MathExtras.h"

#include <algorithm>
#include <cstdint>
#include <vector>

namespace optim {
namespace distributed {

/// Shard sizes and tensor starts are multiples of this many elements: whole
/// 64-byte lines of parameters; with 8-bit moments whole quantisation
/// blocks, so that every shard boundary falls on a block boundary of every
/// tensor and a shard updates whole blocks.
inline int64_t getFlatQuantum(const StepConfig &config) {
  if (config.momentStorage == MomentStorage::blockwise8)
    return kQuantBlockSize;
  return 64 / getElementSize(config.paramType);
}

/// Each tensor's first flat index, then the extent of the space (one entry
/// more than `sizes`). Tensors are contiguous, except that with 8-bit
/// moments each starts on a quantum (the gaps are zero gradients that no
/// step reads).
inline std::vector<int64_t> getFlatOffsets(const StepConfig &config,
                                           llvm::ArrayRef<int64_t> sizes) {
  bool aligned = config.momentStorage == MomentStorage::blockwise8;
  std::vector<int64_t> offsets;
  int64_t offset = 0;
  for (int64_t n : sizes) {
    if (aligned)
      offset = llvm::alignTo(offset, getFlatQuantum(config));
    offsets.push_back(offset);
    offset += n;
  }
  offsets.push_back(offset);
  return offsets;
}

/// S: elements per shard of a space of `total`, split `worldSize` ways.
inline int64_t getShardElements(const StepConfig &config, int64_t total,
                                int worldSize) {
  return llvm::alignTo(llvm::divideCeil(total, worldSize),
                       getFlatQuantum(config));
}

/// Bytes one moment buffer takes for the flat range [lo, hi): the tensors'
/// elements in it at their moment sizes (8-bit codes or the moment type),
/// the gaps between tensors none. A shard's buffer holds its tensors' parts
/// in order: the part of tensor k starts at the bytes of the range from the
/// shard's start to the part's. With 8-bit moments each part starts on a
/// 64-byte line (an f32 part after codes must be aligned); otherwise the
/// parts are contiguous, element i of the buffer at flat index begin + i.
inline int64_t getMomentBytes(const StepConfig &config,
                              llvm::ArrayRef<int64_t> sizes,
                              llvm::ArrayRef<int64_t> offsets, int64_t lo,
                              int64_t hi) {
  uint64_t line = config.momentStorage == MomentStorage::blockwise8 ? 64 : 1;
  int64_t bytes = 0;
  for (auto [k, n] : llvm::enumerate(sizes)) {
    int64_t overlap = std::min(hi, offsets[k] + n) - std::max(lo, offsets[k]);
    if (overlap > 0)
      bytes += llvm::alignTo(overlap * getMomentElementSize(config, n), line);
  }
  return bytes;
}

} // namespace distributed
} // namespace optim

#endif // OPTIM_LIB_RUNTIME_DISTRIBUTED_FLATLAYOUT_H
