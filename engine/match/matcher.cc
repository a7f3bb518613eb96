// Matcher hot path: entry point Match (engine/match/matcher.h).
//
// Per request, with no allocation once the scratch is warm:
//   1. DecodeFrame: every slot once.
//   2. Atoms, source by source, into two bitsets (TRUE; UNKNOWN or ERROR):
//      ordered sources by binary search among their thresholds and a copied
//      row of precomputed bits; presence sources by a copied row; set
//      sources by one hash lookup per list element; text sources by one
//      pass of the phrase automaton; compiled atoms by the VM.
//   3. Candidates: the rules reading any UNKNOWN or ERROR source or compiled
//      atom (three-valued), the always-evaluated rules, and every rule with
//      a lead entry whose atoms are all TRUE — found by scanning the TRUE
//      bits of lead atoms only, and under each the groups of entries whose
//      second atom is TRUE (two-valued). A bitset over rules keeps each
//      candidate once.
//   4. Evaluation of the candidates in force at `as_of`: Kleene logic over
//      the post-order tree, or the short-circuit jump code when every atom
//      the rule reads is known.
#include "engine/match/matcher.h"

#include <algorithm>
#include <cmath>

namespace lantern {

class MatchRun {
 public:
  MatchRun(const CompiledRuleSet& program, MatchScratch* scratch)
      : p_(program), s_(*scratch) {}

  void Run(const FactRecord& facts, absl::Time as_of);

  // The three-valued truth of atom `bit` in this request.
  Truth AtomTruth(int32_t bit) const {
    if (Test(s_.true_, bit)) return Truth::kTrue;
    if (!Test(s_.unsettled_, bit)) return Truth::kFalse;
    const AtomDef& atom = p_.atoms[bit];
    if (atom.compiled >= 0) return s_.compiled_truth_[atom.compiled];
    return s_.source_state_[atom.source];
  }

 private:
  static bool Test(const std::vector<uint64_t>& bits, int32_t bit) {
    return (bits[bit >> 6] >> (bit & 63)) & 1;
  }
  static void Set(std::vector<uint64_t>* bits, int32_t bit) {
    (*bits)[bit >> 6] |= uint64_t{1} << (bit & 63);
  }
  bool Mark(int32_t rule) {
    uint64_t& word = s_.marks_[rule >> 6];
    const uint64_t bit = uint64_t{1} << (rule & 63);
    if (word & bit) return false;
    word |= bit;
    return true;
  }
  void Prepare();
  void Unsettle(const SourceDef& source, int32_t index, Truth state);
  void EvaluateSource(int32_t index);
  void EvaluateOrdered(const SourceDef& source, const FrameValue& v);
  void CopyRow(const SourceDef& source, int32_t row);
  void EvaluateSet(const SourceDef& source, const FrameValue& v);
  void EvaluateText(const SourceDef& source, const FrameValue& v);
  void EvaluateCompiled();
  void CollectCandidates();
  void ScanLeads();
  void EvaluateCandidates(absl::Time as_of);
  bool InForce(int32_t rule, absl::Time as_of) const {
    if (p_.periods.empty()) return true;  // no rule has a period
    const int32_t period = p_.period[rule];
    return period < 0 || p_.periods[period].Contains(as_of);
  }
  Truth Kleene(int32_t rule);
  bool TwoValued(int32_t rule) const;

