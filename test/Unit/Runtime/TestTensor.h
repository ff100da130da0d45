//===- TestTensor.h - random parameter buffers with a reference -*- C++ -*-===//
//
// One parameter's buffers, filled with random values, together with the
// double-precision reference state they are checked against, and a set of
// scalars that exercises every switch.
//
//===----------------------------------------------------------------------===//

#ifndef OPTIM_TEST_UNIT_RUNTIME_TESTTENSOR_H
#define OPTIM_TEST_UNIT_RUNTIME_TESTTENSOR_H

#include "Reference.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace optim::test {

/// One parameter's buffers in type T, plus the double reference state.
template <typename T> struct Tensor {
  std::vector<T> p, g, m, v, vmax;
  RefState ref;
  std::vector<double> gradRef;

  Tensor(int64_t n, unsigned seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<double> dist(0.0, 1.0);
    for (int64_t i = 0; i < n; ++i) {
      p.push_back(T(dist(rng)));
      g.push_back(T(dist(rng)));
      m.push_back(T(0.1 * dist(rng)));
      v.push_back(T(std::fabs(0.1 * dist(rng))));
      vmax.push_back(T(v.back() + std::fabs(0.01 * dist(rng))));
    }
    ref.p.assign(p.begin(), p.end());
    ref.m.assign(m.begin(), m.end());
    ref.v.assign(v.begin(), v.end());
    ref.vmax.assign(vmax.begin(), vmax.end());
    gradRef.assign(g.begin(), g.end());
  }

  ParamBuffers buffers(bool amsgrad) {
    ParamBuffers b;
    b.param = p.data();
    b.grad = g.data();
    b.expAvg = m.data();
    b.expAvgSq = v.data();
    b.maxExpAvgSq = amsgrad ? vmax.data() : nullptr;
    b.numElements = static_cast<int64_t>(p.size());
    return b;
  }

  /// Largest error against the reference over every buffer, relative to
  /// max(1, |value|): near-zero results (p - update cancels) carry the
  /// absolute rounding error of their operands.
  double maxError(bool amsgrad) const {
    double worst = 0;
    auto check = [&](const std::vector<T> &got,
                     const std::vector<double> &want) {
      for (size_t i = 0; i < got.size(); ++i)
        worst = std::max(worst, std::fabs(double(got[i]) - want[i]) /
                                    (1.0 + std::fabs(want[i])));
    };
    check(p, ref.p);
    check(m, ref.m);
    check(v, ref.v);
    if (amsgrad)
      check(vmax, ref.vmax);
    return worst;
  }
};

/// Scalars in range for every variant, none of them neutral.
inline StepScalars defaultScalars() {
  StepScalars s;
  s.lr = 0.01;
  s.beta1 = 0.9;
  s.beta2 = 0.99;
  s.eps = 1e-6;
  s.weightDecay = 0.1;
  s.step = 3;
  s.beta1Power = 0.729;
  s.beta2Power = 0.970299;
  s.rescaleGrad = 0.5;
  s.clipGradient = 0.4;
  s.gradScale = 4.0;
  return s;
}

} // namespace optim::test

#endif // OPTIM_TEST_UNIT_RUNTIME_TESTTENSOR_H
