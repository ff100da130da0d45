//===- StochasticRoundingTest.cpp - bf16 parameters rounded at random -----===//
//
// Stochastic rounding of bf16 parameters, through the runtime:
//   - bit for bit, the f32 step on the same values rounded with the
//     reference draws of optim/Support/Philox.h (so the counter layout, the
//     per-tensor streams and the per-piece element offsets are all right);
//   - the same bits with 1 and 2 threads, other bits with another seed;
//   - unbiased: the mean over many draws is the f32 value, within a bound
//     that round-to-nearest-even would break;
//   - a bf16 training run whose updates are below half an ulp: nearest
//     stalls, stochastic rounding tracks the f32 run;
//   - the configurations it cannot take are rejected.
//
//===----------------------------------------------------------------------===//

#include "Bf16.h"
#include "ExpectError.h"
#include "GpuTargets.h"
#include "SharedCompiler.h"

#include "optim/Runtime/Optimizer.h"
#include "optim/Support/Philox.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>

using namespace optim;

namespace {
Compiler &getCompiler() { return test::getSharedCompiler(); }

using test::fromBF16;
using test::toBF16;

StepConfig roundedConfig(Preset preset = Preset::TorchAdamW) {
  StepConfig config = StepConfig::forPreset(preset, ElementType::bf16);
  config.variant.stochasticRounding = true;
  return config;
}

/// A bf16 group: params, grads and f32 moments, reproducibly random.
struct Bf16Group {
  std::vector<std::vector<uint16_t>> p, g;
  std::vector<std::vector<float>> m, v;

  explicit Bf16Group(llvm::ArrayRef<size_t> sizes, unsigned seed = 3) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> dist(0.0f, 1.0f);
    for (size_t n : sizes) {
      p.emplace_back(n);
      g.emplace_back(n);
      m.emplace_back(n);
      v.emplace_back(n);
      for (size_t j = 0; j < n; ++j) {
        p.back()[j] = toBF16(dist(rng));
        g.back()[j] = toBF16(dist(rng));
        m.back()[j] = 0.1f * dist(rng);
        v.back()[j] = 0.01f * std::fabs(dist(rng));
      }
    }
  }
  std::vector<ParamBuffers> buffers() {
    std::vector<ParamBuffers> out;
    for (size_t i = 0; i < p.size(); ++i)
      out.push_back({p[i].data(), g[i].data(), m[i].data(), v[i].data(),
                     nullptr, int64_t(p[i].size())});
    return out;
  }
};

StepScalars roundedScalars(uint64_t seed, int64_t t) {
  StepScalars s;
  s.lr = 1e-2;
  s.weightDecay = 0.01;
  s.step = t;
  s.roundingSeed = seed;
  s.roundingOffset = uint64_t(t);
  return s;
}
} // namespace

// One step of three tensors, one of them large enough to be cut into
// pieces for two threads (and with a vector tail): the bf16 parameters are
// the f32 step's values, on the upcast state, rounded with the reference
// draws of (seed, step, tensor, element); the moments are the f32 step's.
TEST(StochasticRounding, IsTheF32StepRoundedWithTheReferenceDraws) {
  auto rounded = llvm::cantFail(getCompiler().getStep(roundedConfig()));
  auto wide = llvm::cantFail(getCompiler().getStep(
      StepConfig::forPreset(Preset::TorchAdamW, ElementType::f32)));
  const size_t sizes[] = {37, 70001, 1000};
  Bf16Group group(sizes);
  std::vector<std::vector<float>> p32, g32, m32, v32;
  std::vector<ParamBuffers> wideBuffers;
  for (size_t i = 0; i < group.p.size(); ++i) {
    p32.emplace_back(group.p[i].size());
    g32.emplace_back(group.g[i].size());
    for (size_t j = 0; j < group.p[i].size(); ++j) {
      p32[i][j] = fromBF16(group.p[i][j]);
      g32[i][j] = fromBF16(group.g[i][j]);
    }
    m32.push_back(group.m[i]);
    v32.push_back(group.v[i]);
  }
  for (size_t i = 0; i < group.p.size(); ++i)
    wideBuffers.push_back({p32[i].data(), g32[i].data(), m32[i].data(),
                           v32[i].data(), nullptr, int64_t(p32[i].size())});
  StepScalars s = roundedScalars(0x0123456789abcdefull, 5);
  s.roundingStream = 40; // the group's first tensor: tensor i rounds with 40+i
  ASSERT_FALSE(bool(rounded->run(group.buffers(), s)));
  ASSERT_FALSE(bool(wide->run(wideBuffers, s)));
  size_t ups = 0, total = 0;
  for (size_t i = 0; i < group.p.size(); ++i) {
    for (size_t j = 0; j < group.p[i].size(); ++j) {
      RoundingCoordinates at{s.roundingSeed, s.roundingOffset, 40 + i, j};
      uint16_t expected =
          stochasticRoundToBF16(p32[i][j], stochasticRoundingBits(at));
      ASSERT_EQ(group.p[i][j], expected) << "tensor " << i << " element " << j;
      ASSERT_EQ(group.m[i][j], m32[i][j]);
      ASSERT_EQ(group.v[i][j], v32[i][j]);
      ups += expected != toBF16(p32[i][j]);
      ++total;
    }
  }
  // Not round-to-nearest in disguise: a good share of elements differ.
  EXPECT_GT(ups, total / 10);
}

