//===- BlockwiseMomentsTest.cpp - 8-bit blockwise moments -----------------===//
//
// 8-bit moments (MomentStorage::blockwise8): decoded per block of 256 with
// the block's absmax, the step computed in f32, the block's new absmax
// taken from the new moments and each moment stored as its nearest code.
// Checked bit for bit against the f32-storage step from the decoded state
// followed by the reference coding of optim/Support/BlockwiseQuant.h, for
// any thread split; over many steps against the double reference; through
// the Optimizer's state files; and for the inputs it must refuse.
//
//===----------------------------------------------------------------------===//

#include "Bf16.h"
#include "ExpectError.h"
#include "GpuTargets.h"
#include "Reference.h"
#include "SharedCompiler.h"

#include "optim/Runtime/Optimizer.h"
#include "optim/Support/QuantEncodeTable.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstring>
#include <map>
#include <random>

using namespace optim;

namespace {
Compiler &getCompiler() { return test::getSharedCompiler(); }

using test::bitsOf;
using test::expectError;
using test::fromBits;

StepConfig blockwiseConfig() {
  StepConfig config =
      StepConfig::forPreset(Preset::TorchAdamW, ElementType::f32);
  config.momentStorage = MomentStorage::blockwise8;
  return config;
}

/// One tensor's state with 8-bit moments, and the same state decoded.
struct QuantizedTensor {
  std::vector<float> p, g;
  std::vector<uint8_t> m, v;
  std::vector<float> absM, absV;

  QuantizedTensor(int64_t n, unsigned seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> dist(0.0f, 1.0f);
    std::uniform_int_distribution<int> code(0, 255);
    p.resize(n);
    g.resize(n);
    m.resize(n);
    v.resize(n);
    for (int64_t i = 0; i < n; ++i) {
      p[i] = dist(rng);
      g[i] = dist(rng);
      m[i] = uint8_t(code(rng));
      v[i] = uint8_t(code(rng));
    }
    int64_t blocks = getNumQuantBlocks(n);
    absM.resize(blocks);
    absV.resize(blocks);
    for (int64_t b = 0; b < blocks; ++b) {
      absM[b] = 0.05f * std::fabs(dist(rng));
      absV[b] = 0.01f * std::fabs(dist(rng));
    }
    // One block starts from zero state (absmax 0 decodes every code to 0).
    absM[0] = absV[0] = 0;
  }

