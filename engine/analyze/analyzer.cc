// Analyzer: entry points AnalyzeRuleSet, DiffRuleSets, FormatReport and
// FormatDiff (analyzer.h).
// The rules are encoded once; each rule is asked about alone (its own
// facts' domains, pushed and popped on one solver); the policy stage and
// the invariants are encoded over all rules and asked one output at a
// time on a second solver. Every "yes" comes with a model, which becomes a
// facts JSON episode the engine must confirm.
#include "engine/analyze/analyzer.h"

#include <z3++.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/analyze/internal/encoder.h"
#include "engine/compile/compiler.h"
#include "engine/decide/assess.h"
#include "engine/decide/decide.h"
#include "engine/decide/invariants.h"
#include "engine/lang/condition_text.h"
#include "engine/match/matcher.h"

namespace lantern {

using analyze_internal::Encoder;
using analyze_internal::PolicyTerms;
using analyze_internal::Tri;
using analyze_internal::Unsupported;

namespace {

std::string Where(const SourceLocation& l) {
  return absl::StrCat(l.file, ":", l.line, ":", l.column);
}

// The top-level conjuncts of `e` (`a && (b && c)` → a, b, c).
void Conjuncts(const Expr& e, std::vector<const Expr*>* out) {
  if (e.kind == ExprKind::kBinary && e.op == Op::kAnd) {
    Conjuncts(*e.args[0], out);
    Conjuncts(*e.args[1], out);
    return;
  }
  out->push_back(&e);
}

z3::expr Max(const z3::expr& a, const z3::expr& b) {
  return z3::ite(a >= b, a, b);
}

// The encoded policy stage of one ruleset: what its answer says, as terms
// over the facts.
struct PolicyModel {
  z3::expr grade;                  // rank in the policy's grades
  std::vector<z3::expr> level;     // final level rank, per policy concern
  std::vector<Tri> prompt;         // per policy prompt
  std::vector<z3::expr> listed;    // per policy action: in `actions`
  std::vector<z3::expr> violated;  // per invariant
};

// The compiled program of `ruleset`, which the caller keeps alive for as
// long as the program is used.
absl::StatusOr<std::shared_ptr<const CompiledRuleSet>> CompileBorrowed(
    const RuleSet& ruleset) {
  return CompileRuleSet(std::shared_ptr<const RuleSet>(
      std::shared_ptr<const RuleSet>(), &ruleset));
}

// Rule `rule`'s truth in `match`.
Truth RuleTruth(const MatchResult& match, int32_t rule) {
  for (const RuleMatch& m : match.fired) {
    if (m.rule == rule) return Truth::kTrue;
  }
  for (const RuleMatch& m : match.blocked) {
    if (m.rule == rule) return Truth::kUnknown;
  }
  for (const RuleMatch& m : match.errored) {
    if (m.rule == rule) return Truth::kError;
  }
  return Truth::kFalse;
}

// One ruleset's encoding and the questions about it. `tag` keeps the
// solver names of two rulesets' rules apart (`lantern diff`).
class Analysis {
 public:
  // REQUIRES: `program` is compiled from `ruleset`.
  Analysis(z3::context& ctx, Encoder& enc, const RuleSet& ruleset,
           const CompiledRuleSet& program, const AnalysisOptions& opt,
           const FactsDecoder& decode, std::string tag)
      : ctx_(ctx),
        rs_(ruleset),
        program_(program),
        opt_(opt),
        decode_(decode),
        enc_(enc),
        tag_(std::move(tag)) {}

  AnalysisReport Run();
  // The rules' truths (and, with `ask`, the per-rule questions).
  void Rules(bool ask);
  PolicyModel BuildPolicy();
  const std::vector<z3::expr>& background() const { return background_; }
  AnalysisReport& report() { return report_; }

 private:
  // A free three-valued truth for a condition the encoding does not support.
  Tri Free(const std::string& name) {
    z3::expr t = ctx_.bool_const((tag_ + name + "#T").c_str());
    z3::expr f = ctx_.bool_const((tag_ + name + "#F").c_str());
    background_.push_back(!(t && f));
    return {t, f};
  }
  Tri Encode(const Condition& c, const PolicyTerms* policy,
             const std::string& where) {
    try {
      return enc_.Condition(*c.expr, policy);
    } catch (const Unsupported& u) {
      report_.unsupported.push_back(absl::StrCat(where, ": ", u.why));
      unsupported_any_ = true;
      return Free(where);
    }
  }
  // Decodes and assesses `json`; nullopt (with a disagreement) if the
  // engine refuses it.
  std::optional<std::pair<FactRecord, Assessment>> Assess(
      const std::string& json, const std::string& what) {
    absl::StatusOr<FactRecord> facts = decode_(json);
    if (!facts.ok()) {
      Disagree(
          what, json,
          absl::StrCat("the episode is refused: ", facts.status().message()));
      return std::nullopt;
    }
    absl::StatusOr<Assessment> a =
        AssessWithMatcher(program_, *facts, opt_.as_of);
    if (!a.ok()) {
      Disagree(what, json, std::string(a.status().message()));
      return std::nullopt;
    }
    return std::make_pair(std::move(*facts), std::move(*a));
  }
  void Disagree(const std::string& what, const std::string& json,
                const std::string& engine) {
    report_.disagreements.push_back(absl::StrCat(
        what, ": the solver's episode is not confirmed by the engine (", engine,
        ")", unsupported_any_ ? "; unsupported conditions were left free" : "",
        "\n    episode: ", json));
  }
  void Policy();
  // Per rule that can fire: can it change any output (vs. the same facts
  // with its condition FALSE)? If not, a ShadowedRule. `s` holds the
  // domains and background; `m` is the policy as encoded.
  void Shadowed(z3::solver& s, const PolicyModel& m,
                const std::set<std::string>& all);
  // The rule's witness confirmed: it fires, and the answer's outputs are
  // the same with its match removed.
  bool ConfirmShadowed(size_t rule, const std::string& json);
  // On `json`, whether the engine's outputs with the rule's match removed
  // differ from its answer; nullopt when the rule does not fire there or
  // the engine refuses the episode (`why` says which).
  std::optional<bool> ChangesOutputs(size_t rule, const std::string& json,
                                     std::string* why);
  // The level / band of `score`, which lies in [low, high] whatever the
  // facts (thresholds outside it are decided without the solver).
  z3::expr LevelOf(const ConcernDef& def, const z3::expr& score, int64_t low,
                   int64_t high);
  z3::expr GradeBandOf(const z3::expr& score, int64_t low, int64_t high);

