//===- optim-conformance.cpp - run golden optimizer-step cases ------------===//
//
//   optim-conformance [--target=cpu|gpu|gpu-emulated] FILE_OR_DIR...
//
// Reads golden cases (the JSON format of shared/golden/README.md), runs each
// through the JIT runtime (and so through the real pipeline), prints one line
// per case with the largest error, then `N passed, M failed`; exits non-zero
// on any failure.
//
// Every case is validated in full before anything runs: each field must have
// its documented type, unknown keys are errors, array lengths must match the
// shape, and every number must be finite and representable in the case's
// element type. A malformed case is a FAIL with its reason, never a default
// that could let it pass.
//
//===----------------------------------------------------------------------===//

#include "optim/Runtime/Compiler.h"
#ifdef OPTIM_HAVE_CUDA
#include "optim/Runtime/CUDA/CudaDriver.h"
#endif

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/WithColor.h"

#include <cfloat>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <vector>

using namespace llvm;

static cl::OptionCategory conformanceCategory("optim-conformance options");

static cl::list<std::string> inputs(cl::Positional, cl::OneOrMore,
                                    cl::desc("<golden case file or directory>"),
                                    cl::cat(conformanceCategory));
static cl::opt<optim::Target> target(
    "target", cl::init(optim::Target::CPU),
    cl::desc("Where the steps run (GPU cases are skipped, each with the "
             "reason, when no device is present)"),
    cl::values(clEnumValN(optim::Target::CPU, "cpu", "The host CPU (JIT)"),
               clEnumValN(optim::Target::GPU, "gpu",
                          "An NVIDIA GPU through the NVVM pipeline"),
               clEnumValN(optim::Target::GPUEmulated, "gpu-emulated",
                          "The GPU kernel, launch shape and group table, "
                          "every block and thread run as host loops; each "
                          "case also runs as a group of odd-sized, "
                          "misaligned tensors")),
    cl::cat(conformanceCategory));
static cl::opt<unsigned>
    gpuBlockSize("gpu-block-size", cl::init(256),
                 cl::desc("Threads per block of the GPU kernels"),
                 cl::cat(conformanceCategory));
static cl::opt<unsigned> gpuMaxBlocks(
    "gpu-max-blocks", cl::init(2048),
    cl::desc("Most blocks per launch (small values make the kernels' "
             "grid-stride loops wrap)"),
    cl::cat(conformanceCategory));
static cl::opt<int> testStrideOffset(
    "test-stride-offset", cl::init(0), cl::Hidden,
    cl::desc("Testing only: add this to the GPU kernels' grid stride (a "
             "deliberate indexing bug the GPU runs must catch)"),
    cl::cat(conformanceCategory));
static cl::opt<std::string> chip("chip", cl::init("sm_90"),
                                 cl::desc("NVIDIA chip for --target=gpu"),
                                 cl::value_desc("sm_XY"),
                                 cl::cat(conformanceCategory));
static cl::opt<bool>
    fastMath("fast-math",
             cl::desc("Run f32 cases with the fast-math steps (reciprocal "
                      "estimates refined by one Newton step)"),
             cl::cat(conformanceCategory));

namespace {

/// Bounds that keep a hostile file from exhausting the stack or memory.
/// llvm::json's parser recurses once per nesting level; golden cases nest
/// three levels deep.
constexpr unsigned kMaxNestingDepth = 64;
constexpr unsigned kMaxRank = 8;
constexpr int64_t kMaxElements = int64_t(1) << 24;
/// Room for the arrays of kMaxElements written out in full.
constexpr uint64_t kMaxCaseBytes = uint64_t(4) << 30;

/// One golden case, as the README describes it.
struct GoldenCase {
  std::string name;
  optim::StepConfig config;
  optim::StepScalars hyper;
  int64_t firstStep = 1;
  int64_t numElements = 0;
  std::vector<double> lrPerStep;
  std::vector<std::vector<double>> grads;
  // param, m, v, vmax
  std::vector<double> init[4], expected[4];
  /// Global-norm clipping: torch's clip_grad_norm_ result at each step.
  std::vector<double> expectedGradNorm;
  /// 8-bit moments: the stored state the reference ends with (m codes,
  /// v codes, m absmax, v absmax), and the fraction of codes that may
  /// differ from it by one (x / absmax within rounding of a midpoint).
  std::vector<double> expectedQuantized[4];
  double codeMismatches = 0;
  double rtol = 0, atol = 0;
};

const char *const kQuantizedNames[4] = {"m_codes", "v_codes", "m_absmax",
                                        "v_absmax"};

enum StateIndex { kParam, kM, kV, kVmax, kNumStates };
const char *const kStateNames[kNumStates] = {"param", "m", "v", "vmax"};

Error fail(const Twine &message) { return createStringError(message.str()); }

/// A key from the input, quoted for a message: control characters, quotes
/// and backslashes are escaped, since a raw newline could print a line
/// that reads as a PASS or as the summary.
std::string quoteKey(StringRef key) {
  std::string quoted = "'";
  raw_string_ostream os(quoted);
  printEscapedString(key, os);
  os << "'";
  return quoted;
}

/// Rejects what llvm::json::parse would accept but a case must not hold:
/// nesting deeper than `maxDepth` (the parser recurses once per level) and
/// an object with a key twice (the parser keeps the last, so a second
/// "tolerance" could loosen the first unseen). Brackets inside strings do
/// not count; keys are compared decoded, so "\u0061" repeats "a". The depth
/// is an error here, before the parser recurses; the first repeated key is
/// only recorded in `duplicate`, so that malformed text gets the parser's
/// own error first.
Error checkStructure(StringRef text, unsigned maxDepth,
                     std::string &duplicate) {
  struct Frame {
    bool isObject;
    bool expectKey;
    StringSet<> keys;
  };
  SmallVector<Frame> frames;
  size_t stringStart = 0;
  bool inString = false;
  for (size_t i = 0, e = text.size(); i < e; ++i) {
    char c = text[i];
    if (inString) {
      if (c == '\\') {
        ++i; // The escaped character cannot end the string.
        continue;
      }
      if (c != '"')
        continue;
      inString = false;
      if (frames.empty() || !frames.back().isObject || !frames.back().expectKey)
        continue;
      frames.back().expectKey = false;
      Expected<json::Value> key = json::parse(text.slice(stringStart, i + 1));
      if (!key) {
        consumeError(key.takeError());
        continue;
      }
      StringRef name = *key->getAsString();
      if (!frames.back().keys.insert(name).second && duplicate.empty())
        duplicate = formatv("duplicate key {0} (at byte {1})", quoteKey(name),
                            stringStart);
      continue;
    }
    switch (c) {
    case '"':
      inString = true;
      stringStart = i;
      break;
    case '[':
    case '{':
      if (frames.size() >= maxDepth)
        return fail(formatv("JSON nested deeper than {0} levels (at byte {1})",
                            maxDepth, i));
      frames.push_back({c == '{', c == '{', {}});
      break;
    case ',':
      if (!frames.empty() && frames.back().isObject)
        frames.back().expectKey = true;
      break;
    case ']':
    case '}':
      if (!frames.empty())
        frames.pop_back();
      break;
    default:
      break;
    }
  }
  return Error::success();
}

/// A short description of a JSON value's kind, for messages.
StringRef kindOf(const json::Value &value) {
  switch (value.kind()) {
  case json::Value::Null:
    return "null";
  case json::Value::Boolean:
    return "a boolean";
  case json::Value::Number:
    return "a number";
  case json::Value::String:
    return "a string";
  case json::Value::Array:
    return "an array";
  case json::Value::Object:
    return "an object";
  }
  llvm_unreachable("unknown JSON kind");
}

/// Reads one JSON object field by field, each with its documented type, and
/// remembers the first error. Keys no one asked for are errors too: a
/// misspelt optional field would otherwise silently keep its default.
class FieldReader {
public:
  FieldReader(const json::Object &object, std::string prefix)
      : object(object), prefix(std::move(prefix)) {}

