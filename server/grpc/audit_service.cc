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
#include "google/protobuf/util/time_util.h"
#include "server/app/echo_value.h"
#include "server/app/personal_data.h"
#include "server/grpc/disclosure.h"
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

// Finishes `reactor` with the disclosed answer (disclosure.h).
template <typename Response>
void Disclose(AccessControl* access, const Caller& caller, const char* method,
              const std::string& subject, const std::string& purpose,
              absl::StatusOr<Response> result, Response* response,
              grpc::ServerUnaryReactor* reactor) {
  Disclose<Response>(access, caller, method, subject, purpose,
                     std::move(result),
                     [reactor, response](absl::StatusOr<Response> disclosed) {
                       FinishWith(reactor, std::move(disclosed), response);
                     });
}

std::string TimeText(bool has, const google::protobuf::Timestamp& t) {
  return has ? google::protobuf::util::TimeUtil::ToString(t) : "";
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
  ParseUnary(name, "ListAccess", &AuditService::ListAccess);
  ParseUnary(name, "ListActivations", &AuditService::ListActivations);
  ParseUnary(name, "ListLinkedDecisions", &AuditService::ListLinkedDecisions);
  ParseUnary(name, "GetShadowReport", &AuditService::GetShadowReport);
  MarkRawCallback(
      name, "Backtest",
      new grpc::internal::CallbackServerStreamingHandler<grpc::ByteBuffer,
                                                         v1::BacktestItem>(
          [this](grpc::CallbackServerContext* context,
                 const grpc::ByteBuffer* raw) {
            return Backtest(context, *raw);
          }));
}

template <typename Response, typename Work>
grpc::ServerUnaryReactor* AuditService::ReadDecisions(
    grpc::CallbackServerContext* context, const char* method,
    std::string subject, const std::string& purpose, Response* response,
    WorkerThread* worker, Work work) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (auditor_ == nullptr) {
    reactor->Finish(LedgerOff());
    return reactor;
  }
  const Caller caller = CallerOf(*context);
  if (absl::Status s = CheckPurposeLogged(access_control(), caller, method,
                                          subject, purpose);
      !s.ok()) {
    reactor->Finish(ToGrpcStatus(s));
    return reactor;
  }
  auto run = [access = access_control(), caller, method,
              subject = std::move(subject), purpose, response, reactor,
              work = std::move(work)] {
    Disclose(access, caller, method, subject, purpose, work(), response,
             reactor);
  };
  if (worker == nullptr) {
    run();
  } else {
    worker->Post(std::move(run));
  }
  return reactor;
}

grpc::ServerUnaryReactor* AuditService::GetDecision(
    grpc::CallbackServerContext* context, const v1::GetDecisionRequest* request,
    v1::GetDecisionResponse* response) {
  return ReadDecisions(context, "/lantern.v1.Audit/GetDecision",
                       "decision_id=" + EchoValue(request->decision_id()),
                       request->purpose(), response, nullptr, [this, request] {
                         return auditor_->GetDecision(*request);
                       });
}

grpc::ServerUnaryReactor* AuditService::ListDecisions(
    grpc::CallbackServerContext* context,
    const v1::ListDecisionsRequest* request,
    v1::ListDecisionsResponse* response) {
  return ReadDecisions(
      context, "/lantern.v1.Audit/ListDecisions",
      absl::StrCat("from=", TimeText(request->has_from(), request->from()),
                   " to=", TimeText(request->has_to(), request->to()),
                   " page_size=", request->page_size(),
                   " page_token=", EchoValue(request->page_token())),
      request->purpose(), response, nullptr,
      [this, request] { return auditor_->ListDecisions(*request); });
}

grpc::ServerUnaryReactor* AuditService::Replay(
    grpc::CallbackServerContext* context, const v1::ReplayRequest* request,
    v1::ReplayResponse* response) {
  return ReadDecisions(context, "/lantern.v1.Audit/Replay",
                       "decision_id=" + EchoValue(request->decision_id()),
                       request->purpose(), response, &evaluate_worker_,
                       [this, request] { return auditor_->Replay(*request); });
}

grpc::ServerUnaryReactor* AuditService::WhatIf(
    grpc::CallbackServerContext* context, const v1::WhatIfRequest* request,
    v1::WhatIfResponse* response) {
  return ReadDecisions(
      context, "/lantern.v1.Audit/WhatIf",
      absl::StrCat("decision_id=", EchoValue(request->decision_id()),
                   " ruleset_version=", EchoValue(request->ruleset_version())),
      request->purpose(), response, &evaluate_worker_,
      [this, request] { return auditor_->WhatIf(*request); });
}

