// MetricsEndpoint: Prometheus scrapes ServeMetrics over HTTP, served with
// Debian's cpp-httplib on its own small thread pool; operators read
// ServeStatus there too.
//
// GET /metrics answers ServeMetrics::Exposition() (text format 0.0.4);
// GET /status answers ServeStatus::Json() (application/json) when a status
// was given; GET / names the paths; anything else is 404. Plain HTTP: bind
// it to loopback (the default) or a management network, since the labels
// name the active ruleset and the counts reveal volumes.
//
// Thread-safety: Bind and Start from one thread, then Stop (also from the
// destructor) from any; requests are served on the endpoint's own threads.
#ifndef LANTERN_SERVER_HTTP_METRICS_ENDPOINT_H_
#define LANTERN_SERVER_HTTP_METRICS_ENDPOINT_H_

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "server/app/serve_metrics.h"
#include "server/app/serve_status.h"

namespace httplib {
class Server;
}  // namespace httplib

namespace lantern {

class MetricsEndpoint {
 public:
  // REQUIRES: `metrics` and `status` (null: no /status) outlive the
  // endpoint.
  explicit MetricsEndpoint(const ServeMetrics* metrics,
                           const ServeStatus* status = nullptr);
  ~MetricsEndpoint();

  // Binds `address` ("HOST:PORT", "[V6]:PORT"; port 0 picks a free one)
  // and returns "HOST:PORT" with the port actually bound; INVALID_ARGUMENT
  // for an address without a port, UNAVAILABLE when it cannot be bound.
  absl::StatusOr<std::string> Bind(const std::string& address);
  // Serves on a thread of its own; returns once it serves. REQUIRES: Bind
  // succeeded.
  void Start();
  // Stops serving and joins the thread; idempotent.
  void Stop();

 private:
  const ServeMetrics* metrics_;
  const ServeStatus* status_;
  std::unique_ptr<httplib::Server> server_;
  std::atomic<bool> finished_{false};  // listen_after_bind returned
  std::thread thread_;
};

}  // namespace lantern

#endif  // LANTERN_SERVER_HTTP_METRICS_ENDPOINT_H_