  ParamBuffers buffers() {
    ParamBuffers b{p.data(), g.data(), m.data(), v.data(), nullptr,
                   int64_t(p.size())};
    b.expAvgAbsmax = absM.data();
    b.expAvgSqAbsmax = absV.data();
    return b;
  }
};

/// What the 8-bit step must produce from `t`'s state: the f32 step of the
/// decoded moments, then each block coded with its new absmax.
void referenceQuantizedStep(const StepScalars &s, QuantizedTensor &t) {
  StepConfig wide = blockwiseConfig();
  wide.momentStorage = MomentStorage::compute;
  auto step = llvm::cantFail(getCompiler().getStep(wide));
  int64_t n = t.p.size();
  std::vector<float> m(n), v(n);
  for (int64_t i = 0; i < n; ++i) {
    m[i] = getQuantMapValue(QuantMap::signedDynamic, t.m[i]) *
           t.absM[i / kQuantBlockSize];
    v[i] = getQuantMapValue(QuantMap::unsignedDynamic, t.v[i]) *
           t.absV[i / kQuantBlockSize];
  }
  ParamBuffers b{t.p.data(), t.g.data(), m.data(), v.data(), nullptr, n};
  ASSERT_FALSE(bool(step->runSerial(b, s)));
  for (int64_t block = 0; block < getNumQuantBlocks(n); ++block) {
    int64_t lo = block * kQuantBlockSize;
    int64_t hi = std::min(n, lo + kQuantBlockSize);
    float maxM = 0, maxV = 0;
    for (int64_t i = lo; i < hi; ++i) {
      maxM = std::max(maxM, std::fabs(m[i]));
      maxV = std::max(maxV, std::fabs(v[i]));
    }
    t.absM[block] = maxM;
    t.absV[block] = maxV;
    for (int64_t i = lo; i < hi; ++i) {
      t.m[i] = encodeQuantized(QuantMap::signedDynamic,
                               maxM == 0 ? 0.0f : m[i] / maxM);
      t.v[i] = encodeQuantized(QuantMap::unsignedDynamic,
                               maxV == 0 ? 0.0f : v[i] / maxV);
    }
  }
}

/// Steps 1 and 2 of `config` over the group of `tensors` (anything with
/// `buffers()`), from `s`; each step's rounding offset is its count.
template <typename TensorT>
void runTwoSteps(const StepConfig &config, std::vector<TensorT> &tensors,
                 StepScalars s) {
  auto step = llvm::cantFail(getCompiler().getStep(config));
  std::vector<ParamBuffers> group;
  for (TensorT &tensor : tensors)
    group.push_back(tensor.buffers());
  for (int64_t t = 1; t <= 2; ++t) {
    s.step = t;
    s.roundingOffset = uint64_t(t);
    ASSERT_FALSE(bool(test::runOnTarget(*step, group, s)));
  }
}

void expectSameState(const QuantizedTensor &got, const QuantizedTensor &want,
                     const char *what) {
  ASSERT_EQ(got.p.size(), want.p.size());
  for (size_t i = 0; i < got.p.size(); ++i) {
    ASSERT_EQ(bitsOf(got.p[i]), bitsOf(want.p[i])) << what << " param " << i;
    ASSERT_EQ(int(got.m[i]), int(want.m[i])) << what << " exp_avg " << i;
    ASSERT_EQ(int(got.v[i]), int(want.v[i])) << what << " exp_avg_sq " << i;
  }
  for (size_t b = 0; b < got.absM.size(); ++b) {
    ASSERT_EQ(bitsOf(got.absM[b]), bitsOf(want.absM[b])) << what << " " << b;
    ASSERT_EQ(bitsOf(got.absV[b]), bitsOf(want.absV[b])) << what << " " << b;
  }
}
} // namespace

// The code tables: sorted, 0 and 1 where bitsandbytes puts them, and the
// search finds the nearest code (ties to the lower one).
TEST(BlockwiseMoments, CodeTablesAndNearestCode) {
  for (QuantMap map : {QuantMap::signedDynamic, QuantMap::unsignedDynamic}) {
    for (unsigned k = 0; k + 1 < 256; ++k)
      ASSERT_LT(getQuantMapValue(map, k), getQuantMapValue(map, k + 1)) << k;
    EXPECT_EQ(getQuantMapValue(map, 255), 1.0f);
    std::mt19937 rng(3);
    std::uniform_real_distribution<float> dist(
        map == QuantMap::signedDynamic ? -1.0f : 0.0f, 1.0f);
    for (int trial = 0; trial < 20000; ++trial) {
      float x = trial < 256 ? getQuantMapValue(map, trial) : dist(rng);
      uint8_t code = encodeQuantized(map, x);
      double best = std::fabs(double(getQuantMapValue(map, code)) - x);
      for (unsigned k = 0; k < 256; ++k)
        ASSERT_LE(best, std::fabs(double(getQuantMapValue(map, k)) - x) +
                            1e-7 * std::fabs(x))
            << x;
      if (trial < 256)
        ASSERT_EQ(code, trial);
    }
  }
  EXPECT_EQ(getQuantMapValue(QuantMap::signedDynamic, 127), 0.0f);
  EXPECT_EQ(getQuantMapValue(QuantMap::unsignedDynamic, 0), 0.0f);
  EXPECT_EQ(encodeQuantized(QuantMap::signedDynamic, 0.0f), 127);
  EXPECT_EQ(encodeQuantized(QuantMap::signedDynamic, NAN), 0);
}

