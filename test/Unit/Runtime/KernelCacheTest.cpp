//===- KernelCacheTest.cpp - compiled steps kept on disk ------------------===//
//
// The disk cache is observed through CacheStats (loads, compiles, stores,
// rejected entries), never through time. Every test works in a temporary
// directory of its own; a global environment also points OPTIM_CACHE_DIR
// of this whole test binary at a temporary directory, so that no runtime
// test writes into the user's ~/.cache.
//
//===----------------------------------------------------------------------===//

#include "KernelCache.h"
#include "Reference.h"
#include "TestTensor.h"

#include "optim/Runtime/Compiler.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include "gtest/gtest.h"

#include <cstdlib>
#include <optional>
#include <thread>
#include <sys/stat.h>
#include <unistd.h>

using namespace optim;
using optim::detail::KernelCache;
using optim::test::defaultScalars;
using optim::test::referenceStep;
using optim::test::Tensor;

namespace {

std::string makeTempDirectory(llvm::StringRef prefix) {
  llvm::SmallString<128> path;
  std::error_code ec = llvm::sys::fs::createUniqueDirectory(prefix, path);
  EXPECT_FALSE(ec) << ec.message();
  return std::string(path);
}

/// Points OPTIM_CACHE_DIR at a fresh temporary directory for the whole
/// binary (every runtime test that uses the default options) and removes it
/// at the end.
class IsolatedCacheEnvironment : public ::testing::Environment {
public:
  void SetUp() override {
    directory = makeTempDirectory("optim-test-cache");
    ::setenv("OPTIM_CACHE_DIR", directory.c_str(), /*overwrite=*/1);
  }
  void TearDown() override { llvm::sys::fs::remove_directories(directory); }

private:
  std::string directory;
};

[[maybe_unused]] ::testing::Environment *const isolatedCache =
    ::testing::AddGlobalTestEnvironment(new IsolatedCacheEnvironment);

/// Sets (or unsets) an environment variable for one scope.
class ScopedEnv {
public:
  ScopedEnv(const char *name, const char *value) : name(name) {
    if (const char *old = std::getenv(name))
      previous = old;
    if (value)
      ::setenv(name, value, 1);
    else
      ::unsetenv(name);
  }
  ~ScopedEnv() {
    if (previous)
      ::setenv(name, previous->c_str(), 1);
    else
      ::unsetenv(name);
  }

private:
  const char *name;
  std::optional<std::string> previous;
};

StepConfig adamw() {
  return StepConfig::forPreset(Preset::TorchAdamW, ElementType::f32);
}

/// Each test gets its own cache directory, removed afterwards, and runs
/// with the kill switch unset.
class KernelCacheTest : public ::testing::Test {
protected:
  void SetUp() override { directory = makeTempDirectory("optim-kernel-cache"); }
  void TearDown() override { llvm::sys::fs::remove_directories(directory); }

  std::unique_ptr<Compiler> makeCompiler(bool diskCache = true) {
    CompilerOptions options;
    options.numThreads = 1;
    options.diskCache = diskCache;
    options.cacheDirectory = directory;
    auto compiler = Compiler::create(options);
    EXPECT_TRUE(bool(compiler)) << llvm::toString(compiler.takeError());
    return compiler ? std::move(*compiler) : nullptr;
  }

  /// The entry files in the cache directory (temporary files included).
  std::vector<std::string> listDirectory() const {
    std::vector<std::string> names;
    std::error_code ec;
    for (llvm::sys::fs::directory_iterator it(directory, ec), end;
         !ec && it != end; it.increment(ec))
      names.push_back(llvm::sys::path::filename(it->path()).str());
    return names;
  }

  std::string entryPath(const StepConfig &config) const {
    return KernelCache(directory).getEntryPath(config.key());
  }

