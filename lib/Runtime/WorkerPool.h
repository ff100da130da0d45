//===- WorkerPool.h - low-latency fork-join for optimizer steps -*- C++ -*-===//
//
// A step is a few microseconds to a few milliseconds of memory traffic, run
// back to back: handing it to a general-purpose task queue (a mutex, a
// condition variable and a future per task) costs as much as a small step.
// Like an OpenMP runtime, the pool keeps its workers spinning for a while
// after each step and wakes them with one atomic store; idle workers then
// sleep on a condition variable.
//
// Workers are started with pthread_create rather than std::thread: without
// exceptions (LLVM's -fno-exceptions) a std::thread that cannot start calls
// std::terminate, and a library must report that as an error.
//
//===----------------------------------------------------------------------===//

#ifndef OPTIM_LIB_RUNTIME_WORKERPOOL_H
#define OPTIM_LIB_RUNTIME_WORKERPOOL_H

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/Support/Error.h"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include <pthread.h>
#include <sys/types.h>

namespace optim::detail {

class WorkerPool {
public:
  /// The most threads a pool accepts: far beyond any core count, far below
  /// what exhausts a process's address space with thread stacks.
  static constexpr unsigned kMaxThreads = 1024;

  /// A pool of `numThreads` threads counting the calling thread, so
  /// numThreads - 1 workers start. Fails, naming the cause, when numThreads
  /// exceeds kMaxThreads or a worker cannot be created (the workers already
  /// started are stopped again).
  static llvm::Expected<std::shared_ptr<WorkerPool>>
  create(unsigned numThreads);
  ~WorkerPool();
  WorkerPool(const WorkerPool &) = delete;
  WorkerPool &operator=(const WorkerPool &) = delete;

  unsigned size() const { return workers.size() + 1; }

  /// Calls fn(i) for every i < numTasks (at most size()), task 0 on the
  /// calling thread, and returns when all are done. Concurrent callers are
  /// served one after the other. In a process forked from the pool's, every
  /// task runs on the calling thread.
  void run(unsigned numTasks, llvm::function_ref<void(unsigned)> fn);

private:
  WorkerPool() = default;
  static void *entry(void *worker);
  void work(unsigned index);

  struct Worker {
    WorkerPool *pool;
    unsigned index;
    pthread_t thread;
  };
  /// Started workers only; reserved up front, so the addresses passed to
  /// pthread_create stay valid.
  std::vector<Worker> workers;
  /// The process that started the workers; a forked child runs tasks alone
  /// and never destroys the pool (create's deleter).
  pid_t owner = 0;
  std::mutex runMutex;
  std::mutex sleepMutex;
  std::condition_variable wake;
  std::atomic<uint64_t> epoch{0};
  std::atomic<unsigned> pending{0};
  std::atomic<bool> stopping{false};
  llvm::function_ref<void(unsigned)> task;
  unsigned numTasks = 0;
};

} // namespace optim::detail

#endif // OPTIM_LIB_RUNTIME_WORKERPOOL_H
