//===- Optimizer.cpp - a stateful Adam-family optimizer -------------------===//

#include "optim/Runtime/Optimizer.h"

#include "StateBlob.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>
#include <cstdlib>
#include <cstring>

using namespace ::optim;

namespace {
/// Moments are 64-byte aligned: whole cache lines, aligned vector accesses.
constexpr size_t kAlignment = 64;
/// The state format: "optim-state-" and a version, bumped whenever the
/// layout changes (v2 added the checksum, v3 the parameter groups).
constexpr llvm::StringLiteral kMagicPrefix = "optim-state-";
constexpr llvm::StringLiteral kVersion = "v3";
constexpr llvm::StringLiteral kWhat = "optim state";

size_t roundUp(size_t bytes) {
  return (bytes + kAlignment - 1) / kAlignment * kAlignment;
}

/// The state buffers of a tensor of `n` elements under `config`, in the
/// order they are stored and exported. `slot` numbers the buffer in
/// ParamState: exp_avg, exp_avg_sq, max_exp_avg_sq, the two absmaxes.
struct StateBufferShape {
  unsigned slot;
  const char *role;
  size_t entrySize;
  int64_t entries;
  bool nonNegative;
};
llvm::SmallVector<StateBufferShape, 5> getStateShapes(const StepConfig &config,
                                                      int64_t n) {
  size_t momentSize = getMomentElementSize(config, n);
  llvm::SmallVector<StateBufferShape, 5> shapes = {
      {0, "exp_avg", momentSize, n, false},
      {1, "exp_avg_sq", momentSize, n, true}};
  if (config.variant.amsgrad)
    shapes.push_back({2, "max_exp_avg_sq", momentSize, n, true});
  if (hasQuantizedMoments(config, n)) {
    shapes.push_back({3, "exp_avg absmax", 4, getNumQuantBlocks(n), true});
    shapes.push_back({4, "exp_avg_sq absmax", 4, getNumQuantBlocks(n), true});
  }
  return shapes;
}

/// "param #3", or with several groups "group #1 param #0", numbered within
/// the group like torch's param_groups[1]["params"][0] (and like
/// CompiledStep::runGroups' messages).
std::string nameParam(size_t numGroups, size_t group, size_t index) {
  if (numGroups == 1)
    return llvm::formatv("param #{0}", index).str();
  return llvm::formatv("group #{0} param #{1}", group, index).str();
}
} // namespace

void Optimizer::Buffer::operator()(void *p) const { std::free(p); }

llvm::Expected<std::unique_ptr<Optimizer>>
Optimizer::create(Compiler &compiler, const StepConfig &config,
                  const StepScalars &hyper, std::vector<ParamRef> params) {
  std::vector<TensorView> views;
  views.reserve(params.size());
  for (const ParamRef &p : params)
    views.emplace_back(p.data, p.numElements, config.paramType);
  std::vector<ParamGroup> groups;
  groups.emplace_back(std::move(views), config, hyper);
  return create(compiler, std::move(groups));
}

llvm::Expected<std::unique_ptr<Optimizer>>
Optimizer::create(Compiler &compiler, const OptimizerOptions &options,
                  std::vector<TensorView> params) {
  std::vector<ParamGroup> groups;
  groups.emplace_back(std::move(params), options);
  return create(compiler, std::move(groups));
}

