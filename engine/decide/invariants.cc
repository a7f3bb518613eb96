// Invariants: entry points AnswerInputs, CheckInvariants, DescribeOutcome.
// Each invariant's premise and conclusion are compiled conditions
// (CompiledPolicy::invariant_when / invariant_holds), run by one PolicyRun
// and combined as Kleene `!when || holds`, so the premise's own truth can be
// reported too.
#include "engine/decide/invariants.h"

#include <algorithm>
#include <iterator>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/match/policy_run.h"

namespace lantern {
namespace {

Truth Not(Truth t) {
  if (t == Truth::kTrue) return Truth::kFalse;
  if (t == Truth::kFalse) return Truth::kTrue;
  return t;
}

// Kleene ||, ERROR outranking UNKNOWN (doc/language.md).
Truth Or(Truth a, Truth b) {
  if (a == Truth::kTrue || b == Truth::kTrue) return Truth::kTrue;
  if (a == Truth::kError || b == Truth::kError) return Truth::kError;
  if (a == Truth::kUnknown || b == Truth::kUnknown) return Truth::kUnknown;
  return Truth::kFalse;
}

// The answer's rank in kPromptAnswers.
int64_t PromptRank(PromptAnswer answer) {
  switch (answer) {
    case PromptAnswer::kRaise:
      return 2;
    case PromptAnswer::kConsider:
      return 1;
    case PromptAnswer::kNotRaised:
      return 0;
  }
  return 0;
}

void Append(ConditionResult* from, InvariantOutcome* out) {
  for (AtomEvidence& e : from->reasons) out->reasons.push_back(std::move(e));
  for (std::string& p : from->unknown_paths) {
    out->unknown_paths.push_back(std::move(p));
  }
  if (out->error.empty()) out->error = std::move(from->error);
}

InvariantOutcome CheckOne(PolicyRun& run, const Invariant& inv,
                          const PolicyCondition& when_code,
                          const PolicyCondition& holds_code) {
  InvariantOutcome out;
  out.invariant = &inv;
  ConditionResult when;
  when.truth = Truth::kTrue;
  if (inv.when.has_value()) when = run.Evaluate(when_code);
  out.premise = when.truth == Truth::kTrue;
  if (when.truth == Truth::kFalse) {
    out.truth = Truth::kTrue;  // vacuous: the premise's reasons say why
    Append(&when, &out);
    return out;
  }
  ConditionResult holds = run.Evaluate(holds_code);
  out.truth = Or(Not(when.truth), holds.truth);
  if (holds.truth == Truth::kTrue) {
    Append(&holds, &out);
    return out;
  }
  // Both parts decide it: the premise (TRUE, UNKNOWN or ERROR) and the
  // conclusion (FALSE, UNKNOWN or ERROR).
  Append(&when, &out);
  Append(&holds, &out);
  std::set<std::string> paths(out.unknown_paths.begin(),
                              out.unknown_paths.end());
  out.unknown_paths.assign(paths.begin(), paths.end());
  if (out.truth != Truth::kUnknown) out.unknown_paths.clear();
  if (out.truth != Truth::kError) out.error.clear();
  return out;
}

}  // namespace

PolicyInputs AnswerInputs(const RuleSet& ruleset, const Assessment& a) {
  // The first stage as the answer records it (three-valued, as in Decide),
  // and the final scores and levels, floors applied: known values.
  PolicyInputs in;
  for (const FiredRule& r : a.fired) {
    in.rules.push_back({r.id, Truth::kTrue, {}, ""});
  }
  for (const BlockedRule& r : a.blocked) {
    in.rules.push_back({r.id, Truth::kUnknown, r.unknown_paths, ""});
  }
  for (const ErroredRule& r : a.errored) {
    in.rules.push_back({r.id, Truth::kError, {}, r.error});
  }
  std::sort(
      in.rules.begin(), in.rules.end(),
      [](const PolicyRule& x, const PolicyRule& y) { return x.id < y.id; });
  for (const ConcernOutcome& c : a.concerns) {
    PolicyInputs::Concern concern;
    concern.name = c.name;
    concern.score = PolicyBound::Known(c.score);
    concern.level = PolicyBound::Known(ruleset.policy.LevelRank(c.level));
    in.concerns.push_back(std::move(concern));
  }
  in.total_score = PolicyBound::Known(a.grade.total_score);
  PolicyInputs::Answer answer;
  answer.grade = ruleset.policy.GradeRank(a.grade.grade);
  answer.grade_name = a.grade.grade;
  for (const PromptOutcome& p : a.prompts) {
    answer.prompts.emplace_back(p.name, PromptRank(p.answer));
  }
  for (const ActionOutcome& action : a.actions) {
    answer.actions.push_back(action.code);
  }
  std::sort(answer.actions.begin(), answer.actions.end());
  in.answer = std::move(answer);
  return in;
}

std::vector<InvariantOutcome> CheckInvariants(const CompiledRuleSet& program,
                                              const FactRecord& facts,
                                              const Assessment& answer) {
  std::vector<InvariantOutcome> out;
  const RuleSet& ruleset = *program.ruleset;
  if (ruleset.invariants.empty()) return out;
  const PolicyInputs inputs = AnswerInputs(ruleset, answer);
  PolicyRun run(program, facts, answer.as_of);
  run.SetInputs(inputs);
  out.reserve(ruleset.invariants.size());
  for (size_t i = 0; i < ruleset.invariants.size(); ++i) {
    out.push_back(CheckOne(run, ruleset.invariants[i],
                           program.policy.invariant_when[i],
                           program.policy.invariant_holds[i]));
  }
  return out;
}

std::string DescribeOutcome(const InvariantOutcome& outcome) {
  std::vector<std::string> atoms;
  for (const AtomEvidence& e : outcome.reasons) {
    std::vector<std::string> readings;
    for (const FactReading& r : e.readings) {
      readings.push_back(absl::StrCat(r.path, "=", r.value));
    }
    atoms.push_back(absl::StrCat(e.condition, " is ", TruthName(e.truth), " [",
                                 absl::StrJoin(readings, ", "), "]"));
  }
  std::string text = absl::StrJoin(atoms, "; ");
  if (outcome.truth == Truth::kUnknown) {
    absl::StrAppend(&text,
                    "; unknown: ", absl::StrJoin(outcome.unknown_paths, ", "));
  }
  if (outcome.truth == Truth::kError) {
    absl::StrAppend(&text, "; error: ", outcome.error);
  }
  return text;
}

}  // namespace lantern
