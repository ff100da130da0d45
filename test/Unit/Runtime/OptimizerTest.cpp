//===- OptimizerTest.cpp - the stateful optimizer -------------------------===//

#include "Reference.h"
#include "SharedCompiler.h"

#include "optim/Runtime/Optimizer.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Support/xxhash.h"
#include "gtest/gtest.h"

#include <cmath>
#include <cstring>

#include <sys/stat.h>

using namespace optim;

namespace {
Compiler &getCompiler() { return test::getSharedCompiler(); }
} // namespace

TEST(Optimizer, StepsMatchTheReferenceWithASchedule) {
  StepConfig config = StepConfig::forPreset(
      Preset::TorchAdamW, ElementType::f64, PresetOptions{true, false});
  std::vector<double> w(1000), b(7);
  for (size_t i = 0; i < w.size(); ++i)
    w[i] = std::sin(0.1 * i);
  for (size_t i = 0; i < b.size(); ++i)
    b[i] = 0.5 - 0.1 * i;
  StepScalars hyper;
  hyper.lr = 1e-2;
  hyper.weightDecay = 1e-2;
  auto opt = Optimizer::create(getCompiler(), config, hyper,
                               {{w.data(), 1000}, {b.data(), 7}});
  ASSERT_TRUE(bool(opt)) << llvm::toString(opt.takeError());
  uint64_t misses = getCompiler().getCacheStats().misses;

  test::RefState rw{{w.begin(), w.end()},
                    std::vector<double>(1000),
                    std::vector<double>(1000),
                    std::vector<double>(1000)};
  test::RefState rb{{b.begin(), b.end()},
                    std::vector<double>(7),
                    std::vector<double>(7),
                    std::vector<double>(7)};
  std::vector<double> gw(1000), gb(7);
  for (int t = 1; t <= 5; ++t) {
    for (size_t i = 0; i < gw.size(); ++i)
      gw[i] = std::cos(0.3 * i + t);
    for (size_t i = 0; i < gb.size(); ++i)
      gb[i] = 0.01 * t * i;
    (*opt)->setLearningRate(1e-2 / t);
    ASSERT_FALSE(bool((*opt)->step({gw.data(), gb.data()})));
    StepScalars s = hyper;
    s.lr = 1e-2 / t;
    s.step = t;
    test::referenceStep(config, s, gw, rw);
    test::referenceStep(config, s, gb, rb);
  }
  EXPECT_EQ((*opt)->getStepCount(), 5);
  // A learning-rate schedule never recompiles.
  EXPECT_EQ(getCompiler().getCacheStats().misses, misses);
  for (size_t i = 0; i < w.size(); ++i)
    ASSERT_NEAR(w[i], rw.p[i], 1e-12 * (1 + std::fabs(rw.p[i])));
  for (size_t i = 0; i < b.size(); ++i)
    ASSERT_NEAR(b[i], rb.p[i], 1e-12 * (1 + std::fabs(rb.p[i])));
  auto *m = static_cast<const double *>((*opt)->getExpAvg(0));
  EXPECT_NEAR(m[10], rw.m[10], 1e-14);
}

TEST(Optimizer, FoundInfSkipsTheStepAndTheCount) {
  StepConfig config =
      StepConfig::forPreset(Preset::TorchAdam, ElementType::f32);
  std::vector<float> w(100, 1.0f), g(100, 0.5f);
  auto opt = llvm::cantFail(Optimizer::create(
      getCompiler(), config, StepScalars(), {{w.data(), 100}}));
  ASSERT_FALSE(bool(opt->step({g.data()}, /*foundInf=*/1.0)));
  EXPECT_EQ(opt->getStepCount(), 0);
  EXPECT_EQ(w[0], 1.0f);
  ASSERT_FALSE(bool(opt->step({g.data()})));
  EXPECT_EQ(opt->getStepCount(), 1);
  EXPECT_LT(w[0], 1.0f);
}

