// Loader: reads a ruleset directory into a checked RuleSet.
//
// Entry points: LoadRuleSet (from disk) and LoadRuleSetFromFiles (from
// memory). The order matters because later parts refer to earlier ones:
// manifest (names the fact schema) → constants → catalogues (also
// constants) → policy shape (grades, levels, concerns, action catalogue) →
// rules (checked against schema, constants and policy names) → policy
// conditions (which may name rules) → invariants (which read the answer) →
// rule tests (which name everything). Each
// step reports every problem it finds and carries on, so one run lists them
// all.
#include "engine/ruleset/loader.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "engine/lang/parser.h"
#include "engine/ruleset/internal/loader_internal.h"

namespace lantern {
namespace loader_internal {

std::string LoadContext::DisplayPath(const std::string& path) const {
  if (display_dir.empty()) return path;
  if (absl::EndsWith(display_dir, "/")) return absl::StrCat(display_dir, path);
  return absl::StrCat(display_dir, "/", path);
}

const YamlFile* LoadContext::Yaml(const std::string& path) const {
  auto it = yaml.find(path);
  return it == yaml.end() ? nullptr : &it->second;
}

const SourceFile* LoadContext::File(const std::string& path) const {
  for (const SourceFile& f : ruleset->files) {
    if (f.path == path) return &f;
  }
  return nullptr;
}

bool IsCataloguesFile(const std::string& path) {
  return absl::StartsWith(path, "catalogues/") && absl::EndsWith(path, ".yaml");
}

bool ValidName(absl::string_view name) {
  if (name.empty() || absl::ascii_isdigit(name[0])) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(c) && c != '_') return false;
  }
  return name != "true" && name != "false" && name != "in";
}

bool DeclareConstantName(LoadContext& ctx, const std::string& name,
                         const SourceLocation& location) {
  if (!ValidName(name)) {
    ctx.diagnostics->Error(location,
                           absl::StrCat("invalid constant name '", name, "'"));
    return false;
  }
  auto [it, inserted] = ctx.constant_names.emplace(name, location);
  if (!inserted) {
    ctx.diagnostics->Error(
        location,
        absl::StrCat("duplicate constant '", name, "' (first declared at ",
                     it->second.file, ":", it->second.line, ")"));
    return false;
  }
  const FactSchema* schema = ctx.ruleset->schema.get();
  if (schema != nullptr && schema->root_type().FindField(name) != nullptr) {
    ctx.diagnostics->Error(location,
                           absl::StrCat("constant '", name,
                                        "' hides the fact field of that name"));
    return false;
  }
  return true;
}

bool ReadCondition(const LoadContext& ctx, const YamlFile& file,
                   const YamlNode& node, const CheckEnv& env, Type expected,
                   Condition* out) {
  if (!node.IsScalar() || node.Scalar().empty()) {
    ctx.diagnostics->Error(file.Locate(node),
                           "a condition must be a non-empty expression");
    return false;
  }
  out->source = file.ScalarSource(node);
  const int errors_before = ctx.diagnostics->error_count();
  out->expr = ParseExpression(out->source, ctx.diagnostics);
  if (out->expr == nullptr) return false;
  if (env.schema == nullptr) return false;
  CheckExpression(env, out->source, expected, out->expr.get(), ctx.diagnostics);
  return ctx.diagnostics->error_count() == errors_before;
}

}  // namespace loader_internal

