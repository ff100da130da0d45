//===- ShardedCheckpoint.cpp - per-rank checkpoints, and re-sharding ------===//
//
// Each rank saves its own shard of the moments. Restoring with the same
// number of ranks reads the rank's own shard back bit for bit; restoring
// with another number reads the parts of every old shard that overlap the
// rank's new one (the flat index space does not depend on the rank count,
// only its split does).
//
//===----------------------------------------------------------------------===//

#include "optim/Runtime/Distributed/ShardedOptimizer.h"

#include "../StateBlob.h"
#include "FlatLayout.h"
#include "ShardedAgreement.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"

#include <cstring>

using namespace ::optim;
using namespace ::optim::distributed;

namespace {
constexpr llvm::StringLiteral kMagic = "optim-sharded-state-";
constexpr llvm::StringLiteral kVersion = "v2";
constexpr llvm::StringLiteral kWhat = "sharded optim state";

/// The tensors' sizes, which the flat space's extent does not pin down (as
/// at creation: ShardedOptimizer.cpp).
uint64_t hashSizes(llvm::ArrayRef<int64_t> sizes) {
  return hashWords(std::vector<uint64_t>(sizes.begin(), sizes.end()));
}
} // namespace

/// A checked shard of a checkpoint; the moments and absmaxes point into the
/// blob.
struct ShardedOptimizer::ParsedShard {
  int64_t worldSize = 0, rank = 0, shardElements = 0, steps = 0;
  uint64_t runId = 0;
  llvm::StringRef moments[3];
  llvm::StringRef absmaxes[2];
};

std::string ShardedOptimizer::exportState() const {
  const StepConfig &config = compiled->getConfig();
  std::string blob =
      llvm::formatv("{0}{1} {2} {3} {4} {5} {6} {7} {8} {9:x-} {10:x-}\n",
                    kMagic, kVersion, config.key(), layout.worldSize,
                    layout.rank, layout.totalElements, layout.shardElements,
                    stepCount, sizes.size(), hashSizes(sizes), runId)
          .str();
  for (const Storage *buffer : {&expAvg, &expAvgSq, &maxExpAvgSq})
    if (buffer->get())
      blob.append(buffer->get(), momentBytes);
  for (const Storage *buffer : {&expAvgAbsmax, &expAvgSqAbsmax})
    if (buffer->get())
      blob.append(buffer->get(),
                  layout.shardElements / kQuantBlockSize * sizeof(float));
  detail::sealStateBlob(blob);
  return blob;
}

