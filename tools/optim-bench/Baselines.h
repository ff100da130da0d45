//===- Baselines.h - what optim's steps are measured against ----*- C++ -*-===//

#ifndef OPTIM_TOOLS_OPTIM_BENCH_BASELINES_H
#define OPTIM_TOOLS_OPTIM_BENCH_BASELINES_H

#include <cstdint>

namespace optim::bench {

struct AdamArgs {
  double lr, beta1, beta2, eps, weightDecay;
  int64_t step;
  bool amsgrad;
};

/// The limit: the step's own in-place access pattern (read p, g, m, v
/// [, vmax]; write p, m, v [, vmax]) with trivial arithmetic.
template <typename T>
void probe(T *p, const T *g, T *m, T *v, T *vmax, int64_t n, int threads);
/// The probe's traffic with the least arithmetic an exact Adam step does:
/// one correctly rounded square root and one division per element (in
/// cache, where the traffic is cheap, the limit of the divider).
template <typename T>
void sqrtDivProbe(T *p, const T *g, T *m, T *v, T *vmax, int64_t n,
                  int threads);

/// AdamW as users write it: bias corrections inside the loop, compiled with
/// -O3 -march=native -fopenmp (math-errno left on, as by default).
template <typename T>
void naiveAdamW(T *p, const T *g, T *m, T *v, T *vmax, int64_t n,
                const AdamArgs &a, int threads);

/// AdamW hand-tuned: scalar work hoisted, omp simd, -fno-math-errno so that
/// sqrt vectorises. The figure to beat.
template <typename T>
void tunedAdamW(T *p, const T *g, T *m, T *v, T *vmax, int64_t n,
                const AdamArgs &a, int threads);

/// Parallel first-touch initialisation.
template <typename T> void fill(T *x, int64_t n, T value, int threads);
/// out = coef * in: the scaling pass of clip_grad_norm_ (clip-then-step).
template <typename T>
void scaleInto(T *out, const T *in, T coef, int64_t n, int threads);

} // namespace optim::bench

#endif // OPTIM_TOOLS_OPTIM_BENCH_BASELINES_H
