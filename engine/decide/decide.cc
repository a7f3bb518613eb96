// Decide: the policy stage. Entry points: Decide, DecideWith. See decide.h
// for the algorithm; every figure in the Assessment names the rules that
// produced it.
#include "engine/decide/decide.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/match/policy_run.h"

namespace lantern {
namespace {

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%d%ET%H:%M:%E*SZ", t, absl::UTCTimeZone());
}

void CheckInForce(const RuleSet& ruleset, absl::Time as_of,
                  absl::Status* status) {
  const EffectivePeriod& period = ruleset.manifest.effective;
  if (period.Contains(as_of)) return;
  *status = absl::FailedPreconditionError(absl::StrCat(
      "ruleset ", ruleset.manifest.id, " version ", ruleset.manifest.version,
      " is not in force at ", Rfc3339(as_of), " (effective from ",
      Rfc3339(period.from),
      period.to.has_value() ? " to " + Rfc3339(*period.to) : "", ")"));
}

std::string LevelFor(const Policy& policy, const ConcernDef& concern,
                     int64_t score) {
  std::string level = policy.levels.empty() ? "" : policy.levels[0];
  for (const auto& [name, threshold] : concern.thresholds) {
    if (score >= threshold) level = name;
  }
  return level;
}

// The grade `total_score` gives by the bands, raised by `floors`.
int GradeRankFor(const Policy& policy, int64_t total_score,
                 const std::vector<const Rule*>& floors, std::string* band) {
  *band = policy.grades.empty() ? "" : policy.grades[0];
  for (const auto& [grade, threshold] : policy.grade_bands) {
    if (total_score >= threshold) *band = grade;
  }
  int rank = policy.GradeRank(*band);
  for (const Rule* r : floors) {
    if (!r->grade_floor.empty())
      rank = std::max(rank, policy.GradeRank(r->grade_floor));
  }
  return rank;
}

// The grade of the fired rules, and the highest grade the blocked ones could
// raise it to: an UNKNOWN rule may yet fire, so its positive score and its
// floor count towards the ceiling (a negative score could only lower it).
GradeOutcome GradeFor(const Policy& policy,
                      const std::vector<const Rule*>& fired,
                      const std::vector<const Rule*>& blocked) {
  GradeOutcome out;
  for (const Rule* r : fired) out.total_score += r->score;
  int rank = GradeRankFor(policy, out.total_score, fired, &out.band_grade);
  out.grade = rank >= 0 ? policy.grades[rank] : out.band_grade;
  for (const Rule* r : fired) {
    if (!r->grade_floor.empty() && r->grade_floor == out.grade &&
        out.grade != out.band_grade) {
      out.floor_rule_ids.push_back(r->id);
    }
  }
  int64_t ceiling_score = out.total_score;
  std::vector<const Rule*> all = fired;
  for (const Rule* r : blocked) {
    ceiling_score += std::max<int64_t>(r->score, 0);
    all.push_back(r);
  }
  std::string ceiling_band;
  int ceiling = GradeRankFor(policy, ceiling_score, all, &ceiling_band);
  out.highest_possible = ceiling >= 0 ? policy.grades[ceiling] : ceiling_band;
  if (ceiling > rank) {
    for (const Rule* r : blocked) {
      if (r->score > 0 || policy.GradeRank(r->grade_floor) > rank) {
        out.raising_rule_ids.push_back(r->id);
      }
    }
    std::sort(out.raising_rule_ids.begin(), out.raising_rule_ids.end());
  }
  return out;
}

// The fired() patterns and concern names a policy condition mentions.
void CollectPolicyRefs(const Expr& expr, std::vector<std::string>* patterns,
                       std::vector<std::string>* concerns) {
  if (expr.kind == ExprKind::kCall && !expr.args.empty() &&
      expr.args[0]->kind == ExprKind::kLiteral &&
      std::holds_alternative<std::string>(expr.args[0]->literal)) {
    const std::string& arg = std::get<std::string>(expr.args[0]->literal);
    if (expr.function == Function::kFired) patterns->push_back(arg);
    if (expr.function == Function::kConcernScore ||
        expr.function == Function::kConcernLevel) {
      concerns->push_back(arg);
    }
  }
  for (const auto& child : expr.args)
    CollectPolicyRefs(*child, patterns, concerns);
}

bool MatchesPattern(const std::string& id, const std::string& pattern) {
  if (absl::EndsWith(pattern, ".*")) {
    return absl::StartsWith(id, pattern.substr(0, pattern.size() - 1));
  }
  return id == pattern;
}

// A sum of rule scores that undecided rules may leave open: each blocked or
// errored rule's score may or may not count.
struct OpenSum {
  int64_t fired = 0, negative = 0, positive = 0;
  std::set<std::string> paths;  // of the blocked rules that leave it open
  std::string error;            // of the first errored one, by id
  std::string error_id;

