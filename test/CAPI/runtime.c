/*===- runtime.c - tests of the optim C API, compiled as C ----------------===*\
|*                                                                            *|
|* Runs torch.optim.AdamW steps (and an AMSGrad f64 Adam step) through the C  *|
|* API against a double-precision reference, then feeds every entry point     *|
|* bad input and checks that each returns a failed status with a message and  *|
|* leaves every buffer unchanged.                                             *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include "optim-c/Runtime.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                              \
    }                                                                          \
  } while (0)

/// Fails the test on an error status, printing its message.
static int ok(OptimStatus status, const char *what) {
  if (optimStatusIsSuccess(status))
    return 1;
  fprintf(stderr, "%s failed: %s\n", what, optimStatusGetMessage(status));
  optimStatusDestroy(status);
  ++failures;
  return 0;
}

/// Expects a failure whose message contains `needle`.
static void expectError(OptimStatus status, const char *needle,
                        const char *what) {
  if (optimStatusIsSuccess(status)) {
    fprintf(stderr, "%s: expected an error containing '%s'\n", what, needle);
    ++failures;
    return;
  }
  const char *message = optimStatusGetMessage(status);
  if (!strstr(message, needle)) {
    fprintf(stderr, "%s: error '%s' does not contain '%s'\n", what, message,
            needle);
    ++failures;
  }
  optimStatusDestroy(status);
}

enum { N = 1000, M = 37, STEPS = 5 };

/// One torch.optim.AdamW step in double precision.
static void referenceAdamW(double *p, const double *g, double *m, double *v,
                           int n, const OptimStepScalars *s) {
  double bc1 = 1 - pow(s->beta1, (double)s->step);
  double bc2 = 1 - pow(s->beta2, (double)s->step);
  for (int i = 0; i < n; ++i) {
    p[i] *= 1 - s->lr * s->weightDecay;
    m[i] = s->beta1 * m[i] + (1 - s->beta1) * g[i];
    v[i] = s->beta2 * v[i] + (1 - s->beta2) * g[i] * g[i];
    p[i] -= s->lr / bc1 * m[i] / (sqrt(v[i]) / sqrt(bc2) + s->eps);
  }
}

static double relativeError(double got, double want) {
  return fabs(got - want) / fmax(fabs(want), 1e-30);
}

/// Two f32 parameters of different sizes, several steps with a changing lr.
static void testAdamWF32(OptimCompiler compiler) {
  OptimStepConfig config =
      optimStepConfigForPreset(OptimPresetTorchAdamW, OptimElementTypeF32);
  OptimStep step;
  if (!ok(optimCompilerGetStep(compiler, &config, &step), "getStep(adamw)"))
    return;

  static float p0[N], g0[N], m0[N], v0[N], p1[M], g1[M], m1[M], v1[M];
  static double rp0[N], rg0[N], rm0[N], rv0[N], rp1[M], rg1[M], rm1[M], rv1[M];
  for (int i = 0; i < N; ++i) {
    rp0[i] = p0[i] = (float)sin(0.1 * i);
    m0[i] = v0[i] = 0;
    rm0[i] = rv0[i] = 0;
  }
  for (int i = 0; i < M; ++i) {
    rp1[i] = p1[i] = (float)cos(0.3 * i);
    m1[i] = v1[i] = 0;
    rm1[i] = rv1[i] = 0;
  }
  OptimParamBuffers buffers[2] = {{p0, g0, m0, v0, NULL, N, NULL, NULL, 0},
                                  {p1, g1, m1, v1, NULL, M, NULL, NULL, 0}};
  OptimStepScalars scalars = optimStepScalarsForPreset(OptimPresetTorchAdamW);
  CHECK(scalars.weightDecay == 1e-2 && scalars.lr == 1e-3);
  for (int t = 1; t <= STEPS; ++t) {
    for (int i = 0; i < N; ++i)
      rg0[i] = g0[i] = (float)cos(0.7 * i + t);
    for (int i = 0; i < M; ++i)
      rg1[i] = g1[i] = (float)(0.01 * (i - 18) * t);
    scalars.step = t;
    scalars.lr = 1e-3 * t; /* a schedule: a run-time scalar */
    if (!ok(optimStepRun(step, buffers, 2, &scalars), "optimStepRun"))
      break;
    referenceAdamW(rp0, rg0, rm0, rv0, N, &scalars);
    referenceAdamW(rp1, rg1, rm1, rv1, M, &scalars);
    double worst = 0;
    for (int i = 0; i < N; ++i)
      worst = fmax(worst, relativeError(p0[i], rp0[i]));
    for (int i = 0; i < M; ++i)
      worst = fmax(worst, relativeError(p1[i], rp1[i]));
    /* The golden cases' f32 tolerance. */
    if (worst > 1e-5) {
      fprintf(stderr, "adamw f32 step %d: relative error %g\n", t, worst);
      ++failures;
    }
  }

  /* The step reports its configuration. */
  OptimStepConfig back;
  if (ok(optimStepGetConfig(step, &back), "optimStepGetConfig")) {
    CHECK(back.weightDecay == OptimWeightDecayDecoupled);
    CHECK(back.biasCorrection == OptimBiasCorrectionStandard);
    CHECK(back.paramType == OptimElementTypeF32);
    CHECK(back.gpuChip != NULL);
  }
  optimStepDestroy(step);
}

