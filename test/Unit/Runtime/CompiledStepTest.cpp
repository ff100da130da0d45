//===- CompiledStepTest.cpp - compiled steps against the reference --------===//

#include "Reference.h"
#include "SharedCompiler.h"
#include "TestTensor.h"

#include "optim/Runtime/Compiler.h"

#include "gtest/gtest.h"

#include <chrono>
#include <cstring>

using namespace optim;
using optim::test::referenceStep;
using optim::test::RefState;
using optim::test::Tensor;
using optim::test::defaultScalars;

namespace {

Compiler &getCompiler() { return test::getSharedCompiler(); }

std::shared_ptr<const CompiledStep> getStep(const StepConfig &config) {
  auto step = getCompiler().getStep(config);
  EXPECT_TRUE(bool(step)) << llvm::toString(step.takeError());
  return step ? *step : nullptr;
}

template <typename T>
void checkAgainstReferenceWith(const CompiledStep &compiled,
                               const StepConfig &config,
                               const std::vector<int64_t> &sizes,
                               double tolerance = 2e-5, bool serial = false);

template <typename T>
void checkAgainstReference(const StepConfig &config,
                           const std::vector<int64_t> &sizes, double tolerance,
                           bool serial = false) {
  std::shared_ptr<const CompiledStep> step = getStep(config);
  ASSERT_TRUE(step);
  checkAgainstReferenceWith<T>(*step, config, sizes, tolerance, serial);
}

template <typename T>
void checkAgainstReferenceWith(const CompiledStep &compiled,
                               const StepConfig &config,
                               const std::vector<int64_t> &sizes,
                               double tolerance, bool serial) {
  const CompiledStep *step = &compiled;
  bool amsgrad = config.variant.amsgrad;
  std::vector<Tensor<T>> tensors;
  for (auto [i, n] : llvm::enumerate(sizes))
    tensors.emplace_back(n, 17 + i);
  StepScalars s = defaultScalars();
  for (int iteration = 0; iteration < 3; ++iteration, ++s.step) {
    std::vector<ParamBuffers> buffers;
    for (Tensor<T> &t : tensors)
      buffers.push_back(t.buffers(amsgrad));
    llvm::Error error =
        serial ? step->runSerial(buffers, s) : step->run(buffers, s);
    ASSERT_FALSE(bool(error)) << llvm::toString(std::move(error));
    for (Tensor<T> &t : tensors)
      referenceStep(config, s, t.gradRef, t.ref);
  }
  for (auto [i, t] : llvm::enumerate(tensors))
    EXPECT_LT(t.maxError(amsgrad), tolerance)
        << "tensor #" << i << " of " << sizes[i] << " elements, "
        << config.key();
}

StepConfig adamw(ElementType type) {
  return StepConfig::forPreset(Preset::TorchAdamW, type);
}

} // namespace

// Sizes around the vector width (8 or 16), zero, one, and a large odd size
// that takes every thread.
TEST(CompiledStep, SizesF32) {
  for (int64_t n : {0, 1, 15, 16, 17, 31, 33, 1000003})
    checkAgainstReference<float>(adamw(ElementType::f32), {n}, 2e-5);
}

TEST(CompiledStep, SizesF64) {
  for (int64_t n : {0, 1, 7, 8, 9, 15, 16, 17, 1000003})
    checkAgainstReference<double>(adamw(ElementType::f64), {n}, 1e-12);
}

TEST(CompiledStep, SerialMatchesParallel) {
  checkAgainstReference<float>(adamw(ElementType::f32), {1 << 20}, 2e-5,
                               /*serial=*/true);
}

// A group of very different sizes in one call: thread ranges cross tensor
// boundaries and large tensors are shared between threads.
TEST(CompiledStep, ParameterGroup) {
  checkAgainstReference<float>(adamw(ElementType::f32),
                               {768, 3, 0, 50257, 1, 262144, 17, 40000, 5},
                               2e-5);
}

// Every switch of SEMANTICS.md, alone and combined.
TEST(CompiledStep, EveryVariant) {
  for (Preset preset : optim::getAllPresets()) {
    for (bool amsgrad : {false, true}) {
      for (bool maximize : {false, true}) {
        PresetOptions options;
        options.amsgrad = amsgrad;
        options.maximize = maximize;
        options.rescaleGrad = options.clipGradient = true;
        StepConfig config =
            StepConfig::forPreset(preset, ElementType::f64, options);
        checkAgainstReference<double>(config, {37, 8}, 1e-12);
      }
    }
  }
  StepConfig scaled = adamw(ElementType::f64);
  scaled.variant.gradScale = true;
  checkAgainstReference<double>(scaled, {100}, 1e-12);
  StepConfig noCorrect = StepConfig::forPreset(
      Preset::MXNetAdamW, ElementType::f32, PresetOptions{false, false, false});
  checkAgainstReference<float>(noCorrect, {100}, 2e-5);
}

