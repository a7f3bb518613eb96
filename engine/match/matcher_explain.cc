// Matcher explanations: entry points Explain and MatchWithMatcher
// (engine/match/matcher.h).
//
// Explain reproduces the reference evaluator's reasons
// (doc/language.md) from the matcher's own per-request state: the
// rule's post-order tree is combined once more over the atom truths Match left
// in the scratch, keeping per node the occurrences that decide it (the
// reference's table for `&&`,
// `||` and `!`). Each deciding occurrence is quoted with the text and
// offset the compiler stored, and its readings come from the frame slot it
// read (simple atoms: one reading) or from a traced re-run of its compiled
// code (compiled atoms). Nothing here walks the rule's syntax tree.
//
// A blocked rule needs only its unknown paths (BlockedPaths): the same
// deciding occurrences, found without building a reason list per node,
// and each compiled atom's paths traced once per request however many
// blocked rules share it.
#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/match/matcher.h"

namespace lantern {

class MatchExplainer {
 public:
  MatchExplainer(const CompiledRuleSet& program, MatchScratch* scratch)
      : p_(program), s_(*scratch) {}

  RuleMatch Explain(int32_t rule);

  // Per request: by compiled atom, whether its unknown paths were traced
  // in request `request` and what they were.
  struct PathMemo {
    uint64_t request = 0;
    std::vector<uint64_t> traced_in;
    std::vector<std::vector<std::string>> paths;
  };
  // Explain(rule).unknown_paths for a rule Match left UNKNOWN. REQUIRES:
  // `memo->request` is this request's and unique to it.
  std::vector<std::string> BlockedPaths(int32_t rule, PathMemo* memo);

 private:
  struct Outcome {
    Truth truth = Truth::kFalse;
    std::vector<int32_t> reasons;  // rule-local occurrences
  };
  struct AtomRecord {
    AtomEvidence evidence;
    std::vector<std::string> unknown_paths;
    std::string error;
  };

  Truth AtomTruth(int32_t bit) const;
  std::vector<Outcome> Combine(int32_t rule) const;
  // The truth of node `n` from its children's, as Combine's.
  static Truth NodeTruth(const LogicNode& n, Truth a, Truth b);
  // `readings`: the evidence (a TRUE rule's); without, only the unknown
  // paths and error are recorded.
  AtomRecord Record(const Occurrence& occ, bool readings);

