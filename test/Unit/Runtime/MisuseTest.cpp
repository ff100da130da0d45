//===- MisuseTest.cpp - every invalid call is an error that writes nothing ===//
//
// A table of misuses of CompiledStep::run, one row each: a name, a mutation
// of a valid call, and the substring its error message must contain. Every
// buffer of a call lives in one arena, so that a mutation can point a buffer
// anywhere (into another buffer, one element off, across parameters), and
// checksums of every buffer before and after show that a rejected call wrote
// nothing. The Optimizer's and the Compiler's own misuses follow the table.
//
//===----------------------------------------------------------------------===//

#include "ExpectError.h"
#include "Reference.h"
#include "SharedCompiler.h"
#include "TestTensor.h"

#include "optim/Runtime/Optimizer.h"

#include "llvm/Support/xxhash.h"
#include "gtest/gtest.h"

#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <random>

#include <sys/resource.h>
#include <unistd.h>

using namespace optim;

namespace {

Compiler &getCompiler() { return test::getSharedCompiler(); }

constexpr int64_t kN = 100;
constexpr unsigned kNumParams = 2;
enum Slot : unsigned { P, G, M, V, VMax, kNumSlots };
constexpr const char *kSlotNames[] = {"param", "grad", "exp_avg",
                                      "exp_avg_sq", "max_exp_avg_sq"};
constexpr double kInf = std::numeric_limits<double>::infinity();
const double kNaN = std::nan("");

/// A valid call of an f32 AdamW step that reads every scalar (rescale,
/// clipping and loss scaling on), over two parameters whose buffers are
/// regions of one arena. Each region is a buffer of kN elements followed by
/// a gap of kN, so that a shifted buffer stays inside the arena.
struct Call {
  StepConfig config;
  std::vector<ParamBuffers> params;
  StepScalars scalars = test::defaultScalars();
  std::vector<float> arena;

  Call() : arena(kNumParams * kNumSlots * 2 * kN) {
    config = StepConfig::forPreset(Preset::TorchAdamW, ElementType::f32);
    config.variant.rescaleGrad = true;
    config.variant.clipGradient = true;
    config.variant.gradScale = true;
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> dist(0.01f, 1.0f);
    for (float &x : arena)
      x = dist(rng);
    for (unsigned i = 0; i < kNumParams; ++i) {
      ParamBuffers b;
      b.param = at(i, P);
      b.grad = at(i, G);
      b.expAvg = at(i, M);
      b.expAvgSq = at(i, V);
      b.numElements = kN;
      params.push_back(b);
    }
  }

  /// The region of `slot` of parameter `param`.
  float *at(unsigned param, Slot slot) {
    return arena.data() + (param * kNumSlots + slot) * 2 * kN;
  }

  /// The AMSGrad form of the call: every parameter gets its running maximum.
  void useAmsgrad() {
    config.variant.amsgrad = true;
    for (unsigned i = 0; i < kNumParams; ++i)
      params[i].maxExpAvgSq = at(i, VMax);
  }

