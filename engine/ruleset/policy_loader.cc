// Policy loader: policy.yaml → Policy (grades, bands, levels, concerns,
// concern floors, action catalogue, prompts with their findings and floors),
// checked against the caller's PolicyVocabulary when one is given.
//
// Entry points: ReadPolicyShape (names and numbers, read before the rules so
// rules can be checked against them) and ReadPolicyConditions (prompt
// conditions and due-time formulas, checked at policy stage after the rules,
// since they may name rules with fired()).
#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/ruleset/internal/loader_internal.h"

namespace lantern {
namespace loader_internal {
namespace {

// Reads `name: minimum score` pairs whose names must be in `ranks` (ranked
// by `rank`), ascending in both rank and score.
std::vector<std::pair<std::string, int64_t>> ReadThresholds(
    const LoadContext& ctx, const YamlFile& file, const YamlNode& node,
    const std::string& what, const std::vector<std::string>& names) {
  std::vector<std::pair<std::string, int64_t>> out;
  YamlMap map(&file, node, what, ctx.diagnostics);
  if (!map.ok()) return out;
  map.RejectDuplicateKeys();
  int last_rank = 0;
  int64_t last_score = -1;
  for (const auto& entry : node) {
    const std::string name = entry.first.Scalar();
    auto it = std::find(names.begin(), names.end(), name);
    std::optional<int64_t> score = map.Int(name, Need::kRequired);
    if (it == names.end() || it == names.begin()) {
      ctx.diagnostics->Error(
          file.Locate(entry.first),
          absl::StrCat("'", name, "' in ", what,
                       " is not one of the ranks above the lowest"));
      continue;
    }
    const int rank = static_cast<int>(it - names.begin());
    if (!score.has_value()) continue;
    if (rank <= last_rank || *score <= last_score) {
      ctx.diagnostics->Error(
          file.Locate(entry.first),
          absl::StrCat(
              what, " must list ranks in ascending order with rising scores"));
    }
    last_rank = rank;
    last_score = *score;
    out.emplace_back(name, *score);
  }
  return out;
}

std::vector<std::string> ReadNameList(const LoadContext& ctx,
                                      const YamlMap& map,
                                      const std::string& key) {
  std::vector<std::string> names = map.StringList(key);
  if (names.size() < 2) {
    ctx.diagnostics->Error(
        map.Locate(key),
        absl::StrCat("'", key, "' must list at least two names, lowest first"));
  }
  for (size_t i = 0; i < names.size(); ++i) {
    if (std::find(names.begin(), names.begin() + i, names[i]) !=
        names.begin() + i) {
      ctx.diagnostics->Error(
          map.Locate(key),
          absl::StrCat("'", names[i], "' appears twice in '", key, "'"));
    }
  }
  return names;
}

void ReadActions(LoadContext& ctx, const YamlFile& file, const YamlNode& node) {
  if (!node.IsDefined() || node.IsNull()) return;
  YamlMap all(&file, node, "actions", ctx.diagnostics);
  if (!all.ok()) return;
  all.RejectDuplicateKeys();
  for (const auto& entry : node) {
    YamlMap map(&file, entry.second,
                absl::StrCat("action ", entry.first.Scalar()), ctx.diagnostics);
    if (!map.ok()) continue;
    map.AllowOnly({"title", "owner", "cite", "due"});
    ActionDef action;
    action.code = entry.first.Scalar();
    action.title = map.String("title", Need::kRequired).value_or("");
    action.owner = map.String("owner", Need::kRequired).value_or("");
    action.cite = map.String("cite", Need::kRequired).value_or("");
    ctx.ruleset->policy.actions.push_back(std::move(action));
  }
}

// Reports each of `names` (declared at `location`) that `allowed` lacks and,
// when `ordered`, names that break `allowed`'s order. No check when
// `allowed` is empty.
void CheckVocabulary(const LoadContext& ctx, const SourceLocation& location,
                     const std::string& what,
                     const std::vector<std::string>& names,
                     const std::vector<std::string>& allowed, bool ordered) {
  if (allowed.empty()) return;
  int last = -1;
  for (const std::string& name : names) {
    auto it = std::find(allowed.begin(), allowed.end(), name);
    if (it == allowed.end()) {
      ctx.diagnostics->Error(
          location,
          absl::StrCat(what, " '", name,
                       "' cannot be expressed in the answer; use one of ",
                       absl::StrJoin(allowed, ", ")));
      continue;
    }
    const int rank = static_cast<int>(it - allowed.begin());
    if (ordered && rank < last) {
      ctx.diagnostics->Error(
          location, absl::StrCat(what, " '", name, "' is out of order: ", what,
                                 "s go ", absl::StrJoin(allowed, ", ")));
    }
    last = std::max(last, rank);
  }
}

void CheckPolicyVocabulary(const LoadContext& ctx, const YamlFile& file,
                           const YamlMap& map) {
  if (ctx.vocabulary == nullptr) return;
  const PolicyVocabulary& v = *ctx.vocabulary;
  const Policy& policy = ctx.ruleset->policy;
  CheckVocabulary(ctx, map.Locate("grades"), "grade", policy.grades, v.grades,
                  /*ordered=*/true);
  CheckVocabulary(ctx, map.Locate("levels"), "level", policy.levels, v.levels,
                  /*ordered=*/true);
  YamlNode concerns = map.Get("concerns");
  if (!concerns.IsMap()) return;
  for (const auto& entry : concerns) {
    CheckVocabulary(ctx, file.Locate(entry.first), "concern",
                    {entry.first.Scalar()}, v.concerns, /*ordered=*/false);
  }
}

void AddLevelConstants(LoadContext& ctx, const YamlMap& map) {
  Policy& policy = ctx.ruleset->policy;
  policy.constants = ctx.ruleset->constants;
  for (size_t i = 0; i < policy.levels.size(); ++i) {
    const std::string& level = policy.levels[i];
    for (const ConstantDef& c : ctx.ruleset->constants) {
      if (c.name == level) {
        ctx.diagnostics->Error(
            map.Locate("levels"),
            absl::StrCat("level '", level, "' has the name of a constant"));
      }
    }
    ConstantDef def;
    def.name = level;
    def.location = map.Locate("levels");
    def.type = Type::Int();
    def.values.push_back(static_cast<int64_t>(i));
    policy.constants.push_back(std::move(def));
  }
}

}  // namespace

void ReadPolicyShape(LoadContext& ctx) {
  const YamlFile* file = ctx.Yaml("policy.yaml");
  if (file == nullptr) {
    if (ctx.File("policy.yaml") == nullptr) {
      ctx.diagnostics->Error({ctx.DisplayPath("policy.yaml"), 0, 0},
                             "the ruleset has no policy.yaml");
    }
    return;
  }
  YamlMap map(file, file->root(), "policy", ctx.diagnostics);
  if (!map.ok()) return;
  map.AllowOnly({"grades", "grade_bands", "levels", "concerns",
                 "concern_floors", "prompts", "actions"});
  Policy& policy = ctx.ruleset->policy;
  policy.grades = ReadNameList(ctx, map, "grades");
  policy.levels = ReadNameList(ctx, map, "levels");
  YamlNode bands = map.Get("grade_bands", Need::kRequired);
  if (bands.IsDefined()) {
    policy.grade_bands =
        ReadThresholds(ctx, *file, bands, "grade_bands", policy.grades);
  }
  YamlNode concerns = map.Get("concerns", Need::kRequired);
  if (concerns.IsDefined()) {
    YamlMap concern_map(file, concerns, "concerns", ctx.diagnostics);
    concern_map.RejectDuplicateKeys();
    for (const auto& entry : concern_map.ok() ? concerns : YamlNode()) {
      ConcernDef def;
      def.name = entry.first.Scalar();
      def.thresholds =
          ReadThresholds(ctx, *file, entry.second,
                         absl::StrCat("concern ", def.name), policy.levels);
      policy.concerns.push_back(std::move(def));
    }
  }
  ReadActions(ctx, *file, map.Get("actions"));
  AddLevelConstants(ctx, map);
  CheckPolicyVocabulary(ctx, *file, map);
}

namespace {

CheckEnv PolicyEnv(const LoadContext& ctx, std::vector<std::string>* rule_ids,
                   std::vector<std::string>* concerns) {
  for (const Rule& r : ctx.ruleset->rules) rule_ids->push_back(r.id);
  for (const ConcernDef& c : ctx.ruleset->policy.concerns)
    concerns->push_back(c.name);
  CheckEnv env;
  env.schema = ctx.ruleset->schema.get();
  env.constants = &ctx.ruleset->policy.constants;
  env.policy_stage = true;
  env.rule_ids = rule_ids;
  env.concerns = concerns;
  return env;
}

void ReadDueTimes(LoadContext& ctx, const YamlFile& file, const CheckEnv& env) {
  YamlNode actions = FindKey(file.root(), "actions");
  if (!actions.IsMap()) return;
  for (const auto& entry : actions) {
    if (!entry.second.IsMap()) continue;
    YamlNode due = FindKey(entry.second, "due");
    if (!due.IsDefined()) continue;
    ActionDef* action = nullptr;
    for (ActionDef& a : ctx.ruleset->policy.actions) {
      if (a.code == entry.first.Scalar()) action = &a;
    }
    Condition condition;
    if (action != nullptr &&
        ReadCondition(ctx, file, due, env, Type::Timestamp(), &condition)) {
      action->due = std::move(condition);
    }
  }
}

// The finding names the caller understands for prompt `name`, or null when
// it names none (any finding is then allowed).
const std::vector<std::string>* KnownFindings(const LoadContext& ctx,
                                              const std::string& name) {
  if (ctx.vocabulary == nullptr) return nullptr;
  for (const auto& [prompt, findings] : ctx.vocabulary->findings) {
    if (prompt == name) return &findings;
  }
  return nullptr;
}

void ReadFinding(LoadContext& ctx, const YamlFile& file, const YamlNode& key,
                 const YamlNode& node, const CheckEnv& env, PromptDef* prompt) {
  PromptFinding finding;
  finding.name = key.Scalar();
  if (const std::vector<std::string>* known =
          KnownFindings(ctx, prompt->name)) {
    CheckVocabulary(ctx, file.Locate(key),
                    absl::StrCat("finding of prompt ", prompt->name),
                    {finding.name}, *known, /*ordered=*/false);
  }
  YamlMap map(&file, node, absl::StrCat("finding ", finding.name),
              ctx.diagnostics);
  if (!map.ok()) return;
  map.AllowOnly({"title", "cite", "when"});
  finding.title = map.String("title", Need::kRequired).value_or("");
  finding.cite = map.String("cite", Need::kRequired).value_or("");
  YamlNode when = map.Get("when");
  if (when.IsDefined()) {
    Condition condition;
    if (!ReadCondition(ctx, file, when, env, Type::Bool(), &condition)) return;
    finding.when = std::move(condition);
  }
  prompt->findings.push_back(std::move(finding));
}

void ReadFindings(LoadContext& ctx, const YamlFile& file, const YamlNode& node,
                  const CheckEnv& env, PromptDef* prompt) {
  if (!node.IsDefined() || node.IsNull()) return;
  YamlMap map(&file, node, absl::StrCat("findings of prompt ", prompt->name),
              ctx.diagnostics);
  if (!map.ok()) return;
  map.RejectDuplicateKeys();
  for (const auto& entry : node) {
    ReadFinding(ctx, file, entry.first, entry.second, env, prompt);
  }
}

void ReadPrompt(LoadContext& ctx, const YamlFile& file, const YamlNode& key,
                const YamlNode& node, const CheckEnv& env) {
  YamlMap map(&file, node, absl::StrCat("prompt ", key.Scalar()),
              ctx.diagnostics);
  if (!map.ok()) return;
  map.AllowOnly(
      {"title", "cite", "when", "actions", "findings", "grade_floor"});
  PromptDef prompt;
  prompt.name = key.Scalar();
  prompt.grade_floor = map.String("grade_floor", Need::kOptional).value_or("");
  if (!prompt.grade_floor.empty() &&
      ctx.ruleset->policy.GradeRank(prompt.grade_floor) < 0) {
    ctx.diagnostics->Error(map.Locate("grade_floor"),
                           absl::StrCat("unknown grade '", prompt.grade_floor,
                                        "'; policy.yaml declares the grades"));
  }
  prompt.title = map.String("title", Need::kRequired).value_or("");
  prompt.cite = map.String("cite", Need::kRequired).value_or("");
  prompt.actions = map.StringList("actions");
  for (const std::string& code : prompt.actions) {
    if (ctx.ruleset->policy.FindAction(code) == nullptr) {
      ctx.diagnostics->Error(map.Locate("actions"),
                             absl::StrCat("unknown action '", code, "'"));
    }
  }
  ReadFindings(ctx, file, map.Get("findings"), env, &prompt);
  YamlNode when = map.Get("when", Need::kRequired);
  if (when.IsDefined() &&
      ReadCondition(ctx, file, when, env, Type::Bool(), &prompt.when)) {
    ctx.ruleset->policy.prompts.push_back(std::move(prompt));
  }
}

void ReadConcernFloor(LoadContext& ctx, const YamlFile& file,
                      const YamlNode& node, const CheckEnv& env) {
  YamlMap map(&file, node, "concern floor", ctx.diagnostics);
  if (!map.ok()) return;
  map.AllowOnly({"id", "concern", "level", "cite", "when"});
  ConcernFloor floor;
  floor.id = map.String("id", Need::kRequired).value_or("");
  floor.concern = map.String("concern", Need::kRequired).value_or("");
  floor.level = map.String("level", Need::kRequired).value_or("");
  floor.cite = map.String("cite", Need::kRequired).value_or("");
  const Policy& policy = ctx.ruleset->policy;
  bool ok = !floor.id.empty();
  if (!floor.concern.empty() &&
      std::none_of(
          policy.concerns.begin(), policy.concerns.end(),
          [&](const ConcernDef& c) { return c.name == floor.concern; })) {
    ctx.diagnostics->Error(
        map.Locate("concern"),
        absl::StrCat("unknown concern '", floor.concern,
                     "'; policy.yaml declares the concerns"));
    ok = false;
  }
  if (!floor.level.empty() && policy.LevelRank(floor.level) < 0) {
    ctx.diagnostics->Error(map.Locate("level"),
                           absl::StrCat("unknown level '", floor.level,
                                        "'; policy.yaml declares the levels"));
    ok = false;
  }
  YamlNode when = map.Get("when", Need::kRequired);
  ok &= when.IsDefined() &&
        ReadCondition(ctx, file, when, env, Type::Bool(), &floor.when);
  if (ok) ctx.ruleset->policy.concern_floors.push_back(std::move(floor));
}

void ReadConcernFloors(LoadContext& ctx, const YamlFile& file,
                       const CheckEnv& env) {
  YamlNode floors = FindKey(file.root(), "concern_floors");
  if (!floors.IsDefined() || floors.IsNull()) return;
  if (!floors.IsSequence()) {
    ctx.diagnostics->Error(file.Locate(floors),
                           "'concern_floors' must be a list of floors");
    return;
  }
  for (const YamlNode& node : floors) ReadConcernFloor(ctx, file, node, env);
}

}  // namespace

void ReadPolicyConditions(LoadContext& ctx) {
  const YamlFile* file = ctx.Yaml("policy.yaml");
  if (file == nullptr || !file->root().IsMap()) return;
  std::vector<std::string> rule_ids, concerns;
  const CheckEnv env = PolicyEnv(ctx, &rule_ids, &concerns);
  ReadDueTimes(ctx, *file, env);
  ReadConcernFloors(ctx, *file, env);
  YamlNode prompts = FindKey(file->root(), "prompts");
  if (!prompts.IsDefined() || prompts.IsNull()) return;
  YamlMap map(file, prompts, "prompts", ctx.diagnostics);
  if (!map.ok()) return;
  map.RejectDuplicateKeys();
  for (const auto& entry : prompts) {
    ReadPrompt(ctx, *file, entry.first, entry.second, env);
  }
}

}  // namespace loader_internal
}  // namespace lantern
