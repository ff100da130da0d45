//===- optim-bench.cpp - optimizer steps against the memory-bandwidth limit
//===//
//
// Measures, in one run and interleaved (every repetition runs every
// contender once, so machine noise hits them alike):
//   probe  the step's own in-place access pattern with trivial arithmetic:
//          the limit (28 bytes per f32 element for Adam/AdamW, 36 with
//          AMSGrad's vmax);
//   sqrtdiv-probe  the same with one square root and one division per
//          element, the least an exact step computes: in cache, where
//          the traffic is cheap, the divider's limit;
//   naive  AdamW as users write it (bias corrections in the loop);
//   tuned  AdamW hand-tuned (hoisted scalars, omp simd, -fno-math-errno);
//   optim  the JIT-compiled steps (Adam, AdamW, AMSGrad);
// over sizes, f32/f64, 1 thread and all threads, and a GPT-2-small-shaped
// parameter list (148 tensors, 124M parameters) in one call against one flat
// tensor of the same size. Reports median ms, GB/s, elements/s, and each
// row's ratio to the probe and to the tuned loop of the same repetition set.
// First, what an AdamW f32 step costs before it runs (CompileTimes.h): a
// cold compile and a disk-cache load, each in a new process, and an
// in-memory cache hit.
//
//===----------------------------------------------------------------------===//

#include "Baselines.h"
#include "CompileTimes.h"

#include "optim/Runtime/Compiler.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Threading.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <thread>
#include <vector>

using namespace llvm;
using namespace optim::bench;

static cl::OptionCategory benchCategory("optim-bench options");

/// The steps measured: the presets' Adam and AdamW, and AdamW with AMSGrad.
enum class BenchVariant { AdamW, Adam, AMSGrad };

static cl::list<int>
    sizeExponents("sizes", cl::CommaSeparated,
                  cl::desc("log2 of the element counts, 4 to 30 (default "
                           "12,14,...,26; --quick: 12,16)"),
                  cl::value_desc("e1,e2,..."), cl::cat(benchCategory));
static cl::list<BenchVariant> variantList(
    "variants", cl::CommaSeparated, cl::desc("Steps to measure (default: all)"),
    cl::values(clEnumValN(BenchVariant::AdamW, "adamw", "torch.optim.AdamW"),
               clEnumValN(BenchVariant::Adam, "adam", "torch.optim.Adam"),
               clEnumValN(BenchVariant::AMSGrad, "amsgrad",
                          "torch.optim.AdamW(amsgrad=True)")),
    cl::cat(benchCategory));
static cl::list<optim::ElementType>
    dtypeList("dtypes", cl::CommaSeparated,
              cl::desc("Parameter element types (default: both)"),
              cl::values(clEnumValN(optim::ElementType::f32, "f32", "f32"),
                         clEnumValN(optim::ElementType::f64, "f64", "f64")),
              cl::cat(benchCategory));
static cl::list<unsigned>
    threadList("num-threads", cl::CommaSeparated,
               cl::desc("Thread counts to measure, each a separate set of rows "
                        "(default: 1 and every hardware thread)"),
               cl::value_desc("n1,n2,..."), cl::cat(benchCategory));
static cl::opt<int> reps("reps", cl::init(7),
                         cl::desc("Interleaved repetitions (median reported)"),
                         cl::cat(benchCategory));
static cl::opt<bool>
    gpt2("gpt2", cl::init(true),
         cl::desc("Also the GPT-2-small parameter list (not with --quick)"),
         cl::cat(benchCategory));
static cl::opt<bool>
    quick("quick", cl::desc("Small sizes, few repetitions (smoke test)"),
          cl::cat(benchCategory));
static cl::opt<bool> jsonOutput("json",
                                cl::desc("One JSON record per measurement"),
                                cl::cat(benchCategory));
static cl::opt<bool>
    compileOnly("compile-only",
                cl::desc("Only the compile times: cold compile, disk-cache "
                         "load (each in a new process) and in-memory hit"),
                cl::cat(benchCategory));
// The child process of the compile-time measurement (CompileTimes.h).
static cl::opt<std::string> compileChild("compile-child", cl::Hidden,
                                         cl::cat(benchCategory));