/// torch.optim.Adam(amsgrad=True, maximize=True, weight_decay) on f64, one
/// step, serially.
static void testAdamAmsgradF64(OptimCompiler compiler) {
  OptimStepConfig config =
      optimStepConfigForPreset(OptimPresetTorchAdam, OptimElementTypeF64);
  config.amsgrad = 1;
  config.maximize = 1;
  OptimStep step;
  if (!ok(optimCompilerGetStep(compiler, &config, &step), "getStep(adam)"))
    return;
  double p[M], g[M], m[M], v[M], vmax[M];
  for (int i = 0; i < M; ++i) {
    p[i] = 0.5 - 0.01 * i;
    g[i] = 0.1 * sin((double)i);
    m[i] = 0.01;
    v[i] = 0.02;
    vmax[i] = 0.03;
  }
  OptimParamBuffers buffers = {p, g, m, v, vmax, M, NULL, NULL, 0};
  OptimStepScalars s = optimStepScalarsForPreset(OptimPresetTorchAdam);
  s.weightDecay = 0.1;
  s.step = 3;
  if (!ok(optimStepRunSerial(step, &buffers, 1, &s), "optimStepRunSerial")) {
    optimStepDestroy(step);
    return;
  }
  double bc1 = 1 - pow(s.beta1, 3), bc2 = 1 - pow(s.beta2, 3);
  for (int i = 0; i < M; ++i) {
    double p0 = 0.5 - 0.01 * i;
    double gi = -0.1 * sin((double)i) + s.weightDecay * p0;
    double mi = s.beta1 * 0.01 + (1 - s.beta1) * gi;
    double vi = s.beta2 * 0.02 + (1 - s.beta2) * gi * gi;
    double vmaxi = fmax(0.03, vi);
    double pi = p0 - s.lr / bc1 * mi / (sqrt(vmaxi) / sqrt(bc2) + s.eps);
    CHECK(relativeError(p[i], pi) < 1e-12);
    CHECK(relativeError(vmax[i], vmaxi) < 1e-12);
  }
  optimStepDestroy(step);
}

