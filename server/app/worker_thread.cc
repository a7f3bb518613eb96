// WorkerThread: a queue under a mutex and one thread that waits on it
// (absl::Condition), runs each task outside the lock, and exits once asked
// to stop and the queue is empty.
#include "server/app/worker_thread.h"

#include <utility>

namespace lantern {

WorkerThread::WorkerThread() : thread_([this] { Run(); }) {}

WorkerThread::~WorkerThread() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

void WorkerThread::Post(std::function<void()> task) {
  absl::MutexLock lock(&mu_);
  tasks_.push_back(std::move(task));
}

bool WorkerThread::Ready() const { return stopping_ || !tasks_.empty(); }

void WorkerThread::Run() {
  for (;;) {
    std::function<void()> task;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(this, &WorkerThread::Ready));
      if (tasks_.empty()) return;  // stopping, and nothing left to do
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

}  // namespace lantern
