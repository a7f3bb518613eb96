// Invariant loader: the file the manifest's `invariants:` names → the
// ruleset's Invariants.
//
// Entry point: ReadInvariants, after the policy's conditions (invariants may
// name rules, concerns, prompts and actions). The file holds one key,
// `invariants:`, a list of entries with `id` (unique, rule-id spelling),
// `title`, `cite`, an optional `when` and a required `holds`, both bool
// conditions checked at the answer stage. Every problem is a diagnostic at
// its place in the file.
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/ruleset/internal/loader_internal.h"

namespace lantern::loader_internal {
namespace {

// A path the loader reads as something else, or one outside the ruleset.
bool ClaimedPath(const std::string& path) {
  return path == "manifest.yaml" || path == "policy.yaml" ||
         absl::StartsWith(path, "rules/") || absl::StartsWith(path, "tests/") ||
         absl::StartsWith(path, "catalogues/") || absl::StartsWith(path, "/") ||
         absl::StrContains(path, "..");
}

bool ValidInvariantId(absl::string_view id) {
  if (id.empty()) return false;
  for (char c : id) {
    if (!absl::ascii_isalnum(c) && c != '_' && c != '.' && c != '-')
      return false;
  }
  return true;
}

struct AnswerNames {
  std::vector<std::string> rule_ids, concerns, prompts, actions;
};

CheckEnv AnswerEnv(const LoadContext& ctx, AnswerNames* names) {
  const RuleSet& rs = *ctx.ruleset;
  for (const Rule& r : rs.rules) names->rule_ids.push_back(r.id);
  for (const ConcernDef& c : rs.policy.concerns)
    names->concerns.push_back(c.name);
  for (const PromptDef& p : rs.policy.prompts) names->prompts.push_back(p.name);
  for (const ActionDef& a : rs.policy.actions) names->actions.push_back(a.code);
  CheckEnv env;
  env.schema = rs.schema.get();
  env.constants = &rs.policy.constants;
  env.policy_stage = true;
  env.rule_ids = &names->rule_ids;
  env.concerns = &names->concerns;
  env.answer_stage = true;
  env.grades = &rs.policy.grades;
  env.prompts = &names->prompts;
  env.actions = &names->actions;
  return env;
}

void ReadInvariant(LoadContext& ctx, const YamlFile& file, const YamlNode& node,
                   const CheckEnv& env,
                   absl::flat_hash_map<std::string, SourceLocation>* ids) {
  YamlMap map(&file, node, "invariant", ctx.diagnostics);
  if (!map.ok()) return;
  map.AllowOnly({"id", "title", "cite", "when", "holds"});
  Invariant inv;
  inv.id = map.String("id", Need::kRequired).value_or("");
  inv.location = map.Locate("id");
  inv.title = map.String("title", Need::kRequired).value_or("");
  inv.cite = map.String("cite", Need::kRequired).value_or("");
  if (!inv.id.empty() && !ValidInvariantId(inv.id)) {
    ctx.diagnostics->Error(
        inv.location, absl::StrCat("invalid invariant id '", inv.id,
                                   "': use letters, digits, '_', '.', '-'"));
  }
  if (!inv.id.empty()) {
    auto [it, inserted] = ids->emplace(inv.id, inv.location);
    if (!inserted) {
      ctx.diagnostics->Error(
          inv.location,
          absl::StrCat("duplicate invariant id '", inv.id,
                       "' (first defined at ", it->second.file, ":",
                       it->second.line, ":", it->second.column, ")"));
    }
  }
  bool ok = true;
  YamlNode when = map.Get("when");
  if (when.IsDefined()) {
    Condition condition;
    ok &= ReadCondition(ctx, file, when, env, Type::Bool(), &condition);
    inv.when = std::move(condition);
  }
  YamlNode holds = map.Get("holds", Need::kRequired);
  ok &= holds.IsDefined() &&
        ReadCondition(ctx, file, holds, env, Type::Bool(), &inv.holds);
  if (ok) ctx.ruleset->invariants.push_back(std::move(inv));
}

}  // namespace

void ReadInvariants(LoadContext& ctx) {
  const std::string& path = ctx.ruleset->manifest.invariants_file;
  if (path.empty()) return;
  const SourceFile* source = ctx.File(path);
  if (source == nullptr) return;  // reported with the manifest
  const YamlFile* manifest = ctx.Yaml("manifest.yaml");
  if (ClaimedPath(path)) {
    SourceLocation at{ctx.DisplayPath("manifest.yaml"), 0, 0};
    if (manifest != nullptr) {
      at = YamlMap(manifest, manifest->root(), "manifest", ctx.diagnostics)
               .Locate("invariants");
    }
    ctx.diagnostics->Error(
        at, absl::StrCat("invariants file '", path,
                         "' is read as another part of the ruleset; name a "
                         "file of its own, such as invariants.yaml"));
    return;
  }
  std::optional<YamlFile> parsed =
      YamlFile::Parse(ctx.DisplayPath(path), source->content, ctx.diagnostics);
  if (!parsed.has_value()) return;
  const YamlFile& file =
      ctx.yaml.emplace(path, std::move(*parsed)).first->second;
  YamlMap map(&file, file.root(), "invariants file", ctx.diagnostics);
  if (!map.ok()) return;
  map.AllowOnly({"invariants"});
  YamlNode list = map.Get("invariants", Need::kRequired);
  if (!list.IsDefined()) return;
  if (!list.IsSequence()) {
    ctx.diagnostics->Error(file.Locate(list),
                           "'invariants' must be a list of invariants");
    return;
  }
  AnswerNames names;
  const CheckEnv env = AnswerEnv(ctx, &names);
  absl::flat_hash_map<std::string, SourceLocation> ids;
  for (const YamlNode& node : list) {
    ReadInvariant(ctx, file, node, env, &ids);
  }
}

}  // namespace lantern::loader_internal
