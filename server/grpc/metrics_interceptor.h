// MetricsInterceptorFactory: a gRPC server interceptor that reports every
// call's duration and status code to ServeMetrics (server/app/serve_metrics.h).
//
// The duration runs from the interceptor's creation (the call's start) to
// the status being sent; a call that ends without sending one (the client
// went away first) counts as CANCELLED when gRPC destroys it. Method names
// are those Lantern's, reflection's and health's services define; any
// other name a client sends is counted as "unknown", so a client cannot
// grow the metrics without bound.
//
// Thread-safety: gRPC creates one interceptor per call on any thread; the
// factory holds only the metrics pointer.
#ifndef LANTERN_SERVER_GRPC_METRICS_INTERCEPTOR_H_
#define LANTERN_SERVER_GRPC_METRICS_INTERCEPTOR_H_

#include <string>

#include "absl/strings/string_view.h"
#include "grpcpp/support/server_interceptor.h"
#include "server/app/serve_metrics.h"

namespace lantern {

class MetricsInterceptorFactory
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  // REQUIRES: `metrics` outlives the server.
  explicit MetricsInterceptorFactory(ServeMetrics* metrics)
      : metrics_(metrics) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  ServeMetrics* metrics_;
};

// `method` ("/package.Service/Method") if a service the server offers
// defines it, else "unknown".
std::string MetricsMethodLabel(absl::string_view method);

}  // namespace lantern

#endif  // LANTERN_SERVER_GRPC_METRICS_INTERCEPTOR_H_
