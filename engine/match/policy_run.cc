// PolicyRun (engine/match/policy_run.h): every atom occurrence of a
// condition run by the VM in its fast mode, combined over the condition's
// post-order tree keeping per node the occurrences that decide it (the table
// of doc/language.md, "Explanations"), as the matcher explains rules
// (matcher_explain.cc); then only the occurrences that decide it are run
// again traced, for their readings.
#include "engine/match/policy_run.h"

#include <algorithm>
#include <string>
#include <utility>

namespace lantern {
namespace {

struct Outcome {
  Truth truth = Truth::kFalse;
  std::vector<int32_t> reasons;  // occurrences
};

void Append(std::vector<int32_t>* to, const std::vector<int32_t>& from) {
  to->insert(to->end(), from.begin(), from.end());
}

Truth Negate(Truth t) {
  return t == Truth::kTrue    ? Truth::kFalse
         : t == Truth::kFalse ? Truth::kTrue
                              : t;
}

// A known scalar as a literal; false for lists and messages.
bool ToLiteral(const FrameValue& v, LiteralValue* out) {
  switch (v.kind) {
    case VKind::kBool:
      *out = v.b;
      return true;
    case VKind::kInt:
      *out = v.i;
      return true;
    case VKind::kDouble:
      *out = v.d;
      return true;
    case VKind::kString:
      *out = std::string(v.s);
      return true;
    case VKind::kTime:
      *out = v.t;
      return true;
    case VKind::kDuration:
      *out = v.dur;
      return true;
    case VKind::kEnum:
      *out = EnumLiteral{static_cast<int32_t>(v.i)};
      return true;
    default:
      return false;
  }
}

}  // namespace

PolicyRun::PolicyRun(const CompiledRuleSet& program, const FactRecord& facts,
                     absl::Time as_of)
    : program_(program),
      policy_(program.policy),
      frame_(policy_.layout.size()) {
  DecodeFrame(policy_.layout, *program_.schema, facts, as_of, &strings_,
              frame_.data());
}

ConditionResult PolicyRun::Evaluate(const PolicyCondition& condition,
                                    const PolicyInputs& inputs, bool readings) {
  // Truths first, untraced (the VM's fast mode gives the same truth); only
  // the occurrences that decide the condition are re-run traced below.
  const size_t n = condition.occurrences.size();
  std::vector<Truth> truths(n);
  for (size_t i = 0; i < n; ++i) {
    truths[i] =
        RunAtom(policy_.code, condition.occurrences[i].atom, *program_.schema,
                frame_.data(), &scratch_, /*trace=*/nullptr, &inputs);
  }
  std::vector<Outcome> out(condition.nodes.size());
  for (size_t i = 0; i < condition.nodes.size(); ++i) {
    const LogicNode& node = condition.nodes[i];
    Outcome& o = out[i];
    if (node.kind == LogicNode::kAtom) {
      o.truth = truths[node.a];
      o.reasons = {node.a};
      continue;
    }
    const Outcome& a = out[node.a];
    if (node.kind == LogicNode::kNot) {
      o.truth = Negate(a.truth);
      o.reasons = a.reasons;
      continue;
    }
    const Outcome& b = out[node.b];
    const bool is_and = node.kind == LogicNode::kAnd;
    const Truth decisive = is_and ? Truth::kFalse : Truth::kTrue;
    const Truth other = is_and ? Truth::kTrue : Truth::kFalse;
    if (a.truth == decisive || b.truth == decisive) {
      o.truth = decisive;
      if (a.truth == decisive) Append(&o.reasons, a.reasons);
      if (b.truth == decisive) Append(&o.reasons, b.reasons);
    } else if (a.truth == other && b.truth == other) {
      o.truth = other;
      Append(&o.reasons, a.reasons);
      Append(&o.reasons, b.reasons);
    } else {
      const bool error = a.truth == Truth::kError || b.truth == Truth::kError;
      o.truth = error ? Truth::kError : Truth::kUnknown;
      if (a.truth != other) Append(&o.reasons, a.reasons);
      if (b.truth != other) Append(&o.reasons, b.reasons);
    }
  }
  const Outcome& root = out.back();
  ConditionResult result;
  result.truth = root.truth;
  const bool undecided =
      root.truth == Truth::kUnknown || root.truth == Truth::kError;
  if (!readings && !undecided) return result;
  const Occurrence* occ = condition.occurrences.data();
  std::vector<int32_t> reasons = root.reasons;
  std::sort(reasons.begin(), reasons.end(), [occ](int32_t a, int32_t b) {
    return occ[a].offset != occ[b].offset ? occ[a].offset < occ[b].offset
                                          : a < b;
  });
  reasons.erase(std::unique(reasons.begin(), reasons.end()), reasons.end());
  for (int32_t i : reasons) {
    AtomTrace trace;
    RunAtom(policy_.code, occ[i].atom, *program_.schema, frame_.data(),
            &scratch_, &trace, &inputs);
    if (readings) {
      AtomEvidence evidence;
      evidence.condition = policy_.texts[occ[i].text];
      evidence.offset = occ[i].offset;
      evidence.truth = truths[i];
      evidence.readings = std::move(trace.readings);
      result.reasons.push_back(std::move(evidence));
    }
    if (root.truth == Truth::kUnknown) {
      result.unknown_paths.insert(result.unknown_paths.end(),
                                  trace.unknown_paths.begin(),
                                  trace.unknown_paths.end());
    }
    if (root.truth == Truth::kError && result.error.empty()) {
      result.error = trace.error;
    }
  }
  std::sort(result.unknown_paths.begin(), result.unknown_paths.end());
  result.unknown_paths.erase(
      std::unique(result.unknown_paths.begin(), result.unknown_paths.end()),
      result.unknown_paths.end());
  return result;
}

ValueResult PolicyRun::EvaluateValue(int32_t atom, const PolicyInputs& inputs) {
  AtomTrace trace;
  const FrameValue value =
      RunAtomValue(policy_.code, atom, *program_.schema, frame_.data(),
                   &scratch_, &trace, &inputs);
  ValueResult result;
  if (value.kind == VKind::kError) {
    result.truth = Truth::kError;
    result.error = std::string(value.error);
  } else if (!value.known()) {
    result.truth = Truth::kUnknown;
    result.unknown_paths = std::move(trace.unknown_paths);
    std::sort(result.unknown_paths.begin(), result.unknown_paths.end());
  } else if (ToLiteral(value, &result.value)) {
    result.truth = Truth::kTrue;
  } else {
    result.truth = Truth::kError;
    result.error = "the expression's value is not a scalar";
  }
  return result;
}

}  // namespace lantern