  void AddOpen(const Rule& rule, const std::vector<std::string>* paths_or,
               const std::string* error_or) {
    if (rule.score == 0) return;
    (rule.score < 0 ? negative : positive) += rule.score;
    if (paths_or != nullptr) paths.insert(paths_or->begin(), paths_or->end());
    if (error_or != nullptr && (error_id.empty() || rule.id < error_id)) {
      error_id = rule.id;
      error = absl::StrCat("rule '", rule.id, "' failed: ", *error_or);
    }
  }
  PolicyBound Bound() const {
    PolicyBound b{fired + negative, fired + positive, {}, ""};
    if (!b.known()) {
      b.unknown_paths.assign(paths.begin(), paths.end());
      b.error = error;
    }
    return b;
  }
};

PolicyBound LevelBound(const Policy& policy, const ConcernDef& def,
                       const PolicyBound& score) {
  PolicyBound level = score;
  level.low = policy.LevelRank(LevelFor(policy, def, score.low));
  level.high = policy.LevelRank(LevelFor(policy, def, score.high));
  if (level.known()) level = PolicyBound::Known(level.low);
  return level;
}

// The policy functions' inputs: every rule the match did not find FALSE, and
// the bounds blocked and errored rules leave on scores and levels.
// REQUIRES: `a`'s fired/blocked/errored are `match`'s, in the same order.
PolicyInputs InputsFor(const RuleSet& ruleset, const MatchResult& match,
                       const Assessment& a) {
  const Policy& policy = ruleset.policy;
  PolicyInputs in;
  in.rules.reserve(match.fired.size() + match.blocked.size() +
                   match.errored.size());
  // By concern, as policy.concerns; the last one collects the rules of a
  // concern the policy does not define, which nothing reads.
  std::vector<OpenSum> sums(policy.concerns.size() + 1);
  auto sum_for = [&](const std::string& concern) -> OpenSum& {
    size_t k = 0;
    while (k < policy.concerns.size() && policy.concerns[k].name != concern) {
      ++k;
    }
    return sums[k];
  };
  OpenSum total;
  for (const RuleMatch& m : match.fired) {
    const Rule& r = ruleset.rules[m.rule];
    in.rules.push_back({r.id, Truth::kTrue, {}, ""});
    sum_for(r.concern).fired += r.score;
    total.fired += r.score;
  }
  for (size_t i = 0; i < match.blocked.size(); ++i) {
    const Rule& r = ruleset.rules[match.blocked[i].rule];
    const std::vector<std::string>& paths = a.blocked[i].unknown_paths;
    in.rules.push_back({r.id, Truth::kUnknown, paths, ""});
    sum_for(r.concern).AddOpen(r, &paths, nullptr);
    total.AddOpen(r, &paths, nullptr);
  }
  for (size_t i = 0; i < match.errored.size(); ++i) {
    const Rule& r = ruleset.rules[match.errored[i].rule];
    const std::string& error = a.errored[i].error;
    in.rules.push_back({r.id, Truth::kError, {}, error});
    sum_for(r.concern).AddOpen(r, nullptr, &error);
    total.AddOpen(r, nullptr, &error);
  }
  std::sort(
      in.rules.begin(), in.rules.end(),
      [](const PolicyRule& x, const PolicyRule& y) { return x.id < y.id; });
  for (size_t k = 0; k < policy.concerns.size(); ++k) {
    const ConcernDef& def = policy.concerns[k];
    PolicyInputs::Concern c;
    c.name = def.name;
    c.score = sums[k].Bound();
    c.level = LevelBound(policy, def, c.score);
    in.concerns.push_back(std::move(c));
  }
  in.total_score = total.Bound();
  return in;
}

FindingOutcome DecideFinding(PolicyEvaluator& evaluator, size_t prompt,
                             size_t finding, const PromptFinding& def,
                             const PolicyInputs& inputs) {
  FindingOutcome out;
  out.name = def.name;
  out.title = def.title;
  out.cite = def.cite;
  if (!def.when.has_value()) return out;
  ConditionResult result = evaluator.Finding(prompt, finding, inputs);
  out.truth = result.truth;
  out.conditions = std::move(result.reasons);
  out.unknown_paths = std::move(result.unknown_paths);
  out.error = std::move(result.error);
  return out;
}

PromptOutcome DecidePrompt(PolicyEvaluator& evaluator, size_t index,
                           const PromptDef& def, const PolicyInputs& inputs,
                           const Assessment& a) {
  PromptOutcome out;
  out.name = def.name;
  out.title = def.title;
  out.cite = def.cite;
  ConditionResult result = evaluator.Prompt(index, inputs);
  out.truth = result.truth;
  out.answer = PromptAnswerFor(result.truth);
  out.raised = out.answer == PromptAnswer::kRaise;
  out.conditions = std::move(result.reasons);
  out.unknown_paths = std::move(result.unknown_paths);
  out.error = std::move(result.error);
  for (size_t f = 0; f < def.findings.size(); ++f) {
    out.findings.push_back(
        DecideFinding(evaluator, index, f, def.findings[f], inputs));
  }
  // Fired rules are reasons only for a prompt that was raised: naming them
  // beside a prompt that was not would read as reasons for it.
  if (!out.raised) return out;
  std::vector<std::string> patterns, concerns;
  CollectPolicyRefs(*def.when.expr, &patterns, &concerns);
  for (const FiredRule& r : a.fired) {
    bool named = std::find(concerns.begin(), concerns.end(), r.concern) !=
                 concerns.end();
    for (const std::string& p : patterns)
      named = named || MatchesPattern(r.id, p);
    if (named) out.rule_ids.push_back(r.id);
  }
  return out;
}

// Raises concern levels by the policy's concern floors. Every floor reads
// the levels as the rules left them (`*inputs` before any floor); a TRUE
// floor raises the level, an UNKNOWN or ERROR one the highest possible
// level. The level bounds in `*inputs` are raised alike, so that the
// prompts read the floored levels: a TRUE floor lifts both ends, an
// undecided one the upper end, naming the facts the floor waits on.
void ApplyConcernFloors(const RuleSet& ruleset, PolicyEvaluator& evaluator,
                        PolicyInputs* inputs, Assessment* a) {
  const Policy& policy = ruleset.policy;
  if (policy.concern_floors.empty()) return;
  const PolicyInputs before = *inputs;
  for (size_t i = 0; i < policy.concern_floors.size(); ++i) {
    const ConcernFloor& floor = policy.concern_floors[i];
    ConditionResult result = evaluator.Floor(i, before);
    if (result.truth == Truth::kFalse) continue;
    const bool holds = result.truth == Truth::kTrue;
    const int rank = policy.LevelRank(floor.level);
    for (ConcernOutcome& c : a->concerns) {
      if (c.name != floor.concern) continue;
      if (policy.LevelRank(c.highest_possible_level) < rank) {
        c.highest_possible_level = floor.level;
      }
      if (holds && policy.LevelRank(c.level) < rank) {
        c.level = floor.level;
        c.floor_ids.push_back(floor.id);
      }
    }
    for (PolicyInputs::Concern& c : inputs->concerns) {
      if (c.name != floor.concern) continue;
      PolicyBound& level = c.level;
      if (holds) level.low = std::max<int64_t>(level.low, rank);
      if (level.high < rank) {
        level.high = rank;
        if (result.truth == Truth::kError && level.error.empty()) {
          level.error = result.error;
        }
        level.unknown_paths.insert(level.unknown_paths.end(),
                                   result.unknown_paths.begin(),
                                   result.unknown_paths.end());
        std::sort(level.unknown_paths.begin(), level.unknown_paths.end());
        level.unknown_paths.erase(
            std::unique(level.unknown_paths.begin(), level.unknown_paths.end()),
            level.unknown_paths.end());
      }
      if (level.low > level.high) level.high = level.low;
      if (level.known()) {
        level.unknown_paths.clear();
        level.error.clear();
      }
    }
  }
}

// Raises the grade by the grade floors of raised prompts ("prompt:<name>"
// among the floors), and the highest possible grade by those of prompts
// left UNKNOWN ("prompt:<name>" among the raising rules).
void ApplyPromptFloors(const RuleSet& ruleset, Assessment* a) {
  const Policy& policy = ruleset.policy;
  GradeOutcome& g = a->grade;
  for (size_t i = 0; i < a->prompts.size(); ++i) {
    const PromptDef& def = policy.prompts[i];
    const Truth truth = a->prompts[i].truth;
    if (def.grade_floor.empty() || truth == Truth::kFalse) continue;
    const int rank = policy.GradeRank(def.grade_floor);
    const std::string id = absl::StrCat("prompt:", def.name);
    if (truth == Truth::kTrue && policy.GradeRank(g.grade) < rank) {
      g.grade = def.grade_floor;
      g.floor_rule_ids.clear();  // a floor below the new grade did not apply
    }
    if (truth == Truth::kTrue && g.grade == def.grade_floor &&
        g.grade != g.band_grade) {
      g.floor_rule_ids.push_back(id);
    }
    if (truth != Truth::kTrue && policy.GradeRank(g.grade) < rank) {
      if (policy.GradeRank(g.highest_possible) < rank) {
        g.highest_possible = def.grade_floor;
      }
      g.raising_rule_ids.push_back(id);
    }
  }
  if (policy.GradeRank(g.highest_possible) < policy.GradeRank(g.grade)) {
    g.highest_possible = g.grade;
  }
  if (g.highest_possible == g.grade) {
    g.raising_rule_ids.clear();
  } else {
    std::sort(g.raising_rule_ids.begin(), g.raising_rule_ids.end());
  }
}

void ComputeDue(const RuleSet& ruleset, PolicyEvaluator& evaluator,
                const ActionDef& def, const PolicyInputs& inputs,
                absl::Time as_of, ActionOutcome* out) {
  if (!def.due.has_value()) return;
  ValueResult due = evaluator.Due(
      static_cast<size_t>(&def - ruleset.policy.actions.data()), inputs);
  if (due.truth == Truth::kTrue &&
      std::holds_alternative<absl::Time>(due.value)) {
    out->due_by = std::get<absl::Time>(due.value);
    out->overdue = as_of > *out->due_by;
  } else if (due.truth == Truth::kError) {
    out->due_error = due.error;
  } else {
    out->due_unknown_paths = std::move(due.unknown_paths);
  }
}

// An action's triggers: TRUE ones, and undecided ones with the facts that
// would settle them.
struct ActionTriggers {
  std::vector<std::string> known, open;
  std::set<std::string> paths;
};

// Every action's triggers, by code: fired rules and raised prompts TRUE;
// blocked and errored rules and kConsider prompts undecided.
// REQUIRES: `a`'s blocked rules are `match`'s, in the same order; its
// prompts are decided, in policy order.
std::map<std::string, ActionTriggers> CollectTriggers(const RuleSet& ruleset,
                                                      const MatchResult& match,
                                                      const Assessment* a) {
  std::map<std::string, ActionTriggers> triggers;
  for (const RuleMatch& m : match.fired) {
    const Rule& rule = ruleset.rules[m.rule];
    for (const std::string& code : rule.actions) {
      triggers[code].known.push_back(rule.id);
    }
  }
  for (size_t i = 0; i < match.blocked.size(); ++i) {
    const Rule& rule = ruleset.rules[match.blocked[i].rule];
    for (const std::string& code : rule.actions) {
      ActionTriggers& t = triggers[code];
      t.open.push_back(rule.id);
      t.paths.insert(a->blocked[i].unknown_paths.begin(),
                     a->blocked[i].unknown_paths.end());
    }
  }
  for (const RuleMatch& m : match.errored) {
    const Rule& rule = ruleset.rules[m.rule];
    for (const std::string& code : rule.actions) {
      triggers[code].open.push_back(rule.id);
    }
  }
  for (size_t i = 0; i < a->prompts.size(); ++i) {
    const PromptOutcome& p = a->prompts[i];
    if (p.answer == PromptAnswer::kNotRaised) continue;
    // a->prompts is in policy order, one per PromptDef.
    for (const std::string& code : ruleset.policy.prompts[i].actions) {
      ActionTriggers& t = triggers[code];
      if (p.answer == PromptAnswer::kRaise) {
        t.known.push_back(absl::StrCat("prompt:", p.name));
      } else {
        t.open.push_back(absl::StrCat("prompt:", p.name));
        t.paths.insert(p.unknown_paths.begin(), p.unknown_paths.end());
      }
    }
  }
  return triggers;
}

// Fills a.actions and a.actions_to_consider (see decide.h).
void DecideActions(const RuleSet& ruleset, PolicyEvaluator& evaluator,
                   const PolicyInputs& inputs, absl::Time as_of,
                   const MatchResult& match, Assessment* a) {
  for (auto& [code, t] : CollectTriggers(ruleset, match, a)) {
    const ActionDef* def = ruleset.policy.FindAction(code);
    ActionOutcome action;
    action.code = code;
    action.title = def->title;
    action.owner = def->owner;
    action.cite = def->cite;
    ComputeDue(ruleset, evaluator, *def, inputs, as_of, &action);
    if (!t.known.empty()) {
      action.triggered_by = std::move(t.known);
      a->actions.push_back(std::move(action));
    } else {
      action.triggered_by = std::move(t.open);
      action.unknown_paths.assign(t.paths.begin(), t.paths.end());
      a->actions_to_consider.push_back(std::move(action));
    }
  }
}

// Moves the evidence, paths and errors out of `match` (its rule indices
// stay).
void MoveMatch(const RuleSet& ruleset, MatchResult* match, Assessment* a) {
  a->fired.reserve(match->fired.size());
  for (RuleMatch& m : match->fired) {
    const Rule& r = ruleset.rules[m.rule];
    a->fired.push_back({r.id, r.title, r.concern, r.cite, r.grade_floor,
                        r.score, std::move(m.evidence)});
  }
  a->blocked.reserve(match->blocked.size());
  for (RuleMatch& m : match->blocked) {
    const Rule& r = ruleset.rules[m.rule];
    a->blocked.push_back({r.id, r.title, std::move(m.unknown_paths)});
  }
  for (RuleMatch& m : match->errored) {
    const Rule& r = ruleset.rules[m.rule];
    a->errored.push_back({r.id, r.title, std::move(m.error)});
  }
  std::set<std::string> flags;
  for (const RuleMatch& m : match->fired) {
    for (const std::string& f : ruleset.rules[m.rule].flags) flags.insert(f);
  }
  a->flags.assign(flags.begin(), flags.end());
}

}  // namespace

