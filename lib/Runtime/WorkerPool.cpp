//===- WorkerPool.cpp - low-latency fork-join for optimizer steps ---------===//

#include "WorkerPool.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define OPTIM_PAUSE() _mm_pause()
#else
#define OPTIM_PAUSE() std::this_thread::yield()
#endif

namespace optim::detail {

/// Spin iterations before a worker sleeps: tens of microseconds, enough to
/// bridge back-to-back steps, short enough not to starve other threads (an
/// OpenMP runtime's, say) of a core for long.
constexpr unsigned kSpinIterations = 1 << 12;

WorkerPool::WorkerPool(unsigned numThreads) {
  for (unsigned i = 1; i < numThreads; ++i)
    workers.emplace_back([this, i] { work(i); });
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard<std::mutex> lock(sleepMutex);
    stopping = true;
  }
  wake.notify_all();
  for (std::thread &t : workers)
    t.join();
}

void WorkerPool::work(unsigned index) {
  uint64_t seen = 0;
  for (;;) {
    unsigned spins = 0;
    uint64_t current;
    while ((current = epoch.load(std::memory_order_acquire)) == seen) {
      if (stopping.load(std::memory_order_relaxed))
        return;
      if (++spins < kSpinIterations) {
        OPTIM_PAUSE();
        continue;
      }
      std::unique_lock<std::mutex> lock(sleepMutex);
      wake.wait(lock, [&] {
        return epoch.load(std::memory_order_acquire) != seen || stopping;
      });
      spins = 0;
    }
    seen = current;
    if (index < numTasks)
      task(index);
    pending.fetch_sub(1, std::memory_order_acq_rel);
  }
}

void WorkerPool::run(unsigned count, llvm::function_ref<void(unsigned)> fn) {
  if (count <= 1 || workers.empty()) {
    for (unsigned i = 0; i < count; ++i)
      fn(i);
    return;
  }
  std::lock_guard<std::mutex> serialise(runMutex);
  task = fn;
  numTasks = count;
  pending.store(workers.size(), std::memory_order_relaxed);
  {
    // Publishing under the sleep mutex orders the store before a sleeping
    // worker's predicate check.
    std::lock_guard<std::mutex> lock(sleepMutex);
    epoch.fetch_add(1, std::memory_order_release);
  }
  wake.notify_all();
  fn(0);
  while (pending.load(std::memory_order_acquire) != 0)
    OPTIM_PAUSE();
}

} // namespace optim::detail