  std::string directory;
  ScopedEnv noKillSwitch{"OPTIM_CACHE_DISABLE", nullptr};
};

/// Runs `step` three times on random buffers and checks them against the
/// reference step.
void checkAgainstReference(const CompiledStep &step) {
  const StepConfig &config = step.getConfig();
  Tensor<float> t(1000, 5);
  StepScalars s = defaultScalars();
  for (int i = 0; i < 3; ++i, ++s.step) {
    ParamBuffers buffers = t.buffers(config.variant.amsgrad);
    llvm::Error error = step.run(buffers, s);
    ASSERT_FALSE(bool(error)) << llvm::toString(std::move(error));
    referenceStep(config, s, t.gradRef, t.ref);
  }
  EXPECT_LT(t.maxError(config.variant.amsgrad), 2e-5) << config.key();
}

std::string readFile(const std::string &path) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  EXPECT_TRUE(bool(buffer)) << path;
  return buffer ? (*buffer)->getBuffer().str() : "";
}

void writeFile(const std::string &path, llvm::StringRef bytes) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  ASSERT_FALSE(ec) << ec.message();
  os << bytes;
}

} // namespace

TEST_F(KernelCacheTest, SecondCompilerLoadsInsteadOfCompiling) {
  auto first = makeCompiler();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->getCacheDirectory(), directory);
  auto compiled = first->getStep(adamw());
  ASSERT_TRUE(bool(compiled)) << llvm::toString(compiled.takeError());
  CacheStats stats = first->getCacheStats();
  EXPECT_EQ(stats.compiles, 1u);
  EXPECT_EQ(stats.diskLoads, 0u);
  EXPECT_EQ(stats.diskStores, 1u);
  EXPECT_FALSE((*compiled)->getCompileBreakdown().fromDiskCache);
  EXPECT_EQ(listDirectory(),
            std::vector<std::string>{
                llvm::sys::path::filename(entryPath(adamw())).str()});

  // A fresh Compiler has an empty in-memory cache: the step comes from disk.
  auto second = makeCompiler();
  ASSERT_TRUE(second);
  auto loaded = second->getStep(adamw());
  ASSERT_TRUE(bool(loaded)) << llvm::toString(loaded.takeError());
  stats = second->getCacheStats();
  EXPECT_EQ(stats.diskLoads, 1u);
  EXPECT_EQ(stats.compiles, 0u);
  EXPECT_EQ(stats.diskStores, 0u);
  EXPECT_TRUE((*loaded)->getCompileBreakdown().fromDiskCache);
  checkAgainstReference(**loaded);

  // Then from memory.
  ASSERT_TRUE(bool(second->getStep(adamw())));
  EXPECT_EQ(second->getCacheStats().hits, 1u);
  EXPECT_EQ(second->getCacheStats().diskLoads, 1u);

  // Compiled and loaded kernels compute the same bits.
  Tensor<float> a(4099, 9), b(4099, 9);
  StepScalars s = defaultScalars();
  ASSERT_FALSE(bool((*compiled)->run(a.buffers(false), s)));
  ASSERT_FALSE(bool((*loaded)->run(b.buffers(false), s)));
  EXPECT_EQ(a.p, b.p);
  EXPECT_EQ(a.m, b.m);
  EXPECT_EQ(a.v, b.v);
}

TEST_F(KernelCacheTest, CorruptEntriesAreRejectedAndRebuilt) {
  ASSERT_TRUE(bool(makeCompiler()->getStep(adamw())));
  std::string path = entryPath(adamw());
  std::string good = readFile(path);
  ASSERT_GT(good.size(), 100u);

  struct Corruption {
    const char *name;
    std::string bytes;
  };
  auto flip = [&](size_t offset) {
    std::string bytes = good;
    bytes[offset] ^= 0x10;
    return bytes;
  };
  std::vector<Corruption> corruptions = {
      {"a byte of the object flipped", flip(good.size() - 100)},
      {"a byte of the key flipped", flip(40)},
      {"a byte of the checksum flipped", flip(25)},
      {"a byte of the magic flipped", flip(0)},
      {"truncated to half", good.substr(0, good.size() / 2)},
      {"last byte missing", good.substr(0, good.size() - 1)},
      {"truncated inside the header", good.substr(0, 10)},
      {"empty", ""},
      {"a byte appended", good + "x"},
  };
  for (const Corruption &corruption : corruptions) {
    SCOPED_TRACE(corruption.name);
    writeFile(path, corruption.bytes);
    auto compiler = makeCompiler();
    auto step = compiler->getStep(adamw());
    ASSERT_TRUE(bool(step)) << llvm::toString(step.takeError());
    CacheStats stats = compiler->getCacheStats();
    EXPECT_EQ(stats.diskRejected, 1u);
    EXPECT_EQ(stats.diskLoads, 0u);
    EXPECT_EQ(stats.compiles, 1u);
    EXPECT_EQ(stats.diskStores, 1u);
    checkAgainstReference(**step);
    // Rewritten: the next Compiler loads it.
    EXPECT_EQ(readFile(path), good);
    auto next = makeCompiler();
    ASSERT_TRUE(bool(next->getStep(adamw())));
    EXPECT_EQ(next->getCacheStats().diskLoads, 1u);
  }
}

