// The policy stage over the reference evaluator: entry points
// MatchWithReference, DecideWithReference and AssessWithReference
// (engine/decide/decide.h), the oracle the compiled path is tested against.
#include <utility>

#include "engine/decide/decide.h"
#include "engine/reference/evaluator.h"

namespace lantern {
namespace {

// Each condition of the policy evaluated by the reference evaluator. The
// floors share one memo (they read the inputs before any floor), the
// prompts and findings another; a memo changes no result.
class ReferencePolicyEvaluator : public PolicyEvaluator {
 public:
  ReferencePolicyEvaluator(const RuleSet& ruleset, const FactRecord& facts,
                           absl::Time as_of)
      : policy_(ruleset.policy),
        facts_(facts),
        evaluator_(ruleset.schema.get(), &ruleset.policy.constants, as_of) {}

  ConditionResult Floor(size_t floor, const PolicyInputs& inputs) override {
    const Condition& c = policy_.concern_floors[floor].when;
    return evaluator_.EvaluateCondition(*c.expr, c.source, facts_, &inputs,
                                        &floor_memo_);
  }
  ConditionResult Prompt(size_t prompt, const PolicyInputs& inputs) override {
    const Condition& c = policy_.prompts[prompt].when;
    return evaluator_.EvaluateCondition(*c.expr, c.source, facts_, &inputs,
                                        &prompt_memo_);
  }
  ConditionResult Finding(size_t prompt, size_t finding,
                          const PolicyInputs& inputs) override {
    const Condition& c = *policy_.prompts[prompt].findings[finding].when;
    return evaluator_.EvaluateCondition(*c.expr, c.source, facts_, &inputs,
                                        &prompt_memo_);
  }
  ValueResult Due(size_t action, const PolicyInputs& inputs) override {
    const Condition& c = *policy_.actions[action].due;
    return evaluator_.EvaluateValue(*c.expr, c.source, facts_, &inputs);
  }

 private:
  const Policy& policy_;
  const FactRecord& facts_;
  ReferenceEvaluator evaluator_;
  AtomMemo floor_memo_, prompt_memo_;
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

}  // namespace lantern