llvm::Expected<std::unique_ptr<Optimizer>>
Optimizer::create(Compiler &compiler, std::vector<ParamGroup> groups) {
  if (groups.empty())
    return llvm::createStringError("an optimizer needs a parameter group");
  // Everything is checked before anything is compiled or allocated.
  int64_t total = 0;
  for (auto [g, group] : llvm::enumerate(groups)) {
    auto inGroup = [&, g = g](llvm::Error error) {
      if (groups.size() == 1)
        return error;
      return llvm::createStringError(
          llvm::formatv("group #{0}: {1}", g, llvm::toString(std::move(error)))
              .str());
    };
    if (llvm::Error error = group.config.verify())
      return inGroup(std::move(error));
    if (llvm::Error error = group.hyper.verify(group.config))
      return inGroup(std::move(error));
    if (llvm::Error error =
            group.hyper.verifyEdits(group.config, group.hyper.step))
      return inGroup(std::move(error));
    // The count is kept whatever the variant reads (e.g. it gives the
    // powers).
    if (llvm::Error error = verifyStepCount(group.hyper.step))
      return inGroup(std::move(error));
    // The optimizer owns its moments in host memory.
    if (group.config.target != Target::CPU)
      return inGroup(llvm::createStringError(
          "Optimizer keeps its state in host memory: use a CPU configuration "
          "(GPU steps run on device buffers through CompiledStep)"));
    for (auto [i, p] : llvm::enumerate(group.params)) {
      std::string name = nameParam(groups.size(), g, i);
      if (p.numElements < 0 || (p.numElements > 0 && !p.data))
        return llvm::createStringError(name +
                                       ": null data or negative size");
      if (p.type != group.config.paramType)
        return llvm::createStringError(
            llvm::formatv("{0}: its elements are {1}, the group's step "
                          "updates {2}",
                          name, stringifyElementType(p.type),
                          stringifyElementType(group.config.paramType))
                .str());
      // Bounded before the moments' byte sizes are computed from it.
      if (p.numElements > kMaxParamElements)
        return llvm::createStringError(
            llvm::formatv("{0}: {1} elements is too many", name,
                          p.numElements)
                .str());
      total += p.numElements;
      if (total > kMaxParamElements)
        return llvm::createStringError(
            "the parameters hold too many elements in total");
    }
  }

  std::unique_ptr<Optimizer> opt(new Optimizer());
  for (ParamGroup &spec : groups) {
    auto compiled = compiler.getStep(spec.config);
    if (!compiled)
      return compiled.takeError();
    Group group;
    group.compiled = std::move(*compiled);
    group.hyper = spec.hyper;
    group.firstStep = spec.hyper.step;
    group.params = std::move(spec.params);
    auto allocate = [&](size_t bytes) {
      bytes = roundUp(std::max<size_t>(1, bytes));
      void *p = std::aligned_alloc(kAlignment, bytes);
      // Zero on the calling thread: moments start at 0 (and first touch
      // maps the pages before the first timed step).
      if (p)
        std::memset(p, 0, bytes);
      return Storage(static_cast<char *>(p));
    };
    for (const TensorView &p : group.params) {
      ParamState s;
      // Zeroed state is fresh state: moments 0, and 8-bit codes decode to
      // 0 under an absmax of 0.
      Storage *slots[] = {&s.expAvg, &s.expAvgSq, &s.maxExpAvgSq,
                          &s.expAvgAbsmax, &s.expAvgSqAbsmax};
      for (const StateBufferShape &shape :
           getStateShapes(spec.config, p.numElements)) {
        Storage &slot = *slots[shape.slot];
        slot = allocate(shape.entrySize * shape.entries);
        if (!slot)
          return llvm::createStringError("out of memory for optimizer state");
      }
      ParamBuffers b;
      b.param = p.data;
      b.expAvg = s.expAvg.get();
      b.expAvgSq = s.expAvgSq.get();
      b.maxExpAvgSq = s.maxExpAvgSq.get();
      b.expAvgAbsmax = reinterpret_cast<float *>(s.expAvgAbsmax.get());
      b.expAvgSqAbsmax = reinterpret_cast<float *>(s.expAvgSqAbsmax.get());
      b.numElements = p.numElements;
      group.buffers.push_back(b);
      group.state.push_back(std::move(s));
    }
    opt->numParams += group.params.size();
    opt->groups.push_back(std::move(group));
  }
  return std::move(opt);
}

void Optimizer::setLearningRate(double lr) {
  for (Group &group : groups)
    group.hyper.lr = lr;
}

