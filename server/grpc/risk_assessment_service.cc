// RiskAssessmentService: Assess finishes its unary reactor inline;
// AssessStream is a reactor that keeps one read or one write outstanding at
// a time (read → assess → record → write → read ...), so responses come in
// request order and memory per stream stays one request and one response.
// Both take their requests as bytes and parse them (ParsedRequests).
#include "server/grpc/risk_assessment_service.h"

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
                                     v1::AssessStreamResponse> {
 public:
  // Serves the stream for `principal`; or, when `admitted` is an error,
  // refuses it at once.
  AssessStreamReactor(grpc::CallbackServerContext* context,
                      RequestAssessor* assessor, DecisionRecorder* recorder,
                      const Clock* clock,
                      const absl::StatusOr<Caller>& admitted)
      : context_(context),
        assessor_(assessor),
        recorder_(recorder),
        clock_(clock) {
    if (!admitted.ok()) {
      Finish(ToGrpcStatus(admitted.status()));
      return;
    }
    principal_ = admitted->principal;
    StartRead(&raw_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // the client closed its side (or the call ended)
      Finish(grpc::Status::OK);
      return;
    }
    response_.Clear();
    const int64_t index = next_index_++;
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
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "stream broken"));
      return;
    }
    StartRead(&raw_);
  }

  void OnDone() override { delete this; }

 private:
  // Sends the response: the assessment, or the error `status`.
  void WriteAnswer(const absl::Status& status) {
    if (!status.ok()) {  // the oneof drops any partial assessment
      response_.mutable_error()->set_code(static_cast<int>(status.code()));
      response_.mutable_error()->set_message(
          ValidUtf8(ToGrpcStatus(status).error_message()));  // bounded
    }
    StartWrite(&response_);
  }

  grpc::CallbackServerContext* context_;
  RequestAssessor* assessor_;
  DecisionRecorder* recorder_;
  const Clock* clock_;
  std::string principal_;
  grpc::ByteBuffer raw_;
  int64_t next_index_ = 0;
  v1::AssessRequest request_;
  v1::AssessStreamResponse response_;
};

}  // namespace

RiskAssessmentService::RiskAssessmentService(RequestAssessor* assessor,
                                             DecisionRecorder* recorder,
                                             Clock clock)
    : assessor_(assessor), recorder_(recorder), clock_(std::move(clock)) {
  const std::string name = v1::RiskAssessment::service_full_name();
  ParseUnary(name, "Assess", &RiskAssessmentService::Assess);
  MarkRawCallback(
      name, "AssessStream",
      new grpc::internal::CallbackBidiHandler<grpc::ByteBuffer,
                                              v1::AssessStreamResponse>(
          [this](grpc::CallbackServerContext* context) {
            return new AssessStreamReactor(
                context, assessor_, recorder_, &clock_,
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
