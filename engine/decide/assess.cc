// AssessWithMatcher and MatcherAssessFn (engine/decide/assess.h).
#include "engine/decide/assess.h"

#include <utility>

#include "engine/match/matcher.h"

namespace lantern {

absl::StatusOr<Assessment> AssessWithMatcher(const CompiledRuleSet& program,
                                             const FactRecord& facts,
                                             absl::Time as_of,
                                             std::vector<RecordedCode>* codes,
                                             AssessDetail detail) {
  return Decide(program, facts,
                MatchWithMatcher(program, facts, as_of, detail.fired_evidence),
                as_of, codes, detail);
}

AssessFn MatcherAssessFn(std::shared_ptr<const CompiledRuleSet> program) {
  return [program = std::move(program)](
             const RuleSet& ruleset, const FactRecord& facts,
             absl::Time as_of) -> absl::StatusOr<Assessment> {
    if (&ruleset != program->ruleset.get()) {
      return absl::FailedPreconditionError(
          "the compiled program was compiled from another ruleset");
    }
    return AssessWithMatcher(*program, facts, as_of);
  };
}

}  // namespace lantern