namespace {

using loader_internal::DeclareConstantName;
using loader_internal::IsCataloguesFile;
using loader_internal::LoadContext;
using loader_internal::ReadCondition;

constexpr size_t kMaxFileBytes = 8 << 20;
constexpr size_t kMaxFiles = 10000;

bool IsRulesFile(const std::string& path) {
  return absl::StartsWith(path, "rules/") && absl::EndsWith(path, ".yaml");
}
bool IsTestsFile(const std::string& path) {
  return absl::StartsWith(path, "tests/") && absl::EndsWith(path, ".yaml");
}

bool ValidRuleId(absl::string_view id) {
  if (id.empty()) return false;
  for (char c : id) {
    if (!absl::ascii_isalnum(c) && c != '_' && c != '.' && c != '-')
      return false;
  }
  return true;
}

void ParseYamlFiles(LoadContext& ctx) {
  for (const SourceFile& f : ctx.ruleset->files) {
    const bool wanted = f.path == "manifest.yaml" || f.path == "policy.yaml" ||
                        IsRulesFile(f.path) || IsTestsFile(f.path) ||
                        IsCataloguesFile(f.path);
    if (!wanted) continue;
    std::optional<YamlFile> parsed =
        YamlFile::Parse(ctx.DisplayPath(f.path), f.content, ctx.diagnostics);
    if (parsed.has_value()) ctx.yaml.emplace(f.path, std::move(*parsed));
  }
}

void ReadManifest(LoadContext& ctx) {
  const YamlFile* file = ctx.Yaml("manifest.yaml");
  if (file == nullptr) {
    if (ctx.File("manifest.yaml") == nullptr) {
      ctx.diagnostics->Error({ctx.DisplayPath("manifest.yaml"), 0, 0},
                             "the ruleset has no manifest.yaml");
    }
    return;
  }
  YamlMap map(file, file->root(), "manifest", ctx.diagnostics);
  map.AllowOnly({"id", "version", "owner", "description", "approved_by",
                 "fact_message", "effective_from", "effective_to",
                 "invariants"});
  Manifest& m = ctx.ruleset->manifest;
  m.id = map.String("id", Need::kRequired).value_or("");
  m.version = map.String("version", Need::kRequired).value_or("");
  m.owner = map.String("owner", Need::kRequired).value_or("");
  m.description = map.String("description", Need::kOptional).value_or("");
  m.approved_by = map.String("approved_by", Need::kOptional).value_or("");
  m.effective.from = map.Time("effective_from", Need::kRequired)
                         .value_or(absl::InfinitePast());
  m.effective.to = map.Time("effective_to", Need::kOptional);
  m.invariants_file = map.String("invariants", Need::kOptional).value_or("");
  if (!m.invariants_file.empty() && ctx.File(m.invariants_file) == nullptr) {
    ctx.diagnostics->Error(
        map.Locate("invariants"),
        absl::StrCat("invariants file '", m.invariants_file,
                     "' is not in the ruleset (a path inside it, such as "
                     "invariants.yaml)"));
  }
  if (m.effective.to.has_value() && *m.effective.to <= m.effective.from) {
    ctx.diagnostics->Error(map.Locate("effective_to"),
                           "effective_to must be after effective_from");
  }
  std::optional<std::string> message =
      map.String("fact_message", Need::kRequired);
  if (!message.has_value()) return;
  m.fact_message = *message;
  m.fact_message_location = map.Locate("fact_message");
  absl::StatusOr<std::shared_ptr<const FactSchema>> schema =
      ctx.fact_types->SchemaFor(*message);
  if (!schema.ok()) {
    ctx.diagnostics->Error(map.Locate("fact_message"),
                           std::string(schema.status().message()));
    return;
  }
  ctx.ruleset->schema = *std::move(schema);
}

// A constant's scalar: quoted → string; plain → bool, int, double,
// duration("..."), timestamp("...") or, failing those, string.
bool ReadConstantScalar(const LoadContext& ctx, const YamlFile& file,
                        const YamlNode& node, LiteralValue* value, Type* type) {
  if (!node.IsScalar()) {
    ctx.diagnostics->Error(file.Locate(node),
                           "a constant is a value or a list of values");
    return false;
  }
  const std::string& text = node.Scalar();
  int64_t i;
  double d;
  if (!IsPlainScalar(node)) {
    *value = text, *type = Type::String();
  } else if (text == "true" || text == "false") {
    *value = text == "true", *type = Type::Bool();
  } else if (absl::SimpleAtoi(text, &i)) {
    *value = i, *type = Type::Int();
  } else if (absl::SimpleAtod(text, &d) && !text.empty() &&
             (absl::ascii_isdigit(text[0]) || text[0] == '-')) {
    *value = d, *type = Type::Double();
  } else if (absl::StartsWith(text, "duration(") ||
             absl::StartsWith(text, "timestamp(")) {
    const bool is_duration = absl::StartsWith(text, "duration(");
    absl::string_view inner = text;
    inner.remove_prefix(is_duration ? 9 : 10);
    const bool quoted = inner.size() >= 3 && inner.back() == ')' &&
                        (inner[0] == '"' || inner[0] == '\'') &&
                        inner[inner.size() - 2] == inner[0];
    absl::Duration dur;
    absl::Time t;
    inner = quoted ? inner.substr(1, inner.size() - 3) : absl::string_view();
    if (quoted && is_duration && ParseDurationText(inner, &dur)) {
      *value = dur, *type = Type::Duration();
    } else if (quoted && !is_duration && ParseTimestampText(inner, &t)) {
      *value = t, *type = Type::Timestamp();
    } else {
      ctx.diagnostics->Error(file.Locate(node),
                             absl::StrCat("invalid constant '", text, "'"));
      return false;
    }
  } else {
    *value = text, *type = Type::String();
  }
  return true;
}

void ReadConstant(LoadContext& ctx, const YamlFile& file, const YamlNode& key,
                  const YamlNode& value) {
  const std::string& name = key.Scalar();
  ConstantDef def;
  def.name = name;
  def.location = file.Locate(key);
  if (!DeclareConstantName(ctx, name, def.location)) return;
  if (!value.IsSequence()) {
    LiteralValue v;
    if (!ReadConstantScalar(ctx, file, value, &v, &def.type)) return;
    def.values.push_back(std::move(v));
    ctx.ruleset->constants.push_back(std::move(def));
    return;
  }
  if (value.size() == 0) {
    ctx.diagnostics->Error(file.Locate(value),
                           absl::StrCat("constant list '", name, "' is empty"));
    return;
  }
  for (const YamlNode& item : value) {
    LiteralValue v;
    Type t;
    if (!ReadConstantScalar(ctx, file, item, &v, &t)) return;
    if (def.values.empty()) {
      def.type = t;
    } else if (t != def.type) {
      ctx.diagnostics->Error(file.Locate(item),
                             absl::StrCat("constant list '", name, "' mixes ",
                                          TypeName(def.type, nullptr), " and ",
                                          TypeName(t, nullptr), " values"));
      return;
    }
    def.values.push_back(std::move(v));
  }
  def.type = def.type.AsList();
  ctx.ruleset->constants.push_back(std::move(def));
}

void ReadConstants(LoadContext& ctx) {
  for (auto& [path, file] : ctx.yaml) {
    if (!IsRulesFile(path) || !file.root().IsMap()) continue;
    YamlNode constants = FindKey(file.root(), "constants");
    if (!constants.IsDefined() || constants.IsNull()) continue;
    if (!constants.IsMap()) {
      ctx.diagnostics->Error(
          file.Locate(constants),
          "'constants' must be a mapping of names to values");
      continue;
    }
    for (const auto& entry : constants) {
      ReadConstant(ctx, file, entry.first, entry.second);
    }
  }
}

void CheckRuleNames(const LoadContext& ctx, const YamlMap& map,
                    const Rule& rule) {
  const Policy& policy = ctx.ruleset->policy;
  if (!rule.concern.empty() &&
      std::none_of(
          policy.concerns.begin(), policy.concerns.end(),
          [&](const ConcernDef& c) { return c.name == rule.concern; })) {
    ctx.diagnostics->Error(
        map.Locate("concern"),
        absl::StrCat("unknown concern '", rule.concern,
                     "'; policy.yaml declares the concerns"));
  }
  if (!rule.grade_floor.empty() && policy.GradeRank(rule.grade_floor) < 0) {
    ctx.diagnostics->Error(
        map.Locate("grade_floor"),
        absl::StrCat("unknown grade '", rule.grade_floor, "'"));
  }
  for (const std::string& code : rule.actions) {
    if (policy.FindAction(code) == nullptr) {
      ctx.diagnostics->Error(
          map.Locate("actions"),
          absl::StrCat("unknown action '", code,
                       "'; policy.yaml declares the actions"));
    }
  }
}

void ReadRule(LoadContext& ctx, const YamlFile& file, const YamlNode& node,
              absl::flat_hash_map<std::string, SourceLocation>& ids) {
  YamlMap map(&file, node, "rule", ctx.diagnostics);
  if (!map.ok()) return;
  map.AllowOnly({"id", "title", "concern", "score", "grade_floor", "actions",
                 "flags", "cite", "effective_from", "effective_to", "when"});
  Rule rule;
  rule.id = map.String("id", Need::kRequired).value_or("");
  rule.location = map.Locate("id");
  rule.title = map.String("title", Need::kRequired).value_or("");
  rule.cite = map.String("cite", Need::kRequired).value_or("");
  rule.concern = map.String("concern", Need::kOptional).value_or("");
  rule.score = map.Int("score", Need::kOptional).value_or(0);
  rule.grade_floor = map.String("grade_floor", Need::kOptional).value_or("");
  rule.actions = map.StringList("actions");
  rule.flags = map.StringList("flags");
  rule.effective.from = map.Time("effective_from", Need::kOptional)
                            .value_or(absl::InfinitePast());
  rule.effective.to = map.Time("effective_to", Need::kOptional);
  if (rule.score < 0) {
    ctx.diagnostics->Error(map.Locate("score"), "score must not be negative");
  }
  if (!rule.id.empty() && !ValidRuleId(rule.id)) {
    ctx.diagnostics->Error(
        rule.location, absl::StrCat("invalid rule id '", rule.id,
                                    "': use letters, digits, '_', '.', '-'"));
  }
  if (!rule.id.empty()) {
    auto [it, inserted] = ids.emplace(rule.id, rule.location);
    if (!inserted) {
      ctx.diagnostics->Error(
          rule.location,
          absl::StrCat("duplicate rule id '", rule.id, "' (first defined at ",
                       it->second.file, ":", it->second.line, ":",
                       it->second.column, ")"));
    }
  }
  CheckRuleNames(ctx, map, rule);
  CheckEnv env;
  env.schema = ctx.ruleset->schema.get();
  env.constants = &ctx.ruleset->constants;
  YamlNode when = map.Get("when", Need::kRequired);
  bool ok = when.IsDefined() &&
            ReadCondition(ctx, file, when, env, Type::Bool(), &rule.when);
  if (ok) ctx.ruleset->rules.push_back(std::move(rule));
}

void ReadRules(LoadContext& ctx) {
  absl::flat_hash_map<std::string, SourceLocation> ids;
  bool any_file = false;
  for (auto& [path, file] : ctx.yaml) {
    if (!IsRulesFile(path)) continue;
    any_file = true;
    YamlMap map(&file, file.root(), "rules file", ctx.diagnostics);
    if (!map.ok()) continue;
    map.AllowOnly({"constants", "rules"});
    YamlNode rules = map.Get("rules");
    if (!rules.IsDefined() || rules.IsNull()) continue;
    if (!rules.IsSequence()) {
      ctx.diagnostics->Error(file.Locate(rules),
                             "'rules' must be a list of rules");
      continue;
    }
    for (const YamlNode& node : rules) ReadRule(ctx, file, node, ids);
  }
  if (!any_file) {
    ctx.diagnostics->Error({ctx.DisplayPath("rules"), 0, 0},
                           "the ruleset has no rule files (rules/*.yaml)");
  }
  std::sort(ctx.ruleset->rules.begin(), ctx.ruleset->rules.end(),
            [](const Rule& a, const Rule& b) { return a.id < b.id; });
}

// Why the directory entry cannot be part of a ruleset, or "": a ruleset
// never reads outside its directory (a symbolic link is followed only to a
// target inside it) and reads regular files only (a FIFO or device could
// block the reader or never end).
std::string EntryProblem(const std::filesystem::directory_entry& entry,
                         const std::filesystem::path& root) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status own = entry.symlink_status(ec);
  if (ec) return absl::StrCat("cannot be read: ", ec.message());
  if (fs::is_symlink(own)) {
    const fs::path target = fs::weakly_canonical(entry.path(), ec);
    const fs::path rel = ec ? fs::path("..") : target.lexically_relative(root);
    if (rel.empty() || *rel.begin() == "..") {
      return "a symbolic link leaving the ruleset directory; a ruleset is "
             "read from its own directory only";
    }
    if (fs::is_directory(target, ec)) return "";  // not followed
    if (!fs::is_regular_file(target, ec)) {
      return "a symbolic link to something that is not a regular file";
    }
    return "";
  }
  if (fs::is_regular_file(own) || fs::is_directory(own)) return "";
  return "not a regular file (a FIFO, socket or device); a ruleset holds "
         "regular files only";
}

}  // namespace

