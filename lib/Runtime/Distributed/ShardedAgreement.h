//===- ShardedAgreement.h - ranks agree before they write -------*- C++ -*-===//
//
// The sharded optimizer's collective calls must succeed or fail together: a
// rank that returned early would leave the others waiting in a collective
// forever, and a rank that wrote while another refused would leave them
// inconsistent. Each call therefore decides locally, exchanges the verdicts
// (and fingerprints of what must agree), and turns them into one outcome
// that is identical on every rank, errors word for word.
//
//===----------------------------------------------------------------------===//

#ifndef OPTIM_LIB_RUNTIME_DISTRIBUTED_SHARDEDAGREEMENT_H
#define OPTIM_LIB_RUNTIME_DISTRIBUTED_SHARDEDAGREEMENT_H

#include "optim/Runtime/Distributed/Communicator.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>

namespace optim {
namespace distributed {

/// Room for one rank's error message in the exchanged records.
constexpr size_t kMessageBytes = 384;

/// Copies `text` into a fixed, NUL-terminated field (truncating).
void copyMessage(char (&field)[kMessageBytes], llvm::StringRef text);

/// A fingerprint of `words` (xxh3).
uint64_t hashWords(llvm::ArrayRef<uint64_t> words);

/// One rank's view at creation, all-gathered as plain bytes (zero-filled, so
/// that equal views are equal bytes).
struct RankReport {
  uint64_t configHash;
  uint64_t sizesHash;
  uint64_t hyperHash;
  uint64_t valuesHash;
  int64_t numParams;
  int64_t totalElements;
  /// A random number of each rank's; rank 0's names the run (checkpoints).
  uint64_t runId;
  int32_t reduction;
  int32_t failed;
  /// The error when `failed`, else the configuration key (for messages).
  char message[kMessageBytes];
};

/// All-gathers the reports; returns the first failing rank's error, or the
/// first disagreement with rank 0, on every rank alike. On success `runId`
/// is rank 0's.
llvm::Error agreeOnCreation(Communicator &comm, const RankReport &report,
                            uint64_t &runId);

struct StepVerdict {
  /// Some rank passed a non-zero found_inf: every rank skips the step.
  bool skip = false;
};

/// One small all-reduce on the normal path: this rank's verdict `local`,
/// the hash of its step scalars and its found_inf flag. Only when a rank
/// failed are the messages all-gathered (every rank takes that path).
llvm::Error agreeOnStep(Communicator &comm, llvm::Error local,
                        uint64_t scalarsHash, bool foundInf, int64_t step,
                        StepVerdict &verdict);

/// The ranks' verdicts alone: the first failing rank's error, prefixed by
/// `doing`, or success, on every rank alike.
llvm::Error agreeOnOutcome(Communicator &comm, llvm::Error local,
                           llvm::StringRef doing);

/// For checkpoints: the ranks' verdicts and the step counts and runs they
/// would restore, which must be equal.
llvm::Error agreeOnImport(Communicator &comm, llvm::Error local, int64_t steps,
                          uint64_t runId);

} // namespace distributed
} // namespace optim

#endif // OPTIM_LIB_RUNTIME_DISTRIBUTED_SHARDEDAGREEMENT_H
