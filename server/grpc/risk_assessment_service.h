// RiskAssessmentService: the lantern.v1.RiskAssessment gRPC service on the
// callback API, a thin edge over RequestAssessor.
//
// Each call stamps the time it was received (once, from the injected
// clock), refuses work whose deadline has already passed
// (DEADLINE_EXCEEDED) or that the client cancelled, and otherwise assesses
// inline: an assessment is pure CPU work (well under a millisecond) with no
// lock held beyond the registry's pointer copy and no I/O. The answer is
// then put in the audit ledger (DecisionRecorder) without blocking, and
// sent from the ledger's callback once it is durable; if it cannot be
// recorded the call fails with UNAVAILABLE instead. So the handler never
// blocks. Assess's request and response live on a per-call protobuf
// arena (a gRPC MessageAllocator) and the answer is built straight into
// the response: answers run to tens of kilobytes, and malloc/free of their
// parts was a large share of a call. AssessStream answers each request in
// order with an AssessStreamResponse; one bad request becomes an error
// item, not the end of the stream; so does a request whose bytes do not
// parse (ParsedRequests: Lantern parses every request itself), its error
// naming its position in the stream. A stream that waits on its client
// longer than the idle watch allows is ended (StreamIdleWatch): waiting
// for a request, with DEADLINE_EXCEEDED saying so; waiting for the client
// to read a response, by cancelling the call. Every response counts
// itself (requests_answered 1, 2, ...): the client's progress.
//
// Thread-safety: gRPC calls the handlers from many threads at once; the
// service holds no mutable state of its own.
#ifndef LANTERN_SERVER_GRPC_RISK_ASSESSMENT_SERVICE_H_
#define LANTERN_SERVER_GRPC_RISK_ASSESSMENT_SERVICE_H_

#include <functional>

#include "absl/time/time.h"
#include "lantern/v1/service.grpc.pb.h"
#include "server/app/decision_recorder.h"
#include "server/app/request_assessor.h"
#include "server/grpc/parsed_requests.h"
#include "server/grpc/stream_idle_watch.h"

namespace lantern {

using Clock = std::function<absl::Time()>;

class RiskAssessmentService final
    : public ParsedRequests<v1::RiskAssessment::CallbackService> {
 public:
  // REQUIRES: `assessor`, `recorder` and `idle` (when given) outlive the
  // service. Without `idle`, streams never time out.
  RiskAssessmentService(RequestAssessor* assessor, DecisionRecorder* recorder,
                        Clock clock, StreamIdleWatch* idle = nullptr);

  grpc::ServerUnaryReactor* Assess(grpc::CallbackServerContext* context,
                                   const v1::AssessRequest* request,
                                   v1::Assessment* response) override;

 private:
  RequestAssessor* assessor_;
  DecisionRecorder* recorder_;
  Clock clock_;
  StreamIdleWatch* idle_;
};

// The answer to one request as the service gives it, into `answer`:
// refused if `context` is cancelled or past its deadline, else assessed.
absl::Status AssessCall(RequestAssessor& assessor,
                        const grpc::ServerContextBase& context,
                        const v1::AssessRequest& request, absl::Time received,
                        v1::Assessment* answer);

}  // namespace lantern

#endif  // LANTERN_SERVER_GRPC_RISK_ASSESSMENT_SERVICE_H_