// The encode table the compiled steps code with gives encodeQuantized's
// code for every value where that can change: each midpoint, the floats
// next to it and every bucket's edges, of both signs; and for zeros,
// subnormals, +-1, NaNs of both signs and 2^20 random values in [-1, 1].
// Its buckets are as coarse as one midpoint per bucket allows.
TEST(BlockwiseMoments, EncodeTableGivesTheNearestCode) {
  for (QuantMap map : {QuantMap::signedDynamic, QuantMap::unsignedDynamic}) {
    const QuantEncodeTable &table = getQuantEncodeTable(map);
    ASSERT_EQ(table.entries.size(), 2 * size_t(table.numBuckets));
    size_t checked = 0;
    auto check = [&](float y) {
      if (!(std::fabs(y) <= 1.0f) && !std::isnan(y))
        return;
      ASSERT_EQ(encodeWithTable(table, y), encodeQuantized(map, y))
          << "y = " << y << " (bits " << std::hex << bitsOf(y) << ")";
      ++checked;
    };
    for (unsigned k = 0; k < 255; ++k) {
      float m = getQuantMidpoint(map, k);
      for (float y : {m, std::nextafter(m, 2.0f), std::nextafter(m, -2.0f), -m,
                      -std::nextafter(m, 2.0f)})
        check(y);
    }
    uint32_t last = table.lowest + table.numBuckets - 1;
    for (uint32_t bucket = table.lowest; bucket < last; ++bucket) {
      uint32_t bottom = bucket << table.shift;
      uint32_t top = bottom | table.getLowMask();
      for (uint32_t bits : {bottom, top, bottom + 1, top - 1}) {
        check(fromBits(bits));
        check(fromBits(bits | 0x80000000u));
      }
    }
    for (float y : {0.0f, -0.0f, 1.0f, -1.0f, 1e-45f, -1e-45f, 1e-38f, -1e-38f,
                    float(NAN), -float(NAN)})
      check(y);
    std::mt19937 rng(11);
    std::uniform_int_distribution<uint32_t> bits;
    for (int i = 0; i < (1 << 20); ++i) {
      // Uniform over bit patterns: every exponent, not just the large ones.
      float y = fromBits(bits(rng) & 0xbfffffffu);
      check(y);
    }
    EXPECT_GT(checked, size_t(1) << 20);
    // One bit coarser and some bucket would hold two midpoints: the table
    // is as small as it can be.
    std::map<uint32_t, unsigned> perBucket;
    bool crowded = false;
    for (unsigned k = 0; k < 255; ++k) {
      uint32_t m = bitsOf(getQuantMidpoint(map, k));
      uint32_t coarse =
          (m >> 31) << 31 | (m & 0x7fffffffu) >> (table.shift + 1);
      crowded |= ++perBucket[coarse] > 1;
    }
    EXPECT_TRUE(crowded) << "shift " << table.shift << " could be coarser";
  }
  // The signed map's buckets are 2^17 patterns, the unsigned one's 2^16.
  EXPECT_EQ(getQuantEncodeTable(QuantMap::signedDynamic).shift, 17u);
  EXPECT_EQ(getQuantEncodeTable(QuantMap::unsignedDynamic).shift, 16u);
}

// One step: whole blocks, a partial last block, a block of zero state, and
// a tensor below the threshold (f32 moments) in the same call; serial and
// parallel (ranges that split tensors between blocks) write the same bits.
TEST(BlockwiseMoments, StepIsTheF32StepOfTheDecodedStateCodedOnce) {
  StepConfig config = blockwiseConfig();
  auto step = llvm::cantFail(getCompiler().getStep(config));
  StepScalars s;
  s.lr = 1e-2;
  s.weightDecay = 0.01;
  s.step = 3;
  // 5 * 4096 + 100: more than one thread's share at 2+ threads.
  for (int64_t n : {int64_t(4096), int64_t(4096 + 300), int64_t(20580)}) {
    for (bool parallel : {false, true}) {
      QuantizedTensor got(n, 11), want(n, 11);
      std::vector<float> small(1000, 0.25f), smallG(1000, 0.5f),
          smallM(1000), smallV(1000);
      ParamBuffers buffers[] = {got.buffers(),
                                {small.data(), smallG.data(), smallM.data(),
                                 smallV.data(), nullptr, 1000}};
      llvm::Error error = parallel ? step->run(buffers, s)
                                   : step->runSerial(buffers, s);
      ASSERT_FALSE(bool(error)) << llvm::toString(std::move(error));
      referenceQuantizedStep(s, want);
      expectSameState(got, want, parallel ? "parallel" : "serial");
      // The small tensor took the f32 step: m = (1 - beta1) * g.
      EXPECT_FLOAT_EQ(smallM[0], 0.1f * 0.5f);
    }
  }
}

