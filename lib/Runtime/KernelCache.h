//===- KernelCache.h - compiled steps kept on disk --------------*- C++ -*-===//
//
// A directory of compiled CPU step objects shared by every process of one
// user, so that a second process loads a step instead of compiling it (as
// Triton's cache does). An entry is the relocatable object the compiler
// produced, behind a small header:
//
//   magic "OPTIMKC\n" | u32 format version | u32 key size | u64 object size |
//   u64 xxh3 of key and object | key | object
//
// The key is the step's StepConfig::key() plus getHostIdentity(): the
// sources optim was built from, the LLVM version, and the host CPU and its
// features. The file is named by a hash of the key and holds the full key,
// so a name collision is a miss, not a wrong kernel. Writers publish an
// entry by renaming a complete temporary file over it, so readers see a
// whole entry or none; an entry that fails any check is reported as corrupt
// and rebuilt by the caller.
//
//===----------------------------------------------------------------------===//

#ifndef OPTIM_LIB_RUNTIME_KERNELCACHE_H
#define OPTIM_LIB_RUNTIME_KERNELCACHE_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <optional>
#include <string>

namespace optim::detail {

class KernelCache {
public:
  /// Bumped whenever the entry layout or what an object means changes.
  static constexpr uint32_t kFormatVersion = 1;

  /// The directory the cache lives in: `explicitDirectory` if not empty,
  /// else $OPTIM_CACHE_DIR, else $XDG_CACHE_HOME/optim or ~/.cache/optim.
  /// None when OPTIM_CACHE_DISABLE is set (to anything but "" or "0") or no
  /// per-user directory is known.
  static std::optional<std::string>
  chooseDirectory(llvm::StringRef explicitDirectory);

  /// What, besides the configuration, decides the code of a step: optim's
  /// build (a hash of its sources), the LLVM version, and the host CPU's
  /// name and features. Computed once per process.
  static llvm::StringRef getHostIdentity();

  /// A cache in `directory` for code of `hostIdentity` (tests pass another
  /// identity to play a different host).
  explicit KernelCache(std::string directory,
                       std::string hostIdentity = getHostIdentity().str())
      : directory(std::move(directory)), hostIdentity(std::move(hostIdentity)) {
  }

  const std::string &getDirectory() const { return directory; }

  /// The full key of a configuration: its StepConfig::key() and the host
  /// identity.
  std::string makeKey(llvm::StringRef configKey) const;

  /// The path of the entry for a configuration.
  std::string getEntryPath(llvm::StringRef configKey) const;

  enum class LookupResult { Hit, Miss, Corrupt };
  /// Reads the entry for a configuration into `object`. Corrupt: the file
  /// exists but is truncated, fails its checksum, or holds another key or
  /// format version.
  LookupResult lookup(llvm::StringRef configKey, std::string &object) const;

  /// Writes the entry for a configuration atomically (a temporary file in
  /// the directory, renamed over the entry), replacing any existing one.
  /// Creates the directory if needed.
  llvm::Error store(llvm::StringRef configKey, llvm::StringRef object) const;

  /// Serialises and parses entries under a full key (exposed for tests).
  static std::string encodeEntry(llvm::StringRef key, llvm::StringRef object);
  static LookupResult decodeEntry(llvm::StringRef bytes, llvm::StringRef key,
                                  std::string &object);

private:
  std::string directory;
  std::string hostIdentity;
};

} // namespace optim::detail

#endif // OPTIM_LIB_RUNTIME_KERNELCACHE_H