  /// The value of `key`, or null (an error when `required`).
  const json::Value *get(StringRef key, bool required) {
    seen.insert(key);
    const json::Value *value = object.get(key);
    if (!value && required)
      error("missing '" + path(key) + "'");
    return value;
  }

  std::optional<StringRef> getString(StringRef key, bool required = true) {
    const json::Value *value = get(key, required);
    if (!value)
      return std::nullopt;
    if (std::optional<StringRef> s = value->getAsString())
      return s;
    typeError(key, "a string", *value);
    return std::nullopt;
  }

  std::optional<bool> getBool(StringRef key, bool required = true) {
    const json::Value *value = get(key, required);
    if (!value)
      return std::nullopt;
    if (std::optional<bool> b = value->getAsBoolean())
      return b;
    typeError(key, "a boolean", *value);
    return std::nullopt;
  }

  /// A finite number.
  std::optional<double> getNumber(StringRef key, bool required = true) {
    const json::Value *value = get(key, required);
    if (!value)
      return std::nullopt;
    std::optional<double> d = value->getAsNumber();
    if (!d) {
      typeError(key, "a number", *value);
      return std::nullopt;
    }
    if (!std::isfinite(*d)) {
      error("'" + path(key) + "' is not finite");
      return std::nullopt;
    }
    return d;
  }

  /// An integer (a number with no fractional part, within int64_t).
  std::optional<int64_t> getInteger(StringRef key, bool required = true) {
    const json::Value *value = get(key, required);
    if (!value)
      return std::nullopt;
    if (std::optional<int64_t> i = value->getAsInteger())
      return i;
    typeError(key, "an integer", *value);
    return std::nullopt;
  }

  const json::Array *getArray(StringRef key, bool required = true) {
    const json::Value *value = get(key, required);
    if (!value)
      return nullptr;
    if (const json::Array *a = value->getAsArray())
      return a;
    typeError(key, "an array", *value);
    return nullptr;
  }

  const json::Object *getObject(StringRef key, bool required = true) {
    const json::Value *value = get(key, required);
    if (!value)
      return nullptr;
    if (const json::Object *o = value->getAsObject())
      return o;
    typeError(key, "an object", *value);
    return nullptr;
  }

  void error(const Twine &message) {
    if (!firstError)
      firstError = message.str();
  }

  std::string path(StringRef key) const {
    return prefix.empty() ? key.str() : prefix + "." + key.str();
  }

  /// The first error, and the keys that were never read (often the
  /// misspelling behind a missing field).
  Error finish() {
    std::vector<std::string> unknown;
    for (const auto &entry : object)
      if (!seen.contains(entry.first.str()))
        unknown.push_back(quoteKey(path(entry.first.str())));
    llvm::sort(unknown);
    std::string unknownKeys;
    if (!unknown.empty())
      unknownKeys = (unknown.size() > 1 ? "unknown keys " : "unknown key ") +
                    join(unknown, ", ");
    if (firstError && !unknownKeys.empty())
      return fail(*firstError + "; " + unknownKeys);
    if (firstError)
      return fail(*firstError);
    if (!unknownKeys.empty())
      return fail(unknownKeys);
    return Error::success();
  }

private:
  void typeError(StringRef key, StringRef expected, const json::Value &got) {
    error("'" + path(key) + "' must be " + expected + ", got " + kindOf(got));
  }