const char* PromptAnswerName(PromptAnswer answer) {
  switch (answer) {
    case PromptAnswer::kRaise:
      return "raise";
    case PromptAnswer::kConsider:
      return "consider";
    case PromptAnswer::kNotRaised:
      break;
  }
  return "not_raised";
}

PromptAnswer PromptAnswerFor(Truth truth) {
  switch (truth) {
    case Truth::kTrue:
      return PromptAnswer::kRaise;
    case Truth::kFalse:
      return PromptAnswer::kNotRaised;
    case Truth::kUnknown:
    case Truth::kError:
      break;
  }
  return PromptAnswer::kConsider;
}

absl::StatusOr<Assessment> DecideWith(const RuleSet& ruleset,
                                      const FactRecord& facts,
                                      MatchResult match, absl::Time as_of,
                                      PolicyEvaluator& evaluator,
                                      std::vector<RecordedCode>* codes) {
  absl::Status status;
  CheckInForce(ruleset, as_of, &status);
  if (!status.ok()) return status;
  Assessment a;
  a.ruleset_id = ruleset.manifest.id;
  a.ruleset_version = ruleset.manifest.version;
  a.as_of = as_of;
  MoveMatch(ruleset, &match, &a);
  const Policy& policy = ruleset.policy;
  std::vector<const Rule*> fired, blocked;
  for (const RuleMatch& m : match.fired)
    fired.push_back(&ruleset.rules[m.rule]);
  for (const RuleMatch& m : match.blocked) {
    blocked.push_back(&ruleset.rules[m.rule]);
  }
  for (const ConcernDef& def : policy.concerns) {
    ConcernOutcome c;
    c.name = def.name;
    for (const FiredRule& r : a.fired) {
      if (r.concern != def.name) continue;
      c.score += r.score;
      c.rule_ids.push_back(r.id);
    }
    c.level = LevelFor(policy, def, c.score);
    int64_t ceiling = c.score;
    for (const Rule* r : blocked) {
      if (r->concern == def.name) ceiling += std::max<int64_t>(r->score, 0);
    }
    c.highest_possible_level = LevelFor(policy, def, ceiling);
    if (c.highest_possible_level != c.level) {
      for (const Rule* r : blocked) {
        if (r->concern == def.name && r->score > 0) {
          c.raising_rule_ids.push_back(r->id);
        }
      }
      std::sort(c.raising_rule_ids.begin(), c.raising_rule_ids.end());
    }
    a.concerns.push_back(std::move(c));
  }
  a.grade = GradeFor(policy, fired, blocked);
  PolicyInputs inputs = InputsFor(ruleset, match, a);
  ApplyConcernFloors(ruleset, evaluator, &inputs, &a);
  a.prompts.reserve(policy.prompts.size());
  for (size_t i = 0; i < policy.prompts.size(); ++i) {
    a.prompts.push_back(
        DecidePrompt(evaluator, i, policy.prompts[i], inputs, a));
  }
  ApplyPromptFloors(ruleset, &a);
  DecideActions(ruleset, evaluator, inputs, as_of, match, &a);
  a.codes = codes != nullptr ? std::move(*codes)
                             : ScanCatalogueCodes(ruleset, facts).known;
  return a;
}

