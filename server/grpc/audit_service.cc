// AuditService: each unary handler answers inline (reads) or posts to the
// evaluation worker (Replay, WhatIf); Backtest's BacktestWriter is driven
// by the backtest worker, which blocks on each write's completion.
#include "server/grpc/audit_service.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "server/grpc/request_parsing.h"
#include "server/grpc/ruleset_proto.h"
#include "server/grpc/status_map.h"

namespace lantern {
namespace {

const grpc::Status& LedgerOff() {
  static const grpc::Status* status = new grpc::Status(
      ToGrpcStatus(absl::FailedPreconditionError("the ledger is off")));
  return *status;
}

// Finishes `reactor` with `result`'s status, moving its value into
// `response` when OK.
template <typename Response>
void FinishWith(grpc::ServerUnaryReactor* reactor,
                absl::StatusOr<Response> result, Response* response) {
  if (result.ok()) *response = *std::move(result);
  reactor->Finish(ToGrpcStatus(result.status()));
}

// Answers inline: `work` is a short read.
template <typename Response, typename Work>
grpc::ServerUnaryReactor* Inline(grpc::CallbackServerContext* context,
                                 Auditor* auditor, Response* response,
                                 Work work) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (auditor == nullptr) {
    reactor->Finish(LedgerOff());
  } else {
    FinishWith(reactor, work(), response);
  }
  return reactor;
}

// Answers on `worker`.
template <typename Response, typename Work>
grpc::ServerUnaryReactor* OnWorker(grpc::CallbackServerContext* context,
                                   Auditor* auditor, WorkerThread& worker,
                                   Response* response, Work work) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (auditor == nullptr) {
    reactor->Finish(LedgerOff());
    return reactor;
  }
  worker.Post([reactor, response, work = std::move(work)] {
    FinishWith(reactor, work(), response);
  });
  return reactor;
}

// A Backtest stream. Write and Finish are called from the backtest worker;
// gRPC calls the reactions. Deletes itself when gRPC is done with it.
class BacktestWriter : public grpc::ServerWriteReactor<v1::BacktestItem> {
 public:
  BacktestWriter(grpc::CallbackServerContext* context, absl::Duration idle)
      : context_(context), idle_(idle) {}

  // The call's request, parsed by the handler; read by the worker.
  v1::BacktestRequest request;

  // Writes `item` and waits for the write to complete; false when it
  // failed (the call is cancelled or broken) or the client took nothing
  // for the idle time (then the call is cancelled).
  bool Write(const v1::BacktestItem& item) {
    {
      absl::MutexLock lock(&mu_);
      if (cancelled_) return false;
      item_ = item;
      writing_ = true;
    }
    StartWrite(&item_);
    absl::MutexLock lock(&mu_);
    if (!mu_.AwaitWithTimeout(
            absl::Condition(
                +[](bool* writing) { return !*writing; }, &writing_),
            idle_)) {
      cancelled_ = true;
      context_->TryCancel();  // the write fails; gRPC ends the call
      return false;
    }
    return write_ok_;
  }

  bool cancelled() {
    absl::MutexLock lock(&mu_);
    return cancelled_;
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    write_ok_ = ok;
    writing_ = false;
  }
  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    cancelled_ = true;
  }
  void OnDone() override { delete this; }

 private:
  grpc::CallbackServerContext* const context_;
  const absl::Duration idle_;
  absl::Mutex mu_;
  v1::BacktestItem item_;  // the write in flight
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool write_ok_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
};

void RunBacktest(Auditor& auditor, BacktestWriter* writer) {
  const v1::BacktestRequest& request = writer->request;
  absl::StatusOr<std::shared_ptr<const RuleSetVersion>> candidate =
      auditor.BacktestCandidate(request);
  if (!candidate.ok()) {
    writer->Finish(ToGrpcStatus(candidate.status()));
    return;
  }
  absl::Status status = auditor.Backtest(
      **candidate, request,
      [writer](const v1::BacktestItem& item) { return writer->Write(item); },
      [writer] { return writer->cancelled(); });
  writer->Finish(ToGrpcStatus(status));
}

}  // namespace

