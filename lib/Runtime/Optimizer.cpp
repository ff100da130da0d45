//===- Optimizer.cpp - a stateful Adam-family optimizer -------------------===//

#include "optim/Runtime/Optimizer.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/xxhash.h"

#include <cmath>
#include <cstdlib>
#include <cstring>

using namespace ::optim;

namespace {
/// Moments are 64-byte aligned: whole cache lines, aligned vector accesses.
constexpr size_t kAlignment = 64;
/// The state format: "optim-state-" and a version, bumped whenever the
/// layout changes (v2 added the checksum).
constexpr llvm::StringLiteral kMagicPrefix = "optim-state-";
constexpr llvm::StringLiteral kVersion = "v2";
/// The last line of a blob: "xxh3 " and 16 hex digits.
constexpr llvm::StringLiteral kChecksumTag = "xxh3 ";
constexpr size_t kChecksumLineSize = kChecksumTag.size() + 16 + 1;

size_t roundUp(size_t bytes) {
  return (bytes + kAlignment - 1) / kAlignment * kAlignment;
}

std::string formatChecksum(llvm::StringRef data) {
  return (kChecksumTag +
          llvm::utohexstr(llvm::xxh3_64bits(data), /*LowerCase=*/true,
                          /*Width=*/16) +
          "\n")
      .str();
}

/// Element `i` of a buffer of `momentSize`-byte moments, as a double.
double readMoment(const char *data, size_t i, size_t momentSize) {
  if (momentSize == sizeof(double)) {
    double x;
    std::memcpy(&x, data + i * sizeof(double), sizeof(double));
    return x;
  }
  float x;
  std::memcpy(&x, data + i * sizeof(float), sizeof(float));
  return x;
}

/// Moments a step can produce from finite values: exp_avg finite, exp_avg_sq
/// and max_exp_avg_sq finite and non-negative (a negative one makes sqrt
/// NaN). `buffers` holds the `numBuffers` consecutive moment buffers of one
/// parameter.
llvm::Error checkMoments(size_t param, llvm::StringRef buffers,
                         unsigned numBuffers, int64_t numElements,
                         size_t momentSize, ComputeType type) {
  static constexpr const char *kRoles[] = {"exp_avg", "exp_avg_sq",
                                           "max_exp_avg_sq"};
  size_t bytes = numElements * momentSize;
  for (unsigned b = 0; b < numBuffers; ++b) {
    const char *data = buffers.data() + b * bytes;
    bool nonNegative = b > 0;
    for (int64_t i = 0; i < numElements; ++i) {
      double x = readMoment(data, i, momentSize);
      if (std::isfinite(x) && (!nonNegative || x >= 0))
        continue;
      return llvm::createStringError(
          llvm::formatv("param #{0}: {1}[{2}] must be {3}, got {4}", param,
                        kRoles[b], i,
                        nonNegative ? "finite and non-negative" : "finite",
                        formatScalar(x, type))
              .str());
    }
  }
  return llvm::Error::success();
}
} // namespace

void Optimizer::Buffer::operator()(void *p) const { std::free(p); }

Optimizer::Optimizer(std::shared_ptr<const CompiledStep> compiled,
                     const StepScalars &hyper, std::vector<ParamRef> params)
    : compiled(std::move(compiled)), hyper(hyper), params(std::move(params)),
      firstStep(hyper.step) {}

