// Compiler: a checked RuleSet → an immutable CompiledRuleSet
// (engine/match/program.h) for the matcher (engine/match/matcher.h).
//
// Entry point: CompileRuleSet. Every rule's condition is split into its
// atoms (doc/language.md); atoms are deduplicated across the
// ruleset and each becomes an indexed predicate of a fact source (comparisons
// with constants, set membership, phrases, has()) or, failing that, compiled VM
// code (engine/match/atom_vm.h). Each rule gets its lead atoms for the index
// (engine/compile/compiler_index.cc), its three-valued logical tree and its
// short-circuit jump code. The result's `report` says how many rules took
// which path.
//
// Thread-safety: stateless; the RuleSet is only read (and kept alive by the
// result).
#ifndef LANTERN_ENGINE_COMPILE_COMPILER_H_
#define LANTERN_ENGINE_COMPILE_COMPILER_H_

#include <memory>

#include "absl/status/statusor.h"
#include "engine/match/program.h"
#include "engine/ruleset/ruleset.h"

namespace lantern {

// INVALID_ARGUMENT when `ruleset` is null or not fully checked (a rule
// without a condition, or no schema).
absl::StatusOr<std::shared_ptr<const CompiledRuleSet>> CompileRuleSet(
    std::shared_ptr<const RuleSet> ruleset);

}  // namespace lantern

#endif  // LANTERN_ENGINE_COMPILE_COMPILER_H_
