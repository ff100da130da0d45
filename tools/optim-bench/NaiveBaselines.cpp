//===- NaiveBaselines.cpp - AdamW as users write it -----------------------===//
//
// Compiled with -O3 -march=native -fopenmp only (math-errno on).
//
//===----------------------------------------------------------------------===//

#include "Baselines.h"

#include <algorithm>
#include <cmath>

namespace optim::bench {

template <typename T>
void naiveAdamW(T *p, const T *g, T *m, T *v, T *vmax, int64_t n,
                const AdamArgs &a, int threads) {
#pragma omp parallel for num_threads(threads)
  for (int64_t i = 0; i < n; ++i) {
    p[i] = p[i] * (1 - a.lr * a.weightDecay);
    m[i] = a.beta1 * m[i] + (1 - a.beta1) * g[i];
    v[i] = a.beta2 * v[i] + (1 - a.beta2) * g[i] * g[i];
    T denomV = v[i];
    if (vmax) {
      vmax[i] = std::max(vmax[i], v[i]);
      denomV = vmax[i];
    }
    T mhat = m[i] / (1 - std::pow(a.beta1, a.step));
    T vhat = denomV / (1 - std::pow(a.beta2, a.step));
    p[i] = p[i] - a.lr * mhat / (std::sqrt(vhat) + a.eps);
  }
}

template void naiveAdamW<float>(float *, const float *, float *, float *,
                                float *, int64_t, const AdamArgs &, int);
template void naiveAdamW<double>(double *, const double *, double *, double *,
                                 double *, int64_t, const AdamArgs &, int);

} // namespace optim::bench
