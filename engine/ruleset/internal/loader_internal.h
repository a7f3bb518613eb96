// Internal to the loader (loader.cc, catalogue_loader.cc, policy_loader.cc,
// invariant_loader.cc, rule_test_loader.cc): the state shared while one ruleset
// directory is read. Not part of the engine's API.
#ifndef LANTERN_ENGINE_RULESET_INTERNAL_LOADER_INTERNAL_H_
#define LANTERN_ENGINE_RULESET_INTERNAL_LOADER_INTERNAL_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "engine/facts/fact_types.h"
#include "engine/lang/checker.h"
#include "engine/lang/diagnostics.h"
#include "engine/ruleset/loader.h"
#include "engine/ruleset/ruleset.h"
#include "engine/ruleset/yaml_map.h"
#include "engine/ruleset/yaml_source.h"

namespace lantern::loader_internal {

struct LoadContext {
  const FactTypes* fact_types = nullptr;
  const PolicyVocabulary* vocabulary = nullptr;  // may be null
  Diagnostics* diagnostics = nullptr;
  std::string display_dir;
  RuleSet* ruleset = nullptr;
  std::map<std::string, YamlFile> yaml;  // by path inside the ruleset
  // Every constant name declared so far (constants, catalogues, subsets).
  absl::flat_hash_map<std::string, SourceLocation> constant_names;

  std::string DisplayPath(const std::string& path) const;
  const YamlFile* Yaml(const std::string& path) const;
  const SourceFile* File(const std::string& path) const;
};

// catalogues/*.yaml
bool IsCataloguesFile(const std::string& path);

// A name rules may use for a constant: letters, digits and '_', not
// starting with a digit, not a keyword.
bool ValidName(absl::string_view name);

// Claims `name` for a constant declared at `location`; false (having
// reported why) when it is invalid, already declared or hides a fact field.
bool DeclareConstantName(LoadContext& ctx, const std::string& name,
                         const SourceLocation& location);

// Parses and checks the scalar `node` as a condition of type `expected`.
// Returns false (having reported why) when it is not a valid one. Without a
// schema (the manifest was broken) only the syntax is checked.
bool ReadCondition(const LoadContext& ctx, const YamlFile& file,
                   const YamlNode& node, const CheckEnv& env, Type expected,
                   Condition* out);

// catalogues/*.yaml: catalogues, with their codes and subsets as constants.
void ReadCatalogues(LoadContext& ctx);
// policy.yaml: everything but conditions, which need the rules first.
void ReadPolicyShape(LoadContext& ctx);
// policy.yaml: prompt conditions and due-time formulas.
void ReadPolicyConditions(LoadContext& ctx);
// The manifest's invariants file: invariants checked at the answer stage.
void ReadInvariants(LoadContext& ctx);
// tests/*.yaml: rule test cases, with their facts decoded.
void ReadRuleTests(LoadContext& ctx);

}  // namespace lantern::loader_internal

#endif  // LANTERN_ENGINE_RULESET_INTERNAL_LOADER_INTERNAL_H_