TEST_F(KernelCacheTest, SpecialFilesInAnEntrysPlaceAreNotRead) {
  // A FIFO blocked the lookup until a writer came; /dev/zero was read until
  // memory ran out. Both are misses: compiled, and the entry written over.
  std::string path = entryPath(adamw());
  ASSERT_FALSE(llvm::sys::fs::create_directories(directory));
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  {
    auto compiler = makeCompiler();
    auto step = compiler->getStep(adamw());
    ASSERT_TRUE(bool(step)) << llvm::toString(step.takeError());
    EXPECT_EQ(compiler->getCacheStats().compiles, 1u);
    checkAgainstReference(**step);
  }
  ASSERT_FALSE(llvm::sys::fs::remove(path));
  ASSERT_FALSE(llvm::sys::fs::create_link("/dev/zero", path));
  auto compiler = makeCompiler();
  auto step = compiler->getStep(adamw());
  ASSERT_TRUE(bool(step)) << llvm::toString(step.takeError());
  EXPECT_EQ(compiler->getCacheStats().compiles, 1u);
  EXPECT_EQ(compiler->getCacheStats().diskLoads, 0u);
}

TEST_F(KernelCacheTest, EveryTruncationAndBitFlipIsDetected) {
  std::string key = "adamw:f32\nhost";
  std::string object(300, '\0');
  for (size_t i = 0; i < object.size(); ++i)
    object[i] = char(i * 7);
  std::string entry = KernelCache::encodeEntry(key, object);
  std::string decoded;
  ASSERT_EQ(KernelCache::decodeEntry(entry, key, decoded),
            KernelCache::LookupResult::Hit);
  EXPECT_EQ(decoded, object);
  for (size_t size = 0; size < entry.size(); ++size)
    EXPECT_EQ(KernelCache::decodeEntry(entry.substr(0, size), key, decoded),
              KernelCache::LookupResult::Corrupt)
        << "truncated to " << size;
  for (size_t bit = 0; bit < entry.size() * 8; ++bit) {
    std::string bad = entry;
    bad[bit / 8] ^= char(1 << (bit % 8));
    EXPECT_EQ(KernelCache::decodeEntry(bad, key, decoded),
              KernelCache::LookupResult::Corrupt)
        << "bit " << bit << " flipped";
  }
  // A sound entry under another key (a file name collision).
  EXPECT_EQ(KernelCache::decodeEntry(entry, "adamw:f64\nhost", decoded),
            KernelCache::LookupResult::Corrupt);
}

