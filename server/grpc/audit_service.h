// AuditService: the lantern.v1.Audit gRPC service on the callback API, a
// thin edge over Auditor (auditor.h).
//
// Reads — GetDecision, ListDecisions (at most 1000 records a page), the
// tree head and the proofs — are short indexed SQLite reads and answer
// inline. Replay and WhatIf evaluate (and may first load a ruleset from the
// ledger), so they run on the service's own worker thread and finish their
// reactor from there. Backtest runs on a second worker of its own, one
// backtest at a time (later ones wait in order; at most `max_backtests`
// running or waiting, beyond that RESOURCE_EXHAUSTED; its candidate's file
// paths are checked as Validate's are), streaming each change as
// it is found: the worker waits for each write to complete before the
// next, so the stream never buffers the range, and it stops at the next
// decision once the call is cancelled (or the server stops).
//
// Requests are parsed by ParsedRequests (INVALID_ARGUMENT when they do not
// parse or carry unknown fields). With the ledger off (null) every RPC answers
// FAILED_PRECONDITION "the ledger is off".
//
// Reads of recorded decisions (GetDecision, ListDecisions, Replay, WhatIf,
// GetInclusionProof, ListLinkedDecisions; and Backtest, whose one access
// record is durable before its first item) need a purpose
// (AccessControl::CheckPurpose), answer by the caller's role — a data_officer
// everything, an auditor without personal data (RemovePersonalData), an
// assessor (GetDecision only) only the decisions it made, PERMISSION_DENIED for
// another's — and are sent only once their access record is durable
// (UNAVAILABLE otherwise). ListAccess pages through the access log;
// ListActivations through every activation record, rejected ones included.
// GetShadowReport reads the shadow run (shadow_run.h); it holds decision
// ids and output names only, so it needs no purpose and is not logged.
//
// Thread-safety: handlers run on many threads; shared state is in the
// ledger, registry and Auditor, all thread-safe. The destructor runs the
// work already posted and joins both workers: destroy the service only
// after the server has shut down.
#ifndef LANTERN_SERVER_GRPC_AUDIT_SERVICE_H_
#define LANTERN_SERVER_GRPC_AUDIT_SERVICE_H_

#include <atomic>
#include <memory>

#include "engine/facts/fact_types.h"
#include "lantern/v1/audit.grpc.pb.h"
#include "server/app/auditor.h"
#include "server/app/episode_index.h"
#include "server/app/ruleset_registry.h"
#include "server/app/shadow_run.h"
#include "server/app/worker_thread.h"
#include "server/grpc/parsed_requests.h"
#include "server/ledger/ledger.h"

namespace lantern {

class AuditService final : public ParsedRequests<v1::Audit::CallbackService> {
 public:
  // REQUIRES: `registry`, `types` and (when not null) `ledger` outlive the
  // service. The registry is the serving one: versions it holds are used
  // as they are; others are loaded from the ledger.
  // At most `max_backtests` Backtests run or wait at once; more are
  // refused with RESOURCE_EXHAUSTED. A Backtest whose client takes no
  // item for `stream_idle` (it is not reading) is cancelled, so it cannot
  // hold the backtest worker.
  AuditService(ledger::Ledger* ledger, const RuleSetRegistry* registry,
               const FactTypes* types, int max_backtests = kMaxBacktests,
               absl::Duration stream_idle = absl::InfiniteDuration());

  grpc::ServerUnaryReactor* GetDecision(
      grpc::CallbackServerContext* context,
      const v1::GetDecisionRequest* request,
      v1::GetDecisionResponse* response) override;
  grpc::ServerUnaryReactor* ListDecisions(
      grpc::CallbackServerContext* context,
      const v1::ListDecisionsRequest* request,
      v1::ListDecisionsResponse* response) override;
  grpc::ServerUnaryReactor* Replay(grpc::CallbackServerContext* context,
                                   const v1::ReplayRequest* request,
                                   v1::ReplayResponse* response) override;
  grpc::ServerUnaryReactor* WhatIf(grpc::CallbackServerContext* context,
                                   const v1::WhatIfRequest* request,
                                   v1::WhatIfResponse* response) override;
  grpc::ServerUnaryReactor* GetTreeHead(
      grpc::CallbackServerContext* context,
      const v1::GetTreeHeadRequest* request,
      v1::GetTreeHeadResponse* response) override;
  grpc::ServerUnaryReactor* GetInclusionProof(
      grpc::CallbackServerContext* context,
      const v1::GetInclusionProofRequest* request,
      v1::GetInclusionProofResponse* response) override;
  grpc::ServerUnaryReactor* GetConsistencyProof(
      grpc::CallbackServerContext* context,
      const v1::GetConsistencyProofRequest* request,
      v1::GetConsistencyProofResponse* response) override;
  grpc::ServerUnaryReactor* ListAccess(
      grpc::CallbackServerContext* context,
      const v1::ListAccessRequest* request,
      v1::ListAccessResponse* response) override;
  grpc::ServerUnaryReactor* ListLinkedDecisions(
      grpc::CallbackServerContext* context,
      const v1::ListLinkedDecisionsRequest* request,
      v1::ListLinkedDecisionsResponse* response) override;
  grpc::ServerUnaryReactor* ListActivations(
      grpc::CallbackServerContext* context,
      const v1::ListActivationsRequest* request,
      v1::ListActivationsResponse* response) override;
  // The shadow run's report (answered inline; with or without a ledger).
  grpc::ServerUnaryReactor* GetShadowReport(
      grpc::CallbackServerContext* context,
      const v1::GetShadowReportRequest* request,
      v1::ShadowReport* response) override;

  static constexpr int kMaxBacktests = 4;

  // The episode index ListLinkedDecisions reads; null (the default): it
  // answers FAILED_PRECONDITION. REQUIRES: outlives the service; set
  // before the server starts.
  void set_episode_index(const EpisodeIndex* index) { episode_index_ = index; }
  // The auditor every handler calls (null when the ledger is off), for
  // another edge to share (the web console); thread-safe.
  Auditor* auditor() const { return auditor_.get(); }
  // The shadow run GetShadowReport reports; null (the default): it answers
  // FAILED_PRECONDITION. REQUIRES: outlives the service; set before the
  // server starts.
  void set_shadow(const ShadowRun* shadow) { shadow_ = shadow; }

 private:
  // A read of recorded decisions by `method` (purpose checked, answer
  // fitted to the caller's role, access logged before it is sent): `work`
  // runs inline, or on `worker` when not null.
  template <typename Response, typename Work>
  grpc::ServerUnaryReactor* ReadDecisions(grpc::CallbackServerContext* context,
                                          const char* method,
                                          std::string subject,
                                          const std::string& purpose,
                                          Response* response,
                                          WorkerThread* worker, Work work);

  // Backtest takes its request as bytes (ParsedRequests).
  grpc::ServerWriteReactor<v1::BacktestItem>* Backtest(
      grpc::CallbackServerContext* context, const grpc::ByteBuffer& raw);

  // Null when the ledger is off.
  const std::unique_ptr<Auditor> auditor_;
  const int max_backtests_;
  const absl::Duration stream_idle_;
  const EpisodeIndex* episode_index_ = nullptr;
  const ShadowRun* shadow_ = nullptr;
  // Backtests posted and not yet finished.
  std::atomic<int> backtests_{0};
  // Declared last: destroyed (joined) first, while the auditor lives.
  WorkerThread evaluate_worker_;
  WorkerThread backtest_worker_;
};

}  // namespace lantern

#endif  // LANTERN_SERVER_GRPC_AUDIT_SERVICE_H_
