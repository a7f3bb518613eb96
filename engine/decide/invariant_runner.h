// Invariant runner: a ruleset's invariants checked on generated episodes.
//
// Entry point: RunInvariantsOnGenerated. It draws `episodes` episodes from
// an EpisodeGenerator (engine/decide/episode_generator.h) seeded with `seed`,
// assesses each with `assess`, checks every invariant on the answer
// (engine/decide/invariants.h) and tallies, per invariant, how often it held,
// applied (its premise was TRUE), was violated, undecided (UNKNOWN) or
// failed to evaluate, and per rule how many episodes fired it — so that a
// reader can see the generator reached the rules. The first violation of
// each invariant is kept as a counterexample, shrunk: fields and list
// elements are dropped one at a time for as long as the smaller episode
// still violates the same invariant.
//
// Thread-safety: stateless; the program and its RuleSet are only read.
#ifndef LANTERN_ENGINE_DECIDE_INVARIANT_RUNNER_H_
#define LANTERN_ENGINE_DECIDE_INVARIANT_RUNNER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "engine/decide/rule_test_runner.h"
#include "engine/facts/facts.h"
#include "engine/match/program.h"
#include "engine/ruleset/ruleset.h"

namespace lantern {

struct Counterexample {
  std::shared_ptr<const FactRecord> facts;  // shrunk
  absl::Time as_of;
  int64_t episode = 0;      // which generated episode (0-based)
  std::string explanation;  // DescribeOutcome of the shrunk episode
};

struct InvariantTally {
  const Invariant* invariant = nullptr;
  int64_t held = 0, applied = 0, violated = 0, undecided = 0, errors = 0;
  std::vector<Counterexample> counterexamples;  // at most one; the first
};

struct GeneratedReport {
  int64_t episodes = 0;
  int64_t assess_failures = 0;             // episodes `assess` refused
  std::string first_assess_error;          // the first one's message
  std::vector<InvariantTally> invariants;  // the ruleset's order
  // Rule id → episodes that fired it, for every rule (in id order).
  std::vector<std::pair<std::string, int64_t>> rule_fires;

  bool ok() const;  // no violation, error or refused assessment
};

// Invariants are evaluated by `program`; episodes are assessed by `assess`.
GeneratedReport RunInvariantsOnGenerated(const CompiledRuleSet& program,
                                         const AssessFn& assess,
                                         int64_t episodes, uint64_t seed);

}  // namespace lantern

#endif  // LANTERN_ENGINE_DECIDE_INVARIANT_RUNNER_H_
