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

#include "ShardedAgreement.h"
#include "../StateBlob.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"

#include <cstring>

using namespace ::optim;
using namespace ::optim::distributed;

namespace {
constexpr llvm::StringLiteral kMagic = "optim-sharded-state-";
constexpr llvm::StringLiteral kVersion = "v1";
constexpr llvm::StringLiteral kWhat = "sharded optim state";
} // namespace

/// A checked shard of a checkpoint; the moments point into the blob.
struct ShardedOptimizer::ParsedShard {
  int64_t worldSize = 0, rank = 0, shardElements = 0, steps = 0;
  llvm::StringRef moments[3];
};

std::string ShardedOptimizer::exportState() const {
  const StepConfig &config = compiled->getConfig();
  size_t bytes = layout.shardElements *
                 getElementSize(getMomentElementType(config));
  std::string blob =
      llvm::formatv("{0}{1} {2} {3} {4} {5} {6} {7}\n", kMagic, kVersion,
                    config.key(), layout.worldSize, layout.rank,
                    layout.totalElements, layout.shardElements, stepCount)
          .str();
  for (const Storage *buffer : {&expAvg, &expAvgSq, &maxExpAvgSq})
    if (buffer->get())
      blob.append(buffer->get(), bytes);
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
  int64_t total = 0;
  if (fields.size() != 7 || fields[2].getAsInteger(10, out.worldSize) ||
      fields[3].getAsInteger(10, out.rank) ||
      fields[4].getAsInteger(10, total) ||
      fields[5].getAsInteger(10, out.shardElements) ||
      fields[6].getAsInteger(10, out.steps))
    return llvm::createStringError("malformed sharded state header");
  if (fields[1] != config.key())
    return llvm::createStringError(
        llvm::formatv("state was saved for '{0}', this optimizer is '{1}'",
                      fields[1], config.key())
            .str());
  if (total != layout.totalElements)
    return llvm::createStringError(
        llvm::formatv("state was saved for {0} parameter elements, this "
                      "optimizer has {1}",
                      total, layout.totalElements)
            .str());
  unsigned paramSize = getElementSize(config.paramType);
  if (out.worldSize < 1 || out.worldSize > (int64_t(1) << 24) ||
      out.rank < 0 || out.rank >= out.worldSize ||
      out.shardElements !=
          static_cast<int64_t>(llvm::alignTo(
              llvm::divideCeil(total, out.worldSize), 64 / paramSize)))
    return llvm::createStringError(
        "malformed sharded state header: inconsistent ranks and shard size");
  if (out.steps < 0 || firstStep + out.steps > kMaxStepCount + 1)
    return llvm::createStringError(
        llvm::formatv("state has {0} steps taken: beyond the largest step "
                      "count",
                      out.steps)
            .str());
  unsigned numBuffers = config.variant.amsgrad ? 3 : 2;
  size_t momentSize = getElementSize(getMomentElementType(config));
  size_t bytes = out.shardElements * momentSize;
  if (rest.size() != numBuffers * bytes)
    return llvm::createStringError(
        llvm::formatv("sharded state holds {0} bytes of moments, {1} "
                      "expected",
                      rest.size(), numBuffers * bytes)
            .str());
  static constexpr const char *kRoles[] = {"exp_avg", "exp_avg_sq",
                                           "max_exp_avg_sq"};
  for (unsigned b = 0; b < numBuffers; ++b) {
    out.moments[b] = rest.substr(b * bytes, bytes);
    if (llvm::Error error = detail::checkMomentValues(
            out.moments[b], momentSize, /*nonNegative=*/b > 0, kRoles[b]))
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
      if (shard.worldSize != first.worldSize || shard.steps != first.steps)
        return llvm::createStringError(
            "the shards come from different checkpoints (rank counts or "
            "steps differ)");
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
  if (llvm::Error error = agreeOnImport(comm, std::move(local), steps))
    return error;

  // Every rank accepted: copy the overlaps of the saved shards with this
  // rank's (the padding stays zero, as a step leaves it).
  const StepConfig &config = compiled->getConfig();
  size_t momentSize = getElementSize(getMomentElementType(config));
  int64_t begin = layout.shardBegin, end = begin + layout.ownedElements;
  Storage *buffers[] = {&expAvg, &expAvgSq, &maxExpAvgSq};
  for (Storage *buffer : buffers)
    if (buffer->get())
      std::memset(buffer->get(), 0, layout.shardElements * momentSize);
  for (const ParsedShard &shard : shards) {
    int64_t savedBegin = shard.rank * shard.shardElements;
    int64_t lo = std::max(begin, savedBegin);
    int64_t hi = std::min({end, savedBegin + shard.shardElements,
                           layout.totalElements});
    if (lo >= hi)
      continue;
    for (unsigned b = 0; b < 3; ++b)
      if (buffers[b]->get())
        std::memcpy(buffers[b]->get() + (lo - begin) * momentSize,
                    shard.moments[b].data() + (lo - savedBegin) * momentSize,
                    (hi - lo) * momentSize);
  }
  stepCount = steps;
  return llvm::Error::success();
}
