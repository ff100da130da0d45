//===- Reference.h - a plain reference Adam step for tests -------*- C++
//-*-===//
//
// SEMANTICS.md transcribed literally, in double precision, element by
// element: what the compiled kernels are checked against.
//
//===----------------------------------------------------------------------===//

#ifndef OPTIM_UNITTESTS_RUNTIME_REFERENCE_H
#define OPTIM_UNITTESTS_RUNTIME_REFERENCE_H

#include "optim/Runtime/StepConfig.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace optim::test {

struct RefState {
  std::vector<double> p, m, v, vmax;
};

inline void referenceStep(const StepConfig &config, const StepScalars &s,
                          const std::vector<double> &grad, RefState &st) {
  const AdamVariant &var = config.variant;
  if (var.foundInf && s.foundInf != 0)
    return;
  double b1p = var.givenPowers ? s.beta1Power : std::pow(s.beta1, s.step);
  double b2p = var.givenPowers ? s.beta2Power : std::pow(s.beta2, s.step);
  double bc1 = 1 - b1p, bc2 = 1 - b2p;
  double lrt = var.biasCorrection == BiasCorrection::folded
                   ? s.lr * std::sqrt(bc2) / bc1
                   : s.lr;
  // clip_grad_norm_'s coefficient (after unscaling, before clip_gradient).
  double coef = var.clipGradNorm
                    ? std::min(1.0, s.maxGradNorm / (s.gradNorm + 1e-6))
                    : 1.0;
  for (size_t i = 0; i < grad.size(); ++i) {
    double g = grad[i];
    if (var.rescaleGrad)
      g *= s.rescaleGrad;
    if (var.gradScale)
      g /= s.gradScale;
    if (var.clipGradNorm)
      g *= coef;
    if (var.clipGradient && s.clipGradient >= 0)
      g = std::clamp(g, -s.clipGradient, s.clipGradient);
    if (var.maximize)
      g = -g;
    double p = st.p[i];
    if (var.weightDecay == WeightDecayMode::l2)
      g += s.weightDecay * p;
    if (var.weightDecay == WeightDecayMode::decoupled)
      p *= 1 - (var.decayRate == DecayRate::lr ? s.lr : lrt) * s.weightDecay;
    st.m[i] = s.beta1 * st.m[i] + (1 - s.beta1) * g;
    st.v[i] = s.beta2 * st.v[i] + (1 - s.beta2) * g * g;
    double vhat = st.v[i];
    if (var.amsgrad) {
      st.vmax[i] = std::max(st.vmax[i], st.v[i]);
      vhat = st.vmax[i];
    }
    switch (var.biasCorrection) {
    case BiasCorrection::standard:
      p -= (s.lr / bc1) * st.m[i] / (std::sqrt(vhat) / std::sqrt(bc2) + s.eps);
      break;
    case BiasCorrection::folded:
    case BiasCorrection::none:
      p -= lrt * st.m[i] / (std::sqrt(vhat) + s.eps);
      break;
    }
    st.p[i] = p;
  }
}

} // namespace optim::test

#endif // OPTIM_UNITTESTS_RUNTIME_REFERENCE_H
