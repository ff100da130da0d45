//===- aot-host.cpp - a host program for an ahead-of-time optim step ------===//
//
// Built against the header optim-aot writes (passed with -include) and
// linked with the object (and, for GPU steps, liboptim_cuda_runtime.so):
// no LLVM is involved. Modes:
//   check N     N elements in three tensors, compared with a double-precision
//               reference of PyTorch's AdamW; prints PASS or FAIL.
//   bench       GPT-2-small's 148 tensors (124M parameters) and one 2^28
//               tensor; one JSON line per case (the --optim-cmd format of
//               bench/gpu/bench_gpu_torch.py).
// GPU steps without a usable device print "SKIP: no CUDA device: ..." and
// exit 0.
//
//===----------------------------------------------------------------------===//

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#ifdef OPTIM_AOT_GPU
extern "C" {
const char *optimCudaUnavailableReason();
void *mgpuStreamCreate();
void mgpuStreamSynchronize(void *);
void *mgpuMemAlloc(uint64_t, void *, bool);
void mgpuMemFree(void *, void *);
void mgpuMemcpy(void *, void *, size_t, void *);
}
#endif

namespace {

/// Device (or host) memory for one buffer of `n` floats.
struct Buffer {
  float *ptr = nullptr;
  size_t n = 0;
  explicit Buffer(size_t n) : n(n) {
#ifdef OPTIM_AOT_GPU
    ptr = static_cast<float *>(
        mgpuMemAlloc(std::max<size_t>(n, 1) * 4, nullptr, false));
#else
    ptr = static_cast<float *>(
        std::aligned_alloc(64, (std::max<size_t>(n, 1) * 4 + 63) / 64 * 64));
#endif
  }
  ~Buffer() {
#ifdef OPTIM_AOT_GPU
    mgpuMemFree(ptr, nullptr);
#else
    std::free(ptr);
#endif
  }
  void upload(const std::vector<float> &host) {
#ifdef OPTIM_AOT_GPU
    mgpuMemcpy(ptr, const_cast<float *>(host.data()), n * 4, nullptr);
#else
    std::memcpy(ptr, host.data(), n * 4);
#endif
  }
  std::vector<float> download() const {
    std::vector<float> host(n);
#ifdef OPTIM_AOT_GPU
    mgpuMemcpy(host.data(), ptr, n * 4, nullptr);
#else
    std::memcpy(host.data(), ptr, n * 4);
#endif
    return host;
  }
};

optim_memref1d wrap(float *p, int64_t n) { return {p, p, 0, n, 1}; }

#ifdef OPTIM_TABLE_ROW_WORDS
/// One step over `tensors` (each: p, g, m, v), all in one launch: their
/// device addresses and sizes go into a table in device memory.
int step(std::vector<std::vector<Buffer *>> &tensors, double *scalars) {
  std::vector<int64_t> table(tensors.size() * OPTIM_TABLE_ROW_WORDS, 0);
  int64_t total = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    for (int j = 0; j < 4; ++j)
      table[i * OPTIM_TABLE_ROW_WORDS + j] =
          int64_t(reinterpret_cast<uintptr_t>(tensors[i][j]->ptr));
    table[i * OPTIM_TABLE_ROW_WORDS + 5] = tensors[i][0]->n;
    total += tensors[i][0]->n;
  }
  size_t bytes = table.size() * sizeof(int64_t);
  void *device = mgpuMemAlloc(bytes, nullptr, false);
  mgpuMemcpy(device, table.data(), bytes, nullptr);
  int result = optim_step_run(device, int64_t(tensors.size()), total, scalars);
  if (result != 0)
    std::printf("optim_step_run failed: %s\n", optimCudaLastError());
  mgpuMemFree(device, nullptr);
  return result;
}
#else
/// One step over `tensors` (each: p, g, m, v), one call per tensor.
int step(std::vector<std::vector<Buffer *>> &tensors, double *scalars) {
  optim_memref1d s = {scalars, scalars, 0, OPTIM_NUM_SCALARS, 1};
  for (std::vector<Buffer *> &tensor : tensors) {
    optim_memref1d d[5];
    for (int j = 0; j < 4; ++j)
      d[j] = wrap(tensor[j]->ptr, tensor[j]->n);
    d[4] = wrap(nullptr, 0);
    _mlir_ciface_optim_step(&d[0], &d[1], &d[2], &d[3], &d[4], &s);
  }
  return 0;
}
#endif

void scalarsFor(double *s, int64_t t) {
  std::fill(s, s + OPTIM_NUM_SCALARS, 0.0);
  s[OPTIM_LR] = 1e-2;
  s[OPTIM_BETA1] = 0.9;
  s[OPTIM_BETA2] = 0.999;
  s[OPTIM_EPS] = 1e-8;
  s[OPTIM_WEIGHT_DECAY] = 1e-2;
  s[OPTIM_STEP] = double(t);
}

