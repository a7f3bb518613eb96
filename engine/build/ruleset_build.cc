// BuildRuleSet and BuildRuleSetDirectory: load → fact message → compile.
#include "engine/build/ruleset_build.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/compile/compiler.h"
#include "engine/ruleset/ruleset_digest.h"

namespace lantern {
namespace {

// The steps after loading: the fact message, then the compiler.
RuleSetBuild Finish(LoadResult loaded, std::string digest,
                    const BuildOptions& options) {
  RuleSetBuild build;
  build.diagnostics = std::move(loaded.diagnostics);
  build.ruleset = std::move(loaded.ruleset);
  if (build.ruleset == nullptr) {
    build.digest = std::move(digest);
    return build;
  }
  build.digest =
      digest.empty() ? RulesetDigest(build.ruleset->files) : std::move(digest);
  const std::string& message = build.ruleset->manifest.fact_message;
  if (!options.fact_message.empty() && message != options.fact_message) {
    build.diagnostics.Error(
        build.ruleset->manifest.fact_message_location,
        absl::StrCat("fact_message is ", message, "; this server assesses ",
                     options.fact_message));
    return build;
  }
  absl::StatusOr<std::shared_ptr<const CompiledRuleSet>> program =
      CompileRuleSet(build.ruleset);
  if (!program.ok()) {
    build.diagnostics.Error(
        {"", 0, 0},
        absl::StrCat("does not compile: ", program.status().message()));
    return build;
  }
  build.program = *std::move(program);
  return build;
}

}  // namespace

RuleSetBuild BuildRuleSet(std::vector<SourceFile> files, const FactTypes& types,
                          const BuildOptions& options) {
  std::string digest = RulesetDigest(files);
  return Finish(LoadRuleSetFromFiles(std::move(files), types,
                                     options.display_dir, options.vocabulary),
                std::move(digest), options);
}

absl::StatusOr<RuleSetBuild> BuildRuleSetDirectory(
    const std::string& dir, const FactTypes& types,
    const BuildOptions& options) {
  absl::StatusOr<LoadResult> loaded =
      LoadRuleSet(dir, types, options.display_dir, options.vocabulary);
  if (!loaded.ok()) return loaded.status();
  return Finish(*std::move(loaded), "", options);
}

}  // namespace lantern