llvm::Error ShardedOptimizer::parseShard(llvm::StringRef blob,
                                         ParsedShard &out) const {
  const StepConfig &config = compiled->getConfig();
  llvm::Expected<llvm::StringRef> body =
      detail::openStateBlob(blob, kMagic, kVersion, kWhat);
  if (!body)
    return body.takeError();

  auto [header, rest] = body->split('\n');
  llvm::SmallVector<llvm::StringRef> fields;
  header.split(fields, ' ');
  int64_t total = 0, numTensors = 0;
  uint64_t sizesHash = 0;
  if (fields.size() != 10 || fields[2].getAsInteger(10, out.worldSize) ||
      fields[3].getAsInteger(10, out.rank) ||
      fields[4].getAsInteger(10, total) ||
      fields[5].getAsInteger(10, out.shardElements) ||
      fields[6].getAsInteger(10, out.steps) ||
      fields[7].getAsInteger(10, numTensors) ||
      fields[8].getAsInteger(16, sizesHash) ||
      fields[9].getAsInteger(16, out.runId))
    return llvm::createStringError("malformed sharded state header");
  if (fields[1] != config.key())
    return llvm::createStringError(
        llvm::formatv("state was saved for '{0}', this optimizer is '{1}'",
                      fields[1], config.key())
            .str());
  if (numTensors != static_cast<int64_t>(sizes.size()))
    return llvm::createStringError(
        llvm::formatv("state was saved for {0} tensors, this optimizer has "
                      "{1}",
                      numTensors, sizes.size())
            .str());
  if (total != layout.totalElements)
    return llvm::createStringError(
        llvm::formatv("state was saved for {0} parameter elements, this "
                      "optimizer has {1}",
                      total, layout.totalElements)
            .str());
  if (sizesHash != hashSizes(sizes))
    return llvm::createStringError(
        llvm::formatv("state was saved for {0} tensors of other sizes",
                      numTensors)
            .str());
  if (out.worldSize < 1 || out.worldSize > (int64_t(1) << 24) || out.rank < 0 ||
      out.rank >= out.worldSize ||
      out.shardElements != getShardElements(config, total, int(out.worldSize)))
    return llvm::createStringError(
        "malformed sharded state header: inconsistent ranks and shard size");
  // (firstStep is at most kMaxStepCount: create checked it.)
  if (out.steps < 0 || out.steps > kMaxStepCount + 1 - firstStep)
    return llvm::createStringError(
        llvm::formatv("state has {0} steps taken: beyond the largest step "
                      "count",
                      out.steps)
            .str());
  unsigned numBuffers = config.variant.amsgrad ? 3 : 2;
  bool coded = config.momentStorage == MomentStorage::blockwise8;
  int64_t savedBegin = out.rank * out.shardElements;
  size_t bytes = getShardMomentBytes(savedBegin, out.shardElements);
  size_t absmaxBytes =
      coded ? out.shardElements / kQuantBlockSize * sizeof(float) : 0;
  size_t expected = numBuffers * bytes + 2 * absmaxBytes;
  if (rest.size() != expected)
    return llvm::createStringError(
        llvm::formatv("sharded state holds {0} bytes of moments, {1} "
                      "expected",
                      rest.size(), expected)
            .str());
  static constexpr const char *kRoles[] = {"exp_avg", "exp_avg_sq",
                                           "max_exp_avg_sq"};
  for (unsigned b = 0; b < numBuffers; ++b) {
    out.moments[b] = rest.substr(b * bytes, bytes);
    if (!coded) {
      if (llvm::Error error = detail::checkMomentValues(
              out.moments[b], getElementSize(getMomentElementType(config)),
              /*nonNegative=*/b > 0, kRoles[b]))
        return error;
      continue;
    }
    // Any byte is a code; the f32 parts of the tensors too small to be
    // coded must be finite (and exp_avg_sq non-negative).
    int64_t savedEnd = std::min(savedBegin + out.shardElements, total);
    for (auto [k, n] : llvm::enumerate(sizes)) {
      int64_t lo = std::max(savedBegin, flatOffsets[k]);
      int64_t hi = std::min(savedEnd, flatOffsets[k] + n);
      if (lo >= hi || hasQuantizedMoments(config, n))
        continue;
      if (llvm::Error error = detail::checkMomentValues(
              out.moments[b].substr(getMomentBytes(savedBegin, lo),
                                    (hi - lo) * sizeof(float)),
              sizeof(float), /*nonNegative=*/b > 0, kRoles[b]))
        return error;
    }
  }
  static constexpr const char *kAbsmaxRoles[] = {"exp_avg absmax",
                                                 "exp_avg_sq absmax"};
  for (unsigned b = 0; b < 2 && coded; ++b) {
    out.absmaxes[b] =
        rest.substr(numBuffers * bytes + b * absmaxBytes, absmaxBytes);
    if (llvm::Error error =
            detail::checkMomentValues(out.absmaxes[b], sizeof(float),
                                      /*nonNegative=*/true, kAbsmaxRoles[b]))
      return error;
  }
  return llvm::Error::success();
}

llvm::Error ShardedOptimizer::importState(llvm::StringRef blob) {
  ParsedShard shard;
  llvm::Error local = parseShard(blob, shard);
  if (!local && shard.worldSize != layout.worldSize)
    local = llvm::createStringError(
        llvm::formatv("the state was saved by {0} ranks and this optimizer "
                      "runs on {1}: restore it with {0} ranks, or pass every "
                      "rank's shard to importState to re-shard it",
                      shard.worldSize, layout.worldSize)
            .str());
  else if (!local && shard.rank != layout.rank)
    local = llvm::createStringError(
        llvm::formatv("the state is rank {0}'s shard, loaded on rank {1}",
                      shard.rank, layout.rank)
            .str());
  return commitShards(llvm::ArrayRef(shard), std::move(local));
}

