// Invariants: checking a ruleset's stated invariants on one answer.
//
// Entry point: CheckInvariants. Each Invariant (engine/ruleset/ruleset.h) is
// evaluated compiled (CompiledPolicy::invariant_when / invariant_holds, run
// by the atom VM) at the answer stage: over the
// facts, the policy's inputs (fired rules, concern scores and levels, total
// score) and the final answer (grade, prompt answers, actions). Its truth is
// Kleene `!when || holds`:
//   FALSE    VIOLATED: the premise held and the conclusion did not;
//   TRUE     held (or the premise was FALSE: vacuously);
//   UNKNOWN  not decided: a fact it reads is unset;
//   ERROR    a runtime error (overflow, division by zero) in either part.
// A prompt reads as RAISE when its condition is TRUE, CONSIDER when it is
// UNKNOWN and NOT_RAISED otherwise (kPromptAnswers).
//
// Thread-safety: stateless; everything passed is only read.
#ifndef LANTERN_ENGINE_DECIDE_INVARIANTS_H_
#define LANTERN_ENGINE_DECIDE_INVARIANTS_H_

#include <string>
#include <vector>

#include "engine/decide/decide.h"
#include "engine/facts/facts.h"
#include "engine/match/program.h"
#include "engine/ruleset/ruleset.h"

namespace lantern {

struct InvariantOutcome {
  const Invariant* invariant = nullptr;  // in the RuleSet checked
  Truth truth = Truth::kTrue;
  bool premise = false;  // `when` was TRUE (or absent): the invariant applied
  // Why: the premise's and the conclusion's reasons (violated: the atoms
  // that made the premise TRUE and the conclusion FALSE).
  std::vector<AtomEvidence> reasons;
  std::vector<std::string> unknown_paths;  // UNKNOWN: what would decide it
  std::string error;                       // ERROR
};

// The policy's inputs plus the answer, as answer-stage conditions read them.
PolicyInputs AnswerInputs(const RuleSet& ruleset, const Assessment& answer);

// One outcome per invariant of `program`'s ruleset, in the ruleset's order.
// REQUIRES: `answer` was decided by that ruleset from `facts`.
std::vector<InvariantOutcome> CheckInvariants(const CompiledRuleSet& program,
                                              const FactRecord& facts,
                                              const Assessment& answer);

// "VIOLATED: when grade() >= \"HIGH\" [grade()=MEDIUM] ..." — one line
// naming the atoms and the values they read.
std::string DescribeOutcome(const InvariantOutcome& outcome);

}  // namespace lantern

#endif  // LANTERN_ENGINE_DECIDE_INVARIANTS_H_