// A piece of a coded tensor (a sharded step's shard) is coded whatever its
// length: tensorElements names the whole tensor. Pieces cut on blocks give
// the whole tensor's step, and a piece said to be of a smaller tensor is
// refused.
TEST(BlockwiseMoments, PiecesOfACodedTensorAreCoded) {
  auto step = llvm::cantFail(getCompiler().getStep(blockwiseConfig()));
  StepScalars s;
  s.lr = 1e-2;
  s.step = 2;
  const int64_t n = 4096 + 300, cut = 3 * kQuantBlockSize;
  QuantizedTensor got(n, 5), want(n, 5);
  ParamBuffers whole = got.buffers();
  ParamBuffers pieces[2] = {whole, whole};
  pieces[0].numElements = cut;
  pieces[1].numElements = n - cut;
  pieces[1].param = got.p.data() + cut;
  pieces[1].grad = got.g.data() + cut;
  pieces[1].expAvg = got.m.data() + cut;
  pieces[1].expAvgSq = got.v.data() + cut;
  pieces[1].expAvgAbsmax = got.absM.data() + cut / kQuantBlockSize;
  pieces[1].expAvgSqAbsmax = got.absV.data() + cut / kQuantBlockSize;
  for (ParamBuffers &piece : pieces)
    piece.tensorElements = n;
  // Without tensorElements both pieces are under 4096 elements: f32
  // moments, and so no absmaxes.
  ParamBuffers bare = pieces[0];
  bare.tensorElements = 0;
  expectError(step->run(bare, s), "absmax given but its moments are not");
  ParamBuffers shrunk = pieces[1];
  shrunk.tensorElements = 100;
  expectError(step->run(shrunk, s), "a piece of 3628 elements of a tensor "
                                    "of 100");
  for (ParamBuffers &piece : pieces) {
    llvm::Error error = step->run(piece, s);
    ASSERT_FALSE(bool(error)) << llvm::toString(std::move(error));
  }
  referenceQuantizedStep(s, want);
  expectSameState(got, want, "pieces");
}

// Twenty AdamW steps with 8-bit moments track the double reference (exact
// moments): the coding error of a moment is a few percent of its block's
// absmax, so each step's update is off by a few percent of lr at most.
TEST(BlockwiseMoments, StepsTrackTheReference) {
  const int64_t n = 8192 + 77;
  std::vector<float> w(n);
  std::mt19937 rng(9);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  for (float &x : w)
    x = dist(rng);
  test::RefState ref;
  ref.p.assign(w.begin(), w.end());
  ref.m.assign(n, 0);
  ref.v.assign(n, 0);
  auto opt = llvm::cantFail(Optimizer::create(
      getCompiler(),
      AdamWOptions().lr(1e-3).momentStorage(MomentStorage::blockwise8),
      {TensorView(w)}));
  StepConfig config = blockwiseConfig();
  StepScalars s;
  s.lr = 1e-3;
  s.weightDecay = 1e-2;
  std::vector<float> g(n);
  double travel = 0, error = 0;
  std::vector<double> start = ref.p;
  for (int t = 1; t <= 20; ++t) {
    for (int64_t i = 0; i < n; ++i)
      g[i] = dist(rng) * (1 + 0.1f * t);
    ASSERT_FALSE(bool(opt->step({ConstTensorView(g)})));
    s.step = t;
    test::referenceStep(config, s, std::vector<double>(g.begin(), g.end()),
                        ref);
  }
  for (int64_t i = 0; i < n; ++i) {
    travel += std::fabs(ref.p[i] - start[i]);
    error += std::fabs(w[i] - ref.p[i]);
  }
  // Every parameter moves (about 20 * lr); the 8-bit moments' error stays
  // a small fraction of that.
  EXPECT_GT(travel / n, 2e-3);
  EXPECT_LT(error / travel, 0.05) << "mean error " << error / n;
  std::printf("[ figures  ] 20 steps, 8-bit moments: mean travel %.3g, "
              "mean error %.3g (%.2f%% of it)\n",
              travel / n, error / n, 100 * error / travel);
  // The state holds codes and absmaxes.
  ASSERT_NE(opt->getExpAvgAbsmax(0), nullptr);
  EXPECT_GT(opt->getExpAvgAbsmax(0)[0], 0.0f);
}

