// Every field of an Assessment (engine/decide/decide.h) as text, one line
// per item, for tests that require two paths to give exactly the same
// answer: equal text means equal Assessments. FirstDifference names the
// first line where two texts differ.
#ifndef LANTERN_TESTS_TESTING_ASSESSMENT_TEXT_H_
#define LANTERN_TESTS_TESTING_ASSESSMENT_TEXT_H_

#include <sstream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "engine/decide/decide.h"

namespace lantern::testing {

inline std::string EvidenceText(const std::vector<AtomEvidence>& atoms) {
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
  return absl::StrCat("[", absl::StrJoin(out, " | "), "]");
}

inline std::string ListText(const std::vector<std::string>& items) {
  return absl::StrCat("[", absl::StrJoin(items, ", "), "]");
}

inline std::string TimeText(absl::Time t) {
  return absl::FormatTime(absl::RFC3339_full, t, absl::UTCTimeZone());
}

inline std::string ActionText(const char* what, const ActionOutcome& a) {
  return absl::StrCat(what, " ", a.code, " '", a.title, "' owner='", a.owner,
                      "' cite='", a.cite, "' by=", ListText(a.triggered_by),
                      " unknown=", ListText(a.unknown_paths),
                      " due=", a.due_by.has_value() ? TimeText(*a.due_by) : "-",
                      " overdue=", a.overdue,
                      " due_unknown=", ListText(a.due_unknown_paths),
                      " due_error='", a.due_error, "'\n");
}

inline std::string AssessmentText(const absl::StatusOr<Assessment>& result) {
  if (!result.ok()) return absl::StrCat("status ", result.status().ToString());
  const Assessment& a = *result;
  std::string out =
      absl::StrCat("ruleset ", a.ruleset_id, " ", a.ruleset_version, " as_of ",
                   TimeText(a.as_of), "\n");
  const GradeOutcome& g = a.grade;
  absl::StrAppend(&out, "grade ", g.grade, " band ", g.band_grade, " total ",
                  g.total_score, " floors ", ListText(g.floor_rule_ids),
                  " highest ", g.highest_possible, " raising ",
                  ListText(g.raising_rule_ids), "\n");
  for (const ConcernOutcome& c : a.concerns) {
    absl::StrAppend(&out, "concern ", c.name, " ", c.level, " score ", c.score,
                    " rules ", ListText(c.rule_ids), " highest ",
                    c.highest_possible_level, " raising ",
                    ListText(c.raising_rule_ids), " floors ",
                    ListText(c.floor_ids), "\n");
  }
  for (const PromptOutcome& p : a.prompts) {
    absl::StrAppend(&out, "prompt ", p.name, " '", p.title, "' cite='", p.cite,
                    "' ", PromptAnswerName(p.answer), " raised=", p.raised, " ",
                    TruthName(p.truth), " why ", EvidenceText(p.conditions),
                    " rules ", ListText(p.rule_ids), " unknown ",
                    ListText(p.unknown_paths), " error '", p.error, "'\n");
    for (const FindingOutcome& f : p.findings) {
      absl::StrAppend(&out, "  finding ", f.name, " '", f.title, "' cite='",
                      f.cite, "' ", TruthName(f.truth), " why ",
                      EvidenceText(f.conditions), " unknown ",
                      ListText(f.unknown_paths), " error '", f.error, "'\n");
    }
  }
  for (const ActionOutcome& x : a.actions) {
    absl::StrAppend(&out, ActionText("action", x));
  }
  for (const ActionOutcome& x : a.actions_to_consider) {
    absl::StrAppend(&out, ActionText("consider", x));
  }
  absl::StrAppend(&out, "flags ", ListText(a.flags), "\n");
  for (const RecordedCode& c : a.codes) {
    absl::StrAppend(&out, "code ", c.path, " ", c.code, " ", c.catalogue, " '",
                    c.description, "' '", c.source, "'\n");
  }
  for (const FiredRule& r : a.fired) {
    absl::StrAppend(&out, "fired ", r.id, " '", r.title, "' ", r.concern, " ",
                    r.score, " floor ", r.grade_floor, " cite='", r.cite, "' ",
                    EvidenceText(r.evidence), "\n");
  }
  for (const BlockedRule& r : a.blocked) {
    absl::StrAppend(&out, "blocked ", r.id, " '", r.title, "' ",
                    ListText(r.unknown_paths), "\n");
  }
  for (const ErroredRule& r : a.errored) {
    absl::StrAppend(&out, "errored ", r.id, " '", r.title, "' ", r.error, "\n");
  }
  return out;
}

// "line N: want / got" of the first line where `want` and `got` differ;
// empty when they are equal.
inline std::string FirstDifference(const std::string& want,
                                   const std::string& got) {
  if (want == got) return "";
  std::istringstream a(want), b(got);
  std::string la, lb;
  for (int line = 1;; ++line) {
    const bool more_a = static_cast<bool>(std::getline(a, la));
    const bool more_b = static_cast<bool>(std::getline(b, lb));
    if (!more_a && !more_b) return "texts differ";
    if (!more_a) la = "(end)";
    if (!more_b) lb = "(end)";
    if (la != lb) {
      return absl::StrCat("line ", line, ":\n  want: ", la, "\n  got:  ", lb);
    }
  }
}

}  // namespace lantern::testing

#endif  // LANTERN_TESTS_TESTING_ASSESSMENT_TEXT_H_