  z3::context& ctx_;
  const RuleSet& rs_;
  const CompiledRuleSet& program_;
  const AnalysisOptions& opt_;
  const FactsDecoder& decode_;
  Encoder& enc_;
  std::string tag_;
  AnalysisReport report_;
  std::vector<z3::expr> background_;
  bool unsupported_any_ = false;
  std::vector<Tri> rule_truth_;
};

void Analysis::Rules(bool ask) {
  enc_.Use(&rs_);
  z3::solver s(ctx_);
  for (const Rule& rule : rs_.rules) {
    RuleFinding f;
    f.rule_id = rule.id;
    f.location = rule.location;
    if (!rule.effective.Contains(opt_.as_of)) {
      f.kind = RuleFinding::kNotInForce;
      rule_truth_.push_back({ctx_.bool_val(false), ctx_.bool_val(true)});
      report_.rules.push_back(std::move(f));
      continue;
    }
    Tri truth{ctx_.bool_val(false), ctx_.bool_val(false)};
    try {
      truth = enc_.Condition(*rule.when.expr, nullptr);
    } catch (const Unsupported& u) {
      enc_.TakeReadSet();
      f.kind = RuleFinding::kUnsupported;
      f.unsupported = u.why;
      report_.unsupported.push_back(
          absl::StrCat("rule ", rule.id, ": ", u.why));
      unsupported_any_ = true;
      rule_truth_.push_back(Free(rule.id));
      report_.rules.push_back(std::move(f));
      continue;
    }
    const std::set<std::string> read = enc_.TakeReadSet();
    z3::expr t = ctx_.bool_const((tag_ + rule.id + "#T").c_str());
    z3::expr fl = ctx_.bool_const((tag_ + rule.id + "#F").c_str());
    background_.push_back(t == truth.t);
    background_.push_back(fl == truth.f);
    rule_truth_.push_back({t, fl});
    if (!ask) {
      f.kind = RuleFinding::kCanFire;  // not asked
      report_.rules.push_back(std::move(f));
      continue;
    }
    s.push();
    for (const auto& [c, label] : enc_.DomainOf(read)) s.add(c);
    s.add(truth.t);
    ++report_.solver_checks;
    const z3::check_result r = s.check();
    if (r == z3::sat) {
      f.kind = RuleFinding::kCanFire;
      if (opt_.rule_witnesses) {
        // Confirmed by the compiled program: the rule must fire.
        const std::string json = enc_.WitnessJson(s.get_model(), read);
        const std::string what = absl::StrCat("rule ", rule.id, " fires");
        absl::StatusOr<FactRecord> facts = decode_(json);
        if (!facts.ok()) {
          Disagree(what, json,
                   absl::StrCat("the episode is refused: ",
                                facts.status().message()));
        } else {
          const Truth got =
              RuleTruth(MatchWithMatcher(program_, *facts, opt_.as_of),
                        static_cast<int32_t>(&rule - rs_.rules.data()));
          if (got == Truth::kTrue) {
            f.witness_json = json;
          } else {
            Disagree(what, json,
                     absl::StrCat("the engine finds the rule's condition ",
                                  TruthName(got)));
          }
        }
      }
      s.pop();
      report_.rules.push_back(std::move(f));
      continue;
    }
    s.pop();
    if (r == z3::unknown) {
      f.kind = RuleFinding::kUnsupported;
      f.unsupported = "the solver gave no answer";
      report_.rules.push_back(std::move(f));
      continue;
    }
    // Never fires: which conditions conflict (the unsat core).
    f.kind = RuleFinding::kNeverFires;
    z3::solver core(ctx_);
    std::map<std::string, std::string> names;
    int n = 0;
    std::vector<const Expr*> parts;
    Conjuncts(*rule.when.expr, &parts);
    for (const Expr* part : parts) {
      int32_t offset = 0;
      const std::string text = ConditionText(*part, rule.when.source, &offset);
      const std::string name = absl::StrCat("c", n++);
      names[name] = absl::StrCat("`", text, "` (",
                                 Where(rule.when.source.Locate(offset)), ")");
      try {
        core.add(enc_.Condition(*part, nullptr).t, name.c_str());
      } catch (const Unsupported&) {
      }
    }
    const std::set<std::string> part_read = enc_.TakeReadSet();
    for (const auto& [c, label] : enc_.DomainOf(part_read)) {
      const std::string name = absl::StrCat("c", n++);
      names[name] = label;
      core.add(c, name.c_str());
    }
    ++report_.solver_checks;
    if (core.check() == z3::unsat) {
      const z3::expr_vector u = core.unsat_core();
      for (unsigned i = 0; i < u.size(); ++i) {
        f.conflicts.push_back(names[u[i].to_string()]);
      }
      std::sort(f.conflicts.begin(), f.conflicts.end());
    }
    report_.rules.push_back(std::move(f));
  }
}

namespace {

// LevelFor / the grade bands: the last threshold `score` reaches.
z3::expr Band(z3::context& ctx,
              const std::vector<std::pair<int64_t, int>>& steps,
              const z3::expr& score, int64_t low, int64_t high) {
  z3::expr out = ctx.int_val(0);
  for (const auto& [threshold, rank] : steps) {
    if (threshold > high) continue;  // never reached
    out = threshold <= low ? ctx.int_val(rank)
                           : z3::ite(score >= ctx.int_val(threshold),
                                     ctx.int_val(rank), out);
  }
  return out;
}

}  // namespace

z3::expr Analysis::LevelOf(const ConcernDef& def, const z3::expr& score,
                           int64_t low, int64_t high) {
  std::vector<std::pair<int64_t, int>> steps;
  for (const auto& [name, threshold] : def.thresholds) {
    steps.push_back({threshold, rs_.policy.LevelRank(name)});
  }
  return Band(ctx_, steps, score, low, high);
}

z3::expr Analysis::GradeBandOf(const z3::expr& score, int64_t low,
                               int64_t high) {
  std::vector<std::pair<int64_t, int>> steps;
  for (const auto& [name, threshold] : rs_.policy.grade_bands) {
    steps.push_back({threshold, rs_.policy.GradeRank(name)});
  }
  return Band(ctx_, steps, score, low, high);
}

PolicyModel Analysis::BuildPolicy() {
  enc_.Use(&rs_);
  const lantern::Policy& policy = rs_.policy;
  PolicyTerms pre;
  for (size_t i = 0; i < rs_.rules.size(); ++i) {
    pre.rule_ids.push_back(rs_.rules[i].id);
    pre.rules.push_back(rule_truth_[i]);
  }
  const z3::expr zero = ctx_.int_val(0);
  // Scores: fired, and the bounds blocked rules leave (PolicyInputs). All
  // three lie in [min, max]: the sums of the negative / positive scores.
  auto sums = [&](const std::string* concern, z3::expr* fired, z3::expr* lo,
                  z3::expr* hi, int64_t* min, int64_t* max) {
    z3::expr_vector f(ctx_), l(ctx_), h(ctx_);
    f.push_back(zero);
    *min = 0, *max = 0;
    for (size_t i = 0; i < rs_.rules.size(); ++i) {
      const Rule& r = rs_.rules[i];
      if (concern != nullptr && r.concern != *concern) continue;
      if (r.score == 0) continue;
      const z3::expr s = ctx_.int_val(r.score);
      const Tri& t = rule_truth_[i];
      f.push_back(z3::ite(t.t, s, zero));
      const z3::expr open = !t.t && !t.f;
      if (r.score < 0) l.push_back(z3::ite(open, s, zero)), *min += r.score;
      if (r.score > 0) h.push_back(z3::ite(open, s, zero)), *max += r.score;
    }
    *fired = z3::sum(f);
    l.push_back(*fired);
    h.push_back(*fired);
    *lo = z3::sum(l);
    *hi = z3::sum(h);
  };
  std::vector<z3::expr> fired_score;
  std::vector<std::pair<int64_t, int64_t>> range;
  for (const ConcernDef& def : policy.concerns) {
    z3::expr fired = zero, lo = zero, hi = zero;
    int64_t min = 0, max = 0;
    sums(&def.name, &fired, &lo, &hi, &min, &max);
    pre.concerns.push_back(def.name);
    pre.score_lo.push_back(lo);
    pre.score_hi.push_back(hi);
    pre.level_lo.push_back(LevelOf(def, lo, min, max));
    pre.level_hi.push_back(LevelOf(def, hi, min, max));
    fired_score.push_back(fired);
    range.push_back({min, max});
  }
  z3::expr total = zero, total_lo = zero, total_hi = zero;
  int64_t total_min = 0, total_max = 0;
  sums(nullptr, &total, &total_lo, &total_hi, &total_min, &total_max);
  pre.total_lo = total_lo;
  pre.total_hi = total_hi;

  // Concern floors read the levels before any floor; prompts after.
  PolicyTerms post = pre;
  std::vector<z3::expr> final_level;
  for (size_t c = 0; c < policy.concerns.size(); ++c) {
    final_level.push_back(LevelOf(policy.concerns[c], fired_score[c],
                                  range[c].first, range[c].second));
  }
  for (const ConcernFloor& floor : policy.concern_floors) {
    const Tri t = Encode(floor.when, &pre, "concern floor " + floor.id);
    const z3::expr rank = ctx_.int_val(policy.LevelRank(floor.level));
    for (size_t c = 0; c < policy.concerns.size(); ++c) {
      if (policy.concerns[c].name != floor.concern) continue;
      post.level_lo[c] =
          z3::ite(t.t, Max(post.level_lo[c], rank), post.level_lo[c]);
      post.level_hi[c] =
          z3::ite(!t.f, Max(post.level_hi[c], rank), post.level_hi[c]);
      post.level_hi[c] = Max(post.level_hi[c], post.level_lo[c]);
      final_level[c] = z3::ite(t.t, Max(final_level[c], rank), final_level[c]);
    }
  }
  std::vector<Tri> prompt;
  for (const PromptDef& p : policy.prompts) {
    prompt.push_back(Encode(p.when, &post, "prompt " + p.name));
  }
  enc_.TakeReadSet();
  // The grade: bands, fired rules' floors, raised prompts' floors.
  z3::expr grade = GradeBandOf(total, total_min, total_max);
  for (size_t i = 0; i < rs_.rules.size(); ++i) {
    const Rule& r = rs_.rules[i];
    if (r.grade_floor.empty()) continue;
    grade = z3::ite(rule_truth_[i].t,
                    Max(grade, ctx_.int_val(policy.GradeRank(r.grade_floor))),
                    grade);
  }
  for (size_t i = 0; i < policy.prompts.size(); ++i) {
    const PromptDef& p = policy.prompts[i];
    if (p.grade_floor.empty()) continue;
    grade = z3::ite(prompt[i].t,
                    Max(grade, ctx_.int_val(policy.GradeRank(p.grade_floor))),
                    grade);
  }
  // Actions: listed when a fired rule or a raised prompt calls for them.
  std::vector<z3::expr> listed;
  for (const ActionDef& a : policy.actions) {
    z3::expr_vector any(ctx_);
    for (size_t i = 0; i < rs_.rules.size(); ++i) {
      const auto& acts = rs_.rules[i].actions;
      if (std::find(acts.begin(), acts.end(), a.code) != acts.end()) {
        any.push_back(rule_truth_[i].t);
      }
    }
    for (size_t i = 0; i < policy.prompts.size(); ++i) {
      const auto& acts = policy.prompts[i].actions;
      if (std::find(acts.begin(), acts.end(), a.code) != acts.end()) {
        any.push_back(prompt[i].t);
      }
    }
    listed.push_back(z3::mk_or(any));
  }
  // The answer stage: final values, known.
  PolicyTerms answer = pre;
  answer.answer_stage = true;
  for (size_t c = 0; c < policy.concerns.size(); ++c) {
    answer.score_lo[c] = answer.score_hi[c] = fired_score[c];
    answer.level_lo[c] = answer.level_hi[c] = final_level[c];
  }
  answer.total_lo = answer.total_hi = total;
  answer.grade = grade;
  for (size_t i = 0; i < policy.prompts.size(); ++i) {
    answer.prompt_names.push_back(policy.prompts[i].name);
    answer.prompt_rank.push_back(
        z3::ite(prompt[i].t, ctx_.int_val(2),
                z3::ite(prompt[i].f, zero, ctx_.int_val(1))));
  }
  for (size_t i = 0; i < policy.actions.size(); ++i) {
    answer.action_codes.push_back(policy.actions[i].code);
    answer.action_listed.push_back(listed[i]);
  }
  std::vector<z3::expr> violated;
  for (const Invariant& inv : rs_.invariants) {
    Tri when{ctx_.bool_val(true), ctx_.bool_val(false)};
    if (inv.when.has_value()) {
      when = Encode(*inv.when, &answer, "invariant " + inv.id + " when");
    }
    const Tri holds =
        Encode(inv.holds, &answer, "invariant " + inv.id + " holds");
    violated.push_back(when.t && holds.f);
  }
  enc_.TakeReadSet();
  return {grade, final_level, prompt, listed, violated};
}

void Analysis::Policy() {
  const lantern::Policy& policy = rs_.policy;
  const PolicyModel m = BuildPolicy();
  const z3::expr& grade = m.grade;
  const std::vector<z3::expr>& final_level = m.level;
  const std::vector<Tri>& prompt = m.prompt;
  const std::vector<z3::expr>& listed = m.listed;
  const std::vector<z3::expr>& violated = m.violated;
  z3::solver s(ctx_);
  const std::set<std::string> all = enc_.AllPaths();
  for (const auto& [c, label] : enc_.DomainOf(all)) s.add(c);
  for (const z3::expr& b : background_) s.add(b);

  // Each query: sat → a model → an episode the engine must confirm.
  auto ask = [&](const z3::expr& goal, std::string* json) {
    s.push();
    s.add(goal);
    ++report_.solver_checks;
    const z3::check_result r = s.check();
    if (r == z3::sat) *json = enc_.WitnessJson(s.get_model(), all);
    s.pop();
    return r;
  };
  auto output = [&](const std::string& kind, const std::string& name,
                    const z3::expr& goal,
                    const std::function<bool(const Assessment&)>& confirm) {
    OutputFinding f;
    f.kind = kind;
    f.name = name;
    std::string json;
    const z3::check_result r = ask(goal, &json);
    f.reachable = r != z3::unsat;
    if (r == z3::sat) {
      const std::string what = absl::StrCat(kind, " ", name, " is produced");
      auto got = Assess(json, what);
      if (got.has_value()) {
        if (confirm(got->second)) {
          f.witness_json = json;
        } else {
          Disagree(what, json, "the answer does not produce it");
        }
      }
    } else if (r == z3::unknown) {
      report_.unsupported.push_back(
          absl::StrCat(kind, " ", name, ": the solver gave no answer"));
    }
    report_.outputs.push_back(std::move(f));
  };
  for (size_t g = 0; g < policy.grades.size(); ++g) {
    const std::string name = policy.grades[g];
    output("grade", name, grade == ctx_.int_val(static_cast<int64_t>(g)),
           [&](const Assessment& a) { return a.grade.grade == name; });
  }
  for (size_t c = 0; c < policy.concerns.size(); ++c) {
    for (size_t l = 0; l < policy.levels.size(); ++l) {
      const std::string concern = policy.concerns[c].name;
      const std::string level = policy.levels[l];
      output("concern", concern + "=" + level,
             final_level[c] == ctx_.int_val(static_cast<int64_t>(l)),
             [&](const Assessment& a) {
               for (const ConcernOutcome& o : a.concerns) {
                 if (o.name == concern) return o.level == level;
               }
               return false;
             });
    }
  }
  for (size_t i = 0; i < policy.prompts.size(); ++i) {
    output("prompt", policy.prompts[i].name, prompt[i].t,
           [&](const Assessment& a) {
             return a.prompts[i].answer == PromptAnswer::kRaise;
           });
  }
  for (size_t i = 0; i < policy.actions.size(); ++i) {
    const std::string code = policy.actions[i].code;
    output("action", code, listed[i], [&](const Assessment& a) {
      for (const ActionOutcome& o : a.actions) {
        if (o.code == code) return true;
      }
      return false;
    });
  }
  for (size_t k = 0; k < rs_.invariants.size(); ++k) {
    const Invariant& inv = rs_.invariants[k];
    InvariantFinding f;
    f.id = inv.id;
    f.location = inv.location;
    std::string json;
    const z3::check_result r = ask(violated[k], &json);
    f.proven = r == z3::unsat;
    if (r == z3::sat) {
      const std::string what =
          absl::StrCat("invariant ", inv.id, " is violated");
      auto got = Assess(json, what);
      if (got.has_value()) {
        const std::vector<InvariantOutcome> outcomes =
            CheckInvariants(program_, got->first, got->second);
        if (outcomes[k].truth == Truth::kFalse) {
          f.counterexample_json = json;
          f.explanation = DescribeOutcome(outcomes[k]);
        } else {
          Disagree(what, json,
                   absl::StrCat("the engine finds it ",
                                TruthName(outcomes[k].truth)));
        }
      }
    } else if (r == z3::unknown) {
      report_.unsupported.push_back(
          absl::StrCat("invariant ", inv.id, ": the solver gave no answer"));
    }
    report_.invariants.push_back(std::move(f));
  }
  if (opt_.shadowed) Shadowed(s, m, all);
}

namespace {

// An answer's outputs, as the analysis compares them: grade, concern
// levels, prompt answers, actions listed.
std::string OutputsOf(const Assessment& a) {
  std::string out = absl::StrCat("grade ", a.grade.grade);
  for (const ConcernOutcome& c : a.concerns) {
    absl::StrAppend(&out, "; ", c.name, "=", c.level);
  }
  for (const PromptOutcome& p : a.prompts) {
    absl::StrAppend(&out, "; prompt ", p.name, " ", PromptAnswerName(p.answer));
  }
  for (const ActionOutcome& o : a.actions) {
    absl::StrAppend(&out, "; action ", o.code);
  }
  return out;
}

}  // namespace

std::optional<bool> Analysis::ChangesOutputs(size_t rule,
                                             const std::string& json,
                                             std::string* why) {
  absl::StatusOr<FactRecord> facts = decode_(json);
  if (!facts.ok()) {
    *why = absl::StrCat("the episode is refused: ", facts.status().message());
    return std::nullopt;
  }
  MatchResult match = MatchWithMatcher(program_, *facts, opt_.as_of);
  MatchResult without = match;
  auto& fired = without.fired;
  const auto it = std::find_if(
      fired.begin(), fired.end(),
      [&](const RuleMatch& m) { return m.rule == static_cast<int32_t>(rule); });
  if (it == fired.end()) {
    *why = "the engine finds the rule does not fire";
    return std::nullopt;
  }
  fired.erase(it);
  absl::StatusOr<Assessment> with_rule =
      Decide(program_, *facts, std::move(match), opt_.as_of);
  absl::StatusOr<Assessment> without_rule =
      Decide(program_, *facts, std::move(without), opt_.as_of);
  if (!with_rule.ok() || !without_rule.ok()) {
    *why = std::string(
        (!with_rule.ok() ? with_rule.status() : without_rule.status())
            .message());
    return std::nullopt;
  }
  const std::string a = OutputsOf(*with_rule), b = OutputsOf(*without_rule);
  if (a != b) {
    *why = absl::StrCat("the engine's outputs differ: with the rule ", a,
                        "; without it ", b);
  }
  return a != b;
}

bool Analysis::ConfirmShadowed(size_t rule, const std::string& json) {
  const std::string what =
      absl::StrCat("rule ", rs_.rules[rule].id, " changes no output");
  std::string why;
  const std::optional<bool> changes = ChangesOutputs(rule, json, &why);
  if (changes.value_or(true)) {
    Disagree(what, json, why);
    return false;
  }
  return true;
}

void Analysis::Shadowed(z3::solver& s, const PolicyModel& m,
                        const std::set<std::string>& all) {
  // One second policy in which the rule `knock` names is FALSE whatever
  // the facts (the others as they are): rule i can change an output iff
  // some episode has it TRUE and, with knock == i, an output differs.
  // Encoding it once and fixing `knock` per query keeps the solver's
  // learning between the queries. Rebuilding the policy encodes its
  // conditions again: their unsupported notes are already in the report.
  const size_t unsupported = report_.unsupported.size();
  const z3::expr knock = ctx_.int_const((tag_ + "#knock").c_str());
  const std::vector<Tri> kept = rule_truth_;
  for (size_t i = 0; i < rs_.rules.size(); ++i) {
    const z3::expr out = knock == ctx_.int_val(static_cast<int64_t>(i));
    rule_truth_[i] = {kept[i].t && !out, kept[i].f || out};
  }
  const PolicyModel alt = BuildPolicy();
  rule_truth_ = kept;
  report_.unsupported.resize(unsupported);
  z3::expr_vector differs(ctx_);
  differs.push_back(m.grade != alt.grade);
  for (size_t c = 0; c < m.level.size(); ++c) {
    differs.push_back(m.level[c] != alt.level[c]);
  }
  for (size_t p = 0; p < m.prompt.size(); ++p) {
    differs.push_back(m.prompt[p].t != alt.prompt[p].t ||
                      m.prompt[p].f != alt.prompt[p].f);
  }
  for (size_t a = 0; a < m.listed.size(); ++a) {
    differs.push_back(m.listed[a] != alt.listed[a]);
  }
  const z3::expr any_differs = z3::mk_or(differs);
  for (size_t i = 0; i < rs_.rules.size(); ++i) {
    if (report_.rules[i].kind != RuleFinding::kCanFire) continue;
    // Cheap first: on the rule's own witness, the engine may already show
    // it changing an output (then no solver query is needed).
    if (!report_.rules[i].witness_json.empty()) {
      std::string why;
      if (ChangesOutputs(i, report_.rules[i].witness_json, &why)
              .value_or(false)) {
        continue;
      }
    }
    s.push();
    s.add(knock == ctx_.int_val(static_cast<int64_t>(i)));
    s.add(kept[i].t && any_differs);
    ++report_.solver_checks;
    const z3::check_result r = s.check();
    s.pop();
    if (r != z3::unsat) continue;  // it can change an output (or unknown)
    ShadowedRule shadowed;
    shadowed.rule_id = rs_.rules[i].id;
    shadowed.location = rs_.rules[i].location;
    s.push();
    s.add(kept[i].t);
    ++report_.solver_checks;
    if (s.check() == z3::sat) {
      const std::string json = enc_.WitnessJson(s.get_model(), all);
      if (ConfirmShadowed(i, json)) shadowed.witness_json = json;
    }
    s.pop();
    report_.shadowed.push_back(std::move(shadowed));
  }
}

AnalysisReport Analysis::Run() {
  report_.scope = absl::StrCat(
      "as_of ",
      absl::FormatTime("%Y-%m-%d%ET%H:%M:%SZ", opt_.as_of, absl::UTCTimeZone()),
      "; repeated messages of up to ", opt_.list_bound,
      " elements; code lists as sets of distinct codes; numbers and "
      "timestamps in the domain's ranges and time orders");
  Rules(/*ask=*/true);
  if (opt_.outputs) Policy();
  return std::move(report_);
}

}  // namespace

bool AnalysisReport::HasFindings() const {
  for (const RuleFinding& r : rules) {
    if (r.kind == RuleFinding::kNeverFires) return true;
  }
  for (const OutputFinding& o : outputs) {
    if (!o.reachable) return true;
  }
  for (const InvariantFinding& i : invariants) {
    if (!i.proven) return true;
  }
  return !disagreements.empty();
}

absl::StatusOr<AnalysisReport> AnalyzeRuleSet(const RuleSet& ruleset,
                                              const AnalysisOptions& options,
                                              const FactsDecoder& decode) {
  if (!ruleset.manifest.effective.Contains(options.as_of)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "ruleset ", ruleset.manifest.id, " is not in force at as_of ",
        absl::FormatTime("%Y-%m-%d%ET%H:%M:%SZ", options.as_of,
                         absl::UTCTimeZone())));
  }
  if (options.list_bound < 0) {
    return absl::InvalidArgumentError("list_bound must not be negative");
  }
  z3::context ctx;
  Encoder enc(&ctx, &ruleset, &options);
  absl::StatusOr<std::shared_ptr<const CompiledRuleSet>> program =
      CompileBorrowed(ruleset);
  if (!program.ok()) return program.status();
  Analysis analysis(ctx, enc, ruleset, **program, options, decode, "");
  return analysis.Run();
}

