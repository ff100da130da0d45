/* Two ahead-of-time steps of different configurations in one C program:
   each object exports only its own entry point (optim-aot --name), and the
   two headers are included together. One step of each on the same state. */
#include "adam.h"
#include "adamw.h"

#include <stdio.h>

static optim_memref1d view(void *data, int64_t size) {
  optim_memref1d d = {data, data, 0, size, 1};
  return d;
}

int main(void) {
  float p[2][4], g[4], m[2][4] = {{0}}, v[2][4] = {{0}};
  for (int i = 0; i < 4; ++i) {
    p[0][i] = p[1][i] = 1.0f;
    g[i] = 0.5f;
  }
  double scalars[OPTIM_NUM_SCALARS] = {0};
  scalars[OPTIM_LR] = 1e-3;
  scalars[OPTIM_BETA1] = 0.9;
  scalars[OPTIM_BETA2] = 0.999;
  scalars[OPTIM_EPS] = 1e-8;
  scalars[OPTIM_WEIGHT_DECAY] = 1e-2;
  scalars[OPTIM_STEP] = 1;
  optim_memref1d s = view(scalars, OPTIM_NUM_SCALARS), grad = view(g, 4);
  for (int k = 0; k < 2; ++k) {
    optim_memref1d pk = view(p[k], 4), mk = view(m[k], 4),
                   vk = view(v[k], 4);
    if (k == 0)
      _mlir_ciface_adamw_f32(&pk, &grad, &mk, &vk, &vk, &s);
    else
      _mlir_ciface_adam_f32(&pk, &grad, &mk, &vk, &vk, &s);
  }
  /* AdamW decays, then moves by lr: 1 - 1e-5 - 1e-3. Adam's L2 term only
     changes the gradient, and the first step moves by lr: 1 - 1e-3. */
  printf("adamw %.6f adam %.6f\n", p[0][0], p[1][0]);
  return 0;
}
