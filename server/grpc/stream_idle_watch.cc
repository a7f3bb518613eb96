// StreamIdleWatch: one thread sleeps until the earliest deadline (or a
// change), takes each expired stream out of the maps and calls its OnIdle
// without the lock, marking it as firing so that Done() waits it out.
#include "server/grpc/stream_idle_watch.h"

namespace lantern {

StreamIdleWatch::StreamIdleWatch(absl::Duration idle)
    : idle_(idle), thread_([this] { Run(); }) {}

StreamIdleWatch::~StreamIdleWatch() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  thread_.join();
}

void StreamIdleWatch::Wait(Stream* stream) {
  absl::MutexLock lock(&mu_);
  const absl::Time deadline = absl::Now() + idle_;
  deadlines_[stream] = deadline;
  by_deadline_.emplace(deadline, stream);
}

void StreamIdleWatch::Done(Stream* stream) {
  absl::MutexLock lock(&mu_);
  const auto not_firing = [this, stream]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return firing_ != stream;
  };
  mu_.Await(absl::Condition(&not_firing));
  auto it = deadlines_.find(stream);
  if (it == deadlines_.end()) return;
  auto [first, last] = by_deadline_.equal_range(it->second);
  for (auto d = first; d != last; ++d) {
    if (d->second == stream) {
      by_deadline_.erase(d);
      break;
    }
  }
  deadlines_.erase(it);
}

void StreamIdleWatch::Run() {
  absl::MutexLock lock(&mu_);
  while (!stop_) {
    const absl::Time next = by_deadline_.empty()
                                ? absl::Now() + absl::Seconds(1)
                                : by_deadline_.begin()->first;
    // Woken by stop_ or at the deadline; a new, later deadline can wait
    // for this one (every deadline is now + idle, so none is earlier).
    mu_.AwaitWithDeadline(absl::Condition(&stop_), next);
    const absl::Time now = absl::Now();
    while (!stop_ && !by_deadline_.empty() &&
           by_deadline_.begin()->first <= now) {
      Stream* stream = by_deadline_.begin()->second;
      by_deadline_.erase(by_deadline_.begin());
      deadlines_.erase(stream);
      firing_ = stream;
      mu_.Unlock();
      stream->OnIdle();
      mu_.Lock();
      firing_ = nullptr;
    }
  }
}

}  // namespace lantern
