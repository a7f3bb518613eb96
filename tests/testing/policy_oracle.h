// An independent oracle for the policy stage (engine/decide/decide.h): random
// policies (prompts whose conditions mix fired(), score and level
// comparisons and fact conditions, actions on rules and prompts) over the
// random rulesets of random_rules.h, and a naive answer computed from the
// match alone.
//
// The oracle never calls Decide nor the evaluator's policy functions. Each
// prompt is generated as a tree (PromptTree) and printed as condition text
// for the ruleset; the oracle walks the tree itself: fired() over the match
// sets, a score or level as the plain interval of every value the undecided
// rules allow (enumerated), comparisons decided only when every value in the
// interval agrees, && || ! by Kleene's tables with ERROR above UNKNOWN. A
// fact condition (no policy function in it) is the one leaf it hands to the
// reference evaluator, as a first-stage condition.
//
// Thread-safety: none; one generator per thread.
#ifndef LANTERN_TESTS_TESTING_POLICY_ORACLE_H_
#define LANTERN_TESTS_TESTING_POLICY_ORACLE_H_

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/decide/decide.h"
#include "engine/lang/checker.h"
#include "engine/lang/parser.h"
#include "engine/ruleset/ruleset.h"
#include "tests/oracle/oracle.h"
#include "tests/testing/random_facts.h"
#include "tests/testing/random_rules.h"

namespace lantern::testing {

// One node of a generated prompt condition.
struct PromptTree {
  enum Kind { kAnd, kOr, kNot, kFired, kCompare, kShifted, kFact } kind;
  std::vector<PromptTree> args;  // kAnd, kOr: two; kNot: one
  std::string pattern;           // kFired: a rule id or "prefix.*"
  // kCompare: `lhs op rhs`, each a PolicyTerm or an integer literal.
  // kShifted: `term + 1 op literal` (arithmetic on a bounded unknown).
  std::string op;
  struct Term {
    enum { kLiteral, kScore, kLevel, kTotal } what = kLiteral;
    std::string concern;
    int64_t literal = 0;
  } lhs, rhs;
  Condition fact;  // kFact: checked at the first stage
  std::string fact_text;
};

inline std::string TermText(const PromptTree::Term& t) {
  switch (t.what) {
    case PromptTree::Term::kScore:
      return absl::StrCat("concern_score(\"", t.concern, "\")");
    case PromptTree::Term::kLevel:
      return absl::StrCat("concern_level(\"", t.concern, "\")");
    case PromptTree::Term::kTotal:
      return "total_score()";
    case PromptTree::Term::kLiteral:
      break;
  }
  return absl::StrCat(t.literal);
}

inline std::string TreeText(const PromptTree& t) {
  switch (t.kind) {
    case PromptTree::kAnd:
      return absl::StrCat("(", TreeText(t.args[0]), " && ", TreeText(t.args[1]),
                          ")");
    case PromptTree::kOr:
      return absl::StrCat("(", TreeText(t.args[0]), " || ", TreeText(t.args[1]),
                          ")");
    case PromptTree::kNot:
      return absl::StrCat("!", TreeText(t.args[0]));
    case PromptTree::kFired:
      return absl::StrCat("fired(\"", t.pattern, "\")");
    case PromptTree::kCompare:
      return absl::StrCat("(", TermText(t.lhs), " ", t.op, " ", TermText(t.rhs),
                          ")");
    case PromptTree::kShifted:
      return absl::StrCat("(", TermText(t.lhs), " + 1 ", t.op, " ",
                          TermText(t.rhs), ")");
    case PromptTree::kFact:
      return absl::StrCat("(", t.fact_text, ")");
  }
  return "";
}

// Adds a random policy to a RandomRuleSet: rule ids regrouped under "a.",
// "b.", "c." (so fired("a.*") means something), scores in [-6, 11], three
// levels and two concerns, actions on some rules, and `prompts` prompts.
// Fact leaves come from ConditionGenerator. *trees receives each prompt's
// tree, in order. Problems (text that does not check) go to *problems.
class RandomPolicyGenerator {
 public:
  RandomPolicyGenerator(Rng* rng, const FactSchema* schema)
      : rng_(*rng), schema_(*schema), facts_(rng) {}

