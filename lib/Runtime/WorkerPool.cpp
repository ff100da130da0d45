//===- WorkerPool.cpp - low-latency fork-join for optimizer steps ---------===//

#include "WorkerPool.h"

#include "llvm/Support/FormatVariadic.h"

#include <system_error>
#include <thread>

#include <unistd.h>

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

llvm::Expected<std::shared_ptr<WorkerPool>>
WorkerPool::create(unsigned numThreads) {
  if (numThreads > kMaxThreads)
    return llvm::createStringError(
        llvm::formatv("{0} threads requested; at most {1} are supported",
                      numThreads, kMaxThreads)
            .str());
  // A forked child has none of the workers, and the synchronisation state
  // still counts them (a condition variable's waiters, a mutex some worker
  // held at the fork): destroying the pool there would wait forever, so the
  // child leaves it alone.
  std::shared_ptr<WorkerPool> pool(new WorkerPool(), [](WorkerPool *pool) {
    if (getpid() == pool->owner)
      delete pool;
  });
  pool->owner = getpid();
  if (numThreads > 1)
    pool->workers.reserve(numThreads - 1);
  for (unsigned i = 1; i < numThreads; ++i) {
    Worker &worker = pool->workers.emplace_back(Worker{pool.get(), i, {}});
    if (int rc = pthread_create(&worker.thread, nullptr, &entry, &worker)) {
      pool->workers.pop_back();
      // The pool's destructor stops and joins the workers already running.
      return llvm::createStringError(
          std::error_code(rc, std::generic_category()),
          "cannot create worker thread %u of %u: %s", i, numThreads - 1,
          std::error_code(rc, std::generic_category()).message().c_str());
    }
  }
  return pool;
}

void *WorkerPool::entry(void *worker) {
  auto *w = static_cast<Worker *>(worker);
  w->pool->work(w->index);
  return nullptr;
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard<std::mutex> lock(sleepMutex);
    stopping = true;
  }
  wake.notify_all();
  for (Worker &worker : workers)
    pthread_join(worker.thread, nullptr);
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
  // In a forked child (multiprocessing's fork start method, say) only the
  // calling thread exists: the tasks run on it, in order. The result is the
  // same, as for any split.
  if (count <= 1 || workers.empty() || getpid() != owner) {
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
