//===- optim-train.cpp - train a small model with the JIT-compiled AdamW --===//
//
// The README's main job: a C++ training loop that uses optim the way a
// trainer would. It fits a two-layer MLP to a regression problem it
// generates, with AdamW (PyTorch semantics) compiled by optim's JIT and a
// cosine learning-rate schedule (no recompilation), and prints the loss
// falling and the optimizer's step throughput.
//
//===----------------------------------------------------------------------===//

#include "MomentStorageOption.h"
#include "TrainModel.h"

#include "optim/Runtime/Optimizer.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cmath>
#include <random>
#include <vector>

using namespace llvm;

static cl::OptionCategory trainCategory("optim-train options");

static cl::opt<int> numSteps("steps", cl::init(400), cl::desc("Training steps"),
                             cl::cat(trainCategory));
static cl::opt<int> hidden("hidden", cl::init(256), cl::desc("Hidden width"),
                           cl::cat(trainCategory));
static cl::opt<int> batch("batch", cl::init(128), cl::desc("Batch size"),
                          cl::cat(trainCategory));
static cl::opt<double> peakLr("lr", cl::init(3e-3),
                              cl::desc("Peak learning rate"),
                              cl::cat(trainCategory));
static cl::opt<optim::MomentStorage>
    momentStorage("moments", cl::init(optim::MomentStorage::compute),
                  cl::desc(optim::tools::kMomentStorageDesc),
                  optim::tools::momentStorageValues(), cl::cat(trainCategory));
static cl::opt<double> maxGradNorm(
    "max-grad-norm", cl::init(0),
    cl::desc("Clip the gradients to this global norm before each step, as "
             "torch.nn.utils.clip_grad_norm_ (0: no clipping)"),
    cl::cat(trainCategory));
static cl::opt<unsigned> numThreads(
    "num-threads", cl::init(0),
    cl::desc("Threads the optimizer step may use (0: every hardware thread; "
             "steps under 16K elements run on the calling thread)"),
    cl::cat(trainCategory));

using namespace optim::train;

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(trainCategory);
  // An LLVM library registers an unrelated integer --threads that this tool
  // would silently accept and ignore; make it an unknown option instead, so
  // that cl suggests --num-threads.
  if (cl::Option *foreign = cl::getRegisteredOptions().lookup("threads"))
    foreign->removeArgument();
  cl::ParseCommandLineOptions(argc, argv,
                              "Train a small MLP with optim's JIT AdamW\n");
  auto check = [](bool ok, StringRef message) {
    if (!ok)
      WithColor::error() << message << "\n";
    return ok;
  };
  if (!check(numSteps >= 1, "--steps must be at least 1") ||
      !check(hidden >= 1 && hidden <= 65536,
             "--hidden must be in [1, 65536]") ||
      !check(batch >= 1 && batch <= 65536, "--batch must be in [1, 65536]") ||
      // The activations hold batch x hidden floats, a few times over: 2^24
      // keeps each under 64 MiB (the product of two allowed values could
      // ask for 16 GiB, and allocating it aborted).
      !check(int64_t(hidden) * batch <= (int64_t(1) << 24),
             "--hidden times --batch must be at most 2^24") ||
      !check(peakLr > 0 && std::isfinite(peakLr),
             "--lr must be positive and finite") ||
      !check(numThreads <= 1024, "--num-threads must be at most 1024") ||
      !check(maxGradNorm >= 0 && std::isfinite(maxGradNorm),
             "--max-grad-norm must be non-negative and finite"))
    return 1;
  Dataset data;
  Mlp model(hidden);

  optim::CompilerOptions compilerOptions;
  compilerOptions.numThreads = numThreads;
  auto compiler = optim::Compiler::create(compilerOptions);
  if (!compiler) {
    errs() << "error: " << toString(compiler.takeError()) << "\n";
    return 1;
  }
  // torch.optim.AdamW(lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2)
  optim::StepConfig config = optim::StepConfig::forPreset(
      optim::Preset::TorchAdamW, optim::ElementType::f32);
  config.momentStorage = momentStorage;
  optim::StepScalars hyper;
  hyper.lr = peakLr;
  hyper.weightDecay = 1e-2;
  if (maxGradNorm > 0) {
    config.variant.clipGradNorm = true;
    hyper.maxGradNorm = maxGradNorm;
  }
  auto start = std::chrono::steady_clock::now();
  auto optimizer =
      optim::Optimizer::create(**compiler, config, hyper,
                               {{model.w1.data(), int64_t(model.w1.size())},
                                {model.b1.data(), int64_t(model.b1.size())},
                                {model.w2.data(), int64_t(model.w2.size())},
                                {model.b2.data(), 1}});
  if (!optimizer) {
    errs() << "error: " << toString(optimizer.takeError()) << "\n";
    return 1;
  }
  double compileMs = std::chrono::duration<double, std::milli>(
                         std::chrono::steady_clock::now() - start)
                         .count();
  size_t numParams =
      model.w1.size() + model.b1.size() + model.w2.size() + model.b2.size();
  outs() << formatv("model: MLP {0} -> {1} -> 1, {2} parameters in 4 tensors\n",
                    kInputs, int(hidden), numParams);
  outs() << formatv("optimizer: {0}, compiled in {1:f1} ms; step threads: "
                    "{2}\n",
                    config.key(), compileMs, (*compiler)->getNumThreads());

  Batches batches;
  const std::vector<int> &evalRows = batches.heldOut;
  std::vector<int> rows(batch);
  double stepSeconds = 0;
  double firstLoss = model.run(data, evalRows, false), lastLoss = firstLoss;
  outs() << formatv("step {0,4}  held-out loss {1:f4}\n", 0, firstLoss);
  for (int step = 1; step <= numSteps; ++step) {
    batches.next(rows);
    model.run(data, rows, /*train=*/true);
    // Cosine schedule: a new learning rate every step, never a recompile.
    (*optimizer)
        ->setLearningRate(0.5 * peakLr *
                          (1 + std::cos(M_PI * (step - 1) / numSteps)));
    auto t0 = std::chrono::steady_clock::now();
    if (Error error = (*optimizer)
                          ->step({model.gw1.data(), model.gb1.data(),
                                  model.gw2.data(), model.gb2.data()})) {
      errs() << "error: " << toString(std::move(error)) << "\n";
      return 1;
    }
    stepSeconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
            .count();
    if (step % 50 == 0 || step == numSteps) {
      lastLoss = model.run(data, evalRows, false);
      outs() << formatv("step {0,4}  held-out loss {1:f4}  lr {2:e2}", step,
                        lastLoss, (*optimizer)->getLearningRate());
      if (config.variant.clipGradNorm)
        outs() << formatv("  grad norm {0:e3}",
                          (*optimizer)->getLastGradNorm());
      outs() << "\n";
    }
  }
  optim::CacheStats stats = (*compiler)->getCacheStats();
  outs() << formatv("optimizer steps: {0} in {1:f2} ms ({2:f2} us/step, "
                    "{3:e2} parameters/s); kernels compiled: {4}\n",
                    int(numSteps), stepSeconds * 1e3,
                    stepSeconds * 1e6 / numSteps,
                    numParams * double(numSteps) / stepSeconds, stats.misses);
  if (!(lastLoss < 0.5 * firstLoss)) {
    errs() << "error: the loss did not fall (" << firstLoss << " -> "
           << lastLoss << ")\n";
    return 1;
  }
  outs() << formatv("loss fell {0:f1}x\n", firstLoss / lastLoss);
  outs() << formatv("final held-out loss {0:e6}\n", lastLoss);
  return 0;
}
