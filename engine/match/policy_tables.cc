// BuildPolicyTables (engine/match/policy_tables.h): one pass over the rules,
// prompts, floors and actions, resolving every name the policy stage would
// otherwise compare per request to an index.
#include "engine/match/policy_tables.h"

#include <algorithm>
#include <numeric>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/lang/ast.h"

namespace lantern {
namespace {

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

int32_t ConcernIndex(const Policy& policy, const std::string& name) {
  for (size_t k = 0; k < policy.concerns.size(); ++k) {
    if (policy.concerns[k].name == name) return static_cast<int32_t>(k);
  }
  return -1;
}

// The code ranks of `codes`, or INVALID_ARGUMENT naming `owner`.
absl::Status CodeRanks(const std::vector<std::string>& sorted_codes,
                       const std::vector<std::string>& codes,
                       const std::string& owner, std::vector<int32_t>* out) {
  for (const std::string& code : codes) {
    auto it = std::lower_bound(sorted_codes.begin(), sorted_codes.end(), code);
    if (it == sorted_codes.end() || *it != code) {
      return absl::InvalidArgumentError(absl::StrCat(
          owner, " names action ", code, " that the policy does not define"));
    }
    out->push_back(static_cast<int32_t>(it - sorted_codes.begin()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<PolicyTables> BuildPolicyTables(const RuleSet& ruleset) {
  const Policy& policy = ruleset.policy;
  PolicyTables t;
  std::vector<int32_t> by_code(policy.actions.size());
  std::iota(by_code.begin(), by_code.end(), 0);
  std::stable_sort(by_code.begin(), by_code.end(), [&](int32_t a, int32_t b) {
    return policy.actions[a].code < policy.actions[b].code;
  });
  std::vector<std::string> sorted_codes;
  for (int32_t a : by_code) sorted_codes.push_back(policy.actions[a].code);
  t.action_by_code_rank = std::move(by_code);

  const size_t n = ruleset.rules.size();
  std::vector<int32_t> by_id(n);
  std::iota(by_id.begin(), by_id.end(), 0);
  std::stable_sort(by_id.begin(), by_id.end(), [&](int32_t a, int32_t b) {
    return ruleset.rules[a].id < ruleset.rules[b].id;
  });
  t.rule_id_rank.resize(n);
  for (size_t k = 0; k < n; ++k) t.rule_id_rank[by_id[k]] = k;
  for (const Rule& r : ruleset.rules) {
    t.rule_concern.push_back(ConcernIndex(policy, r.concern));
    t.rule_grade_floor.push_back(
        r.grade_floor.empty() ? -1 : policy.GradeRank(r.grade_floor));
    absl::Status s =
        CodeRanks(sorted_codes, r.actions, absl::StrCat("rule ", r.id),
                  &t.rule_actions.emplace_back());
    if (!s.ok()) return s;
  }
  for (const PromptDef& p : policy.prompts) {
    if (p.when.expr == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("prompt ", p.name, " has no checked condition"));
    }
    absl::Status s =
        CodeRanks(sorted_codes, p.actions, absl::StrCat("prompt ", p.name),
                  &t.prompt_actions.emplace_back());
    if (!s.ok()) return s;
    std::vector<std::string> patterns, concerns;
    CollectPolicyRefs(*p.when.expr, &patterns, &concerns);
    std::vector<bool>& names = t.prompt_names_rule.emplace_back(n, false);
    for (size_t i = 0; i < n; ++i) {
      const Rule& r = ruleset.rules[i];
      bool named = std::find(concerns.begin(), concerns.end(), r.concern) !=
                   concerns.end();
      for (const std::string& pattern : patterns) {
        named = named || MatchesPattern(r.id, pattern);
      }
      names[i] = named;
    }
    t.prompt_ids.push_back(absl::StrCat("prompt:", p.name));
    t.prompt_grade_floor.push_back(
        p.grade_floor.empty() ? -1 : policy.GradeRank(p.grade_floor));
  }
  for (const ConcernFloor& f : policy.concern_floors) {
    t.floor_concern.push_back(ConcernIndex(policy, f.concern));
    t.floor_level.push_back(policy.LevelRank(f.level));
  }
  return t;
}

}  // namespace lantern