TEST_F(KernelCacheTest, DisabledCacheWritesNothing) {
  std::string inner = directory + "/inner";
  {
    CompilerOptions options;
    options.numThreads = 1;
    options.diskCache = false;
    options.cacheDirectory = inner;
    auto compiler = llvm::cantFail(Compiler::create(options));
    EXPECT_EQ(compiler->getCacheDirectory(), "");
    auto step = compiler->getStep(adamw());
    ASSERT_TRUE(bool(step));
    checkAgainstReference(**step);
    CacheStats stats = compiler->getCacheStats();
    EXPECT_EQ(stats.compiles, 1u);
    EXPECT_EQ(stats.diskStores, 0u);
  }
  // The kill switch wins over an explicit directory.
  for (const char *value : {"1", "yes"}) {
    ScopedEnv disable("OPTIM_CACHE_DISABLE", value);
    CompilerOptions options;
    options.numThreads = 1;
    options.cacheDirectory = inner;
    auto compiler = llvm::cantFail(Compiler::create(options));
    EXPECT_EQ(compiler->getCacheDirectory(), "");
    ASSERT_TRUE(bool(compiler->getStep(adamw())));
    EXPECT_EQ(compiler->getCacheStats().diskStores, 0u);
  }
  EXPECT_FALSE(llvm::sys::fs::exists(inner));
  EXPECT_TRUE(listDirectory().empty());
  // "0" does not disable.
  ScopedEnv enabled("OPTIM_CACHE_DISABLE", "0");
  EXPECT_EQ(KernelCache::chooseDirectory(inner), inner);
}

TEST_F(KernelCacheTest, DirectoryFromTheEnvironment) {
  ScopedEnv dir("OPTIM_CACHE_DIR", "/some/optim-cache");
  EXPECT_EQ(KernelCache::chooseDirectory(""), "/some/optim-cache");
  EXPECT_EQ(KernelCache::chooseDirectory("/explicit"), "/explicit");
  ScopedEnv noDir("OPTIM_CACHE_DIR", nullptr);
  ScopedEnv xdg("XDG_CACHE_HOME", "/xdg-cache");
  EXPECT_EQ(KernelCache::chooseDirectory(""), "/xdg-cache/optim");
  ScopedEnv noXdg("XDG_CACHE_HOME", nullptr);
  ScopedEnv home("HOME", "/home/someone");
  EXPECT_EQ(KernelCache::chooseDirectory(""), "/home/someone/.cache/optim");
}

TEST_F(KernelCacheTest, UnwritableDirectoryStillCompiles) {
  // A regular file where the directory should be.
  std::string notADirectory = directory + "/file";
  writeFile(notADirectory, "x");
  CompilerOptions options;
  options.numThreads = 1;
  options.cacheDirectory = notADirectory + "/cache";
  auto compiler = llvm::cantFail(Compiler::create(options));
  auto step = compiler->getStep(adamw());
  ASSERT_TRUE(bool(step)) << llvm::toString(step.takeError());
  checkAgainstReference(**step);
  EXPECT_EQ(compiler->getCacheStats().diskStoreFailures, 1u);
}

TEST_F(KernelCacheTest, OtherKeysMiss) {
  auto compiler = makeCompiler();
  StepConfig adam = StepConfig::forPreset(Preset::TorchAdam, ElementType::f32);
  StepConfig fast = adamw();
  fast.fastMath = true;
  StepConfig f64 = StepConfig::forPreset(Preset::TorchAdamW, ElementType::f64);
  for (const StepConfig &config : {adamw(), adam, fast, f64})
    ASSERT_TRUE(bool(compiler->getStep(config)));
  CacheStats stats = compiler->getCacheStats();
  EXPECT_EQ(stats.compiles, 4u);
  EXPECT_EQ(stats.diskLoads, 0u);
  EXPECT_EQ(listDirectory().size(), 4u);

  // Another host (CPU or features), another LLVM or another optim build:
  // the same configuration misses.
  KernelCache here(directory);
  KernelCache elsewhere(directory,
                        KernelCache::getHostIdentity().str() + "+avx512f");
  std::string object;
  EXPECT_EQ(here.lookup(adamw().key(), object), KernelCache::LookupResult::Hit);
  EXPECT_EQ(elsewhere.lookup(adamw().key(), object),
            KernelCache::LookupResult::Miss);
  EXPECT_NE(here.getEntryPath(adamw().key()),
            elsewhere.getEntryPath(adamw().key()));
  // The identity names the build, LLVM and the CPU.
  llvm::StringRef identity = KernelCache::getHostIdentity();
  EXPECT_TRUE(identity.contains("optim-build "));
  EXPECT_TRUE(identity.contains("llvm 22."));
  EXPECT_TRUE(identity.contains("cpu "));
  EXPECT_TRUE(identity.contains("features "));
}

