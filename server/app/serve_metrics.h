// ServeMetrics: what `lantern serve` counts, as Prometheus text exposition
// (format 0.0.4). No HTTP and no gRPC here: the parts report into it
// (decision recorder, ledger commits, ruleset activations, the gRPC edge's
// interceptor) and server/http/metrics_endpoint.h serves Exposition().
//
// Series (every counter starts at 0, so a rate is defined from the first
// scrape; grades, concerns and levels are those of assessment.proto):
//   lantern_decisions_total{grade}            answers recorded and given
//   lantern_decision_concerns_total{concern,level}
//                                             their concern levels
//   lantern_rpc_duration_seconds{method}      histogram, receipt to status
//                                             (a stream: its whole life)
//   lantern_rpc_handled_total{method,code}    calls ended, by gRPC status
//   lantern_ledger_commit_duration_seconds    histogram, one transaction
//   lantern_ledger_commit_batch_size          histogram, records per commit
//   lantern_ledger_commit_failures_total      transactions that failed
//   lantern_ruleset_activations_total{trigger,outcome}
//   lantern_ruleset_active_info{ruleset_id,version,digest}  1 for the active
//   lantern_build_info{engine_version}        1
// A retry answered from the ledger (same client_request_id) is not a new
// decision and is not counted again.
//
// Thread-safety: every method may be called from any thread (one mutex,
// held for a few map updates).
#ifndef LANTERN_SERVER_APP_SERVE_METRICS_H_
#define LANTERN_SERVER_APP_SERVE_METRICS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "lantern/v1/assessment.pb.h"

namespace lantern {

// The labels of lantern_ruleset_active_info.
struct ActiveRuleSetLabels {
  std::string id;
  std::string version;
  std::string digest;
};

class ServeMetrics {
 public:
  // `active` is asked at every scrape for the active ruleset (nullopt:
  // none); it may be null.
  explicit ServeMetrics(
      std::function<std::optional<ActiveRuleSetLabels>()> active = nullptr);

  // One decision given (its grade and every concern's level).
  void CountDecision(const v1::Assessment& answer);
  // One call ended with `code` after `elapsed`. `method` is the full gRPC
  // method name ("/lantern.v1.RiskAssessment/Assess"); the caller bounds
  // the set of names (the edge maps names no service defines to
  // "unknown").
  void CountRpc(absl::string_view method, absl::StatusCode code,
                absl::Duration elapsed);
  // One ledger transaction of `records` records, committed or failed.
  void CountLedgerCommit(absl::Duration elapsed, int records, bool committed);
  // One activation attempt. `trigger`: startup, sighup, rpc; `outcome`:
  // activated, rejected (the candidate failed its checks or tests),
  // failed (could not be read, or not recorded).
  void CountActivation(absl::string_view trigger, absl::string_view outcome);

  // Every series as Prometheus text exposition, families in a fixed order.
  std::string Exposition() const;

  // The Content-Type of Exposition().
  static constexpr char kContentType[] = "text/plain; version=0.0.4";

 private:
  using Labels = std::vector<std::string>;  // values, in the family's order

  struct Histogram {
    std::vector<uint64_t> buckets;  // cumulative at exposition, not here
    double sum = 0;
    uint64_t count = 0;
  };

  static void Observe(const std::vector<double>& bounds, double value,
                      Histogram& histogram);

  const std::function<std::optional<ActiveRuleSetLabels>()> active_;
  mutable absl::Mutex mu_;
  std::map<Labels, uint64_t> decisions_ ABSL_GUARDED_BY(mu_);
  std::map<Labels, uint64_t> concerns_ ABSL_GUARDED_BY(mu_);
  std::map<Labels, Histogram> rpc_duration_ ABSL_GUARDED_BY(mu_);
  std::map<Labels, uint64_t> rpc_handled_ ABSL_GUARDED_BY(mu_);
  Histogram commit_duration_ ABSL_GUARDED_BY(mu_);
  Histogram commit_batch_ ABSL_GUARDED_BY(mu_);
  uint64_t commit_failures_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<Labels, uint64_t> activations_ ABSL_GUARDED_BY(mu_);
};

}  // namespace lantern

#endif  // LANTERN_SERVER_APP_SERVE_METRICS_H_