  const json::Object &object;
  std::string prefix;
  StringSet<> seen;
  std::optional<std::string> firstError;
};

/// Reads an array of `count` finite numbers representable in `type`.
Expected<std::vector<double>> readNumbers(const json::Value *value,
                                          const Twine &what, size_t count,
                                          optim::ElementType type) {
  const json::Array *array = value->getAsArray();
  if (!array)
    return fail("'" + what + "' must be an array, got " + kindOf(*value));
  if (array->size() != count)
    return fail(formatv("'{0}' has {1} elements, the shape has {2}", what.str(),
                        array->size(), count));
  std::vector<double> out;
  out.reserve(count);
  for (auto [i, element] : llvm::enumerate(*array)) {
    std::optional<double> d = element.getAsNumber();
    if (!d)
      return fail(formatv("'{0}[{1}]' must be a number, got {2}", what.str(), i,
                          kindOf(element)));
    bool representable = type == optim::ElementType::f32
                             ? std::isfinite(static_cast<float>(*d))
                             : std::isfinite(*d);
    if (!representable)
      return fail(formatv("'{0}[{1}]' = {2:e} is not a finite {3}", what.str(),
                          i, *d, optim::stringifyElementType(type)));
    out.push_back(*d);
  }
  return out;
}

/// Reads the element count from `shape`: positive integer extents whose
/// product is bounded (a rank-0 shape has one element).
Expected<int64_t> readShape(const json::Array &shape) {
  if (shape.size() > kMaxRank)
    return fail(
        formatv("'shape' has rank {0}, more than {1}", shape.size(), kMaxRank));
  int64_t count = 1;
  for (auto [i, extent] : llvm::enumerate(shape)) {
    std::optional<int64_t> n = extent.getAsInteger();
    if (!n || *n < 1)
      return fail(formatv("'shape[{0}]' must be a positive integer", i));
    if (*n > kMaxElements || count * *n > kMaxElements)
      return fail(formatv("'shape' has more than {0} elements", kMaxElements));
    count *= *n;
  }
  return count;
}

/// Reads the states of `init`, `expected` (and `documented_output`, which
/// may hold any subset). `needVmax` says whether vmax must be present or
/// absent; std::nullopt allows either.
Error readStates(const json::Object &object, StringRef what,
                 std::optional<bool> needVmax, size_t count,
                 optim::ElementType type, std::vector<double> (&out)[4],
                 std::vector<double> (*quantized)[4] = nullptr) {
  FieldReader reader(object, what.str());
  if (quantized) {
    // 8-bit moments: codes (integers 0..255) and absmaxes (one per block).
    size_t blocks = optim::getNumQuantBlocks(count);
    for (int k = 0; k < 4; ++k) {
      const json::Value *value = reader.get(kQuantizedNames[k], true);
      if (!value)
        continue;
      std::string field = (what + "." + kQuantizedNames[k]).str();
      auto numbers = readNumbers(value, field, k < 2 ? count : blocks,
                                 optim::ElementType::f32);
      if (!numbers)
        return numbers.takeError();
      for (auto [i, x] : llvm::enumerate(*numbers))
        if (k < 2 ? !(x >= 0 && x <= 255 && x == std::floor(x)) : !(x >= 0))
          return fail(formatv("'{0}[{1}]' = {2} is not {3}", field, i, x,
                              k < 2 ? "a code (an integer in [0, 255])"
                                    : "a non-negative absmax"));
      (*quantized)[k] = std::move(*numbers);
    }
  }
  for (int k = 0; k < kNumStates; ++k) {
    bool required = needVmax ? (k != kVmax || *needVmax) : false;
    const json::Value *value = reader.get(kStateNames[k], required);
    if (!value)
      continue;
    if (k == kVmax && needVmax && !*needVmax)
      return fail("'" + what + ".vmax' is given but 'config.amsgrad' is false");
    auto numbers = readNumbers(value, what + "." + kStateNames[k], count, type);
    if (!numbers)
      return numbers.takeError();
    out[k] = std::move(*numbers);
  }
  return reader.finish();
}

Error parseConfig(const json::Object &object, GoldenCase &c) {
  FieldReader config(object, "config");
  optim::AdamVariant &v = c.config.variant;
  optim::StepScalars &h = c.hyper;

  if (std::optional<StringRef> bias = config.getString("bias_correction")) {
    if (*bias == "standard")
      v.biasCorrection = optim::BiasCorrection::standard;
    else if (*bias == "folded")
      v.biasCorrection = optim::BiasCorrection::folded;
    else if (*bias == "none")
      v.biasCorrection = optim::BiasCorrection::none;
    else
      config.error("unknown bias_correction '" + *bias +
                   "' (standard, folded or none)");
  }
  if (std::optional<StringRef> decay = config.getString("weight_decay_mode")) {
    if (*decay == "none")
      v.weightDecay = optim::WeightDecayMode::none;
    else if (*decay == "l2")
      v.weightDecay = optim::WeightDecayMode::l2;
    else if (*decay == "decoupled")
      v.weightDecay = optim::WeightDecayMode::decoupled;
    else
      config.error("unknown weight_decay_mode '" + *decay +
                   "' (none, l2 or decoupled)");
  }
  if (std::optional<StringRef> rate =
          config.getString("decay_lr", /*required=*/false)) {
    if (*rate == "effective")
      v.decayRate = optim::DecayRate::effective;
    else if (*rate != "lr")
      config.error("unknown decay_lr '" + *rate + "' (lr or effective)");
  }
  if (std::optional<bool> amsgrad = config.getBool("amsgrad"))
    v.amsgrad = *amsgrad;
  if (std::optional<bool> maximize = config.getBool("maximize"))
    v.maximize = *maximize;

  auto number = [&](StringRef key, double &out) {
    if (std::optional<double> d = config.getNumber(key))
      out = *d;
  };
  number("beta1", h.beta1);
  number("beta2", h.beta2);
  number("eps", h.eps);
  number("weight_decay", h.weightDecay);
  if (std::optional<double> r = config.getNumber("rescale_grad", false)) {
    v.rescaleGrad = true;
    h.rescaleGrad = *r;
  }
  if (std::optional<double> clip = config.getNumber("clip_gradient", false)) {
    v.clipGradient = true;
    h.clipGradient = *clip;
  }
  if (std::optional<double> bound =
          config.getNumber("max_grad_norm", false)) {
    v.clipGradNorm = true;
    h.maxGradNorm = *bound;
  }
  if (std::optional<double> scale = config.getNumber("grad_scale", false)) {
    v.gradScale = true;
    h.gradScale = *scale;
  }
  if (std::optional<StringRef> storage =
          config.getString("moment_storage", false)) {
    if (*storage == "blockwise8")
      c.config.momentStorage = optim::MomentStorage::blockwise8;
    else if (*storage == "bf16")
      c.config.momentStorage = optim::MomentStorage::bf16;
    else if (*storage != "compute")
      config.error("unknown moment_storage '" + *storage +
                   "' (compute, bf16 or blockwise8)");
  }
  std::optional<double> b1p = config.getNumber("beta1_power", false);
  std::optional<double> b2p = config.getNumber("beta2_power", false);
  if (Error error = config.finish())
    return error;

  if (b1p.has_value() != b2p.has_value())
    return fail("'config.beta1_power' and 'config.beta2_power' come together");
  if (b1p) {
    v.givenPowers = true;
    h.beta1Power = *b1p;
    h.beta2Power = *b2p;
  }
  // A field that the configuration would ignore is a mistake in the case.
  if (v.decayRate == optim::DecayRate::effective &&
      v.weightDecay != optim::WeightDecayMode::decoupled)
    return fail("'config.decay_lr' is 'effective' but 'weight_decay_mode' is "
                "not 'decoupled'");
  if (v.weightDecay == optim::WeightDecayMode::none && h.weightDecay != 0)
    return fail(formatv("'config.weight_decay' is {0} but "
                        "'weight_decay_mode' is 'none'",
                        h.weightDecay));
  return Error::success();
}

Expected<GoldenCase> parseCase(const json::Object &root, StringRef file) {
  GoldenCase c;
  FieldReader reader(root, "");
  c.name = reader.getString("name", /*required=*/false)
               .value_or(sys::path::stem(file))
               .str();
  // The name starts a result line: a newline in it could print a line
  // that reads as another case's PASS or as the summary.
  if (llvm::any_of(c.name,
                   [](unsigned char ch) { return ch < 0x20 || ch == 0x7f; }))
    return fail("'name' holds a control character");
  reader.getString("source", /*required=*/false);

  if (std::optional<StringRef> dtype = reader.getString("dtype")) {
    std::optional<optim::ElementType> type =
        optim::symbolizeElementType(*dtype);
    if (!type ||
        (*type != optim::ElementType::f32 && *type != optim::ElementType::f64))
      return fail("unsupported dtype '" + *dtype + "' (f32 or f64)");
    c.config.paramType = *type;
  }
  if (const json::Array *shape = reader.getArray("shape")) {
    auto count = readShape(*shape);
    if (!count)
      return count.takeError();
    c.numElements = *count;
  }
  if (const json::Object *config = reader.getObject("config"))
    if (Error error = parseConfig(*config, c))
      return std::move(error);
  if (std::optional<int64_t> first = reader.getInteger("first_step")) {
    if (*first < 1)
      return fail(formatv("'first_step' must be at least 1, got {0}", *first));
    c.firstStep = *first;
  }
  const json::Array *lr = reader.getArray("lr_per_step");
  const json::Array *grads = reader.getArray("grads");
  const json::Object *init = reader.getObject("init");
  const json::Object *expected = reader.getObject("expected");
  const json::Object *documented =
      reader.getObject("documented_output", /*required=*/false);
  const json::Object *tolerance = reader.getObject("tolerance");
  const json::Array *norms = reader.getArray(
      "expected_grad_norm", /*required=*/c.config.variant.clipGradNorm);
  if (Error error = reader.finish())
    return std::move(error);
  if (norms && !c.config.variant.clipGradNorm)
    return fail("'expected_grad_norm' is given but 'config.max_grad_norm' "
                "is not");

  optim::ElementType type = c.config.paramType;
  size_t n = c.numElements;
  bool amsgrad = c.config.variant.amsgrad;
  if (lr->empty())
    return fail("'lr_per_step' is empty: a case runs at least one step");
  if (lr->size() != grads->size())
    return fail(formatv("'grads' has {0} steps, 'lr_per_step' has {1}",
                        grads->size(), lr->size()));
  for (auto [i, value] : llvm::enumerate(*lr)) {
    std::optional<double> d = value.getAsNumber();
    if (!d || !std::isfinite(*d))
      return fail(formatv("'lr_per_step[{0}]' must be a finite number", i));
    c.lrPerStep.push_back(*d);
  }
  if (c.firstStep > INT64_MAX - int64_t(lr->size()))
    return fail("'first_step' overflows over the case's steps");
  for (auto [i, g] : llvm::enumerate(*grads)) {
    auto values = readNumbers(&g, "grads[" + Twine(i) + "]", n, type);
    if (!values)
      return values.takeError();
    c.grads.push_back(std::move(*values));
  }
  if (norms) {
    if (norms->size() != grads->size())
      return fail(formatv("'expected_grad_norm' has {0} steps, 'grads' {1}",
                          norms->size(), grads->size()));
    for (auto [i, value] : llvm::enumerate(*norms)) {
      std::optional<double> d = value.getAsNumber();
      if (!d || !(*d >= 0) || !std::isfinite(*d))
        return fail(formatv("'expected_grad_norm[{0}]' must be a finite, "
                            "non-negative number",
                            i));
      c.expectedGradNorm.push_back(*d);
    }
  }
  if (Error error = readStates(*init, "init", amsgrad, n, type, c.init))
    return std::move(error);
  bool blockwise = c.config.momentStorage == optim::MomentStorage::blockwise8;
  if (Error error = readStates(*expected, "expected", amsgrad, n, type,
                               c.expected,
                               blockwise ? &c.expectedQuantized : nullptr))
    return std::move(error);
  if (blockwise) {
    // The reference codes fresh moments; a case starts from them.
    for (int k : {kM, kV})
      if (llvm::any_of(c.init[k], [](double x) { return x != 0; }))
        return fail(formatv("'init.{0}' must be zero: 8-bit cases start "
                            "from fresh moments",
                            kStateNames[k]));
    if (!optim::hasQuantizedMoments(c.config, n))
      return fail(formatv("an 8-bit case needs at least {0} elements "
                          "(smaller tensors keep f32 moments), got {1}",
                          optim::kMinQuantizedElements, n));
  }
  if (documented) {
    std::vector<double> ignored[4];
    if (Error error = readStates(*documented, "documented_output", std::nullopt,
                                 n, type, ignored))
      return std::move(error);
  }

  FieldReader tol(*tolerance, "tolerance");
  std::optional<double> rtol = tol.getNumber("rtol");
  std::optional<double> atol = tol.getNumber("atol");
  std::optional<double> mismatches =
      tol.getNumber("code_mismatches", /*required=*/false);
  if (Error error = tol.finish())
    return std::move(error);
  if (mismatches && !blockwise)
    return fail("'tolerance.code_mismatches' is for 8-bit moments "
                "('config.moment_storage' blockwise8)");
  if (mismatches && !(*mismatches >= 0 && *mismatches <= 1))
    return fail("'tolerance.code_mismatches' must be a fraction in [0, 1]");
  c.codeMismatches = mismatches.value_or(0);
  if (*rtol < 0 || *atol < 0)
    return fail("'tolerance.rtol' and 'tolerance.atol' must be non-negative");
  c.rtol = *rtol;
  c.atol = *atol;
  return c;
}

/// Reads, bounds, parses and validates one case file.
Expected<GoldenCase> loadCase(StringRef file) {
  // A FIFO would block until a writer comes, /dev/zero read until memory
  // runs out: cases are regular files, of a bounded size.
  sys::fs::file_status status;
  if (std::error_code ec = sys::fs::status(file, status))
    return fail("cannot read: " + ec.message());
  if (status.type() != sys::fs::file_type::regular_file)
    return fail("cannot read: not a regular file");
  if (status.getSize() > kMaxCaseBytes)
    return fail(formatv("cannot read: {0} bytes, more than a case's {1}",
                        status.getSize(), kMaxCaseBytes));
  auto buffer = MemoryBuffer::getFile(file, /*IsText=*/true);
  if (!buffer)
    return fail("cannot read: " + buffer.getError().message());
  StringRef text = (*buffer)->getBuffer();
  std::string duplicate;
  if (Error error = checkStructure(text, kMaxNestingDepth, duplicate))
    return fail("invalid JSON: " + toString(std::move(error)));
  Expected<json::Value> value = json::parse(text);
  if (!value)
    return fail("invalid JSON: " + toString(value.takeError()));
  if (!duplicate.empty())
    return fail("invalid JSON: " + duplicate);
  const json::Object *root = value->getAsObject();
  if (!root)
    return fail("not a JSON object");
  auto golden = parseCase(*root, file);
  if (!golden)
    return fail("invalid case: " + toString(golden.takeError()));
  return golden;
}

/// The scalars of step `i` (from 0) of `c`.
optim::StepScalars scalarsAt(const GoldenCase &c, size_t i) {
  optim::StepScalars s = c.hyper;
  s.lr = c.lrPerStep[i];
  s.step = c.firstStep + static_cast<int64_t>(i);
  if (c.config.variant.givenPowers) {
    // The caller carries the powers: the given ones at the first step.
    s.beta1Power = c.hyper.beta1Power * std::pow(c.hyper.beta1, double(i));
    s.beta2Power = c.hyper.beta2Power * std::pow(c.hyper.beta2, double(i));
  }
  return s;
}

struct Outcome {
  bool passed = true;
  double maxAbsError = 0;
  /// The largest error as a fraction of its allowed tolerance.
  double maxToleranceUsed = 0;
  std::string worst;

