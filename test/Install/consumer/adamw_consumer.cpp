//===- adamw_consumer.cpp - optim used from an installed package ----------===//
//
// Three AdamW steps through the installed runtime's Optimizer, checked
// against torch.optim.AdamW's update written out in double precision.
// Exits non-zero with a message on any mismatch or error.
//
//===----------------------------------------------------------------------===//

#include "optim/Runtime/Optimizer.h"

#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstdio>
#include <vector>

int main() {
  auto compiler = optim::Compiler::create();
  if (!compiler) {
    llvm::errs() << "compiler: " << llvm::toString(compiler.takeError())
                 << "\n";
    return 1;
  }
  constexpr int n = 1000, steps = 3;
  std::vector<float> w(n), g(n);
  for (int i = 0; i < n; ++i)
    w[i] = std::sin(0.1f * i);

  optim::StepConfig config = optim::StepConfig::forPreset(
      optim::Preset::TorchAdamW, optim::ElementType::f32);
  optim::StepScalars hyper =
      optim::StepScalars::forPreset(optim::Preset::TorchAdamW);
  hyper.lr = 1e-2;
  hyper.weightDecay = 0.1;
  auto opt =
      optim::Optimizer::create(**compiler, config, hyper, {{w.data(), n}});
  if (!opt) {
    llvm::errs() << "optimizer: " << llvm::toString(opt.takeError()) << "\n";
    return 1;
  }

  std::vector<double> p(w.begin(), w.end()), m(n, 0.0), v(n, 0.0);
  for (int t = 1; t <= steps; ++t) {
    for (int i = 0; i < n; ++i)
      g[i] = std::cos(0.37f * i + t);
    if (llvm::Error e = (*opt)->step({g.data()})) {
      llvm::errs() << "step: " << llvm::toString(std::move(e)) << "\n";
      return 1;
    }
    const double b1 = 0.9, b2 = 0.999, eps = 1e-8, lr = 1e-2, wd = 0.1;
    for (int i = 0; i < n; ++i) {
      double gi = g[i];
      p[i] *= 1 - lr * wd;
      m[i] = b1 * m[i] + (1 - b1) * gi;
      v[i] = b2 * v[i] + (1 - b2) * gi * gi;
      double denom = std::sqrt(v[i]) / std::sqrt(1 - std::pow(b2, t)) + eps;
      p[i] -= lr / (1 - std::pow(b1, t)) * m[i] / denom;
    }
  }
  double worst = 0;
  for (int i = 0; i < n; ++i)
    worst = std::max(worst, std::abs(w[i] - p[i]) / (std::abs(p[i]) + 1e-6));
  std::printf("adamw-consumer: %d steps on %d elements, step count %lld, "
              "max relative error %.3g\n",
              steps, n, (long long)(*opt)->getStepCount(), worst);
  if ((*opt)->getStepCount() != steps || !(worst < 1e-5)) {
    std::printf("adamw-consumer: FAILED\n");
    return 1;
  }
  std::printf("adamw-consumer: OK\n");
  return 0;
}
