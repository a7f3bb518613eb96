// Assess: the whole engine over one episode — the matcher's MatchResult
// (engine/match/matcher.h), then the policy stage (engine/decide/decide.h) —
// and the same as an AssessFn for a ruleset's own tests
// (engine/decide/rule_test_runner.h).
//
// Thread-safety: as the matcher's convenience functions (one thread-local
// scratch per thread); the program is only read.
#ifndef LANTERN_ENGINE_DECIDE_ASSESS_H_
#define LANTERN_ENGINE_DECIDE_ASSESS_H_

#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "engine/decide/decide.h"
#include "engine/decide/rule_test_runner.h"
#include "engine/facts/facts.h"
#include "engine/match/program.h"

namespace lantern {

// MatchWithMatcher then Decide (`codes` and `detail` as Decide's; the
// fired rules are explained only for `detail.fired_evidence`). REQUIRES:
// `facts` has the program's schema's root type.
absl::StatusOr<Assessment> AssessWithMatcher(
    const CompiledRuleSet& program, const FactRecord& facts, absl::Time as_of,
    std::vector<RecordedCode>* codes = nullptr, AssessDetail detail = {});

// An AssessFn for RunRuleTests that assesses with `program`; it fails
// (FAILED_PRECONDITION) when asked about a ruleset other than the program's.
AssessFn MatcherAssessFn(std::shared_ptr<const CompiledRuleSet> program);

}  // namespace lantern

#endif  // LANTERN_ENGINE_DECIDE_ASSESS_H_
