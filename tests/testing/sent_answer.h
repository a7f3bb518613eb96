// The answer a recorded decision sent, whatever its record format: a
// compact record (format 2) is expanded by reference to the ruleset the
// ledger holds, as the audit service does (decision_codec.h).
#ifndef LANTERN_TESTS_TESTING_SENT_ANSWER_H_
#define LANTERN_TESTS_TESTING_SENT_ANSWER_H_

#include <string>

#include "absl/status/statusor.h"
#include "engine/proto/proto_fact_types.h"
#include "lantern/v1/assessment.pb.h"
#include "lantern/v1/ledger.pb.h"
#include "server/app/assessment_proto.h"
#include "server/app/audit_rulesets.h"
#include "server/app/decision_codec.h"
#include "server/app/ruleset_registry.h"
#include "server/ledger/ledger.h"

namespace lantern::testing {

// Not thread-safe. REQUIRES: `ledger` outlives this.
class SentAnswers {
 public:
  explicit SentAnswers(ledger::Ledger* ledger)
      : rulesets_(&registry_, ledger, &types_),
        codec_([this](const std::string& digest) {
          return rulesets_.Find(digest);
        }) {}

  absl::StatusOr<v1::Assessment> Of(v1::DecisionRecord record) {
    if (absl::Status s = codec_.FillSent(&record); !s.ok()) return s;
    return record.assessment();
  }

 private:
  ProtoFactTypes types_;
  RuleSetRegistry registry_{&types_, &AssessmentVocabulary()};
  AuditRuleSets rulesets_;
  DecisionCodec codec_;
};

}  // namespace lantern::testing

#endif  // LANTERN_TESTS_TESTING_SENT_ANSWER_H_