// The same seed gives the same bits with one thread and with two; another
// seed (or the next step's offset) gives other bits.
TEST(StochasticRounding, SameSeedSameBitsWithOneAndTwoThreads) {
  std::vector<std::vector<uint16_t>> results;
  for (unsigned threads : {1u, 2u}) {
    CompilerOptions options;
    options.numThreads = threads;
    auto compiler = llvm::cantFail(Compiler::create(options));
    auto step = llvm::cantFail(compiler->getStep(roundedConfig()));
    Bf16Group group({1 << 17});
    for (int64_t t = 1; t <= 3; ++t)
      ASSERT_FALSE(bool(step->run(group.buffers(), roundedScalars(7, t))));
    results.push_back(group.p[0]);
  }
  EXPECT_EQ(results[0], results[1]);

  auto step = llvm::cantFail(getCompiler().getStep(roundedConfig()));
  Bf16Group other({1 << 17}), base({1 << 17});
  ASSERT_FALSE(bool(step->run(other.buffers(), roundedScalars(8, 1))));
  ASSERT_FALSE(bool(step->run(base.buffers(), roundedScalars(7, 1))));
  size_t differ = 0;
  for (size_t j = 0; j < base.p[0].size(); ++j)
    differ += base.p[0][j] != other.p[0][j];
  EXPECT_GT(differ, base.p[0].size() / 10);
}

/// Stochastic rounding on the GPU, emulated on the host and on a device
/// when one is present.
class StochasticRoundingGpu : public test::GpuTargetTest {};
OPTIM_INSTANTIATE_ON_GPU_TARGETS(StochasticRoundingGpu);

// The GPU step draws what the CPU step draws: each tensor of the group
// table recomputes its rounding keys from the stream its row holds (its
// index in the group, an empty tensor included), and its elements are
// indexed within it, through the vector and scalar paths. Over three steps
// the bf16 parameters are the CPU's bit for bit.
TEST_P(StochasticRoundingGpu, DrawsTheCpuBits) {
  StepConfig gpuConfig = roundedConfig();
  gpuConfig.target = GetParam();
  auto gpu = llvm::cantFail(getCompiler().getStep(gpuConfig));
  auto cpu = llvm::cantFail(getCompiler().getStep(roundedConfig()));
  const size_t sizes[] = {37, 0, 70001, 1000};
  Bf16Group onGpu(sizes), onCpu(sizes), start(sizes);
  for (int64_t t = 1; t <= 3; ++t) {
    StepScalars s = roundedScalars(0xfeedbeef12345678ull, t);
    s.roundingStream = 9;
    ASSERT_FALSE(bool(test::runOnTarget(*gpu, onGpu.buffers(), s)));
    ASSERT_FALSE(bool(cpu->run(onCpu.buffers(), s)));
  }
  size_t moved = 0;
  for (size_t i = 0; i < onGpu.p.size(); ++i)
    for (size_t j = 0; j < onGpu.p[i].size(); ++j) {
      ASSERT_EQ(onGpu.p[i][j], onCpu.p[i][j])
          << "tensor " << i << " element " << j;
      ASSERT_EQ(onGpu.m[i][j], onCpu.m[i][j]);
      moved += onGpu.p[i][j] != start.p[i][j];
    }
  EXPECT_GT(moved, size_t(71038 / 2));
  // The streams matter: the first tensor moved behind the empty one (its
  // stream 10 instead of 9) rounds otherwise.
  Bf16Group swapped(sizes);
  std::vector<ParamBuffers> buffers = swapped.buffers();
  std::swap(buffers[0], buffers[1]);
  StepScalars s = roundedScalars(0xfeedbeef12345678ull, 1);
  s.roundingStream = 9;
  ASSERT_FALSE(bool(test::runOnTarget(*gpu, buffers, s)));
  Bf16Group once(sizes);
  ASSERT_FALSE(bool(cpu->run(once.buffers(), s)));
  EXPECT_NE(swapped.p[0], once.p[0]);
}