TEST(Optimizer, ExportImportRoundTrip) {
  StepConfig config = StepConfig::forPreset(
      Preset::TorchAdamW, ElementType::f32, PresetOptions{true, false});
  std::vector<float> w1(33, 1.0f), w2(33, 1.0f), g(33);
  for (size_t i = 0; i < g.size(); ++i)
    g[i] = 0.1f * i - 1.0f;
  auto a = llvm::cantFail(Optimizer::create(getCompiler(), config,
                                            StepScalars(), {{w1.data(), 33}}));
  auto b = llvm::cantFail(Optimizer::create(getCompiler(), config,
                                            StepScalars(), {{w2.data(), 33}}));
  for (int i = 0; i < 3; ++i)
    ASSERT_FALSE(bool(a->step({g.data()})));
  std::string blob = a->exportState();
  w2 = w1;
  ASSERT_FALSE(bool(b->importState(blob)));
  EXPECT_EQ(b->getStepCount(), 3);
  ASSERT_FALSE(bool(a->step({g.data()})));
  ASSERT_FALSE(bool(b->step({g.data()})));
  EXPECT_EQ(w1, w2);
  EXPECT_EQ(0, std::memcmp(a->getMaxExpAvgSq(0), b->getMaxExpAvgSq(0),
                           33 * sizeof(float)));
}

TEST(Optimizer, ImportRejectsMismatchesAndChangesNothing) {
  StepConfig config =
      StepConfig::forPreset(Preset::TorchAdamW, ElementType::f32);
  std::vector<float> w(8, 1.0f), g(8, 0.5f), other(9, 1.0f);
  auto a = llvm::cantFail(
      Optimizer::create(getCompiler(), config, StepScalars(), {{w.data(), 8}}));
  auto b = llvm::cantFail(Optimizer::create(
      getCompiler(), config, StepScalars(), {{other.data(), 9}}));
  ASSERT_FALSE(bool(a->step({g.data()})));
  std::string blob = a->exportState();

  auto expectError = [](llvm::Error error, llvm::StringRef text) {
    ASSERT_TRUE(bool(error));
    std::string message = llvm::toString(std::move(error));
    EXPECT_NE(message.find(text.str()), std::string::npos) << message;
  };
  expectError(b->importState(blob), "param #0: state has 8 elements");
  EXPECT_EQ(b->getStepCount(), 0);
  expectError(a->importState("garbage"), "not an optim state blob");
  expectError(a->importState(blob.substr(0, blob.size() - 4)), "truncated");
  auto c = llvm::cantFail(Optimizer::create(
      getCompiler(), StepConfig::forPreset(Preset::TorchAdam, ElementType::f32),
      StepScalars(), {{w.data(), 8}}));
  expectError(c->importState(blob), "state was saved for");
  EXPECT_EQ(a->getStepCount(), 1);
}

TEST(Optimizer, WrongGradientCountIsAnError) {
  StepConfig config =
      StepConfig::forPreset(Preset::TorchAdam, ElementType::f32);
  std::vector<float> w(8, 1.0f), g(8, 0.5f);
  auto opt = llvm::cantFail(
      Optimizer::create(getCompiler(), config, StepScalars(), {{w.data(), 8}}));
  llvm::Error error = opt->step({g.data(), g.data()});
  ASSERT_TRUE(bool(error));
  EXPECT_NE(
      llvm::toString(std::move(error)).find("expected 1 gradients, got 2"),
      std::string::npos);
  EXPECT_EQ(w[0], 1.0f);
}

TEST(Optimizer, MindSporePowersAreTracked) {
  // ApplyAdamWithAmsgradV2 takes beta powers: the optimizer derives them
  // from its step count.
  StepConfig config = StepConfig::forPreset(
      Preset::MindSporeApplyAdamWithAmsgradV2, ElementType::f64);
  std::vector<double> w(16, 0.2), g(16, 0.3);
  StepScalars hyper;
  hyper.lr = 0.01;
  auto opt = llvm::cantFail(
      Optimizer::create(getCompiler(), config, hyper, {{w.data(), 16}}));
  test::RefState ref{std::vector<double>(16, 0.2), std::vector<double>(16),
                     std::vector<double>(16), std::vector<double>(16)};
  for (int t = 1; t <= 4; ++t) {
    ASSERT_FALSE(bool(opt->step({g.data()})));
    StepScalars s = hyper;
    s.beta1Power = std::pow(s.beta1, t);
    s.beta2Power = std::pow(s.beta2, t);
    test::referenceStep(config, s, g, ref);
  }
  EXPECT_NEAR(w[3], ref.p[3], 1e-13);
}

