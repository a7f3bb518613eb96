// MetricsEndpoint on cpp-httplib 0.11 (the one TU that includes it).
#include "server/http/metrics_endpoint.h"

#include <chrono>
#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "httplib.h"

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
  const size_t colon = address.rfind(':');
  int port = -1;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(address.substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        "metrics address '", address, "' is not HOST:PORT (port 0-65535)"));
  }
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("metrics address '", address, "' has no host"));
  }
  int bound = port;
  if (port == 0) {
    bound = server_->bind_to_any_port(host);
  } else if (!server_->bind_to_port(host, port)) {
    bound = -1;
  }
  if (bound <= 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen for metrics on '", address, "'"));
  }
  return absl::StrCat(address.substr(0, colon), ":", bound);
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