// Unbiased: 2^16 elements that all update to the same f32 value x between
// two bf16 neighbours, at five positions between them. Each rounds up with
// probability q = (x - lo) / ulp, so the mean of the rounded values has
// standard deviation at most ulp / (2 * 256); the bound of 6 of those
// (0.012 ulp) is one that round-to-nearest (bias up to 0.5 ulp) fails.
TEST(StochasticRounding, IsUnbiased) {
  auto rounded = llvm::cantFail(getCompiler().getStep(
      roundedConfig(Preset::TorchAdam)));
  auto wide = llvm::cantFail(getCompiler().getStep(
      StepConfig::forPreset(Preset::TorchAdam, ElementType::f32)));
  const size_t n = 1 << 16;
  for (double fraction : {0.1, 0.3, 0.5, 0.7, 0.9}) {
    for (uint64_t seed : {1u, 2u}) {
      // p = 1 and g = 1 at step 1: the update is lr (m-hat / sqrt(v-hat) =
      // 1 up to eps), below 1, where the bf16 ulp is 2^-8.
      StepScalars s;
      s.lr = fraction * 0x1p-8;
      s.step = 1;
      s.roundingSeed = seed;
      s.roundingOffset = 1;
      std::vector<uint16_t> p(n, toBF16(1.0f)), g(n, toBF16(1.0f));
      std::vector<float> m(n), v(n);
      ASSERT_FALSE(bool(rounded->run(
          ParamBuffers{p.data(), g.data(), m.data(), v.data(), nullptr,
                       int64_t(n)},
          s)));
      float x = 1.0f, gf = 1.0f, m32 = 0.0f, v32 = 0.0f;
      ASSERT_FALSE(bool(wide->run(
          ParamBuffers{&x, &gf, &m32, &v32, nullptr, 1}, s)));
      double ulp = 0x1p-8, sum = 0;
      for (uint16_t h : p) {
        double r = fromBF16(h);
        ASSERT_TRUE(r == 1.0 || r == 1.0 - ulp) << r;
        sum += r;
      }
      double bias = (sum / n - x) / ulp;
      std::printf("[ figures  ] update %.1f ulp, seed %d: bias %+.5f ulp "
                  "(nearest %+.3f)\n",
                  fraction, int(seed), bias,
                  (fromBF16(toBF16(x)) - x) / ulp);
      EXPECT_LT(std::fabs(bias), 6 * 0.5 / std::sqrt(double(n)))
          << "fraction " << fraction << " seed " << seed;
      double nearestBias = (fromBF16(toBF16(x)) - x) / ulp;
      EXPECT_GT(std::fabs(nearestBias), 0.09);
    }
  }
}

// Training in bf16 with updates below half an ulp: w starts at 1 and
// minimises (w - 0.7)^2 / 2 with lr 1e-3 (a quarter of an ulp below 1).
// Round-to-nearest never moves a parameter; stochastic rounding tracks the
// f32 run's parameters to within 2% of the distance they travel.
TEST(StochasticRounding, TracksTheF32RunWhereNearestStalls) {
  const size_t n = 4096;
  const int steps = 400;
  const float target = 0.7f;
  auto train = [&](ElementType type, bool stochastic) {
    OptimizerOptions options =
        AdamWOptions().lr(1e-3).weightDecay(0).paramType(type);
    if (stochastic)
      options.stochasticRounding(11);
    std::vector<float> w32(n, 1.0f), g32(n);
    std::vector<uint16_t> w16(n, toBF16(1.0f)), g16(n);
    TensorView view = type == ElementType::f32
                          ? TensorView(w32)
                          : TensorView::bf16(w16.data(), n);
    auto opt =
        llvm::cantFail(Optimizer::create(getCompiler(), options, {view}));
    for (int t = 0; t < steps; ++t) {
      for (size_t j = 0; j < n; ++j) {
        if (type == ElementType::f32)
          g32[j] = w32[j] - target;
        else
          g16[j] = toBF16(fromBF16(w16[j]) - target);
      }
      const void *grad =
          type == ElementType::f32 ? (const void *)g32.data() : g16.data();
      EXPECT_FALSE(bool(opt->step({grad})));
    }
    std::vector<double> w(n);
    for (size_t j = 0; j < n; ++j)
      w[j] = type == ElementType::f32 ? w32[j] : fromBF16(w16[j]);
    return w;
  };
  auto mean = [](const std::vector<double> &w) {
    double sum = 0;
    for (double x : w)
      sum += x;
    return sum / w.size();
  };
  std::vector<double> f32 = train(ElementType::f32, false);
  std::vector<double> nearest = train(ElementType::bf16, false);
  std::vector<double> stochastic = train(ElementType::bf16, true);
  for (double w : nearest)
    ASSERT_EQ(w, 1.0) << "round-to-nearest moved a parameter";
  double travelled = 1.0 - mean(f32);
  ASSERT_GT(travelled, 0.25);
  std::printf("[ figures  ] mean w after %d steps: f32 %.6f, bf16 nearest "
              "%.6f, bf16 stochastic %.6f\n",
              steps, mean(f32), mean(nearest), mean(stochastic));
  EXPECT_LT(std::fabs(mean(stochastic) - mean(f32)), 0.02 * travelled)
      << "f32 " << mean(f32) << " stochastic " << mean(stochastic);
}

