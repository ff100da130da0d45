//===- optim-conformance.cpp - run golden optimizer-step cases ------------===//
//
//   optim-conformance [--target=cpu] FILE_OR_DIR...
//
// Reads golden cases (the JSON format of shared/golden/README.md), runs each
// through the JIT runtime (and so through the real pipeline), prints one line
// per case with the largest error, then `N passed, M failed`; exits non-zero
// on any failure.
//
//===----------------------------------------------------------------------===//

#include "optim/Runtime/Compiler.h"
#ifdef OPTIM_HAVE_CUDA
#include "optim/Runtime/CUDA/CudaDriver.h"
#endif

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/WithColor.h"

#include <cmath>
#include <optional>
#include <vector>

using namespace llvm;

static cl::list<std::string>
    inputs(cl::Positional, cl::OneOrMore,
           cl::desc("<golden case file or directory>"));
static cl::opt<std::string> target("target", cl::init("cpu"),
                                   cl::desc("Where steps run: cpu or gpu"));
static cl::opt<std::string> chip("chip", cl::init("sm_90"),
                                 cl::desc("NVIDIA chip for --target=gpu"));
static cl::opt<bool>
    fastMath("fast-math", cl::desc("Run f32 cases with the fast-math steps"));

namespace {

/// One golden case, as the README describes it.
struct GoldenCase {
  std::string name;
  optim::StepConfig config;
  optim::StepScalars hyper;
  bool hasPowers = false;
  int64_t firstStep = 1;
  std::vector<double> lrPerStep;
  std::vector<std::vector<double>> grads;
  // param, m, v, vmax
  std::vector<double> init[4], expected[4];
  bool hasExpected[4] = {false, false, false, false};
  double rtol = 0, atol = 0;
};

const char *const kStateNames[] = {"param", "m", "v", "vmax"};

Error fail(const Twine &message) { return createStringError(message.str()); }

Expected<std::vector<double>> readArray(const json::Value *value,
                                        StringRef what) {
  const json::Array *array = value ? value->getAsArray() : nullptr;
  if (!array)
    return fail("'" + what + "' is not an array");
  std::vector<double> out;
  out.reserve(array->size());
  for (const json::Value &v : *array) {
    std::optional<double> d = v.getAsNumber();
    if (!d)
      return fail("'" + what + "' holds a non-number");
    out.push_back(*d);
  }
  return out;
}

Expected<GoldenCase> parseCase(const json::Object &root, StringRef file) {
  GoldenCase c;
  c.name = root.getString("name").value_or(sys::path::stem(file)).str();
  std::optional<StringRef> dtype = root.getString("dtype");
  if (!dtype)
    return fail("missing 'dtype'");
  std::optional<optim::ElementType> type = optim::symbolizeElementType(*dtype);
  if (!type ||
      (*type != optim::ElementType::f32 && *type != optim::ElementType::f64))
    return fail("unsupported dtype '" + *dtype + "' (f32 or f64)");
  c.config.paramType = *type;

  const json::Object *config = root.getObject("config");
  if (!config)
    return fail("missing 'config'");
  optim::AdamVariant &v = c.config.variant;
  StringRef bias = config->getString("bias_correction").value_or("standard");
  if (bias == "standard")
    v.biasCorrection = optim::BiasCorrection::standard;
  else if (bias == "folded")
    v.biasCorrection = optim::BiasCorrection::folded;
  else if (bias == "none")
    v.biasCorrection = optim::BiasCorrection::none;
  else
    return fail("unknown bias_correction '" + bias + "'");
  StringRef decay = config->getString("weight_decay_mode").value_or("none");
  if (decay == "none")
    v.weightDecay = optim::WeightDecayMode::none;
  else if (decay == "l2")
    v.weightDecay = optim::WeightDecayMode::l2;
  else if (decay == "decoupled")
    v.weightDecay = optim::WeightDecayMode::decoupled;
  else
    return fail("unknown weight_decay_mode '" + decay + "'");
  StringRef rate = config->getString("decay_lr").value_or("lr");
  if (v.weightDecay == optim::WeightDecayMode::decoupled) {
    if (rate == "effective")
      v.decayRate = optim::DecayRate::effective;
    else if (rate != "lr")
      return fail("unknown decay_lr '" + rate + "'");
  }
  v.amsgrad = config->getBoolean("amsgrad").value_or(false);
  v.maximize = config->getBoolean("maximize").value_or(false);

  optim::StepScalars &h = c.hyper;
  auto number = [&](StringRef key, double fallback) {
    return config->getNumber(key).value_or(fallback);
  };
  h.beta1 = number("beta1", 0.9);
  h.beta2 = number("beta2", 0.999);
  h.eps = number("eps", 1e-8);
  h.weightDecay = number("weight_decay", 0.0);
  if (std::optional<double> r = config->getNumber("rescale_grad")) {
    v.rescaleGrad = true;
    h.rescaleGrad = *r;
  }
  if (std::optional<double> clip = config->getNumber("clip_gradient")) {
    v.clipGradient = true;
    h.clipGradient = *clip;
  }
  std::optional<double> b1p = config->getNumber("beta1_power");
  std::optional<double> b2p = config->getNumber("beta2_power");
  if (b1p.has_value() != b2p.has_value())
    return fail("'beta1_power' and 'beta2_power' come together");
  if (b1p) {
    v.givenPowers = true;
    h.beta1Power = *b1p;
    h.beta2Power = *b2p;
  }
  c.firstStep = root.getInteger("first_step").value_or(1);

  auto lr = readArray(root.get("lr_per_step"), "lr_per_step");
  if (!lr)
    return lr.takeError();
  c.lrPerStep = std::move(*lr);
  const json::Array *grads = root.getArray("grads");
  if (!grads)
    return fail("missing 'grads'");
  for (const json::Value &g : *grads) {
    auto values = readArray(&g, "grads[i]");
    if (!values)
      return values.takeError();
    c.grads.push_back(std::move(*values));
  }
  if (c.grads.size() != c.lrPerStep.size())
    return fail(formatv("{0} gradients for {1} learning rates", c.grads.size(),
                        c.lrPerStep.size()));

  const json::Object *init = root.getObject("init");
  const json::Object *expected = root.getObject("expected");
  if (!init || !expected)
    return fail("missing 'init' or 'expected'");
  for (int k = 0; k < 4; ++k) {
    bool needed = k < 3 || v.amsgrad;
    if (const json::Value *value = init->get(kStateNames[k])) {
      auto values = readArray(value, kStateNames[k]);
      if (!values)
        return values.takeError();
      c.init[k] = std::move(*values);
    } else if (needed) {
      return fail(Twine("missing init.") + kStateNames[k]);
    }
    if (const json::Value *value = expected->get(kStateNames[k])) {
      auto values = readArray(value, kStateNames[k]);
      if (!values)
        return values.takeError();
      c.expected[k] = std::move(*values);
      c.hasExpected[k] = true;
    }
  }
  size_t n = c.init[0].size();
  for (int k = 0; k < 4; ++k) {
    if ((k < 3 || v.amsgrad) && c.init[k].size() != n)
      return fail(Twine("init.") + kStateNames[k] + " has the wrong size");
    if (c.hasExpected[k] && c.expected[k].size() != n)
      return fail(Twine("expected.") + kStateNames[k] + " has the wrong size");
  }
  for (const auto &g : c.grads)
    if (g.size() != n)
      return fail("a gradient has the wrong size");
  if (!c.hasExpected[0])
    return fail("missing expected.param");

  const json::Object *tolerance = root.getObject("tolerance");
  if (!tolerance)
    return fail("missing 'tolerance'");
  c.rtol = tolerance->getNumber("rtol").value_or(0);
  c.atol = tolerance->getNumber("atol").value_or(0);
  return c;
}

struct Outcome {
  bool passed = true;
  double maxAbsError = 0;
  /// The largest error as a fraction of its allowed tolerance.
  double maxToleranceUsed = 0;
  std::string worst;
};

template <typename T>
Expected<Outcome> runCase(optim::Compiler &compiler, const GoldenCase &c) {
  auto step = compiler.getStep(c.config);
  if (!step)
    return step.takeError();
  size_t n = c.init[0].size();
  auto convert = [](const std::vector<double> &values) {
    return std::vector<T>(values.begin(), values.end());
  };
  std::vector<T> state[4];
  for (int k = 0; k < 4; ++k)
    state[k] = convert(c.init[k].empty() ? std::vector<double>(n) : c.init[k]);
  std::vector<T> grad;
  optim::ParamBuffers buffers;
  buffers.param = state[0].data();
  buffers.expAvg = state[1].data();
  buffers.expAvgSq = state[2].data();
  buffers.maxExpAvgSq = c.config.variant.amsgrad ? state[3].data() : nullptr;
  buffers.numElements = n;
#ifdef OPTIM_HAVE_CUDA
  // On the GPU the same buffers live in device memory: p, m, v, vmax, g.
  const optim::cuda::Driver &driver = optim::cuda::Driver::instance();
  std::optional<optim::cuda::ScopedContext> context;
  CUdeviceptr device[5] = {};
  size_t bytes = std::max<size_t>(n, 1) * sizeof(T);
  bool onGpu = c.config.target == optim::Target::GPU;
  if (onGpu) {
    context.emplace();
    if (!context->ok())
      return fail(context->status().message());
    for (int k = 0; k < 5; ++k)
      if (driver.memAlloc(&device[k], bytes) != CUDA_SUCCESS)
        return fail("cuMemAlloc failed");
    for (int k = 0; k < 4; ++k)
      driver.memcpyHtoD(device[k], state[k].data(), n * sizeof(T));
    auto ptr = [](CUdeviceptr p) { return reinterpret_cast<void *>(p); };
    buffers.param = ptr(device[0]);
    buffers.expAvg = ptr(device[1]);
    buffers.expAvgSq = ptr(device[2]);
    buffers.maxExpAvgSq = c.config.variant.amsgrad ? ptr(device[3]) : nullptr;
  }
#endif
  for (size_t i = 0; i < c.grads.size(); ++i) {
    grad = convert(c.grads[i]);
    buffers.grad = grad.data();
#ifdef OPTIM_HAVE_CUDA
    if (onGpu) {
      driver.memcpyHtoD(device[4], grad.data(), n * sizeof(T));
      buffers.grad = reinterpret_cast<void *>(device[4]);
    }
#endif
    optim::StepScalars s = c.hyper;
    s.lr = c.lrPerStep[i];
    s.step = c.firstStep + static_cast<int64_t>(i);
    if (c.config.variant.givenPowers) {
      // The caller carries the powers: the given ones at the first step.
      s.beta1Power = c.hyper.beta1Power * std::pow(c.hyper.beta1, double(i));
      s.beta2Power = c.hyper.beta2Power * std::pow(c.hyper.beta2, double(i));
    }
    if (Error error = (*step)->run(buffers, s))
      return std::move(error);
  }
#ifdef OPTIM_HAVE_CUDA
  if (onGpu) {
    for (int k = 0; k < 4; ++k)
      driver.memcpyDtoH(state[k].data(), device[k], n * sizeof(T));
    for (CUdeviceptr d : device)
      driver.memFree(d);
  }
#endif
  Outcome outcome;
  for (int k = 0; k < 4; ++k) {
    if (!c.hasExpected[k])
      continue;
    for (size_t i = 0; i < n; ++i) {
      double got = state[k][i], want = c.expected[k][i];
      double error = std::fabs(got - want);
      double allowed = c.atol + c.rtol * std::fabs(want);
      double used = allowed > 0 ? error / allowed : (error > 0 ? INFINITY : 0);
      if (!(error <= allowed))
        outcome.passed = false;
      outcome.maxAbsError = std::max(outcome.maxAbsError, error);
      if (used > outcome.maxToleranceUsed || std::isnan(got)) {
        outcome.maxToleranceUsed = std::isnan(got) ? INFINITY : used;
        outcome.worst =
            formatv("{0}[{1}] = {2:e} vs {3:e}", kStateNames[k], i, got, want);
      }
    }
  }
  return outcome;
}

void collect(StringRef path, std::vector<std::string> &files) {
  if (!sys::fs::is_directory(path)) {
    files.push_back(path.str());
    return;
  }
  std::error_code ec;
  std::vector<std::string> found;
  for (sys::fs::recursive_directory_iterator it(path, ec), end;
       it != end && !ec; it.increment(ec))
    if (sys::path::extension(it->path()) == ".json")
      found.push_back(it->path());
  llvm::sort(found);
  llvm::append_range(files, found);
}

} // namespace

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::ParseCommandLineOptions(argc, argv, "optim golden-case conformance\n");
  if (target != "cpu" && target != "gpu") {
    WithColor::error() << "unknown target '" << target << "' (cpu or gpu)\n";
    return 2;
  }
  std::vector<std::string> files;
  for (const std::string &input : inputs) {
    if (!sys::fs::exists(input)) {
      WithColor::error() << input << ": no such file or directory\n";
      return 2;
    }
    collect(input, files);
  }
  auto compiler = optim::Compiler::create();
  if (!compiler) {
    WithColor::error() << toString(compiler.takeError()) << "\n";
    return 2;
  }

  // GPU cases need a device; without one they are skipped, with the reason.
  std::string skipReason;
  if (target == "gpu") {
#ifdef OPTIM_HAVE_CUDA
    const optim::cuda::Driver &driver = optim::cuda::Driver::instance();
    if (!driver.available())
      skipReason = driver.unavailableReason();
#else
    skipReason = "optim was built without the CUDA headers";
#endif
  }
  if (!skipReason.empty()) {
    outs() << "SKIP: " << skipReason << "\n";
    for (const std::string &file : files)
      outs() << "SKIP " << sys::path::filename(file) << "\n";
    outs() << "0 passed, 0 failed, " << files.size() << " skipped\n";
    return 0;
  }

  unsigned passed = 0, failed = 0;
  for (const std::string &file : files) {
    auto report = [&](bool ok, StringRef name, const Twine &detail) {
      outs() << (ok ? "PASS " : "FAIL ") << name << ": " << detail << "\n";
      ++(ok ? passed : failed);
    };
    StringRef displayName = sys::path::filename(file);
    auto buffer = MemoryBuffer::getFile(file);
    if (!buffer) {
      report(false, displayName, "cannot read: " + buffer.getError().message());
      continue;
    }
    Expected<json::Value> value = json::parse((*buffer)->getBuffer());
    if (!value) {
      report(false, displayName,
             "invalid JSON: " + toString(value.takeError()));
      continue;
    }
    const json::Object *root = value->getAsObject();
    if (!root) {
      report(false, displayName, "not a JSON object");
      continue;
    }
    auto golden = parseCase(*root, file);
    if (!golden) {
      report(false, displayName,
             "invalid case: " + toString(golden.takeError()));
      continue;
    }
    golden->config.fastMath = fastMath;
    if (target == "gpu") {
      golden->config.target = optim::Target::GPU;
      golden->config.gpuChip = chip;
    }
    auto outcome = golden->config.paramType == optim::ElementType::f64
                       ? runCase<double>(**compiler, *golden)
                       : runCase<float>(**compiler, *golden);
    if (!outcome) {
      report(false, golden->name, "error: " + toString(outcome.takeError()));
      continue;
    }
    report(outcome->passed, golden->name,
           formatv("{0} {1}, {2} elements, {3} steps: max |err| {4:e2} "
                   "({5:f2} of tolerance; worst {6})",
                   stringifyElementType(golden->config.paramType),
                   golden->config.variant.str(), golden->init[0].size(),
                   golden->grads.size(), outcome->maxAbsError,
                   outcome->maxToleranceUsed, outcome->worst));
  }
  outs() << passed << " passed, " << failed << " failed\n";
  return failed == 0 && passed > 0 ? 0 : 1;
}
