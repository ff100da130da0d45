//===- Optimizer.cpp - a stateful Adam-family optimizer -------------------===//

#include "optim/Runtime/Optimizer.h"

#include "llvm/Support/FormatVariadic.h"

#include <cmath>
#include <cstdlib>
#include <cstring>

using namespace ::optim;

namespace {
/// Moments are 64-byte aligned: whole cache lines, aligned vector accesses.
constexpr size_t kAlignment = 64;
constexpr llvm::StringLiteral kMagic = "optim-state-v1";

size_t roundUp(size_t bytes) {
  return (bytes + kAlignment - 1) / kAlignment * kAlignment;
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
  // The optimizer owns its moments in host memory.
  if (config.target != Target::CPU)
    return llvm::createStringError(
        "Optimizer keeps its state in host memory: use a CPU configuration "
        "(GPU steps run on device buffers through CompiledStep)");
  for (auto [i, p] : llvm::enumerate(params))
    if (p.numElements < 0 || (p.numElements > 0 && !p.data))
      return llvm::createStringError(
          llvm::formatv("param #{0}: null data or negative size", i).str());
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
  for (auto [b, g] : llvm::zip(buffers, grads))
    b.grad = g;
  StepScalars s = hyper;
  s.step = firstStep + stepCount;
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
  std::string blob = llvm::formatv("{0} {1} {2} {3}\n", kMagic, config.key(),
                                   params.size(), stepCount)
                         .str();
  for (auto [p, s] : llvm::zip(params, state)) {
    blob += llvm::formatv("{0}\n", p.numElements).str();
    size_t bytes = p.numElements * momentSize;
    for (const Storage &buffer :
         {std::cref(s.expAvg), std::cref(s.expAvgSq), std::cref(s.maxExpAvgSq)})
      if (buffer.get())
        blob.append(buffer.get(), bytes);
  }
  return blob;
}

llvm::Error Optimizer::importState(llvm::StringRef blob) {
  const StepConfig &config = compiled->getConfig();
  size_t momentSize = getElementSize(getMomentElementType(config.paramType));
  auto [header, rest] = blob.split('\n');
  llvm::SmallVector<llvm::StringRef> fields;
  header.split(fields, ' ');
  int64_t count = 0, steps = 0;
  if (fields.size() != 4 || fields[0] != kMagic)
    return llvm::createStringError("not an optim state blob");
  if (fields[1] != config.key())
    return llvm::createStringError(
        llvm::formatv("state was saved for '{0}', this optimizer is '{1}'",
                      fields[1], config.key())
            .str());
  if (fields[2].getAsInteger(10, count) ||
      count != static_cast<int64_t>(params.size()) ||
      fields[3].getAsInteger(10, steps) || steps < 0)
    return llvm::createStringError(
        llvm::formatv("state holds {0} params, the optimizer has {1}",
                      fields[2], params.size())
            .str());
  // Validate everything before copying anything.
  unsigned perParam = config.variant.amsgrad ? 3 : 2;
  llvm::SmallVector<llvm::StringRef> payloads;
  for (auto [i, p] : llvm::enumerate(params)) {
    auto [sizeLine, tail] = rest.split('\n');
    int64_t n = 0;
    if (sizeLine.getAsInteger(10, n) || n != p.numElements)
      return llvm::createStringError(
          llvm::formatv("param #{0}: state has {1} elements, expected {2}", i,
                        sizeLine, p.numElements)
              .str());
    size_t bytes = n * momentSize * perParam;
    if (tail.size() < bytes)
      return llvm::createStringError("truncated optim state blob");
    payloads.push_back(tail.take_front(bytes));
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
