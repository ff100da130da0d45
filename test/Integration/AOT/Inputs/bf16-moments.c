/* An ahead-of-time AdamW step with bf16 moments (optim-aot --moments=bf16),
   from C: the moments are uint16_t bits, rounded to nearest even once on
   store; the parameter is updated from the f32 values. Two steps; prints
   the bits and the parameters. */
#include "s.h"

#include <stdio.h>

static optim_memref1d view(void *data, int64_t size) {
  optim_memref1d d = {data, data, 0, size, 1};
  return d;
}

/* A bf16's value. */
static float widen(uint16_t bits) {
  union {
    uint32_t u;
    float f;
  } x;
  x.u = (uint32_t)bits << 16;
  return x.f;
}

int main(void) {
  float p[3] = {1.0f, -2.0f, 0.25f}, g[3] = {0.5f, 0.25f, -1.0f};
  uint16_t m[3] = {0}, v[3] = {0};
  double scalars[OPTIM_NUM_SCALARS] = {0};
  scalars[OPTIM_LR] = 0.1;
  scalars[OPTIM_BETA1] = 0.9;
  scalars[OPTIM_BETA2] = 0.999;
  scalars[OPTIM_EPS] = 1e-8;
  scalars[OPTIM_WEIGHT_DECAY] = 1e-2;
  optim_memref1d ps = view(p, 3), gs = view(g, 3), ms = view(m, 3),
                 vs = view(v, 3), s = view(scalars, OPTIM_NUM_SCALARS);
  for (int t = 1; t <= 2; ++t) {
    scalars[OPTIM_STEP] = t;
    _mlir_ciface_optim_step(&ps, &gs, &ms, &vs, &vs, &s);
    printf("step %d\n", t);
    for (int i = 0; i < 3; ++i)
      printf("  m %04x (%.8g) v %04x (%.8g) p %.6f\n", m[i], widen(m[i]),
             v[i], widen(v[i]), p[i]);
  }
  return 0;
}
