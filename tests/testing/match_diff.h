// Readable differences between two MatchResults or two Assessments, for the
// tests that hold the matcher to the reference evaluator. Empty when equal.
#ifndef LANTERN_TESTS_TESTING_MATCH_DIFF_H_
#define LANTERN_TESTS_TESTING_MATCH_DIFF_H_

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/decide/decide.h"
#include "engine/ruleset/ruleset.h"

namespace lantern::testing {

inline std::string DescribeEvidence(const std::vector<AtomEvidence>& atoms) {
  std::vector<std::string> out;
  for (const AtomEvidence& a : atoms) {
    std::vector<std::string> readings;
    for (const FactReading& r : a.readings) {
      readings.push_back(absl::StrCat(r.path, "=", r.value));
    }
    out.push_back(absl::StrCat("'", a.condition, "'@", a.offset, " ",
                               TruthName(a.truth), " {",
                               absl::StrJoin(readings, "; "), "}"));
  }
  return absl::StrJoin(out, " | ");
}

inline std::string DescribeMatch(const RuleSet& ruleset, const RuleMatch& m) {
  return absl::StrCat(ruleset.rules[m.rule].id, " evidence[",
                      DescribeEvidence(m.evidence), "] unknown[",
                      absl::StrJoin(m.unknown_paths, ", "), "] error[", m.error,
                      "]");
}

inline std::string DiffRuleMatches(const RuleSet& ruleset, const char* what,
                                   const std::vector<RuleMatch>& want,
                                   const std::vector<RuleMatch>& got) {
  std::string diff;
  const size_t n = std::max(want.size(), got.size());
  for (size_t i = 0; i < n; ++i) {
    const bool same = i < want.size() && i < got.size() &&
                      want[i].rule == got[i].rule &&
                      want[i].evidence == got[i].evidence &&
                      want[i].unknown_paths == got[i].unknown_paths &&
                      want[i].error == got[i].error;
    if (same) continue;
    absl::StrAppend(&diff, what, "[", i, "]:\n  reference: ",
                    i < want.size() ? DescribeMatch(ruleset, want[i]) : "-",
                    "\n  matcher:   ",
                    i < got.size() ? DescribeMatch(ruleset, got[i]) : "-",
                    "\n");
  }
  return diff;
}

inline std::string DiffMatchResults(const RuleSet& ruleset,
                                    const MatchResult& want,
                                    const MatchResult& got) {
  return absl::StrCat(
      DiffRuleMatches(ruleset, "fired", want.fired, got.fired),
      DiffRuleMatches(ruleset, "blocked", want.blocked, got.blocked),
      DiffRuleMatches(ruleset, "errored", want.errored, got.errored));
}

// The parts of an Assessment every version of it has.
inline std::string DiffAssessments(const Assessment& want,
                                   const Assessment& got) {
  std::string diff;
  auto check = [&diff](bool same, const char* what) {
    if (!same) absl::StrAppend(&diff, "assessment ", what, " differs\n");
  };
  check(want.grade.grade == got.grade.grade &&
            want.grade.band_grade == got.grade.band_grade &&
            want.grade.total_score == got.grade.total_score &&
            want.grade.floor_rule_ids == got.grade.floor_rule_ids,
        "grade");
  check(want.concerns.size() == got.concerns.size(), "concerns");
  for (size_t i = 0; i < want.concerns.size() && i < got.concerns.size(); ++i) {
    const ConcernOutcome &a = want.concerns[i], &b = got.concerns[i];
    check(a.name == b.name && a.level == b.level && a.score == b.score &&
              a.rule_ids == b.rule_ids,
          "concern");
  }
  check(want.prompts.size() == got.prompts.size(), "prompts");
  for (size_t i = 0; i < want.prompts.size() && i < got.prompts.size(); ++i) {
    const PromptOutcome &a = want.prompts[i], &b = got.prompts[i];
    check(a.raised == b.raised && a.answer == b.answer && a.truth == b.truth &&
              a.conditions == b.conditions &&
              a.unknown_paths == b.unknown_paths && a.error == b.error &&
              a.rule_ids == b.rule_ids,
          "prompt");
  }
  for (auto list : {&Assessment::actions, &Assessment::actions_to_consider}) {
    const std::vector<ActionOutcome>&wa = want.*list, &ga = got.*list;
    check(wa.size() == ga.size(), "actions");
    for (size_t i = 0; i < wa.size() && i < ga.size(); ++i) {
      const ActionOutcome &a = wa[i], &b = ga[i];
      check(a.code == b.code && a.triggered_by == b.triggered_by &&
                a.unknown_paths == b.unknown_paths && a.due_by == b.due_by &&
                a.overdue == b.overdue &&
                a.due_unknown_paths == b.due_unknown_paths &&
                a.due_error == b.due_error,
            "action");
    }
  }
  check(want.flags == got.flags, "flags");
  check(want.fired.size() == got.fired.size(), "fired rules");
  for (size_t i = 0; i < want.fired.size() && i < got.fired.size(); ++i) {
    check(want.fired[i].id == got.fired[i].id &&
              want.fired[i].evidence == got.fired[i].evidence,
          "fired rule");
  }
  check(want.blocked.size() == got.blocked.size(), "blocked rules");
  for (size_t i = 0; i < want.blocked.size() && i < got.blocked.size(); ++i) {
    check(want.blocked[i].id == got.blocked[i].id &&
              want.blocked[i].unknown_paths == got.blocked[i].unknown_paths,
          "blocked rule");
  }
  check(want.errored.size() == got.errored.size(), "errored rules");
  for (size_t i = 0; i < want.errored.size() && i < got.errored.size(); ++i) {
    check(want.errored[i].id == got.errored[i].id &&
              want.errored[i].error == got.errored[i].error,
          "errored rule");
  }
  return diff;
}

}  // namespace lantern::testing

#endif  // LANTERN_TESTS_TESTING_MATCH_DIFF_H_
