// A fixed pool of threads running queued tasks, with a bounded queue so that
// overload is refused rather than buffered without limit. gRPC callback
// handlers hand blocking work (RocksDB writes that wait for fsync) to it so
// that no reaction blocks.
#ifndef HIRS_COMMON_WORKER_POOL_H_
#define HIRS_COMMON_WORKER_POOL_H_

#include <deque>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace hirs {

// Thread safe.
class WorkerPool {
 public:
  // Starts `threads` workers, named `name` (NameThisThread); at most
  // `max_queued` tasks wait at once.
  WorkerPool(int threads, size_t max_queued, const std::string& name = "hirs-worker");
  // Runs every task already queued, then joins the workers.
  ~WorkerPool();

  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `task`. Returns false (and drops it) when the queue is full or the
  // pool is shutting down.
  bool TrySchedule(std::function<void()> task);

  // Stops accepting tasks and waits until every queued task has run.
  void Drain();

 private:
  void Work();

  const size_t max_queued_;
  absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int running_ ABSL_GUARDED_BY(mu_) = 0;  // tasks being run now
  std::vector<std::thread> threads_;
};

// Names the calling thread as `top -H`, `perf` and debuggers show it (Linux
// keeps the first 15 bytes).
void NameThisThread(const std::string& name);

// The two pools a server runs blocking work on, so that look-ups are never
// queued behind writes waiting for their fsync: `reads` for calls that only
// read (GetCase, ListCases, GetReport, extracts), `writes` for the rest.
// Both borrowed.
struct WorkerPools {
  WorkerPool* reads;
  WorkerPool* writes;
};

}  // namespace hirs

#endif  // HIRS_COMMON_WORKER_POOL_H_