/// Every rejected call returns a message and writes nothing.
/// Global-norm clipping: the squared norm of two f64 gradients, then the
/// clipped step against clip_grad_norm_ + AdamW in double; and bf16 moment
/// storage (2-byte moments) accepted, with an unknown storage rejected.
static void testClippingAndMomentStorage(OptimCompiler compiler) {
  OptimStepConfig config =
      optimStepConfigForPreset(OptimPresetTorchAdamW, OptimElementTypeF64);
  config.clipGradNorm = 1;
  OptimStep step;
  if (!ok(optimCompilerGetStep(compiler, &config, &step), "getStep(clip)"))
    return;
  double p[M], g[M], m[M] = {0}, v[M] = {0};
  double rp[M], rg[M], rm[M] = {0}, rv[M] = {0};
  double squares = 0;
  for (int i = 0; i < M; ++i) {
    rp[i] = p[i] = 0.5 - 0.01 * i;
    g[i] = sin(0.3 * i);
    squares += g[i] * g[i];
  }
  OptimParamBuffers halves[2] = {
      {p, g, m, v, NULL, 20, NULL, NULL, 0},
      {p + 20, g + 20, m + 20, v + 20, NULL, M - 20, NULL, NULL, 0}};
  OptimStepScalars s = optimStepScalarsForPreset(OptimPresetTorchAdamW);
  s.maxGradNorm = 0.5;
  double squared = -1;
  if (!ok(optimStepComputeGradSquaredNorm(step, halves, 2, &s, &squared),
          "optimStepComputeGradSquaredNorm")) {
    optimStepDestroy(step);
    return;
  }
  CHECK(relativeError(squared, squares) < 1e-14);
  s.gradNorm = sqrt(squared);
  CHECK(ok(optimStepRun(step, halves, 2, &s), "clipped step"));
  double coef = fmin(1.0, s.maxGradNorm / (sqrt(squares) + 1e-6));
  CHECK(coef < 1);
  for (int i = 0; i < M; ++i)
    rg[i] = g[i] * coef;
  referenceAdamW(rp, rg, rm, rv, M, &s);
  for (int i = 0; i < M; ++i)
    CHECK(relativeError(p[i], rp[i]) < 1e-12);
  // A negative bound is rejected with nothing written.
  s.maxGradNorm = -1;
  double before = p[0];
  expectError(optimStepRun(step, halves, 2, &s), "max_grad_norm",
              "negative max_grad_norm");
  CHECK(p[0] == before);
  expectError(optimStepComputeGradSquaredNorm(step, halves, 2, &s, NULL),
              "squaredNorm is null", "null squaredNorm");
  optimStepDestroy(step);

  // A step that does not clip has no norm to compute.
  OptimStepConfig plain =
      optimStepConfigForPreset(OptimPresetTorchAdamW, OptimElementTypeF64);
  OptimStep plainStep;
  if (ok(optimCompilerGetStep(compiler, &plain, &plainStep), "getStep")) {
    s.maxGradNorm = 1;
    expectError(
        optimStepComputeGradSquaredNorm(plainStep, halves, 2, &s, &squared),
        "does not clip", "norm of a plain step");
    optimStepDestroy(plainStep);
  }

  OptimStepConfig narrow =
      optimStepConfigForPreset(OptimPresetTorchAdamW, OptimElementTypeF32);
  narrow.momentStorage = OptimMomentStorageBF16;
  OptimStep narrowStep;
  if (ok(optimCompilerGetStep(compiler, &narrow, &narrowStep),
         "getStep(bf16 moments)")) {
    float pf[M], gf[M];
    uint16_t mh[M] = {0}, vh[M] = {0};
    for (int i = 0; i < M; ++i) {
      pf[i] = 1.0f;
      gf[i] = 0.25f;
    }
    OptimParamBuffers b = {pf, gf, mh, vh, NULL, M, NULL, NULL, 0};
    OptimStepScalars t = optimStepScalarsForPreset(OptimPresetTorchAdamW);
    CHECK(ok(optimStepRun(narrowStep, &b, 1, &t), "bf16-moment step"));
    // m = 0.1 * 0.25 = 0.025: bf16 0x3CCD (nearest even of 0x3CCCCCCD).
    CHECK(mh[0] == 0x3CCD && mh[M - 1] == 0x3CCD);
    CHECK(pf[0] < 1.0f);
    OptimStepConfig back;
    CHECK(ok(optimStepGetConfig(narrowStep, &back), "getConfig"));
    CHECK(back.momentStorage == OptimMomentStorageBF16);
    optimStepDestroy(narrowStep);
  }
  narrow.momentStorage = 7;
  expectError(optimStepConfigVerify(&narrow), "momentStorage",
              "unknown moment storage");
}

