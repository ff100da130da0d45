//===- TunedBaselines.cpp - probe and hand-tuned loop ---------------------===//
//
// Compiled with -O3 -march=native -fopenmp -fno-math-errno.
//
//===----------------------------------------------------------------------===//

#include "Baselines.h"

#include <cmath>
#include <omp.h>

namespace optim::bench {

template <typename T>
void probe(T *__restrict p, const T *__restrict g, T *__restrict m,
           T *__restrict v, T *__restrict vmax, int64_t n, int threads) {
  if (vmax) {
#pragma omp parallel for simd schedule(static) num_threads(threads)
    for (int64_t i = 0; i < n; ++i) {
      T gi = g[i];
      p[i] += gi;
      m[i] += gi;
      v[i] += gi;
      vmax[i] += gi;
    }
    return;
  }
#pragma omp parallel for simd schedule(static) num_threads(threads)
  for (int64_t i = 0; i < n; ++i) {
    T gi = g[i];
    p[i] += gi;
    m[i] += gi;
    v[i] += gi;
  }
}

template <typename T>
void sqrtDivProbe(T *__restrict p, const T *__restrict g, T *__restrict m,
                  T *__restrict v, T *__restrict vmax, int64_t n, int threads) {
  const T eps = T(1e-8);
  if (vmax) {
#pragma omp parallel for simd schedule(static) num_threads(threads)
    for (int64_t i = 0; i < n; ++i) {
      T gi = g[i], vi = v[i] + gi;
      m[i] += gi;
      v[i] = vi;
      vmax[i] += gi;
      p[i] += gi / (std::sqrt(vi) + eps);
    }
    return;
  }
#pragma omp parallel for simd schedule(static) num_threads(threads)
  for (int64_t i = 0; i < n; ++i) {
    T gi = g[i], vi = v[i] + gi;
    m[i] += gi;
    v[i] = vi;
    p[i] += gi / (std::sqrt(vi) + eps);
  }
}

template <typename T>
void tunedAdamW(T *__restrict p, const T *__restrict g, T *__restrict m,
                T *__restrict v, T *__restrict vmax, int64_t n,
                const AdamArgs &a, int threads) {
  const double bc1 = 1 - std::pow(a.beta1, double(a.step));
  const double bc2 = 1 - std::pow(a.beta2, double(a.step));
  const T stepSize = T(a.lr / bc1);
  const T scale = T(1 / std::sqrt(bc2));
  const T decay = T(1 - a.lr * a.weightDecay);
  const T b1 = T(a.beta1), b2 = T(a.beta2), c1 = T(1 - a.beta1),
          c2 = T(1 - a.beta2), eps = T(a.eps);
  if (vmax) {
#pragma omp parallel for simd schedule(static) num_threads(threads)
    for (int64_t i = 0; i < n; ++i) {
      T gi = g[i];
      T mi = b1 * m[i] + c1 * gi;
      T vi = b2 * v[i] + c2 * gi * gi;
      T vh = std::max(vmax[i], vi);
      m[i] = mi;
      v[i] = vi;
      vmax[i] = vh;
      p[i] = p[i] * decay - stepSize * mi / (std::sqrt(vh) * scale + eps);
    }
    return;
  }
#pragma omp parallel for simd schedule(static) num_threads(threads)
  for (int64_t i = 0; i < n; ++i) {
    T gi = g[i];
    T mi = b1 * m[i] + c1 * gi;
    T vi = b2 * v[i] + c2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] = p[i] * decay - stepSize * mi / (std::sqrt(vi) * scale + eps);
  }
}

template <typename T> void fill(T *x, int64_t n, T value, int threads) {
#pragma omp parallel for schedule(static) num_threads(threads)
  for (int64_t i = 0; i < n; ++i)
    x[i] = value;
}

template void probe<float>(float *, const float *, float *, float *, float *,
                           int64_t, int);
template void probe<double>(double *, const double *, double *, double *,
                            double *, int64_t, int);
template void sqrtDivProbe<float>(float *, const float *, float *, float *,
                                  float *, int64_t, int);
template void sqrtDivProbe<double>(double *, const double *, double *, double *,
                                   double *, int64_t, int);
template void tunedAdamW<float>(float *, const float *, float *, float *,
                                float *, int64_t, const AdamArgs &, int);
template void tunedAdamW<double>(double *, const double *, double *, double *,
                                 double *, int64_t, const AdamArgs &, int);
template <typename T>
void scaleInto(T *__restrict out, const T *__restrict in, T coef, int64_t n,
               int threads) {
#pragma omp parallel for simd schedule(static) num_threads(threads)
  for (int64_t i = 0; i < n; ++i)
    out[i] = coef * in[i];
}

template void scaleInto<float>(float *, const float *, float, int64_t, int);
template void scaleInto<double>(double *, const double *, double, int64_t,
                                int);
template void fill<uint8_t>(uint8_t *, int64_t, uint8_t, int);
template void fill<uint16_t>(uint16_t *, int64_t, uint16_t, int);
template void fill<float>(float *, int64_t, float, int);
template void fill<double>(double *, int64_t, double, int);

} // namespace optim::bench