TEST(Optimizer, GpuConfigurationsAreRejected) {
  StepConfig config =
      StepConfig::forPreset(Preset::TorchAdamW, ElementType::f32);
  config.target = Target::GPU;
  std::vector<float> w(8, 1.0f);
  auto opt =
      Optimizer::create(getCompiler(), config, StepScalars(), {{w.data(), 8}});
  ASSERT_FALSE(bool(opt));
  EXPECT_NE(llvm::toString(opt.takeError()).find("host memory"),
            std::string::npos);
}

//===----------------------------------------------------------------------===//
// State import: hostile blobs
//===----------------------------------------------------------------------===//

namespace {
constexpr size_t kChecksumLine = 22; // "xxh3 " + 16 hex digits + "\n"

/// `blob` without its checksum line, changed by `edit`, with a fresh
/// checksum: what someone who knows the format can forge.
std::string reseal(const std::string &blob,
                   llvm::function_ref<void(std::string &)> edit) {
  std::string body = blob.substr(0, blob.size() - kChecksumLine);
  edit(body);
  return body + "xxh3 " +
         llvm::utohexstr(llvm::xxh3_64bits(body), /*LowerCase=*/true, 16) +
         "\n";
}

/// The header's step count replaced by `steps`.
std::string withStepCount(const std::string &blob, llvm::StringRef steps) {
  return reseal(blob, [&](std::string &body) {
    size_t eol = body.find('\n');
    size_t lastSpace = body.rfind(' ', eol);
    body.replace(lastSpace + 1, eol - lastSpace - 1, steps.str());
  });
}

/// An AMSGrad optimizer over two f32 parameters after two steps, and the
/// means to check that a rejected import changed nothing.
struct ImportFixture {
  StepConfig config = StepConfig::forPreset(
      Preset::TorchAdamW, ElementType::f32, PresetOptions{true, false});
  std::vector<float> w = std::vector<float>(40, 1.0f);
  std::vector<float> b = std::vector<float>(3, -1.0f);
  std::vector<float> dw, db = std::vector<float>(3, 0.25f);
  std::unique_ptr<Optimizer> opt;
  std::string blob;

  ImportFixture() {
    for (int i = 0; i < 40; ++i)
      dw.push_back(0.05f * i - 1.0f);
    opt = llvm::cantFail(Optimizer::create(getCompiler(), config,
                                           StepScalars(),
                                           {{w.data(), 40}, {b.data(), 3}}));
    for (int i = 0; i < 2; ++i)
      EXPECT_FALSE(bool(opt->step({dw.data(), db.data()})));
    blob = opt->exportState();
  }

  /// Where element `i` of moment buffer `buffer` (0: exp_avg, 1:
  /// exp_avg_sq, 2: max_exp_avg_sq) of the first parameter starts in the
  /// blob.
  size_t offsetOf(unsigned buffer, size_t i) const {
    size_t payload = blob.find("\n40\n") + 4;
    return payload + (buffer * 40 + i) * sizeof(float);
  }

  /// Imports `hostile`, expects an error containing `text`, and checks that
  /// the moments and the step count are bit-identical to before.
  void expectRejected(const std::string &hostile, llvm::StringRef text) {
    llvm::Error error = opt->importState(hostile);
    ASSERT_TRUE(bool(error)) << "accepted; expected: " << text.str();
    std::string message = llvm::toString(std::move(error));
    EXPECT_NE(message.find(text.str()), std::string::npos) << message;
    EXPECT_EQ(opt->getStepCount(), 2);
    EXPECT_TRUE(opt->exportState() == blob) << "state changed";
  }
};
} // namespace

TEST(OptimizerImport, TheBlobIsVersionedAndChecksummed) {
  ImportFixture f;
  EXPECT_EQ(f.blob.rfind("optim-state-v3 ", 0), 0u);
  EXPECT_EQ(f.blob.compare(f.blob.size() - kChecksumLine, 5, "xxh3 "), 0);
  // A resealed but unchanged blob is the same blob and imports.
  EXPECT_EQ(reseal(f.blob, [](std::string &) {}), f.blob);
  ASSERT_FALSE(bool(f.opt->importState(f.blob)));
}