llvm::Expected<std::unique_ptr<Optimizer>>
Optimizer::create(Compiler &compiler, const StepConfig &config,
                  const StepScalars &hyper, std::vector<ParamRef> params) {
  if (llvm::Error error = hyper.verify(config))
    return std::move(error);
  // The count is kept whatever the variant reads (e.g. it gives the powers).
  if (llvm::Error error = verifyStepCount(hyper.step))
    return std::move(error);
  // The optimizer owns its moments in host memory.
  if (config.target != Target::CPU)
    return llvm::createStringError(
        "Optimizer keeps its state in host memory: use a CPU configuration "
        "(GPU steps run on device buffers through CompiledStep)");
  int64_t total = 0;
  for (auto [i, p] : llvm::enumerate(params)) {
    if (p.numElements < 0 || (p.numElements > 0 && !p.data))
      return llvm::createStringError(
          llvm::formatv("param #{0}: null data or negative size", i).str());
    // Bounded before the moments' byte sizes are computed from it.
    if (p.numElements > kMaxParamElements)
      return llvm::createStringError(
          llvm::formatv("param #{0}: {1} elements is too many", i,
                        p.numElements)
              .str());
    total += p.numElements;
    if (total > kMaxParamElements)
      return llvm::createStringError(
          "the parameters hold too many elements in total");
  }
  auto compiled = compiler.getStep(config);
  if (!compiled)
    return compiled.takeError();

  std::unique_ptr<Optimizer> opt(
      new Optimizer(std::move(*compiled), hyper, std::move(params)));
  size_t momentSize = getElementSize(getMomentElementType(config.paramType));
  auto allocate = [&](int64_t n) {
    size_t bytes = roundUp(std::max<size_t>(1, n * momentSize));
    void *p = std::aligned_alloc(kAlignment, bytes);
    // Zero on the calling thread: moments start at 0 (and first touch maps
    // the pages before the first timed step).
    if (p)
      std::memset(p, 0, bytes);
    return Storage(static_cast<char *>(p));
  };
  for (const ParamRef &p : opt->params) {
    ParamState s;
    s.expAvg = allocate(p.numElements);
    s.expAvgSq = allocate(p.numElements);
    if (config.variant.amsgrad)
      s.maxExpAvgSq = allocate(p.numElements);
    if (!s.expAvg || !s.expAvgSq || (config.variant.amsgrad && !s.maxExpAvgSq))
      return llvm::createStringError("out of memory for optimizer state");
    ParamBuffers b;
    b.param = p.data;
    b.expAvg = s.expAvg.get();
    b.expAvgSq = s.expAvgSq.get();
    b.maxExpAvgSq = s.maxExpAvgSq.get();
    b.numElements = p.numElements;
    opt->buffers.push_back(b);
    opt->state.push_back(std::move(s));
  }
  return std::move(opt);
}

llvm::Error Optimizer::step(llvm::ArrayRef<const void *> grads,
                            double foundInf) {
  if (grads.size() != params.size())
    return llvm::createStringError(
        llvm::formatv("expected {0} gradients, got {1}", params.size(),
                      grads.size())
            .str());
  // Both are at most kMaxStepCount (create, importState): no overflow.
  int64_t t = firstStep + stepCount;
  if (t > kMaxStepCount)
    return llvm::createStringError(
        llvm::formatv("step {0} would exceed the largest step count, 2^53 "
                      "({1})",
                      t, kMaxStepCount)
            .str());
  for (auto [b, g] : llvm::zip(buffers, grads))
    b.grad = g;
  StepScalars s = hyper;
  s.step = t;
  s.foundInf = foundInf;
  if (compiled->getConfig().variant.givenPowers) {
    s.beta1Power = std::pow(s.beta1, static_cast<double>(s.step));
    s.beta2Power = std::pow(s.beta2, static_cast<double>(s.step));
  }
  if (llvm::Error error = compiled->run(buffers, s))
    return error;
  if (foundInf == 0)
    ++stepCount;
  return llvm::Error::success();
}

std::string Optimizer::exportState() const {
  const StepConfig &config = compiled->getConfig();
  size_t momentSize = getElementSize(getMomentElementType(config.paramType));
  std::string blob =
      llvm::formatv("{0}{1} {2} {3} {4}\n", kMagicPrefix, kVersion,
                    config.key(), params.size(), stepCount)
          .str();
  for (auto [p, s] : llvm::zip(params, state)) {
    blob += llvm::formatv("{0}\n", p.numElements).str();
    size_t bytes = p.numElements * momentSize;
    for (const Storage &buffer :
         {std::cref(s.expAvg), std::cref(s.expAvgSq), std::cref(s.maxExpAvgSq)})
      if (buffer.get())
        blob.append(buffer.get(), bytes);
  }
  blob += formatChecksum(blob);
  return blob;
}