  /// Compares one value with its expectation under the case's tolerance;
  /// `describe` names it if it becomes the worst. Returns its absolute
  /// error (infinite for a non-finite value, which always fails: NaN
  /// compares false).
  double record(const GoldenCase &c, double got, double want,
                llvm::function_ref<std::string()> describe) {
    double error = std::isfinite(got) ? std::fabs(got - want) : INFINITY;
    double allowed = c.atol + c.rtol * std::fabs(want);
    bool ok = std::isfinite(got) && error <= allowed;
    double used = ok ? (allowed > 0 ? error / allowed : 0) : INFINITY;
    if (!ok)
      passed = false;
    if (used > maxToleranceUsed || worst.empty()) {
      maxToleranceUsed = used;
      worst = describe();
    }
    return error;
  }
};

/// How a case's elements are laid out for one run: pieces (one tensor of
/// the group each) at element offsets of one arena per state.
struct Piece {
  size_t arenaOffset, first, size;
};

/// The case as one tensor.
std::vector<Piece> wholeLayout(size_t n) { return {{0, 0, n}}; }

/// The case as a group of odd-sized tensors (1, 3, 5, 7, 13, 29 elements,
/// cycling, the last one what is left), separated by 1 to 3 unused elements
/// so that tensors start at every alignment.
std::vector<Piece> groupLayout(size_t n) {
  static const size_t sizes[] = {7, 1, 13, 3, 29, 5};
  std::vector<Piece> pieces;
  size_t first = 0, offset = 1;
  for (size_t k = 0; first < n; ++k) {
    size_t size = std::min(sizes[k % std::size(sizes)], n - first);
    pieces.push_back({offset, first, size});
    first += size;
    offset += size + 1 + k % 3;
  }
  return pieces;
}

/// Runs `c` on host buffers laid out as `layout` and returns the final
/// states in case order; gaps between pieces must stay untouched.
template <typename T>
Expected<Outcome> runLayout(const optim::CompiledStep &step,
                            const GoldenCase &c, ArrayRef<Piece> layout,
                            std::vector<T> (&final)[kNumStates]);

/// Runs `c` as one tensor, on the host or in device memory.
template <typename T>
Expected<Outcome> runCaseOnce(optim::Compiler &compiler, const GoldenCase &c);

/// Checks the gradient norm of step `i` against the case's, with the case's
/// tolerance, into `outcome` (its worst error so far).
void checkGradNorm(const GoldenCase &c, size_t i, double got,
                   Outcome &outcome) {
  double want = c.expectedGradNorm[i];
  outcome.record(c, got, want, [&] {
    return formatv("grad_norm at step {0} = {1:e} vs {2:e}", i + 1, got, want)
        .str();
  });
}

/// Folds the grad-norm checks into the state's outcome: a failed or worse
/// norm becomes the case's worst.
void mergeNormOutcome(Outcome &outcome, const Outcome &normOutcome) {
  if (normOutcome.passed &&
      normOutcome.maxToleranceUsed <= outcome.maxToleranceUsed)
    return;
  outcome.passed = outcome.passed && normOutcome.passed;
  outcome.maxToleranceUsed = normOutcome.maxToleranceUsed;
  outcome.worst = normOutcome.worst;
}

/// The scalars of step `i` of `c` for the gradients in `params`; with a
/// clipping bound, clip_grad_norm_ first (one pass over all of them, one
/// launch on a GPU), its norm checked into `normOutcome`.
Expected<optim::StepScalars>
getClippedScalars(const optim::CompiledStep &step,
                  ArrayRef<optim::ParamBuffers> params, const GoldenCase &c,
                  size_t i, Outcome &normOutcome) {
  optim::StepScalars scalars = scalarsAt(c, i);
  if (!c.config.variant.clipGradNorm)
    return scalars;
  Expected<double> norm = step.computeGradNorm(params, scalars);
  if (!norm)
    return norm.takeError();
  checkGradNorm(c, i, *norm, normOutcome);
  scalars.gradNorm = *norm;
  return scalars;
}

/// Compares `state` with the case's expectations.
template <typename T>
Outcome compare(const GoldenCase &c, const std::vector<T> (&state)[kNumStates]);

template <typename T>
Expected<Outcome> runCase(optim::Compiler &compiler, const GoldenCase &c) {
  if (c.config.target != optim::Target::GPUEmulated ||
      c.config.momentStorage == optim::MomentStorage::blockwise8)
    return runCaseOnce<T>(compiler, c);
  auto step = compiler.getStep(c.config);
  if (!step)
    return step.takeError();
  // The kernel as one tensor and as a group of misaligned odd-sized ones:
  // the worst of both is reported.
  Outcome worst;
  for (auto layout : {wholeLayout(c.numElements), groupLayout(c.numElements)}) {
    std::vector<T> state[kNumStates];
    auto outcome = runLayout<T>(**step, c, layout, state);
    if (!outcome)
      return outcome.takeError();
    if (!outcome->passed || outcome->maxToleranceUsed >= worst.maxToleranceUsed)
      if (worst.passed)
        worst = *outcome;
  }
  return worst;
}

template <typename T>
Expected<Outcome> runLayout(const optim::CompiledStep &step,
                            const GoldenCase &c, ArrayRef<Piece> layout,
                            std::vector<T> (&final)[kNumStates]) {
  bool amsgrad = c.config.variant.amsgrad;
  size_t arenaSize = layout.back().arenaOffset + layout.back().size + 4;
  // Gaps hold a sentinel that no step writes.
  const T sentinel = T(-1234.5);
  std::vector<T> arena[kNumStates + 1];
  for (auto &a : arena)
    a.assign(arenaSize, sentinel);
  for (int k = 0; k < kNumStates; ++k) {
    if (k == kVmax && !amsgrad)
      continue;
    for (const Piece &piece : layout)
      for (size_t i = 0; i < piece.size; ++i)
        arena[k][piece.arenaOffset + i] = T(c.init[k][piece.first + i]);
  }
  Outcome normOutcome;
  std::vector<optim::ParamBuffers> group;
  for (const Piece &piece : layout) {
    optim::ParamBuffers buffers;
    buffers.param = arena[kParam].data() + piece.arenaOffset;
    buffers.expAvg = arena[kM].data() + piece.arenaOffset;
    buffers.expAvgSq = arena[kV].data() + piece.arenaOffset;
    buffers.maxExpAvgSq =
        amsgrad ? arena[kVmax].data() + piece.arenaOffset : nullptr;
    buffers.grad = arena[kNumStates].data() + piece.arenaOffset;
    buffers.numElements = piece.size;
    group.push_back(buffers);
  }
  for (size_t s = 0; s < c.grads.size(); ++s) {
    for (const Piece &piece : layout)
      for (size_t i = 0; i < piece.size; ++i)
        arena[kNumStates][piece.arenaOffset + i] =
            T(c.grads[s][piece.first + i]);
    Expected<optim::StepScalars> scalars =
        getClippedScalars(step, group, c, s, normOutcome);
    if (!scalars)
      return scalars.takeError();
    if (Error error = step.run(group, *scalars))
      return std::move(error);
  }
  // Every element outside the pieces must be untouched.
  std::vector<bool> inside(arenaSize, false);
  for (const Piece &piece : layout)
    for (size_t i = 0; i < piece.size; ++i)
      inside[piece.arenaOffset + i] = true;
  for (int k = 0; k < kNumStates; ++k)
    for (size_t j = 0; j < arenaSize; ++j)
      if (!inside[j] && !(arena[k][j] == sentinel)) {
        Outcome outcome;
        outcome.passed = false;
        outcome.maxToleranceUsed = INFINITY;
        outcome.worst = formatv("{0} written outside its tensors (at {1} of "
                                "{2} tensors)",
                                kStateNames[k], j, layout.size());
        return outcome;
      }
  for (int k = 0; k < kNumStates; ++k) {
    final[k].assign(c.numElements, T(0));
    if (k == kVmax && !amsgrad)
      continue;
    for (const Piece &piece : layout)
      for (size_t i = 0; i < piece.size; ++i)
        final[k][piece.first + i] = arena[k][piece.arenaOffset + i];
  }
  Outcome outcome = compare<T>(c, final);
  mergeNormOutcome(outcome, normOutcome);
  if (layout.size() > 1)
    outcome.worst += formatv(" [{0} tensors]", layout.size()).str();
  return outcome;
}

/// Runs an 8-bit moment case (one tensor) and compares its params, decoded
/// moments, codes and absmaxes with the reference's.
Expected<Outcome> runBlockwiseCase(optim::Compiler &compiler,
                                   const GoldenCase &c);

template <typename T>
Expected<Outcome> runCaseOnce(optim::Compiler &compiler, const GoldenCase &c) {
  if (c.config.momentStorage == optim::MomentStorage::blockwise8)
    return runBlockwiseCase(compiler, c);
  auto step = compiler.getStep(c.config);
  if (!step)
    return step.takeError();
  size_t n = c.numElements;
  bool amsgrad = c.config.variant.amsgrad;
  auto convert = [](const std::vector<double> &values) {
    return std::vector<T>(values.begin(), values.end());
  };
  // Validation guarantees n elements in every state (vmax with AMSGrad);
  // without AMSGrad its buffer is never passed.
  std::vector<T> state[kNumStates];
  for (int k = 0; k < kNumStates; ++k)
    state[k] = k == kVmax && !amsgrad ? std::vector<T>() : convert(c.init[k]);
  std::vector<T> grad;
  Outcome normOutcome;
  optim::ParamBuffers buffers;
  buffers.param = state[kParam].data();
  buffers.expAvg = state[kM].data();
  buffers.expAvgSq = state[kV].data();
  buffers.maxExpAvgSq = amsgrad ? state[kVmax].data() : nullptr;
  buffers.numElements = n;
#ifdef OPTIM_HAVE_CUDA
  // On the GPU the same buffers live in device memory: p, m, v, vmax, g.
  const optim::cuda::Driver &driver = optim::cuda::Driver::instance();
  std::optional<optim::cuda::ScopedContext> context;
  CUdeviceptr device[5] = {};
  size_t bytes = n * sizeof(T);
  bool onGpu = c.config.target == optim::Target::GPU;
  if (onGpu) {
    context.emplace();
    if (!context->ok())
      return fail(context->status().message());
    for (int k = 0; k < 5; ++k)
      if (driver.memAlloc(&device[k], bytes) != CUDA_SUCCESS)
        return fail("cuMemAlloc failed");
    for (int k = 0; k < kNumStates; ++k)
      if (!state[k].empty())
        driver.memcpyHtoD(device[k], state[k].data(), bytes);
    auto ptr = [](CUdeviceptr p) { return reinterpret_cast<void *>(p); };
    buffers.param = ptr(device[kParam]);
    buffers.expAvg = ptr(device[kM]);
    buffers.expAvgSq = ptr(device[kV]);
    buffers.maxExpAvgSq = amsgrad ? ptr(device[kVmax]) : nullptr;
  }
#endif
  for (size_t i = 0; i < c.grads.size(); ++i) {
    grad = convert(c.grads[i]);
    buffers.grad = grad.data();
#ifdef OPTIM_HAVE_CUDA
    if (onGpu) {
      driver.memcpyHtoD(device[4], grad.data(), bytes);
      // The step's kernels run on non-blocking streams, which a pageable
      // copy (on the legacy stream) does not order.
      driver.ctxSynchronize();
      buffers.grad = reinterpret_cast<void *>(device[4]);
    }
#endif
    Expected<optim::StepScalars> scalars =
        getClippedScalars(**step, buffers, c, i, normOutcome);
    if (!scalars)
      return scalars.takeError();
    if (Error error = (*step)->run(buffers, *scalars))
      return std::move(error);
  }
#ifdef OPTIM_HAVE_CUDA
  if (onGpu) {
    for (int k = 0; k < kNumStates; ++k)
      if (!state[k].empty())
        driver.memcpyDtoH(state[k].data(), device[k], bytes);
    for (CUdeviceptr d : device)
      driver.memFree(d);
  }
#endif
  Outcome outcome = compare<T>(c, state);
  mergeNormOutcome(outcome, normOutcome);
  return outcome;
}

template <typename T>
Outcome compare(const GoldenCase &c,
                const std::vector<T> (&state)[kNumStates]) {
  size_t n = c.numElements;
  Outcome outcome;
  for (int k = 0; k < kNumStates; ++k) {
    if (c.expected[k].empty())
      continue;
    for (size_t i = 0; i < n; ++i) {
      double got = state[k][i], want = c.expected[k][i];
      double error = outcome.record(c, got, want, [&] {
        return formatv("{0}[{1}] = {2:e} vs {3:e}", kStateNames[k], i, got,
                       want)
            .str();
      });
      outcome.maxAbsError = std::max(outcome.maxAbsError, error);
    }
  }
  return outcome;
}

Expected<Outcome> runBlockwiseCase(optim::Compiler &compiler,
                                   const GoldenCase &c) {
  auto step = compiler.getStep(c.config);
  if (!step)
    return step.takeError();
  size_t n = c.numElements, blocks = optim::getNumQuantBlocks(n);
  std::vector<float> param(c.init[kParam].begin(), c.init[kParam].end());
  std::vector<uint8_t> codes[2];
  std::vector<float> absmax[2];
  for (int k : {0, 1}) {
    codes[k].assign(n, 0);
    absmax[k].assign(blocks, 0.0f);
  }
  std::vector<float> grad;
  Outcome normOutcome;
  optim::ParamBuffers buffers;
  buffers.param = param.data();
  buffers.expAvg = codes[0].data();
  buffers.expAvgSq = codes[1].data();
  buffers.expAvgAbsmax = absmax[0].data();
  buffers.expAvgSqAbsmax = absmax[1].data();
  buffers.numElements = n;
#ifdef OPTIM_HAVE_CUDA
  // On the GPU the same buffers live in device memory: p, the codes, the
  // absmaxes, g.
  const optim::cuda::Driver &driver = optim::cuda::Driver::instance();
  std::optional<optim::cuda::ScopedContext> context;
  struct Mirror {
    void *host;
    size_t bytes;
    CUdeviceptr device = 0;
  } mirrors[] = {{param.data(), n * sizeof(float)},
                 {codes[0].data(), n},
                 {codes[1].data(), n},
                 {absmax[0].data(), blocks * sizeof(float)},
                 {absmax[1].data(), blocks * sizeof(float)},
                 {nullptr, n * sizeof(float)}};
  bool onGpu = c.config.target == optim::Target::GPU;
  auto freeMirrors = [&] {
    for (Mirror &mirror : mirrors)
      if (mirror.device)
        driver.memFree(mirror.device);
  };
  if (onGpu) {
    context.emplace();
    if (!context->ok())
      return fail(context->status().message());
    for (Mirror &mirror : mirrors) {
      if (driver.memAlloc(&mirror.device, mirror.bytes) != CUDA_SUCCESS) {
        freeMirrors();
        return fail("cuMemAlloc failed");
      }
      if (mirror.host)
        driver.memcpyHtoD(mirror.device, mirror.host, mirror.bytes);
    }
    auto ptr = [](CUdeviceptr p) { return reinterpret_cast<void *>(p); };
    buffers.param = ptr(mirrors[0].device);
    buffers.expAvg = ptr(mirrors[1].device);
    buffers.expAvgSq = ptr(mirrors[2].device);
    buffers.expAvgAbsmax = static_cast<float *>(ptr(mirrors[3].device));
    buffers.expAvgSqAbsmax = static_cast<float *>(ptr(mirrors[4].device));
  }
#endif
  for (size_t i = 0; i < c.grads.size(); ++i) {
    grad.assign(c.grads[i].begin(), c.grads[i].end());
    buffers.grad = grad.data();
#ifdef OPTIM_HAVE_CUDA
    if (onGpu) {
      driver.memcpyHtoD(mirrors[5].device, grad.data(), mirrors[5].bytes);
      driver.ctxSynchronize(); // as above: the kernels' streams do not wait
      buffers.grad = reinterpret_cast<void *>(mirrors[5].device);
    }
#endif
    Expected<optim::StepScalars> scalars =
        getClippedScalars(**step, buffers, c, i, normOutcome);
    Error error =
        scalars ? (*step)->run(buffers, *scalars) : scalars.takeError();
    if (error) {
#ifdef OPTIM_HAVE_CUDA
      if (onGpu)
        freeMirrors();
#endif
      return std::move(error);
    }
  }
#ifdef OPTIM_HAVE_CUDA
  if (onGpu) {
    for (Mirror &mirror : mirrors)
      if (mirror.host)
        driver.memcpyDtoH(mirror.host, mirror.device, mirror.bytes);
    freeMirrors();
  }
#endif
  // Codes: equal, or (near a midpoint, where f32 and f64 may round to
  // either side) one apart in at most the allowed fraction. The decoded
  // moments of equal codes, the absmaxes and the params then meet the
  // case's tolerance.
  Outcome outcome;
  std::vector<float> state[kNumStates];
  state[kParam] = param;
  const optim::QuantMap maps[2] = {optim::QuantMap::signedDynamic,
                                   optim::QuantMap::unsignedDynamic};
  std::vector<bool> differs(n, false);
  size_t mismatched = 0;
  for (int k : {0, 1}) {
    state[k == 0 ? kM : kV].resize(n);
    for (size_t i = 0; i < n; ++i) {
      int got = codes[k][i], want = int(c.expectedQuantized[k][i]);
      state[k == 0 ? kM : kV][i] =
          optim::getQuantMapValue(maps[k], codes[k][i]) *
          absmax[k][i / optim::kQuantBlockSize];
      if (got == want)
        continue;
      ++mismatched;
      differs[i] = true;
      if (std::abs(got - want) > 1) {
        outcome.passed = false;
        outcome.maxToleranceUsed = INFINITY;
        outcome.worst = formatv("{0}[{1}] = {2} vs {3}", kQuantizedNames[k],
                                i, got, want);
        return outcome;
      }
    }
    for (size_t b = 0; b < blocks; ++b)
      outcome.record(c, absmax[k][b], c.expectedQuantized[2 + k][b], [&] {
        return formatv("{0}[{1}] = {2:e} vs {3:e}", kQuantizedNames[2 + k], b,
                       absmax[k][b], c.expectedQuantized[2 + k][b])
            .str();
      });
  }
  if (double(mismatched) > c.codeMismatches * 2 * n) {
    outcome.passed = false;
    outcome.maxToleranceUsed = INFINITY;
    outcome.worst = formatv("{0} of {1} codes differ by one (at most {2:f4} "
                            "may)",
                            mismatched, 2 * n, c.codeMismatches);
    return outcome;
  }
  for (int k = 0; k < 3; ++k)
    for (size_t i = 0; i < n; ++i) {
      if (k != kParam && differs[i])
        continue;
      double got = state[k][i], want = c.expected[k][i];
      double error = outcome.record(c, got, want, [&] {
        return formatv("{0}[{1}] = {2:e} vs {3:e}", kStateNames[k], i, got,
                       want)
            .str();
      });
      outcome.maxAbsError = std::max(outcome.maxAbsError, error);
    }
  if (mismatched)
    outcome.worst += formatv("; {0} codes one apart", mismatched).str();
  mergeNormOutcome(outcome, normOutcome);
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
  cl::HideUnrelatedOptions(conformanceCategory);
  cl::ParseCommandLineOptions(argc, argv, "optim golden-case conformance\n");
  std::vector<std::string> files;
  for (const std::string &input : inputs) {
    if (!sys::fs::exists(input)) {
      WithColor::error() << input << ": no such file or directory\n";
      return 2;
    }
    collect(input, files);
  }
  if (files.empty()) {
    WithColor::error() << "no golden cases (*.json) found\n";
    return 2;
  }

  unsigned passed = 0, failed = 0;
  auto report = [&](bool ok, StringRef name, const Twine &detail) {
    outs() << (ok ? "PASS " : "FAIL ") << name << ": " << detail << "\n";
    ++(ok ? passed : failed);
  };

  // Validate every file first: a malformed case fails whether or not the
  // steps can run here.
  std::vector<GoldenCase> cases;
  for (const std::string &file : files) {
    Expected<GoldenCase> golden = loadCase(file);
    if (!golden) {
      report(false, sys::path::filename(file), toString(golden.takeError()));
      continue;
    }
    golden->config.fastMath = fastMath;
    golden->config.target = target;
    golden->config.gpuChip = chip;
    golden->config.gpuBlockSize = gpuBlockSize;
    golden->config.gpuMaxBlocks = gpuMaxBlocks;
    golden->config.gpuTestStrideOffset = testStrideOffset;
    // Checked here, not when the step compiles: a skipped GPU run must
    // still fail on a chip or a launch shape that could never run.
    if (Error error = golden->config.verify()) {
      report(false, golden->name,
             "invalid configuration: " + toString(std::move(error)));
      continue;
    }
    cases.push_back(std::move(*golden));
  }

  // GPU cases need a device; without one they are skipped, with the reason.
  std::string skipReason;
  if (target == optim::Target::GPU) {
#ifdef OPTIM_HAVE_CUDA
    const optim::cuda::Driver &driver = optim::cuda::Driver::instance();
    if (!driver.available())
      skipReason = driver.unavailableReason();
#else
    skipReason = "optim was built without the CUDA headers";
#endif
  }
  // A device machine's check script sets OPTIM_REQUIRE_GPU=1 (as for the
  // GPU unit tests): there a driver that fails to load is a failure, not
  // 23 skips and exit 0.
  const char *required = std::getenv("OPTIM_REQUIRE_GPU");
  if (!skipReason.empty() && required && StringRef(required) == "1") {
    outs() << "FAIL: OPTIM_REQUIRE_GPU=1, but " << skipReason << "\n";
    outs() << formatv("{0} passed, {1} failed\n", passed,
                      failed + cases.size());
    return 1;
  }
  if (!skipReason.empty()) {
    outs() << "SKIP: " << skipReason << "\n";
    for (const GoldenCase &c : cases)
      outs() << "SKIP " << c.name << "\n";
    outs() << formatv("{0} passed, {1} failed, {2} skipped\n", passed, failed,
                      cases.size());
    return failed == 0 ? 0 : 1;
  }

  auto compiler = optim::Compiler::create();
  if (!compiler) {
    WithColor::error() << toString(compiler.takeError()) << "\n";
    return 2;
  }
  for (const GoldenCase &c : cases) {
    auto outcome = c.config.paramType == optim::ElementType::f64
                       ? runCase<double>(**compiler, c)
                       : runCase<float>(**compiler, c);
    if (!outcome) {
      report(false, c.name, "error: " + toString(outcome.takeError()));
      continue;
    }
    report(outcome->passed, c.name,
           formatv("{0} {1}, {2} elements, {3} steps: max |err| {4:e2} "
                   "({5:f2} of tolerance; worst {6})",
                   stringifyElementType(c.config.paramType),
                   c.config.variant.str(), c.numElements, c.grads.size(),
                   outcome->maxAbsError, outcome->maxToleranceUsed,
                   outcome->worst));
  }
  outs() << passed << " passed, " << failed << " failed\n";
  return failed == 0 && passed > 0 ? 0 : 1;
}
