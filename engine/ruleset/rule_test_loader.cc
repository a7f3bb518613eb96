// Rule-test loader: tests/*.yaml → RuleTestCase, facts decoded at load.
//
// Entry point: loader_internal::ReadRuleTests. Each case names its facts
// inline (`facts:`, YAML written as protobuf JSON) or by file
// (`facts_file:`, a JSON file inside the ruleset), an as-of time (its own or
// the file's default) and expectations. Every name an expectation uses —
// rule ids, grades, concerns, levels, prompts, actions — is checked here, so
// a typo in a test is a load error, not a test that can never fail; so is a
// value in a catalogue-bound fact field that no catalogue lists.
#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "engine/ruleset/catalogue.h"
#include "engine/ruleset/internal/loader_internal.h"

namespace lantern::loader_internal {
namespace {

bool HasPrompt(const Policy& policy, const std::string& name) {
  return std::any_of(policy.prompts.begin(), policy.prompts.end(),
                     [&](const PromptDef& p) { return p.name == name; });
}

bool HasConcern(const Policy& policy, const std::string& name) {
  return std::any_of(policy.concerns.begin(), policy.concerns.end(),
                     [&](const ConcernDef& c) { return c.name == name; });
}

void CheckRuleIds(const LoadContext& ctx, const YamlMap& map,
                  const std::string& key, const std::vector<std::string>& ids) {
  for (const std::string& id : ids) {
    if (ctx.ruleset->FindRule(id) == nullptr) {
      ctx.diagnostics->Error(map.Locate(key),
                             absl::StrCat("unknown rule '", id, "'"));
    }
  }
}

void CheckActionCodes(const LoadContext& ctx, const YamlMap& map,
                      const std::string& key,
                      const std::vector<std::string>& codes) {
  for (const std::string& code : codes) {
    if (ctx.ruleset->policy.FindAction(code) == nullptr) {
      ctx.diagnostics->Error(map.Locate(key),
                             absl::StrCat("unknown action '", code, "'"));
    }
  }
}

void ReadConcernExpectations(const LoadContext& ctx, const YamlFile& file,
                             const YamlNode& node, RuleTestCase* test) {
  if (!node.IsDefined()) return;
  YamlMap map(&file, node, "expected concerns", ctx.diagnostics);
  if (!map.ok()) return;
  map.RejectDuplicateKeys();
  const Policy& policy = ctx.ruleset->policy;
  for (const auto& entry : node) {
    const std::string concern = entry.first.Scalar();
    std::optional<std::string> level = map.ScalarOf(entry.second, concern);
    if (!HasConcern(policy, concern)) {
      ctx.diagnostics->Error(file.Locate(entry.first),
                             absl::StrCat("unknown concern '", concern, "'"));
    } else if (level.has_value() && policy.LevelRank(*level) < 0) {
      ctx.diagnostics->Error(file.Locate(entry.second),
                             absl::StrCat("unknown level '", *level, "'"));
    } else if (level.has_value()) {
      test->concern_levels.emplace_back(concern, *level);
    }
  }
}

void ReadPromptExpectations(const LoadContext& ctx, const YamlFile& file,
                            const YamlNode& node, RuleTestCase* test) {
  if (!node.IsDefined()) return;
  YamlMap map(&file, node, "expected prompts", ctx.diagnostics);
  if (!map.ok()) return;
  map.RejectDuplicateKeys();
  for (const auto& entry : node) {
    const std::string name = entry.first.Scalar();
    if (!HasPrompt(ctx.ruleset->policy, name)) {
      ctx.diagnostics->Error(file.Locate(entry.first),
                             absl::StrCat("unknown prompt '", name, "'"));
      continue;
    }
    std::optional<std::string> answer = map.ScalarOf(entry.second, name);
    if (!answer.has_value()) continue;
    if (*answer == "true" || *answer == "false" || *answer == "consider") {
      test->prompts.emplace_back(name, *answer == "true"    ? "raise"
                                       : *answer == "false" ? "not_raised"
                                                            : "consider");
    } else {
      ctx.diagnostics->Error(
          file.Locate(entry.second),
          absl::StrCat("prompt '", name,
                       "' must be true (raised), false (not raised) or "
                       "consider, not '",
                       *answer, "'"));
    }
  }
}

std::optional<std::string> ReadGrade(const LoadContext& ctx, const YamlMap& map,
                                     const char* key) {
  std::optional<std::string> grade = map.String(key, Need::kOptional);
  if (grade.has_value() && ctx.ruleset->policy.GradeRank(*grade) < 0) {
    ctx.diagnostics->Error(map.Locate(key),
                           absl::StrCat("unknown grade '", *grade, "'"));
  }
  return grade;
}

void ReadExpectations(const LoadContext& ctx, const YamlFile& file,
                      const YamlNode& node, RuleTestCase* test) {
  YamlMap map(&file, node, "expect", ctx.diagnostics);
  if (!map.ok()) return;
  map.AllowOnly({"fires", "not_fires", "unknown", "grade",
                 "highest_possible_grade", "concerns", "prompts", "actions",
                 "actions_to_consider", "overdue"});
  test->fires = map.StringList("fires");
  test->not_fires = map.StringList("not_fires");
  test->unknown = map.StringList("unknown");
  CheckRuleIds(ctx, map, "fires", test->fires);
  CheckRuleIds(ctx, map, "not_fires", test->not_fires);
  CheckRuleIds(ctx, map, "unknown", test->unknown);
  test->grade = ReadGrade(ctx, map, "grade");
  test->highest_possible_grade = ReadGrade(ctx, map, "highest_possible_grade");
  ReadConcernExpectations(ctx, file, map.Get("concerns"), test);
  ReadPromptExpectations(ctx, file, map.Get("prompts"), test);
  if (map.Get("actions").IsDefined()) {
    test->actions = map.StringList("actions");
    CheckActionCodes(ctx, map, "actions", *test->actions);
  }
  if (map.Get("actions_to_consider").IsDefined()) {
    test->actions_to_consider = map.StringList("actions_to_consider");
    CheckActionCodes(ctx, map, "actions_to_consider",
                     *test->actions_to_consider);
  }
  test->overdue = map.StringList("overdue");
  CheckActionCodes(ctx, map, "overdue", test->overdue);
}

// Fills facts_json / facts_location from `facts:` or `facts_file:`.
bool ReadFactsSource(const LoadContext& ctx, const YamlFile& file,
                     const YamlMap& map, RuleTestCase* test) {
  YamlNode inline_facts = map.Get("facts");
  std::optional<std::string> facts_file =
      map.String("facts_file", Need::kOptional);
  if (inline_facts.IsDefined() == facts_file.has_value()) {
    ctx.diagnostics->Error(
        map.location(),
        "a test case needs exactly one of 'facts' or 'facts_file'");
    return false;
  }
  if (inline_facts.IsDefined()) {
    test->facts_location = file.Locate(inline_facts);
    test->facts_json = inline_facts.IsNull() ? "{}" : YamlToJson(inline_facts);
    return true;
  }
  test->facts_location = map.Locate("facts_file");
  const SourceFile* source = ctx.File(*facts_file);
  if (source == nullptr) {
    ctx.diagnostics->Error(test->facts_location,
                           absl::StrCat("facts_file '", *facts_file,
                                        "' is not a file of this ruleset"));
    return false;
  }
  test->facts_json = source->content;
  return true;
}

void DecodeFacts(const LoadContext& ctx, RuleTestCase* test) {
  const RuleSet& rs = *ctx.ruleset;
  if (rs.schema == nullptr) return;
  absl::StatusOr<FactRecord> facts = ctx.fact_types->DecodeJson(
      *rs.schema, rs.manifest.fact_message, test->facts_json);
  if (!facts.ok()) {
    ctx.diagnostics->Error(test->facts_location,
                           absl::StrCat("facts of test '", test->name,
                                        "': ", facts.status().message()));
    return;
  }
  for (const std::string& problem : ScanCatalogueCodes(rs, *facts).unknown) {
    ctx.diagnostics->Error(
        test->facts_location,
        absl::StrCat("facts of test '", test->name, "': ", problem));
  }
  test->facts = std::make_shared<const FactRecord>(*std::move(facts));
}

void ReadCase(LoadContext& ctx, const YamlFile& file, const YamlNode& node,
              std::optional<absl::Time> default_as_of,
              absl::flat_hash_map<std::string, SourceLocation>& names) {
  YamlMap map(&file, node, "test case", ctx.diagnostics);
  if (!map.ok()) return;
  map.AllowOnly({"name", "as_of", "facts", "facts_file", "expect"});
  RuleTestCase test;
  test.location = map.location();
  test.name = map.String("name", Need::kRequired).value_or("");
  auto [it, inserted] = names.emplace(test.name, test.location);
  if (!test.name.empty() && !inserted) {
    ctx.diagnostics->Error(
        test.location, absl::StrCat("duplicate test name '", test.name, "'"));
  }
  std::optional<absl::Time> as_of = map.Time("as_of", Need::kOptional);
  if (!as_of.has_value()) as_of = default_as_of;
  if (!as_of.has_value()) {
    ctx.diagnostics->Error(
        test.location,
        "test case has no 'as_of' and its file gives no default");
  }
  test.as_of = as_of.value_or(absl::UnixEpoch());
  YamlNode expect = map.Get("expect", Need::kRequired);
  if (expect.IsDefined()) ReadExpectations(ctx, file, expect, &test);
  if (ReadFactsSource(ctx, file, map, &test)) DecodeFacts(ctx, &test);
  ctx.ruleset->tests.push_back(std::move(test));
}

}  // namespace

void ReadRuleTests(LoadContext& ctx) {
  absl::flat_hash_map<std::string, SourceLocation> names;
  for (auto& [path, file] : ctx.yaml) {
    if (path.rfind("tests/", 0) != 0) continue;
    YamlMap map(&file, file.root(), "tests file", ctx.diagnostics);
    if (!map.ok()) continue;
    map.AllowOnly({"as_of", "cases"});
    std::optional<absl::Time> default_as_of =
        map.Time("as_of", Need::kOptional);
    YamlNode cases = map.Get("cases", Need::kRequired);
    if (!cases.IsDefined()) continue;
    if (!cases.IsSequence()) {
      ctx.diagnostics->Error(file.Locate(cases),
                             "'cases' must be a list of test cases");
      continue;
    }
    for (const YamlNode& node : cases)
      ReadCase(ctx, file, node, default_as_of, names);
  }
}

}  // namespace lantern::loader_internal