// The state file holds 1-byte moments and their absmaxes, and round-trips
// bit-exactly: the reloaded optimizer continues with the same bits.
TEST(BlockwiseMoments, StateRoundTripsAndIsItsOwnConfiguration) {
  const int64_t n = 5000, small = 100;
  std::vector<float> w(n), ws(small, 0.5f), g(n), gs(small, 0.25f);
  for (int64_t i = 0; i < n; ++i) {
    w[i] = std::cos(0.01 * i);
    g[i] = std::sin(0.5 * i);
  }
  OptimizerOptions q8 = AdamWOptions().momentStorage(MomentStorage::blockwise8);
  std::vector<float> w2 = w, ws2 = ws;
  auto a = llvm::cantFail(Optimizer::create(
      getCompiler(), q8, {TensorView(w), TensorView(ws)}));
  for (int t = 0; t < 3; ++t)
    ASSERT_FALSE(bool(a->step({ConstTensorView(g), ConstTensorView(gs)})));
  std::string state = a->exportState();
  // 2 bytes + 2 absmaxes per 256 elements, and 8 bytes per small element.
  size_t payload = 2 * n + 2 * 4 * getNumQuantBlocks(n) + 8 * small;
  EXPECT_NEAR(double(state.size()), double(payload), 160);

  std::vector<float> w3 = w, ws3 = ws;
  // Continue a from its state, and b from a copy of it.
  auto b = llvm::cantFail(Optimizer::create(
      getCompiler(), q8, {TensorView(w3), TensorView(ws3)}));
  ASSERT_FALSE(bool(b->importState(state)));
  EXPECT_EQ(b->exportState(), state);
  std::memcpy(w3.data(), w.data(), n * sizeof(float));
  std::memcpy(ws3.data(), ws.data(), small * sizeof(float));
  ASSERT_FALSE(bool(a->step({ConstTensorView(g), ConstTensorView(gs)})));
  ASSERT_FALSE(bool(b->step({ConstTensorView(g), ConstTensorView(gs)})));
  EXPECT_EQ(std::memcmp(w.data(), w3.data(), n * sizeof(float)), 0);
  EXPECT_EQ(a->exportState(), b->exportState());

  auto wide = llvm::cantFail(Optimizer::create(
      getCompiler(), AdamWOptions(), {TensorView(w2), TensorView(ws2)}));
  expectError(wide->importState(state), "+m8");
}

/// The 8-bit GPU step, emulated on the host (every block of threads, phase
/// by phase between its barriers) and on a device when one is present.
class BlockwiseMomentsGpu : public test::GpuTargetTest {};
OPTIM_INSTANTIATE_ON_GPU_TARGETS(BlockwiseMomentsGpu);