llvm::Error Optimizer::setLearningRate(size_t group, double lr) {
  if (group >= groups.size())
    return llvm::createStringError(
        llvm::formatv("group #{0} does not exist (the optimizer has {1})",
                      group, groups.size())
            .str());
  groups[group].hyper.lr = lr;
  return llvm::Error::success();
}

const Optimizer::ParamState *Optimizer::locate(size_t i) const {
  for (const Group &group : groups) {
    if (i < group.state.size())
      return &group.state[i];
    i -= group.state.size();
  }
  return nullptr;
}

llvm::Error Optimizer::step(llvm::ArrayRef<const void *> grads,
                            double foundInf) {
  if (grads.size() != numParams)
    return llvm::createStringError(
        llvm::formatv("expected {0} gradients, got {1}", numParams,
                      grads.size())
            .str());
  return stepImpl([&](size_t i) { return grads[i]; }, foundInf);
}

llvm::Error Optimizer::step(llvm::ArrayRef<ConstTensorView> grads,
                            double foundInf) {
  if (grads.size() != numParams)
    return llvm::createStringError(
        llvm::formatv("expected {0} gradients, got {1}", numParams,
                      grads.size())
            .str());
  size_t flat = 0;
  for (auto [g, group] : llvm::enumerate(groups))
    for (auto [i, p] : llvm::enumerate(group.params)) {
      const ConstTensorView &grad = grads[flat++];
      std::string name = nameParam(groups.size(), g, i);
      if (grad.type != p.type)
        return llvm::createStringError(
            llvm::formatv("{0}: the gradient's elements are {1}, the "
                          "parameter's {2}",
                          name, stringifyElementType(grad.type),
                          stringifyElementType(p.type))
                .str());
      if (grad.numElements != p.numElements)
        return llvm::createStringError(
            llvm::formatv("{0}: the gradient has {1} elements, the "
                          "parameter {2}",
                          name, grad.numElements, p.numElements)
                .str());
    }
  return stepImpl([&](size_t i) { return grads[i].data; }, foundInf);
}

llvm::Error Optimizer::stepImpl(llvm::function_ref<const void *(size_t)> grad,
                                double foundInf) {
  // Both are at most kMaxStepCount (create, importState): no overflow.
  std::vector<StepScalars> scalars;
  scalars.reserve(groups.size());
  uint64_t firstTensor = 0;
  for (auto [g, group] : llvm::enumerate(groups)) {
    const StepConfig &config = group.compiled->getConfig();
    int64_t t = group.firstStep + stepCount;
    if (llvm::Error error = checkNextStepCount(t))
      return error;
    StepScalars s = group.hyper;
    s.step = t;
    // Stochastic rounding draws afresh each step, and each tensor of the
    // optimizer (across groups) has a stream of its own.
    s.roundingOffset = uint64_t(t);
    s.roundingStream = firstTensor;
    firstTensor += group.params.size();
    s.foundInf = foundInf;
    if (config.variant.givenPowers) {
      s.beta1Power = std::pow(s.beta1, static_cast<double>(s.step));
      s.beta2Power = std::pow(s.beta2, static_cast<double>(s.step));
    }
    // Every group's scalars are checked before the norm pass, which may
    // skip the step (a bad group would otherwise pass unnoticed).
    llvm::Error error = group.hyper.verifyEdits(config, group.firstStep);
    if (!error)
      error = s.verify(config);
    if (error) {
      if (groups.size() == 1)
        return error;
      return llvm::createStringError(
          llvm::formatv("group #{0}: {1}", g, llvm::toString(std::move(error)))
              .str());
    }
    scalars.push_back(s);
  }
  size_t flat = 0;
  llvm::SmallVector<CompiledStep::StepGroup, 4> calls;
  for (auto [group, s] : llvm::zip(groups, scalars)) {
    for (ParamBuffers &b : group.buffers)
      b.grad = grad(flat++);
    calls.push_back({group.compiled.get(), group.buffers, &s});
  }
  // Global-norm clipping: one norm over the gradients of every group that
  // clips (a pass over the gradients before any is updated).
  double gradNorm = std::numeric_limits<double>::quiet_NaN();
  bool clips = llvm::any_of(groups, [](const Group &group) {
    return group.compiled->getConfig().variant.clipGradNorm;
  });
  if (clips && foundInf == 0) {
    double squared = 0;
    for (auto [g, call] : llvm::enumerate(calls)) {
      if (!call.step->getConfig().variant.clipGradNorm)
        continue;
      llvm::Expected<double> part =
          call.step->computeGradSquaredNorm(call.params, *call.scalars);
      if (!part) {
        if (calls.size() == 1)
          return part.takeError();
        return llvm::createStringError(
            llvm::formatv("group #{0}: {1}", g,
                          llvm::toString(part.takeError()))
                .str());
      }
      squared += *part;
    }
    gradNorm = std::sqrt(squared);
    if (!std::isfinite(gradNorm) && skipNonfiniteNorm) {
      lastGradNorm = gradNorm;
      return llvm::Error::success();
    }
    for (auto [group, s] : llvm::zip(groups, scalars))
      if (group.compiled->getConfig().variant.clipGradNorm)
        s.gradNorm = gradNorm;
  }
  // One group needs no group in its messages: the plain call.
  llvm::Error error =
      calls.size() == 1
          ? calls.front().step->run(calls.front().params, scalars.front())
          : CompiledStep::runGroups(calls);
  if (error)
    return error;
  if (foundInf == 0)
    ++stepCount;
  lastGradNorm = gradNorm;
  return llvm::Error::success();
}

