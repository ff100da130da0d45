//===- ShardedAgreement.cpp - ranks agree before they write ---------------===//

#include "ShardedAgreement.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/xxhash.h"

#include <algorithm>
#include <cstring>
#include <type_traits>
#include <vector>

using namespace ::optim;
using namespace ::optim::distributed;

void optim::distributed::copyMessage(char (&field)[kMessageBytes],
                                     llvm::StringRef text) {
  size_t n = std::min(text.size(), kMessageBytes - 1);
  std::memcpy(field, text.data(), n);
  field[n] = '\0';
}

uint64_t optim::distributed::hashWords(llvm::ArrayRef<uint64_t> words) {
  return llvm::xxh3_64bits(
      llvm::ArrayRef(reinterpret_cast<const uint8_t *>(words.data()),
                     words.size() * sizeof(uint64_t)));
}

namespace {
/// A verdict and a message, for the slow path of steps and for imports.
struct Verdict {
  int64_t failed;
  int64_t steps;
  uint64_t runId;
  char message[kMessageBytes];
};

template <typename T>
llvm::Expected<std::vector<T>> gatherRecords(Communicator &comm,
                                             const T &mine) {
  static_assert(std::is_trivially_copyable_v<T>);
  std::vector<T> all(comm.getSize());
  if (llvm::Error error = comm.allGather(&mine, all.data(), sizeof(T)))
    return std::move(error);
  return all;
}

/// The first failing rank's message, prefixed by its rank, or success.
template <typename T>
llvm::Error firstFailure(llvm::ArrayRef<T> all, llvm::StringRef doing) {
  for (auto [rank, record] : llvm::enumerate(all))
    if (record.failed)
      return llvm::createStringError(
          llvm::formatv("{0}: rank {1} of {2}: {3}", doing, rank, all.size(),
                        record.message)
              .str());
  return llvm::Error::success();
}

Verdict makeVerdict(llvm::Error local, int64_t steps, uint64_t runId = 0) {
  Verdict verdict;
  std::memset(&verdict, 0, sizeof(verdict));
  verdict.steps = steps;
  verdict.runId = runId;
  if (local) {
    verdict.failed = 1;
    copyMessage(verdict.message, llvm::toString(std::move(local)));
  }
  return verdict;
}
} // namespace

llvm::Error optim::distributed::agreeOnCreation(Communicator &comm,
                                                const RankReport &report,
                                                uint64_t &runId) {
  auto all = gatherRecords(comm, report);
  if (!all)
    return all.takeError();
  llvm::ArrayRef<RankReport> reports = *all;
  constexpr llvm::StringLiteral doing = "sharded optimizer not created";
  if (llvm::Error error = firstFailure(reports, doing))
    return error;
  const RankReport &first = reports.front();
  for (auto [rank, r] : llvm::enumerate(reports)) {
    auto differ = [&, rank = rank](llvm::StringRef what,
                                   llvm::StringRef detail = "") {
      return llvm::createStringError(
          llvm::formatv("{0}: ranks disagree on {1}: rank 0 and rank {2} "
                        "differ{3}",
                        doing, what, rank, detail)
              .str());
    };
    if (r.configHash != first.configHash)
      return differ("the step configuration",
                    llvm::formatv(" ('{0}' vs '{1}')", first.message,
                                  r.message)
                        .str());
    if (r.numParams != first.numParams ||
        r.totalElements != first.totalElements || r.sizesHash != first.sizesHash)
      return differ(
          "the parameters",
          llvm::formatv(" ({0} tensors of {1} elements in all vs {2} of {3}{4})",
                        first.numParams, first.totalElements, r.numParams,
                        r.totalElements,
                        r.numParams == first.numParams &&
                                r.totalElements == first.totalElements
                            ? ", sized differently"
                            : "")
              .str());
    if (r.reduction != first.reduction)
      return differ("the gradient reduction (sum or mean)");
    if (r.hyperHash != first.hyperHash)
      return differ("the hyperparameters (lr, betas, eps, weight decay, "
                    "first step, preprocessing scalars, clipping bound, "
                    "rounding seed and stream)");
    if (r.valuesHash != first.valuesHash)
      return differ("the initial parameter values",
                    " (initialise them identically, e.g. broadcast rank 0's)");
  }
  runId = first.runId;
  return llvm::Error::success();
}

llvm::Error optim::distributed::agreeOnStep(Communicator &comm,
                                            llvm::Error local,
                                            uint64_t scalarsHash,
                                            bool foundInf, int64_t step,
                                            StepVerdict &verdict) {
  bool failed = static_cast<bool>(local);
  std::string message = failed ? llvm::toString(std::move(local)) : "";
  // Maxima of the hash's 32-bit halves and of their negations give the
  // largest and smallest hash over the ranks: equal iff every rank agrees.
  double hi = static_cast<double>(scalarsHash >> 32);
  double lo = static_cast<double>(scalarsHash & 0xffffffffu);
  double values[] = {failed ? 1.0 : 0.0, foundInf ? 1.0 : 0.0, hi, lo, -hi,
                     -lo};
  if (llvm::Error error = comm.allReduceMax(values, 6))
    return error;
  std::string doing = llvm::formatv("sharded step {0} not taken", step).str();
  if (values[0] != 0) {
    Verdict mine = makeVerdict(
        failed ? llvm::createStringError(message) : llvm::Error::success(), 0);
    auto all = gatherRecords(comm, mine);
    if (!all)
      return all.takeError();
    return firstFailure(llvm::ArrayRef<Verdict>(*all), doing);
  }
  if (values[2] != -values[4] || values[3] != -values[5])
    return llvm::createStringError(
        doing + ": ranks disagree on the step's scalars (learning rate, "
                "betas, eps, weight decay, step count, preprocessing "
                "scalars, clipping bound, rounding seed and stream): set "
                "the same values on every rank");
  verdict.skip = values[1] != 0;
  return llvm::Error::success();
}

llvm::Error optim::distributed::agreeOnOutcome(Communicator &comm,
                                               llvm::Error local,
                                               llvm::StringRef doing) {
  auto all = gatherRecords(comm, makeVerdict(std::move(local), 0));
  if (!all)
    return all.takeError();
  return firstFailure(llvm::ArrayRef<Verdict>(*all), doing);
}

llvm::Error optim::distributed::agreeOnImport(Communicator &comm,
                                              llvm::Error local, int64_t steps,
                                              uint64_t runId) {
  auto all = gatherRecords(comm, makeVerdict(std::move(local), steps, runId));
  if (!all)
    return all.takeError();
  llvm::ArrayRef<Verdict> verdicts = *all;
  constexpr llvm::StringLiteral doing = "sharded optimizer state not loaded";
  if (llvm::Error error = firstFailure(verdicts, doing))
    return error;
  for (auto [rank, v] : llvm::enumerate(verdicts)) {
    if (v.steps != verdicts.front().steps)
      return llvm::createStringError(
          llvm::formatv("{0}: the ranks' checkpoints are of different steps "
                        "(rank 0 after {1} steps, rank {2} after {3})",
                        doing, verdicts.front().steps, rank, v.steps)
              .str());
    if (v.runId != verdicts.front().runId)
      return llvm::createStringError(
          llvm::formatv("{0}: the ranks' checkpoints come from different "
                        "runs (rank 0's and rank {1}'s)",
                        doing, rank)
              .str());
  }
  return llvm::Error::success();
}
