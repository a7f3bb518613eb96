// Rule-test runner: runs a ruleset's own test cases and says what differed.
//
// Entry point: RunRuleTests. Each case's facts (decoded at load) are assessed
// (by the compiled program, or by the AssessFn given)
// at the case's as-of time and compared with its expectations; a case fails
// with one line per difference. The report also gathers coverage: which
// rules fired and which actions were emitted in any case, and which rules
// some passing case expects not to fire, so that rules no test exercises —
// either way — can be named. Every case's answer is also checked against the
// ruleset's invariants (engine/decide/invariants.h): a violation, or an
// invariant that fails to evaluate, fails the case; one left UNKNOWN is
// counted. Invariants are always evaluated by the compiled program.
//
// Thread-safety: stateless; the RuleSet is only read.
#ifndef LANTERN_ENGINE_DECIDE_RULE_TEST_RUNNER_H_
#define LANTERN_ENGINE_DECIDE_RULE_TEST_RUNNER_H_

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/decide/decide.h"
#include "engine/match/program.h"
#include "engine/ruleset/ruleset.h"

namespace lantern {

struct RuleTestFailure {
  std::string name;
  SourceLocation location;
  std::vector<std::string> differences;
};

struct RuleTestReport {
  int passed = 0;
  int failed = 0;
  std::vector<RuleTestFailure> failures;
  std::set<std::string> rules_fired;
  std::set<std::string> actions_emitted;
  // Rules a passing case lists under `not_fires`.
  std::set<std::string> rules_checked_not_to_fire;
  // (case, invariant) pairs left UNKNOWN by the cases' facts.
  int invariants_undecided = 0;

  std::vector<std::string> RulesNeverFired(const RuleSet& ruleset) const;
  // Rules no passing case lists under `not_fires`.
  std::vector<std::string> RulesWithoutNegativeCase(
      const RuleSet& ruleset) const;
  std::vector<std::string> ActionsNeverEmitted(const RuleSet& ruleset) const;
};

// How a case is assessed, when a caller (say, a differential test) supplies
// something other than the compiled program.
using AssessFn = std::function<absl::StatusOr<Assessment>(
    const RuleSet&, const FactRecord&, absl::Time)>;

// The differences between `assessment` and the case's expectations.
std::vector<std::string> CompareWithExpectations(const RuleTestCase& test,
                                                 const Assessment& assessment);

// The tests of `program`'s ruleset, each case assessed by `assess` or,
// when it is empty, by AssessWithMatcher over `program`.
RuleTestReport RunRuleTests(const CompiledRuleSet& program,
                            const AssessFn& assess = nullptr);

}  // namespace lantern

#endif  // LANTERN_ENGINE_DECIDE_RULE_TEST_RUNNER_H_
