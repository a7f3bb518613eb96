// Internal to the compiler (engine/compiler*.cc): the state of one
// compilation before it is laid out into a CompiledRuleSet. Not a seam.
//
//  * AtomCatalog (compiler_atoms.cc) classifies every atom occurrence into
//    an indexed predicate of some source, or a compiled (VM) atom, and
//    deduplicates them across rules.
//  * RuleBuild is one rule's logical tree over catalog atoms.
//  * ChooseLeads (compiler_index.cc) picks each rule's lead atoms.
//  * LayOut / BuildSources (compiler_layout.cc) assign bits and build the
//    per-class rows, member tables and phrase maps.
//
// Thread-safety: one compilation per thread; nothing shared.
#ifndef LANTERN_ENGINE_COMPILE_INTERNAL_COMPILER_INTERNAL_H_
#define LANTERN_ENGINE_COMPILE_INTERNAL_COMPILER_INTERNAL_H_

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "engine/match/program.h"
#include "engine/ruleset/ruleset.h"

namespace lantern {
namespace compiler_internal {

// A threshold or member key, in its source's domain.
using Scalar =
    std::variant<int64_t, double, std::string, absl::Time, absl::Duration>;

enum class PredOp : uint8_t {
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kIn,       // equal to one of `values`
  kNotIn,    // equal to none of `values`
  kHas,      // presence
  kMember,   // some element equals one of `values` (set source)
  kMention,  // text mentions `phrase`
  kCompiled,
};

struct AtomBuild {
  int32_t source = -1;
  PredOp op = PredOp::kCompiled;
  std::vector<Scalar> values;
  int32_t phrase = -1;    // kMention: phrase id, -1 = mentions nothing
  int32_t compiled = -1;  // kCompiled: index in AtomCode
  int32_t complement_of = -1;
  int32_t complement = -1;
  double selectivity = 0.5;  // estimated chance of TRUE, for lead choice
  int32_t bit = -1;
};

struct SourceBuild {
  SourceKind kind = SourceKind::kOrdered;
  int32_t slot = -1;
  Domain domain = Domain::kInt;
  TypeKind field_kind = TypeKind::kError;  // the slot's (element) type
  int32_t enum_size = 0;                   // named values, for estimates
  std::vector<int32_t> atoms;              // catalog ids, in bit order
};

class AtomCatalog {
 public:
  AtomCatalog(const RuleSet& ruleset, CompiledRuleSet* program);

  // The catalog id of `atom` (a checked bool expression of `source`).
  int32_t Intern(const Expr& atom, const SourceText& source);
  // The id of the atom "`atom` is FALSE" as an index key, or -1 where the
  // source cannot express it (set and text sources).
  int32_t Complement(int32_t atom);

  std::vector<AtomBuild> atoms;
  std::vector<SourceBuild> sources;
  PhraseIndexBuilder phrases;

 private:
  int32_t SourceFor(SourceKind kind, int32_t slot, Domain domain,
                    const Type& field_type);
  int32_t Add(int32_t source, std::string key, AtomBuild atom);
  bool RootPath(const Expr& e, int32_t* slot, Type* type, SlotDef::Mode mode);
  int32_t TryBareBool(const Expr& e);
  int32_t TryCompare(const Expr& e);
  int32_t TryIn(const Expr& e);
  int32_t TryMember(const Expr& e);
  int32_t TryMentions(const Expr& e);
  int32_t TryHas(const Expr& e);
  int32_t Ordered(int32_t slot, const Type& type, Domain domain, PredOp op,
                  std::vector<Scalar> values);
  int32_t Compiled(const Expr& e, const SourceText& source);

  const RuleSet& ruleset_;
  CompiledRuleSet& program_;
  int32_t compiled_source_ = -1;
  absl::flat_hash_map<std::string, int32_t> source_keys_;
  absl::flat_hash_map<std::string, int32_t> atom_keys_;
};

// One rule's condition over catalog atoms.
struct RuleBuild {
  std::vector<LogicNode> nodes;      // post-order; kAtom's `a` = occurrence
  std::vector<int32_t> occ_atoms;    // catalog id per occurrence
  std::vector<int32_t> occ_offsets;  // evidence offset per occurrence
  std::vector<int32_t> occ_texts;    // evidence text per occurrence
  // Lead alternatives, catalog ids, most selective first (at most four
  // each). An empty alternative means "no index key": always evaluate.
  std::vector<std::vector<int32_t>> leads;
};

// compiler_keys.cc: deduplication keys and truth estimates.
void AppendKey(const Scalar& v, std::string* key);
void AppendExprKey(const Expr& e, const SourceText& source, std::string* key);
double EstimateTruth(const SourceBuild& source, const AtomBuild& atom);

// Picks `rule`'s lead alternatives (creating complement atoms as needed).
void ChooseLeads(AtomCatalog* catalog, RuleBuild* rule);

// Assigns every catalog atom its bit and fills program->sources, atoms,
// words, compiled_bits and phrases.
void LayOut(AtomCatalog* catalog, CompiledRuleSet* program);

// Fills program->occurrences, jumps, nodes, the lead index and the posting
// lists from the rules. REQUIRES: LayOut ran.
void BuildRules(const AtomCatalog& catalog, const std::vector<RuleBuild>& rules,
                CompiledRuleSet* program);

// Compiles `ruleset`'s policy stage into `out` (policy_compiler.cc).
// INVALID_ARGUMENT when a condition of it is not checked.
absl::Status CompilePolicy(const RuleSet& ruleset, CompiledPolicy* out);

}  // namespace compiler_internal
}  // namespace lantern

#endif  // LANTERN_ENGINE_COMPILE_INTERNAL_COMPILER_INTERNAL_H_
