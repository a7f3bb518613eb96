// Rule-test runner: entry points RunRuleTests and CompareWithExpectations.
// Expectations are checked one by one and every difference is reported, so a
// failing case explains itself ("expected grade HIGH, got MEDIUM").
#include "engine/decide/rule_test_runner.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/decide/assess.h"
#include "engine/decide/invariants.h"

namespace lantern {
namespace {

template <typename T>
bool Contains(const std::vector<T>& items, const std::string& id) {
  return std::any_of(items.begin(), items.end(),
                     [&](const T& item) { return item.id == id; });
}

void CompareRules(const RuleTestCase& test, const Assessment& a,
                  std::vector<std::string>* diffs) {
  for (const std::string& id : test.fires) {
    if (Contains(a.fired, id)) continue;
    auto blocked =
        std::find_if(a.blocked.begin(), a.blocked.end(),
                     [&](const BlockedRule& b) { return b.id == id; });
    diffs->push_back(
        blocked == a.blocked.end()
            ? absl::StrCat("expected rule ", id, " to fire; it did not")
            : absl::StrCat("expected rule ", id,
                           " to fire; it was UNKNOWN for want of ",
                           absl::StrJoin(blocked->unknown_paths, ", ")));
  }
  for (const std::string& id : test.not_fires) {
    if (Contains(a.fired, id)) {
      diffs->push_back(
          absl::StrCat("expected rule ", id, " not to fire; it fired"));
    }
  }
  for (const std::string& id : test.unknown) {
    if (!Contains(a.blocked, id)) {
      diffs->push_back(
          absl::StrCat("expected rule ", id, " to be UNKNOWN; it was not"));
    }
  }
  for (const ErroredRule& e : a.errored) {
    diffs->push_back(
        absl::StrCat("rule ", e.id, " failed to evaluate: ", e.error));
  }
}

void ComparePolicy(const RuleTestCase& test, const Assessment& a,
                   std::vector<std::string>* diffs) {
  if (test.grade.has_value() && *test.grade != a.grade.grade) {
    diffs->push_back(absl::StrCat("expected grade ", *test.grade, ", got ",
                                  a.grade.grade, " (score ",
                                  a.grade.total_score, ")"));
  }
  if (test.highest_possible_grade.has_value() &&
      *test.highest_possible_grade != a.grade.highest_possible) {
    diffs->push_back(absl::StrCat(
        "expected highest possible grade ", *test.highest_possible_grade,
        ", got ", a.grade.highest_possible,
        " (raised by: ", absl::StrJoin(a.grade.raising_rule_ids, ", "), ")"));
  }
  for (const auto& [concern, level] : test.concern_levels) {
    for (const ConcernOutcome& c : a.concerns) {
      if (c.name == concern && c.level != level) {
        diffs->push_back(absl::StrCat("expected ", concern, " level ", level,
                                      ", got ", c.level, " (score ", c.score,
                                      ")"));
      }
    }
  }
  for (const auto& [name, answer] : test.prompts) {
    for (const PromptOutcome& p : a.prompts) {
      if (p.name == name && PromptAnswerName(p.answer) != answer) {
        diffs->push_back(absl::StrCat(
            "expected prompt ", name, " answered ", answer, "; it was ",
            PromptAnswerName(p.answer), " (", TruthName(p.truth),
            p.unknown_paths.empty()
                ? ""
                : absl::StrCat(", unknown: ",
                               absl::StrJoin(p.unknown_paths, ", ")),
            ")"));
      }
    }
  }
}

// `what` ("actions", "actions_to_consider") as an exact set of codes.
void CompareCodes(const char* what,
                  const std::optional<std::vector<std::string>>& expected,
                  const std::vector<ActionOutcome>& actions,
                  std::vector<std::string>* diffs) {
  if (!expected.has_value()) return;
  std::vector<std::string> got;
  for (const ActionOutcome& action : actions) got.push_back(action.code);
  std::vector<std::string> want = *expected;
  std::sort(want.begin(), want.end());
  if (want != got) {
    diffs->push_back(absl::StrCat("expected ", what, " [",
                                  absl::StrJoin(want, ", "), "], got [",
                                  absl::StrJoin(got, ", "), "]"));
  }
}

void CompareActions(const RuleTestCase& test, const Assessment& a,
                    std::vector<std::string>* diffs) {
  CompareCodes("actions", test.actions, a.actions, diffs);
  CompareCodes("actions_to_consider", test.actions_to_consider,
               a.actions_to_consider, diffs);
  for (const std::string& code : test.overdue) {
    auto it =
        std::find_if(a.actions.begin(), a.actions.end(),
                     [&](const ActionOutcome& x) { return x.code == code; });
    if (it == a.actions.end() || !it->overdue) {
      diffs->push_back(
          absl::StrCat("expected action ", code, " to be overdue; it was ",
                       it == a.actions.end() ? "not emitted" : "not overdue"));
    }
  }
}

// A case whose answer violates an invariant (or cannot evaluate one) fails;
// one left UNKNOWN by the case's facts is only counted.
void CompareWithInvariants(const CompiledRuleSet& program,
                           const FactRecord& facts, const Assessment& a,
                           std::vector<std::string>* diffs, int* undecided) {
  for (const InvariantOutcome& o : CheckInvariants(program, facts, a)) {
    if (o.truth == Truth::kUnknown) ++*undecided;
    if (o.truth != Truth::kFalse && o.truth != Truth::kError) continue;
    diffs->push_back(absl::StrCat(
        o.truth == Truth::kFalse ? "violates invariant "
                                 : "cannot check invariant ",
        o.invariant->id, " (", o.invariant->title, "): ", DescribeOutcome(o)));
  }
}

template <typename Items>
std::vector<std::string> Missing(const Items& all,
                                 const std::set<std::string>& seen) {
  std::vector<std::string> out;
  for (const auto& item : all) {
    if (seen.count(item) == 0) out.push_back(item);
  }
  return out;
}

}  // namespace

std::vector<std::string> CompareWithExpectations(const RuleTestCase& test,
                                                 const Assessment& assessment) {
  std::vector<std::string> diffs;
  CompareRules(test, assessment, &diffs);
  ComparePolicy(test, assessment, &diffs);
  CompareActions(test, assessment, &diffs);
  return diffs;
}

std::vector<std::string> RuleTestReport::RulesNeverFired(
    const RuleSet& ruleset) const {
  std::vector<std::string> ids;
  for (const Rule& r : ruleset.rules) ids.push_back(r.id);
  return Missing(ids, rules_fired);
}

std::vector<std::string> RuleTestReport::RulesWithoutNegativeCase(
    const RuleSet& ruleset) const {
  std::vector<std::string> ids;
  for (const Rule& r : ruleset.rules) ids.push_back(r.id);
  return Missing(ids, rules_checked_not_to_fire);
}

std::vector<std::string> RuleTestReport::ActionsNeverEmitted(
    const RuleSet& ruleset) const {
  std::vector<std::string> codes;
  for (const ActionDef& a : ruleset.policy.actions) codes.push_back(a.code);
  return Missing(codes, actions_emitted);
}

RuleTestReport RunRuleTests(const CompiledRuleSet& program,
                            const AssessFn& assess) {
  const RuleSet& ruleset = *program.ruleset;
  RuleTestReport report;
  for (const RuleTestCase& test : ruleset.tests) {
    std::vector<std::string> diffs;
    absl::StatusOr<Assessment> a =
        test.facts == nullptr
            ? absl::InvalidArgumentError("facts were not decoded")
            : (assess ? assess(ruleset, *test.facts, test.as_of)
                      : AssessWithMatcher(program, *test.facts, test.as_of));
    if (!a.ok()) {
      diffs.push_back(
          absl::StrCat("assessment failed: ", a.status().message()));
    } else {
      diffs = CompareWithExpectations(test, *a);
      CompareWithInvariants(program, *test.facts, *a, &diffs,
                            &report.invariants_undecided);
      for (const FiredRule& r : a->fired) report.rules_fired.insert(r.id);
      for (const ActionOutcome& x : a->actions)
        report.actions_emitted.insert(x.code);
    }
    if (diffs.empty()) {
      ++report.passed;
      report.rules_checked_not_to_fire.insert(test.not_fires.begin(),
                                              test.not_fires.end());
    } else {
      ++report.failed;
      report.failures.push_back({test.name, test.location, std::move(diffs)});
    }
  }
  return report;
}

}  // namespace lantern
