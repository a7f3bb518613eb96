// RiskAssessmentService: Assess finishes its unary reactor inline;
// AssessStream is a reactor that keeps one read or one write outstanding at
// a time (read → assess → record → write → read ...), so responses come in
// request order and memory per stream stays one request and one response.
#include "server/risk_assessment_service.h"

#include <chrono>
#include <string>
#include <utility>

#include "server/status_map.h"

namespace lantern {
namespace {

class AssessStreamReactor
    : public grpc::ServerBidiReactor<v1::AssessRequest,
                                     v1::AssessStreamResponse> {
 public:
  AssessStreamReactor(grpc::CallbackServerContext* context,
                      RequestAssessor* assessor, DecisionRecorder* recorder,
                      const Clock* clock)
      : context_(context),
        assessor_(assessor),
        recorder_(recorder),
        clock_(clock) {
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // the client closed its side (or the call ended)
      Finish(grpc::Status::OK);
      return;
    }
    response_.Clear();
    response_.set_client_request_id(request_.client_request_id());
    absl::Status status =
        AssessCall(*assessor_, *context_, request_, (*clock_)(),
                   response_.mutable_assessment());
    if (!status.ok()) {
      WriteAnswer(status);
      return;
    }
    recorder_->Record(request_, response_.mutable_assessment(),
                      [this](absl::Status recorded) { WriteAnswer(recorded); });
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "stream broken"));
      return;
    }
    StartRead(&request_);
  }

  void OnDone() override { delete this; }

 private:
  // Sends the response: the assessment, or the error `status`.
  void WriteAnswer(const absl::Status& status) {
    if (!status.ok()) {  // the oneof drops any partial assessment
      response_.mutable_error()->set_code(static_cast<int>(status.code()));
      response_.mutable_error()->set_message(std::string(status.message()));
    }
    StartWrite(&response_);
  }

  grpc::CallbackServerContext* context_;
  RequestAssessor* assessor_;
  DecisionRecorder* recorder_;
  const Clock* clock_;
  v1::AssessRequest request_;
  v1::AssessStreamResponse response_;
};

// Request and response on one arena, freed together when the call ends.
class ArenaMessages
    : public grpc::MessageHolder<v1::AssessRequest, v1::Assessment> {
 public:
  ArenaMessages() {
    set_request(
        google::protobuf::Arena::CreateMessage<v1::AssessRequest>(&arena_));
    set_response(
        google::protobuf::Arena::CreateMessage<v1::Assessment>(&arena_));
  }
  void Release() override { delete this; }

 private:
  google::protobuf::Arena arena_;
};

}  // namespace

grpc::MessageHolder<v1::AssessRequest, v1::Assessment>*
RiskAssessmentService::ArenaAllocator::AllocateMessages() {
  return new ArenaMessages;
}

RiskAssessmentService::RiskAssessmentService(RequestAssessor* assessor,
                                             DecisionRecorder* recorder,
                                             Clock clock)
    : assessor_(assessor), recorder_(recorder), clock_(std::move(clock)) {
  SetMessageAllocatorFor_Assess(&allocator_);
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
  recorder_->Record(*request, response, [reactor](absl::Status recorded) {
    reactor->Finish(ToGrpcStatus(recorded));
  });
  return reactor;
}

grpc::ServerBidiReactor<v1::AssessRequest, v1::AssessStreamResponse>*
RiskAssessmentService::AssessStream(grpc::CallbackServerContext* context) {
  return new AssessStreamReactor(context, assessor_, recorder_, &clock_);
}

}  // namespace lantern