AuditService::AuditService(ledger::Ledger* ledger,
                           const RuleSetRegistry* registry,
                           const FactTypes* types, int max_backtests,
                           absl::Duration stream_idle)
    : auditor_(ledger != nullptr
                   ? std::make_unique<Auditor>(ledger, registry, types)
                   : nullptr),
      max_backtests_(max_backtests),
      stream_idle_(stream_idle) {
  const std::string name = v1::Audit::service_full_name();
  ParseUnary(name, "GetDecision", &AuditService::GetDecision);
  ParseUnary(name, "ListDecisions", &AuditService::ListDecisions);
  ParseUnary(name, "Replay", &AuditService::Replay);
  ParseUnary(name, "WhatIf", &AuditService::WhatIf);
  ParseUnary(name, "GetTreeHead", &AuditService::GetTreeHead);
  ParseUnary(name, "GetInclusionProof", &AuditService::GetInclusionProof);
  ParseUnary(name, "GetConsistencyProof", &AuditService::GetConsistencyProof);
  MarkRawCallback(
      name, "Backtest",
      new grpc::internal::CallbackServerStreamingHandler<grpc::ByteBuffer,
                                                         v1::BacktestItem>(
          [this](grpc::CallbackServerContext* context,
                 const grpc::ByteBuffer* raw) {
            return Backtest(context, *raw);
          }));
}

grpc::ServerUnaryReactor* AuditService::GetDecision(
    grpc::CallbackServerContext* context, const v1::GetDecisionRequest* request,
    v1::GetDecisionResponse* response) {
  return Inline(context, auditor_.get(), response,
                [&] { return auditor_->GetDecision(*request); });
}

grpc::ServerUnaryReactor* AuditService::ListDecisions(
    grpc::CallbackServerContext* context,
    const v1::ListDecisionsRequest* request,
    v1::ListDecisionsResponse* response) {
  return Inline(context, auditor_.get(), response,
                [&] { return auditor_->ListDecisions(*request); });
}

grpc::ServerUnaryReactor* AuditService::Replay(
    grpc::CallbackServerContext* context, const v1::ReplayRequest* request,
    v1::ReplayResponse* response) {
  return OnWorker(context, auditor_.get(), evaluate_worker_, response,
                  [this, request] { return auditor_->Replay(*request); });
}

grpc::ServerUnaryReactor* AuditService::WhatIf(
    grpc::CallbackServerContext* context, const v1::WhatIfRequest* request,
    v1::WhatIfResponse* response) {
  return OnWorker(context, auditor_.get(), evaluate_worker_, response,
                  [this, request] { return auditor_->WhatIf(*request); });
}

grpc::ServerWriteReactor<v1::BacktestItem>* AuditService::Backtest(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer& raw) {
  auto* writer = new BacktestWriter(context, stream_idle_);
  if (absl::Status parsed = ParseRequest(raw, &writer->request); !parsed.ok()) {
    writer->Finish(ToGrpcStatus(parsed));
    return writer;
  }
  if (writer->request.has_files()) {
    const std::vector<std::string> bad =
        CandidatePathProblems(writer->request.files().files(), "files.files");
    if (!bad.empty()) {
      writer->Finish(ToGrpcStatus(absl::InvalidArgumentError(
          absl::StrCat("invalid request: ", absl::StrJoin(bad, "; ")))));
      return writer;
    }
  }
  if (auditor_ == nullptr) {
    writer->Finish(LedgerOff());
    return writer;
  }
  if (backtests_.fetch_add(1) >= max_backtests_) {
    backtests_.fetch_sub(1);
    writer->Finish(ToGrpcStatus(absl::ResourceExhaustedError(absl::StrCat(
        "too many backtests: ", max_backtests_,
        " are running or waiting their turn; try again when one has "
        "finished"))));
    return writer;
  }
  backtest_worker_.Post([this, writer] {
    RunBacktest(*auditor_, writer);
    backtests_.fetch_sub(1);
  });
  return writer;
}

grpc::ServerUnaryReactor* AuditService::GetTreeHead(
    grpc::CallbackServerContext* context, const v1::GetTreeHeadRequest*,
    v1::GetTreeHeadResponse* response) {
  return Inline(context, auditor_.get(), response,
                [&]() -> absl::StatusOr<v1::GetTreeHeadResponse> {
                  return auditor_->GetTreeHead();
                });
}

grpc::ServerUnaryReactor* AuditService::GetInclusionProof(
    grpc::CallbackServerContext* context,
    const v1::GetInclusionProofRequest* request,
    v1::GetInclusionProofResponse* response) {
  return Inline(context, auditor_.get(), response,
                [&] { return auditor_->GetInclusionProof(*request); });
}

grpc::ServerUnaryReactor* AuditService::GetConsistencyProof(
    grpc::CallbackServerContext* context,
    const v1::GetConsistencyProofRequest* request,
    v1::GetConsistencyProofResponse* response) {
  return Inline(context, auditor_.get(), response,
                [&] { return auditor_->GetConsistencyProof(*request); });
}

}  // namespace lantern