TEST_F(KernelCacheTest, ConcurrentWritersLeaveAValidEntry) {
  auto compiler = makeCompiler(/*diskCache=*/false);
  auto object = compiler->emitObject(adamw());
  ASSERT_TRUE(bool(object)) << llvm::toString(object.takeError());
  KernelCache cache(directory);
  std::vector<std::thread> writers;
  for (int i = 0; i < 8; ++i)
    writers.emplace_back([&] {
      for (int j = 0; j < 20; ++j)
        EXPECT_FALSE(bool(cache.store(adamw().key(), *object)));
    });
  // Readers see a whole entry or none, never a torn one.
  std::thread reader([&] {
    for (int j = 0; j < 200; ++j) {
      std::string read;
      EXPECT_NE(cache.lookup(adamw().key(), read),
                KernelCache::LookupResult::Corrupt);
    }
  });
  for (std::thread &writer : writers)
    writer.join();
  reader.join();
  std::string read;
  EXPECT_EQ(cache.lookup(adamw().key(), read), KernelCache::LookupResult::Hit);
  EXPECT_EQ(read, *object);
  // No temporary file is left behind.
  EXPECT_EQ(listDirectory().size(), 1u);
}

// Several processes compile the same step into one cache directory at once
// (each a fresh run of this binary, executing the child test below); the
// entry they leave loads and computes the reference.
TEST_F(KernelCacheTest, ConcurrentProcessesLeaveAValidEntry) {
  std::string self = llvm::sys::fs::getMainExecutable(
      nullptr, reinterpret_cast<void *>(&makeTempDirectory));
  // This process's environment (without the kill switch) and the
  // directory.
  std::string variable = "OPTIM_TEST_CHILD_CACHE_DIR=" + directory;
  std::vector<llvm::StringRef> environment = {variable};
  for (char **entry = environ; *entry; ++entry)
    environment.push_back(*entry);
  std::vector<llvm::sys::ProcessInfo> children;
  llvm::StringRef args[] = {self,
                            "--gtest_filter=KernelCacheChild.CompileInto"};
  for (int i = 0; i < 4; ++i) {
    std::string error;
    // The children's gtest reports are dropped; failures show in stderr
    // and the exit status.
    std::optional<llvm::StringRef> redirects[] = {std::nullopt, "",
                                                  std::nullopt};
    children.push_back(llvm::sys::ExecuteNoWait(self, args, environment,
                                                redirects, 0, &error));
    ASSERT_NE(children.back().Pid, llvm::sys::ProcessInfo::InvalidPid) << error;
  }
  for (llvm::sys::ProcessInfo &child : children) {
    std::string error;
    llvm::sys::ProcessInfo done = llvm::sys::Wait(child, std::nullopt, &error);
    EXPECT_EQ(done.ReturnCode, 0) << error;
  }
  EXPECT_EQ(listDirectory().size(), 1u);
  auto compiler = makeCompiler();
  auto step = compiler->getStep(adamw());
  ASSERT_TRUE(bool(step)) << llvm::toString(step.takeError());
  EXPECT_EQ(compiler->getCacheStats().diskLoads, 1u);
  checkAgainstReference(**step);
}

// The child of ConcurrentProcessesLeaveAValidEntry; skipped on its own.
TEST(KernelCacheChild, CompileInto) {
  const char *directory = std::getenv("OPTIM_TEST_CHILD_CACHE_DIR");
  if (!directory)
    GTEST_SKIP()
        << "run by KernelCacheTest.ConcurrentProcessesLeaveAValidEntry";
  CompilerOptions options;
  options.numThreads = 1;
  options.cacheDirectory = directory;
  auto compiler = llvm::cantFail(Compiler::create(options));
  auto step = compiler->getStep(adamw());
  ASSERT_TRUE(bool(step)) << llvm::toString(step.takeError());
  checkAgainstReference(**step);
  CacheStats stats = compiler->getCacheStats();
  EXPECT_EQ(stats.diskLoads + stats.diskStores, 1u);
  EXPECT_EQ(stats.diskRejected, 0u);
}
