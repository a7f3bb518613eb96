// Decide: the policy stage — a MatchResult (engine/match/match_result.h)
// → Assessment, by the policy the ruleset declares.
//
// Concern scores (sum of fired rules' scores per concern) → levels by
// thresholds, raised by the policy's concern floors whose conditions hold;
// total score → grade by bands, raised to the highest grade floor among
// fired rules; prompts by their policy-stage conditions over the match, the
// levels and the facts; the grade raised again to the grade floor of any
// raised prompt; actions from fired rules and raised prompts, each due time
// computed from the facts and judged overdue against `as_of`; and the
// catalogue codes the facts record, each with its catalogue entry.
//
// The policy stage is three-valued about the match: a blocked rule may yet
// fire, so "not known" never reads as "no" (engine/lang/policy_inputs.h
// states what fired(), concern_score(), concern_level() and total_score()
// give while rules are blocked or errored). Consequently:
//  * grade, concern levels and scores are those of the fired rules;
//    `highest_possible` / `highest_possible_level` are what the blocked rules
//    could raise them to, and `raising_rule_ids` name those rules (whose
//    unknown paths are the facts to find out);
//  * a prompt is answered kRaise (condition TRUE), kNotRaised (FALSE) or
//    kConsider (UNKNOWN or ERROR): a practitioner must weigh it. An UNKNOWN
//    prompt's `unknown_paths` name the facts that would settle it (never
//    empty); an ERROR prompt keeps its `error` and is also kConsider, since
//    a failed evaluation is no ground to say "no";
//  * an action with a TRUE trigger (fired rule, raised prompt) is in
//    `actions`; one whose triggers are all undecided (blocked or errored
//    rules, kConsider prompts) is in `actions_to_consider` instead, with the
//    facts that would settle it. An action is never in both.
//
// Decide evaluates the policy's conditions and due times from the compiled
// ruleset (CompiledRuleSet::policy, run by the atom VM: an atom that several
// floors, prompts and findings test runs once per request) and looks the
// policy's names up in its precomputed tables (PolicyTables). DecideWith
// takes any PolicyEvaluator; the test oracle's (tests/testing/oracle/) is
// what the compiled one is tested against. Evaluation is a pure
// function of (ruleset, facts, match, as_of): the clock is never read here.
//
// Thread-safety: stateless; the ruleset, program and facts are only read.
#ifndef LANTERN_ENGINE_DECIDE_DECIDE_H_
#define LANTERN_ENGINE_DECIDE_DECIDE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "engine/facts/facts.h"
#include "engine/lang/policy_inputs.h"
#include "engine/lang/truth.h"
#include "engine/match/match_result.h"
#include "engine/match/program.h"
#include "engine/ruleset/catalogue.h"
#include "engine/ruleset/ruleset.h"