enum class Placement { Aligned, Staggered, Random };
static cl::opt<Placement> placement(
    "placement", cl::init(Placement::Aligned),
    cl::desc("Where each buffer of the single-tensor rows starts within its "
             "4 KiB page"),
    cl::values(
        clEnumValN(Placement::Aligned, "aligned",
                   "every buffer at the same page offset (0)"),
        clEnumValN(Placement::Staggered, "staggered",
                   "buffer k at 128 * k bytes, as PyTorch's allocator places "
                   "consecutive tensors"),
        clEnumValN(Placement::Random, "random",
                   "a random multiple of 64 bytes per buffer (fixed seed)")),
    cl::cat(benchCategory));
static cl::opt<std::string> svgPath("svg", cl::init(""),
                                    cl::desc("Write a GB/s-vs-size plot here"),
                                    cl::value_desc("file"),
                                    cl::cat(benchCategory));

namespace {

using Clock = std::chrono::steady_clock;

/// The page offset of the next buffer of a single-tensor row (--placement).
size_t nextPlacementOffset() {
  static unsigned index = 0;
  static std::mt19937 rng(42);
  switch (placement) {
  case Placement::Aligned:
    return 0;
  case Placement::Staggered:
    return 128 * (index++ % 32);
  case Placement::Random:
    return 64 * std::uniform_int_distribution<size_t>(0, 63)(rng);
  }
  return 0;
}

template <typename T> struct Aligned {
  T *data = nullptr;
  void *base = nullptr;
  /// A buffer of n elements starting `offset` bytes into a 4 KiB page.
  explicit Aligned(int64_t n, size_t offset = 0) {
    size_t bytes = std::max<size_t>(64, (n * sizeof(T) + 63) / 64 * 64);
    base = std::aligned_alloc(4096, (bytes + offset + 4095) / 4096 * 4096);
    data = reinterpret_cast<T *>(static_cast<char *>(base) + offset);
  }
  ~Aligned() { std::free(base); }
  Aligned(const Aligned &) = delete;
};

struct Record {
  std::string impl, variant, dtype;
  int64_t elements, tensors;
  int threads;
  double ms;
  double bytesPerElement;
  double gbps() const { return bytesPerElement * elements / (ms * 1e6); }
  double ratioToProbe = 0, ratioToTuned = 0;
  /// The element rate relative to the "optim" row (the f32-state step) of
  /// the same repetition set.
  double ratioToOptim = 0;
};

std::vector<Record> records;

/// Runs every contender `reps` times, interleaved, each call repeated
/// enough to last about a millisecond; records the medians. `rowBytes`
/// gives the bytes per element of rows that move another amount than the
/// shape's (narrower moment storage, a second read of the gradients).
void measure(std::vector<std::pair<std::string, std::function<void()>>> &runs,
             const Record &shape,
             const std::map<std::string, double> &rowBytes = {}) {
  int64_t bytes = int64_t(shape.bytesPerElement) * shape.elements;
  int iterations = int(std::clamp<int64_t>(
      (int64_t(64) << 20) / std::max<int64_t>(bytes, 1), 1, 2000));
  std::vector<std::vector<double>> samples(runs.size());
  for (auto &run : runs) // warm-up (and first touch through the step itself)
    run.second();
  for (int r = 0; r < reps; ++r)
    for (size_t k = 0; k < runs.size(); ++k) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      auto start = Clock::now();
      for (int i = 0; i < iterations; ++i)
        runs[k].second();
      samples[k].push_back(
          std::chrono::duration<double, std::milli>(Clock::now() - start)
              .count() /
          iterations);
    }
  std::map<std::string, double> medians;
  for (size_t k = 0; k < runs.size(); ++k) {
    std::vector<double> &s = samples[k];
    std::nth_element(s.begin(), s.begin() + s.size() / 2, s.end());
    medians[runs[k].first] = s[s.size() / 2];
  }
  for (auto &[impl, ms] : medians) {
    Record rec = shape;
    rec.impl = impl;
    rec.ms = ms;
    if (medians.count("probe"))
      rec.ratioToProbe = medians["probe"] / ms;
    if (medians.count("tuned"))
      rec.ratioToTuned = medians["tuned"] / ms;
    if (medians.count("optim"))
      rec.ratioToOptim = medians["optim"] / ms;
    if (auto it = rowBytes.find(impl); it != rowBytes.end())
      rec.bytesPerElement = it->second;
    records.push_back(rec);
  }
}