TEST(CompiledStep, FoundInfLeavesEverythingUnchanged) {
  StepConfig config = adamw(ElementType::f32);
  config.variant.foundInf = true;
  std::shared_ptr<const CompiledStep> step = getStep(config);
  Tensor<float> t(100, 3);
  Tensor<float> before = t;
  StepScalars s = defaultScalars();
  s.foundInf = 1.0;
  ParamBuffers b = t.buffers(false);
  ASSERT_FALSE(bool(step->run(b, s)));
  EXPECT_EQ(t.p, before.p);
  EXPECT_EQ(t.m, before.m);
  EXPECT_EQ(t.v, before.v);
  s.foundInf = 0.0;
  ASSERT_FALSE(bool(step->run(b, s)));
  EXPECT_NE(t.p, before.p);
}

// Invalid calls: see MisuseTest.cpp.

TEST(CompiledStep, InvalidConfigurationIsAnError) {
  StepConfig config =
      StepConfig::forPreset(Preset::TorchAdam, ElementType::f32);
  config.variant.decayRate = DecayRate::effective;
  auto step = getCompiler().getStep(config);
  ASSERT_FALSE(bool(step));
  EXPECT_NE(llvm::toString(step.takeError()).find("decoupled"),
            std::string::npos);
}

// The caller's beta powers would be read by nothing without bias correction
// (the op's verifier says the same of the IR).
TEST(CompiledStep, GivenPowersNeedBiasCorrection) {
  StepConfig config =
      StepConfig::forPreset(Preset::MindSporeAdamWeightDecay, ElementType::f32);
  config.variant.givenPowers = true;
  auto step = getCompiler().getStep(config);
  ASSERT_FALSE(bool(step));
  EXPECT_EQ(llvm::toString(step.takeError()),
            "given beta powers need bias correction 'standard' or 'folded'");
}

TEST(CompiledStep, CacheHitCostsNoCompilation) {
  StepConfig config = adamw(ElementType::f32);
  config.variant.maximize = true;
  config.variant.clipGradient = true;
  CacheStats before = getCompiler().getCacheStats();
  auto first = getStep(config);
  auto start = std::chrono::steady_clock::now();
  auto second = getStep(config);
  double hitMillis = std::chrono::duration<double, std::milli>(
                         std::chrono::steady_clock::now() - start)
                         .count();
  CacheStats after = getCompiler().getCacheStats();
  EXPECT_EQ(first.get(), second.get());
  EXPECT_EQ(after.misses, before.misses + 1);
  EXPECT_EQ(after.hits, before.hits + 1);
  EXPECT_GT(first->getCompileMillis(), 0.0);
  // Not a timing test: a hit is a map lookup, orders of magnitude below any
  // compilation.
  EXPECT_LT(hitMillis, first->getCompileMillis());
}

// Concurrent compilation and runs: see ConcurrencyTest.cpp.

// Adam with L2 in f32 (the PyTorch default), compiled after other kernels in
// the same compiler.
TEST(CompiledStep, TorchAdamF32) {
  checkAgainstReference<float>(
      StepConfig::forPreset(Preset::TorchAdam, ElementType::f32), {1, 17, 4099},
      2e-5);
}

// Without a usable CUDA device a GPU step is an error that says why; with
// one, it matches the reference like a CPU step (device buffers are tested
// by `optim-conformance --target=gpu` and the AOT host program).
TEST(CompiledStep, GpuStepNeedsADevice) {
  StepConfig config = adamw(ElementType::f32);
  config.target = Target::GPU;
  auto step = getCompiler().getStep(config);
  if (step) {
    GTEST_SKIP() << "a CUDA device is present";
  }
  std::string message = llvm::toString(step.takeError());
  EXPECT_TRUE(message.find("no CUDA") != std::string::npos ||
              message.find("without the CUDA headers") != std::string::npos)
      << message;
}

