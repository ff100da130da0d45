//===- StateBlob.h - what every optim state file shares ---------*- C++ -*-===//
//
// The optimizer's and the sharded optimizer's state blobs have the same
// frame: a text header that starts with a magic word and a format version,
// raw host-endian moment buffers, and a last line "xxh3 <16 hex digits>\n"
// over every byte before it. This is that frame, the check that moments are
// values a step can produce, and atomic files.
//
//===----------------------------------------------------------------------===//

#ifndef OPTIM_LIB_RUNTIME_STATEBLOB_H
#define OPTIM_LIB_RUNTIME_STATEBLOB_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>

namespace optim::detail {

/// Appends the checksum line over all of `blob`.
void sealStateBlob(std::string &blob);

/// Checks, in this order, that `blob` starts with `magic` (else "not a[n]
/// <what> blob"), that the version after it is `version` (an old file is
/// named as such), and that it ends with a matching checksum line (a
/// truncated blob loses it, a changed byte changes the hash). Returns the
/// body: everything before the checksum line, header included.
llvm::Expected<llvm::StringRef> openStateBlob(llvm::StringRef blob,
                                              llvm::StringRef magic,
                                              llvm::StringRef version,
                                              llvm::StringRef what);

/// Moments a step can produce from finite values, for `bytes` of
/// `momentSize`-byte (bf16, f32 or f64) elements: finite, and non-negative when
/// `nonNegative` (exp_avg_sq, max_exp_avg_sq: a negative one makes sqrt
/// NaN). The error reads "<role>[i] must be finite..., got x".
llvm::Error checkMomentValues(llvm::StringRef bytes, size_t momentSize,
                              bool nonNegative, llvm::StringRef role);

/// Writes `data` to a unique temporary file beside `path`, then renames it
/// over `path`: readers (and a crash) see the old file or the new one,
/// never a part. With `sync` the data is on disk before the rename, so a
/// power loss does not leave the new name on a partial file either (state
/// files; the kernel cache's checksummed entries need not pay for it).
llvm::Error writeFileAtomically(llvm::StringRef path, llvm::StringRef data,
                                bool sync);

/// The whole of the file at `path`.
llvm::Expected<std::string> readWholeFile(llvm::StringRef path);

} // namespace optim::detail

#endif // OPTIM_LIB_RUNTIME_STATEBLOB_H
