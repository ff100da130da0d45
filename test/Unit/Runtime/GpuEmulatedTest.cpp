//===- GpuEmulatedTest.cpp - GPU steps run on the host --------------------===//
//
// Target::GPUEmulated compiles the device kernel (group table, launch shape,
// vector and alignment branches) and runs its blocks and threads as host
// loops. These tests hold it to the CPU step, bit for bit: both round
// every operation correctly, in the same order. The TEST_Ps run on a CUDA
// device too, when one is present (GpuTargets.h).
//
//===----------------------------------------------------------------------===//

#include "GpuTargets.h"
#include "SharedCompiler.h"
#include "TestTensor.h"

#include "optim/Runtime/Compiler.h"

#include "gtest/gtest.h"

#include <cstring>

using namespace optim;
using optim::test::Tensor;
using optim::test::defaultScalars;

namespace {

std::shared_ptr<const CompiledStep> getStep(const StepConfig &config) {
  auto step = test::getSharedCompiler().getStep(config);
  EXPECT_TRUE(bool(step)) << llvm::toString(step.takeError());
  return step ? *step : nullptr;
}

/// GPT-2-small's 148 parameter shapes (12 layers of 12 tensors, embeddings
/// and the final layer norm), every size divided by 64 and made odd, so
/// that the emulated run stays short and no tensor is a whole number of
/// vectors.
std::vector<int64_t> getScaledGpt2Sizes() {
  const int64_t d = 768, vocab = 50257, context = 1024;
  std::vector<int64_t> sizes = {vocab * d, context * d};
  for (int layer = 0; layer < 12; ++layer)
    for (int64_t n : {d, d, 3 * d * d, 3 * d, d * d, d, d, d, 4 * d * d,
                      4 * d, 4 * d * d, d})
      sizes.push_back(n);
  sizes.push_back(d);
  sizes.push_back(d);
  for (int64_t &n : sizes)
    n = n / 64 | 1;
  return sizes;
}

/// Runs `gpu` and the CPU step for the same configuration on copies of the
/// same group, three steps, and expects identical bytes.
template <typename T>
void expectSameAsCpu(const StepConfig &gpuConfig,
                     const std::vector<int64_t> &sizes) {
  StepConfig cpuConfig = gpuConfig;
  cpuConfig.target = Target::CPU;
  std::shared_ptr<const CompiledStep> gpu = getStep(gpuConfig);
  std::shared_ptr<const CompiledStep> cpu = getStep(cpuConfig);
  ASSERT_TRUE(gpu && cpu);
  bool amsgrad = gpuConfig.variant.amsgrad;
  std::vector<Tensor<T>> onGpu, onCpu;
  for (auto [i, n] : llvm::enumerate(sizes)) {
    onGpu.emplace_back(n, 5 + i);
    onCpu.emplace_back(n, 5 + i);
  }
  StepScalars s = defaultScalars();
  for (int iteration = 0; iteration < 3; ++iteration, ++s.step) {
    std::vector<ParamBuffers> gpuBuffers, cpuBuffers;
    for (size_t i = 0; i < sizes.size(); ++i) {
      gpuBuffers.push_back(onGpu[i].buffers(amsgrad));
      cpuBuffers.push_back(onCpu[i].buffers(amsgrad));
    }
    ASSERT_FALSE(bool(test::runOnTarget(*gpu, gpuBuffers, s)));
    ASSERT_FALSE(bool(cpu->run(cpuBuffers, s)));
  }
  for (size_t i = 0; i < sizes.size(); ++i) {
    size_t bytes = sizes[i] * sizeof(T);
    // An empty tensor's buffers may be null, which memcmp must not be given.
    if (bytes == 0)
      continue;
    ASSERT_EQ(std::memcmp(onGpu[i].p.data(), onCpu[i].p.data(), bytes), 0)
        << "param of tensor " << i;
    ASSERT_EQ(std::memcmp(onGpu[i].m.data(), onCpu[i].m.data(), bytes), 0)
        << "exp_avg of tensor " << i;
    ASSERT_EQ(std::memcmp(onGpu[i].v.data(), onCpu[i].v.data(), bytes), 0)
        << "exp_avg_sq of tensor " << i;
    if (amsgrad)
      ASSERT_EQ(
          std::memcmp(onGpu[i].vmax.data(), onCpu[i].vmax.data(), bytes), 0)
          << "max_exp_avg_sq of tensor " << i;
  }
}

StepConfig onTarget(Target target, Preset preset, ElementType type,
                    unsigned blockSize, unsigned maxBlocks) {
  StepConfig config = StepConfig::forPreset(preset, type);
  config.target = target;
  config.gpuBlockSize = blockSize;
  config.gpuMaxBlocks = maxBlocks;
  return config;
}

StepConfig emulated(Preset preset, ElementType type, unsigned blockSize,
                    unsigned maxBlocks) {
  return onTarget(Target::GPUEmulated, preset, type, blockSize, maxBlocks);
}

/// The GPU step on the emulation and on a device.
class GpuStep : public test::GpuTargetTest {};
OPTIM_INSTANTIATE_ON_GPU_TARGETS(GpuStep);

TEST_P(GpuStep, Gpt2GroupIsOneLaunchAndMatchesTheCpu) {
  // 148 tensors in one launch: the device's shape and a tiny grid whose
  // chunk loop wraps thousands of times.
  std::vector<int64_t> sizes = getScaledGpt2Sizes();
  ASSERT_EQ(sizes.size(), 148u);
  expectSameAsCpu<float>(
      onTarget(GetParam(), Preset::TorchAdamW, ElementType::f32, 256, 2048),
      sizes);
  expectSameAsCpu<float>(
      onTarget(GetParam(), Preset::TorchAdamW, ElementType::f32, 32, 3), sizes);
}

TEST_P(GpuStep, VariantsAndTypesMatchTheCpu) {
  std::vector<int64_t> sizes = {1, 0, 5, 4099, 64, 3, 1000};
  for (auto [blocks, threads] : {std::pair<unsigned, unsigned>{2048, 256},
                                 {1, 32},
                                 {3, 64}}) {
    expectSameAsCpu<double>(onTarget(GetParam(), Preset::TorchAdamW,
                                     ElementType::f64, threads, blocks),
                            sizes);
    expectSameAsCpu<float>(onTarget(GetParam(),
                                    Preset::MindSporeApplyAdamWithAmsgradV2,
                                    ElementType::f32, threads, blocks),
                           sizes);
  }
}

TEST_P(GpuStep, MisalignedTensorsMatchTheCpu) {
  // Tensors that start 4, 8 and 12 bytes past a 16-byte boundary take the
  // scalar branch; the aligned one takes vectors. Compared with the CPU.
  StepConfig config =
      onTarget(GetParam(), Preset::TorchAdam, ElementType::f32, 32, 2);
  StepConfig cpuConfig = config;
  cpuConfig.target = Target::CPU;
  auto gpu = getStep(config), cpu = getStep(cpuConfig);
  ASSERT_TRUE(gpu && cpu);
  const int64_t n = 301;
  Tensor<float> a(4 * n + 64, 1), b(4 * n + 64, 1);
  std::vector<ParamBuffers> ga, gb;
  for (int64_t shift = 0; shift < 4; ++shift) {
    ParamBuffers x = a.buffers(false), y = b.buffers(false);
    int64_t offset = shift * (n + 5) + shift;
    for (auto [bx, by] : {std::pair<ParamBuffers *, ParamBuffers *>{&x, &y}}) {
      bx->param = static_cast<float *>(bx->param) + offset;
      bx->grad = static_cast<const float *>(bx->grad) + offset;
      bx->expAvg = static_cast<float *>(bx->expAvg) + offset;
      bx->expAvgSq = static_cast<float *>(bx->expAvgSq) + offset;
      by->param = static_cast<float *>(by->param) + offset;
      by->grad = static_cast<const float *>(by->grad) + offset;
      by->expAvg = static_cast<float *>(by->expAvg) + offset;
      by->expAvgSq = static_cast<float *>(by->expAvgSq) + offset;
      bx->numElements = by->numElements = n;
    }
    ga.push_back(x);
    gb.push_back(y);
  }
  ASSERT_FALSE(bool(test::runOnTarget(*gpu, ga, defaultScalars())));
  ASSERT_FALSE(bool(cpu->run(gb, defaultScalars())));
  EXPECT_EQ(a.p, b.p);
  EXPECT_EQ(a.m, b.m);
  EXPECT_EQ(a.v, b.v);
}

TEST(GpuEmulated, StrideMutationIsCaught) {
  // The deliberate indexing bug leaves elements unchanged: the comparison
  // with the CPU must see it.
  StepConfig config = emulated(Preset::TorchAdamW, ElementType::f32, 32, 2);
  config.gpuTestStrideOffset = 1;
  StepConfig cpuConfig = config;
  cpuConfig.target = Target::CPU;
  cpuConfig.gpuTestStrideOffset = 0;
  auto gpu = getStep(config), cpu = getStep(cpuConfig);
  ASSERT_TRUE(gpu && cpu);
  Tensor<float> a(5000, 3), b(5000, 3);
  std::vector<ParamBuffers> ga = {a.buffers(false)}, gb = {b.buffers(false)};
  ASSERT_FALSE(bool(gpu->run(ga, defaultScalars())));
  ASSERT_FALSE(bool(cpu->run(gb, defaultScalars())));
  EXPECT_NE(a.p, b.p);
}

TEST(GpuEmulated, LaunchShapeIsValidated) {
  StepConfig config = emulated(Preset::TorchAdamW, ElementType::f32, 0, 4);
  auto step = test::getSharedCompiler().getStep(config);
  ASSERT_FALSE(bool(step));
  EXPECT_NE(llvm::toString(step.takeError()).find("launch shape"),
            std::string::npos);
}

TEST(GpuEmulated, KernelTakesTheGroupTable) {
  auto source = test::getSharedCompiler().getKernelSource(
      emulated(Preset::TorchAdamW, ElementType::f32, 256, 2048));
  ASSERT_TRUE(bool(source)) << llvm::toString(source.takeError());
  EXPECT_NE(source->find("optim.group_table"), std::string::npos) << *source;
  EXPECT_NE(source->find("optim.group_column = 4"), std::string::npos);
}

} // namespace
