// StreamIdleWatch: ends streams that wait on their client too long.
//
// A streaming call waiting on its client — for the next request, or for the
// client to take a response (HTTP/2 flow control) — calls Wait() before it
// starts that read or write and Done() when it completes. If the wait
// outlasts `idle`, the watch calls the stream's OnIdle() once, on the
// watch's own thread; the stream then ends itself (Finish with a status
// saying why, or TryCancel when the client is not reading and so would
// never see one). Time the server spends on its own work between two waits
// is not counted.
//
// Lifetime: Done() does not return while OnIdle() of that stream is
// running, and after it returns OnIdle() is not called for that wait, so a
// stream that calls Done() in every completion (and before it is
// destroyed) is never called after it is gone.
//
// Thread-safety: Wait and Done may be called from any thread. OnIdle must
// not call Wait or Done of the stream it is called for.
#ifndef LANTERN_SERVER_GRPC_STREAM_IDLE_WATCH_H_
#define LANTERN_SERVER_GRPC_STREAM_IDLE_WATCH_H_

#include <map>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace lantern {

class StreamIdleWatch {
 public:
  class Stream {
   public:
    // The stream has waited `idle` on its client.
    virtual void OnIdle() = 0;

   protected:
    ~Stream() = default;
  };

  // REQUIRES: idle > 0.
  explicit StreamIdleWatch(absl::Duration idle);
  // Stops the watch's thread; streams still waiting are not called.
  ~StreamIdleWatch();
  StreamIdleWatch(const StreamIdleWatch&) = delete;
  StreamIdleWatch& operator=(const StreamIdleWatch&) = delete;

  absl::Duration idle() const { return idle_; }

  // `stream` waits on its client from now. REQUIRES: it is not waiting.
  void Wait(Stream* stream);
  // `stream` no longer waits (a no-op if it was not, or OnIdle was called).
  void Done(Stream* stream);

 private:
  void Run();

  const absl::Duration idle_;
  absl::Mutex mu_;
  // Deadline → stream, and each stream's deadline (for Done).
  std::multimap<absl::Time, Stream*> by_deadline_ ABSL_GUARDED_BY(mu_);
  std::map<Stream*, absl::Time> deadlines_ ABSL_GUARDED_BY(mu_);
  Stream* firing_ ABSL_GUARDED_BY(mu_) = nullptr;  // in OnIdle now
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace lantern

#endif  // LANTERN_SERVER_GRPC_STREAM_IDLE_WATCH_H_
