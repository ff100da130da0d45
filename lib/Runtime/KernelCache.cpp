//===- KernelCache.cpp - compiled steps kept on disk ----------------------===//

#include "KernelCache.h"

#include "OptimBuildId.h"
#include "StateBlob.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/EndianStream.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Support/xxhash.h"
#include "llvm/TargetParser/Host.h"

#include <cstdlib>

using namespace ::optim::detail;

namespace {
constexpr llvm::StringLiteral kMagic = "OPTIMKC\n";
/// magic, version, key size, object size, checksum.
constexpr size_t kHeaderSize = 8 + 4 + 4 + 8 + 8;
constexpr llvm::StringLiteral kEntrySuffix = ".optimk";

uint64_t checksum(llvm::StringRef key, llvm::StringRef object) {
  std::string bytes = (key + object).str();
  return llvm::xxh3_64bits(llvm::arrayRefFromStringRef(bytes));
}
} // namespace

std::optional<std::string>
KernelCache::chooseDirectory(llvm::StringRef explicitDirectory) {
  if (const char *disable = std::getenv("OPTIM_CACHE_DISABLE"))
    if (llvm::StringRef(disable) != "" && llvm::StringRef(disable) != "0")
      return std::nullopt;
  if (!explicitDirectory.empty())
    return explicitDirectory.str();
  if (const char *dir = std::getenv("OPTIM_CACHE_DIR"); dir && *dir)
    return std::string(dir);
  // $XDG_CACHE_HOME, else $HOME/.cache.
  llvm::SmallString<128> path;
  if (!llvm::sys::path::cache_directory(path))
    return std::nullopt;
  llvm::sys::path::append(path, "optim");
  return std::string(path);
}

llvm::StringRef KernelCache::getHostIdentity() {
  static const std::string identity = [] {
    std::string text;
    llvm::raw_string_ostream os(text);
    os << "optim-build " << OPTIM_BUILD_ID << "\nllvm " << LLVM_VERSION_STRING
       << "\ncpu " << llvm::sys::getHostCPUName() << "\nfeatures ";
    // Sorted, so that the identity is stable across runs.
    llvm::StringMap<bool> features = llvm::sys::getHostCPUFeatures();
    llvm::SmallVector<llvm::StringRef> names;
    for (const auto &feature : features)
      names.push_back(feature.getKey());
    llvm::sort(names);
    for (llvm::StringRef name : names)
      os << (features.lookup(name) ? '+' : '-') << name << ",";
    return text;
  }();
  return identity;
}

std::string KernelCache::makeKey(llvm::StringRef configKey) const {
  return (configKey + "\n" + hostIdentity).str();
}

std::string KernelCache::getEntryPath(llvm::StringRef configKey) const {
  std::string key = makeKey(configKey);
  llvm::XXH128_hash_t hash =
      llvm::xxh3_128bits(llvm::arrayRefFromStringRef(key));
  llvm::SmallString<128> path(directory);
  llvm::sys::path::append(path, llvm::utohexstr(hash.high64, true, 16) +
                                    llvm::utohexstr(hash.low64, true, 16) +
                                    kEntrySuffix);
  return std::string(path);
}

std::string KernelCache::encodeEntry(llvm::StringRef key,
                                     llvm::StringRef object) {
  using namespace llvm::support;
  std::string bytes;
  bytes.reserve(kHeaderSize + key.size() + object.size());
  llvm::raw_string_ostream os(bytes);
  endian::Writer writer(os, llvm::endianness::little);
  os << kMagic;
  writer.write<uint32_t>(kFormatVersion);
  writer.write<uint32_t>(key.size());
  writer.write<uint64_t>(object.size());
  writer.write<uint64_t>(checksum(key, object));
  os << key << object;
  return bytes;
}

KernelCache::LookupResult KernelCache::decodeEntry(llvm::StringRef bytes,
                                                   llvm::StringRef key,
                                                   std::string &object) {
  using namespace llvm::support;
  if (bytes.size() < kHeaderSize || !bytes.starts_with(kMagic))
    return LookupResult::Corrupt;
  const char *p = bytes.data() + kMagic.size();
  auto version = endian::readNext<uint32_t, llvm::endianness::little>(p);
  auto keySize = endian::readNext<uint32_t, llvm::endianness::little>(p);
  auto objectSize = endian::readNext<uint64_t, llvm::endianness::little>(p);
  auto sum = endian::readNext<uint64_t, llvm::endianness::little>(p);
  // Sizes are checked against the file before any is added to another, so
  // a corrupted size cannot overflow the sum.
  uint64_t available = bytes.size() - kHeaderSize;
  if (version != kFormatVersion || keySize > available ||
      objectSize != available - keySize)
    return LookupResult::Corrupt;
  llvm::StringRef storedKey = bytes.substr(kHeaderSize, keySize);
  llvm::StringRef storedObject = bytes.substr(kHeaderSize + keySize);
  if (checksum(storedKey, storedObject) != sum)
    return LookupResult::Corrupt;
  // A sound entry under another key: two keys whose names collide.
  if (storedKey != key)
    return LookupResult::Corrupt;
  object = storedObject.str();
  return LookupResult::Hit;
}

KernelCache::LookupResult KernelCache::lookup(llvm::StringRef configKey,
                                              std::string &object) const {
  // Missing, unreadable or not a regular file (a FIFO in the entry's place
  // blocked the step, /dev/zero read without end): compiled, and written
  // if the directory allows.
  llvm::Expected<std::string> bytes =
      detail::readWholeFile(getEntryPath(configKey));
  if (!bytes) {
    llvm::consumeError(bytes.takeError());
    return LookupResult::Miss;
  }
  return decodeEntry(*bytes, makeKey(configKey), object);
}

llvm::Error KernelCache::store(llvm::StringRef configKey,
                               llvm::StringRef object) const {
  if (std::error_code ec = llvm::sys::fs::create_directories(directory))
    return llvm::createStringError(ec, "cannot create the kernel cache " +
                                           directory + ": " + ec.message());
  // Concurrent writers each publish a whole entry; the last one wins.
  // An entry lost to a power failure fails its checksum and is compiled
  // again: no fsync.
  return detail::writeFileAtomically(getEntryPath(configKey),
                                     encodeEntry(makeKey(configKey), object),
                                     /*sync=*/false);
}