  /// One checksum per region (its buffer and the gap after it).
  std::vector<uint64_t> checksums() const {
    std::vector<uint64_t> sums;
    for (size_t r = 0; r < kNumParams * kNumSlots; ++r) {
      const float *region = arena.data() + r * 2 * kN;
      sums.push_back(llvm::xxh3_64bits(llvm::ArrayRef<uint8_t>(
          reinterpret_cast<const uint8_t *>(region), 2 * kN * sizeof(float))));
    }
    return sums;
  }
};

/// `ptr` moved by `bytes`.
template <typename T> T *shift(T *ptr, ptrdiff_t bytes) {
  using Byte = std::conditional_t<std::is_const_v<T>, const char, char>;
  return reinterpret_cast<T *>(reinterpret_cast<Byte *>(ptr) + bytes);
}

struct Misuse {
  const char *name;
  std::function<void(Call &)> mutate;
  const char *message;
};

void PrintTo(const Misuse &misuse, std::ostream *os) { *os << misuse.name; }

/// A row that changes one scalar of the call.
Misuse scalar(const char *name, double StepScalars::*field, double value,
              const char *message) {
  return {name, [=](Call &c) { c.scalars.*field = value; }, message};
}
Misuse stepCount(const char *name, int64_t value, const char *message) {
  return {name, [=](Call &c) { c.scalars.step = value; }, message};
}
/// The same with the beta powers given instead of the step count.
Misuse power(const char *name, double StepScalars::*field, double value,
             const char *message) {
  return {name,
          [=](Call &c) {
            c.config.variant.givenPowers = true;
            c.scalars.*field = value;
          },
          message};
}

const std::vector<Misuse> &getMisuses() {
  using S = StepScalars;
  static const std::vector<Misuse> rows = {
      // Null buffers.
      {"NullParam", [](Call &c) { c.params[0].param = nullptr; },
       "param #0: param is null"},
      {"NullGrad", [](Call &c) { c.params[1].grad = nullptr; },
       "param #1: grad is null"},
      {"NullExpAvg", [](Call &c) { c.params[0].expAvg = nullptr; },
       "param #0: exp_avg is null"},
      {"NullExpAvgSq", [](Call &c) { c.params[1].expAvgSq = nullptr; },
       "param #1: exp_avg_sq is null"},
      // AMSGrad buffers missing or superfluous.
      {"AmsgradWithoutMaxExpAvgSq",
       [](Call &c) {
         c.useAmsgrad();
         c.params[1].maxExpAvgSq = nullptr;
       },
       "param #1: max_exp_avg_sq is null"},
      {"MaxExpAvgSqWithoutAmsgrad",
       [](Call &c) { c.params[0].maxExpAvgSq = c.at(0, VMax); },
       "param #0: max_exp_avg_sq given but the step is not AMSGrad"},
      {"MaxExpAvgSqWithoutAmsgradOnAnEmptyParam",
       [](Call &c) {
         c.params[1].numElements = 0;
         c.params[1].maxExpAvgSq = c.at(1, VMax);
       },
       "param #1: max_exp_avg_sq given but the step is not AMSGrad"},
      // Buffers not aligned to their elements.
      {"MisalignedParam",
       [](Call &c) { c.params[0].param = shift(c.params[0].param, 1); },
       "param #0: param at"},
      {"MisalignedGrad",
       [](Call &c) { c.params[1].grad = shift(c.params[1].grad, 2); },
       "is not aligned to its 4-byte elements"},
      {"MisalignedExpAvg",
       [](Call &c) { c.params[0].expAvg = shift(c.params[0].expAvg, 3); },
       "param #0: exp_avg at"},
      {"MisalignedExpAvgSq",
       [](Call &c) { c.params[1].expAvgSq = shift(c.params[1].expAvgSq, 1); },
       "param #1: exp_avg_sq at"},
      {"MisalignedMaxExpAvgSq",
       [](Call &c) {
         c.useAmsgrad();
         c.params[0].maxExpAvgSq = shift(c.params[0].maxExpAvgSq, 2);
       },
       "param #0: max_exp_avg_sq at"},
      // Aliasing and overlapping buffers.
      {"ParamIsGrad",
       [](Call &c) { c.params[0].grad = c.params[0].param; },
       "buffers overlap"},
      {"ExpAvgIsExpAvgSq",
       [](Call &c) { c.params[1].expAvgSq = c.params[1].expAvg; },
       "buffers overlap"},
      {"ExpAvgSqOverlapsExpAvgByOneElement",
       [](Call &c) { c.params[0].expAvgSq = c.at(0, M) + kN - 1; },
       "buffers overlap: exp_avg of param #0 and exp_avg_sq of param #0"},
      {"GradOverlapsParamByOneElement",
       [](Call &c) { c.params[1].grad = c.at(1, P) - (kN - 1); },
       "buffers overlap: grad of param #1 and param of param #1"},
      {"MaxExpAvgSqIsExpAvgSq",
       [](Call &c) {
         c.useAmsgrad();
         c.params[1].maxExpAvgSq = c.params[1].expAvgSq;
       },
       "buffers overlap"},
      {"ExpAvgSharedAcrossParams",
       [](Call &c) { c.params[1].expAvg = c.params[0].expAvgSq; },
       "buffers overlap"},
      {"OneParamTwiceInAGroup", [](Call &c) { c.params[1] = c.params[0]; },
       "buffers overlap"},
      {"ParamInsideAnotherParam",
       [](Call &c) { c.params[1].param = c.at(0, P) + kN / 2; },
       "buffers overlap: param of param #0 and param of param #1"},
      {"ParamInsideAnotherParamsGrad",
       [](Call &c) { c.params[1].param = c.at(0, G) + 10; },
       "buffers overlap"},
      // The overlap is not between neighbours in address order: a small
      // gradient lies between the start of a large one and a parameter
      // inside it.
      {"ParamInsideAGradBeyondASmallerGrad",
       [](Call &c) {
         c.params[1].numElements = 8;
         c.params[1].grad = c.at(0, G) + 4;
         c.params[1].param = c.at(0, G) + 32;
       },
       "buffers overlap"},
      // A gradient in the gap before another parameter's exp_avg, reaching
      // into it: the written buffer the gradient overlaps starts after it.
      {"GradRunsIntoAnotherParamsExpAvg",
       [](Call &c) { c.params[1].grad = c.at(0, G) + kN + kN / 2; },
       "buffers overlap: grad of param #1 and exp_avg of param #0"},
      // Sizes.
      {"NegativeSize", [](Call &c) { c.params[0].numElements = -1; },
       "param #0: negative element count -1"},
      {"MostNegativeSize",
       [](Call &c) {
         c.params[1].numElements = std::numeric_limits<int64_t>::min();
       },
       "param #1: negative element count -9223372036854775808"},
      {"SizeOverflowsByteOffsets",
       [](Call &c) {
         c.params[1].numElements = std::numeric_limits<int64_t>::max();
       },
       "param #1: 9223372036854775807 elements is too many"},
      {"TotalSizeOverflows",
       [](Call &c) {
         c.params[0].numElements = (int64_t(1) << 59) - 1;
         c.params[1].numElements = (int64_t(1) << 59) - 1;
       },
       "too many elements in total"},
      // Every scalar role: NaN, infinities, out of range, beyond f32.
      scalar("LrNaN", &S::lr, kNaN, "lr must not be NaN"),
      scalar("LrNegative", &S::lr, -0.5, "lr must be non-negative, got -0.5"),
      scalar("LrInf", &S::lr, kInf, "lr must be finite, got inf"),
      scalar("LrBeyondF32", &S::lr, 1e39, "lr must be representable in f32"),
      scalar("Beta1NaN", &S::beta1, kNaN, "beta1 must not be NaN"),
      scalar("Beta1Negative", &S::beta1, -0.1,
             "beta1 must be in [0, 1), got -0.1"),
      scalar("Beta1One", &S::beta1, 1.0, "beta1 must be in [0, 1), got 1"),
      scalar("Beta1Inf", &S::beta1, kInf, "beta1 must be in [0, 1), got inf"),
      scalar("Beta2NaN", &S::beta2, kNaN, "beta2 must not be NaN"),
      scalar("Beta2Negative", &S::beta2, -1e-3,
             "beta2 must be in [0, 1), got -0.001"),
      scalar("Beta2One", &S::beta2, 1.0, "beta2 must be in [0, 1), got 1"),
      scalar("Beta2MinusInf", &S::beta2, -kInf,
             "beta2 must be in [0, 1), got -inf"),
      scalar("EpsNaN", &S::eps, kNaN, "eps must not be NaN"),
      scalar("EpsSlightlyNegative", &S::eps, -1e-8,
             "eps must be non-negative, got -1e-08"),
      scalar("EpsInf", &S::eps, kInf, "eps must be finite, got inf"),
      scalar("EpsBeyondF32", &S::eps, 1e39, "eps must be representable in f32"),
      scalar("WeightDecayNaN", &S::weightDecay, kNaN,
             "weight_decay must not be NaN"),
      scalar("WeightDecayNegative", &S::weightDecay, -1e-2,
             "weight_decay must be non-negative, got -0.01"),
      scalar("WeightDecayInf", &S::weightDecay, kInf,
             "weight_decay must be finite, got inf"),
      scalar("WeightDecayBeyondF32", &S::weightDecay, 1e300,
             "weight_decay must be representable in f32"),
      stepCount("StepZero", 0, "step must be >= 1, got 0"),
      stepCount("StepNegative", -5, "step must be >= 1, got -5"),
      stepCount("StepMostNegative", std::numeric_limits<int64_t>::min(),
                "step must be >= 1"),
      stepCount("StepBeyond2To53", (int64_t(1) << 53) + 1,
                "step must be at most 2^53 (9007199254740992), got "
                "9007199254740993"),
      stepCount("StepNearInt64Max", std::numeric_limits<int64_t>::max() - 1,
                "got 9223372036854775806"),
      stepCount("StepInt64Max", std::numeric_limits<int64_t>::max(),
                "got 9223372036854775807"),
      power("Beta1PowerNaN", &S::beta1Power, kNaN,
            "beta1_power must not be NaN"),
      power("Beta1PowerNegative", &S::beta1Power, -0.5,
            "beta1_power must be in [0, 1), got -0.5"),
      power("Beta1PowerOne", &S::beta1Power, 1.0,
            "beta1_power must be in [0, 1), got 1"),
      power("Beta2PowerNaN", &S::beta2Power, kNaN,
            "beta2_power must not be NaN"),
      power("Beta2PowerOne", &S::beta2Power, 1.0,
            "beta2_power must be in [0, 1), got 1"),
      power("Beta2PowerInf", &S::beta2Power, kInf,
            "beta2_power must be in [0, 1), got inf"),
      scalar("RescaleGradNaN", &S::rescaleGrad, kNaN,
             "rescale_grad must not be NaN"),
      scalar("RescaleGradInf", &S::rescaleGrad, kInf,
             "rescale_grad must be finite, got inf"),
      scalar("RescaleGradMinusInf", &S::rescaleGrad, -kInf,
             "rescale_grad must be finite, got -inf"),
      scalar("RescaleGradBeyondF32", &S::rescaleGrad, 1e300,
             "rescale_grad must be representable in f32, got 1e+300"),
      scalar("ClipGradientNaN", &S::clipGradient, kNaN,
             "clip_gradient must not be NaN"),
      scalar("GradScaleNaN", &S::gradScale, kNaN, "grad_scale must not be NaN"),
      scalar("GradScaleZero", &S::gradScale, 0.0,
             "grad_scale must be positive, got 0"),
      scalar("GradScaleNegative", &S::gradScale, -2.0,
             "grad_scale must be positive, got -2"),
      scalar("GradScaleInf", &S::gradScale, kInf,
             "grad_scale must be finite, got inf"),
      scalar("GradScaleReciprocalBeyondF32", &S::gradScale, 1e-39,
             "its reciprocal must be representable in f32"),
      scalar("FoundInfNaN", &S::foundInf, kNaN, "found_inf must not be NaN"),
      // Each scalar is representable, a coefficient derived from them is not.
      {"StepSizeBeyondF32",
       [](Call &c) { c.scalars.lr = 3e38; /* / (1 - 0.9^3) */ },
       "the step size lr / (1 - beta1^t) is 1.1070110701107015e+39, not "
       "finite in f32"},
      {"FoldedStepSizeBeyondF32",
       [](Call &c) {
         c.config.variant.biasCorrection = BiasCorrection::folded;
         c.scalars.lr = 3e38; // * sqrt(1 - 0.5^3) / (1 - 0.9^3)
         c.scalars.beta2 = 0.5;
       },
       "the step size lr * sqrt(1 - beta2^t) / (1 - beta1^t) is"},
      {"DecayFactorBeyondF32",
       [](Call &c) {
         c.scalars.lr = 1e30;
         c.scalars.weightDecay = 1e30;
       },
       "the decay factor 1 - eta * weight_decay is -1.0000000000000001e+60, "
       "not finite in f32"},
  };
  return rows;
}

class RuntimeMisuse : public ::testing::TestWithParam<Misuse> {};

} // namespace

