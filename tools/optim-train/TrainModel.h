//===- TrainModel.h - optim-train's model and data ----------------*- C++ -*-===//
//
// The regression problem and the two-layer MLP that optim-train fits, with
// hand-written gradients: shared with the MPI test that trains the same
// model data-parallel with the sharded optimizer.
//
//===----------------------------------------------------------------------===//

#ifndef OPTIM_TOOLS_OPTIM_TRAIN_TRAINMODEL_H
#define OPTIM_TOOLS_OPTIM_TRAIN_TRAINMODEL_H

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace optim::train {
constexpr int kInputs = 16;
constexpr int kSamples = 8192;

/// y = sum_j sin(a_j x_j) + 0.5 x_0 x_1: smooth, nonlinear, learnable.
struct Dataset {
  std::vector<float> x, y;
  Dataset() {
    std::mt19937 rng(7);
    std::normal_distribution<float> normal;
    std::vector<float> a(kInputs);
    for (float &v : a)
      v = 0.5f + std::fabs(normal(rng));
    for (int i = 0; i < kSamples; ++i) {
      float target = 0;
      for (int j = 0; j < kInputs; ++j) {
        float v = normal(rng);
        x.push_back(v);
        target += std::sin(a[j] * v);
      }
      y.push_back(target + 0.5f * x[i * kInputs] * x[i * kInputs + 1]);
    }
  }
};

/// A two-layer MLP with tanh, its gradients, plain loops.
struct Mlp {
  int h;
  std::vector<float> w1, b1, w2, b2;     // parameters
  std::vector<float> gw1, gb1, gw2, gb2; // gradients
  std::vector<float> act;                // batch x h activations

  explicit Mlp(int h)
      : h(h), w1(h * kInputs), b1(h), w2(h), b2(1), gw1(w1.size()), gb1(h),
        gw2(h), gb2(1) {
    std::mt19937 rng(1);
    std::normal_distribution<float> normal;
    for (float &v : w1)
      v = normal(rng) / std::sqrt(float(kInputs));
    for (float &v : w2)
      v = normal(rng) / std::sqrt(float(h));
  }

  /// Mean squared error over `rows`; with `train`, also the gradients.
  double run(const Dataset &data, const std::vector<int> &rows, bool train) {
    int n = rows.size();
    act.assign(size_t(n) * h, 0.f);
    if (train) {
      std::fill(gw1.begin(), gw1.end(), 0.f);
      std::fill(gb1.begin(), gb1.end(), 0.f);
      std::fill(gw2.begin(), gw2.end(), 0.f);
      gb2[0] = 0.f;
    }
    double loss = 0;
    for (int r = 0; r < n; ++r) {
      const float *x = &data.x[size_t(rows[r]) * kInputs];
      float *a = &act[size_t(r) * h];
      float out = b2[0];
      for (int k = 0; k < h; ++k) {
        float z = b1[k];
        for (int j = 0; j < kInputs; ++j)
          z += w1[k * kInputs + j] * x[j];
        a[k] = std::tanh(z);
        out += w2[k] * a[k];
      }
      float err = out - data.y[rows[r]];
      loss += double(err) * err;
      if (!train)
        continue;
      float dout = 2.f * err / n;
      gb2[0] += dout;
      for (int k = 0; k < h; ++k) {
        gw2[k] += dout * a[k];
        float dz = dout * w2[k] * (1.f - a[k] * a[k]);
        gb1[k] += dz;
        for (int j = 0; j < kInputs; ++j)
          gw1[k * kInputs + j] += dz * x[j];
      }
    }
    return loss / n;
  }
};

/// The held-out rows (the last 1024 samples) and the training batches,
/// drawn from the others by a fixed seed: every run draws the same ones.
struct Batches {
  std::vector<int> heldOut;
  std::mt19937 rng{3};
  std::uniform_int_distribution<int> pick{0, kSamples - 1025};
  Batches() : heldOut(1024) {
    for (int i = 0; i < 1024; ++i)
      heldOut[i] = kSamples - 1024 + i;
  }
  /// Fills `rows` with the next batch.
  void next(std::vector<int> &rows) {
    for (int &r : rows)
      r = pick(rng);
  }
};

} // namespace optim::train

#endif // OPTIM_TOOLS_OPTIM_TRAIN_TRAINMODEL_H
