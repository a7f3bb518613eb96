// PolicyTables: what the policy stage (engine/decide/decide.h) looks up on
// every request, worked out once from a checked RuleSet — rules' concerns,
// grade floors and id order as indices, the fired rules each prompt names,
// the actions rules and prompts trigger in code order — so that a request
// indexes arrays instead of comparing names. The compiler keeps one in
// CompiledPolicy (engine/match/program.h).
//
// Thread-safety: plain values, immutable once built.
#ifndef LANTERN_ENGINE_MATCH_POLICY_TABLES_H_
#define LANTERN_ENGINE_MATCH_POLICY_TABLES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/ruleset/ruleset.h"

namespace lantern {

struct PolicyTables {
  // Per RuleSet::rules.
  std::vector<int32_t> rule_concern;      // index in Policy::concerns, or -1
  std::vector<int32_t> rule_id_rank;      // position of its id, ids sorted
  std::vector<int32_t> rule_grade_floor;  // Policy::GradeRank, -1 if none
  std::vector<std::vector<int32_t>> rule_actions;  // action code ranks

  // Per Policy::prompts.
  std::vector<std::vector<int32_t>> prompt_actions;  // action code ranks
  // Per prompt, per rule: the prompt's condition names the rule, by a
  // fired() pattern or a concern_score()/concern_level() of its concern
  // (a raised prompt gives the fired ones as its reasons).
  std::vector<std::vector<bool>> prompt_names_rule;
  std::vector<std::string> prompt_ids;      // "prompt:<name>"
  std::vector<int32_t> prompt_grade_floor;  // Policy::GradeRank, -1 if none

  // Per Policy::concern_floors.
  std::vector<int32_t> floor_concern;  // index in Policy::concerns, or -1
  std::vector<int32_t> floor_level;    // Policy::LevelRank

  // Policy::actions by code: the index in Policy::actions of code rank k.
  std::vector<int32_t> action_by_code_rank;
};

// INVALID_ARGUMENT when a rule or prompt names an action the policy does not
// define, or a prompt has no checked condition. REQUIRES: `ruleset` is
// checked (its policy conditions have expressions).
absl::StatusOr<PolicyTables> BuildPolicyTables(const RuleSet& ruleset);

}  // namespace lantern

#endif  // LANTERN_ENGINE_MATCH_POLICY_TABLES_H_
