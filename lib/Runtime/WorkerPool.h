//===- WorkerPool.h - low-latency fork-join for optimizer steps -*- C++ -*-===//
//
// A step is a few microseconds to a few milliseconds of memory traffic, run
// back to back: handing it to a general-purpose task queue (a mutex, a
// condition variable and a future per task) costs as much as a small step.
// Like an OpenMP runtime, the pool keeps its workers spinning for a while
// after each step and wakes them with one atomic store; idle workers then
// sleep on a condition variable.
//
//===----------------------------------------------------------------------===//

#ifndef OPTIM_LIB_RUNTIME_WORKERPOOL_H
#define OPTIM_LIB_RUNTIME_WORKERPOOL_H

#include "llvm/ADT/STLFunctionalExtras.h"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace optim::detail {

class WorkerPool {
public:
  /// `numThreads` counts the calling thread: numThreads - 1 workers start.
  explicit WorkerPool(unsigned numThreads);
  ~WorkerPool();
  WorkerPool(const WorkerPool &) = delete;
  WorkerPool &operator=(const WorkerPool &) = delete;

  unsigned size() const { return workers.size() + 1; }

  /// Calls fn(i) for every i < numTasks (at most size()), task 0 on the
  /// calling thread, and returns when all are done. Concurrent callers are
  /// served one after the other.
  void run(unsigned numTasks, llvm::function_ref<void(unsigned)> fn);

private:
  void work(unsigned index);

  std::vector<std::thread> workers;
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