TEST(CompiledStep, GpuChipIsChecked) {
  StepConfig config = adamw(ElementType::f32);
  config.target = Target::GPU;
  // Older than CUDA 13 supports, unknown to LLVM (which only warns, and
  // writes the name into the PTX), or not a chip at all.
  for (const char *chip : {"sm_50", "sm_76", "sm_1000", "sm_", "", "90"}) {
    config.gpuChip = chip;
    auto step = getCompiler().getStep(config);
    ASSERT_FALSE(bool(step)) << chip;
    EXPECT_NE(llvm::toString(step.takeError()).find("sm_75 or newer"),
              std::string::npos)
        << chip;
  }
}

// The AOT objects: both targets emit, the GPU one with the kernel embedded.
TEST(CompiledStep, EmitsObjectsForBothTargets) {
  StepConfig config = adamw(ElementType::f32);
  auto cpu = getCompiler().emitObject(config);
  ASSERT_TRUE(bool(cpu)) << llvm::toString(cpu.takeError());
  EXPECT_EQ(cpu->substr(0, 4), "\x7f"
                               "ELF");
  config.target = Target::GPU;
  auto gpu = getCompiler().emitObject(config);
  ASSERT_TRUE(bool(gpu)) << llvm::toString(gpu.takeError());
  EXPECT_NE(gpu->find(".target sm_90"), std::string::npos);
  // The GPU entry takes the whole group as a table in device memory.
  std::string header = Compiler::getAotHeader(config);
  EXPECT_NE(header.find("#define OPTIM_TABLE_ROW_WORDS 8"), std::string::npos);
  EXPECT_NE(header.find("static inline int optim_step_run("),
            std::string::npos);
}

namespace {
/// bf16 and f16 from/to float by their bit patterns (round to nearest even).
uint16_t toBf16(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, 4);
  bits += 0x7fff + ((bits >> 16) & 1);
  return uint16_t(bits >> 16);
}
float fromBf16(uint16_t h) {
  uint32_t bits = uint32_t(h) << 16;
  float x;
  std::memcpy(&x, &bits, 4);
  return x;
}
} // namespace

namespace {
/// A half-precision step (bf16 or f16 params and grads, f32 moments) against
/// the reference: computed in f32, the parameter rounded once on store, so
/// within one rounding (`tolerance`, relative) of the exact result.
template <typename Half>
void checkHalfPrecision(const StepConfig &config, Half (*toHalf)(float),
                        float (*fromHalf)(Half), double tolerance) {
  std::shared_ptr<const CompiledStep> step = getStep(config);
  ASSERT_TRUE(step);
  const int64_t n = 1037;
  std::vector<Half> p(n), g(n);
  std::vector<float> m(n, 0.f), v(n, 0.f);
  RefState ref{std::vector<double>(n),
               std::vector<double>(n, 0.0),
               std::vector<double>(n, 0.0),
               {}};
  std::vector<double> grad(n);
  for (int64_t i = 0; i < n; ++i) {
    p[i] = toHalf(std::sin(0.37 * i));
    g[i] = toHalf(std::cos(0.11 * i));
    ref.p[i] = fromHalf(p[i]);
    grad[i] = fromHalf(g[i]);
  }
  StepScalars s = defaultScalars();
  ParamBuffers b{p.data(), g.data(), m.data(), v.data(), nullptr, n};
  ASSERT_FALSE(bool(step->run(b, s)));
  referenceStep(config, s, grad, ref);
  for (int64_t i = 0; i < n; ++i) {
    ASSERT_NEAR(fromHalf(p[i]), ref.p[i], tolerance * (1 + std::fabs(ref.p[i])))
        << i;
    ASSERT_NEAR(m[i], ref.m[i], 1e-6);
  }
}
} // namespace

// bf16 (one rounding: 2^-8 relative) with AdamW.
TEST(CompiledStep, Bf16ParamsWithF32Moments) {
  checkHalfPrecision<uint16_t>(adamw(ElementType::bf16), toBf16, fromBf16,
                               4e-3);
}

// f16 (one rounding: 2^-11 relative) with Adam and L2 decay.
TEST(CompiledStep, F16ParamsWithF32Moments) {
  checkHalfPrecision<_Float16>(
      StepConfig::forPreset(Preset::TorchAdam, ElementType::f16),
      [](float x) { return _Float16(x); }, [](_Float16 x) { return float(x); },
      1e-3);
}