  const CompiledRuleSet& p_;
  MatchScratch& s_;
};

Truth MatchExplainer::AtomTruth(int32_t bit) const {
  const auto test = [bit](const std::vector<uint64_t>& bits) {
    return (bits[bit >> 6] >> (bit & 63)) & 1;
  };
  if (test(s_.true_)) return Truth::kTrue;
  if (!test(s_.unsettled_)) return Truth::kFalse;
  const AtomDef& atom = p_.atoms[bit];
  if (atom.compiled >= 0) return s_.compiled_truth_[atom.compiled];
  return s_.source_state_[atom.source];
}

namespace {

void Append(std::vector<int32_t>* to, const std::vector<int32_t>& from) {
  to->insert(to->end(), from.begin(), from.end());
}

}  // namespace

Truth MatchExplainer::NodeTruth(const LogicNode& n, Truth a, Truth b) {
  if (n.kind == LogicNode::kNot) {
    return a == Truth::kTrue    ? Truth::kFalse
           : a == Truth::kFalse ? Truth::kTrue
                                : a;
  }
  const bool is_and = n.kind == LogicNode::kAnd;
  const Truth decisive = is_and ? Truth::kFalse : Truth::kTrue;
  const Truth other = is_and ? Truth::kTrue : Truth::kFalse;
  if (a == decisive || b == decisive) return decisive;
  if (a == other && b == other) return other;
  return a == Truth::kError || b == Truth::kError ? Truth::kError
                                                  : Truth::kUnknown;
}

// Every node's truth and deciding occurrences, as the reference's Combine.
std::vector<MatchExplainer::Outcome> MatchExplainer::Combine(
    int32_t rule) const {
  const int32_t first = p_.node_begin[rule];
  const int32_t count = p_.node_begin[rule + 1] - first;
  const Occurrence* occ = p_.occurrences.data() + p_.occ_begin[rule];
  std::vector<Outcome> out(count);
  for (int32_t i = 0; i < count; ++i) {
    const LogicNode& n = p_.nodes[first + i];
    Outcome& o = out[i];
    if (n.kind == LogicNode::kAtom) {
      o.truth = AtomTruth(occ[n.a].atom);
      o.reasons = {n.a};
      continue;
    }
    const Outcome& a = out[n.a];
    if (n.kind == LogicNode::kNot) {
      o.reasons = a.reasons;
      o.truth = NodeTruth(n, a.truth, a.truth);
      continue;
    }
    const Outcome& b = out[n.b];
    const bool is_and = n.kind == LogicNode::kAnd;
    const Truth decisive = is_and ? Truth::kFalse : Truth::kTrue;
    const Truth other = is_and ? Truth::kTrue : Truth::kFalse;
    o.truth = NodeTruth(n, a.truth, b.truth);
    if (o.truth == decisive) {
      if (a.truth == decisive) Append(&o.reasons, a.reasons);
      if (b.truth == decisive) Append(&o.reasons, b.reasons);
    } else if (o.truth == other) {
      Append(&o.reasons, a.reasons);
      Append(&o.reasons, b.reasons);
    } else {
      if (a.truth != other) Append(&o.reasons, a.reasons);
      if (b.truth != other) Append(&o.reasons, b.reasons);
    }
  }
  return out;
}

MatchExplainer::AtomRecord MatchExplainer::Record(const Occurrence& occ,
                                                  bool readings) {
  AtomRecord record;
  if (readings) {
    record.evidence.condition = p_.texts[occ.text];
    record.evidence.offset = occ.offset;
    record.evidence.truth = AtomTruth(occ.atom);
  }
  const AtomDef& atom = p_.atoms[occ.atom];
  if (atom.compiled >= 0) {
    AtomTrace trace;
    RunAtom(p_.code, atom.compiled, *p_.schema, s_.frame_.data(), &s_.atom_,
            &trace);
    record.evidence.readings = std::move(trace.readings);
    record.unknown_paths = std::move(trace.unknown_paths);
    record.error = std::move(trace.error);
    return record;
  }
  const SourceDef& source = p_.sources[atom.source];
  const FrameValue& v = s_.frame_[source.slot];
  const std::string& path = p_.layout.slot(source.slot).path();
  if (v.kind == VKind::kError) {
    record.error = std::string(v.error);
  } else if (!readings) {
    if (source.kind != SourceKind::kPresence && v.kind == VKind::kUnknown) {
      record.unknown_paths.push_back(path);
    }
  } else if (source.kind == SourceKind::kPresence) {
    record.evidence.readings.push_back({path, v.b ? "set" : "unset"});
  } else if (v.kind == VKind::kUnknown) {
    record.evidence.readings.push_back({path, "unset"});
    record.unknown_paths.push_back(path);
  } else {
    record.evidence.readings.push_back(
        {path, DisplayFrameValue(v, *p_.schema)});
  }
  return record;
}

RuleMatch MatchExplainer::Explain(int32_t rule) {
  const std::vector<Outcome> outcomes = Combine(rule);
  const Outcome& root = outcomes.back();
  const Occurrence* occ = p_.occurrences.data() + p_.occ_begin[rule];
  std::vector<int32_t> reasons = root.reasons;
  std::sort(reasons.begin(), reasons.end(), [occ](int32_t a, int32_t b) {
    return occ[a].offset != occ[b].offset ? occ[a].offset < occ[b].offset
                                          : a < b;
  });
  reasons.erase(std::unique(reasons.begin(), reasons.end()), reasons.end());
  RuleMatch match;
  match.rule = rule;
  const bool readings = root.truth == Truth::kTrue;
  for (int32_t i : reasons) {
    AtomRecord record = Record(occ[i], readings);
    if (root.truth == Truth::kTrue) {
      match.evidence.push_back(std::move(record.evidence));
    } else if (root.truth == Truth::kUnknown) {
      match.unknown_paths.insert(match.unknown_paths.end(),
                                 record.unknown_paths.begin(),
                                 record.unknown_paths.end());
    } else if (root.truth == Truth::kError && match.error.empty()) {
      match.error = std::move(record.error);
    }
  }
  std::sort(match.unknown_paths.begin(), match.unknown_paths.end());
  match.unknown_paths.erase(
      std::unique(match.unknown_paths.begin(), match.unknown_paths.end()),
      match.unknown_paths.end());
  return match;
}

std::vector<std::string> MatchExplainer::BlockedPaths(int32_t rule,
                                                      PathMemo* memo) {
  const int32_t first = p_.node_begin[rule];
  const int32_t count = p_.node_begin[rule + 1] - first;
  const Occurrence* occ = p_.occurrences.data() + p_.occ_begin[rule];
  thread_local std::vector<Truth> truth;
  thread_local std::vector<int32_t> pending;
  truth.resize(count);
  for (int32_t i = 0; i < count; ++i) {
    const LogicNode& n = p_.nodes[first + i];
    if (n.kind == LogicNode::kAtom) {
      truth[i] = AtomTruth(occ[n.a].atom);
    } else {
      truth[i] = NodeTruth(n, truth[n.a],
                           n.kind == LogicNode::kNot ? truth[n.a] : truth[n.b]);
    }
  }
  // From the root down, the children Combine takes its reasons from; the
  // paths by pointer (into the memo and the layout) until they are unique.
  thread_local std::vector<const std::string*> found;
  found.clear();
  pending.assign(1, count - 1);
  while (!pending.empty()) {
    const int32_t i = pending.back();
    pending.pop_back();
    const LogicNode& n = p_.nodes[first + i];
    if (n.kind == LogicNode::kNot) {
      pending.push_back(n.a);
      continue;
    }
    if (n.kind != LogicNode::kAtom) {
      const bool is_and = n.kind == LogicNode::kAnd;
      const Truth decisive = is_and ? Truth::kFalse : Truth::kTrue;
      const Truth other = is_and ? Truth::kTrue : Truth::kFalse;
      for (int32_t child : {n.a, n.b}) {
        const bool reason = truth[i] == decisive ? truth[child] == decisive
                            : truth[i] == other  ? true
                                                 : truth[child] != other;
        if (reason) pending.push_back(child);
      }
      continue;
    }
    // An occurrence's unknown paths, as Record gives them without readings.
    const AtomDef& atom = p_.atoms[occ[n.a].atom];
    if (atom.compiled >= 0) {
      const size_t c = static_cast<size_t>(atom.compiled);
      if (memo->traced_in.size() <= c) {
        memo->traced_in.resize(s_.compiled_truth_.size(), 0);
        memo->paths.resize(s_.compiled_truth_.size());
      }
      if (memo->traced_in[c] != memo->request) {
        AtomTrace trace;
        RunAtom(p_.code, atom.compiled, *p_.schema, s_.frame_.data(), &s_.atom_,
                &trace);
        memo->paths[c] = std::move(trace.unknown_paths);
        memo->traced_in[c] = memo->request;
      }
      for (const std::string& p : memo->paths[c]) found.push_back(&p);
      continue;
    }
    const SourceDef& source = p_.sources[atom.source];
    const FrameValue& v = s_.frame_[source.slot];
    if (source.kind != SourceKind::kPresence && v.kind == VKind::kUnknown) {
      found.push_back(&p_.layout.slot(source.slot).path());
    }
  }
  std::sort(found.begin(), found.end(),
            [](const std::string* x, const std::string* y) { return *x < *y; });
  std::vector<std::string> paths;
  paths.reserve(found.size());
  for (const std::string* p : found) {
    if (paths.empty() || paths.back() != *p) paths.push_back(*p);
  }
  return paths;
}

RuleMatch Explain(const CompiledRuleSet& program, int32_t rule,
                  MatchScratch* scratch) {
  return MatchExplainer(program, scratch).Explain(rule);
}

MatchResult MatchWithMatcher(const CompiledRuleSet& program,
                             const FactRecord& facts, absl::Time as_of,
                             bool fired_evidence) {
  thread_local MatchScratch scratch;
  Match(program, facts, as_of, &scratch);
  MatchResult result;
  result.fired.reserve(scratch.fired().size());
  result.blocked.reserve(scratch.blocked().size());
  result.errored.reserve(scratch.errored().size());
  for (int32_t rule : scratch.fired()) {
    if (fired_evidence) {
      result.fired.push_back(Explain(program, rule, &scratch));
    } else {
      result.fired.push_back(RuleMatch{rule, {}, {}, {}});
    }
  }
  if (!scratch.blocked().empty()) {
    thread_local MatchExplainer::PathMemo memo;
    ++memo.request;
    MatchExplainer explainer(program, &scratch);
    for (int32_t rule : scratch.blocked()) {
      result.blocked.push_back(
          RuleMatch{rule, {}, explainer.BlockedPaths(rule, &memo), {}});
    }
  }
  for (int32_t rule : scratch.errored()) {
    result.errored.push_back(Explain(program, rule, &scratch));
  }
  return result;
}

}  // namespace lantern