  void AddPolicy(RuleSet* ruleset, int prompts, std::vector<PromptTree>* trees,
                 std::string* problems) {
    Policy& policy = ruleset->policy;
    policy.grades = {"LOW", "MEDIUM", "HIGH"};
    policy.grade_bands = {{"MEDIUM", 8}, {"HIGH", 20}};
    policy.levels = {"NONE", "SOME", "MORE"};
    policy.concerns = {{"C", {{"SOME", 5}, {"MORE", 14}}},
                       {"D", {{"SOME", 3}, {"MORE", 9}}}};
    policy.constants = ruleset->constants;
    for (int i = 0; i < 3; ++i) {
      policy.constants.push_back(ConstantDef{
          policy.levels[i], {}, Type::Int(), {LiteralValue(int64_t{i})}});
    }
    for (const char* code : {"A1", "A2", "A3", "P0", "P1", "P2", "P3"}) {
      policy.actions.push_back(ActionDef{code, code, "owner", "cite", {}});
    }
    const int n = static_cast<int>(ruleset->rules.size());
    for (int i = 0; i < n; ++i) {
      Rule& rule = ruleset->rules[i];
      rule.id = absl::StrCat(i * 3 < n       ? "a."
                             : i * 3 < 2 * n ? "b."
                                             : "c.",
                             rule.id);
      rule.concern = rng_.Pick(std::vector<std::string>{"", "C", "D"});
      rule.score = rng_.Below(18) - 6;
      if (rng_.Chance(0.3)) {
        rule.actions.push_back(rng_.Pick(std::vector<std::string>{"A1", "A2"}));
      }
      ids_.push_back(rule.id);
    }
    std::vector<std::string> concerns = {"C", "D"};
    CheckEnv env;
    env.schema = &schema_;
    env.constants = &policy.constants;
    env.policy_stage = true;
    env.rule_ids = &ids_;
    env.concerns = &concerns;
    for (int p = 0; p < prompts; ++p) {
      PromptTree tree = Tree(3, ruleset, problems);
      PromptDef def;
      def.name = absl::StrCat("p", p);
      def.title = def.name;
      const std::string text = TreeText(tree);
      Diagnostics diagnostics;
      def.when.source = SourceText::FromString("policy.yaml", text);
      def.when.expr = ParseExpression(def.when.source, &diagnostics);
      if (def.when.expr != nullptr) {
        CheckExpression(env, def.when.source, Type::Bool(), def.when.expr.get(),
                        &diagnostics);
      }
      if (def.when.expr == nullptr || diagnostics.has_errors()) {
        absl::StrAppend(problems, text, "\n", diagnostics.ToString());
        continue;
      }
      def.actions.push_back(absl::StrCat("P", p % 4));
      if (rng_.Chance(0.3)) def.actions.push_back("A3");
      if (rng_.Chance(0.2)) def.actions.push_back("A1");
      policy.prompts.push_back(std::move(def));
      trees->push_back(std::move(tree));
    }
  }

 private:
  PromptTree::Term Term() {
    PromptTree::Term t;
    const int k = rng_.Below(3);
    t.what = k == 0   ? PromptTree::Term::kScore
             : k == 1 ? PromptTree::Term::kLevel
                      : PromptTree::Term::kTotal;
    t.concern = rng_.Chance(0.5) ? "C" : "D";
    return t;
  }
  PromptTree::Term Literal(const PromptTree::Term& of) {
    PromptTree::Term t;
    t.literal = of.what == PromptTree::Term::kLevel ? rng_.Below(4) - 1
                                                    : rng_.Below(36) - 8;
    return t;
  }

  PromptTree Tree(int depth, const RuleSet* ruleset, std::string* problems) {
    PromptTree t;
    const int k = rng_.Below(depth > 0 ? 10 : 5);
    if (k >= 7) {
      t.kind = k == 7   ? PromptTree::kNot
               : k == 8 ? PromptTree::kAnd
                        : PromptTree::kOr;
      t.args.push_back(Tree(depth - 1, ruleset, problems));
      if (t.kind != PromptTree::kNot) {
        t.args.push_back(Tree(depth - 1, ruleset, problems));
      }
      return t;
    }
    if (k <= 1) {
      t.kind = PromptTree::kFired;
      t.pattern =
          rng_.Chance(0.4)
              ? rng_.Pick(ids_)
              : rng_.Pick(std::vector<std::string>{"a.*", "b.*", "c.*"});
      return t;
    }
    if (k <= 4) {
      t.kind = rng_.Chance(0.1) ? PromptTree::kShifted : PromptTree::kCompare;
      t.op =
          rng_.Pick(std::vector<std::string>{"<", "<=", ">", ">=", "==", "!="});
      t.lhs = Term();
      t.rhs = rng_.Chance(0.15) ? Term() : Literal(t.lhs);
      if (t.kind == PromptTree::kCompare && rng_.Chance(0.3)) {
        std::swap(t.lhs, t.rhs);
      }
      if (t.kind == PromptTree::kShifted) t.rhs = Literal(t.lhs);
      return t;
    }
    t.kind = PromptTree::kFact;
    for (int attempt = 0; attempt < 5; ++attempt) {
      t.fact_text = facts_.Condition();
      std::string problem;
      if (CheckCondition(t.fact_text, schema_, ruleset->constants, &t.fact,
                         &problem)) {
        return t;
      }
      absl::StrAppend(problems, t.fact_text, "\n", problem);
    }
    t.kind = PromptTree::kFired;
    t.pattern = "a.*";
    return t;
  }