// Fast math: the update's relative error stays below 2^-20 (documented
// bound), and the estimates are really used (results differ from precise).
TEST(CompiledStep, FastMathErrorBound) {
  StepConfig precise = adamw(ElementType::f32);
  StepConfig fast = precise;
  fast.fastMath = true;
  auto preciseStep = getStep(precise);
  auto fastStep = getStep(fast);
  ASSERT_TRUE(preciseStep && fastStep);
  Tensor<float> a(100003, 5), b(100003, 5);
  StepScalars s = defaultScalars();
  ParamBuffers ba = a.buffers(false), bb = b.buffers(false);
  ASSERT_FALSE(bool(preciseStep->run(ba, s)));
  ASSERT_FALSE(bool(fastStep->run(bb, s)));
  // Fast and precise results differ by at most the update's approximation
  // error (2^-20 of the update) plus one rounding of the result.
  size_t differ = 0, outside = 0;
  for (size_t i = 0; i < a.p.size(); ++i) {
    double oldP = a.ref.p[i];
    double update = std::fabs(oldP * (1 - s.lr * s.weightDecay) - a.p[i]);
    double ulp = std::fabs(std::nextafter(a.p[i], INFINITY) - a.p[i]);
    double bound = update * std::ldexp(1.0, -20) + ulp;
    differ += a.p[i] != b.p[i];
    outside += std::fabs(double(b.p[i]) - double(a.p[i])) > bound;
  }
  EXPECT_EQ(outside, 0u);
  EXPECT_GT(differ, 0u) << "fast math produced bit-identical results";
  EXPECT_EQ(b.m, a.m); // moments are computed exactly as in precise mode
}

// A compiled step keeps what it needs alive: it may outlive its Compiler.
TEST(CompiledStep, OutlivesItsCompiler) {
  std::shared_ptr<const CompiledStep> step;
  {
    optim::CompilerOptions options;
    options.numThreads = 2;
    auto compiler = llvm::cantFail(Compiler::create(options));
    step = llvm::cantFail(compiler->getStep(adamw(ElementType::f32)));
  }
  checkAgainstReferenceWith<float>(*step, adamw(ElementType::f32), {1 << 17});
}

// The kernel MLIR the runtime generates, before lowering: one optim op over
// the group slots, scalars loaded from the f64 block.
TEST(CompiledStep, KernelSourceIsOptimIR) {
  StepConfig config = adamw(ElementType::f32);
  config.variant.amsgrad = true;
  auto source = getCompiler().getKernelSource(config);
  ASSERT_TRUE(bool(source)) << llvm::toString(source.takeError());
  EXPECT_NE(source->find("func.func @optim_step"), std::string::npos);
  EXPECT_NE(source->find("optim.adamw amsgrad"), std::string::npos);
  EXPECT_NE(source->find("scalar_type(f64)"), std::string::npos);
  config.target = Target::GPU;
  auto gpu = getCompiler().getKernelSource(config);
  ASSERT_TRUE(bool(gpu));
  // One tensor slot (5 buffers) on the CPU; on the GPU the group table
  // first, then the template slot; the scalar block comes last.
  EXPECT_NE(source->find("%arg5: memref<?xf64>"), std::string::npos);
  EXPECT_NE(gpu->find("%arg0: memref<?xi64> {optim.group_table}"),
            std::string::npos);
  EXPECT_NE(gpu->find("%arg6: memref<?xf64>"), std::string::npos);
}

// Framework defaults in one call; the lowered IR is kept on request.
TEST(CompiledStep, PresetDefaultsAndLoweredIR) {
  StepScalars mxnet = StepScalars::forPreset(Preset::MXNetAdamW);
  EXPECT_EQ(mxnet.eps, 1e-6);
  EXPECT_EQ(mxnet.weightDecay, 1e-2);
  StepScalars torch = StepScalars::forPreset(Preset::TorchAdam);
  EXPECT_EQ(torch.lr, 1e-3);
  EXPECT_EQ(torch.beta2, 0.999);
  EXPECT_EQ(torch.eps, 1e-8);
  EXPECT_EQ(torch.weightDecay, 0.0);
  EXPECT_EQ(StepScalars::forPreset(Preset::TorchAdamW).weightDecay, 1e-2);

  optim::CompilerOptions options;
  options.keepLoweredIR = true;
  auto compiler = llvm::cantFail(Compiler::create(options));
  auto step = llvm::cantFail(compiler->getStep(adamw(ElementType::f32)));
  EXPECT_NE(step->getLoweredIR().find("llvm.func @_mlir_ciface_optim_step"),
            std::string::npos);
  EXPECT_TRUE(getStep(adamw(ElementType::f32))->getLoweredIR().empty());
}
