//===- CompileTimes.cpp - what a step costs before it runs ----------------===//

#include "CompileTimes.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <unistd.h>
#include <vector>

using namespace llvm;
using namespace optim::bench;

namespace {
using Clock = std::chrono::steady_clock;

constexpr StringLiteral kChildTag = "optim-compile-child";

double millisSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start)
      .count();
}

optim::StepConfig adamwF32() {
  return optim::StepConfig::forPreset(optim::Preset::TorchAdamW,
                                      optim::ElementType::f32);
}

/// The fields a child prints, in order.
SmallVector<double *> fields(ChildTimes &t) {
  optim::CompileBreakdown &b = t.breakdown;
  return {&t.createMs,   &b.contextMs, &b.buildMs, &b.lowerMs, &b.translateMs,
          &b.optimizeMs, &b.codegenMs, &b.loadMs,  &b.cacheMs, &t.getStepMs};
}

double median(std::vector<double> values) {
  std::nth_element(values.begin(), values.begin() + values.size() / 2,
                   values.end());
  return values[values.size() / 2];
}

/// Runs this tool as a compile child over `directory`.
Expected<ChildTimes> runChild(StringRef directory) {
  std::string self =
      sys::fs::getMainExecutable(nullptr, (void *)&runCompileChild);
  SmallString<128> output;
  if (std::error_code ec =
          sys::fs::createTemporaryFile("optim-bench-child", "txt", output))
    return createStringError(ec, "cannot create a temporary file");
  std::string flag = ("--compile-child=" + directory).str();
  StringRef args[] = {self, flag};
  // The child measures its own private cache: the kill switch, if the
  // user set it, is not passed on.
  std::vector<StringRef> environment;
  for (char **entry = environ; *entry; ++entry)
    if (!StringRef(*entry).starts_with("OPTIM_CACHE_DISABLE="))
      environment.push_back(*entry);
  std::optional<StringRef> redirects[] = {std::nullopt, StringRef(output),
                                          std::nullopt};
  std::string error;
  int rc =
      sys::ExecuteAndWait(self, args, environment, redirects, 0, 0, &error);
  auto text = MemoryBuffer::getFile(output);
  sys::fs::remove(output);
  if (rc != 0)
    return createStringError("the compile child failed (" + Twine(rc) +
                             "): " + error);
  if (!text)
    return createStringError(text.getError(), "cannot read the child's times");
  SmallVector<StringRef> words;
  StringRef((*text)->getBuffer()).trim().split(words, ' ');
  ChildTimes times;
  SmallVector<double *> slots = fields(times);
  if (words.size() != slots.size() + 2 || words[0] != kChildTag)
    return createStringError("unexpected child output: " +
                             (*text)->getBuffer());
  times.breakdown.fromDiskCache = words[1] == "disk";
  for (auto [slot, word] : llvm::zip(slots, ArrayRef(words).drop_front(2)))
    if (!to_float(word, *slot))
      return createStringError("unexpected child output: " +
                               (*text)->getBuffer());
  return times;
}

ChildTimes medianOf(std::vector<ChildTimes> &runs) {
  ChildTimes result;
  SmallVector<double *> out = fields(result);
  for (size_t i = 0; i < out.size(); ++i) {
    std::vector<double> values;
    for (ChildTimes &run : runs)
      values.push_back(*fields(run)[i]);
    *out[i] = median(values);
  }
  result.breakdown.fromDiskCache = runs.front().breakdown.fromDiskCache;
  return result;
}
} // namespace

int optim::bench::runCompileChild(StringRef directory) {
  auto start = Clock::now();
  CompilerOptions options;
  options.numThreads = 1;
  options.cacheDirectory = directory.str();
  auto compiler = Compiler::create(options);
  if (!compiler) {
    errs() << toString(compiler.takeError()) << "\n";
    return 1;
  }
  ChildTimes times;
  times.createMs = millisSince(start);
  start = Clock::now();
  auto step = (*compiler)->getStep(adamwF32());
  times.getStepMs = millisSince(start);
  if (!step) {
    errs() << toString(step.takeError()) << "\n";
    return 1;
  }
  times.breakdown = (*step)->getCompileBreakdown();
  outs() << kChildTag
         << (times.breakdown.fromDiskCache ? " disk" : " compiled");
  for (double *field : fields(times))
    outs() << formatv(" {0:f4}", *field);
  outs() << "\n";
  return 0;
}

Expected<CompileTimes> optim::bench::measureCompileTimes(int runs) {
  std::vector<ChildTimes> cold, disk;
  for (int r = 0; r < runs; ++r) {
    SmallString<128> directory;
    if (std::error_code ec =
            sys::fs::createUniqueDirectory("optim-bench-cache", directory))
      return createStringError(ec, "cannot create a cache directory");
    Expected<ChildTimes> compiled = runChild(directory);
    Expected<ChildTimes> loaded =
        compiled ? runChild(directory) : compiled.takeError();
    sys::fs::remove_directories(directory);
    if (!loaded)
      return loaded.takeError();
    if (compiled->breakdown.fromDiskCache || !loaded->breakdown.fromDiskCache)
      return createStringError(
          "the second child did not load the first one's step from the "
          "kernel cache");
    cold.push_back(*compiled);
    disk.push_back(*loaded);
  }
  CompileTimes times;
  times.runs = runs;
  times.cold = medianOf(cold);
  times.disk = medianOf(disk);

  // In-memory hits: a Compiler that holds the step.
  CompilerOptions options;
  options.numThreads = 1;
  options.diskCache = false;
  auto compiler = Compiler::create(options);
  if (!compiler)
    return compiler.takeError();
  if (auto step = (*compiler)->getStep(adamwF32()); !step)
    return step.takeError();
  std::vector<double> hits;
  for (int i = 0; i < 1001; ++i) {
    auto start = Clock::now();
    auto step = (*compiler)->getStep(adamwF32());
    hits.push_back(millisSince(start) * 1e3);
    if (!step)
      return step.takeError();
  }
  times.hitUs = median(hits);
  return times;
}