// The GPU step gives the CPU's bits for a group that mixes 8-bit tensors
// (one with a partial block) with one too small to be coded (f32 moments):
// two launches, each over a table of its own.
TEST_P(BlockwiseMomentsGpu, StepMatchesTheCpu) {
  StepConfig gpuConfig = blockwiseConfig();
  gpuConfig.target = GetParam();
  auto cpu = llvm::cantFail(getCompiler().getStep(blockwiseConfig()));
  auto gpu = llvm::cantFail(getCompiler().getStep(gpuConfig));
  const int64_t sizes[] = {4096 + 10, 2 * 4096};
  QuantizedTensor onCpu[] = {{sizes[0], 5}, {sizes[1], 6}};
  QuantizedTensor onGpu[] = {{sizes[0], 5}, {sizes[1], 6}};
  const int64_t small = 100;
  std::vector<float> plain[2][4];
  for (auto &state : plain)
    for (auto &buffer : state)
      buffer.assign(small, 0.0f);
  for (auto &state : plain)
    for (int64_t i = 0; i < small; ++i) {
      state[0][i] = 0.01f * float(i);
      state[1][i] = 0.5f - 0.003f * float(i);
    }
  auto group = [&](QuantizedTensor (&t)[2], std::vector<float> (&s)[4]) {
    std::vector<ParamBuffers> buffers = {t[0].buffers()};
    buffers.push_back({s[0].data(), s[1].data(), s[2].data(), s[3].data(),
                       nullptr, small});
    buffers.push_back(t[1].buffers());
    return buffers;
  };
  StepScalars s;
  s.lr = 1e-2;
  s.weightDecay = 0.01;
  for (int64_t t = 1; t <= 2; ++t) {
    s.step = t;
    ASSERT_FALSE(bool(cpu->run(group(onCpu, plain[0]), s)));
    ASSERT_FALSE(bool(test::runOnTarget(*gpu, group(onGpu, plain[1]), s)));
  }
  expectSameState(onGpu[0], onCpu[0], "gpu tensor 0");
  expectSameState(onGpu[1], onCpu[1], "gpu tensor 2");
  for (int k = 0; k < 4; ++k)
    for (int64_t i = 0; i < small; ++i)
      ASSERT_EQ(bitsOf(plain[1][k][i]), bitsOf(plain[0][k][i]))
          << "small tensor, buffer " << k << ", element " << i;
  // Something moved: the 8-bit state is not its start.
  QuantizedTensor start(sizes[0], 5);
  EXPECT_NE(bitsOf(onGpu[0].absM[1]), bitsOf(start.absM[1]));
  EXPECT_NE(bitsOf(plain[1][0][7]), bitsOf(0.07f));
}

// On the GPU the coded tensors of a group are one launch over a table of
// their own: blocks of threads take the quantisation blocks of every row in
// turn. With 3 blocks of threads for 5 tensors (whole, one-element and
// 255-element partial blocks), each walks into rows the others started;
// the result is the CPU's bit for bit, and a wrong block stride is caught.
TEST_P(BlockwiseMomentsGpu, TableWalksEveryCodedTensor) {
  const int64_t sizes[] = {4096, 4096 + 1, 4096 + 255, 5000, 8192 + 128};
  StepScalars s;
  s.lr = 1e-2;
  s.weightDecay = 0.01;
  auto makeGroup = [&] {
    std::vector<QuantizedTensor> t;
    for (auto [i, n] : llvm::enumerate(sizes))
      t.emplace_back(n, 20 + i);
    return t;
  };
  std::vector<QuantizedTensor> onCpu = makeGroup(), onGpu = makeGroup(),
                               strided = makeGroup();
  StepConfig gpuConfig = blockwiseConfig();
  gpuConfig.target = GetParam();
  gpuConfig.gpuMaxBlocks = 3;
  runTwoSteps(blockwiseConfig(), onCpu, s);
  runTwoSteps(gpuConfig, onGpu, s);
  for (size_t i = 0; i < onCpu.size(); ++i)
    expectSameState(onGpu[i], onCpu[i], "gpu table row");
  gpuConfig.gpuTestStrideOffset = 1;
  runTwoSteps(gpuConfig, strided, s);
  bool differs = false;
  for (size_t i = 0; i < onCpu.size(); ++i)
    differs |= strided[i].absM != onCpu[i].absM;
  EXPECT_TRUE(differs) << "a wrong block stride went unnoticed";
}