grpc::ServerWriteReactor<v1::BacktestItem>* AuditService::Backtest(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer& raw) {
  static constexpr char kMethod[] = "/lantern.v1.Audit/Backtest";
  auto* writer = new BacktestWriter(context, stream_idle_);
  absl::StatusOr<Caller> caller = Admit(*context, kMethod);
  if (!caller.ok()) {
    writer->Finish(ToGrpcStatus(caller.status()));
    return writer;
  }
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
  const v1::BacktestRequest& request = writer->request;
  const std::string subject = absl::StrCat(
      request.has_files()
          ? absl::StrCat("candidate files=", request.files().files_size())
          : "candidate ruleset_version=" + EchoValue(request.ruleset_version()),
      " from=", TimeText(request.has_from(), request.from()),
      " to=", TimeText(request.has_to(), request.to()));
  if (absl::Status s = CheckPurposeLogged(access_control(), *caller, kMethod,
                                          subject, request.purpose());
      !s.ok()) {
    writer->Finish(ToGrpcStatus(s));
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
  auto start = [this, writer] {
    backtest_worker_.Post([this, writer] {
      RunBacktest(*auditor_, writer);
      backtests_.fetch_sub(1);
    });
  };
  if (access_control() == nullptr) {
    start();
    return writer;
  }
  // Logged before the first item is sent, as the unary reads are.
  v1::AccessRecord record = access_control()->NewRecord(*caller, kMethod);
  record.set_subject(subject);
  record.set_purpose(request.purpose());
  access_control()->Record(std::move(record), absl::OkStatus(),
                           [this, writer, start](absl::Status recorded) {
                             if (!recorded.ok()) {
                               writer->Finish(ToGrpcStatus(recorded));
                               backtests_.fetch_sub(1);
                               return;
                             }
                             start();
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
  const std::string leaf =
      request->leaf_case() == v1::GetInclusionProofRequest::kDecisionId
          ? "decision_id=" + EchoValue(request->decision_id())
          : absl::StrCat("leaf_index=", request->leaf_index());
  return ReadDecisions(context, "/lantern.v1.Audit/GetInclusionProof",
                       absl::StrCat(leaf, " tree_size=", request->tree_size()),
                       request->purpose(), response, nullptr, [this, request] {
                         return auditor_->GetInclusionProof(*request);
                       });
}

grpc::ServerUnaryReactor* AuditService::ListAccess(
    grpc::CallbackServerContext* context, const v1::ListAccessRequest* request,
    v1::ListAccessResponse* response) {
  return Inline(context, auditor_.get(), response,
                [&] { return auditor_->ListAccess(*request); });
}

grpc::ServerUnaryReactor* AuditService::ListLinkedDecisions(
    grpc::CallbackServerContext* context,
    const v1::ListLinkedDecisionsRequest* request,
    v1::ListLinkedDecisionsResponse* response) {
  std::string link;
  switch (request->link_case()) {
    case v1::ListLinkedDecisionsRequest::kPlaceReference:
      link = "place_reference=" + EchoValue(request->place_reference());
      break;
    case v1::ListLinkedDecisionsRequest::kAssociateReference:
      link = "associate_reference=" + EchoValue(request->associate_reference());
      break;
    case v1::ListLinkedDecisionsRequest::kDecisionId:
      link = "decision_id=" + EchoValue(request->decision_id());
      break;
    case v1::ListLinkedDecisionsRequest::LINK_NOT_SET:
      break;
  }
  return ReadDecisions(
      context, "/lantern.v1.Audit/ListLinkedDecisions",
      absl::StrCat(link, " page_size=", request->page_size(),
                   " page_token=", EchoValue(request->page_token())),
      request->purpose(), response, nullptr, [this, request] {
        return auditor_->ListLinkedDecisions(*request, episode_index_,
                                             absl::Now());
      });
}

grpc::ServerUnaryReactor* AuditService::ListActivations(
    grpc::CallbackServerContext* context,
    const v1::ListActivationsRequest* request,
    v1::ListActivationsResponse* response) {
  return Inline(context, auditor_.get(), response,
                [&] { return auditor_->ListActivations(*request); });
}

grpc::ServerUnaryReactor* AuditService::GetConsistencyProof(
    grpc::CallbackServerContext* context,
    const v1::GetConsistencyProofRequest* request,
    v1::GetConsistencyProofResponse* response) {
  return Inline(context, auditor_.get(), response,
                [&] { return auditor_->GetConsistencyProof(*request); });
}

grpc::ServerUnaryReactor* AuditService::GetShadowReport(
    grpc::CallbackServerContext* context,
    const v1::GetShadowReportRequest* request, v1::ShadowReport* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (request->max_examples() < 0 ||
      request->max_examples() > ShadowRun::kMaxExamples) {
    reactor->Finish(ToGrpcStatus(absl::InvalidArgumentError(
        absl::StrCat("invalid request: max_examples: must be 0 to ",
                     ShadowRun::kMaxExamples))));
    return reactor;
  }
  if (shadow_ == nullptr) {
    reactor->Finish(ToGrpcStatus(
        absl::FailedPreconditionError("this server runs no shadows")));
    return reactor;
  }
  absl::StatusOr<v1::ShadowReport> report = shadow_->Report(
      request->max_examples() == 0 ? 10 : request->max_examples());
  if (report.ok()) *response = *std::move(report);
  reactor->Finish(ToGrpcStatus(report.status()));
  return reactor;
}

}  // namespace lantern