static void testErrors(OptimCompiler compiler) {
  OptimStepConfig config =
      optimStepConfigForPreset(OptimPresetTorchAdamW, OptimElementTypeF32);
  OptimStep step;
  if (!ok(optimCompilerGetStep(compiler, &config, &step), "getStep"))
    return;

  /* 64 floats per buffer, one spare for misalignment. */
  static float storage[5][65];
  for (int b = 0; b < 5; ++b)
    for (int i = 0; i < 65; ++i)
      storage[b][i] = (float)(b + 1) * 0.25f + (float)i;
  static float snapshot[5][65];
  memcpy(snapshot, storage, sizeof(storage));
  OptimParamBuffers good = {
      storage[0], storage[1], storage[2], storage[3], NULL, 64, NULL, NULL, 0};
  OptimStepScalars s = optimStepScalarsForPreset(OptimPresetTorchAdamW);

  OptimStep nullStep = {NULL};
  OptimCompiler nullCompiler = {NULL};
  expectError(optimStepRun(nullStep, &good, 1, &s), "step is null",
              "null step");
  expectError(optimStepRun(step, &good, 1, NULL), "scalars is null",
              "null scalars");
  expectError(optimStepRun(step, NULL, 1, &s), "params is null",
              "null params");
  expectError(optimStepRun(step, &good, -1, &s), "negative parameter count",
              "negative count");
  /* Refused before anything is read or allocated per parameter: it was an
     uncaught std::bad_alloc that aborted the caller. */
  expectError(optimStepRun(step, &good, (intptr_t)1 << 40, &s),
              "parameters, more than a group's", "huge count");

  OptimParamBuffers bad = good;
  bad.numElements = -5;
  expectError(optimStepRun(step, &bad, 1, &s), "negative element count",
              "negative size");
  bad = good;
  bad.grad = NULL;
  expectError(optimStepRun(step, &bad, 1, &s), "grad is null", "null grad");
  bad = good;
  bad.expAvg = (char *)storage[2] + 2;
  expectError(optimStepRun(step, &bad, 1, &s), "not aligned", "misaligned");
  bad = good;
  bad.expAvgSq = storage[2] + 8; /* overlaps exp_avg */
  expectError(optimStepRun(step, &bad, 1, &s), "overlap", "overlap");
  bad = good;
  bad.maxExpAvgSq = storage[4];
  expectError(optimStepRun(step, &bad, 1, &s), "not AMSGrad",
              "vmax without amsgrad");
  /* The second parameter is bad: the first is not written either. */
  OptimParamBuffers two[2] = {good, good};
  two[1].param = storage[4];
  two[1].grad = NULL;
  expectError(optimStepRun(step, two, 2, &s), "param #1: grad is null",
              "second param bad");

  OptimStepScalars badScalars = s;
  badScalars.lr = NAN;
  expectError(optimStepRun(step, &good, 1, &badScalars), "lr",
              "NaN lr");
  badScalars = s;
  badScalars.beta2 = 1.0;
  expectError(optimStepRun(step, &good, 1, &badScalars), "beta2",
              "beta2 = 1");
  badScalars = s;
  badScalars.step = 0;
  expectError(optimStepRun(step, &good, 1, &badScalars), "step", "step 0");
  badScalars = s;
  badScalars.lr = 1e300; /* not representable in f32 */
  expectError(optimStepRun(step, &good, 1, &badScalars), "lr", "huge lr");
  expectError(optimStepScalarsVerify(&config, &badScalars), "lr",
              "verify huge lr");
  CHECK(optimStatusIsSuccess(optimStepScalarsVerify(&config, &s)));

  CHECK(memcmp(snapshot, storage, sizeof(storage)) == 0);

  /* found_inf skips the step and succeeds. */
  OptimStepScalars skip = s;
  skip.foundInf = 1;
  CHECK(ok(optimStepRun(step, &good, 1, &skip), "found_inf step"));
  CHECK(memcmp(snapshot, storage, sizeof(storage)) == 0);

  /* Configurations. */
  OptimStep untouched = {(void *)&storage};
  expectError(optimCompilerGetStep(nullCompiler, &config, &untouched),
              "compiler is null", "null compiler");
  CHECK(untouched.ptr == (void *)&storage);
  expectError(optimCompilerGetStep(compiler, NULL, &untouched),
              "config is null", "null config");
  expectError(optimCompilerGetStep(compiler, &config, NULL), "step is null",
              "null out step");
  OptimStepConfig badConfig = config;
  badConfig.paramType = 7;
  expectError(optimCompilerGetStep(compiler, &badConfig, &untouched),
              "paramType: 7", "bad element type");
  CHECK(untouched.ptr == (void *)&storage);
  badConfig = config;
  badConfig.weightDecay = OptimWeightDecayNone;
  badConfig.decayRate = OptimDecayRateEffective;
  expectError(optimStepConfigVerify(&badConfig), "decay rate",
              "effective decay without decoupled decay");
  badConfig = config;
  badConfig.vectorSize = 3;
  expectError(optimCompilerGetStep(compiler, &badConfig, &untouched),
              "vector size", "bad vector size");
  expectError(optimStepConfigVerify(NULL), "config is null", "null verify");
  CHECK(optimStatusIsSuccess(optimStepConfigVerify(&config)));
  expectError(optimCompilerCreate(1, NULL), "compiler is null",
              "null out compiler");
  expectError(optimStepGetConfig(nullStep, &badConfig), "step is null",
              "null step config");

  /* Success statuses and null handles are harmless to release. */
  CHECK(strcmp(optimStatusGetMessage((OptimStatus){NULL}), "") == 0);
  optimStatusDestroy((OptimStatus){NULL});
  optimStepDestroy(nullStep);
  optimCompilerDestroy(nullCompiler);
  CHECK(optimCompilerGetNumThreads(nullCompiler) == 0);
  CHECK(optimElementTypeGetSize(OptimElementTypeBF16) == 2);
  CHECK(optimElementTypeGetMomentSize(OptimElementTypeBF16) == 4);
  CHECK(optimElementTypeGetSize((OptimElementType)9) == 0);

  /* Out-of-range presets and types (any int reaches a C enum parameter):
     configurations and scalars that every later call rejects. */
  OptimStepConfig unknown =
      optimStepConfigForPreset((OptimPreset)99, OptimElementTypeF32);
  expectError(optimStepConfigVerify(&unknown), "from an unknown preset",
              "unknown preset");
  OptimStepConfig badType =
      optimStepConfigForPreset(OptimPresetTorchAdamW, (OptimElementType)7);
  expectError(optimStepConfigVerify(&badType), "paramType: 7",
              "unknown parameter type");
  OptimStepScalars unknownScalars = optimStepScalarsForPreset((OptimPreset)-3);
  expectError(optimStepScalarsVerify(&config, &unknownScalars),
              "lr must not be NaN", "scalars of an unknown preset");
  optimStepDestroy(step);
}