TEST_P(RuntimeMisuse, IsAnErrorAndWritesNothing) {
  const Misuse &misuse = GetParam();
  Call call;
  misuse.mutate(call);
  auto step = getCompiler().getStep(call.config);
  ASSERT_TRUE(bool(step)) << llvm::toString(step.takeError());
  std::vector<uint64_t> before = call.checksums();
  for (bool serial : {false, true}) {
    llvm::Error error = serial ? (*step)->runSerial(call.params, call.scalars)
                               : (*step)->run(call.params, call.scalars);
    ASSERT_TRUE(bool(error)) << "accepted; expected: " << misuse.message;
    std::string message = llvm::toString(std::move(error));
    EXPECT_NE(message.find(misuse.message), std::string::npos)
        << "message: " << message << "\nexpected: " << misuse.message;
    std::vector<uint64_t> after = call.checksums();
    for (size_t r = 0; r < before.size(); ++r)
      EXPECT_EQ(before[r], after[r])
          << kSlotNames[r % kNumSlots] << " of param #" << r / kNumSlots
          << " (or the gap after it) changed";
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, RuntimeMisuse, ::testing::ValuesIn(getMisuses()),
    [](const ::testing::TestParamInfo<Misuse> &info) {
      return std::string(info.param.name);
    });

// The table's unmutated call is valid: it succeeds and writes its outputs,
// so a row fails only by what it changes.
TEST(RuntimeMisuse, TheUnmutatedCallSucceeds) {
  for (bool amsgrad : {false, true}) {
    Call call;
    if (amsgrad)
      call.useAmsgrad();
    auto step = llvm::cantFail(getCompiler().getStep(call.config));
    std::vector<uint64_t> before = call.checksums();
    llvm::Error error = step->run(call.params, call.scalars);
    ASSERT_FALSE(bool(error)) << llvm::toString(std::move(error));
    std::vector<uint64_t> after = call.checksums();
    for (unsigned i = 0; i < kNumParams; ++i) {
      EXPECT_NE(before[i * kNumSlots + P], after[i * kNumSlots + P]);
      EXPECT_EQ(before[i * kNumSlots + G], after[i * kNumSlots + G]);
    }
  }
}

// Alignment is required to the element only, not to vectors or cache lines:
// buffers one element off every vector boundary are accepted and computed
// like any others; gradients (only read) may alias each other.
TEST(RuntimeMisuse, ElementAlignedBuffersAndSharedGradientsAreAccepted) {
  StepConfig config =
      StepConfig::forPreset(Preset::TorchAdamW, ElementType::f32);
  auto step = llvm::cantFail(getCompiler().getStep(config));
  const int64_t n = 1001;
  test::Tensor<float> a(n, 40), b(n, 41);
  b.g = a.g;
  b.gradRef = a.gradRef;
  // Each buffer is copied to element 1 of a larger one: 4-byte aligned only.
  auto offByOne = [&](const std::vector<float> &values) {
    std::vector<float> storage(values.size() + 1);
    std::copy(values.begin(), values.end(), storage.begin() + 1);
    return storage;
  };
  std::vector<float> pa = offByOne(a.p), ma = offByOne(a.m),
                     va = offByOne(a.v), pb = offByOne(b.p),
                     mb = offByOne(b.m), vb = offByOne(b.v);
  std::vector<ParamBuffers> buffers = {
      {pa.data() + 1, a.g.data(), ma.data() + 1, va.data() + 1, nullptr, n},
      {pb.data() + 1, a.g.data(), mb.data() + 1, vb.data() + 1, nullptr, n}};
  StepScalars s = test::defaultScalars();
  llvm::Error error = step->run(buffers, s);
  ASSERT_FALSE(bool(error)) << llvm::toString(std::move(error));
  test::referenceStep(config, s, a.gradRef, a.ref);
  test::referenceStep(config, s, b.gradRef, b.ref);
  for (int64_t e = 0; e < n; ++e) {
    ASSERT_NEAR(pa[e + 1], a.ref.p[e], 2e-5 * (1 + std::fabs(a.ref.p[e])));
    ASSERT_NEAR(ma[e + 1], a.ref.m[e], 1e-6);
    ASSERT_NEAR(va[e + 1], a.ref.v[e], 1e-6);
    ASSERT_NEAR(pb[e + 1], b.ref.p[e], 2e-5 * (1 + std::fabs(b.ref.p[e])));
    ASSERT_NEAR(mb[e + 1], b.ref.m[e], 1e-6);
    ASSERT_NEAR(vb[e + 1], b.ref.v[e], 1e-6);
  }
}

//===----------------------------------------------------------------------===//
// The Optimizer
//===----------------------------------------------------------------------===//

namespace {
/// An optimizer over two f32 parameters and what it must leave unchanged.
struct OptimizerCall {
  std::vector<float> w = std::vector<float>(kN, 0.5f);
  std::vector<float> b = std::vector<float>(7, -0.25f);
  std::vector<float> dw = std::vector<float>(kN, 0.1f);
  std::vector<float> db = std::vector<float>(7, 0.2f);
  StepConfig config =
      StepConfig::forPreset(Preset::TorchAdamW, ElementType::f32);

  llvm::Expected<std::unique_ptr<Optimizer>>
  create(const StepScalars &hyper = StepScalars()) {
    return Optimizer::create(getCompiler(), config, hyper,
                             {{w.data(), kN}, {b.data(), 7}});
  }
};

using test::expectError;
} // namespace

TEST(OptimizerMisuse, RejectedStepsChangeNothing) {
  OptimizerCall call;
  auto opt = llvm::cantFail(call.create());
  ASSERT_FALSE(bool(opt->step({call.dw.data(), call.db.data()})));
  std::string state = opt->exportState();
  std::vector<float> w = call.w, b = call.b;
  auto unchanged = [&] {
    EXPECT_EQ(opt->exportState(), state);
    EXPECT_EQ(call.w, w);
    EXPECT_EQ(call.b, b);
    EXPECT_EQ(opt->getStepCount(), 1);
  };
  expectError(opt->step({call.dw.data()}), "expected 2 gradients, got 1");
  unchanged();
  expectError(opt->step({call.dw.data(), nullptr}), "param #1: grad is null");
  unchanged();
  expectError(opt->step({call.dw.data(), call.b.data()}), "buffers overlap");
  unchanged();
  opt->setLearningRate(kInf);
  expectError(opt->step({call.dw.data(), call.db.data()}),
              "lr must be finite, got inf");
  unchanged();
  opt->setLearningRate(1e-3);
  expectError(opt->step({call.dw.data(), call.db.data()}, /*foundInf=*/kNaN),
              "found_inf must not be NaN");
  unchanged();
}

TEST(OptimizerMisuse, InvalidCreationIsAnError) {
  OptimizerCall call;
  StepScalars hyper;
  hyper.step = 0;
  expectError(call.create(hyper).takeError(), "step must be >= 1, got 0");
  hyper.step = std::numeric_limits<int64_t>::max();
  expectError(call.create(hyper).takeError(),
              "step must be at most 2^53 (9007199254740992), got "
              "9223372036854775807");
  // Also where the variant does not read the count (it gives the powers).
  call.config = StepConfig::forPreset(Preset::MindSporeApplyAdamWithAmsgradV2,
                                      ElementType::f32);
  expectError(call.create(hyper).takeError(), "step must be at most 2^53");

  OptimizerCall gpu;
  gpu.config.target = Target::GPU;
  expectError(gpu.create().takeError(), "keeps its state in host memory");
  EXPECT_EQ(gpu.w, OptimizerCall().w);

  OptimizerCall negative;
  expectError(Optimizer::create(getCompiler(), negative.config, StepScalars(),
                                {{negative.w.data(), -3}})
                  .takeError(),
              "param #0: null data or negative size");
  expectError(Optimizer::create(getCompiler(), negative.config, StepScalars(),
                                {{nullptr, 3}})
                  .takeError(),
              "param #0: null data or negative size");
  // Sizes whose moment allocations would overflow, alone or together.
  expectError(Optimizer::create(getCompiler(), negative.config, StepScalars(),
                                {{negative.w.data(), int64_t(1) << 62}})
                  .takeError(),
              "param #0: 4611686018427387904 elements is too many");
  expectError(Optimizer::create(getCompiler(), negative.config, StepScalars(),
                                {{negative.w.data(), int64_t(1) << 58},
                                 {negative.b.data(), int64_t(1) << 59}})
                  .takeError(),
              "the parameters hold too many elements in total");
}

// The running count never overflows: the optimizer refuses the step after
// 2^53, for every variant.
TEST(OptimizerMisuse, TheStepCountStopsAt2To53) {
  for (Preset preset :
       {Preset::TorchAdamW, Preset::MindSporeApplyAdamWithAmsgradV2,
        Preset::MindSporeAdamWeightDecay}) {
    OptimizerCall call;
    call.config = StepConfig::forPreset(preset, ElementType::f32);
    StepScalars hyper;
    hyper.step = kMaxStepCount;
    auto opt = llvm::cantFail(call.create(hyper));
    ASSERT_FALSE(bool(opt->step({call.dw.data(), call.db.data()})));
    EXPECT_EQ(opt->getStepCount(), 1);
    std::string state = opt->exportState();
    std::vector<float> w = call.w;
    expectError(opt->step({call.dw.data(), call.db.data()}),
                "step 9007199254740993 would exceed the largest step count");
    EXPECT_EQ(opt->getStepCount(), 1);
    EXPECT_EQ(opt->exportState(), state);
    EXPECT_EQ(call.w, w);
  }
}

//===----------------------------------------------------------------------===//
// The Compiler
//===----------------------------------------------------------------------===//

TEST(CompilerMisuse, AbsurdThreadCountsAreErrors) {
  for (unsigned threads : {1025u, 5000u, ~0u}) {
    CompilerOptions options;
    options.numThreads = threads;
    auto compiler = Compiler::create(options);
    ASSERT_FALSE(bool(compiler)) << threads;
    std::string message = llvm::toString(compiler.takeError());
    EXPECT_NE(message.find(std::to_string(threads) +
                           " threads requested; at most 1024 are supported"),
              std::string::npos)
        << message;
  }
}

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) ||   \
    __has_feature(memory_sanitizer)
