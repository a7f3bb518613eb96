// The interceptor: notes the start, reads the status at PRE_SEND_STATUS.
#include "server/grpc/metrics_interceptor.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "google/protobuf/descriptor.h"

namespace lantern {
namespace {

using grpc::experimental::InterceptionHookPoints;

class MetricsInterceptor : public grpc::experimental::Interceptor {
 public:
  MetricsInterceptor(ServeMetrics* metrics, std::string method)
      : metrics_(metrics),
        method_(std::move(method)),
        start_(std::chrono::steady_clock::now()) {}

  ~MetricsInterceptor() override {
    if (!reported_) Report(absl::StatusCode::kCancelled);
  }

  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    if (!reported_ && methods->QueryInterceptionHookPoint(
                          InterceptionHookPoints::PRE_SEND_STATUS)) {
      Report(
          static_cast<absl::StatusCode>(methods->GetSendStatus().error_code()));
    }
    methods->Proceed();
  }

 private:
  void Report(absl::StatusCode code) {
    reported_ = true;
    metrics_->CountRpc(
        method_, code,
        absl::FromChrono(std::chrono::steady_clock::now() - start_));
  }

  ServeMetrics* metrics_;
  const std::string method_;
  const std::chrono::steady_clock::time_point start_;
  bool reported_ = false;
};

}  // namespace

std::string MetricsMethodLabel(absl::string_view method) {
  // gRPC's health service is not in protobuf's generated pool.
  if (method == "/grpc.health.v1.Health/Check" ||
      method == "/grpc.health.v1.Health/Watch") {
    return std::string(method);
  }
  absl::string_view name = method;
  const size_t slash = name.rfind('/');
  if (!absl::ConsumePrefix(&name, "/") || slash == absl::string_view::npos ||
      slash == 0) {
    return "unknown";
  }
  const std::string full =
      absl::StrCat(method.substr(1, slash - 1), ".", method.substr(slash + 1));
  if (google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(
          full) == nullptr) {
    return "unknown";
  }
  return std::string(method);
}

grpc::experimental::Interceptor*
MetricsInterceptorFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  return new MetricsInterceptor(
      metrics_,
      MetricsMethodLabel(info->method() != nullptr ? info->method() : ""));
}

}  // namespace lantern