TEST(OptimizerImport, CorruptedTruncatedAndOtherVersionsAreRejected) {
  ImportFixture f;
  std::string flipped = f.blob;
  flipped[f.offsetOf(1, 7) + 1] ^= 0x10;
  f.expectRejected(flipped, "corrupted optim state blob: checksum mismatch");
  std::string header = f.blob;
  header[header.find(' ') + 1] ^= 0x01; // a letter of the config key
  f.expectRejected(header, "checksum mismatch");
  for (size_t keep : {f.blob.size() - 1, f.blob.size() - kChecksumLine,
                      f.blob.size() / 2, size_t(30)})
    f.expectRejected(f.blob.substr(0, keep), "truncated");
  f.expectRejected(f.blob + "x", "does not end with its checksum line");
  std::string v1 = f.blob;
  v1.replace(0, 14, "optim-state-v1");
  f.expectRejected(v1, "optim state format 'v1' is not supported (this "
                       "build reads 'v3')");
  f.expectRejected("", "not an optim state blob");
  f.expectRejected("garbage", "not an optim state blob");
}

// A step count at or near INT64_MAX used to be accepted: the next step
// overflowed (NaN parameters) or the optimizer got stuck.
TEST(OptimizerImport, StepCountsBeyond2To53AreRejected) {
  ImportFixture f;
  f.expectRejected(withStepCount(f.blob, "9223372036854775806"),
                   "invalid optim state: step must be at most 2^53 "
                   "(9007199254740992), got 9223372036854775806");
  f.expectRejected(withStepCount(f.blob, "9223372036854775807"),
                   "got 9223372036854775807");
  f.expectRejected(withStepCount(f.blob, "9223372036854775808"),
                   "invalid step count '9223372036854775808'");
  f.expectRejected(withStepCount(f.blob, "9007199254740993"),
                   "got 9007199254740993");
  f.expectRejected(withStepCount(f.blob, "-1"), "step must be >= 1, got -1");
  f.expectRejected(withStepCount(f.blob, "1.5"), "invalid step count '1.5'");

  // The largest count imports; the step after it is refused, not wrapped.
  ASSERT_FALSE(
      bool(f.opt->importState(withStepCount(f.blob, "9007199254740992"))));
  EXPECT_EQ(f.opt->getStepCount(), kMaxStepCount);
  std::vector<float> w = f.w;
  llvm::Error error = f.opt->step({f.dw.data(), f.db.data()});
  ASSERT_TRUE(bool(error));
  EXPECT_NE(llvm::toString(std::move(error)).find("would exceed"),
            std::string::npos);
  EXPECT_EQ(f.w, w);
  // A fresh optimizer's state (0 steps taken) imports.
  ASSERT_FALSE(bool(f.opt->importState(withStepCount(f.blob, "0"))));
  EXPECT_EQ(f.opt->getStepCount(), 0);
}

// Moments no step can produce: each used to be accepted and turned the
// parameters into NaN at the next step.
TEST(OptimizerImport, ImpossibleMomentsAreRejected) {
  ImportFixture f;
  auto setMoment = [&](unsigned buffer, size_t i, float value) {
    return reseal(f.blob, [&](std::string &body) {
      std::memcpy(&body[f.offsetOf(buffer, i)], &value, sizeof(float));
    });
  };
  auto flipSign = [&](unsigned buffer, size_t i) {
    return reseal(f.blob, [&](std::string &body) {
      body[f.offsetOf(buffer, i) + 3] ^= char(0x80);
    });
  };
  float v7;
  std::memcpy(&v7, &f.blob[f.offsetOf(1, 7)], sizeof(float));
  ASSERT_GT(v7, 0.0f);
  f.expectRejected(flipSign(1, 7),
                   "invalid optim state: param #0: exp_avg_sq[7] must be "
                   "finite and non-negative, got -" +
                       optim::formatScalar(v7, ComputeType::f32));
  f.expectRejected(flipSign(2, 39),
                   "param #0: max_exp_avg_sq[39] must be finite and "
                   "non-negative, got -");
  f.expectRejected(setMoment(0, 0, std::nanf("")),
                   "param #0: exp_avg[0] must be finite, got nan");
  f.expectRejected(setMoment(0, 3, -INFINITY),
                   "param #0: exp_avg[3] must be finite, got -inf");
  f.expectRejected(setMoment(1, 1, INFINITY),
                   "param #0: exp_avg_sq[1] must be finite and non-negative, "
                   "got inf");
  // A negative first moment is ordinary, and -0 is harmless (sqrt(-0) = -0).
  ASSERT_FALSE(bool(f.opt->importState(setMoment(0, 2, -0.5f))));
  ASSERT_FALSE(bool(f.opt->importState(setMoment(1, 2, -0.0f))));
}

