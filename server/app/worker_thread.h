// WorkerThread: one background thread that runs posted tasks one at a
// time, in the order posted. The destructor runs the tasks already posted
// and joins the thread.
//
// Used for work that must not run on a gRPC thread or hold up another
// thread: the ruleset worker (RuleSetWorker, server/app/ruleset_worker.h) and
// the ledger's notifier, which answers Appends once their commit is done
// while the committer moves on to the next batch.
//
// Thread-safety: Post may be called from any thread.
#ifndef LANTERN_SERVER_APP_WORKER_THREAD_H_
#define LANTERN_SERVER_APP_WORKER_THREAD_H_

#include <deque>
#include <functional>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace lantern {

class WorkerThread {
 public:
  WorkerThread();
  ~WorkerThread();
  WorkerThread(const WorkerThread&) = delete;
  WorkerThread& operator=(const WorkerThread&) = delete;

  void Post(std::function<void()> task);

 private:
  void Run();
  bool Ready() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::Mutex mu_;
  std::deque<std::function<void()>> tasks_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace lantern

#endif  // LANTERN_SERVER_APP_WORKER_THREAD_H_
