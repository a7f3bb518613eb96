// Catalogue loader: catalogues/*.yaml → RuleSet::catalogues and constants.
//
// Entry point: loader_internal::ReadCatalogues, run after the rule files'
// constants (so names are checked against them) and before the policy
// (which copies the constants). A file holds `catalogues:`, a mapping of
// names to
//
//   title:    what the codes are
//   fields:   fact paths whose values are these codes (list(string) fields)
//   entries:  a list of {code, description, source}; source is a URL
//   subsets:  optional; name → a list of this catalogue's codes
//
// Each catalogue and each subset becomes a list(string) constant of its
// codes. Codes are names (letters, digits, '_'), unique in their catalogue;
// a subset may only list codes of its own catalogue, so a typo in a subset
// is an error rather than a code that silently never matches.
#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/ruleset/catalogue.h"
#include "engine/ruleset/internal/loader_internal.h"

namespace lantern::loader_internal {
namespace {

// Adds `codes` as the list(string) constant `name`.
void AddCodeConstant(LoadContext& ctx, const std::string& name,
                     const SourceLocation& location,
                     const std::vector<std::string>& codes) {
  if (!DeclareConstantName(ctx, name, location) || codes.empty()) return;
  ConstantDef def;
  def.name = name;
  def.location = location;
  def.type = Type::String().AsList();
  for (const std::string& code : codes) def.values.emplace_back(code);
  ctx.ruleset->constants.push_back(std::move(def));
}

void ReadEntry(LoadContext& ctx, const YamlFile& file, const YamlNode& node,
               Catalogue* catalogue) {
  YamlMap map(&file, node, "catalogue entry", ctx.diagnostics);
  if (!map.ok()) return;
  map.AllowOnly({"code", "description", "source"});
  CatalogueEntry entry;
  entry.code = map.String("code", Need::kRequired).value_or("");
  entry.location = map.Locate("code");
  entry.description = map.String("description", Need::kRequired).value_or("");
  entry.source = map.String("source", Need::kRequired).value_or("");
  if (map.Get("source").IsDefined() &&
      !absl::StartsWith(entry.source, "https://") &&
      !absl::StartsWith(entry.source, "http://")) {
    ctx.diagnostics->Error(
        map.Locate("source"),
        absl::StrCat("source of '", entry.code,
                     "' must be a URL (http:// or https://)"));
  }
  if (entry.code.empty()) return;
  if (!ValidName(entry.code)) {
    ctx.diagnostics->Error(
        entry.location,
        absl::StrCat("invalid code '", entry.code,
                     "': use letters, digits and '_', not starting with a "
                     "digit"));
    return;
  }
  if (const CatalogueEntry* first = catalogue->Find(entry.code)) {
    ctx.diagnostics->Error(
        entry.location,
        absl::StrCat("duplicate code '", entry.code, "' in catalogue ",
                     catalogue->name, " (first at ", first->location.file, ":",
                     first->location.line, ")"));
    return;
  }
  catalogue->entries.push_back(std::move(entry));
}

void ReadField(const LoadContext& ctx, const YamlFile& file,
               const YamlNode& node, Catalogue* catalogue) {
  const FactSchema* schema = ctx.ruleset->schema.get();
  if (!node.IsScalar()) {
    ctx.diagnostics->Error(file.Locate(node), "a field is a fact path");
    return;
  }
  if (schema == nullptr) return;  // the manifest is already reported
  absl::StatusOr<std::vector<int32_t>> indices =
      ResolveCodeField(*schema, node.Scalar());
  if (!indices.ok()) {
    ctx.diagnostics->Error(file.Locate(node),
                           std::string(indices.status().message()));
    return;
  }
  catalogue->fields.push_back({node.Scalar(), *std::move(indices)});
}

// `fields:` is a path or a list of paths, each reported at its position.
void ReadFields(const LoadContext& ctx, const YamlFile& file,
                const YamlNode& node, Catalogue* catalogue) {
  if (!node.IsDefined() || node.IsNull()) return;
  if (!node.IsSequence()) return ReadField(ctx, file, node, catalogue);
  for (const YamlNode& item : node) ReadField(ctx, file, item, catalogue);
}

void ReadSubsets(LoadContext& ctx, const YamlFile& file, const YamlNode& node,
                 Catalogue* catalogue) {
  if (!node.IsDefined() || node.IsNull()) return;
  YamlMap map(&file, node, absl::StrCat("subsets of ", catalogue->name),
              ctx.diagnostics);
  if (!map.ok()) return;
  map.RejectDuplicateKeys();
  for (const auto& entry : node) {
    const std::string name = entry.first.Scalar();
    std::vector<std::string> codes = map.StringList(name);
    for (const std::string& code : codes) {
      if (catalogue->Find(code) == nullptr) {
        ctx.diagnostics->Error(
            map.Locate(name),
            absl::StrCat("subset ", name, " lists '", code,
                         "', which is not a code of ", catalogue->name));
      }
    }
    if (codes.empty()) {
      ctx.diagnostics->Error(file.Locate(entry.first),
                             absl::StrCat("subset ", name, " is empty"));
    }
    AddCodeConstant(ctx, name, file.Locate(entry.first), codes);
    catalogue->subsets.emplace_back(name, std::move(codes));
  }
}

void ReadCatalogue(LoadContext& ctx, const YamlFile& file, const YamlNode& key,
                   const YamlNode& node) {
  Catalogue catalogue;
  catalogue.name = key.Scalar();
  catalogue.location = file.Locate(key);
  YamlMap map(&file, node, absl::StrCat("catalogue ", catalogue.name),
              ctx.diagnostics);
  if (!map.ok()) return;
  map.AllowOnly({"title", "fields", "entries", "subsets"});
  catalogue.title = map.String("title", Need::kRequired).value_or("");
  ReadFields(ctx, file, map.Get("fields"), &catalogue);
  YamlNode entries = map.Get("entries", Need::kRequired);
  if (entries.IsDefined() && (!entries.IsSequence() || entries.size() == 0)) {
    ctx.diagnostics->Error(file.Locate(entries),
                           "'entries' must be a non-empty list of codes");
  } else if (entries.IsDefined()) {
    for (const YamlNode& e : entries) ReadEntry(ctx, file, e, &catalogue);
  }
  std::vector<std::string> codes;
  for (const CatalogueEntry& e : catalogue.entries) codes.push_back(e.code);
  AddCodeConstant(ctx, catalogue.name, catalogue.location, codes);
  ReadSubsets(ctx, file, map.Get("subsets"), &catalogue);
  ctx.ruleset->catalogues.push_back(std::move(catalogue));
}

}  // namespace

void ReadCatalogues(LoadContext& ctx) {
  for (auto& [path, file] : ctx.yaml) {
    if (!IsCataloguesFile(path)) continue;
    YamlMap map(&file, file.root(), "catalogues file", ctx.diagnostics);
    if (!map.ok()) continue;
    map.AllowOnly({"catalogues"});
    YamlNode catalogues = map.Get("catalogues", Need::kRequired);
    if (!catalogues.IsDefined()) continue;
    YamlMap all(&file, catalogues, "catalogues", ctx.diagnostics);
    if (!all.ok()) continue;
    all.RejectDuplicateKeys();
    for (const auto& entry : catalogues) {
      ReadCatalogue(ctx, file, entry.first, entry.second);
    }
  }
  std::vector<Catalogue>& list = ctx.ruleset->catalogues;
  std::sort(
      list.begin(), list.end(),
      [](const Catalogue& a, const Catalogue& b) { return a.name < b.name; });
}

}  // namespace lantern::loader_internal
