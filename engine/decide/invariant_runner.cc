// Invariant runner: entry point RunInvariantsOnGenerated (see the header).
// Shrinking is greedy: try every one-step smaller episode (SmallerFacts),
// keep the first that still violates the invariant, and repeat until none
// does or the budget of assessments is spent.
#include "engine/decide/invariant_runner.h"

#include <optional>
#include <utility>

#include "engine/decide/episode_generator.h"
#include "engine/decide/invariants.h"

namespace lantern {
namespace {

constexpr int kShrinkBudget = 3000;  // assessments per counterexample

// The outcome of invariant `index` on `facts`, or nullopt when `assess`
// refuses them.
std::optional<InvariantOutcome> Outcome(const CompiledRuleSet& program,
                                        const AssessFn& assess,
                                        const FactRecord& facts,
                                        absl::Time as_of, size_t index) {
  absl::StatusOr<Assessment> a = assess(*program.ruleset, facts, as_of);
  if (!a.ok()) return std::nullopt;
  std::vector<InvariantOutcome> all = CheckInvariants(program, facts, *a);
  return std::move(all[index]);
}

Counterexample Shrink(const CompiledRuleSet& program, const AssessFn& assess,
                      FactRecord facts, absl::Time as_of, size_t index,
                      std::string explanation) {
  int budget = kShrinkBudget;
  bool smaller = true;
  while (smaller && budget > 0) {
    smaller = false;
    for (FactRecord& candidate : SmallerFacts(facts)) {
      if (--budget < 0) break;
      std::optional<InvariantOutcome> o =
          Outcome(program, assess, candidate, as_of, index);
      if (!o.has_value() || o->truth != Truth::kFalse) continue;
      facts = std::move(candidate);
      explanation = DescribeOutcome(*o);
      smaller = true;
      break;
    }
  }
  Counterexample out;
  out.facts = std::make_shared<const FactRecord>(std::move(facts));
  out.as_of = as_of;
  out.explanation = std::move(explanation);
  return out;
}

}  // namespace

bool GeneratedReport::ok() const {
  if (assess_failures > 0) return false;
  for (const InvariantTally& t : invariants) {
    if (t.violated > 0 || t.errors > 0) return false;
  }
  return true;
}

GeneratedReport RunInvariantsOnGenerated(const CompiledRuleSet& program,
                                         const AssessFn& assess,
                                         int64_t episodes, uint64_t seed) {
  const RuleSet& ruleset = *program.ruleset;
  GeneratedReport report;
  for (const Invariant& inv : ruleset.invariants) {
    InvariantTally tally;
    tally.invariant = &inv;
    report.invariants.push_back(std::move(tally));
  }
  std::vector<int64_t> fires(ruleset.rules.size(), 0);
  EpisodeGenerator generator(ruleset, seed);
  for (int64_t n = 0; n < episodes; ++n) {
    GeneratedEpisode episode = generator.Next();
    ++report.episodes;
    absl::StatusOr<Assessment> a =
        assess(ruleset, episode.facts, episode.as_of);
    if (!a.ok()) {
      if (report.assess_failures++ == 0) {
        report.first_assess_error = std::string(a.status().message());
      }
      continue;
    }
    for (const FiredRule& r : a->fired) {
      const Rule* rule = ruleset.FindRule(r.id);
      if (rule != nullptr) ++fires[rule - ruleset.rules.data()];
    }
    std::vector<InvariantOutcome> outcomes =
        CheckInvariants(program, episode.facts, *a);
    for (size_t i = 0; i < outcomes.size(); ++i) {
      InvariantTally& t = report.invariants[i];
      const InvariantOutcome& o = outcomes[i];
      t.applied += o.premise;
      switch (o.truth) {
        case Truth::kTrue:
          ++t.held;
          break;
        case Truth::kUnknown:
          ++t.undecided;
          break;
        case Truth::kError:
          ++t.errors;
          break;
        case Truth::kFalse:
          if (t.violated++ == 0) {
            t.counterexamples.push_back(
                Shrink(program, assess, CopyFacts(episode.facts), episode.as_of,
                       i, DescribeOutcome(o)));
            t.counterexamples.back().episode = n;
          }
          break;
      }
    }
  }
  for (size_t i = 0; i < ruleset.rules.size(); ++i) {
    report.rule_fires.emplace_back(ruleset.rules[i].id, fires[i]);
  }
  return report;
}

}  // namespace lantern
