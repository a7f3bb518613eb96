// RuleSetWorker: a queue under a mutex and one thread that waits on it
// (absl::Condition), runs each task outside the lock, and exits once asked
// to stop and the queue is empty.
#include "server/ruleset_worker.h"

#include <utility>

namespace lantern {

RuleSetWorker::RuleSetWorker() : thread_([this] { Run(); }) {}

RuleSetWorker::~RuleSetWorker() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

void RuleSetWorker::Post(std::function<void()> task) {
  absl::MutexLock lock(&mu_);
  tasks_.push_back(std::move(task));
}

bool RuleSetWorker::Ready() const { return stopping_ || !tasks_.empty(); }

void RuleSetWorker::Run() {
  for (;;) {
    std::function<void()> task;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(this, &RuleSetWorker::Ready));
      if (tasks_.empty()) return;  // stopping, and nothing left to do
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

}  // namespace lantern