/// 8-bit blockwise moments and stochastic rounding through the C API: the
/// codes, absmaxes and rounding scalars of ABI 3.
static void testBlockwiseMomentsAndRounding(OptimCompiler compiler) {
  enum { N = 4096 + 100, Blocks = (N + 255) / 256 };
  OptimStepConfig config =
      optimStepConfigForPreset(OptimPresetTorchAdamW, OptimElementTypeF32);
  config.momentStorage = OptimMomentStorageBlockwise8;
  OptimStep step;
  if (!ok(optimCompilerGetStep(compiler, &config, &step), "getStep(8-bit)"))
    return;
  float *p = calloc(N, sizeof(float)), *g = calloc(N, sizeof(float));
  unsigned char *m = calloc(N, 1), *v = calloc(N, 1);
  float absM[Blocks] = {0}, absV[Blocks] = {0};
  for (int i = 0; i < N; ++i) {
    p[i] = 1.0f;
    g[i] = (i % 2 ? 1.0f : -1.0f) * (1 + i % 5);
  }
  OptimParamBuffers buffers = {p, g, m, v, NULL, N, absM, absV, 0};
  OptimStepScalars s = optimStepScalarsForPreset(OptimPresetTorchAdamW);
  CHECK(ok(optimStepRun(step, &buffers, 1, &s), "8-bit step"));
  // exp_avg = 0.1 g: block 0's largest |g| is 5, so its absmax is 0.5 and
  // the elements with |g| = 5 have the extreme codes (1.0 is code 255;
  // -1.0 is nearest to the lowest value, code 0); exp_avg_sq's largest is
  // code 255 of the unsigned map.
  CHECK(fabsf(absM[0] - 0.5f) < 1e-6f);
  CHECK(m[9] == 255 && m[4] == 0 && v[4] == 255 && v[9] == 255);
  CHECK(p[1] < 1.0f && p[0] > 1.0f);
  // Without its absmaxes the step is refused and writes nothing.
  OptimParamBuffers missing = buffers;
  missing.expAvgSqAbsmax = NULL;
  float before = p[0];
  OptimStatus status = optimStepRun(step, &missing, 1, &s);
  CHECK(!optimStatusIsSuccess(status) &&
        strstr(optimStatusGetMessage(status), "exp_avg_sq absmax is null"));
  optimStatusDestroy(status);
  CHECK(p[0] == before);
  optimStepDestroy(step);

  // Stochastic rounding of bf16 parameters: other seeds, other bits.
  OptimStepConfig sr =
      optimStepConfigForPreset(OptimPresetTorchAdamW, OptimElementTypeBF16);
  sr.stochasticRounding = 1;
  if (!ok(optimCompilerGetStep(compiler, &sr, &step), "getStep(SR)"))
    goto done;
  {
    enum { K = 4096 };
    unsigned short *p16[2], *g16 = calloc(K, 2);
    float *m32 = calloc(K, 4), *v32 = calloc(K, 4);
    for (int i = 0; i < K; ++i)
      g16[i] = 0x3F80; // 1.0
    for (int k = 0; k < 2; ++k) {
      p16[k] = calloc(K, 2);
      for (int i = 0; i < K; ++i)
        p16[k][i] = 0x3F80;
      memset(m32, 0, K * 4);
      memset(v32, 0, K * 4);
      OptimParamBuffers b = {p16[k], g16, m32, v32, NULL, K, NULL, NULL, 0};
      OptimStepScalars t = optimStepScalarsForPreset(OptimPresetTorchAdamW);
      t.lr = 1e-3; // below half a bf16 ulp of 1.0 (2^-8)
      t.roundingSeed = 1 + k;
      t.roundingOffset = 1;
      CHECK(ok(optimStepRun(step, &b, 1, &t), "SR step"));
    }
    int moved = 0, differ = 0;
    for (int i = 0; i < K; ++i) {
      moved += p16[0][i] != 0x3F80;
      differ += p16[0][i] != p16[1][i];
    }
    // p = 1 - ~1e-3 (after decay) rounds down with probability ~0.26.
    CHECK(moved > K / 8 && moved < K / 2);
    CHECK(differ > 0);
    for (int k = 0; k < 2; ++k)
      free(p16[k]);
    free(g16);
    free(m32);
    free(v32);
  }
  optimStepDestroy(step);
done:
  free(p);
  free(g);
  free(m);
  free(v);
}

