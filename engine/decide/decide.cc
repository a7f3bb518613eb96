// Decide: the policy stage. Entry points: Decide, DecideWith. See decide.h
// for the algorithm; every figure in the Assessment names the rules that
// produced it.
#include "engine/decide/decide.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/match/policy_run.h"
#include "engine/match/policy_tables.h"

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

const std::string& LevelFor(const Policy& policy, const ConcernDef& concern,
                            int64_t score) {
  static const std::string* const kNone = new std::string();
  const std::string* level = policy.levels.empty() ? kNone : &policy.levels[0];
  for (const auto& [name, threshold] : concern.thresholds) {
    if (score >= threshold) level = &name;
  }
  return *level;
}

// Sorts `strings` by value and drops repeats; they stay where they are.
void SortUnique(std::vector<const std::string*>* strings) {
  const auto less = [](const std::string* x, const std::string* y) {
    return *x < *y;
  };
  const auto same = [](const std::string* x, const std::string* y) {
    return *x == *y;
  };
  std::sort(strings->begin(), strings->end(), less);
  strings->erase(std::unique(strings->begin(), strings->end(), same),
                 strings->end());
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

// A sum of rule scores that undecided rules may leave open: each blocked or
// errored rule's score may or may not count.
struct OpenSum {
  int64_t fired = 0, negative = 0, positive = 0;
  // Of the blocked rules that leave it open (owned by the Assessment).
  std::vector<const std::string*> paths;
  const Rule* error_rule = nullptr;  // the first errored one, by id
  const std::string* error = nullptr;

  void AddOpen(const Rule& rule, const std::vector<std::string>* paths_or,
               const std::string* error_or) {
    if (rule.score == 0) return;
    (rule.score < 0 ? negative : positive) += rule.score;
    if (paths_or != nullptr) {
      for (const std::string& p : *paths_or) paths.push_back(&p);
    }
    if (error_or != nullptr &&
        (error_rule == nullptr || rule.id < error_rule->id)) {
      error_rule = &rule;
      error = error_or;
    }
  }
  PolicyBound Bound() {
    PolicyBound b{fired + negative, fired + positive, {}, ""};
    if (!b.known()) {
      SortUnique(&paths);
      b.unknown_paths.reserve(paths.size());
      for (const std::string* p : paths) b.unknown_paths.push_back(*p);
      if (error_rule != nullptr) {
        b.error = absl::StrCat("rule '", error_rule->id, "' failed: ", *error);
      }
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

// The policy functions' inputs: every rule the match did not find FALSE (by
// id, viewing the ids, paths and errors the ruleset and `a` hold), and the
// bounds blocked and errored rules leave on scores and levels.
// REQUIRES: `a`'s fired/blocked/errored are `match`'s, in the same order,
// and outlive the inputs unchanged.
PolicyInputs InputsFor(const RuleSet& ruleset, const PolicyTables& tables,
                       const MatchResult& match, const Assessment& a) {
  const Policy& policy = ruleset.policy;
  std::vector<std::pair<int32_t, PolicyRule>> rules;
  rules.reserve(match.fired.size() + match.blocked.size() +
                match.errored.size());
  // By concern, as policy.concerns; the last one collects the rules of a
  // concern the policy does not define, which nothing reads.
  std::vector<OpenSum> sums(policy.concerns.size() + 1);
  const auto sum_for = [&](int32_t rule) -> OpenSum& {
    const int32_t k = tables.rule_concern[rule];
    return sums[k < 0 ? policy.concerns.size() : k];
  };
  OpenSum total;
  for (const RuleMatch& m : match.fired) {
    const Rule& r = ruleset.rules[m.rule];
    rules.push_back(
        {tables.rule_id_rank[m.rule], {r.id, Truth::kTrue, {}, {}}});
    sum_for(m.rule).fired += r.score;
    total.fired += r.score;
  }
  for (size_t i = 0; i < match.blocked.size(); ++i) {
    const int32_t rule = match.blocked[i].rule;
    const Rule& r = ruleset.rules[rule];
    const std::vector<std::string>& paths = a.blocked[i].unknown_paths;
    rules.push_back(
        {tables.rule_id_rank[rule], {r.id, Truth::kUnknown, paths, {}}});
    sum_for(rule).AddOpen(r, &paths, nullptr);
    total.AddOpen(r, &paths, nullptr);
  }
  for (size_t i = 0; i < match.errored.size(); ++i) {
    const int32_t rule = match.errored[i].rule;
    const Rule& r = ruleset.rules[rule];
    const std::string& error = a.errored[i].error;
    rules.push_back(
        {tables.rule_id_rank[rule], {r.id, Truth::kError, {}, error}});
    sum_for(rule).AddOpen(r, nullptr, &error);
    total.AddOpen(r, nullptr, &error);
  }
  std::sort(rules.begin(), rules.end(),
            [](const auto& x, const auto& y) { return x.first < y.first; });
  PolicyInputs in;
  in.rules.reserve(rules.size());
  for (const auto& [rank, rule] : rules) in.rules.push_back(rule);
  in.concerns.reserve(policy.concerns.size());
  for (size_t k = 0; k < policy.concerns.size(); ++k) {
    const ConcernDef& def = policy.concerns[k];
    PolicyInputs::Concern& c = in.concerns.emplace_back();
    c.name = def.name;
    c.score = sums[k].Bound();
    c.level = LevelBound(policy, def, c.score);
  }
  in.total_score = total.Bound();
  return in;
}

// The concerns' scores and levels from the fired rules, and how high the
// blocked ones could raise each.
void DecideConcerns(const RuleSet& ruleset, const PolicyTables& tables,
                    const MatchResult& match, Assessment* a) {
  const Policy& policy = ruleset.policy;
  const size_t n = policy.concerns.size();
  a->concerns.resize(n);
  std::vector<int64_t> ceiling(n, 0);
  for (size_t i = 0; i < match.fired.size(); ++i) {
    const int32_t k = tables.rule_concern[match.fired[i].rule];
    if (k < 0) continue;
    a->concerns[k].score += a->fired[i].score;
    a->concerns[k].rule_ids.push_back(a->fired[i].id);
  }
  for (const RuleMatch& m : match.blocked) {
    const int32_t k = tables.rule_concern[m.rule];
    if (k >= 0) ceiling[k] += std::max<int64_t>(ruleset.rules[m.rule].score, 0);
  }
  for (size_t k = 0; k < n; ++k) {
    const ConcernDef& def = policy.concerns[k];
    ConcernOutcome& c = a->concerns[k];
    c.name = def.name;
    c.level = LevelFor(policy, def, c.score);
    c.highest_possible_level = LevelFor(policy, def, c.score + ceiling[k]);
    if (c.highest_possible_level == c.level) continue;
    std::vector<std::pair<int32_t, const std::string*>> raising;
    for (const RuleMatch& m : match.blocked) {
      const Rule& r = ruleset.rules[m.rule];
      if (tables.rule_concern[m.rule] == static_cast<int32_t>(k) &&
          r.score > 0) {
        raising.push_back({tables.rule_id_rank[m.rule], &r.id});
      }
    }
    std::sort(raising.begin(), raising.end());
    for (const auto& [rank, id] : raising) c.raising_rule_ids.push_back(*id);
  }
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
                           const PromptDef& def, const PolicyTables& tables,
                           const PolicyInputs& inputs, const MatchResult& match,
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
  out.findings.reserve(def.findings.size());
  for (size_t f = 0; f < def.findings.size(); ++f) {
    out.findings.push_back(
        DecideFinding(evaluator, index, f, def.findings[f], inputs));
  }
  // Fired rules are reasons only for a prompt that was raised: naming them
  // beside a prompt that was not would read as reasons for it.
  if (!out.raised) return out;
  const std::vector<bool>& names = tables.prompt_names_rule[index];
  for (size_t i = 0; i < match.fired.size(); ++i) {
    if (names[match.fired[i].rule]) out.rule_ids.push_back(a.fired[i].id);
  }
  return out;
}

// Raises concern levels by the policy's concern floors. Every floor reads
// the levels as the rules left them: all are evaluated before any applies.
// A TRUE floor raises the level, an UNKNOWN or ERROR one the highest
// possible level. The level bounds in `*inputs` are raised alike, so that
// the prompts read the floored levels: a TRUE floor lifts both ends, an
// undecided one the upper end, naming the facts the floor waits on.
void ApplyConcernFloors(const RuleSet& ruleset, const PolicyTables& tables,
                        PolicyEvaluator& evaluator, PolicyInputs* inputs,
                        Assessment* a) {
  const Policy& policy = ruleset.policy;
  if (policy.concern_floors.empty()) return;
  std::vector<ConditionResult> results;
  results.reserve(policy.concern_floors.size());
  for (size_t i = 0; i < policy.concern_floors.size(); ++i) {
    results.push_back(evaluator.Floor(i, *inputs));
  }
  bool raised = false;
  for (size_t i = 0; i < policy.concern_floors.size(); ++i) {
    const ConcernFloor& floor = policy.concern_floors[i];
    const ConditionResult& result = results[i];
    const int32_t k = tables.floor_concern[i];
    if (result.truth == Truth::kFalse || k < 0) continue;
    const bool holds = result.truth == Truth::kTrue;
    const int rank = tables.floor_level[i];
    ConcernOutcome& c = a->concerns[k];
    if (policy.LevelRank(c.highest_possible_level) < rank) {
      c.highest_possible_level = floor.level;
    }
    if (holds && policy.LevelRank(c.level) < rank) {
      c.level = floor.level;
      c.floor_ids.push_back(floor.id);
    }
    PolicyBound& level = inputs->concerns[k].level;
    if (holds && level.low < rank) {
      level.low = rank;
      raised = true;
    }
    if (level.high < rank) {
      level.high = rank;
      raised = true;
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
  if (raised) evaluator.ConcernLevelsRaised();
}

// Raises the grade by the grade floors of raised prompts ("prompt:<name>"
// among the floors), and the highest possible grade by those of prompts
// left UNKNOWN ("prompt:<name>" among the raising rules).
void ApplyPromptFloors(const RuleSet& ruleset, const PolicyTables& tables,
                       Assessment* a) {
  const Policy& policy = ruleset.policy;
  GradeOutcome& g = a->grade;
  for (size_t i = 0; i < a->prompts.size(); ++i) {
    const PromptDef& def = policy.prompts[i];
    const Truth truth = a->prompts[i].truth;
    if (def.grade_floor.empty() || truth == Truth::kFalse) continue;
    const int rank = tables.prompt_grade_floor[i];
    const std::string& id = tables.prompt_ids[i];
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

void ComputeDue(PolicyEvaluator& evaluator, size_t action_index,
                const ActionDef& def, const PolicyInputs& inputs,
                absl::Time as_of, ActionOutcome* out) {
  if (!def.due.has_value()) return;
  ValueResult due = evaluator.Due(action_index, inputs);
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
// would settle them (viewing the strings of the ruleset, the tables and the
// Assessment).
struct ActionTriggers {
  std::vector<const std::string*> known, open, paths;
};

// Every action's triggers, by code rank: fired rules and raised prompts
// TRUE; blocked and errored rules and kConsider prompts undecided.
// REQUIRES: `a`'s blocked rules are `match`'s, in the same order; its
// prompts are decided, in policy order.
std::vector<ActionTriggers> CollectTriggers(const RuleSet& ruleset,
                                            const PolicyTables& tables,
                                            const MatchResult& match,
                                            const Assessment& a) {
  std::vector<ActionTriggers> triggers(ruleset.policy.actions.size());
  for (const RuleMatch& m : match.fired) {
    for (int32_t code : tables.rule_actions[m.rule]) {
      triggers[code].known.push_back(&ruleset.rules[m.rule].id);
    }
  }
  for (size_t i = 0; i < match.blocked.size(); ++i) {
    const int32_t rule = match.blocked[i].rule;
    for (int32_t code : tables.rule_actions[rule]) {
      ActionTriggers& t = triggers[code];
      t.open.push_back(&ruleset.rules[rule].id);
      for (const std::string& p : a.blocked[i].unknown_paths) {
        t.paths.push_back(&p);
      }
    }
  }
  for (const RuleMatch& m : match.errored) {
    for (int32_t code : tables.rule_actions[m.rule]) {
      triggers[code].open.push_back(&ruleset.rules[m.rule].id);
    }
  }
  for (size_t i = 0; i < a.prompts.size(); ++i) {
    const PromptOutcome& p = a.prompts[i];
    if (p.answer == PromptAnswer::kNotRaised) continue;
    // a.prompts is in policy order, one per PromptDef.
    for (int32_t code : tables.prompt_actions[i]) {
      ActionTriggers& t = triggers[code];
      if (p.answer == PromptAnswer::kRaise) {
        t.known.push_back(&tables.prompt_ids[i]);
      } else {
        t.open.push_back(&tables.prompt_ids[i]);
        for (const std::string& path : p.unknown_paths)
          t.paths.push_back(&path);
      }
    }
  }
  return triggers;
}

// Fills a.actions and a.actions_to_consider (see decide.h), by code.
void DecideActions(const RuleSet& ruleset, const PolicyTables& tables,
                   PolicyEvaluator& evaluator, const PolicyInputs& inputs,
                   absl::Time as_of, const MatchResult& match, Assessment* a) {
  std::vector<ActionTriggers> triggers =
      CollectTriggers(ruleset, tables, match, *a);
  for (size_t rank = 0; rank < triggers.size(); ++rank) {
    ActionTriggers& t = triggers[rank];
    if (t.known.empty() && t.open.empty()) continue;
    const size_t index = tables.action_by_code_rank[rank];
    const ActionDef& def = ruleset.policy.actions[index];
    ActionOutcome action;
    action.code = def.code;
    action.title = def.title;
    action.owner = def.owner;
    action.cite = def.cite;
    ComputeDue(evaluator, index, def, inputs, as_of, &action);
    const bool known = !t.known.empty();
    const std::vector<const std::string*>& by = known ? t.known : t.open;
    action.triggered_by.reserve(by.size());
    for (const std::string* id : by) action.triggered_by.push_back(*id);
    if (known) {
      a->actions.push_back(std::move(action));
    } else {
      SortUnique(&t.paths);
      action.unknown_paths.reserve(t.paths.size());
      for (const std::string* p : t.paths) action.unknown_paths.push_back(*p);
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
  a->errored.reserve(match->errored.size());
  for (RuleMatch& m : match->errored) {
    const Rule& r = ruleset.rules[m.rule];
    a->errored.push_back({r.id, r.title, std::move(m.error)});
  }
  std::vector<const std::string*> flags;
  for (const RuleMatch& m : match->fired) {
    for (const std::string& f : ruleset.rules[m.rule].flags) {
      flags.push_back(&f);
    }
  }
  SortUnique(&flags);
  a->flags.reserve(flags.size());
  for (const std::string* f : flags) a->flags.push_back(*f);
}

// The policy stage with the policy's tables (see DecideWith).
absl::StatusOr<Assessment> DecideWithTables(const RuleSet& ruleset,
                                            const PolicyTables& tables,
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
  fired.reserve(match.fired.size());
  for (const RuleMatch& m : match.fired)
    fired.push_back(&ruleset.rules[m.rule]);
  blocked.reserve(match.blocked.size());
  for (const RuleMatch& m : match.blocked) {
    blocked.push_back(&ruleset.rules[m.rule]);
  }
  DecideConcerns(ruleset, tables, match, &a);
  a.grade = GradeFor(policy, fired, blocked);
  PolicyInputs inputs = InputsFor(ruleset, tables, match, a);
  ApplyConcernFloors(ruleset, tables, evaluator, &inputs, &a);
  a.prompts.reserve(policy.prompts.size());
  for (size_t i = 0; i < policy.prompts.size(); ++i) {
    a.prompts.push_back(DecidePrompt(evaluator, i, policy.prompts[i], tables,
                                     inputs, match, a));
  }
  ApplyPromptFloors(ruleset, tables, &a);
  DecideActions(ruleset, tables, evaluator, inputs, as_of, match, &a);
  a.codes = codes != nullptr ? std::move(*codes)
                             : ScanCatalogueCodes(ruleset, facts).known;
  return a;
}

// The compiled policy (CompiledRuleSet::policy) run by the atom VM, atom
// results shared by the conditions of one request (PolicyRun).
class CompiledPolicyEvaluator : public PolicyEvaluator {
 public:
  CompiledPolicyEvaluator(const CompiledRuleSet& program,
                          const FactRecord& facts, absl::Time as_of,
                          bool readings)
      : policy_(program.policy),
        run_(program, facts, as_of),
        readings_(readings) {}

  void ConcernLevelsRaised() override { run_.LevelsChanged(); }
  // A floor's reasons are not read (ApplyConcernFloors): none are made.
  ConditionResult Floor(size_t floor, const PolicyInputs& inputs) override {
    Use(inputs);
    return run_.Evaluate(policy_.concern_floors[floor], /*readings=*/false);
  }
  ConditionResult Prompt(size_t prompt, const PolicyInputs& inputs) override {
    Use(inputs);
    return run_.Evaluate(policy_.prompts[prompt], readings_);
  }
  ConditionResult Finding(size_t prompt, size_t finding,
                          const PolicyInputs& inputs) override {
    Use(inputs);
    return run_.Evaluate(policy_.findings[prompt][finding], readings_);
  }
  ValueResult Due(size_t action, const PolicyInputs& inputs) override {
    Use(inputs);
    return run_.EvaluateValue(policy_.due[action]);
  }

 private:
  // DecideWith passes one inputs object (PolicyEvaluator); another one
  // starts afresh.
  void Use(const PolicyInputs& inputs) {
    if (run_.inputs() != &inputs) run_.SetInputs(inputs);
  }

  const CompiledPolicy& policy_;
  PolicyRun run_;
  const bool readings_;
};

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
  absl::StatusOr<PolicyTables> tables = BuildPolicyTables(ruleset);
  if (!tables.ok()) return tables.status();
  return DecideWithTables(ruleset, *tables, facts, std::move(match), as_of,
                          evaluator, codes);
}

absl::StatusOr<Assessment> Decide(const CompiledRuleSet& program,
                                  const FactRecord& facts, MatchResult match,
                                  absl::Time as_of,
                                  std::vector<RecordedCode>* codes,
                                  AssessDetail detail) {
  CompiledPolicyEvaluator evaluator(program, facts, as_of,
                                    detail.policy_evidence);
  return DecideWithTables(*program.ruleset, program.policy.tables, facts,
                          std::move(match), as_of, evaluator, codes);
}

}  // namespace lantern
