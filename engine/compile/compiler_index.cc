// The compiler's index builder: entry points ChooseLeads and BuildRules
// (engine/compile/internal/compiler_internal.h).
//
// Lead choice. A rule's condition can only be TRUE (under Kleene logic as
// well as two-valued) if one of its *alternatives* holds, computed over the
// logical tree:
//   atom, positive            {{atom}}
//   atom, negative            {{complement(atom)}} (or no key if none)
//   !x                        x with the polarity flipped
//   a && b (a || b negated)   each alternative of a joined with each of b
//   a || b (a && b negated)   the alternatives of a, then those of b
// Joins are capped (beyond kMaxJoin alternatives the side that is already
// more selective is kept alone); every alternative keeps only its
// kMaxKeys most selective atoms; an alternative holding an atom and its
// complement can never hold and is dropped. Dropping keys only weakens the
// filter, never its soundness: whenever the rule is TRUE, all keys of some
// alternative are TRUE, so its lead entry finds it.
//
// BuildRules then lays the rules out: occurrences, the post-order tree, the
// short-circuit jump code, lead entries grouped by their first bit (a
// counting sort) and then by their second, and for every source and compiled
// atom the rules that must be re-evaluated when it is UNKNOWN or ERROR.
#include <algorithm>
#include <tuple>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "engine/compile/internal/compiler_internal.h"

namespace lantern {
namespace compiler_internal {
namespace {

constexpr size_t kMaxKeys = 4;
constexpr size_t kMaxJoin = 8;
constexpr size_t kMaxUnion = 16;

using Alternative = std::vector<int32_t>;  // catalog ids, most selective first
using Alternatives = std::vector<Alternative>;

class LeadChooser {
 public:
  LeadChooser(AtomCatalog* catalog, const RuleBuild& rule)
      : catalog_(*catalog), rule_(rule) {}

  Alternatives Of(int32_t node, bool positive);

 private:
  double Chance(const Alternatives& alts) const;
  Alternatives Join(const Alternatives& a, const Alternatives& b) const;
  bool Normalize(Alternative* alt) const;