/// A step outlives the compiler it came from.
static void testStepOutlivesCompiler(void) {
  OptimCompiler compiler;
  if (!ok(optimCompilerCreate(1, &compiler), "optimCompilerCreate(1)"))
    return;
  CHECK(optimCompilerGetNumThreads(compiler) == 1);
  OptimStepConfig config =
      optimStepConfigForPreset(OptimPresetMXNetAdamW, OptimElementTypeF32);
  OptimStep step;
  int got = ok(optimCompilerGetStep(compiler, &config, &step), "getStep");
  optimCompilerDestroy(compiler);
  if (!got)
    return;
  float p[8] = {1, 2, 3, 4, 5, 6, 7, 8}, g[8] = {1, 1, 1, 1, 1, 1, 1, 1};
  float m[8] = {0}, v[8] = {0};
  OptimParamBuffers buffers = {p, g, m, v, NULL, 8, NULL, NULL, 0};
  OptimStepScalars s = optimStepScalarsForPreset(OptimPresetMXNetAdamW);
  CHECK(s.eps == 1e-6);
  CHECK(ok(optimStepRun(step, &buffers, 1, &s), "run after destroy"));
  CHECK(p[0] < 1.0f);
  optimStepDestroy(step);
}

int main(void) {
  CHECK(optimGetAbiVersion() == OPTIM_C_ABI_VERSION);
  OptimCompiler compiler;
  if (!ok(optimCompilerCreate(2, &compiler), "optimCompilerCreate"))
    return 1;
  testAdamWF32(compiler);
  testAdamAmsgradF64(compiler);
  testClippingAndMomentStorage(compiler);
  testBlockwiseMomentsAndRounding(compiler);
  testErrors(compiler);
  optimCompilerDestroy(compiler);
  testStepOutlivesCompiler();
  if (failures) {
    fprintf(stderr, "%d failure(s)\n", failures);
    return 1;
  }
  printf("optim C API: all checks passed\n");
  return 0;
}
