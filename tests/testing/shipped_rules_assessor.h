// ShippedRulesAssessor: the service's own assessment path — a RuleSetRegistry
// with the shipped rules/ active and a RequestAssessor over it — for tests
// that answer episodes in-process exactly as `lantern serve` would (the case
// library, the golden example answers).
//
// Thread-safety: one per test; not thread-safe.
#ifndef LANTERN_TESTS_TESTING_SHIPPED_RULES_ASSESSOR_H_
#define LANTERN_TESTS_TESTING_SHIPPED_RULES_ASSESSOR_H_

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "engine/proto/proto_fact_types.h"
#include "server/app/assessment_proto.h"
#include "server/app/request_assessor.h"
#include "server/app/ruleset_registry.h"
#include "tests/testing/test_data.h"

namespace lantern::testing {

class ShippedRulesAssessor {
 public:
  // `caller` names the assessor in the answers' records. Answers are FULL,
  // or with `views` in the request's view (RequestAssessor's
  // set_answer_views).
  explicit ShippedRulesAssessor(std::string caller, bool views = false)
      : assessor_(&registry_, RequestLimits(), std::move(caller)) {
    assessor_.set_answer_views(views);
  }

  // Activates rules/ (loaded, checked, compiled, its own tests passed);
  // otherwise says why not.
  absl::Status Activate() {
    absl::StatusOr<Candidate> rules =
        registry_.ActivateDirectory(SourcePath("rules"));
    if (!rules.ok()) return rules.status();
    if (!rules->passed()) {
      return absl::FailedPreconditionError("the shipped ruleset did not load");
    }
    return absl::OkStatus();
  }

  // The answer the service would give (FULL, or in the request's view: see
  // the constructor), as of the request's `as_of`.
  absl::StatusOr<v1::Assessment> Assess(const v1::AssessRequest& request) {
    v1::Assessment answer;
    absl::Status status = assessor_.Assess(request, absl::UnixEpoch(), &answer);
    if (!status.ok()) return status;
    return answer;
  }

 private:
  ProtoFactTypes types_;
  RuleSetRegistry registry_{&types_, &AssessmentVocabulary()};
  RequestAssessor assessor_;
};

}  // namespace lantern::testing

#endif  // LANTERN_TESTS_TESTING_SHIPPED_RULES_ASSESSOR_H_
