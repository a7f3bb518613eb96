// The whole engine by the test oracle: MatchWithReference,
// DecideWithReference, AssessWithReference and CheckInvariantsWithReference
// (tests/oracle/oracle.h).
#include <algorithm>
#include <utility>

#include "engine/decide/decide.h"
#include "tests/oracle/oracle.h"

namespace lantern {
namespace {

// Each condition of the policy evaluated by the oracle.
class ReferencePolicyEvaluator : public PolicyEvaluator {
 public:
  ReferencePolicyEvaluator(const RuleSet& ruleset, const FactRecord& facts,
                           absl::Time as_of)
      : policy_(ruleset.policy),
        facts_(facts),
        evaluator_(ruleset.schema.get(), &ruleset.policy.constants, as_of) {}

  ConditionResult Floor(size_t floor, const PolicyInputs& inputs) override {
    const Condition& c = policy_.concern_floors[floor].when;
    return evaluator_.EvaluateCondition(*c.expr, c.source, facts_, &inputs);
  }
  ConditionResult Prompt(size_t prompt, const PolicyInputs& inputs) override {
    const Condition& c = policy_.prompts[prompt].when;
    return evaluator_.EvaluateCondition(*c.expr, c.source, facts_, &inputs);
  }
  ConditionResult Finding(size_t prompt, size_t finding,
                          const PolicyInputs& inputs) override {
    const Condition& c = *policy_.prompts[prompt].findings[finding].when;
    return evaluator_.EvaluateCondition(*c.expr, c.source, facts_, &inputs);
  }
  ValueResult Due(size_t action, const PolicyInputs& inputs) override {
    const Condition& c = *policy_.actions[action].due;
    return evaluator_.EvaluateValue(*c.expr, c.source, facts_, &inputs);
  }

 private:
  const Policy& policy_;
  const FactRecord& facts_;
  ReferenceEvaluator evaluator_;
};

}  // namespace

MatchResult MatchWithReference(const RuleSet& ruleset, const FactRecord& facts,
                               absl::Time as_of) {
  MatchResult out;
  ReferenceEvaluator evaluator(ruleset.schema.get(), &ruleset.constants, as_of);
  for (int32_t i = 0; i < static_cast<int32_t>(ruleset.rules.size()); ++i) {
    const Rule& rule = ruleset.rules[i];
    if (!rule.effective.Contains(as_of)) continue;
    ConditionResult result =
        evaluator.EvaluateCondition(*rule.when.expr, rule.when.source, facts);
    switch (result.truth) {
      case Truth::kTrue:
        out.fired.push_back({i, std::move(result.reasons), {}, ""});
        break;
      case Truth::kUnknown:
        out.blocked.push_back({i, {}, std::move(result.unknown_paths), ""});
        break;
      case Truth::kError:
        out.errored.push_back({i, {}, {}, std::move(result.error)});
        break;
      case Truth::kFalse:
        break;
    }
  }
  return out;
}

absl::StatusOr<Assessment> DecideWithReference(const RuleSet& ruleset,
                                               const FactRecord& facts,
                                               MatchResult match,
                                               absl::Time as_of) {
  ReferencePolicyEvaluator evaluator(ruleset, facts, as_of);
  return DecideWith(ruleset, facts, std::move(match), as_of, evaluator);
}

absl::StatusOr<Assessment> AssessWithReference(const RuleSet& ruleset,
                                               const FactRecord& facts,
                                               absl::Time as_of) {
  return DecideWithReference(ruleset, facts,
                             MatchWithReference(ruleset, facts, as_of), as_of);
}

std::vector<InvariantOutcome> CheckInvariantsWithReference(
    const RuleSet& ruleset, const FactRecord& facts, const Assessment& answer) {
  std::vector<InvariantOutcome> out;
  const PolicyInputs inputs = AnswerInputs(ruleset, answer);
  ReferenceEvaluator evaluator(ruleset.schema.get(), &ruleset.policy.constants,
                               answer.as_of);
  for (const Invariant& inv : ruleset.invariants) {
    ConditionResult when;
    when.truth = Truth::kTrue;
    if (inv.when.has_value()) {
      when = evaluator.EvaluateCondition(*inv.when->expr, inv.when->source,
                                         facts, &inputs);
    }
    const ConditionResult holds = evaluator.EvaluateCondition(
        *inv.holds.expr, inv.holds.source, facts, &inputs);
    InvariantOutcome o;
    o.invariant = &inv;
    o.premise = when.truth == Truth::kTrue;
    // !when || holds, Kleene with ERROR above UNKNOWN; the parts that
    // decide it give the reasons.
    std::vector<const ConditionResult*> parts;
    if (when.truth == Truth::kFalse) {
      o.truth = Truth::kTrue;
      parts = {&when};
    } else if (holds.truth == Truth::kTrue) {
      o.truth = Truth::kTrue;
      parts = {&holds};
    } else {
      const bool error =
          when.truth == Truth::kError || holds.truth == Truth::kError;
      const bool unknown =
          when.truth == Truth::kUnknown || holds.truth == Truth::kUnknown;
      o.truth = error     ? Truth::kError
                : unknown ? Truth::kUnknown
                          : Truth::kFalse;
      parts = {&when, &holds};
    }
    for (const ConditionResult* part : parts) {
      o.reasons.insert(o.reasons.end(), part->reasons.begin(),
                       part->reasons.end());
      if (o.truth == Truth::kUnknown) {
        o.unknown_paths.insert(o.unknown_paths.end(),
                               part->unknown_paths.begin(),
                               part->unknown_paths.end());
      }
      if (o.truth == Truth::kError && o.error.empty()) o.error = part->error;
    }
    std::sort(o.unknown_paths.begin(), o.unknown_paths.end());
    o.unknown_paths.erase(
        std::unique(o.unknown_paths.begin(), o.unknown_paths.end()),
        o.unknown_paths.end());
    out.push_back(std::move(o));
  }
  return out;
}

}  // namespace lantern