//===----------------------------------------------------------------------===//
// State files
//===----------------------------------------------------------------------===//

namespace {
/// A fresh directory for one test's files, removed with its contents.
struct TempDir {
  llvm::SmallString<128> path;
  TempDir() {
    EXPECT_FALSE(
        bool(llvm::sys::fs::createUniqueDirectory("optim-state", path)));
  }
  ~TempDir() { llvm::sys::fs::remove_directories(path); }
  std::string file(llvm::StringRef name) const {
    llvm::SmallString<128> p = path;
    llvm::sys::path::append(p, name);
    return p.str().str();
  }
  /// The names in the directory (a temporary file left behind shows here).
  std::vector<std::string> list() const {
    std::vector<std::string> names;
    std::error_code ec;
    for (llvm::sys::fs::directory_iterator it(path, ec), end; it != end && !ec;
         it.increment(ec))
      names.push_back(llvm::sys::path::filename(it->path()).str());
    llvm::sort(names);
    return names;
  }
};

std::string readFile(const std::string &path) {
  auto buffer = llvm::MemoryBuffer::getFile(path);
  EXPECT_TRUE(bool(buffer)) << path;
  return buffer ? (*buffer)->getBuffer().str() : std::string();
}

void writeFile(const std::string &path, llvm::StringRef data) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  ASSERT_FALSE(ec) << ec.message();
  os << data;
}

/// Two groups (decay on the weights, AMSGrad without decay on the bias)
/// over f32 parameters, so that a file holds more than one group.
struct TwoGroups {
  std::vector<float> w = std::vector<float>(50, 0.5f);
  std::vector<float> b = std::vector<float>(3, -0.5f);
  std::vector<float> gw, gb = std::vector<float>(3, 0.1f);
  std::unique_ptr<Optimizer> opt;

  TwoGroups() {
    for (int i = 0; i < 50; ++i)
      gw.push_back(0.04f * i - 1.0f);
    opt = llvm::cantFail(Optimizer::create(
        getCompiler(),
        {ParamGroup({w}, AdamWOptions().lr(1e-2).weightDecay(0.1)),
         ParamGroup({b}, AdamWOptions().lr(1e-2).weightDecay(0).amsgrad())}));
  }
  llvm::Error step() { return opt->step({gw.data(), gb.data()}); }
};
} // namespace

// Save after three steps, take two more, then restore into a fresh
// optimizer with the saved parameters: its next two steps must reproduce
// the original's bit for bit.
TEST(OptimizerStateFile, SaveAndLoadRoundTripBitExactly) {
  TempDir dir;
  TwoGroups a;
  for (int i = 0; i < 3; ++i)
    ASSERT_FALSE(bool(a.step()));
  std::string path = dir.file("opt.state");
  ASSERT_FALSE(bool(a.opt->saveState(path)));
  EXPECT_EQ(dir.list(), std::vector<std::string>{"opt.state"});
  EXPECT_TRUE(readFile(path) == a.opt->exportState());
  std::vector<float> savedW = a.w, savedB = a.b;
  for (int i = 0; i < 2; ++i)
    ASSERT_FALSE(bool(a.step()));

  TwoGroups b;
  b.w = savedW;
  b.b = savedB;
  ASSERT_FALSE(bool(b.opt->loadState(path)));
  EXPECT_EQ(b.opt->getStepCount(), 3);
  for (int i = 0; i < 2; ++i)
    ASSERT_FALSE(bool(b.step()));
  EXPECT_EQ(0, std::memcmp(a.w.data(), b.w.data(), a.w.size() * 4));
  EXPECT_EQ(0, std::memcmp(a.b.data(), b.b.data(), a.b.size() * 4));
  EXPECT_TRUE(a.opt->exportState() == b.opt->exportState());

  // Saving over an existing file replaces it whole.
  ASSERT_FALSE(bool(b.opt->saveState(path)));
  EXPECT_TRUE(readFile(path) == b.opt->exportState());
  EXPECT_EQ(dir.list(), std::vector<std::string>{"opt.state"});
}