optim::StepConfig configFor(StringRef variant, optim::ElementType type) {
  optim::PresetOptions options;
  options.amsgrad = variant == "amsgrad";
  return optim::StepConfig::forPreset(
      variant == "adam" ? optim::Preset::TorchAdam : optim::Preset::TorchAdamW,
      type, options);
}

template <typename T>
void benchSize(int64_t n, StringRef variant, int threads,
               optim::Compiler &compiler) {
  bool amsgrad = variant == "amsgrad";
  Aligned<T> p(n, nextPlacementOffset()), g(n, nextPlacementOffset()),
      m(n, nextPlacementOffset()), v(n, nextPlacementOffset()),
      vmax(n, nextPlacementOffset());
  fill<T>(p.data, n, T(0.5), threads);
  fill<T>(g.data, n, T(1e-3), threads);
  fill<T>(m.data, n, T(0), threads);
  fill<T>(v.data, n, T(0), threads);
  fill<T>(vmax.data, n, T(0), threads);
  optim::ElementType type =
      sizeof(T) == 4 ? optim::ElementType::f32 : optim::ElementType::f64;
  auto step = cantFail(compiler.getStep(configFor(variant, type)));
  AdamArgs args{1e-3, 0.9, 0.999, 1e-8, 1e-2, 10, amsgrad};
  optim::StepScalars scalars;
  scalars.lr = args.lr;
  scalars.weightDecay = args.weightDecay;
  scalars.step = args.step;
  optim::ParamBuffers buffers{
      p.data, g.data, m.data, v.data, amsgrad ? vmax.data : nullptr, n};
  T *vm = amsgrad ? vmax.data : nullptr;
  std::vector<std::pair<std::string, std::function<void()>>> runs = {
      {"probe",
       [&] { probe<T>(p.data, g.data, m.data, v.data, vm, n, threads); }},
      {"sqrtdiv-probe",
       [&] {
         sqrtDivProbe<T>(p.data, g.data, m.data, v.data, vm, n, threads);
       }},
      {"naive",
       [&] {
         naiveAdamW<T>(p.data, g.data, m.data, v.data, vm, n, args, threads);
       }},
      {"tuned",
       [&] {
         tunedAdamW<T>(p.data, g.data, m.data, v.data, vm, n, args, threads);
       }},
      {"optim", [&] { cantFail(step->run(buffers, scalars)); }},
  };
  // f32: also the opt-in fast-math step (reciprocal estimates + Newton).
  std::shared_ptr<const optim::CompiledStep> fastStep;
  if (sizeof(T) == 4) {
    optim::StepConfig fast = configFor(variant, type);
    fast.fastMath = true;
    fastStep = cantFail(compiler.getStep(fast));
    runs.push_back(
        {"optim-fast", [&] { cantFail(fastStep->run(buffers, scalars)); }});
  }
  // f32: bf16 moment storage (its own moments: 2-byte elements), and
  // global-norm clipping fused (the norm pass, then the clipped step)
  // against clip-then-step as torch does it (the norm, a pass writing the
  // scaled gradients, then the plain step).
  std::map<std::string, double> rowBytes;
  std::shared_ptr<const optim::CompiledStep> bf16Step, clipStep;
  Aligned<uint16_t> m16(n), v16(n), vmax16(n);
  Aligned<T> scaled(n);
  optim::ParamBuffers buffers16 = buffers, scaledBuffers = buffers;
  optim::StepScalars clipScalars = scalars;
  std::shared_ptr<const optim::CompiledStep> bf16ParamStep, roundedStep;
  std::shared_ptr<const optim::CompiledStep> q8Step;
  int64_t blocks = optim::getNumQuantBlocks(n);
  Aligned<uint8_t> m8(n), v8(n);
  Aligned<float> absmax(2 * blocks);
  optim::ParamBuffers buffers8 = buffers;
  Aligned<uint16_t> p16(n), g16(n);
  optim::ParamBuffers bf16ParamBuffers = buffers;
  optim::StepScalars roundedScalars = scalars;
  clipScalars.maxGradNorm = 1.0; // the norm of 1e-3 * sqrt(n): clipping on
  if (sizeof(T) == 4) {
    optim::StepConfig narrow = configFor(variant, type);
    narrow.momentStorage = optim::MomentStorage::bf16;
    bf16Step = cantFail(compiler.getStep(narrow));
    fill<uint16_t>(m16.data, n, 0, threads);
    fill<uint16_t>(v16.data, n, 0, threads);
    fill<uint16_t>(vmax16.data, n, 0, threads);
    buffers16.expAvg = m16.data;
    buffers16.expAvgSq = v16.data;
    buffers16.maxExpAvgSq = amsgrad ? vmax16.data : nullptr;
    runs.push_back(
        {"optim-bf16m", [&] { cantFail(bf16Step->run(buffers16, scalars)); }});
    rowBytes["optim-bf16m"] = 4 * 3 + 2 * 4 + (amsgrad ? 2 * 2 : 0);

    optim::StepConfig clipped = configFor(variant, type);
    clipped.variant.clipGradNorm = true;
    clipStep = cantFail(compiler.getStep(clipped));
    runs.push_back({"optim-clip", [&] {
                      optim::StepScalars s = clipScalars;
                      s.gradNorm =
                          cantFail(clipStep->computeGradNorm(buffers, s));
                      cantFail(clipStep->run(buffers, s));
                    }});
    fill<T>(scaled.data, n, T(0), threads);
    scaledBuffers.grad = scaled.data;
    runs.push_back({"clip-then-step", [&] {
                      double norm =
                          cantFail(clipStep->computeGradNorm(buffers, scalars));
                      T coef = T(std::min(1.0, 1.0 / (norm + 1e-6)));
                      scaleInto<T>(scaled.data, g.data, coef, n, threads);
                      cantFail(step->run(scaledBuffers, scalars));
                    }});
    rowBytes["optim-clip"] = sizeof(T) * (amsgrad ? 10 : 8);
    rowBytes["clip-then-step"] = sizeof(T) * (amsgrad ? 12 : 10);

    // bf16 parameters and gradients (f32 moments), rounded to nearest even
    // and stochastically: what the Philox draws cost.
    optim::StepConfig bf16Params =
        configFor(variant, optim::ElementType::bf16);
    bf16ParamStep = cantFail(compiler.getStep(bf16Params));
    bf16Params.variant.stochasticRounding = true;
    roundedStep = cantFail(compiler.getStep(bf16Params));
    fill<uint16_t>(p16.data, n, 0x3F00, threads); // 0.5
    fill<uint16_t>(g16.data, n, 0x3A83, threads); // 1e-3
    bf16ParamBuffers.param = p16.data;
    bf16ParamBuffers.grad = g16.data;
    roundedScalars.roundingSeed = 1;
    roundedScalars.roundingOffset = uint64_t(scalars.step);
    runs.push_back({"optim-bf16p", [&] {
                      cantFail(bf16ParamStep->run(bf16ParamBuffers, scalars));
                    }});
    runs.push_back({"optim-bf16p-sr", [&] {
                      cantFail(roundedStep->run(bf16ParamBuffers,
                                                roundedScalars));
                    }});
    int64_t bf16ParamBytes = 2 * 3 + sizeof(T) * (amsgrad ? 6 : 4);
    rowBytes["optim-bf16p"] = rowBytes["optim-bf16p-sr"] = bf16ParamBytes;

    // 8-bit blockwise moments (no AMSGrad form): 1-byte codes and an f32
    // absmax per 256 elements per moment, read and written.
    if (!amsgrad) {
      optim::StepConfig q8 = configFor(variant, type);
      q8.momentStorage = optim::MomentStorage::blockwise8;
      q8Step = cantFail(compiler.getStep(q8));
      fill<uint8_t>(m8.data, n, 0, threads);
      fill<uint8_t>(v8.data, n, 0, threads);
      fill<float>(absmax.data, 2 * blocks, 0.0f, threads);
      buffers8.expAvg = m8.data;
      buffers8.expAvgSq = v8.data;
      buffers8.maxExpAvgSq = nullptr;
      if (optim::hasQuantizedMoments(q8, n)) {
        buffers8.expAvgAbsmax = absmax.data;
        buffers8.expAvgSqAbsmax = absmax.data + blocks;
      } else {
        // Below the threshold the step keeps f32 moments.
        buffers8.expAvg = m.data;
        buffers8.expAvgSq = v.data;
      }
      runs.push_back(
          {"optim-8bit", [&] { cantFail(q8Step->run(buffers8, scalars)); }});
      rowBytes["optim-8bit"] =
          optim::hasQuantizedMoments(q8, n)
              ? 4 * 3 + 1 * 4 + 4.0 * 4 / optim::kQuantBlockSize
              : 4 * 7;
    }
  }
  Record shape;
  shape.variant = variant.str();
  shape.dtype = sizeof(T) == 4 ? "f32" : "f64";
  shape.elements = n;
  shape.tensors = 1;
  shape.threads = threads;
  shape.bytesPerElement = sizeof(T) * (amsgrad ? 9 : 7);
  measure(runs, shape, rowBytes);
}