std::string FormatReport(const RuleSet& ruleset, const AnalysisReport& report) {
  std::string out =
      absl::StrCat("analysis of ", ruleset.manifest.id, " version ",
                   ruleset.manifest.version, " (", report.scope, ")\n");
  int can = 0, never = 0, not_in_force = 0, unsupported = 0;
  for (const RuleFinding& r : report.rules) {
    switch (r.kind) {
      case RuleFinding::kCanFire:
        ++can;
        break;
      case RuleFinding::kNeverFires:
        ++never;
        absl::StrAppend(&out, "NEVER FIRES rule ", r.rule_id, " (",
                        Where(r.location), "): its conditions conflict:\n");
        for (const std::string& c : r.conflicts) {
          absl::StrAppend(&out, "    ", c, "\n");
        }
        if (r.conflicts.empty()) {
          absl::StrAppend(&out, "    (the condition as a whole)\n");
        }
        break;
      case RuleFinding::kNotInForce:
        ++not_in_force;
        absl::StrAppend(&out, "not in force at as_of: rule ", r.rule_id, "\n");
        break;
      case RuleFinding::kUnsupported:
        ++unsupported;
        absl::StrAppend(&out, "UNSUPPORTED rule ", r.rule_id, " (",
                        Where(r.location), "): ", r.unsupported, "\n");
        break;
    }
  }
  absl::StrAppend(&out, "rules: ", can, " can fire, ", never,
                  " can never fire, ", unsupported, " unsupported, ",
                  not_in_force, " not in force\n");
  std::map<std::string, std::pair<int, int>> by_kind;
  for (const OutputFinding& o : report.outputs) {
    auto& [reachable, total] = by_kind[o.kind];
    ++total;
    if (o.reachable) {
      ++reachable;
    } else {
      absl::StrAppend(&out, "UNREACHABLE ", o.kind, " ", o.name,
                      ": no episode's answer produces it\n");
    }
  }
  if (!report.outputs.empty()) {
    std::vector<std::string> parts;
    for (const auto& [kind, counts] : by_kind) {
      parts.push_back(
          absl::StrCat(kind, "s ", counts.first, "/", counts.second));
    }
    absl::StrAppend(&out, "outputs reachable: ", absl::StrJoin(parts, ", "),
                    "\n");
  }
  for (const InvariantFinding& i : report.invariants) {
    if (i.proven) {
      absl::StrAppend(&out, "PROVEN invariant ", i.id, "\n");
    } else if (!i.counterexample_json.empty()) {
      absl::StrAppend(&out, "VIOLATED invariant ", i.id, " (",
                      Where(i.location), "): ", i.explanation,
                      "\n  counterexample (", ruleset.manifest.fact_message,
                      ", confirmed by the engine):\n  ", i.counterexample_json,
                      "\n");
    } else {
      absl::StrAppend(&out, "NOT PROVEN invariant ", i.id, " (",
                      Where(i.location),
                      "): the solver's counterexample was not confirmed\n");
    }
  }
  for (const ShadowedRule& r : report.shadowed) {
    absl::StrAppend(&out, "WARNING SHADOWED rule ", r.rule_id, " (",
                    Where(r.location),
                    "): whenever it fires, every output is what it would be "
                    "without it\n");
    if (!r.witness_json.empty()) {
      absl::StrAppend(&out,
                      "  it fires, changing nothing (confirmed by the "
                      "engine), on: ",
                      r.witness_json, "\n");
    }
  }
  for (const std::string& u : report.unsupported) {
    absl::StrAppend(&out, "unsupported: ", u, "\n");
  }
  for (const std::string& d : report.disagreements) {
    absl::StrAppend(&out, "ANALYSIS BUG: ", d, "\n");
  }
  absl::StrAppend(&out, report.HasFindings() ? "FINDINGS" : "no findings", ": ",
                  report.solver_checks, " solver checks\n");
  return out;
}