llvm::Error Optimizer::importState(llvm::StringRef blob) {
  const StepConfig &config = compiled->getConfig();
  size_t momentSize = getElementSize(getMomentElementType(config.paramType));
  // The version before anything else, so that an old blob is named as such.
  if (!blob.starts_with(kMagicPrefix))
    return llvm::createStringError("not an optim state blob");
  llvm::StringRef version =
      blob.drop_front(kMagicPrefix.size()).take_until([](char c) {
        return c == ' ' || c == '\n';
      });
  if (version != kVersion)
    return llvm::createStringError(
        llvm::formatv("optim state format '{0}' is not supported (this "
                      "build reads '{1}')",
                      version.take_front(16), kVersion)
            .str());
  // Then the checksum over everything else: a blob cut short loses its last
  // line, a changed byte changes the hash.
  if (blob.size() < kChecksumLineSize ||
      !blob.take_back(kChecksumLineSize).starts_with(kChecksumTag))
    return llvm::createStringError(
        "truncated or damaged optim state blob: it does not end with its "
        "checksum line");
  llvm::StringRef body = blob.drop_back(kChecksumLineSize);
  if (blob.take_back(kChecksumLineSize) != formatChecksum(body))
    return llvm::createStringError(
        "corrupted optim state blob: checksum mismatch");

  auto [header, rest] = body.split('\n');
  llvm::SmallVector<llvm::StringRef> fields;
  header.split(fields, ' ');
  int64_t count = 0, steps = 0;
  if (fields.size() != 4)
    return llvm::createStringError("malformed optim state header");
  if (fields[1] != config.key())
    return llvm::createStringError(
        llvm::formatv("state was saved for '{0}', this optimizer is '{1}'",
                      fields[1], config.key())
            .str());
  if (fields[2].getAsInteger(10, count) ||
      count != static_cast<int64_t>(params.size()))
    return llvm::createStringError(
        llvm::formatv("state holds {0} params, the optimizer has {1}",
                      fields[2], params.size())
            .str());
  // Steps taken: 0 for a fresh optimizer, otherwise a valid step count.
  if (fields[3].getAsInteger(10, steps))
    return llvm::createStringError(
        llvm::formatv("invalid step count '{0}' in optim state", fields[3])
            .str());
  if (steps != 0)
    if (llvm::Error error = verifyStepCount(steps))
      return llvm::createStringError("invalid optim state: " +
                                     llvm::toString(std::move(error)));
  // Validate everything before copying anything.
  unsigned perParam = config.variant.amsgrad ? 3 : 2;
  llvm::SmallVector<llvm::StringRef> payloads;
  for (auto [i, p] : llvm::enumerate(params)) {
    auto [sizeLine, tail] = rest.split('\n');
    int64_t n = 0;
    if (sizeLine.getAsInteger(10, n) || n != p.numElements)
      return llvm::createStringError(
          llvm::formatv("param #{0}: state has {1} elements, expected {2}", i,
                        sizeLine.take_front(32), p.numElements)
              .str());
    size_t bytes = n * momentSize * perParam;
    if (tail.size() < bytes)
      return llvm::createStringError("truncated optim state blob");
    payloads.push_back(tail.take_front(bytes));
    if (llvm::Error error =
            checkMoments(i, payloads.back(), perParam, n, momentSize,
                         getComputeType(config.paramType)))
      return llvm::createStringError("invalid optim state: " +
                                     llvm::toString(std::move(error)));
    rest = tail.drop_front(bytes);
  }
  if (!rest.empty())
    return llvm::createStringError("trailing bytes after optim state");
  for (auto [p, s, payload] : llvm::zip(params, state, payloads)) {
    size_t bytes = p.numElements * momentSize;
    const char *src = payload.data();
    for (const Storage *buffer : {&s.expAvg, &s.expAvgSq, &s.maxExpAvgSq})
      if (buffer->get()) {
        std::memcpy(buffer->get(), src, bytes);
        src += bytes;
      }
  }
  stepCount = steps;
  return llvm::Error::success();
}