/// GPT-2 small (124M): wte, wpe, 12 blocks, ln_f.
std::vector<int64_t> gpt2Shapes() {
  std::vector<int64_t> sizes = {50257 * 768, 1024 * 768};
  for (int layer = 0; layer < 12; ++layer) {
    for (int64_t s : {768, 768, 768 * 2304, 2304, 768 * 768, 768, 768, 768,
                      768 * 3072, 3072, 3072 * 768, 768})
      sizes.push_back(s);
  }
  sizes.push_back(768);
  sizes.push_back(768);
  return sizes;
}

void benchGpt2(int threads, optim::Compiler &compiler) {
  std::vector<int64_t> shapes = gpt2Shapes();
  int64_t total = 0;
  for (int64_t s : shapes)
    total += s;
  // The group lives in one arena (as a framework's flat buffer would), so
  // the flat-tensor row touches exactly the same memory.
  Aligned<float> p(total), g(total), m(total), v(total);
  fill<float>(p.data, total, 0.5f, threads);
  fill<float>(g.data, total, 1e-3f, threads);
  fill<float>(m.data, total, 0.f, threads);
  fill<float>(v.data, total, 0.f, threads);
  std::vector<optim::ParamBuffers> group;
  int64_t offset = 0;
  for (int64_t s : shapes) {
    // Each tensor starts on a 64-byte boundary in a real allocator; keep the
    // arena offsets as they are (multiples of 768 floats are).
    group.push_back({p.data + offset, g.data + offset, m.data + offset,
                     v.data + offset, nullptr, s});
    offset += s;
  }
  optim::ParamBuffers flat{p.data, g.data, m.data, v.data, nullptr, total};
  auto step =
      cantFail(compiler.getStep(configFor("adamw", optim::ElementType::f32)));
  AdamArgs args{1e-3, 0.9, 0.999, 1e-8, 1e-2, 10, false};
  optim::StepScalars scalars;
  scalars.lr = args.lr;
  scalars.weightDecay = args.weightDecay;
  scalars.step = args.step;
  std::vector<std::pair<std::string, std::function<void()>>> runs = {
      {"probe",
       [&] {
         probe<float>(p.data, g.data, m.data, v.data, nullptr, total, threads);
       }},
      {"tuned",
       [&] {
         tunedAdamW<float>(p.data, g.data, m.data, v.data, nullptr, total, args,
                           threads);
       }},
      {"tuned-per-tensor",
       [&] {
         for (const optim::ParamBuffers &b : group)
           tunedAdamW<float>(static_cast<float *>(b.param),
                             static_cast<const float *>(b.grad),
                             static_cast<float *>(b.expAvg),
                             static_cast<float *>(b.expAvgSq), nullptr,
                             b.numElements, args, threads);
       }},
      {"optim-flat", [&] { cantFail(step->run(flat, scalars)); }},
      {"optim-group", [&] { cantFail(step->run(group, scalars)); }},
  };
  Record shape;
  shape.variant = "adamw";
  shape.dtype = "f32";
  shape.elements = total;
  shape.tensors = shapes.size();
  shape.threads = threads;
  shape.bytesPerElement = 28;
  measure(runs, shape);
  for (Record &r : records)
    if (r.elements == total && r.impl != "optim-group" &&
        r.impl != "tuned-per-tensor" && r.threads == threads && r.tensors > 1)
      r.tensors = 1; // flat rows are one tensor
}