#define OPTIM_UNDER_SANITIZER 1
#endif
#endif

// A worker thread that cannot be created (here: the address space is
// exhausted by thread stacks) is an error from Compiler::create, not
// std::terminate. Run in a child process whose address space is limited.
TEST(CompilerMisuse, ThreadCreationFailureIsAnError) {
#ifdef OPTIM_UNDER_SANITIZER
  GTEST_SKIP() << "sanitizer runtimes reserve address space on their own";
#else
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  auto createUnderLimit = [] {
    // The current mapping plus 64 MiB: far less than 1000 thread stacks.
    long pages = 0;
    if (FILE *statm = std::fopen("/proc/self/statm", "r")) {
      if (std::fscanf(statm, "%ld", &pages) != 1)
        pages = 0;
      std::fclose(statm);
    }
    if (pages <= 0)
      _exit(2);
    rlim_t bytes = rlim_t(pages) * sysconf(_SC_PAGESIZE) + (rlim_t(64) << 20);
    struct rlimit limit = {bytes, bytes};
    if (setrlimit(RLIMIT_AS, &limit) != 0)
      _exit(3);
    CompilerOptions options;
    options.numThreads = 1000;
    auto compiler = Compiler::create(options);
    if (compiler)
      _exit(4);
    std::fprintf(stderr, "%s\n", llvm::toString(compiler.takeError()).c_str());
    _exit(0);
  };
  EXPECT_EXIT(createUnderLimit(), ::testing::ExitedWithCode(0),
              "cannot create worker thread [0-9]+ of 999: ");
#endif
}