  Rng& rng_;
  const FactSchema& schema_;
  ConditionGenerator facts_;
  std::vector<std::string> ids_;
};

// ---------------------------------------------------------------------------
// The naive answer.

struct OracleValue {
  Truth truth = Truth::kFalse;
  std::set<std::string> unknown_paths;  // when kUnknown
};

// A policy number: every value it may take, with what leaves it open.
struct OracleRange {
  int64_t low = 0, high = 0;
  std::set<std::string> paths;  // of blocked rules with a nonzero score
  bool errored = false;         // an errored rule with a nonzero score
};

class PolicyOracle {
 public:
  // REQUIRES: `ruleset` and `match` outlive the oracle.
  PolicyOracle(const RuleSet& ruleset, const MatchResult& match,
               const FactRecord& facts, absl::Time as_of)
      : ruleset_(ruleset), match_(match), facts_(facts), as_of_(as_of) {}

  // The prompt's truth and, when UNKNOWN, the facts it names.
  OracleValue Prompt(const PromptTree& t) const {
    OracleValue out;
    switch (t.kind) {
      case PromptTree::kNot:
        out = Prompt(t.args[0]);
        if (out.truth == Truth::kTrue || out.truth == Truth::kFalse) {
          out.truth = out.truth == Truth::kTrue ? Truth::kFalse : Truth::kTrue;
        }
        return out;
      case PromptTree::kAnd:
      case PromptTree::kOr:
        return Kleene(t.kind == PromptTree::kAnd, Prompt(t.args[0]),
                      Prompt(t.args[1]));
      case PromptTree::kFired:
        return Fired(t.pattern);
      case PromptTree::kCompare:
        return Compare(t);
      case PromptTree::kShifted:
        return Shifted(t);
      case PromptTree::kFact:
        return Fact(t);
    }
    return out;
  }

  // Sum of fired scores of `concern` ("" for every rule), and the range the
  // blocked and errored rules leave open.
  OracleRange Score(const std::string* concern) const {
    OracleRange r;
    auto mine = [&](const Rule& rule) {
      return concern == nullptr || rule.concern == *concern;
    };
    for (const RuleMatch& m : match_.fired) {
      const Rule& rule = ruleset_.rules[m.rule];
      if (mine(rule)) r.low += rule.score, r.high += rule.score;
    }
    for (const auto* list : {&match_.blocked, &match_.errored}) {
      for (const RuleMatch& m : *list) {
        const Rule& rule = ruleset_.rules[m.rule];
        if (!mine(rule) || rule.score == 0) continue;
        (rule.score < 0 ? r.low : r.high) += rule.score;
        r.paths.insert(m.unknown_paths.begin(), m.unknown_paths.end());
        if (list == &match_.errored) r.errored = true;
      }
    }
    return r;
  }

  // The level a score gives: the last threshold it reaches.
  int64_t Level(const std::string& concern, int64_t score) const {
    int64_t level = 0;
    for (const ConcernDef& c : ruleset_.policy.concerns) {
      if (c.name != concern) continue;
      for (const auto& [name, threshold] : c.thresholds) {
        if (score >= threshold) level = ruleset_.policy.LevelRank(name);
      }
    }
    return level;
  }

  // The grade of a total score with the floors of `floors` rules.
  int Grade(int64_t total, const std::vector<const Rule*>& floors) const {
    int rank = 0;
    const Policy& p = ruleset_.policy;
    for (const auto& [grade, threshold] : p.grade_bands) {
      if (total >= threshold) rank = std::max(rank, p.GradeRank(grade));
    }
    for (const Rule* r : floors) {
      if (!r->grade_floor.empty()) {
        rank = std::max(rank, p.GradeRank(r->grade_floor));
      }
    }
    return rank;
  }

 private:
  static OracleValue Kleene(bool is_and, const OracleValue& a,
                            const OracleValue& b) {
    const Truth absorbing = is_and ? Truth::kFalse : Truth::kTrue;
    const Truth neutral = is_and ? Truth::kTrue : Truth::kFalse;
    OracleValue out;
    if (a.truth == absorbing || b.truth == absorbing) {
      out.truth = absorbing;
    } else if (a.truth == Truth::kError || b.truth == Truth::kError) {
      out.truth = Truth::kError;
    } else if (a.truth == Truth::kUnknown || b.truth == Truth::kUnknown) {
      out.truth = Truth::kUnknown;
      for (const OracleValue* v : {&a, &b}) {
        if (v->truth == Truth::kUnknown) {
          out.unknown_paths.insert(v->unknown_paths.begin(),
                                   v->unknown_paths.end());
        }
      }
    } else {
      out.truth = neutral;
    }
    return out;
  }