void writeSvg(raw_ostream &os) {
  // One panel: AdamW f32, all threads, GB/s against log2(elements).
  int maxThreads = 0;
  for (const Record &r : records)
    maxThreads = std::max(maxThreads, r.threads);
  std::map<std::string, std::vector<std::pair<double, double>>> series;
  double maxGbps = 1;
  for (const Record &r : records) {
    if (r.variant != "adamw" || r.dtype != "f32" || r.tensors != 1 ||
        r.threads != maxThreads || r.impl.find("-") != std::string::npos)
      continue;
    series[r.impl].push_back({std::log2(double(r.elements)), r.gbps()});
    maxGbps = std::max(maxGbps, r.gbps());
  }
  const int w = 640, h = 400, left = 60, bottom = 50, top = 30, right = 120;
  double xmin = 12, xmax = 26;
  for (auto &[impl, pts] : series)
    for (auto &[x, y] : pts) {
      xmin = std::min(xmin, x);
      xmax = std::max(xmax, x);
    }
  auto sx = [&](double x) {
    return left + (x - xmin) / std::max(1.0, xmax - xmin) * (w - left - right);
  };
  auto sy = [&](double y) {
    return h - bottom - y / (maxGbps * 1.1) * (h - bottom - top);
  };
  const char *colors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                          "#9467bd"};
  os << formatv("<svg xmlns='http://www.w3.org/2000/svg' width='{0}' "
                "height='{1}' font-family='sans-serif' font-size='12'>\n",
                w, h);
  os << "<rect width='100%' height='100%' fill='white'/>\n";
  os << formatv("<text x='{0}' y='18'>AdamW f32, {1} threads: GB/s (28 "
                "bytes/element) vs log2(elements)</text>\n",
                left, maxThreads);
  os << formatv("<line x1='{0}' y1='{1}' x2='{2}' y2='{1}' stroke='black'/>\n",
                left, h - bottom, w - right);
  os << formatv("<line x1='{0}' y1='{1}' x2='{0}' y2='{2}' stroke='black'/>\n",
                left, h - bottom, top);
  for (int x = int(xmin); x <= int(xmax); x += 2)
    os << formatv("<text x='{0}' y='{1}' text-anchor='middle'>{2}</text>\n",
                  sx(x), h - bottom + 16, x);
  for (int k = 0; k <= 4; ++k) {
    double y = maxGbps * 1.1 * k / 4;
    os << formatv("<text x='{0}' y='{1}' text-anchor='end'>{2:f0}</text>\n",
                  left - 6, sy(y) + 4, y);
  }
  int index = 0;
  for (auto &[impl, pts] : series) {
    llvm::sort(pts);
    const char *color = colors[index % 5];
    os << "<polyline fill='none' stroke-width='2' stroke='" << color
       << "' points='";
    for (auto &[x, y] : pts)
      os << formatv("{0:f1},{1:f1} ", sx(x), sy(y));
    os << "'/>\n";
    os << formatv("<text x='{0}' y='{1}' fill='{2}'>{3}</text>\n",
                  w - right + 8, top + 20 + 16 * index, color, impl);
    ++index;
  }
  os << "</svg>\n";
}

} // namespace

