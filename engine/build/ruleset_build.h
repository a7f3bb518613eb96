// BuildRuleSet: the one engine factory. A ruleset's files (or its
// directory), the fact types and the caller's options → a checked RuleSet,
// the CompiledRuleSet the matcher and the policy stage run, and the digest
// of the exact files (engine/ruleset/ruleset_digest.h).
//
// Steps, each stopping the build when it fails: digest the files; load and
// check them (engine/ruleset/loader.h, with the options' vocabulary); when
// the options name a fact message, refuse a ruleset over another one (an
// error at manifest.yaml's fact_message); compile (engine/compile/
// compiler.h; a failure is an error diagnostic "does not compile: ...").
// Every problem is a diagnostic. The ruleset's own tests are not run here:
// whoever activates a version runs them (engine/decide/rule_test_runner.h).
// The server's registry, its audit service and the command line all build
// through here, so a replay compiles the program Assess would have built.
//
// Thread-safety: stateless; safe to call concurrently.
#ifndef LANTERN_ENGINE_BUILD_RULESET_BUILD_H_
#define LANTERN_ENGINE_BUILD_RULESET_BUILD_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/facts/fact_types.h"
#include "engine/lang/diagnostics.h"
#include "engine/match/program.h"
#include "engine/ruleset/loader.h"
#include "engine/ruleset/ruleset.h"

namespace lantern {

struct BuildOptions {
  // File names in diagnostics are this joined with the path inside the
  // ruleset; by default the directory itself (or nothing, for files).
  std::string display_dir;
  // The names the answer can express (may be null: nothing checked).
  // REQUIRES: outlives the call.
  const PolicyVocabulary* vocabulary = nullptr;
  // The fully qualified fact message the caller assesses; empty: any.
  std::string fact_message;
};

struct RuleSetBuild {
  // "sha256:..." of the files. Always set by BuildRuleSet; by
  // BuildRuleSetDirectory only when the files were read and loaded.
  std::string digest;
  std::shared_ptr<const RuleSet> ruleset;  // null unless it loaded cleanly
  // Compiled from `ruleset`; null unless every step passed.
  std::shared_ptr<const CompiledRuleSet> program;
  Diagnostics diagnostics;  // warnings too, when it passed

  bool ok() const { return program != nullptr; }
};

// Builds from files already in memory (paths relative to the ruleset root).
RuleSetBuild BuildRuleSet(std::vector<SourceFile> files, const FactTypes& types,
                          const BuildOptions& options);

// Builds from the directory `dir`. A status error only when `dir` is not a
// readable directory (LoadRuleSet's NOT_FOUND / INVALID_ARGUMENT); every
// problem inside it is a diagnostic in the result.
absl::StatusOr<RuleSetBuild> BuildRuleSetDirectory(const std::string& dir,
                                                   const FactTypes& types,
                                                   const BuildOptions& options);

}  // namespace lantern

#endif  // LANTERN_ENGINE_BUILD_RULESET_BUILD_H_