namespace lantern {

struct FiredRule {
  std::string id, title, concern, cite, grade_floor;
  int64_t score = 0;
  std::vector<AtomEvidence> evidence;
};

struct BlockedRule {
  std::string id, title;
  std::vector<std::string> unknown_paths;
};

struct ErroredRule {
  std::string id, title, error;
};

struct ConcernOutcome {
  std::string name, level;
  int64_t score = 0;
  std::vector<std::string> rule_ids;  // fired rules of this concern
  // The level if every blocked rule of this concern fired: what the missing
  // facts could still raise it to. Equal to `level` when they cannot.
  std::string highest_possible_level;
  // When `highest_possible_level` is above `level`: the blocked rules of
  // this concern with a positive score, sorted.
  std::vector<std::string> raising_rule_ids;
  // Concern floors (ConcernFloor::id) that raised `level`.
  std::vector<std::string> floor_ids;
};

struct GradeOutcome {
  std::string grade;       // final
  std::string band_grade;  // from the total score alone
  int64_t total_score = 0;
  // Fired rules whose floor applied, and "prompt:<name>" for a raised
  // prompt whose grade floor did.
  std::vector<std::string> floor_rule_ids;
  // The grade if every blocked (UNKNOWN) rule fired, by their scores and
  // floors, and every UNKNOWN prompt were raised, by its grade floor: what
  // the missing facts could still raise the grade to. Equal to `grade` when
  // no unknown can raise it; otherwise the grade is provisional and
  // `raising_rule_ids` names the blocked rules (and "prompt:<name>") that
  // could raise it.
  std::string highest_possible;
  std::vector<std::string> raising_rule_ids;  // sorted
};

// A prompt's finding (PromptFinding), decided with the prompt. A finding
// without a condition is TRUE with no evidence.
struct FindingOutcome {
  std::string name, title, cite;
  Truth truth = Truth::kTrue;
  std::vector<AtomEvidence> conditions;    // why (when decided)
  std::vector<std::string> unknown_paths;  // when UNKNOWN
  std::string error;
};

// How a prompt is answered: by its condition's truth (see the header).
enum class PromptAnswer : uint8_t {
  kNotRaised,  // FALSE
  kRaise,      // TRUE
  kConsider,   // UNKNOWN or ERROR
};
const char* PromptAnswerName(PromptAnswer answer);  // "not_raised", ...
PromptAnswer PromptAnswerFor(Truth truth);

struct PromptOutcome {
  std::string name, title, cite;
  PromptAnswer answer = PromptAnswer::kNotRaised;
  bool raised = false;  // answer == kRaise
  Truth truth = Truth::kFalse;
  std::vector<AtomEvidence> conditions;    // why (when decided)
  std::vector<std::string> rule_ids;       // raised: fired rules it names
  std::vector<std::string> unknown_paths;  // when UNKNOWN: what would decide it
  std::string error;
  std::vector<FindingOutcome> findings;  // declaration order
};

struct ActionOutcome {
  std::string code, title, owner, cite;
  // Rule ids, or "prompt:<name>": in `actions` the TRUE triggers (fired
  // rules, raised prompts); in `actions_to_consider` the undecided ones
  // (blocked or errored rules, kConsider prompts).
  std::vector<std::string> triggered_by;
  // In `actions_to_consider`: the unknown paths of its triggers, which
  // would settle whether it is needed; sorted, unique.
  std::vector<std::string> unknown_paths;
  std::optional<absl::Time> due_by;
  bool overdue = false;
  std::vector<std::string> due_unknown_paths;  // due time not computable
  std::string due_error;
};

struct Assessment {
  std::string ruleset_id, ruleset_version;
  absl::Time as_of;
  GradeOutcome grade;
  std::vector<ConcernOutcome> concerns;            // policy order
  std::vector<PromptOutcome> prompts;              // policy order
  std::vector<ActionOutcome> actions;              // by code
  std::vector<ActionOutcome> actions_to_consider;  // by code
  std::vector<std::string> flags;                  // sorted, unique
  std::vector<RecordedCode> codes;   // catalogue codes in the facts
  std::vector<FiredRule> fired;      // by id
  std::vector<BlockedRule> blocked;  // by id
  std::vector<ErroredRule> errored;  // by id
};

// How the policy stage evaluates the policy's conditions and due times,
// each by its index in the ruleset's Policy, against the PolicyInputs
// given. DecideWith passes one PolicyInputs object to every call, and
// changes it once: after evaluating the concern floors it raises the
// concern levels they apply and calls ConcernLevelsRaised(), so an
// evaluator that remembers results between calls forgets those that read
// concern_level(). Not thread-safe: one per request.
class PolicyEvaluator {
 public:
  virtual ~PolicyEvaluator() = default;
  virtual void ConcernLevelsRaised() {}
  virtual ConditionResult Floor(size_t floor, const PolicyInputs& inputs) = 0;
  virtual ConditionResult Prompt(size_t prompt, const PolicyInputs& inputs) = 0;
  // REQUIRES: the finding has a condition.
  virtual ConditionResult Finding(size_t prompt, size_t finding,
                                  const PolicyInputs& inputs) = 0;
  // REQUIRES: the action has a due time.
  virtual ValueResult Due(size_t action, const PolicyInputs& inputs) = 0;
};

// How much of an Assessment to work out: what a caller will not read is
// left empty, and everything else is as with every part.
struct AssessDetail {
  // FiredRule::evidence.
  bool fired_evidence = true;
  // PromptOutcome::conditions and FindingOutcome::conditions.
  bool policy_evidence = true;
};

// The policy stage of `program`'s ruleset, its conditions run compiled.
// FAILED_PRECONDITION when `as_of` is outside the ruleset's effective
// period. Takes `match` by value: its evidence and paths move into the
// Assessment (pass a temporary or std::move to avoid copying them).
// `codes`, when not null, are the facts' catalogue codes
// (ScanCatalogueCodes(ruleset, facts).known, as request validation already
// has them) and move into the Assessment; when null they are scanned here.
// `detail.policy_evidence` decides whether prompts and findings keep their
// conditions' evidence; without it a condition's deciding atoms are re-run
// traced only when its truth is UNKNOWN or ERROR (for its unknown paths or
// error). REQUIRES: `match` is of `program`'s rules over
// `facts` at `as_of`.
absl::StatusOr<Assessment> Decide(const CompiledRuleSet& program,
                                  const FactRecord& facts, MatchResult match,
                                  absl::Time as_of,
                                  std::vector<RecordedCode>* codes = nullptr,
                                  AssessDetail detail = {});

// The same with `evaluator` evaluating the policy's conditions (the
// policy's tables built for the call). INVALID_ARGUMENT when a rule or
// prompt names an action the policy does not define.
absl::StatusOr<Assessment> DecideWith(
    const RuleSet& ruleset, const FactRecord& facts, MatchResult match,
    absl::Time as_of, PolicyEvaluator& evaluator,
    std::vector<RecordedCode>* codes = nullptr);

}  // namespace lantern

#endif  // LANTERN_ENGINE_DECIDE_DECIDE_H_