namespace {

// The compiled policy (CompiledRuleSet::policy) run by the atom VM.
class CompiledPolicyEvaluator : public PolicyEvaluator {
 public:
  CompiledPolicyEvaluator(const CompiledRuleSet& program,
                          const FactRecord& facts, absl::Time as_of,
                          bool readings)
      : policy_(program.policy),
        run_(program, facts, as_of),
        readings_(readings) {}

  // A floor's reasons are not read (ApplyConcernFloors): none are made.
  ConditionResult Floor(size_t floor, const PolicyInputs& inputs) override {
    return run_.Evaluate(policy_.concern_floors[floor], inputs,
                         /*readings=*/false);
  }
  ConditionResult Prompt(size_t prompt, const PolicyInputs& inputs) override {
    return run_.Evaluate(policy_.prompts[prompt], inputs, readings_);
  }
  ConditionResult Finding(size_t prompt, size_t finding,
                          const PolicyInputs& inputs) override {
    return run_.Evaluate(policy_.findings[prompt][finding], inputs, readings_);
  }
  ValueResult Due(size_t action, const PolicyInputs& inputs) override {
    return run_.EvaluateValue(policy_.due[action], inputs);
  }

 private:
  const CompiledPolicy& policy_;
  PolicyRun run_;
  const bool readings_;
};

}  // namespace

absl::StatusOr<Assessment> Decide(const CompiledRuleSet& program,
                                  const FactRecord& facts, MatchResult match,
                                  absl::Time as_of,
                                  std::vector<RecordedCode>* codes,
                                  AssessDetail detail) {
  CompiledPolicyEvaluator evaluator(program, facts, as_of,
                                    detail.policy_evidence);
  return DecideWith(*program.ruleset, facts, std::move(match), as_of, evaluator,
                    codes);
}

}  // namespace lantern