// A process forked from one whose Compiler has worker threads (Python's
// multiprocessing with the fork start method) has none of them: its steps
// run on the calling thread, with the same result. Before, the step waited
// for the missing workers forever.
TEST(CompilerMisuse, AForkedChildStepsOnItsOwnThread) {
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
  GTEST_SKIP() << "ThreadSanitizer does not follow a multithreaded fork";
#endif
#endif
  GTEST_FLAG_SET(death_test_style, "fast"); // fork only, as Python would
  CompilerOptions options;
  options.numThreads = 2;
  options.diskCache = false;
  auto compiler = llvm::cantFail(Compiler::create(options));
  constexpr size_t kElements = 1 << 17; // split over both threads
  std::vector<float> forked(kElements, 0.5f), reference = forked;
  std::vector<float> grad(kElements);
  for (size_t i = 0; i < kElements; ++i)
    grad[i] = std::sin(0.01 * double(i));
  auto a = llvm::cantFail(
      Optimizer::create(*compiler, AdamWOptions(), {TensorView(forked)}));
  auto b = llvm::cantFail(
      Optimizer::create(*compiler, AdamWOptions(), {TensorView(reference)}));
  // Both steps in the parent, so that the workers have run and are waiting
  // (spinning, then asleep) when the child is forked; then b's second.
  llvm::cantFail(a->step({grad.data()}));
  llvm::cantFail(b->step({grad.data()}));
  llvm::cantFail(b->step({grad.data()}));
  usleep(100000); // past the spin: the workers sleep on the condition
  auto stepInChild = [&] {
    alarm(20);
    if (llvm::Error error = a->step({grad.data()})) {
      llvm::consumeError(std::move(error));
      _exit(2);
    }
    bool same = forked == reference;
    // The child lets go of everything, as a process that returns from main
    // does: destroying the pool there used to wait for the missing workers.
    a.reset();
    b.reset();
    compiler.reset();
    _exit(same ? 0 : 1);
  };
  EXPECT_EXIT(stepInChild(), ::testing::ExitedWithCode(0), "");
}