int check(int64_t n) {
  int64_t sizes[3] = {n / 2, n / 3, n - n / 2 - n / 3};
  std::vector<std::vector<Buffer *>> tensors;
  std::vector<std::vector<double>> refP, refM, refV;
  std::vector<std::vector<float>> grads;
  unsigned seed = 1;
  auto rnd = [&] {
    seed = seed * 1103515245u + 12345u;
    return float((seed >> 8) & 0xffff) / 32768.0f - 1.0f;
  };
  for (int64_t size : sizes) {
    std::vector<float> p(size), g(size), zero(size, 0.0f);
    for (auto &x : p)
      x = rnd();
    for (auto &x : g)
      x = rnd();
    std::vector<Buffer *> t;
    for (int j = 0; j < 4; ++j)
      t.push_back(new Buffer(size));
    t[0]->upload(p);
    t[1]->upload(g);
    t[2]->upload(zero);
    t[3]->upload(zero);
    tensors.push_back(t);
    refP.emplace_back(p.begin(), p.end());
    refM.emplace_back(size, 0.0);
    refV.emplace_back(size, 0.0);
    grads.push_back(g);
  }
  double s[OPTIM_NUM_SCALARS];
  for (int64_t t = 1; t <= 3; ++t) {
    scalarsFor(s, t);
    if (step(tensors, s) != 0)
      return 1;
    double bc1 = 1 - std::pow(0.9, t), bc2 = 1 - std::pow(0.999, t);
    for (size_t k = 0; k < tensors.size(); ++k)
      for (size_t i = 0; i < refP[k].size(); ++i) {
        double g = grads[k][i];
        refP[k][i] *= 1 - 1e-2 * 1e-2;
        refM[k][i] = 0.9 * refM[k][i] + 0.1 * g;
        refV[k][i] = 0.999 * refV[k][i] + 0.001 * g * g;
        refP[k][i] -= (1e-2 / bc1) * refM[k][i] /
                      (std::sqrt(refV[k][i]) / std::sqrt(bc2) + 1e-8);
      }
  }
  double worst = 0;
  for (size_t k = 0; k < tensors.size(); ++k) {
    std::vector<float> p = tensors[k][0]->download();
    for (size_t i = 0; i < p.size(); ++i)
      worst = std::max(worst, std::fabs(p[i] - refP[k][i]) /
                                  (1 + std::fabs(refP[k][i])));
    for (Buffer *b : tensors[k])
      delete b;
  }
  std::printf("%lld elements in 3 tensors, 3 steps: max error %.3g\n",
              (long long)n, worst);
  std::printf(worst < 2e-5 ? "PASS\n" : "FAIL\n");
  return worst < 2e-5 ? 0 : 1;
}

int bench() {
  std::vector<int64_t> gpt2 = {50257 * 768, 1024 * 768};
  for (int l = 0; l < 12; ++l)
    for (int64_t s : {768, 768, 768 * 2304, 2304, 768 * 768, 768, 768, 768,
                      768 * 3072, 3072, 3072 * 768, 768})
      gpt2.push_back(s);
  gpt2.push_back(768);
  gpt2.push_back(768);
  struct Case {
    const char *name;
    std::vector<int64_t> sizes;
  } cases[] = {{"single", {int64_t(1) << 28}}, {"gpt2-small", gpt2}};
  for (Case &c : cases) {
    std::vector<std::vector<Buffer *>> tensors;
    int64_t total = 0;
    for (int64_t size : c.sizes) {
      std::vector<float> fill(size, 0.01f);
      std::vector<Buffer *> t;
      for (int j = 0; j < 4; ++j) {
        t.push_back(new Buffer(size));
        t.back()->upload(fill);
      }
      tensors.push_back(t);
      total += size;
    }
    double s[OPTIM_NUM_SCALARS];
    scalarsFor(s, 10);
    for (int i = 0; i < 3; ++i)
      step(tensors, s);
    std::vector<double> times;
    for (int i = 0; i < 20; ++i) {
      auto start = std::chrono::steady_clock::now();
      step(tensors, s); // each call synchronises its stream
      times.push_back(std::chrono::duration<double, std::milli>(
                          std::chrono::steady_clock::now() - start)
                          .count());
    }
    std::sort(times.begin(), times.end());
    std::printf(
        "{\"impl\": \"optim-aot\", \"case\": \"%s\", \"elements\": %lld, "
        "\"tensors\": %zu, \"ms\": %.4f}\n",
        c.name, (long long)total, c.sizes.size(), times[times.size() / 2]);
    for (auto &t : tensors)
      for (Buffer *b : t)
        delete b;
  }
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  std::string mode = argc > 1 ? argv[1] : "check";
#ifdef OPTIM_TABLE_ROW_WORDS
  // The entry's return code: without a device the step fails, and says why.
  if (mode == "step-without-device") {
    double scalars[OPTIM_NUM_SCALARS] = {};
    int result = optim_step_run(nullptr, 1, 100, scalars);
    std::printf("optim_step_run: %d: %s\n", result,
                optimCudaLastError() ? optimCudaLastError() : "(no error)");
    return 0;
  }
#endif
#ifdef OPTIM_AOT_GPU
  if (const char *reason = optimCudaUnavailableReason()) {
    std::printf("SKIP: %s\n", reason);
    return 0;
  }
#endif
  if (mode == "bench")
    return bench();
  return check(argc > 2 ? std::atoll(argv[2]) : 1000);
}