llvm::Error
ShardedOptimizer::importState(llvm::ArrayRef<llvm::StringRef> blobs) {
  std::vector<ParsedShard> shards(blobs.size());
  auto parseAll = [&]() -> llvm::Error {
    if (blobs.empty())
      return llvm::createStringError("no shards given");
    for (auto [blob, shard] : llvm::zip(blobs, shards))
      if (llvm::Error error = parseShard(blob, shard))
        return error;
    const ParsedShard &first = shards.front();
    std::vector<bool> seen(first.worldSize, false);
    for (const ParsedShard &shard : shards) {
      if (shard.worldSize != first.worldSize || shard.steps != first.steps ||
          shard.runId != first.runId)
        return llvm::createStringError(
            "the shards come from different checkpoints (runs, rank counts "
            "or steps differ)");
      if (seen[shard.rank])
        return llvm::createStringError(
            llvm::formatv("rank {0}'s shard is given twice", shard.rank)
                .str());
      seen[shard.rank] = true;
    }
    if (shards.size() != static_cast<size_t>(first.worldSize))
      return llvm::createStringError(
          llvm::formatv("{0} of the checkpoint's {1} shards given: every "
                        "shard is needed",
                        shards.size(), first.worldSize)
              .str());
    return llvm::Error::success();
  };
  llvm::Error local = parseAll();
  return commitShards(shards, std::move(local));
}

llvm::Error ShardedOptimizer::commitShards(llvm::ArrayRef<ParsedShard> shards,
                                           llvm::Error local) {
  int64_t steps = local ? 0 : shards.front().steps;
  uint64_t savedRun = local ? 0 : shards.front().runId;
  if (llvm::Error error =
          agreeOnImport(comm, std::move(local), steps, savedRun))
    return error;

  // Every rank accepted: copy the overlaps of the saved shards with this
  // rank's (the padding stays zero, as a step leaves it).
  const StepConfig &config = compiled->getConfig();
  bool coded = config.momentStorage == MomentStorage::blockwise8;
  size_t momentSize = getElementSize(getMomentElementType(config));
  int64_t begin = layout.shardBegin, end = begin + layout.ownedElements;
  Storage *buffers[] = {&expAvg, &expAvgSq, &maxExpAvgSq};
  Storage *absmaxes[] = {&expAvgAbsmax, &expAvgSqAbsmax};
  size_t absmaxBytes = layout.shardElements / kQuantBlockSize * sizeof(float);
  for (Storage *buffer : buffers)
    if (buffer->get())
      std::memset(buffer->get(), 0, momentBytes);
  for (Storage *buffer : absmaxes)
    if (buffer->get())
      std::memset(buffer->get(), 0, absmaxBytes);
  for (const ParsedShard &shard : shards) {
    int64_t savedBegin = shard.rank * shard.shardElements;
    int64_t lo = std::max(begin, savedBegin);
    int64_t hi = std::min({end, savedBegin + shard.shardElements,
                           layout.totalElements});
    if (lo >= hi)
      continue;
    if (!coded) {
      for (unsigned b = 0; b < 3; ++b)
        if (buffers[b]->get())
          std::memcpy(buffers[b]->get() + (lo - begin) * momentSize,
                      shard.moments[b].data() + (lo - savedBegin) * momentSize,
                      (hi - lo) * momentSize);
      continue;
    }
    // Tensor by tensor: a part's bytes start where the buffer's earlier
    // parts end (FlatLayout.h), in the saved shard and in this one.
    for (auto [k, n] : llvm::enumerate(sizes)) {
      int64_t partLo = std::max(lo, flatOffsets[k]);
      int64_t partHi = std::min(hi, flatOffsets[k] + n);
      if (partLo >= partHi)
        continue;
      size_t size = getMomentElementSize(config, n);
      int64_t tensorBegin = flatOffsets[k];
      auto at = [&](int64_t shardBegin) {
        int64_t partStart = std::max(shardBegin, tensorBegin);
        return getMomentBytes(shardBegin, partStart) +
               (partLo - partStart) * int64_t(size);
      };
      int64_t to = at(begin), from = at(savedBegin);
      for (unsigned b = 0; b < 3; ++b)
        if (buffers[b]->get())
          std::memcpy(buffers[b]->get() + to, shard.moments[b].data() + from,
                      (partHi - partLo) * size);
    }
    // Absmaxes by block (lo is on one: shards start on blocks).
    int64_t blocks = llvm::divideCeil(hi - lo, kQuantBlockSize);
    for (unsigned b = 0; b < 2; ++b)
      std::memcpy(absmaxes[b]->get() +
                      (lo - begin) / kQuantBlockSize * sizeof(float),
                  shard.absmaxes[b].data() +
                      (lo - savedBegin) / kQuantBlockSize * sizeof(float),
                  blocks * sizeof(float));
  }
  stepCount = steps;
  lastGradNorm = std::numeric_limits<double>::quiet_NaN();
  // The restored run goes on: its later checkpoints mix with its earlier.
  runId = savedRun;
  return llvm::Error::success();
}
