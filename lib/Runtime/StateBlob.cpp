//===- StateBlob.cpp - what every optim state file shares -----------------===//

#include "StateBlob.h"

#include "optim/Support/ScalarChecks.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Support/xxhash.h"

#include <cerrno>
#include <cmath>
#include <cstring>

#include <unistd.h>

using namespace ::optim;

namespace {
constexpr llvm::StringLiteral kChecksumTag = "xxh3 ";
constexpr size_t kChecksumLineSize = kChecksumTag.size() + 16 + 1;

std::string formatChecksum(llvm::StringRef data) {
  return (kChecksumTag +
          llvm::utohexstr(llvm::xxh3_64bits(data), /*LowerCase=*/true,
                          /*Width=*/16) +
          "\n")
      .str();
}

template <typename T>
llvm::Error checkValues(llvm::StringRef bytes, bool nonNegative,
                        llvm::StringRef role, ComputeType type) {
  for (size_t i = 0; i + sizeof(T) <= bytes.size(); i += sizeof(T)) {
    T x;
    std::memcpy(&x, bytes.data() + i, sizeof(T));
    if (std::isfinite(x) && (!nonNegative || x >= 0))
      continue;
    return llvm::createStringError(
        llvm::formatv("{0}[{1}] must be {2}, got {3}", role, i / sizeof(T),
                      nonNegative ? "finite and non-negative" : "finite",
                      formatScalar(x, type))
            .str());
  }
  return llvm::Error::success();
}
} // namespace

void detail::sealStateBlob(std::string &blob) {
  blob += formatChecksum(blob);
}

llvm::Expected<llvm::StringRef>
detail::openStateBlob(llvm::StringRef blob, llvm::StringRef magic,
                      llvm::StringRef version, llvm::StringRef what) {
  if (!blob.starts_with(magic))
    return llvm::createStringError(
        (llvm::Twine("not ") +
         (llvm::StringRef("aeiou").contains(what.front()) ? "an " : "a ") +
         what + " blob")
            .str());
  llvm::StringRef found = blob.drop_front(magic.size()).take_until([](char c) {
    return c == ' ' || c == '\n';
  });
  if (found != version)
    return llvm::createStringError(
        llvm::formatv("{0} format '{1}' is not supported (this build reads "
                      "'{2}')",
                      what, found.take_front(16), version)
            .str());
  if (blob.size() < kChecksumLineSize ||
      !blob.take_back(kChecksumLineSize).starts_with(kChecksumTag))
    return llvm::createStringError(
        ("truncated or damaged " + what +
         " blob: it does not end with its checksum line")
            .str());
  llvm::StringRef body = blob.drop_back(kChecksumLineSize);
  if (blob.take_back(kChecksumLineSize) != formatChecksum(body))
    return llvm::createStringError(
        ("corrupted " + what + " blob: checksum mismatch").str());
  return body;
}

llvm::Error detail::checkMomentValues(llvm::StringRef bytes, size_t momentSize,
                                      bool nonNegative, llvm::StringRef role) {
  if (momentSize == sizeof(double))
    return checkValues<double>(bytes, nonNegative, role, ComputeType::f64);
  if (momentSize == sizeof(float))
    return checkValues<float>(bytes, nonNegative, role, ComputeType::f32);
  // bf16 storage: the upper half of an f32, widened to check it.
  std::string wide(bytes.size() * 2, '\0');
  for (size_t i = 0; i + 2 <= bytes.size(); i += 2) {
    uint32_t bits = 0;
    uint16_t half;
    std::memcpy(&half, bytes.data() + i, 2);
    bits = uint32_t(half) << 16;
    std::memcpy(&wide[i * 2], &bits, 4);
  }
  return checkValues<float>(wide, nonNegative, role, ComputeType::f32);
}

llvm::Error detail::writeFileAtomically(llvm::StringRef path,
                                        llvm::StringRef data, bool sync) {
  // In the same directory, so that the rename stays within one file system.
  int fd;
  llvm::SmallString<128> temp;
  if (std::error_code ec =
          llvm::sys::fs::createUniqueFile(path + ".tmp-%%%%%%%%", fd, temp))
    return llvm::createStringError(ec, "cannot create a temporary file "
                                       "beside " +
                                           path + ": " + ec.message());
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    os << data;
    os.flush();
    std::error_code synced;
    if (sync && !os.has_error() && ::fsync(fd) != 0)
      synced = std::error_code(errno, std::generic_category());
    os.close();
    if (os.has_error() || synced) {
      std::error_code ec = os.has_error() ? os.error() : synced;
      os.clear_error();
      llvm::sys::fs::remove(temp);
      return llvm::createStringError(ec, "cannot write " + temp + ": " +
                                             ec.message());
    }
  }
  if (std::error_code ec = llvm::sys::fs::rename(temp, path)) {
    llvm::sys::fs::remove(temp);
    return llvm::createStringError(ec, "cannot rename " + temp + " to " +
                                           path + ": " + ec.message());
  }
  return llvm::Error::success();
}

llvm::Expected<std::string> detail::readWholeFile(llvm::StringRef path) {
  // A FIFO would block until a writer comes, a device (/dev/zero) read
  // without end: only regular files are state files.
  llvm::sys::fs::file_status status;
  if (!llvm::sys::fs::status(path, status) &&
      status.type() != llvm::sys::fs::file_type::regular_file)
    return llvm::createStringError(
        std::make_error_code(std::errc::invalid_argument),
        "cannot read " + path + ": not a regular file");
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return llvm::createStringError(buffer.getError(),
                                   "cannot read " + path + ": " +
                                       buffer.getError().message());
  return (*buffer)->getBuffer().str();
}