  AtomCatalog& catalog_;
  const RuleBuild& rule_;
};

Alternatives LeadChooser::Of(int32_t node, bool positive) {
  const LogicNode& n = rule_.nodes[node];
  switch (n.kind) {
    case LogicNode::kAtom: {
      const int32_t atom = rule_.occ_atoms[n.a];
      const int32_t key = positive ? atom : catalog_.Complement(atom);
      return key < 0 ? Alternatives{{}} : Alternatives{{key}};
    }
    case LogicNode::kNot:
      return Of(n.a, !positive);
    case LogicNode::kAnd:
    case LogicNode::kOr:
      break;
  }
  const bool join = (n.kind == LogicNode::kAnd) == positive;
  Alternatives a = Of(n.a, positive);
  Alternatives b = Of(n.b, positive);
  if (join) return Join(a, b);
  if (a.size() + b.size() > kMaxUnion) return {{}};
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// The estimated chance that some alternative holds (a union bound).
double LeadChooser::Chance(const Alternatives& alts) const {
  double chance = 0;
  for (const Alternative& alt : alts) {
    double p = 1;
    for (int32_t atom : alt) p *= catalog_.atoms[atom].selectivity;
    chance += p;
  }
  return chance;
}

// Sorts by selectivity, removes repeats and keeps kMaxKeys; false when the
// alternative requires an atom and its complement.
bool LeadChooser::Normalize(Alternative* alt) const {
  const auto& atoms = catalog_.atoms;
  std::sort(alt->begin(), alt->end(), [&](int32_t x, int32_t y) {
    if (atoms[x].selectivity != atoms[y].selectivity) {
      return atoms[x].selectivity < atoms[y].selectivity;
    }
    return x < y;
  });
  alt->erase(std::unique(alt->begin(), alt->end()), alt->end());
  for (int32_t atom : *alt) {
    const int32_t other = atoms[atom].complement_of >= 0
                              ? atoms[atom].complement_of
                              : atoms[atom].complement;
    if (other >= 0 &&
        std::find(alt->begin(), alt->end(), other) != alt->end()) {
      return false;
    }
  }
  if (alt->size() > kMaxKeys) alt->resize(kMaxKeys);
  return true;
}

Alternatives LeadChooser::Join(const Alternatives& a,
                               const Alternatives& b) const {
  if (a.size() * b.size() > kMaxJoin) return Chance(a) <= Chance(b) ? a : b;
  Alternatives out;
  for (const Alternative& x : a) {
    for (const Alternative& y : b) {
      Alternative joined = x;
      joined.insert(joined.end(), y.begin(), y.end());
      // An impossible alternative is dropped: it can never hold. (Its
      // atoms' full lists are checked before truncation.)
      if (Normalize(&joined)) out.push_back(std::move(joined));
    }
  }
  return out;
}

// Bit of a catalog atom, or the constant TRUE bit 0 for "none".
int32_t BitOf(const AtomCatalog& catalog, const Alternative& alt, size_t i) {
  return i < alt.size() ? catalog.atoms[alt[i]].bit : 0;
}

// Jump code: one instruction per occurrence, in occurrence order.
class JumpWriter {
 public:
  JumpWriter(const AtomCatalog& catalog, const RuleBuild& rule, JumpInstr* out)
      : catalog_(catalog), rule_(rule), out_(out), first_(rule.nodes.size()) {
    for (size_t i = 0; i < rule.nodes.size(); ++i) {
      const LogicNode& n = rule.nodes[i];
      first_[i] = n.kind == LogicNode::kAtom ? n.a : first_[n.a];
    }
  }

  void Write(int32_t node, int32_t on_true, int32_t on_false) {
    const LogicNode& n = rule_.nodes[node];
    switch (n.kind) {
      case LogicNode::kAtom:
        out_[n.a] = {catalog_.atoms[rule_.occ_atoms[n.a]].bit, on_true,
                     on_false};
        return;
      case LogicNode::kNot:
        return Write(n.a, on_false, on_true);
      case LogicNode::kAnd:
        Write(n.a, first_[n.b], on_false);
        return Write(n.b, on_true, on_false);
      case LogicNode::kOr:
        Write(n.a, on_true, first_[n.b]);
        return Write(n.b, on_true, on_false);
    }
  }

 private:
  const AtomCatalog& catalog_;
  const RuleBuild& rule_;
  JumpInstr* out_;
  std::vector<int32_t> first_;  // first occurrence of each node's subtree
};

// CSR from (key, value) pairs with keys in [0, keys).
void ToCsr(int32_t keys, const std::vector<std::pair<int32_t, int32_t>>& pairs,
           std::vector<int32_t>* begin, std::vector<int32_t>* values) {
  begin->assign(keys + 1, 0);
  for (const auto& [key, value] : pairs) ++(*begin)[key + 1];
  for (int32_t k = 0; k < keys; ++k) (*begin)[k + 1] += (*begin)[k];
  values->resize(pairs.size());
  std::vector<int32_t> next(begin->begin(), begin->end() - 1);
  for (const auto& [key, value] : pairs) (*values)[next[key]++] = value;
}

// A lead entry before grouping.
struct KeyedEntry {
  int32_t second = 0;
  int32_t third = 0;
  int32_t fourth = 0;
  int32_t rule = 0;
  bool operator<(const KeyedEntry& o) const {
    return std::tie(second, third, fourth, rule) <
           std::tie(o.second, o.third, o.fourth, o.rule);
  }
};

// Lays out the lead index from (first bit, entry) pairs: by first bit, then
// in groups of one second bit (program.h, LeadGroup).
void GroupLeads(int32_t bits,
                const std::vector<std::pair<int32_t, int32_t>>& leads,
                const std::vector<KeyedEntry>& entries,
                CompiledRuleSet* program) {
  std::vector<int32_t> entry_begin, order;
  ToCsr(bits, leads, &entry_begin, &order);
  program->lead_begin.assign(bits + 1, 0);
  program->leads.reserve(order.size());
  std::vector<KeyedEntry> list;
  for (int32_t bit = 0; bit < bits; ++bit) {
    list.clear();
    for (int32_t k = entry_begin[bit]; k < entry_begin[bit + 1]; ++k) {
      list.push_back(entries[order[k]]);
    }
    std::sort(list.begin(), list.end());
    for (size_t k = 0; k < list.size(); ++k) {
      if (k == 0 || list[k].second != list[k - 1].second) {
        program->lead_groups.push_back({list[k].second, 0});
      }
      program->leads.push_back({list[k].rule, list[k].third, list[k].fourth});
      program->lead_groups.back().end =
          static_cast<int32_t>(program->leads.size());
    }
    program->lead_begin[bit + 1] =
        static_cast<int32_t>(program->lead_groups.size());
  }
}

void AddPostings(const AtomCatalog& catalog, const RuleBuild& rule,
                 int32_t index,
                 std::vector<std::pair<int32_t, int32_t>>* by_source,
                 std::vector<std::pair<int32_t, int32_t>>* by_compiled) {
  absl::flat_hash_set<int32_t> sources, compiled;
  for (int32_t atom : rule.occ_atoms) {
    const AtomBuild& a = catalog.atoms[atom];
    if (a.compiled >= 0) {
      if (compiled.insert(a.compiled).second) {
        by_compiled->emplace_back(a.compiled, index);
      }
    } else if (sources.insert(a.source).second) {
      by_source->emplace_back(a.source, index);
    }
  }
}

}  // namespace

void ChooseLeads(AtomCatalog* catalog, RuleBuild* rule) {
  LeadChooser chooser(catalog, *rule);
  rule->leads.clear();
  for (Alternative& alt :
       chooser.Of(static_cast<int32_t>(rule->nodes.size()) - 1, true)) {
    Alternative normalized = alt;
    // A lone alternative was never joined; normalize it here too.
    std::sort(normalized.begin(), normalized.end());
    normalized.erase(std::unique(normalized.begin(), normalized.end()),
                     normalized.end());
    std::sort(normalized.begin(), normalized.end(), [&](int32_t x, int32_t y) {
      const double sx = catalog->atoms[x].selectivity;
      const double sy = catalog->atoms[y].selectivity;
      return sx != sy ? sx < sy : x < y;
    });
    if (normalized.size() > kMaxKeys) normalized.resize(kMaxKeys);
    rule->leads.push_back(std::move(normalized));
  }
}

void BuildRules(const AtomCatalog& catalog, const std::vector<RuleBuild>& rules,
                CompiledRuleSet* program) {
  std::vector<std::pair<int32_t, int32_t>> leads, by_source, by_compiled;
  std::vector<KeyedEntry> entries;
  program->occ_begin.push_back(0);
  program->node_begin.push_back(0);
  for (int32_t r = 0; r < static_cast<int32_t>(rules.size()); ++r) {
    const RuleBuild& rule = rules[r];
    const size_t first = program->occurrences.size();
    for (size_t i = 0; i < rule.occ_atoms.size(); ++i) {
      program->occurrences.push_back({catalog.atoms[rule.occ_atoms[i]].bit,
                                      rule.occ_offsets[i], rule.occ_texts[i]});
    }
    program->jumps.resize(program->occurrences.size());
    JumpWriter(catalog, rule, &program->jumps[first])
        .Write(static_cast<int32_t>(rule.nodes.size()) - 1, JumpInstr::kTrue,
               JumpInstr::kFalse);
    program->nodes.insert(program->nodes.end(), rule.nodes.begin(),
                          rule.nodes.end());
    program->occ_begin.push_back(
        static_cast<int32_t>(program->occurrences.size()));
    program->node_begin.push_back(static_cast<int32_t>(program->nodes.size()));
    bool always = false;
    for (const Alternative& alt : rule.leads) {
      if (alt.empty()) {
        always = true;
        continue;
      }
      leads.emplace_back(BitOf(catalog, alt, 0),
                         static_cast<int32_t>(entries.size()));
      entries.push_back({BitOf(catalog, alt, 1), BitOf(catalog, alt, 2),
                         BitOf(catalog, alt, 3), r});
    }
    if (always) program->always.push_back(r);
    AddPostings(catalog, rule, r, &by_source, &by_compiled);
  }
  const int32_t bits = program->words * 64;
  GroupLeads(bits, leads, entries, program);
  program->lead_mask.assign(program->words, 0);
  for (const auto& [bit, e] : leads) {
    program->lead_mask[bit >> 6] |= uint64_t{1} << (bit & 63);
  }
  ToCsr(static_cast<int32_t>(catalog.sources.size()), by_source,
        &program->source_rules_begin, &program->source_rules);
  ToCsr(program->code.atom_count(), by_compiled, &program->compiled_rules_begin,
        &program->compiled_rules);
}

}  // namespace compiler_internal
}  // namespace lantern
