// Matcher: runs a CompiledRuleSet (engine/match/program.h) over one request's
// facts into a MatchResult (engine/match/match_result.h): the rules in force
// at `as_of` that are TRUE (with evidence), UNKNOWN (with the unset paths that
// blocked them) or ERROR (with the message), exactly as the reference
// evaluator (doc/language.md) defines them.
//
// Match is the hot path. It decodes the facts once into the frame, computes
// every indexed atom per source (a binary search and a copied row per
// ordered field, a hash lookup per set element, one automaton pass per
// text, the compiled atoms), then evaluates only candidate rules: those
// whose lead atoms are all TRUE, those reading a source or compiled atom
// that is UNKNOWN or ERROR, and the few the index cannot key. Its cost grows
// with what is true (or unknown) of the episode, not with the number of
// rules, and once a MatchScratch is warm it allocates nothing.
//
// Explain then produces a rule's RuleMatch from the same per-request state:
// the reasons from the rule's logical tree, the readings of simple atoms
// from the frame and of compiled atoms from a traced re-run of their code.
//
// Thread-safety: a CompiledRuleSet may be matched from many threads at once,
// each with its own MatchScratch. The convenience functions use one
// thread-local scratch per thread.
#ifndef LANTERN_ENGINE_MATCH_MATCHER_H_
#define LANTERN_ENGINE_MATCH_MATCHER_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "engine/facts/facts.h"
#include "engine/lang/condition_text.h"
#include "engine/lang/policy_inputs.h"
#include "engine/lang/truth.h"
#include "engine/match/match_result.h"
#include "engine/match/program.h"

namespace lantern {

// Per-thread working memory, reused across requests (and programs).
class MatchScratch {
 public:
  // The last Match's results: rule indices (RuleSet::rules), ascending.
  const std::vector<int32_t>& fired() const { return fired_; }
  const std::vector<int32_t>& blocked() const { return blocked_; }
  const std::vector<int32_t>& errored() const { return errored_; }
  // Rules the last Match evaluated (for tests and benchmarks).
  int32_t candidates() const { return candidates_; }
  // Lead entry groups the last Match tested (for tests and benchmarks).
  int32_t lead_groups_tested() const { return lead_groups_tested_; }

 private:
  friend class MatchRun;
  friend class MatchExplainer;

  std::vector<FrameValue> frame_;
  ScratchStrings strings_;
  std::vector<uint64_t> true_;       // by atom bit
  std::vector<uint64_t> unsettled_;  // by atom bit: UNKNOWN or ERROR
  std::vector<Truth> source_state_;  // kFalse = known, kUnknown, kError
  std::vector<Truth> compiled_truth_;
  std::vector<uint64_t> marks_;  // by rule; all clear between requests
  std::vector<int32_t> kleene_, boolean_;
  std::vector<Truth> stack_;
  std::vector<int32_t> fired_, blocked_, errored_;
  int32_t candidates_ = 0;
  int32_t lead_groups_tested_ = 0;
  AtomScratch atom_;
};

// Matches every rule of `program` in force at `as_of` against `facts`;
// results in `scratch`. REQUIRES: `facts` has the program's schema's root
// type.
void Match(const CompiledRuleSet& program, const FactRecord& facts,
           absl::Time as_of, MatchScratch* scratch);

// The RuleMatch of `rule` (fired, blocked or errored) in the last Match of
// `program` with `scratch`.
RuleMatch Explain(const CompiledRuleSet& program, int32_t rule,
                  MatchScratch* scratch);

// Match and Explain of every fired, blocked and errored rule. Without
// `fired_evidence` the fired rules are not explained (their RuleMatch has
// no evidence); the errored ones always are, and the blocked ones get
// Explain's unknown paths, worked out without explaining them.
MatchResult MatchWithMatcher(const CompiledRuleSet& program,
                             const FactRecord& facts, absl::Time as_of,
                             bool fired_evidence = true);

}  // namespace lantern

#endif  // LANTERN_ENGINE_MATCH_MATCHER_H_