absl::StatusOr<LoadResult> LoadRuleSet(const std::string& dir,
                                       const FactTypes& fact_types,
                                       const std::string& display_dir,
                                       const PolicyVocabulary* vocabulary) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return absl::NotFoundError(
        absl::StrCat("ruleset directory '", dir, "' not found"));
  }
  std::vector<SourceFile> files;
  // Problems with entries that are not files of the ruleset: reported as
  // diagnostics after loading the rest, and the ruleset refused.
  std::vector<std::pair<std::string, std::string>> refused;
  const fs::path root = fs::weakly_canonical(dir, ec);
  // Paths relative to the directory as written (fs::relative would
  // resolve symbolic links and name a link by its target).
  fs::path base = fs::path(dir).lexically_normal();
  if (!base.has_filename()) base = base.parent_path();
  fs::recursive_directory_iterator it(
      dir, fs::directory_options::skip_permission_denied, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const fs::path rel = it->path().lexically_normal().lexically_relative(base);
    const std::string name = it->path().filename().string();
    if (!name.empty() && name[0] == '.') {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    std::string why = EntryProblem(*it, root);
    if (!why.empty()) {
      refused.push_back({rel.generic_string(), std::move(why)});
      continue;
    }
    if (!it->is_regular_file(ec)) continue;  // a directory
    if (files.size() >= kMaxFiles || it->file_size(ec) > kMaxFileBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("ruleset '", dir, "' is too large (at most ", kMaxFiles,
                       " files of ", kMaxFileBytes >> 20, " MiB)"));
    }
    std::ifstream in(it->path(), std::ios::binary);
    std::ostringstream content;
    content << in.rdbuf();
    if (!in.good() && !in.eof()) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot read ", it->path().string()));
    }
    files.push_back({rel.generic_string(), content.str()});
  }
  if (ec) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot read ruleset directory '", dir, "': ", ec.message()));
  }
  const std::string shown = display_dir.empty() ? dir : display_dir;
  LoadResult result =
      LoadRuleSetFromFiles(std::move(files), fact_types, shown, vocabulary);
  for (auto& [path, why] : refused) {
    result.diagnostics.Error({absl::StrCat(shown, "/", path), 0, 0},
                             std::move(why));
  }
  if (!refused.empty()) result.ruleset = nullptr;
  return result;
}

