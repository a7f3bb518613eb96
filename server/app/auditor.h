// Auditor: the work of every lantern.v1.Audit RPC, with no gRPC in it, so
// it is tested without a server (audit_service.h is the edge).
//
// Replay, WhatIf and Backtest evaluate through EvaluateFacts
// (request_assessor.h), the code path of Assess itself, with the recorded
// facts and as_of, stamped with the recorded decision id and time received
// (Reevaluate, decision_codec.h): an unchanged engine and ruleset give the
// recorded bytes again. The recorded ruleset comes from the registry by
// digest, else from the ledger's copy of its files (audit_rulesets.h).
//
// A record keeps the answer exactly as sent and the view it was sent in
// (format 3, decision_codec.h; older records keep the FULL answer):
// GetDecision and ListDecisions give each record with `assessment` the
// answer as sent. Replay of such a record works the FULL answer out
// again, cuts it to the recorded view and compares the bytes with the
// answer sent: IDENTICAL gives the FULL answer worked out as `recorded`;
// DIFFERENT gives the answer sent as `recorded` and the replayed answer
// cut to the same view as `replayed`, with their differences. Replay of an
// older record compares the replayed FULL answer with the recorded FULL
// answer, as before. WhatIf and Backtest compare with the recorded FULL
// answer (worked out again under the recorded ruleset for format 3).
//
// Errors (absl codes; status_map.h carries them to gRPC): INVALID_ARGUMENT
// for a malformed request or a candidate that does not load (with its
// diagnostics), NOT_FOUND for an unknown decision or ruleset, CANCELLED
// for a Backtest whose consumer stopped, and the ledger's own errors.
//
// Thread-safety: every method may be called concurrently; the ledger,
// registry and ruleset cache are thread-safe.
#ifndef LANTERN_SERVER_APP_AUDITOR_H_
#define LANTERN_SERVER_APP_AUDITOR_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <tuple>

#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "engine/facts/fact_types.h"
#include "lantern/v1/audit.pb.h"
#include "server/app/audit_rulesets.h"
#include "server/app/decision_codec.h"
#include "server/app/decision_diff.h"
#include "server/app/episode_index.h"
#include "server/app/ruleset_registry.h"
#include "server/ledger/ledger.h"

namespace lantern {

class Auditor {
 public:
  // REQUIRES: all three outlive the auditor; `ledger` is not null.
  Auditor(ledger::Ledger* ledger, const RuleSetRegistry* registry,
          const FactTypes* types)
      : ledger_(ledger),
        rulesets_(registry, ledger, types),
        codec_([this](const std::string& digest) {
          return rulesets_.Find(digest);
        }) {}

  absl::StatusOr<v1::GetDecisionResponse> GetDecision(
      const v1::GetDecisionRequest& request);
  // A ListDecisions page stops before its records pass this many bytes
  // (at least one record a page), under gRPC clients' default 4 MB receive
  // limit and bounding the server's memory per call.
  static constexpr int64_t kListDecisionsMaxBytes = 3 << 20;

  absl::StatusOr<v1::ListDecisionsResponse> ListDecisions(
      const v1::ListDecisionsRequest& request);
  absl::StatusOr<v1::ReplayResponse> Replay(const v1::ReplayRequest& request);
  // The access log, a page at a time.
  absl::StatusOr<v1::ListAccessResponse> ListAccess(
      const v1::ListAccessRequest& request);
  absl::StatusOr<v1::WhatIfResponse> WhatIf(const v1::WhatIfRequest& request);
  // The recorded decisions `index` links to the request's place, person or
  // decision (its group, as the index derives it at `now`), a page at a
  // time (the page token is the last decision's leaf index).
  // FAILED_PRECONDITION when `index` is null (the index is off).
  absl::StatusOr<v1::ListLinkedDecisionsResponse> ListLinkedDecisions(
      const v1::ListLinkedDecisionsRequest& request, const EpisodeIndex* index,
      absl::Time now);
  // Every activation record, rejected ones included, a page at a time
  // (the page token is the last record's leaf index).
  absl::StatusOr<v1::ListActivationsResponse> ListActivations(
      const v1::ListActivationsRequest& request);

  // The request's candidate, loaded and compiled (files), or found (by
  // version or digest). Done before streaming, so a bad candidate is the
  // call's status.
  absl::StatusOr<std::shared_ptr<const RuleSetVersion>> BacktestCandidate(
      const v1::BacktestRequest& request);
  // Re-evaluates every decision in the request's range under `candidate`
  // page by page, calling `emit` with a BacktestChange for each decision
  // whose grade, concern levels, NRM prompt or actions change, as it is
  // found, and finally with the summary. The decisions are those committed
  // in the range when it starts (counted first; later ones are skipped).
  // With the request's report_progress, `emit` also gets a
  // BacktestProgress first (done 0) and then after any decision when
  // kBacktestProgressInterval has passed on the clock since the last one.
  // `emit` returning false, or `cancelled` (asked before each decision)
  // returning true, stops it (CANCELLED).
  absl::Status Backtest(
      const RuleSetVersion& candidate, const v1::BacktestRequest& request,
      const std::function<bool(const v1::BacktestItem&)>& emit,
      const std::function<bool()>& cancelled);

  static constexpr absl::Duration kBacktestProgressInterval = absl::Seconds(1);
  // The clock progress items are timed by (default absl::Now).
  // REQUIRES: not called while a Backtest runs.
  void set_clock(std::function<absl::Time()> clock) {
    clock_ = std::move(clock);
  }
  // Re-evaluates every decision received in [from, to) under `before` and
  // under `after` (each as Backtest re-evaluates under its candidate: the
  // recorded facts, derived facts, as_of and stamp), oldest first, calling
  // `visit` with the decision id and how `after`'s answer differs from
  // `before`'s (SummarizeChanges), or the error either gave. For `lantern
  // diff --ledger`. The ledger's error when it cannot be read.
  using VersionsVisit =
      std::function<void(const std::string& decision_id,
                         const absl::StatusOr<v1::ChangeSummary>& changes)>;
  absl::Status CompareVersions(const RuleSetVersion& before,
                               const RuleSetVersion& after, absl::Time from,
                               absl::Time to, const VersionsVisit& visit);

  v1::GetTreeHeadResponse GetTreeHead() const;
  absl::StatusOr<v1::GetInclusionProofResponse> GetInclusionProof(
      const v1::GetInclusionProofRequest& request);
  absl::StatusOr<v1::GetConsistencyProofResponse> GetConsistencyProof(
      const v1::GetConsistencyProofRequest& request) const;

 private:
  // The stored decision; INVALID_ARGUMENT for an empty id, NOT_FOUND.
  absl::StatusOr<ledger::StoredDecision> Lookup(const std::string& decision_id);
  // One decision of a Backtest: counted in `totals` and `outputs`, emitted
  // when it changes. False when `emit` refused.
  bool ReplayOne(const RuleSetVersion& candidate,
                 const ledger::StoredDecision& d,
                 const std::function<bool(const v1::BacktestItem&)>& emit,
                 v1::BacktestSummary* totals, OutputTally* outputs);

  ledger::Ledger* ledger_;
  std::function<absl::Time()> clock_ = [] { return absl::Now(); };
  AuditRuleSets rulesets_;
  DecisionCodec codec_;
};

}  // namespace lantern

#endif  // LANTERN_SERVER_APP_AUDITOR_H_