  static bool Matches(const std::string& id, const std::string& pattern) {
    if (pattern.size() >= 2 && pattern.substr(pattern.size() - 2) == ".*") {
      const std::string prefix = pattern.substr(0, pattern.size() - 1);
      return id.compare(0, prefix.size(), prefix) == 0;
    }
    return id == pattern;
  }

  OracleValue Fired(const std::string& pattern) const {
    OracleValue out;
    for (const RuleMatch& m : match_.fired) {
      if (Matches(ruleset_.rules[m.rule].id, pattern)) {
        out.truth = Truth::kTrue;
        return out;
      }
    }
    for (const RuleMatch& m : match_.errored) {
      if (Matches(ruleset_.rules[m.rule].id, pattern)) {
        out.truth = Truth::kError;
        return out;
      }
    }
    for (const RuleMatch& m : match_.blocked) {
      if (Matches(ruleset_.rules[m.rule].id, pattern)) {
        out.truth = Truth::kUnknown;
        out.unknown_paths.insert(m.unknown_paths.begin(),
                                 m.unknown_paths.end());
      }
    }
    return out;
  }

  OracleRange Range(const PromptTree::Term& t) const {
    if (t.what == PromptTree::Term::kLiteral) {
      return OracleRange{t.literal, t.literal, {}, false};
    }
    if (t.what == PromptTree::Term::kTotal) return Score(nullptr);
    OracleRange r = Score(&t.concern);
    if (t.what == PromptTree::Term::kLevel) {
      r.low = Level(t.concern, r.low);
      r.high = Level(t.concern, r.high);
    }
    return r;
  }

  static bool Holds(const std::string& op, int64_t a, int64_t b) {
    if (op == "<") return a < b;
    if (op == "<=") return a <= b;
    if (op == ">") return a > b;
    if (op == ">=") return a >= b;
    if (op == "==") return a == b;
    return a != b;
  }

  static OracleValue Open(const OracleRange& a, const OracleRange& b) {
    OracleValue out;
    out.truth = a.low != a.high && a.errored   ? Truth::kError
                : b.low != b.high && b.errored ? Truth::kError
                                               : Truth::kUnknown;
    for (const OracleRange* r : {&a, &b}) {
      if (out.truth == Truth::kUnknown && r->low != r->high) {
        out.unknown_paths.insert(r->paths.begin(), r->paths.end());
      }
    }
    return out;
  }

  // Every pair of values the two sides may take; decided iff all agree.
  // Two open sides are never compared (that is plain UNKNOWN).
  OracleValue Compare(const PromptTree& t) const {
    const OracleRange a = Range(t.lhs), b = Range(t.rhs);
    if (a.low != a.high && b.low != b.high) return Open(a, b);
    bool any_true = false, any_false = false;
    for (int64_t x = a.low; x <= a.high; ++x) {
      for (int64_t y = b.low; y <= b.high; ++y) {
        (Holds(t.op, x, y) ? any_true : any_false) = true;
      }
    }
    if (any_true != any_false) {
      OracleValue out;
      out.truth = any_true ? Truth::kTrue : Truth::kFalse;
      return out;
    }
    return Open(a, b);
  }

  // `term + 1 op k`: arithmetic on an open value is plain UNKNOWN.
  OracleValue Shifted(const PromptTree& t) const {
    const OracleRange a = Range(t.lhs);
    if (a.low != a.high) return Open(a, OracleRange{});
    OracleValue out;
    out.truth =
        Holds(t.op, a.low + 1, t.rhs.literal) ? Truth::kTrue : Truth::kFalse;
    return out;
  }

  OracleValue Fact(const PromptTree& t) const {
    ReferenceEvaluator evaluator(ruleset_.schema.get(), &ruleset_.constants,
                                 as_of_);
    ConditionResult r =
        evaluator.EvaluateCondition(*t.fact.expr, t.fact.source, facts_);
    OracleValue out;
    out.truth = r.truth;
    out.unknown_paths.insert(r.unknown_paths.begin(), r.unknown_paths.end());
    return out;
  }

  const RuleSet& ruleset_;
  const MatchResult& match_;
  const FactRecord& facts_;
  const absl::Time as_of_;
};

}  // namespace lantern::testing

#endif  // LANTERN_TESTS_TESTING_POLICY_ORACLE_H_
