// PolicyRun (engine/match/policy_run.h): every atom of a condition run by
// the VM in its fast mode (once per inputs: its truth is remembered for the
// other conditions that test it), the truths combined over the condition's
// post-order tree; then, only when the caller needs reasons or an undecided
// truth needs paths, the occurrences that decide it (the table of
// doc/language.md, "Explanations", as the matcher explains rules in
// matcher_explain.cc) are found by a walk down from the root and run again
// traced, each atom's trace also remembered.
#include "engine/match/policy_run.h"

#include <algorithm>
#include <string>
#include <utility>

namespace lantern {
namespace {

Truth Negate(Truth t) {
  return t == Truth::kTrue    ? Truth::kFalse
         : t == Truth::kFalse ? Truth::kTrue
                              : t;
}

// `&&` (or `||`) of two truths: the decisive one (FALSE, or TRUE) if either
// is; the other if both are; else ERROR if either is, else UNKNOWN.
Truth Combine(bool is_and, Truth a, Truth b) {
  const Truth decisive = is_and ? Truth::kFalse : Truth::kTrue;
  const Truth other = is_and ? Truth::kTrue : Truth::kFalse;
  if (a == decisive || b == decisive) return decisive;
  if (a == other && b == other) return other;
  return a == Truth::kError || b == Truth::kError ? Truth::kError
                                                  : Truth::kUnknown;
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
      frame_(policy_.layout.size()),
      truth_(policy_.code.atom_count(), kNotRun),
      trace_(policy_.code.atom_count(), -1) {
  DecodeFrame(policy_.layout, *program_.schema, facts, as_of, &strings_,
              frame_.data());
}

void PolicyRun::SetInputs(const PolicyInputs& inputs) {
  inputs_ = &inputs;
  std::fill(truth_.begin(), truth_.end(), kNotRun);
  std::fill(trace_.begin(), trace_.end(), -1);
  traces_used_ = 0;
}

void PolicyRun::LevelsChanged() {
  const std::vector<bool>& reads = policy_.atom_reads_levels;
  for (size_t a = 0; a < truth_.size(); ++a) {
    if (a < reads.size() && !reads[a]) continue;
    truth_[a] = kNotRun;
    trace_[a] = -1;
  }
}

Truth PolicyRun::AtomTruth(int32_t atom) {
  int8_t& memo = truth_[atom];
  if (memo == kNotRun) {
    memo = static_cast<int8_t>(RunAtom(policy_.code, atom, *program_.schema,
                                       frame_.data(), &scratch_,
                                       /*trace=*/nullptr, inputs_));
  }
  return static_cast<Truth>(memo);
}

const AtomTrace& PolicyRun::AtomTraced(int32_t atom) {
  if (trace_[atom] < 0) {
    if (traces_used_ == traces_.size()) traces_.emplace_back();
    AtomTrace& trace = traces_[traces_used_];
    trace.readings.clear();
    trace.unknown_paths.clear();
    trace.error.clear();
    RunAtom(policy_.code, atom, *program_.schema, frame_.data(), &scratch_,
            &trace, inputs_);
    trace_[atom] = static_cast<int32_t>(traces_used_++);
  }
  return traces_[trace_[atom]];
}

// The occurrences that decide the root (node truths in `node_truth_`):
// down from the root, through a `!` to its operand, through `&&` / `||` to
// the operands that are decisive if any is, both if both are the other
// value, else those that are not the other value. Sorted by source offset.
void PolicyRun::CollectReasons(const PolicyCondition& condition) {
  const std::vector<LogicNode>& nodes = condition.nodes;
  reasons_.clear();
  stack_.clear();
  stack_.push_back(static_cast<int32_t>(nodes.size()) - 1);
  while (!stack_.empty()) {
    const LogicNode& node = nodes[stack_.back()];
    stack_.pop_back();
    if (node.kind == LogicNode::kAtom) {
      reasons_.push_back(node.a);
      continue;
    }
    if (node.kind == LogicNode::kNot) {
      stack_.push_back(node.a);
      continue;
    }
    const Truth a = node_truth_[node.a], b = node_truth_[node.b];
    const bool is_and = node.kind == LogicNode::kAnd;
    const Truth decisive = is_and ? Truth::kFalse : Truth::kTrue;
    const Truth other = is_and ? Truth::kTrue : Truth::kFalse;
    const bool any_decisive = a == decisive || b == decisive;
    const bool both_other = a == other && b == other;
    if (any_decisive ? a == decisive : (both_other || a != other)) {
      stack_.push_back(node.a);
    }
    if (any_decisive ? b == decisive : (both_other || b != other)) {
      stack_.push_back(node.b);
    }
  }
  const Occurrence* occ = condition.occurrences.data();
  std::sort(reasons_.begin(), reasons_.end(), [occ](int32_t a, int32_t b) {
    return occ[a].offset != occ[b].offset ? occ[a].offset < occ[b].offset
                                          : a < b;
  });
  reasons_.erase(std::unique(reasons_.begin(), reasons_.end()), reasons_.end());
}

ConditionResult PolicyRun::Evaluate(const PolicyCondition& condition,
                                    bool readings) {
  const Occurrence* occ = condition.occurrences.data();
  const std::vector<LogicNode>& nodes = condition.nodes;
  node_truth_.resize(nodes.size());
  for (size_t i = 0; i < nodes.size(); ++i) {
    const LogicNode& node = nodes[i];
    node_truth_[i] = node.kind == LogicNode::kAtom ? AtomTruth(occ[node.a].atom)
                     : node.kind == LogicNode::kNot
                         ? Negate(node_truth_[node.a])
                         : Combine(node.kind == LogicNode::kAnd,
                                   node_truth_[node.a], node_truth_[node.b]);
  }
  ConditionResult result;
  result.truth = node_truth_.back();
  const bool undecided =
      result.truth == Truth::kUnknown || result.truth == Truth::kError;
  if (!readings && !undecided) return result;
  CollectReasons(condition);
  for (int32_t i : reasons_) {
    const AtomTrace& trace = AtomTraced(occ[i].atom);
    if (readings) {
      AtomEvidence& evidence = result.reasons.emplace_back();
      evidence.condition = policy_.texts[occ[i].text];
      evidence.offset = occ[i].offset;
      evidence.truth = AtomTruth(occ[i].atom);
      evidence.readings = trace.readings;
    }
    if (result.truth == Truth::kUnknown) {
      result.unknown_paths.insert(result.unknown_paths.end(),
                                  trace.unknown_paths.begin(),
                                  trace.unknown_paths.end());
    }
    if (result.truth == Truth::kError && result.error.empty()) {
      result.error = trace.error;
    }
  }
  std::sort(result.unknown_paths.begin(), result.unknown_paths.end());
  result.unknown_paths.erase(
      std::unique(result.unknown_paths.begin(), result.unknown_paths.end()),
      result.unknown_paths.end());
  return result;
}

ValueResult PolicyRun::EvaluateValue(int32_t atom) {
  ValueResult result;
  // Untraced first: a known value needs no trace; an unknown or failed one
  // is run again traced for its paths or message.
  FrameValue value = RunAtomValue(policy_.code, atom, *program_.schema,
                                  frame_.data(), &scratch_, nullptr, inputs_);
  if (value.kind != VKind::kError && value.known()) {
    if (ToLiteral(value, &result.value)) {
      result.truth = Truth::kTrue;
    } else {
      result.truth = Truth::kError;
      result.error = "the expression's value is not a scalar";
    }
    return result;
  }
  AtomTrace trace;
  value = RunAtomValue(policy_.code, atom, *program_.schema, frame_.data(),
                       &scratch_, &trace, inputs_);
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