// A buffer that is the tail of a tensor (a shard's first piece) draws with
// roundingElement, the index of its first element in the tensor: it gets
// the bits of the same elements stepped as part of the whole tensor, and
// the tensors after it keep their own streams. Without the origin the tail
// rounds differently. GPU targets refuse an origin.
TEST(StochasticRounding, TailOfATensorDrawsTheWholeTensorsBits) {
  auto rounded = llvm::cantFail(getCompiler().getStep(roundedConfig()));
  const size_t sizes[] = {5000, 300};
  const size_t cut = 1234;
  Bf16Group whole(sizes), tail(sizes), unaligned(sizes);
  StepScalars s = roundedScalars(99, 3);
  s.roundingStream = 7;
  ASSERT_FALSE(bool(rounded->run(whole.buffers(), s)));
  auto shifted = [&](Bf16Group &group) {
    std::vector<ParamBuffers> buffers = group.buffers();
    ParamBuffers &first = buffers[0];
    first.param = group.p[0].data() + cut;
    first.grad = group.g[0].data() + cut;
    first.expAvg = group.m[0].data() + cut;
    first.expAvgSq = group.v[0].data() + cut;
    first.numElements -= cut;
    return buffers;
  };
  StepScalars withOrigin = s;
  withOrigin.roundingElement = cut;
  ASSERT_FALSE(bool(rounded->run(shifted(tail), withOrigin)));
  ASSERT_FALSE(bool(rounded->run(shifted(unaligned), s)));
  for (size_t j = cut; j < sizes[0]; ++j)
    ASSERT_EQ(tail.p[0][j], whole.p[0][j]) << "element " << j;
  EXPECT_EQ(tail.p[1], whole.p[1]);
  EXPECT_EQ(unaligned.p[1], whole.p[1]);
  size_t differ = 0;
  for (size_t j = cut; j < sizes[0]; ++j)
    differ += unaligned.p[0][j] != whole.p[0][j];
  EXPECT_GT(differ, (sizes[0] - cut) / 10);

  StepConfig gpu = roundedConfig();
  gpu.target = Target::GPUEmulated;
  test::expectError(withOrigin.verify(gpu),
                    "rounding_element must be 0 on GPU targets");
}

// What a step with stochastic rounding cannot be.
TEST(StochasticRounding, RejectsWhatItCannotRound) {
  StepConfig f32 = roundedConfig();
  f32.paramType = ElementType::f32;
  test::expectError(getCompiler().getStep(f32).takeError(),
                    "stochastic rounding rounds bf16 parameters, not f32");
  OptimizerOptions options = AdamWOptions().stochasticRounding(1);
  std::vector<float> w(8);
  test::expectError(
      Optimizer::create(getCompiler(), options, {TensorView(w)}).takeError(),
      "stochastic rounding rounds bf16 parameters");
}

// The Optimizer gives each tensor of each group its own stream and each
// step its own offset: two equal tensors in two groups round differently,
// and a rerun with the same seed repeats every bit.
TEST(StochasticRounding, OptimizerStreamsAndSteps) {
  const size_t n = 4096;
  auto run = [&](uint64_t seed) {
    std::vector<uint16_t> a(n, toBF16(1.0f)), b = a;
    std::vector<uint16_t> g(n, toBF16(1.0f));
    OptimizerOptions options = AdamWOptions()
                                   .lr(1e-3)
                                   .paramType(ElementType::bf16)
                                   .stochasticRounding(seed);
    std::vector<ParamGroup> groups;
    groups.emplace_back(std::vector<TensorView>{TensorView::bf16(a.data(), n)},
                        options);
    groups.emplace_back(std::vector<TensorView>{TensorView::bf16(b.data(), n)},
                        options);
    auto opt = llvm::cantFail(Optimizer::create(getCompiler(), groups));
    for (int t = 0; t < 3; ++t)
      EXPECT_FALSE(bool(opt->step({g.data(), g.data()})));
    return std::make_pair(a, b);
  };
  auto first = run(5), again = run(5);
  EXPECT_EQ(first, again);
  EXPECT_NE(first.first, first.second);
}