/// The JSON record of the compile times: totals, then each phase.
static void writeCompileTimes(json::OStream &out, const CompileTimes &t) {
  out.attribute("impl", "optim-compile");
  out.attribute("variant", "adamw");
  out.attribute("dtype", "f32");
  out.attribute("runs", t.runs);
  out.attribute("create_ms", t.cold.createMs);
  out.attribute("cold_compile_ms", t.cold.getStepMs);
  out.attribute("disk_load_ms", t.disk.getStepMs);
  out.attribute("cache_hit_us", t.hitUs);
  auto phases = [&](StringRef prefix, const optim::CompileBreakdown &b) {
    out.attribute((prefix + "context_ms").str(), b.contextMs);
    out.attribute((prefix + "build_ms").str(), b.buildMs);
    out.attribute((prefix + "lower_ms").str(), b.lowerMs);
    out.attribute((prefix + "translate_ms").str(), b.translateMs);
    out.attribute((prefix + "optimize_ms").str(), b.optimizeMs);
    out.attribute((prefix + "codegen_ms").str(), b.codegenMs);
    out.attribute((prefix + "link_ms").str(), b.loadMs);
    out.attribute((prefix + "cache_ms").str(), b.cacheMs);
  };
  phases("cold_", t.cold.breakdown);
  phases("disk_", t.disk.breakdown);
}

