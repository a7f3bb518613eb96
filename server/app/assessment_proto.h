// AssessmentProto: the engine's Assessment as a lantern.v1.Assessment, the
// message `lantern eval` prints and the service returns.
//
// The engine speaks in names a ruleset declares; the protobuf in enums. The
// bridge is AssessmentVocabulary(): loading a ruleset with it makes every
// grade, level and concern name one of assessment.proto's enum values, so
// conversion cannot meet a name it cannot say. The converter also reads two
// things by name: the prompt `nrm` becomes Assessment.nrm (its findings
// `consent_not_required` and `referral_route` fill the consent and route
// fields), and codes of the catalogues PUSH_FACTORS and PULL_FACTORS become
// push_factors and pull_factors (every other catalogue code: indicators).
//
// Thread-safety: stateless; safe to call concurrently.
#ifndef LANTERN_SERVER_APP_ASSESSMENT_PROTO_H_
#define LANTERN_SERVER_APP_ASSESSMENT_PROTO_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "engine/decide/decide.h"
#include "engine/ruleset/loader.h"
#include "lantern/v1/assessment.pb.h"

namespace lantern {

// Grades (RiskGrade), levels (ConcernOutcome.Level) and concerns (Concern)
// by value name, lowest first, without the `*_UNSPECIFIED` zeros; and the
// findings of prompt `nrm` the converter reads.
const PolicyVocabulary& AssessmentVocabulary();

// What the edge adds to an assessment: the decision id and ruleset digest
// (empty from the command line) and the time it was stamped.
struct DecisionStamp {
  std::string decision_id;
  std::string ruleset_digest;
  absl::Time evaluated_at;
};

// INVALID_ARGUMENT when a grade, level or concern name has no enum value
// (the ruleset was not loaded with AssessmentVocabulary()). Takes the
// assessment by value and moves its strings into the answer: pass a
// temporary or std::move to avoid copying them.
absl::StatusOr<v1::Assessment> AssessmentToProto(Assessment assessment,
                                                 const DecisionStamp& stamp);

// The same, filling `out` (which must be empty) in place, so a server can
// build the answer straight into a response message on its arena, with
// only what `view` sends (assessment.proto View): the FULL answer cut to
// `view` (assessment_view.h CutToView), built without the parts the cut
// would drop. For DECISION `assessment` may lack the evidence
// (AssessDetail), which that view does not send.
absl::Status AssessmentToProto(Assessment assessment,
                               const DecisionStamp& stamp, v1::Assessment* out,
                               v1::View view = v1::FULL);

// Protobuf JSON as `lantern eval` prints it: the canonical proto3 JSON
// mapping (lowerCamelCase names, enums by name, int64 as strings,
// timestamps RFC 3339), as gRPC-JSON gateways give it; indented as
// protobuf's printer does; and every field printed even at its default, so
// that a zero score, a `false` and an empty list are visible rather than
// absent. Ends with a newline.
absl::StatusOr<std::string> AssessmentJson(const v1::Assessment& assessment);

}  // namespace lantern

#endif  // LANTERN_SERVER_APP_ASSESSMENT_PROTO_H_
