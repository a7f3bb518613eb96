// The compiler's layout pass: entry point LayOut
// (engine/compile/internal/compiler_internal.h).
//
// Bit 0 is the constant TRUE (word 0 holds nothing else); every source then
// gets a word-aligned block of bits, one per atom, so that a source's
// per-request result is whole words: a copied row for ordered and presence
// sources, a block filled with ones when the source is UNKNOWN.
//
// Rows of an ordered source: its atoms' constants, sorted and deduplicated,
// are the thresholds t_0 < ... < t_(n-1). A value with k thresholds below it
// lies in class 2k, or 2k+1 when it equals t_k (NaN: class 2n+1). Within one
// class every atom's truth is fixed — its relation to each threshold is
// known — so the row of TRUE bits per class is computed here once. A
// complement atom's row is its base atom's row negated (NaN included: both
// `x < t` and its complement's base are evaluated honestly per class).
#include <algorithm>
#include <utility>

#include "engine/compile/internal/compiler_internal.h"

namespace lantern {
namespace compiler_internal {
namespace {

enum class Relation { kLess, kEqual, kGreater, kUnordered };

// The relation of every value in `cls` to threshold `j` (n thresholds).
Relation RelationOf(int32_t cls, int32_t j, int32_t n) {
  if (cls == 2 * n + 1) return Relation::kUnordered;
  const int32_t k = cls / 2;
  if (j < k) return Relation::kGreater;
  if (j == k && cls % 2 == 1) return Relation::kEqual;
  return Relation::kLess;
}

bool Holds(PredOp op, const std::vector<int32_t>& at, int32_t cls, int32_t n) {
  if (op == PredOp::kIn || op == PredOp::kNotIn) {
    bool equal = false;
    for (int32_t j : at) equal |= RelationOf(cls, j, n) == Relation::kEqual;
    return op == PredOp::kIn ? equal : !equal;
  }
  const Relation r = RelationOf(cls, at[0], n);
  switch (op) {
    case PredOp::kEq:
      return r == Relation::kEqual;
    case PredOp::kNe:
      return r != Relation::kEqual;
    case PredOp::kLt:
      return r == Relation::kLess;
    case PredOp::kLe:
      return r == Relation::kLess || r == Relation::kEqual;
    case PredOp::kGt:
      return r == Relation::kGreater;
    case PredOp::kGe:
      return r == Relation::kGreater || r == Relation::kEqual;
    default:
      return false;
  }
}

template <typename T>
std::vector<T> Thresholds(const AtomCatalog& catalog,
                          const SourceBuild& source) {
  std::vector<T> out;
  for (int32_t id : source.atoms) {
    for (const Scalar& v : catalog.atoms[id].values) {
      out.push_back(std::get<T>(v));
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

template <typename T>
void BuildRowsOf(const AtomCatalog& catalog, const SourceBuild& source,
                 std::vector<T>* thresholds, SourceDef* def) {
  *thresholds = Thresholds<T>(catalog, source);
  const int32_t n = static_cast<int32_t>(thresholds->size());
  const int32_t classes = 2 * n + 2;
  def->rows.assign(static_cast<size_t>(classes) * def->words, 0);
  for (size_t local = 0; local < source.atoms.size(); ++local) {
    const AtomBuild& atom = catalog.atoms[source.atoms[local]];
    const AtomBuild& base =
        atom.complement_of >= 0 ? catalog.atoms[atom.complement_of] : atom;
    std::vector<int32_t> at;
    for (const Scalar& v : base.values) {
      at.push_back(static_cast<int32_t>(std::lower_bound(thresholds->begin(),
                                                         thresholds->end(),
                                                         std::get<T>(v)) -
                                        thresholds->begin()));
    }
    if (at.empty() && base.op != PredOp::kIn && base.op != PredOp::kNotIn) {
      continue;  // cannot happen: comparisons have one constant
    }
    for (int32_t cls = 0; cls < classes; ++cls) {
      const bool holds =
          Holds(base.op, at, cls, n) != (atom.complement_of >= 0);
      if (holds) {
        def->rows[static_cast<size_t>(cls) * def->words + local / 64] |=
            uint64_t{1} << (local % 64);
      }
    }
  }
}

void BuildOrdered(const AtomCatalog& catalog, const SourceBuild& source,
                  SourceDef* def) {
  switch (source.domain) {
    case Domain::kInt:
      return BuildRowsOf(catalog, source, &def->ints, def);
    case Domain::kDouble:
      return BuildRowsOf(catalog, source, &def->doubles, def);
    case Domain::kString:
      return BuildRowsOf(catalog, source, &def->strings, def);
    case Domain::kTime:
      return BuildRowsOf(catalog, source, &def->times, def);
    case Domain::kDuration:
      return BuildRowsOf(catalog, source, &def->durations, def);
  }
}

void BuildPresence(const AtomCatalog& catalog, const SourceBuild& source,
                   SourceDef* def) {
  def->rows.assign(2 * static_cast<size_t>(def->words), 0);
  for (size_t local = 0; local < source.atoms.size(); ++local) {
    const bool complement =
        catalog.atoms[source.atoms[local]].complement_of >= 0;
    const size_t row = complement ? 0 : 1;  // has() is TRUE in class 1
    def->rows[row * def->words + local / 64] |= uint64_t{1} << (local % 64);
  }
}

void BuildMembers(const AtomCatalog& catalog, const SourceBuild& source,
                  SourceDef* def) {
  for (int32_t id : source.atoms) {
    const AtomBuild& atom = catalog.atoms[id];
    for (const Scalar& v : atom.values) {
      if (const auto* s = std::get_if<std::string>(&v)) {
        def->string_members[*s].push_back(atom.bit);
      } else {
        def->int_members[std::get<int64_t>(v)].push_back(atom.bit);
      }
    }
  }
}

void BuildPhrases(const AtomCatalog& catalog, const SourceBuild& source,
                  int32_t phrase_count, SourceDef* def) {
  std::vector<std::pair<int32_t, int32_t>> pairs;
  for (int32_t id : source.atoms) {
    const AtomBuild& atom = catalog.atoms[id];
    if (atom.phrase >= 0) pairs.emplace_back(atom.phrase, atom.bit);
  }
  std::sort(pairs.begin(), pairs.end());
  def->phrase_begin.assign(phrase_count + 1, 0);
  for (const auto& [phrase, bit] : pairs) {
    ++def->phrase_begin[phrase + 1];
    def->phrase_bits.push_back(bit);
  }
  for (int32_t p = 0; p < phrase_count; ++p) {
    def->phrase_begin[p + 1] += def->phrase_begin[p];
  }
}

}  // namespace

void LayOut(AtomCatalog* catalog, CompiledRuleSet* program) {
  int32_t word = 1;  // word 0: the constant TRUE bit
  for (SourceBuild& source : catalog->sources) {
    SourceDef def;
    def.kind = source.kind;
    def.slot = source.slot;
    def.domain = source.domain;
    def.first_word = word;
    def.words = static_cast<int32_t>((source.atoms.size() + 63) / 64);
    for (size_t local = 0; local < source.atoms.size(); ++local) {
      catalog->atoms[source.atoms[local]].bit =
          word * 64 + static_cast<int32_t>(local);
    }
    word += def.words;
    program->sources.push_back(std::move(def));
  }
  program->words = word;
  program->atoms.assign(static_cast<size_t>(word) * 64, AtomDef());
  program->compiled_bits.assign(program->code.atom_count(), 0);
  for (const AtomBuild& atom : catalog->atoms) {
    AtomDef& def = program->atoms[atom.bit];
    def.source = atom.source;
    def.compiled = atom.complement_of >= 0 ? -1 : atom.compiled;
    def.is_complement = atom.complement_of >= 0;
    if (atom.complement >= 0) {
      def.complement = catalog->atoms[atom.complement].bit;
    }
    if (atom.compiled >= 0 && atom.complement_of < 0) {
      program->compiled_bits[atom.compiled] = atom.bit;
    }
  }
  program->phrases = std::move(catalog->phrases).Build();
  for (size_t s = 0; s < catalog->sources.size(); ++s) {
    const SourceBuild& source = catalog->sources[s];
    SourceDef& def = program->sources[s];
    switch (source.kind) {
      case SourceKind::kOrdered:
        BuildOrdered(*catalog, source, &def);
        break;
      case SourceKind::kPresence:
        BuildPresence(*catalog, source, &def);
        break;
      case SourceKind::kSet:
        BuildMembers(*catalog, source, &def);
        break;
      case SourceKind::kText:
        BuildPhrases(*catalog, source, program->phrases.phrase_count(), &def);
        break;
      case SourceKind::kCompiled:
        break;
    }
  }
}

}  // namespace compiler_internal
}  // namespace lantern