  const CompiledRuleSet& p_;
  MatchScratch& s_;
};

void MatchRun::Prepare() {
  s_.frame_.resize(p_.layout.size());
  s_.true_.assign(p_.words, 0);
  s_.unsettled_.assign(p_.words, 0);
  s_.true_[0] = 1;  // bit 0: the constant TRUE
  s_.source_state_.assign(p_.sources.size(), Truth::kFalse);
  s_.compiled_truth_.assign(p_.code.atom_count(), Truth::kFalse);
  s_.marks_.resize((p_.rule_count() + 63) / 64);
  s_.kleene_.clear();
  s_.boolean_.clear();
  s_.fired_.clear();
  s_.blocked_.clear();
  s_.errored_.clear();
  s_.strings_.Reset();
}

void MatchRun::Run(const FactRecord& facts, absl::Time as_of) {
  Prepare();
  DecodeFrame(p_.layout, *p_.schema, facts, as_of, &s_.strings_,
              s_.frame_.data());
  for (int32_t i = 0; i < static_cast<int32_t>(p_.sources.size()); ++i) {
    EvaluateSource(i);
  }
  CollectCandidates();
  EvaluateCandidates(as_of);
}

void MatchRun::Unsettle(const SourceDef& source, int32_t index, Truth state) {
  s_.source_state_[index] = state;
  std::fill_n(s_.unsettled_.begin() + source.first_word, source.words,
              ~uint64_t{0});
}

void MatchRun::EvaluateSource(int32_t index) {
  const SourceDef& source = p_.sources[index];
  if (source.kind == SourceKind::kCompiled) return EvaluateCompiled();
  const FrameValue& v = s_.frame_[source.slot];
  if (v.kind == VKind::kError) return Unsettle(source, index, Truth::kError);
  if (!v.known()) return Unsettle(source, index, Truth::kUnknown);
  switch (source.kind) {
    case SourceKind::kOrdered:
      return EvaluateOrdered(source, v);
    case SourceKind::kPresence:
      return CopyRow(source, v.b ? 1 : 0);
    case SourceKind::kSet:
      return EvaluateSet(source, v);
    case SourceKind::kText:
      return EvaluateText(source, v);
    case SourceKind::kCompiled:
      return;
  }
}

namespace {

// 2k (k thresholds below `v`) or 2k + 1 (equal to threshold k).
template <typename T, typename V>
int32_t ClassOf(const std::vector<T>& thresholds, const V& v) {
  const auto it = std::lower_bound(thresholds.begin(), thresholds.end(), v);
  const int32_t k = static_cast<int32_t>(it - thresholds.begin());
  return 2 * k + (it != thresholds.end() && !(v < *it) ? 1 : 0);
}

int32_t ClassOf(const SourceDef& source, const FrameValue& v) {
  switch (source.domain) {
    case Domain::kInt:
      return ClassOf(source.ints,
                     v.kind == VKind::kBool ? static_cast<int64_t>(v.b) : v.i);
    case Domain::kDouble: {
      const double d = v.kind == VKind::kInt ? static_cast<double>(v.i) : v.d;
      if (std::isnan(d))
        return 2 * static_cast<int32_t>(source.doubles.size()) + 1;
      return ClassOf(source.doubles, d);
    }
    case Domain::kString:
      return ClassOf(source.strings, v.s);
    case Domain::kTime:
      return ClassOf(source.times, v.t);
    case Domain::kDuration:
      return ClassOf(source.durations, v.dur);
  }
  return 0;
}

}  // namespace

void MatchRun::EvaluateOrdered(const SourceDef& source, const FrameValue& v) {
  CopyRow(source, ClassOf(source, v));
}

// Most sources span one or two words: copied inline, not by a memmove call.
void MatchRun::CopyRow(const SourceDef& source, int32_t row) {
  const uint64_t* from =
      source.rows.data() + static_cast<size_t>(row) * source.words;
  uint64_t* to = s_.true_.data() + source.first_word;
  switch (source.words) {
    case 2:
      to[1] = from[1];
      [[fallthrough]];
    case 1:
      to[0] = from[0];
      return;
    default:
      std::copy_n(from, source.words, to);
  }
}

void MatchRun::EvaluateSet(const SourceDef& source, const FrameValue& v) {
  FrameValue e;
  for (int32_t i = 0; i < v.size; ++i) {
    ScalarToValue(v.fact_list->values[i], v.elem, &e);
    const std::vector<int32_t>* bits = nullptr;
    if (e.kind == VKind::kString) {
      auto it = source.string_members.find(e.s);
      if (it != source.string_members.end()) bits = &it->second;
    } else {
      const int64_t key = e.kind == VKind::kBool ? e.b : e.i;
      auto it = source.int_members.find(key);
      if (it != source.int_members.end()) bits = &it->second;
    }
    if (bits == nullptr) continue;
    for (int32_t bit : *bits) Set(&s_.true_, bit);
  }
}

void MatchRun::EvaluateText(const SourceDef& source, const FrameValue& v) {
  p_.phrases.Scan(v.s, [&](int32_t phrase) {
    for (int32_t k = source.phrase_begin[phrase];
         k < source.phrase_begin[phrase + 1]; ++k) {
      Set(&s_.true_, source.phrase_bits[k]);
    }
  });
}

void MatchRun::EvaluateCompiled() {
  for (int32_t c = 0; c < p_.code.atom_count(); ++c) {
    const Truth truth = RunAtom(p_.code, c, *p_.schema, s_.frame_.data(),
                                &s_.atom_, /*trace=*/nullptr);
    s_.compiled_truth_[c] = truth;
    const int32_t bit = p_.compiled_bits[c];
    if (truth == Truth::kTrue) {
      Set(&s_.true_, bit);
    } else if (truth == Truth::kFalse) {
      if (p_.atoms[bit].complement >= 0) {
        Set(&s_.true_, p_.atoms[bit].complement);
      }
    } else {
      Set(&s_.unsettled_, bit);
    }
  }
}

void MatchRun::CollectCandidates() {
  for (size_t i = 0; i < p_.sources.size(); ++i) {
    if (s_.source_state_[i] == Truth::kFalse) continue;
    for (int32_t k = p_.source_rules_begin[i]; k < p_.source_rules_begin[i + 1];
         ++k) {
      if (Mark(p_.source_rules[k])) s_.kleene_.push_back(p_.source_rules[k]);
    }
  }
  for (int32_t c = 0; c < p_.code.atom_count(); ++c) {
    const Truth t = s_.compiled_truth_[c];
    if (t == Truth::kTrue || t == Truth::kFalse) continue;
    for (int32_t k = p_.compiled_rules_begin[c];
         k < p_.compiled_rules_begin[c + 1]; ++k) {
      if (Mark(p_.compiled_rules[k])) {
        s_.kleene_.push_back(p_.compiled_rules[k]);
      }
    }
  }
  for (int32_t rule : p_.always) {
    if (Mark(rule)) s_.boolean_.push_back(rule);
  }
  ScanLeads();
}

// The TRUE lead bits are gathered first and the start of each one's groups
// prefetched, so that the groups' cache misses overlap; the scan then reads
// the bitsets through local pointers (a candidate's push_back cannot move
// them).
void MatchRun::ScanLeads() {
  int32_t scanned = 0;
  const LeadGroup* groups = p_.lead_groups.data();
  const LeadEntry* entries = p_.leads.data();
  const int32_t* lead_begin = p_.lead_begin.data();
  const uint64_t* lead_mask = p_.lead_mask.data();
  const uint64_t* t = s_.true_.data();
  auto test = [t](int32_t bit) { return (t[bit >> 6] >> (bit & 63)) & 1; };
  constexpr int kAhead = 32;
  int32_t bits[kAhead];
  int32_t w = -1;
  uint64_t m = 0;  // word w's lead bits not yet gathered
  while (true) {
    int n = 0;
    while (n < kAhead) {
      while (m == 0 && ++w < p_.words) m = t[w] & lead_mask[w];
      if (m == 0) break;
      const int32_t bit = w * 64 + __builtin_ctzll(m);
      m &= m - 1;
      bits[n++] = bit;
      __builtin_prefetch(groups + lead_begin[bit]);
    }
    if (n == 0) break;
    for (int k = 0; k < n; ++k) {
      const int32_t bit = bits[k];
      const int32_t first = lead_begin[bit];
      const int32_t last = lead_begin[bit + 1];
      scanned += last - first;
      for (int32_t g = first; g < last; ++g) {
        if (!test(groups[g].second)) continue;
        const LeadEntry* e = entries + (g == 0 ? 0 : groups[g - 1].end);
        const LeadEntry* end = entries + groups[g].end;
        for (; e != end; ++e) {
          if ((test(e->third) & test(e->fourth)) && Mark(e->rule)) {
            s_.boolean_.push_back(e->rule);
          }
        }
      }
    }
  }
  s_.lead_groups_tested_ = scanned;
}

Truth MatchRun::Kleene(int32_t rule) {
  const int32_t first = p_.node_begin[rule];
  const int32_t count = p_.node_begin[rule + 1] - first;
  const Occurrence* occ = p_.occurrences.data() + p_.occ_begin[rule];
  s_.stack_.resize(count);
  Truth* t = s_.stack_.data();
  for (int32_t i = 0; i < count; ++i) {
    const LogicNode& n = p_.nodes[first + i];
    if (n.kind == LogicNode::kAtom) {
      t[i] = AtomTruth(occ[n.a].atom);
      continue;
    }
    const Truth a = t[n.a];
    if (n.kind == LogicNode::kNot) {
      t[i] = a == Truth::kTrue    ? Truth::kFalse
             : a == Truth::kFalse ? Truth::kTrue
                                  : a;
      continue;
    }
    const Truth b = t[n.b];
    const Truth decisive =
        n.kind == LogicNode::kAnd ? Truth::kFalse : Truth::kTrue;
    if (a == decisive || b == decisive) {
      t[i] = decisive;
    } else if (a == Truth::kError || b == Truth::kError) {
      t[i] = Truth::kError;
    } else if (a == Truth::kUnknown || b == Truth::kUnknown) {
      t[i] = Truth::kUnknown;
    } else {
      t[i] = n.kind == LogicNode::kAnd ? Truth::kTrue : Truth::kFalse;
    }
  }
  return t[count - 1];
}

bool MatchRun::TwoValued(int32_t rule) const {
  const JumpInstr* code = p_.jumps.data() + p_.occ_begin[rule];
  int32_t pc = 0;
  while (true) {
    const JumpInstr& j = code[pc];
    pc = Test(s_.true_, j.atom) ? j.on_true : j.on_false;
    if (pc < 0) return pc == JumpInstr::kTrue;
  }
}

void MatchRun::EvaluateCandidates(absl::Time as_of) {
  for (int32_t rule : s_.kleene_) {
    if (!InForce(rule, as_of)) continue;
    switch (Kleene(rule)) {
      case Truth::kTrue:
        s_.fired_.push_back(rule);
        break;
      case Truth::kUnknown:
        s_.blocked_.push_back(rule);
        break;
      case Truth::kError:
        s_.errored_.push_back(rule);
        break;
      case Truth::kFalse:
        break;
    }
  }
  for (int32_t rule : s_.boolean_) {
    if (InForce(rule, as_of) && TwoValued(rule)) s_.fired_.push_back(rule);
  }
  for (int32_t rule : s_.kleene_) s_.marks_[rule >> 6] = 0;
  for (int32_t rule : s_.boolean_) s_.marks_[rule >> 6] = 0;
  s_.candidates_ = static_cast<int32_t>(s_.kleene_.size() + s_.boolean_.size());
  std::sort(s_.fired_.begin(), s_.fired_.end());
  std::sort(s_.blocked_.begin(), s_.blocked_.end());
  std::sort(s_.errored_.begin(), s_.errored_.end());
}

void Match(const CompiledRuleSet& program, const FactRecord& facts,
           absl::Time as_of, MatchScratch* scratch) {
  MatchRun(program, scratch).Run(facts, as_of);
}

}  // namespace lantern