LoadResult LoadRuleSetFromFiles(std::vector<SourceFile> files,
                                const FactTypes& fact_types,
                                const std::string& display_dir,
                                const PolicyVocabulary* vocabulary) {
  LoadResult result;
  auto ruleset = std::make_shared<RuleSet>();
  std::sort(
      files.begin(), files.end(),
      [](const SourceFile& a, const SourceFile& b) { return a.path < b.path; });
  ruleset->files = std::move(files);
  LoadContext ctx;
  ctx.fact_types = &fact_types;
  ctx.vocabulary = vocabulary;
  ctx.diagnostics = &result.diagnostics;
  ctx.display_dir = display_dir;
  ctx.ruleset = ruleset.get();
  try {
    ParseYamlFiles(ctx);
    ReadManifest(ctx);
    ReadConstants(ctx);
    loader_internal::ReadCatalogues(ctx);
    loader_internal::ReadPolicyShape(ctx);
    ReadRules(ctx);
    loader_internal::ReadPolicyConditions(ctx);
    loader_internal::ReadInvariants(ctx);
    loader_internal::ReadRuleTests(ctx);
  } catch (const std::exception& e) {
    // Nothing above is meant to throw (but for memory), so reaching here is
    // a loader bug. Report it rather than crash a
    // service that is loading a candidate ruleset (the fuzzer traps on it).
    result.diagnostics.Error({display_dir, 0, 0},
                             absl::StrCat(kInternalLoaderError, e.what()));
  }
  if (!result.diagnostics.has_errors()) result.ruleset = std::move(ruleset);
  return result;
}

}  // namespace lantern
