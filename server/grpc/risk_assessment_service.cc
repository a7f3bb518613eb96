// RiskAssessmentService: Assess finishes its unary reactor inline;
// AssessStream is a reactor that keeps one read or one write outstanding at
// a time (read → assess → record → write → read ...), so responses come in
// request order and memory per stream stays one request and one response.
// Both take their requests as bytes and parse them (ParsedRequests).
#include "server/grpc/risk_assessment_service.h"

#include <atomic>
#include <chrono>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/grpc/request_parsing.h"
#include "server/grpc/status_map.h"

namespace lantern {
namespace {

class AssessStreamReactor
    : public grpc::ServerBidiReactor<grpc::ByteBuffer,
                                     v1::AssessStreamResponse>,
      public StreamIdleWatch::Stream {
 public:
  // Serves the stream for the admitted caller's principal, ending it when
  // `idle` (null: never) says it waited too long; or, when `admitted` is an
  // error, refuses it at once.
  AssessStreamReactor(grpc::CallbackServerContext* context,
                      RequestAssessor* assessor, DecisionRecorder* recorder,
                      const Clock* clock, StreamIdleWatch* idle,
                      const absl::StatusOr<Caller>& admitted)
      : context_(context),
        assessor_(assessor),
        recorder_(recorder),
        clock_(clock),
        idle_(idle) {
    if (!admitted.ok()) {
      FinishOnce(ToGrpcStatus(admitted.status()));
      return;
    }
    principal_ = admitted->principal;
    Read();
  }

  void OnReadDone(bool ok) override {
    if (StopWaiting()) return;  // ended as idle
    if (!ok) {  // the client closed its side (or the call ended)
      FinishOnce(grpc::Status::OK);
      return;
    }
    response_.Clear();
    const int64_t index = next_index_++;
    response_.set_requests_answered(static_cast<uint64_t>(index) + 1);
    if (absl::Status parsed = ParseRequest(raw_, &request_); !parsed.ok()) {
      WriteAnswer(absl::Status(
          parsed.code(),
          absl::StrCat("request ", index, " of the stream (counting from 0): ",
                       parsed.message())));
      return;
    }
    response_.set_client_request_id(request_.client_request_id());
    absl::Status status =
        AssessCall(*assessor_, *context_, request_, (*clock_)(),
                   response_.mutable_assessment());
    if (!status.ok()) {
      WriteAnswer(status);
      return;
    }
    recorder_->Record(
        request_, response_.mutable_assessment(),
        [this](absl::Status recorded) { WriteAnswer(recorded); }, principal_);
  }

  void OnWriteDone(bool ok) override {
    if (StopWaiting()) return;
    if (!ok) {
      FinishOnce(grpc::Status(grpc::StatusCode::CANCELLED, "stream broken"));
      return;
    }
    Read();
  }

  // Waiting for the next request: the stream ends with DEADLINE_EXCEEDED
  // saying so. Waiting for the client to take a response: it is not
  // reading, so it would never see a status; the call is cancelled.
  void OnIdle() override {
    if (reading_) {
      FinishOnce(grpc::Status(
          grpc::StatusCode::DEADLINE_EXCEEDED,
          absl::StrCat("the stream sent no request for ",
                       absl::FormatDuration(idle_->idle()),
                       " (the server's --stream_idle_timeout) and was ended; "
                       "open a new stream when there is more to send")));
    } else {
      context_->TryCancel();  // the write fails: OnWriteDone finishes
    }
  }

  void OnDone() override {
    if (idle_ != nullptr) idle_->Done(this);
    delete this;
  }

 private:
  void Read() {
    reading_ = true;
    if (idle_ != nullptr) idle_->Wait(this);
    StartRead(&raw_);
  }

  // Sends the response: the assessment, or the error `status`.
  void WriteAnswer(const absl::Status& status) {
    if (!status.ok()) {  // the oneof drops any partial assessment
      response_.mutable_error()->set_code(static_cast<int>(status.code()));
      response_.mutable_error()->set_message(
          ValidUtf8(ToGrpcStatus(status).error_message()));  // bounded
    }
    reading_ = false;
    if (idle_ != nullptr) idle_->Wait(this);
    StartWrite(&response_);
  }

  // Ends the wait that just completed; true when the stream was already
  // finished (by the idle watch), so the completion has nothing to do.
  bool StopWaiting() {
    if (idle_ != nullptr) idle_->Done(this);
    return finished_.load();
  }

  // Finish at most once: the idle watch and a completion may both try.
  void FinishOnce(const grpc::Status& status) {
    if (!finished_.exchange(true)) Finish(status);
  }

  grpc::CallbackServerContext* context_;
  RequestAssessor* assessor_;
  DecisionRecorder* recorder_;
  const Clock* clock_;
  StreamIdleWatch* idle_;  // null: streams never time out
  // Written before each Wait (the watch's lock orders it before OnIdle).
  bool reading_ = false;
  std::atomic<bool> finished_{false};
  std::string principal_;
  grpc::ByteBuffer raw_;
  int64_t next_index_ = 0;
  v1::AssessRequest request_;
  v1::AssessStreamResponse response_;
};

}  // namespace

RiskAssessmentService::RiskAssessmentService(RequestAssessor* assessor,
                                             DecisionRecorder* recorder,
                                             Clock clock, StreamIdleWatch* idle)
    : assessor_(assessor),
      recorder_(recorder),
      clock_(std::move(clock)),
      idle_(idle) {
  const std::string name = v1::RiskAssessment::service_full_name();
  ParseUnary(name, "Assess", &RiskAssessmentService::Assess);
  MarkRawCallback(
      name, "AssessStream",
      new grpc::internal::CallbackBidiHandler<grpc::ByteBuffer,
                                              v1::AssessStreamResponse>(
          [this](grpc::CallbackServerContext* context) {
            return new AssessStreamReactor(
                context, assessor_, recorder_, &clock_, idle_,
                Admit(*context, "/lantern.v1.RiskAssessment/AssessStream"));
          }));
}

absl::Status AssessCall(RequestAssessor& assessor,
                        const grpc::ServerContextBase& context,
                        const v1::AssessRequest& request, absl::Time received,
                        v1::Assessment* answer) {
  if (context.IsCancelled()) {
    return absl::CancelledError("the client cancelled the call");
  }
  if (context.deadline() <= std::chrono::system_clock::now()) {
    return absl::DeadlineExceededError(
        "the call's deadline passed before it could be assessed");
  }
  return assessor.Assess(request, received, answer);
}

grpc::ServerUnaryReactor* RiskAssessmentService::Assess(
    grpc::CallbackServerContext* context, const v1::AssessRequest* request,
    v1::Assessment* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::Status status =
      AssessCall(*assessor_, *context, *request, clock_(), response);
  if (!status.ok()) {
    reactor->Finish(ToGrpcStatus(status));
    return reactor;
  }
  recorder_->Record(
      *request, response,
      [reactor](absl::Status recorded) {
        reactor->Finish(ToGrpcStatus(recorded));
      },
      CallerOf(*context).principal);
  return reactor;
}

}  // namespace lantern
