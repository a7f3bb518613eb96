// Loader: a ruleset directory → a checked RuleSet, or every problem in it.
//
// Entry point: LoadRuleSet. Layout of a ruleset directory:
//
//   manifest.yaml   id, version, owner, description, approved_by,
//                   fact_message, effective_from, effective_to
//   policy.yaml     grades, grade_bands, levels, concerns, prompts, actions
//   rules/*.yaml    `constants:` (name → value or list) and `rules:`
//   catalogues/*.yaml  `catalogues:` (name → title, fields, entries of
//                   code/description/source, subsets); each catalogue and
//                   subset is also a list(string) constant of its codes
//   tests/*.yaml    `as_of:` default and `cases:` (facts + expectations)
//   the file the manifest's `invariants:` names (optional): `invariants:`, a
//                   list of id, title, cite, optional `when` and `holds`,
//                   conditions at the answer stage (engine/decide/invariants.h)
//
// Every file is read and every condition parsed and checked against the fact
// schema the manifest names, so one run reports every problem
// (`file:line:col: error: ...`) rather than the first. Unknown keys are
// errors too: a misspelt `grade_flor:` must not be silently ignored.
// LoadRuleSet reads regular files inside the directory only: a symbolic
// link whose target is outside it, and any special file (FIFO, socket,
// device), is an error naming the entry ("DIR/rules/x.yaml: error: a
// symbolic link leaving the ruleset directory ...").
//
// Thread-safety: stateless; safe to call concurrently.
#ifndef LANTERN_ENGINE_RULESET_LOADER_H_
#define LANTERN_ENGINE_RULESET_LOADER_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/facts/fact_types.h"
#include "engine/lang/diagnostics.h"
#include "engine/ruleset/ruleset.h"

namespace lantern {

// Diagnostics that start with this text report a bug in the loader, not in
// the ruleset (an unexpected exception).
inline constexpr char kInternalLoaderError[] = "internal error in the loader: ";

// The names a caller needs the policy to use, so that every answer can be
// said in the caller's terms (the server fills this from the result
// protobuf's enums; the engine knows no such names). An empty list is not
// checked. Mismatches are diagnostics at their place in policy.yaml.
struct PolicyVocabulary {
  // Ascending. The policy's grades must be among these, in the same order.
  std::vector<std::string> grades;
  // Ascending. The policy's levels must be among these, in the same order.
  std::vector<std::string> levels;
  // The policy's concerns must be among these.
  std::vector<std::string> concerns;
  // Prompts the caller reads by name, each with the only finding names it
  // understands: a prompt of that name may declare no other finding.
  std::vector<std::pair<std::string, std::vector<std::string>>> findings;
};

struct LoadResult {
  // Null when `diagnostics` has errors.
  std::shared_ptr<const RuleSet> ruleset;
  Diagnostics diagnostics;
};

// Fails (NOT_FOUND / INVALID_ARGUMENT) only when `dir` is not a readable
// directory; every problem inside it is a diagnostic in the result. File
// names in diagnostics are `display_dir` joined with the path inside the
// ruleset ("rules/example/rules/cse.yaml"); by default `dir` itself.
// `vocabulary` (may be null: nothing to check) must outlive the call.
absl::StatusOr<LoadResult> LoadRuleSet(
    const std::string& dir, const FactTypes& fact_types,
    const std::string& display_dir = "",
    const PolicyVocabulary* vocabulary = nullptr);

// The same, from files already in memory (paths relative to the ruleset
// root, '/'-separated). Used by LoadRuleSet, tests and fuzzing.
LoadResult LoadRuleSetFromFiles(std::vector<SourceFile> files,
                                const FactTypes& fact_types,
                                const std::string& display_dir,
                                const PolicyVocabulary* vocabulary = nullptr);

}  // namespace lantern

#endif  // LANTERN_ENGINE_RULESET_LOADER_H_