namespace {

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%d%ET%H:%M:%SZ", t, absl::UTCTimeZone());
}

// What an answer says for one output, as the diff prints it.
std::string Says(const Assessment& a, const std::string& kind,
                 const std::string& name) {
  if (kind == "grade") return a.grade.grade == name ? "yes" : "no";
  if (kind == "concern") {
    for (const ConcernOutcome& c : a.concerns) {
      if (name == c.name + "=" + c.level) return "yes";
    }
    return "no";
  }
  if (kind == "prompt") {
    for (const PromptOutcome& p : a.prompts) {
      if (p.name == name)
        return p.answer == PromptAnswer::kRaise ? "yes" : "no";
    }
    return "no";
  }
  for (const ActionOutcome& x : a.actions) {
    if (x.code == name) return "yes";
  }
  return "no";
}

}  // namespace

bool DiffReport::HasDifferences() const {
  for (const DiffFinding& d : outputs) {
    if (d.differs) return true;
  }
  return !disagreements.empty();
}

absl::StatusOr<DiffReport> DiffRuleSets(const RuleSet& old_rs,
                                        const RuleSet& new_rs,
                                        const AnalysisOptions& options,
                                        const FactsDecoder& decode_old,
                                        const FactsDecoder& decode_new) {
  for (const RuleSet* rs : {&old_rs, &new_rs}) {
    if (!rs->manifest.effective.Contains(options.as_of)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "ruleset ", rs->manifest.id, " version ", rs->manifest.version,
          " is not in force at as_of ", Rfc3339(options.as_of)));
    }
  }
  if (old_rs.manifest.fact_message != new_rs.manifest.fact_message) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the rulesets read different facts: ", old_rs.manifest.fact_message,
        " and ", new_rs.manifest.fact_message));
  }
  z3::context ctx;
  Encoder enc(&ctx, &new_rs, &options, &old_rs);
  absl::StatusOr<std::shared_ptr<const CompiledRuleSet>> old_program =
      CompileBorrowed(old_rs);
  if (!old_program.ok()) return old_program.status();
  absl::StatusOr<std::shared_ptr<const CompiledRuleSet>> new_program =
      CompileBorrowed(new_rs);
  if (!new_program.ok()) return new_program.status();
  Analysis old_a(ctx, enc, old_rs, **old_program, options, decode_old, "old:");
  Analysis new_a(ctx, enc, new_rs, **new_program, options, decode_new, "new:");
  old_a.Rules(/*ask=*/false);
  new_a.Rules(/*ask=*/false);
  const PolicyModel om = old_a.BuildPolicy();
  const PolicyModel nm = new_a.BuildPolicy();
  DiffReport report;
  report.scope = absl::StrCat("as_of ", Rfc3339(options.as_of),
                              "; repeated messages of up to ",
                              options.list_bound, " elements");
  for (Analysis* a : {&old_a, &new_a}) {
    for (const std::string& u : a->report().unsupported) {
      report.unsupported.push_back(u);
    }
  }
  z3::solver s(ctx);
  const std::set<std::string> all = enc.AllPaths();
  for (const auto& [c, label] : enc.DomainOf(all)) s.add(c);
  for (const z3::expr& b : old_a.background()) s.add(b);
  for (const z3::expr& b : new_a.background()) s.add(b);

  // Output name → its term under each ruleset (false where it lacks it).
  struct Output {
    std::string kind, name;
    z3::expr in_old, in_new;
  };
  std::vector<Output> outputs;
  auto add = [&](const std::string& kind, const std::string& name,
                 std::optional<z3::expr> o, std::optional<z3::expr> n) {
    for (Output& x : outputs) {
      if (x.kind == kind && x.name == name) return;
    }
    outputs.push_back({kind, name, o.value_or(ctx.bool_val(false)),
                       n.value_or(ctx.bool_val(false))});
  };
  auto grade_term = [&](const RuleSet& rs, const PolicyModel& m,
                        const std::string& g) -> std::optional<z3::expr> {
    const int rank = rs.policy.GradeRank(g);
    if (rank < 0) return std::nullopt;
    return m.grade == ctx.int_val(rank);
  };
  auto level_term = [&](const RuleSet& rs, const PolicyModel& m,
                        const std::string& c,
                        const std::string& l) -> std::optional<z3::expr> {
    const int rank = rs.policy.LevelRank(l);
    for (size_t i = 0; i < rs.policy.concerns.size(); ++i) {
      if (rs.policy.concerns[i].name == c && rank >= 0) {
        return m.level[i] == ctx.int_val(rank);
      }
    }
    return std::nullopt;
  };
  auto prompt_term = [&](const RuleSet& rs, const PolicyModel& m,
                         const std::string& p) -> std::optional<z3::expr> {
    for (size_t i = 0; i < rs.policy.prompts.size(); ++i) {
      if (rs.policy.prompts[i].name == p) return m.prompt[i].t;
    }
    return std::nullopt;
  };
  auto action_term = [&](const RuleSet& rs, const PolicyModel& m,
                         const std::string& code) -> std::optional<z3::expr> {
    for (size_t i = 0; i < rs.policy.actions.size(); ++i) {
      if (rs.policy.actions[i].code == code) return m.listed[i];
    }
    return std::nullopt;
  };
  for (const RuleSet* rs : {&old_rs, &new_rs}) {
    for (const std::string& g : rs->policy.grades) {
      add("grade", g, grade_term(old_rs, om, g), grade_term(new_rs, nm, g));
    }
  }
  for (const RuleSet* rs : {&old_rs, &new_rs}) {
    for (const ConcernDef& c : rs->policy.concerns) {
      for (const std::string& l : rs->policy.levels) {
        add("concern", c.name + "=" + l, level_term(old_rs, om, c.name, l),
            level_term(new_rs, nm, c.name, l));
      }
    }
  }
  for (const RuleSet* rs : {&old_rs, &new_rs}) {
    for (const PromptDef& p : rs->policy.prompts) {
      add("prompt", p.name, prompt_term(old_rs, om, p.name),
          prompt_term(new_rs, nm, p.name));
    }
  }
  for (const RuleSet* rs : {&old_rs, &new_rs}) {
    for (const ActionDef& a : rs->policy.actions) {
      add("action", a.code, action_term(old_rs, om, a.code),
          action_term(new_rs, nm, a.code));
    }
  }
  for (const Output& o : outputs) {
    DiffFinding f;
    f.kind = o.kind;
    f.name = o.name;
    s.push();
    s.add(o.in_old != o.in_new);
    ++report.solver_checks;
    const z3::check_result r = s.check();
    f.differs = r != z3::unsat;
    if (r == z3::unknown) {
      report.unsupported.push_back(
          absl::StrCat(o.kind, " ", o.name, ": the solver gave no answer"));
    }
    if (r == z3::sat) {
      const std::string json = enc.WitnessJson(s.get_model(), all);
      const std::string what = absl::StrCat(o.kind, " ", o.name, " differs");
      absl::StatusOr<FactRecord> fo = decode_old(json);
      absl::StatusOr<FactRecord> fn = decode_new(json);
      absl::StatusOr<Assessment> ao =
          fo.ok() ? AssessWithMatcher(**old_program, *fo, options.as_of)
                  : absl::StatusOr<Assessment>(fo.status());
      absl::StatusOr<Assessment> an =
          fn.ok() ? AssessWithMatcher(**new_program, *fn, options.as_of)
                  : absl::StatusOr<Assessment>(fn.status());
      if (!ao.ok() || !an.ok()) {
        report.disagreements.push_back(absl::StrCat(
            what, ": the episode is refused (",
            !ao.ok() ? ao.status().message() : an.status().message(),
            ")\n    episode: ", json));
      } else {
        f.old_says = Says(*ao, o.kind, o.name);
        f.new_says = Says(*an, o.kind, o.name);
        if (f.old_says == f.new_says) {
          report.disagreements.push_back(absl::StrCat(
              what,
              ": the solver's episode is not confirmed by the engine "
              "(both answers say ",
              f.old_says, ")\n    episode: ", json));
        } else {
          f.witness_json = json;
          std::set<std::string> fired_old, fired_new;
          for (const FiredRule& x : ao->fired) fired_old.insert(x.id);
          for (const FiredRule& x : an->fired) fired_new.insert(x.id);
          for (const std::string& id : fired_new) {
            if (fired_old.count(id) == 0) f.rules.push_back("+" + id);
          }
          for (const std::string& id : fired_old) {
            if (fired_new.count(id) == 0) f.rules.push_back("-" + id);
          }
        }
      }
    }
    s.pop();
    report.outputs.push_back(std::move(f));
  }
  return report;
}

