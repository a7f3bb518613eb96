// RuleSetWorker: one background thread that runs the slow ruleset work —
// loading, compiling and testing candidates for Validate, Activate and
// SIGHUP reloads — so that gRPC handlers never block on it.
//
// Tasks run one at a time in the order posted, which also serialises
// activations: two reloads never race to install. The destructor runs the
// tasks already posted and joins the thread.
//
// Thread-safety: Post may be called from any thread.
#ifndef LANTERN_SERVER_RULESET_WORKER_H_
#define LANTERN_SERVER_RULESET_WORKER_H_

#include <deque>
#include <functional>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace lantern {

class RuleSetWorker {
 public:
  RuleSetWorker();
  ~RuleSetWorker();
  RuleSetWorker(const RuleSetWorker&) = delete;
  RuleSetWorker& operator=(const RuleSetWorker&) = delete;

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

#endif  // LANTERN_SERVER_RULESET_WORKER_H_