TEST(OptimizerStateFile, BadFilesAreRejectedAndChangeNothing) {
  TempDir dir;
  TwoGroups a;
  ASSERT_FALSE(bool(a.step()));
  std::string good = dir.file("good.state");
  ASSERT_FALSE(bool(a.opt->saveState(good)));
  std::string blob = readFile(good);
  ASSERT_FALSE(bool(a.step()));
  std::string before = a.opt->exportState();

  auto expectRejected = [&](const std::string &path, llvm::StringRef text) {
    llvm::Error error = a.opt->loadState(path);
    ASSERT_TRUE(bool(error)) << "accepted " << path;
    std::string message = llvm::toString(std::move(error));
    EXPECT_NE(message.find(text.str()), std::string::npos) << message;
    // The message says which file.
    EXPECT_NE(message.find(path), std::string::npos) << message;
    EXPECT_EQ(a.opt->getStepCount(), 2);
    EXPECT_TRUE(a.opt->exportState() == before) << "state changed";
  };
  auto variant = [&](llvm::StringRef name, llvm::StringRef data) {
    std::string path = dir.file(name);
    writeFile(path, data);
    return path;
  };

  expectRejected(dir.file("missing.state"), "cannot read");
  // Not regular files: a FIFO blocked the read forever, a directory or a
  // device is no state either.
  std::string fifo = dir.file("fifo");
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  expectRejected(fifo, "not a regular file");
  expectRejected(dir.file(""), "not a regular file");
  expectRejected("/dev/zero", "not a regular file");
  expectRejected(variant("empty", ""), "not an optim state blob");
  std::string corrupt = blob;
  corrupt[corrupt.size() / 2] ^= 0x04;
  expectRejected(variant("corrupt", corrupt), "checksum mismatch");
  expectRejected(variant("truncated", blob.substr(0, blob.size() - 9)),
                 "truncated");
  expectRejected(variant("half", blob.substr(0, blob.size() / 2)),
                 "truncated");
  std::string v2 = blob;
  v2.replace(0, 14, "optim-state-v2");
  expectRejected(variant("v2", v2),
                 "optim state format 'v2' is not supported (this build "
                 "reads 'v3')");

  // Another configuration: the bias group without AMSGrad.
  std::vector<float> w(50, 0.5f), b(3, -0.5f);
  auto other = llvm::cantFail(Optimizer::create(
      getCompiler(), {ParamGroup({w}, AdamWOptions().weightDecay(0.1)),
                      ParamGroup({b}, AdamWOptions().weightDecay(0))}));
  llvm::Error error = other->loadState(good);
  ASSERT_TRUE(bool(error));
  EXPECT_NE(llvm::toString(std::move(error)).find("group #1: state was saved "
                                                  "for"),
            std::string::npos);
  // Another grouping of the same parameters.
  auto oneGroup = llvm::cantFail(
      Optimizer::create(getCompiler(), AdamWOptions(), {w}));
  error = oneGroup->loadState(good);
  ASSERT_TRUE(bool(error));
  EXPECT_NE(llvm::toString(std::move(error))
                .find("state holds 2 parameter groups, the optimizer has 1"),
            std::string::npos);
  EXPECT_EQ(oneGroup->getStepCount(), 0);
  EXPECT_EQ(other->getStepCount(), 0);

  // The good file still loads.
  ASSERT_FALSE(bool(a.opt->loadState(good)));
  EXPECT_EQ(a.opt->getStepCount(), 1);
}

TEST(OptimizerStateFile, AnUnwritableDirectoryIsAnErrorAndLeavesNoFile) {
  TempDir dir;
  TwoGroups a;
  llvm::Error error = a.opt->saveState(dir.file("no/such/dir/opt.state"));
  ASSERT_TRUE(bool(error));
  EXPECT_NE(llvm::toString(std::move(error)).find("cannot create a temporary "
                                                  "file"),
            std::string::npos);
  EXPECT_TRUE(dir.list().empty());
}
