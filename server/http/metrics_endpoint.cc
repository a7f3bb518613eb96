// MetricsEndpoint on cpp-httplib 0.11.
#include "server/http/metrics_endpoint.h"

#include <chrono>
#include <cstdlib>

#include "httplib.h"
#include "server/http/http_bind.h"

namespace lantern {

MetricsEndpoint::MetricsEndpoint(const ServeMetrics* metrics,
                                 const ServeStatus* status)
    : metrics_(metrics),
      status_(status),
      server_(std::make_unique<httplib::Server>()) {
  // Scrapes are rare and quick: two threads, not one per core.
  server_->new_task_queue = [] { return new httplib::ThreadPool(2); };
  server_->Get("/metrics", [this](const httplib::Request&,
                                  httplib::Response& response) {
    response.set_content(metrics_->Exposition(), ServeMetrics::kContentType);
  });
  if (status_ != nullptr) {
    server_->Get("/status",
                 [this](const httplib::Request&, httplib::Response& response) {
                   response.set_content(status_->Json(), "application/json");
                 });
  }
  server_->Get(
      "/", [this](const httplib::Request&, httplib::Response& response) {
        response.set_content(
            status_ != nullptr
                ? "lantern: Prometheus metrics at /metrics, status at /status\n"
                : "lantern: Prometheus metrics at /metrics\n",
            "text/plain");
      });
}

MetricsEndpoint::~MetricsEndpoint() { Stop(); }

absl::StatusOr<std::string> MetricsEndpoint::Bind(const std::string& address) {
  return BindHttp(*server_, address, "metrics");
}

void MetricsEndpoint::Start() {
  thread_ = std::thread([this] {
    server_->listen_after_bind();
    finished_ = true;
  });
  // httplib's stop() does nothing before the server runs: wait until it
  // does (or gave up), so that a Stop() right after Start() cannot hang.
  while (!server_->is_running() && !finished_) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

void MetricsEndpoint::Stop() {
  if (server_->is_running() || thread_.joinable()) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace lantern
