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
// Thread-safety: the functions are stateless and safe to call
// concurrently.
#ifndef LANTERN_SERVER_APP_ASSESSMENT_PROTO_H_
#define LANTERN_SERVER_APP_ASSESSMENT_PROTO_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
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

// What an unset fact would decide, by the names Assessment.unknown_facts
// gives it: "grade", "concern:<NAME>", a rule id, "prompt:<name>",
// "prompt:<name>/<finding>", "action:<code>"; each name once, with an id.
// Built once per ruleset version (RuleSetVersion::unknown_facts) so that an
// answer's unknown facts look their names up and compare ids, rather than
// making and comparing strings per entry.
//
// Thread-safety: immutable after construction; Find may be called
// concurrently (each caller with its own `key`).
class UnknownFactsIndex {
 public:
  // Every name an answer of `ruleset` can use.
  explicit UnknownFactsIndex(const RuleSet& ruleset);
  // The names `assessment` uses (for an answer made without an index).
  explicit UnknownFactsIndex(const Assessment& assessment);

  // The id of `prefix` + `name` (+ "/" + `*sub`), or -1. `key` is scratch.
  int32_t Find(absl::string_view prefix, absl::string_view name,
               const std::string* sub, std::string* key) const;
  int32_t Grade() const { return 0; }
  // REQUIRES: `id` is one Find or Grade returned.
  const std::string& What(int32_t id) const { return what_[id]; }

 private:
  int32_t Intern(absl::string_view prefix, absl::string_view name,
                 const std::string* sub, std::string* key);

  std::vector<std::string> what_;  // by id
  absl::flat_hash_map<std::string, int32_t> ids_;
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
// (AssessDetail), which that view does not send. `unknown_facts`, when
// not null, is the index of the ruleset `assessment` is of (an index of
// another ruleset, or none, gives the same answer, a little slower).
absl::Status AssessmentToProto(
    Assessment assessment, const DecisionStamp& stamp, v1::Assessment* out,
    v1::View view = v1::FULL, const UnknownFactsIndex* unknown_facts = nullptr);

// Protobuf JSON as `lantern eval` prints it: the canonical proto3 JSON
// mapping (lowerCamelCase names, enums by name, int64 as strings,
// timestamps RFC 3339), as gRPC-JSON gateways give it; indented as
// protobuf's printer does; and every field printed even at its default, so
// that a zero score, a `false` and an empty list are visible rather than
// absent. Ends with a newline.
absl::StatusOr<std::string> AssessmentJson(const v1::Assessment& assessment);

}  // namespace lantern

#endif  // LANTERN_SERVER_APP_ASSESSMENT_PROTO_H_