static void printCompileTimes(raw_ostream &os, const CompileTimes &t) {
  const optim::CompileBreakdown &c = t.cold.breakdown, &d = t.disk.breakdown;
  os << formatv("AdamW f32 step, medians of {0} runs:\n"
                "  cold compile (new process, empty kernel cache): {1:f1} ms "
                "(MLIR context {2:f1}, kernel {3:f1}, MLIR pipeline {4:f1}, "
                "to LLVM IR {5:f1}, LLVM opt {6:f1}, codegen {7:f1}, link "
                "{8:f1}, cache write {9:f1}; Compiler::create {10:f1})\n",
                t.runs, t.cold.getStepMs, c.contextMs, c.buildMs, c.lowerMs,
                c.translateMs, c.optimizeMs, c.codegenMs, c.loadMs, c.cacheMs,
                t.cold.createMs);
  os << formatv("  disk-cache load (new process): {0:f2} ms (read {1:f2}, "
                "link {2:f2}; Compiler::create {3:f1})\n",
                t.disk.getStepMs, d.cacheMs, d.loadMs, t.disk.createMs);
  os << formatv("  in-memory cache hit: {0:f2} us\n", t.hitUs);
}

static int fail(const Twine &message) {
  WithColor::error() << message << "\n";
  return 1;
}

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(benchCategory);
  // An LLVM library registers an unrelated integer --threads that this tool
  // would silently accept and ignore; make it an unknown option instead, so
  // that cl suggests --num-threads.
  if (cl::Option *foreign = cl::getRegisteredOptions().lookup("threads"))
    foreign->removeArgument();
  cl::ParseCommandLineOptions(argc, argv, "optim step benchmark\n");
  if (compileChild.getNumOccurrences())
    return runCompileChild(compileChild);
  // The OpenMP baselines and optim's own workers share the cores, and idle
  // workers of both spin before they sleep: libomp's for 200 ms by default,
  // which would steal a core from whichever contender runs next. Unless the
  // user chose otherwise, libomp spins 200 us (optim ~50 us), and measure()
  // pauses 2 ms between contenders so that each starts on quiet cores.
  setenv("KMP_BLOCKTIME", "200us", /*overwrite=*/0);
  std::vector<int> exponents(sizeExponents.begin(), sizeExponents.end());
  if (exponents.empty())
    exponents = quick ? std::vector<int>{12, 16}
                      : std::vector<int>{12, 14, 16, 18, 20, 22, 24, 26};
  for (int e : exponents)
    if (e < 4 || e > 30)
      return fail("--sizes: log2 size " + Twine(e) + " is not in [4, 30]");
  std::vector<std::string> variants;
  for (BenchVariant v : variantList)
    variants.push_back(v == BenchVariant::Adam      ? "adam"
                       : v == BenchVariant::AMSGrad ? "amsgrad"
                                                    : "adamw");
  if (variants.empty())
    variants = {"adamw", "adam", "amsgrad"};
  std::vector<std::string> dtypes;
  for (optim::ElementType type : dtypeList)
    dtypes.push_back(optim::stringifyElementType(type).str());
  if (dtypes.empty())
    dtypes = {"f32", "f64"};
  if (reps < 1)
    return fail("--reps must be at least 1");
  if (quick)
    reps = std::min<int>(reps, 3);
  std::vector<int> threadCounts(threadList.begin(), threadList.end());
  if (threadCounts.empty()) {
    threadCounts = {1};
    int allThreads = llvm::hardware_concurrency().compute_thread_count();
    if (allThreads > 1)
      threadCounts.push_back(allThreads);
  }
  for (int threads : threadCounts)
    if (threads < 1 || threads > 1024)
      return fail("--num-threads: " + Twine(threads) + " is not in [1, 1024]");

  // Opened before the run, not after it: a path that cannot be written is
  // an error now, not a warning (and exit 0) an hour later.
  std::optional<raw_fd_ostream> svg;
  if (!svgPath.empty()) {
    std::error_code ec;
    svg.emplace(svgPath, ec);
    if (ec)
      return fail("--svg: cannot write " + svgPath + ": " + ec.message());
  }

  // Compile times first, on quiet cores.
  Expected<CompileTimes> compileTimes = measureCompileTimes(reps);
  if (!compileTimes)
    return fail("compile times: " + toString(compileTimes.takeError()));

  for (int threads : compileOnly ? std::vector<int>() : threadCounts) {
    optim::CompilerOptions options;
    options.numThreads = threads;
    auto compiler = cantFail(optim::Compiler::create(options));
    for (const std::string &dtype : dtypes)
      for (const std::string &variant : variants)
        for (int e : exponents) {
          if (dtype == "f32")
            benchSize<float>(int64_t(1) << e, variant, threads, *compiler);
          else
            benchSize<double>(int64_t(1) << e, variant, threads, *compiler);
        }
    if (gpt2 && !quick)
      benchGpt2(threads, *compiler);
  }

  if (jsonOutput) {
    // One JSON object per line (JSON Lines): a fresh stream per record.
    for (const Record &r : records) {
      json::OStream out(outs());
      out.object([&] {
        out.attribute("impl", r.impl);
        out.attribute("variant", r.variant);
        out.attribute("dtype", r.dtype);
        out.attribute("elements", r.elements);
        out.attribute("tensors", r.tensors);
        out.attribute("threads", r.threads);
        out.attribute("ms", r.ms);
        out.attribute("bytes_per_element", r.bytesPerElement);
        out.attribute("gbps", r.gbps());
        out.attribute("elements_per_s", r.elements / (r.ms * 1e-3));
        out.attribute("ratio_to_probe", r.ratioToProbe);
        out.attribute("ratio_to_tuned", r.ratioToTuned);
        out.attribute("ratio_to_optim", r.ratioToOptim);
      });
      outs() << "\n";
    }
    json::OStream out(outs());
    out.object([&] { writeCompileTimes(out, *compileTimes); });
    outs() << "\n";
  } else if (!records.empty()) {
    outs() << formatv("{0,-17} {1,-8} {2,-5} {3,10} {4,7} {5,7} {6,10} {7,8} "
                      "{8,10} {9,9} {10,9} {11,9} {12,7}\n",
                      "impl", "variant", "dtype", "elements", "tensors",
                      "threads", "ms", "GB/s", "Gelem/s", "x probe", "x tuned",
                      "x optim", "B/elem");
    for (const Record &r : records)
      outs() << formatv("{0,-17} {1,-8} {2,-5} {3,10} {4,7} {5,7} {6,10:f4} "
                        "{7,8:f2} {8,10:f3} {9,9:f3} {10,9:f3} {11,9:f3} "
                        "{12,7}\n",
                        r.impl, r.variant, r.dtype, r.elements, r.tensors,
                        r.threads, r.ms, r.gbps(), r.elements / (r.ms * 1e6),
                        r.ratioToProbe, r.ratioToTuned, r.ratioToOptim,
                        r.bytesPerElement);
  }
  if (!jsonOutput)
    printCompileTimes(outs(), *compileTimes);
  if (svg) {
    writeSvg(*svg);
    svg->close();
    if (svg->has_error())
      return fail("--svg: cannot write " + svgPath + ": " +
                  svg->error().message());
  }
  return 0;
}