std::string Optimizer::exportState() const {
  std::string blob = llvm::formatv("{0}{1} {2} {3}\n", kMagicPrefix, kVersion,
                                   groups.size(), stepCount)
                         .str();
  for (const Group &group : groups) {
    const StepConfig &config = group.compiled->getConfig();
    blob += llvm::formatv("group {0} {1}\n", config.key(), group.params.size())
                .str();
    for (auto [p, s] : llvm::zip(group.params, group.state)) {
      blob += llvm::formatv("{0}\n", p.numElements).str();
      const Storage *slots[] = {&s.expAvg, &s.expAvgSq, &s.maxExpAvgSq,
                                &s.expAvgAbsmax, &s.expAvgSqAbsmax};
      for (const StateBufferShape &shape :
           getStateShapes(config, p.numElements))
        blob.append(slots[shape.slot]->get(),
                    shape.entrySize * shape.entries);
    }
  }
  detail::sealStateBlob(blob);
  return blob;
}

llvm::Error Optimizer::importState(llvm::StringRef blob) {
  llvm::Expected<llvm::StringRef> body =
      detail::openStateBlob(blob, kMagicPrefix, kVersion, kWhat);
  if (!body)
    return body.takeError();

  auto [header, rest] = body->split('\n');
  llvm::SmallVector<llvm::StringRef> fields;
  header.split(fields, ' ');
  int64_t numGroups = 0, steps = 0;
  if (fields.size() != 3)
    return llvm::createStringError("malformed optim state header");
  if (fields[1].getAsInteger(10, numGroups) ||
      numGroups != static_cast<int64_t>(groups.size()))
    return llvm::createStringError(
        llvm::formatv("state holds {0} parameter groups, the optimizer has "
                      "{1}",
                      fields[1].take_front(32), groups.size())
            .str());
  // Steps taken: 0 for a fresh optimizer, otherwise a valid step count.
  if (fields[2].getAsInteger(10, steps))
    return llvm::createStringError(
        llvm::formatv("invalid step count '{0}' in optim state",
                      fields[2].take_front(32))
            .str());
  if (steps != 0)
    if (llvm::Error error = verifyStepCount(steps))
      return llvm::createStringError("invalid optim state: " +
                                     llvm::toString(std::move(error)));
  for (const Group &group : groups)
    if (group.firstStep + steps > kMaxStepCount + 1)
      return llvm::createStringError(
          llvm::formatv("invalid optim state: {0} steps taken after a first "
                        "step of {1} exceed the largest step count",
                        steps, group.firstStep)
              .str());

  // Validate everything before copying anything.
  llvm::SmallVector<llvm::StringRef> payloads;
  for (auto [g, group] : llvm::enumerate(groups)) {
    const StepConfig &config = group.compiled->getConfig();
    auto [groupLine, tail] = rest.split('\n');
    llvm::SmallVector<llvm::StringRef> groupFields;
    groupLine.split(groupFields, ' ');
    int64_t count = 0;
    if (groupFields.size() != 3 || groupFields[0] != "group")
      return llvm::createStringError(
          llvm::formatv("malformed optim state: group #{0} has no header", g)
              .str());
    if (groupFields[1] != config.key())
      return llvm::createStringError(
          llvm::formatv("group #{0}: state was saved for '{1}', this "
                        "optimizer is '{2}'",
                        g, groupFields[1], config.key())
              .str());
    if (groupFields[2].getAsInteger(10, count) ||
        count != static_cast<int64_t>(group.params.size()))
      return llvm::createStringError(
          llvm::formatv("group #{0}: state holds {1} params, the optimizer "
                        "has {2}",
                        g, groupFields[2].take_front(32), group.params.size())
              .str());
    rest = tail;
    for (auto [i, p] : llvm::enumerate(group.params)) {
      std::string name = nameParam(groups.size(), g, i);
      auto [sizeLine, data] = rest.split('\n');
      int64_t n = 0;
      if (sizeLine.getAsInteger(10, n) || n != p.numElements)
        return llvm::createStringError(
            llvm::formatv("{0}: state has {1} elements, expected {2}", name,
                          sizeLine.take_front(32), p.numElements)
                .str());
      for (const StateBufferShape &shape : getStateShapes(config, n)) {
        size_t bytes = shape.entrySize * shape.entries;
        if (data.size() < bytes)
          return llvm::createStringError("truncated optim state blob");
        payloads.push_back(data.take_front(bytes));
        data = data.drop_front(bytes);
        // Any byte is a code; floats must be finite (and moments of
        // squares, absmaxes, non-negative).
        if (shape.entrySize == 1)
          continue;
        if (llvm::Error error = detail::checkMomentValues(
                payloads.back(), shape.entrySize, shape.nonNegative,
                shape.role))
          return llvm::createStringError("invalid optim state: " + name +
                                         ": " +
                                         llvm::toString(std::move(error)));
      }
      rest = data;
    }
  }
  if (!rest.empty())
    return llvm::createStringError("trailing bytes after optim state");
  const llvm::StringRef *payload = payloads.begin();
  for (Group &group : groups)
    for (auto [p, s] : llvm::zip(group.params, group.state)) {
      Storage *slots[] = {&s.expAvg, &s.expAvgSq, &s.maxExpAvgSq,
                          &s.expAvgAbsmax, &s.expAvgSqAbsmax};
      for (const StateBufferShape &shape :
           getStateShapes(group.compiled->getConfig(), p.numElements)) {
        std::memcpy(slots[shape.slot]->get(), payload->data(),
                    payload->size());
        ++payload;
      }
    }
  stepCount = steps;
  lastGradNorm = std::numeric_limits<double>::quiet_NaN();
  return llvm::Error::success();
}

llvm::Error Optimizer::saveState(llvm::StringRef path) const {
  return detail::writeFileAtomically(path, exportState(), /*sync=*/true);
}

llvm::Error Optimizer::loadState(llvm::StringRef path) {
  llvm::Expected<std::string> blob = detail::readWholeFile(path);
  if (!blob)
    return blob.takeError();
  if (llvm::Error error = importState(*blob))
    return llvm::createStringError(path + ": " +
                                   llvm::toString(std::move(error)));
  return llvm::Error::success();
}