// bf16 parameters rounded stochastically with 8-bit moments: each row of
// the GPU's table draws from its own stream (its index in the group), so
// the parameters are the CPU's bit for bit, and two rows with the same
// state draw differently.
TEST_P(BlockwiseMomentsGpu, TableRoundsEachTensorFromItsStream) {
  const int64_t n = 4096 + 40;
  struct Bf16Coded {
    std::vector<uint16_t> p, g;
    QuantizedTensor state;
    explicit Bf16Coded(unsigned seed) : state(n, seed) {
      for (int64_t i = 0; i < n; ++i) {
        p.push_back(test::toBF16(state.p[i]));
        g.push_back(test::toBF16(state.g[i]));
      }
    }
    ParamBuffers buffers() {
      ParamBuffers b = state.buffers();
      b.param = p.data();
      b.grad = g.data();
      return b;
    }
  };
  StepConfig config =
      StepConfig::forPreset(Preset::TorchAdamW, ElementType::bf16);
  config.momentStorage = MomentStorage::blockwise8;
  config.variant.stochasticRounding = true;
  StepScalars s;
  s.lr = 1e-3;
  s.roundingSeed = 99;
  // Rows 0 and 1 start from the same state.
  auto makeGroup = [] {
    std::vector<Bf16Coded> t;
    t.emplace_back(7);
    t.emplace_back(7);
    t.emplace_back(8);
    return t;
  };
  std::vector<Bf16Coded> onCpu = makeGroup(), onGpu = makeGroup();
  runTwoSteps(config, onCpu, s);
  config.target = GetParam();
  runTwoSteps(config, onGpu, s);
  for (size_t r = 0; r < onCpu.size(); ++r) {
    for (int64_t i = 0; i < n; ++i)
      ASSERT_EQ(onGpu[r].p[i], onCpu[r].p[i]) << "row " << r << ", " << i;
    EXPECT_EQ(onGpu[r].state.m, onCpu[r].state.m) << "row " << r;
    EXPECT_EQ(onGpu[r].state.absV, onCpu[r].state.absV) << "row " << r;
  }
  EXPECT_NE(onGpu[0].p, onGpu[1].p) << "two rows drew the same bits";
}

// What 8-bit moments refuse, with nothing written.
TEST(BlockwiseMoments, RejectsWhatItCannotStore) {
  StepConfig config = blockwiseConfig();
  config.variant.amsgrad = true;
  expectError(config.verify(), "8-bit moments do not support AMSGrad");
  config = StepConfig::forPreset(Preset::TorchAdamW, ElementType::f64);
  config.momentStorage = MomentStorage::blockwise8;
  expectError(config.verify(), "8-bit moments need a step that computes in "
                               "f32");

  auto step = llvm::cantFail(getCompiler().getStep(blockwiseConfig()));
  StepScalars s;
  const int64_t n = 4096 + 10;
  QuantizedTensor t(n, 2), before(n, 2);
  // A quantised tensor without its absmaxes.
  ParamBuffers b = t.buffers();
  b.expAvgSqAbsmax = nullptr;
  expectError(step->run(b, s), "param #0: exp_avg_sq absmax is null");
  // An absmax overlapping the codes it scales.
  b = t.buffers();
  b.expAvgAbsmax = reinterpret_cast<float *>(t.v.data() + 64);
  expectError(step->run(b, s), "overlap");
  // Absmaxes given for a tensor too small to be coded.
  std::vector<float> p(10), g(10), m(10), v(10), abs(1);
  ParamBuffers tiny{p.data(), g.data(), m.data(), v.data(), nullptr, 10};
  tiny.expAvgAbsmax = tiny.expAvgSqAbsmax = abs.data();
  expectError(step->run(tiny, s), "absmax given but its moments are not");
  expectSameState(t, before, "rejected");

  std::vector<float> w(16);
  auto opt = Optimizer::create(
      getCompiler(),
      AdamWOptions().amsgrad(true).momentStorage(MomentStorage::blockwise8),
      {TensorView(w)});
  ASSERT_FALSE(bool(opt));
  expectError(opt.takeError(), "do not support AMSGrad");
}