std::string FormatDiff(const RuleSet& old_rs, const RuleSet& new_rs,
                       const DiffReport& report) {
  std::string out = absl::StrCat(
      "diff of ", old_rs.manifest.id, " version ", old_rs.manifest.version,
      " (OLD) and ", new_rs.manifest.id, " version ", new_rs.manifest.version,
      " (NEW) (", report.scope, ")\n");
  int differing = 0;
  for (const DiffFinding& d : report.outputs) {
    if (!d.differs) continue;
    ++differing;
    absl::StrAppend(&out, "DIFFERS ", d.kind, " ", d.name);
    if (!d.witness_json.empty()) {
      absl::StrAppend(
          &out, ": OLD ", d.old_says, ", NEW ", d.new_says,
          "; rules (+ fired only under NEW, - only under OLD): ",
          d.rules.empty() ? "none" : absl::StrJoin(d.rules, " "),
          "\n  episode (confirmed by the engine): ", d.witness_json);
    }
    absl::StrAppend(&out, "\n");
  }
  for (const std::string& u : report.unsupported) {
    absl::StrAppend(&out, "unsupported: ", u, "\n");
  }
  for (const std::string& d : report.disagreements) {
    absl::StrAppend(&out, "ANALYSIS BUG: ", d, "\n");
  }
  absl::StrAppend(&out, differing, " of ", report.outputs.size(),
                  " outputs differ for some episode; ", report.solver_checks,
                  " solver checks\n");
  return out;
}

}  // namespace lantern
