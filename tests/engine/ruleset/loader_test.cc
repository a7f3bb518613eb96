// Tests engine/ruleset/loader.h: rulesets load whole or report every problem
// with its file, line and column. The broken ruleset's full report is a golden
// file (tests/testdata/rulesets/broken.expected); run with
// LANTERN_UPDATE_GOLDEN=1 to rewrite it after a deliberate change.
#include "engine/ruleset/loader.h"

#include <cstdlib>
#include <fstream>

#include "absl/strings/str_replace.h"
#include "engine/proto/proto_fact_types.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/test_data.h"

namespace lantern {
namespace {

using ::lantern::testing::Overlay;
using ::lantern::testing::ReadFileOrDie;
using ::lantern::testing::ReadTree;
using ::lantern::testing::TestDataPath;
using ::testing::HasSubstr;

class LoaderTest : public ::testing::Test {
 protected:
  LoadResult LoadExampleWith(const std::string& path,
                             const std::string& content) {
    std::vector<SourceFile> files = ReadTree(TestDataPath("rulesets/example"));
    Overlay(&files, path, content);
    return LoadRuleSetFromFiles(std::move(files), types_, "example");
  }
  std::string DiagnosticsOf(const std::string& path,
                            const std::string& content) {
    return LoadExampleWith(path, content).diagnostics.ToString();
  }
  ProtoFactTypes types_;
};

TEST_F(LoaderTest, LoadsTheExampleRuleset) {
  absl::StatusOr<LoadResult> result =
      LoadRuleSet(TestDataPath("rulesets/example"), types_);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->diagnostics.ToString(), "");
  ASSERT_NE(result->ruleset, nullptr);
  const RuleSet& rs = *result->ruleset;
  EXPECT_EQ(rs.manifest.id, "lantern.example");
  EXPECT_EQ(rs.manifest.fact_message, "lantern.testing.v1.ExampleFacts");
  EXPECT_EQ(rs.rules.size(), 10u);
  EXPECT_TRUE(
      std::is_sorted(rs.rules.begin(), rs.rules.end(),
                     [](const Rule& a, const Rule& b) { return a.id < b.id; }));
  EXPECT_EQ(rs.constants.size(), 4u);
  EXPECT_EQ(rs.policy.grades.size(), 4u);
  EXPECT_EQ(rs.policy.prompts.size(), 1u);
  EXPECT_EQ(rs.tests.size(), 5u);
  for (const RuleTestCase& t : rs.tests) EXPECT_NE(t.facts, nullptr) << t.name;
  const Rule* rule = rs.FindRule("cse.hotel_or_linked_address");
  ASSERT_NE(rule, nullptr);
  EXPECT_EQ(rule->grade_floor, "MEDIUM");
  EXPECT_EQ(rule->location.line, 12);
}

TEST_F(LoaderTest, BrokenRulesetMatchesGoldenDiagnostics) {
  absl::StatusOr<LoadResult> result =
      LoadRuleSet(TestDataPath("rulesets/broken"), types_, "broken");
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->ruleset, nullptr);
  const std::string actual = result->diagnostics.ToString();
  const std::string golden = TestDataPath("rulesets/broken.expected");
  if (std::getenv("LANTERN_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(golden, std::ios::binary) << actual;
  }
  EXPECT_EQ(actual, ReadFileOrDie(golden));
}

TEST_F(LoaderTest, MissingDirectoryIsAStatusNotADiagnostic) {
  absl::StatusOr<LoadResult> result =
      LoadRuleSet("/nonexistent/lantern", types_);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kNotFound);
}

TEST_F(LoaderTest, ReportsMissingManifestAndPolicy) {
  std::vector<SourceFile> files = ReadTree(TestDataPath("rulesets/example"));
  Overlay(&files, "manifest.yaml", "");
  Overlay(&files, "policy.yaml", "");
  const std::string out =
      LoadRuleSetFromFiles(files, types_, "x").diagnostics.ToString();
  EXPECT_THAT(
      out,
      HasSubstr("x/manifest.yaml: error: the ruleset has no manifest.yaml"));
  EXPECT_THAT(
      out, HasSubstr("x/policy.yaml: error: the ruleset has no policy.yaml"));
}

TEST_F(LoaderTest, ReportsUnknownFactMessageAtItsValue) {
  EXPECT_THAT(
      DiagnosticsOf(
          "manifest.yaml",
          "id: a\nversion: '1'\nowner: o\neffective_from: 2020-01-01\n"
          "fact_message: lantern.NoSuch\n"),
      HasSubstr("example/manifest.yaml:5:15: error: unknown fact message "
                "'lantern.NoSuch'"));
}

TEST_F(LoaderTest, ReportsBadManifestDates) {
  const std::string out =
      DiagnosticsOf("manifest.yaml",
                    "id: a\nversion: '1'\nowner: o\nfact_message: "
                    "lantern.testing.v1.ExampleFacts\n"
                    "effective_from: 2023-02-30x\neffective_to: 2019-01-01\n");
  EXPECT_THAT(
      out,
      HasSubstr("example/manifest.yaml:5:17: error: 'effective_from' must be "
                "an RFC 3339 time"));
}

TEST_F(LoaderTest, ReportsEffectiveToBeforeFrom) {
  const std::string out =
      DiagnosticsOf("manifest.yaml",
                    "id: a\nversion: '1'\nowner: o\nfact_message: "
                    "lantern.testing.v1.ExampleFacts\n"
                    "effective_from: 2023-01-30\neffective_to: 2019-01-01\n");
  EXPECT_THAT(
      out, HasSubstr("example/manifest.yaml:6:15: error: effective_to must be "
                     "after effective_from"));
}

TEST_F(LoaderTest, TypesConstantsFromYaml) {
  LoadResult result = LoadExampleWith(
      "rules/more.yaml",
      "constants:\n  AN_INT: 3\n  A_DOUBLE: 2.5\n  A_BOOL: true\n  A_STRING: "
      "'15'\n"
      "  A_TIME: timestamp(\"2023-01-30T00:00:00Z\")\n  INTS: [1, 2]\n");
  ASSERT_NE(result.ruleset, nullptr) << result.diagnostics.ToString();
  std::map<std::string, Type> types;
  for (const ConstantDef& c : result.ruleset->constants) types[c.name] = c.type;
  EXPECT_EQ(types["AN_INT"], Type::Int());
  EXPECT_EQ(types["A_DOUBLE"], Type::Double());
  EXPECT_EQ(types["A_BOOL"], Type::Bool());
  EXPECT_EQ(types["A_STRING"], Type::String());
  EXPECT_EQ(types["A_TIME"], Type::Timestamp());
  EXPECT_EQ(types["INTS"], Type::Int().AsList());
  EXPECT_EQ(types["RHI_WITHIN"], Type::Duration());
}

TEST_F(LoaderTest, ReportsBadConstants) {
  const std::string out = DiagnosticsOf(
      "rules/more.yaml",
      "constants:\n  MIXED: [1, two]\n  EMPTY: []\n  REPEAT_THRESHOLD: 4\n"
      "  child: 1\n  BAD: duration(\"3 weeks\")\n  1X: 2\n");
  EXPECT_THAT(
      out,
      HasSubstr("more.yaml:2:14: error: constant list 'MIXED' mixes int and "
                "string values"));
  EXPECT_THAT(
      out, HasSubstr("more.yaml:3:10: error: constant list 'EMPTY' is empty"));
  EXPECT_THAT(
      out,
      HasSubstr("more.yaml:4:3: error: duplicate constant 'REPEAT_THRESHOLD'"));
  EXPECT_THAT(
      out,
      HasSubstr("more.yaml:5:3: error: constant 'child' hides the fact field"));
  EXPECT_THAT(
      out,
      HasSubstr(
          "more.yaml:6:8: error: invalid constant 'duration(\"3 weeks\")'"));
  EXPECT_THAT(out,
              HasSubstr("more.yaml:7:3: error: invalid constant name '1X'"));
}

TEST_F(LoaderTest, ReportsRuleShapeProblems) {
  const std::string out = DiagnosticsOf(
      "rules/more.yaml",
      "rules:\n  - id: bad id\n    title: t\n    cite: c\n    score: -1\n    "
      "when: true\n"
      "  - title: no id\n    cite: c\n    when: [true]\n  - just a string\n");
  EXPECT_THAT(out, HasSubstr("more.yaml:2:9: error: invalid rule id 'bad id'"));
  EXPECT_THAT(out,
              HasSubstr("more.yaml:5:12: error: score must not be negative"));
  EXPECT_THAT(
      out,
      HasSubstr("more.yaml:7:5: error: rule is missing required key 'id'"));
  EXPECT_THAT(
      out, HasSubstr("more.yaml:9:11: error: a condition must be a non-empty "
                     "expression"));
  EXPECT_THAT(out, HasSubstr("more.yaml:10:5: error: rule must be a mapping"));
}

TEST_F(LoaderTest, ReportsADuplicateKeyAtItsSecondPlace) {
  // In a rule (a small mapping) and among many constants.
  std::string constants = "constants:\n";
  for (int i = 0; i < 20; ++i) {
    constants += "  k" + std::to_string(i) + ": 1\n";
  }
  constants += "  k3: 2\n";
  const std::string out = DiagnosticsOf(
      "rules/more.yaml",
      constants +
          "rules:\n  - id: r.dup\n    title: t\n    cite: c\n    title: u\n"
          "    when: true\n");
  EXPECT_THAT(out, HasSubstr("more.yaml:27:5: error: duplicate key 'title' "
                             "in rule"));
  EXPECT_THAT(out, HasSubstr("more.yaml:22:3: error: duplicate constant 'k3'"));
}

TEST_F(LoaderTest, ReportsPolicyProblems) {
  const std::string out =
      DiagnosticsOf("policy.yaml",
                    "grades: [LOW, HIGH]\ngrade_bands: {HIGH: 10, MEDIUM: "
                    "20}\nlevels: [NONE]\n"
                    "concerns:\n  CSE: {NONE: 1}\nprompts:\n  nrm:\n    title: "
                    "t\n    cite: c\n"
                    "    when: fired(\"nope.*\")\nactions:\n  RHI_OFFER: "
                    "{title: t, owner: o}\n"
                    "colour: blue\n");
  EXPECT_THAT(
      out,
      HasSubstr("policy.yaml:2:25: error: 'MEDIUM' in grade_bands is not one "
                "of the ranks above the lowest"));
  EXPECT_THAT(
      out,
      HasSubstr(
          "policy.yaml:3:9: error: 'levels' must list at least two names"));
  EXPECT_THAT(
      out,
      HasSubstr("policy.yaml:5:9: error: 'NONE' in concern CSE is not one of "
                "the ranks above the lowest"));
  EXPECT_THAT(
      out,
      HasSubstr("policy.yaml:10:17: error: fired('nope.*') matches no rule"));
  EXPECT_THAT(out,
              HasSubstr("policy.yaml:12:14: error: action RHI_OFFER is missing "
                        "required key 'cite'"));
  EXPECT_THAT(
      out,
      HasSubstr("policy.yaml:13:1: error: unknown key 'colour' in policy"));
}

TEST_F(LoaderTest, SectionsOfTheWrongShapeAreReportedNotThrown) {
  // Found by the ruleset fuzzer: `actions:` holding a scalar made yaml-cpp
  // throw from operator[].
  EXPECT_THAT(DiagnosticsOf("policy.yaml",
                            "grades: [A, B]\nlevels: [N, M]\n"
                            "grade_bands: {B: 1}\nconcerns: {}\n"
                            "actions: 3\nprompts: [x]\n"),
              HasSubstr("policy.yaml:5:10: error: actions must be a mapping"));
  for (const char* root : {"[1, 2]", "just text", "{[a]: 1}"}) {
    const std::string out = DiagnosticsOf("policy.yaml", root);
    EXPECT_THAT(out, HasSubstr("policy.yaml:1:1: error: ")) << root;
    EXPECT_THAT(out, ::testing::Not(HasSubstr(kInternalLoaderError))) << root;
  }
}

TEST_F(LoaderTest, ReportsTestCaseProblems) {
  const std::string out = DiagnosticsOf(
      "tests/more.yaml",
      "cases:\n  - name: n\n    facts: {child: {age_yeers: 3}}\n"
      "    expect: {fires: [no.such], grade: SEVERE, concerns: {CSE: HUGE},\n"
      "             prompts: {nrm: maybe, xyz: true}, actions: [NOPE]}\n");
  EXPECT_THAT(out, HasSubstr("more.yaml:2:5: error: test case has no 'as_of'"));
  EXPECT_THAT(out, HasSubstr("more.yaml:3:12: error: facts of test 'n': "));
  EXPECT_THAT(out, HasSubstr("age_yeers"));
  EXPECT_THAT(out, HasSubstr("error: unknown rule 'no.such'"));
  EXPECT_THAT(out, HasSubstr("error: unknown grade 'SEVERE'"));
  EXPECT_THAT(out, HasSubstr("error: unknown level 'HUGE'"));
  EXPECT_THAT(out, HasSubstr("error: prompt 'nrm' must be true (raised), "
                             "false (not raised) or consider, not 'maybe'"));
  EXPECT_THAT(out, HasSubstr("error: unknown prompt 'xyz'"));
  EXPECT_THAT(out, HasSubstr("error: unknown action 'NOPE'"));
}

TEST_F(LoaderTest, ReportsMissingFactsFile) {
  EXPECT_THAT(
      DiagnosticsOf("tests/more.yaml",
                    "as_of: 2024-01-01\ncases:\n  - name: n\n"
                    "    facts_file: nowhere.json\n    expect: {}\n"),
      HasSubstr(
          "more.yaml:4:17: error: facts_file 'nowhere.json' is not a file of "
          "this ruleset"));
}

constexpr char kCatalogue[] =
    "catalogues:\n"
    "  CASH_SIGNS:\n"
    "    title: Signs about money\n"
    "    fields: [episode.observed]\n"
    "    entries:\n"
    "      - code: UNEXPLAINED_CASH\n"
    "        description: >\n"
    "          Cash nobody can account for.\n"
    "        source: https://example.org/cash\n"
    "      - {code: DRUG_DEBT, description: Owes money, source: "
    "https://example.org/debt}\n"
    "      - {code: MULTIPLE_PHONES, description: Several phones, source: "
    "https://example.org/phones}\n"
    "    subsets:\n"
    "      SERIOUS_CASH_SIGNS: [DRUG_DEBT]\n";

TEST_F(LoaderTest, CataloguesLoadWithTheirCodesAsConstants) {
  LoadResult result = LoadExampleWith("catalogues/cash.yaml", kCatalogue);
  ASSERT_NE(result.ruleset, nullptr) << result.diagnostics.ToString();
  const RuleSet& rs = *result.ruleset;
  const Catalogue* c = rs.FindCatalogue("CASH_SIGNS");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->title, "Signs about money");
  ASSERT_EQ(c->fields.size(), 1u);
  EXPECT_EQ(c->fields[0].path, "episode.observed");
  EXPECT_EQ(c->fields[0].indices.size(), 2u);
  ASSERT_EQ(c->entries.size(), 3u);
  EXPECT_EQ(c->entries[0].description, "Cash nobody can account for.");
  EXPECT_EQ(c->entries[0].location.line, 6);
  ASSERT_NE(c->Find("DRUG_DEBT"), nullptr);
  EXPECT_EQ(c->Find("NOPE"), nullptr);
  std::map<std::string, std::vector<std::string>> constants;
  for (const ConstantDef& def : rs.constants) {
    if (def.type != Type::String().AsList()) continue;
    for (const LiteralValue& v : def.values) {
      constants[def.name].push_back(std::get<std::string>(v));
    }
  }
  EXPECT_THAT(constants["CASH_SIGNS"],
              ::testing::ElementsAre("UNEXPLAINED_CASH", "DRUG_DEBT",
                                     "MULTIPLE_PHONES"));
  EXPECT_THAT(constants["SERIOUS_CASH_SIGNS"],
              ::testing::ElementsAre("DRUG_DEBT"));
}

TEST_F(LoaderTest, RulesAndPolicyUseCatalogueConstants) {
  std::vector<SourceFile> files = ReadTree(TestDataPath("rulesets/example"));
  Overlay(&files, "catalogues/cash.yaml", kCatalogue);
  Overlay(&files, "rules/cash.yaml",
          "rules:\n  - id: cash.serious\n    title: t\n    cite: c\n"
          "    when: episode.observed.exists(i, i in SERIOUS_CASH_SIGNS)\n");
  LoadResult result = LoadRuleSetFromFiles(files, types_, "example");
  EXPECT_EQ(result.diagnostics.ToString(), "");
}

TEST_F(LoaderTest, TestFactsWithCodesNoCatalogueListsAreErrors) {
  std::vector<SourceFile> files = ReadTree(TestDataPath("rulesets/example"));
  Overlay(&files, "catalogues/cash.yaml", kCatalogue);
  // The example's own cases record codes outside the catalogue too.
  Overlay(&files, "tests/cases.yaml",
          "as_of: 2024-01-01\ncases:\n  - name: typo\n"
          "    facts: {episode: {observed: [DRUG_DEBT, DRUG_DEBTT]}}\n"
          "    expect: {}\n");
  EXPECT_EQ(LoadRuleSetFromFiles(files, types_, "x").diagnostics.ToString(),
            "x/tests/cases.yaml:4:12: error: facts of test 'typo': "
            "episode.observed[1]: 'DRUG_DEBTT' is not a code of CASH_SIGNS\n");
}

TEST_F(LoaderTest, ReportsCatalogueShapeProblems) {
  const std::string out = DiagnosticsOf(
      "catalogues/bad.yaml",
      "catalogues:\n  EMPTY: {title: t, entries: []}\n"
      "  NO_TITLE:\n    colour: red\n    entries: [{code: A, description: d, "
      "source: https://x}]\n"
      "  child: {title: t, fields: [episode.found], entries: [{code: B, "
      "description: d, source: https://x, weight: 3}]}\n"
      "  SUBSETS:\n    title: t\n    entries: [{code: C, description: d, "
      "source: https://x}]\n"
      "    subsets: {EMPTY_SUBSET: [], WRONG: [C, D]}\n");
  EXPECT_THAT(out, HasSubstr("bad.yaml:2:30: error: 'entries' must be a "
                             "non-empty list of codes"));
  EXPECT_THAT(out, HasSubstr("bad.yaml:4:5: error: catalogue NO_TITLE is "
                             "missing required key 'title'"));
  EXPECT_THAT(out, HasSubstr("bad.yaml:4:5: error: unknown key 'colour'"));
  EXPECT_THAT(out, HasSubstr("bad.yaml:6:3: error: constant 'child' hides the "
                             "fact field of that name"));
  EXPECT_THAT(out, HasSubstr("bad.yaml:6:30: error: 'episode.found' is "
                             "lantern.testing.v1.Found, not list(string)"));
  EXPECT_THAT(out, HasSubstr("error: unknown key 'weight' in catalogue entry"));
  EXPECT_THAT(out, HasSubstr("bad.yaml:10:15: error: subset EMPTY_SUBSET is "
                             "empty"));
  EXPECT_THAT(out, HasSubstr("error: subset WRONG lists 'D', which is not a "
                             "code of SUBSETS"));
}

class VocabularyTest : public LoaderTest {
 protected:
  std::string DiagnosticsWith(const std::string& path,
                              const std::string& content) {
    std::vector<SourceFile> files = ReadTree(TestDataPath("rulesets/example"));
    Overlay(&files, path, content);
    return LoadRuleSetFromFiles(files, types_, "example", &vocabulary_)
        .diagnostics.ToString();
  }
  PolicyVocabulary vocabulary_{{"VERY_LOW", "LOW", "MEDIUM", "HIGH"},
                               {"NONE", "AT_RISK", "MEDIUM", "HIGH"},
                               {"CSE", "CCE", "TRAFFICKING"},
                               {{"nrm", {"consent_not_required"}}}};
};

TEST_F(VocabularyTest, TheExampleSpeaksTheVocabulary) {
  EXPECT_EQ(DiagnosticsWith("README", "unused"), "");
}

TEST_F(VocabularyTest, ReportsNamesOutsideItAtTheirPlace) {
  const std::string policy =
      ReadFileOrDie(TestDataPath("rulesets/example/policy.yaml"));
  std::string changed = absl::StrReplaceAll(
      policy, {{"grades: [VERY_LOW, LOW, MEDIUM, HIGH]",
                "grades: [VERY_LOW, MEDIUM, LOW, HIGH]"},
               {"levels: [NONE, AT_RISK, MEDIUM, HIGH]",
                "levels: [NONE, AT_RISK, SEVERE, HIGH]"},
               {"  TRAFFICKING: {AT_RISK: 10, MEDIUM: 30, HIGH: 60}",
                "  FRAUD: {AT_RISK: 10, HIGH: 60}"}});
  const std::string out = DiagnosticsWith("policy.yaml", changed);
  EXPECT_THAT(out, HasSubstr("policy.yaml:1:9: error: grade 'LOW' is out of "
                             "order: grades go VERY_LOW, LOW, MEDIUM, HIGH"));
  EXPECT_THAT(out, HasSubstr("policy.yaml:3:9: error: level 'SEVERE' cannot "
                             "be expressed in the answer; use one of NONE, "
                             "AT_RISK, MEDIUM, HIGH"));
  EXPECT_THAT(out, HasSubstr("policy.yaml:7:3: error: concern 'FRAUD' cannot "
                             "be expressed in the answer; use one of CSE, CCE, "
                             "TRAFFICKING"));
}

TEST_F(VocabularyTest, FindingsOfAKnownPromptMustBeOnesTheCallerReads) {
  const std::string policy =
      ReadFileOrDie(TestDataPath("rulesets/example/policy.yaml"));
  const std::string with_findings = absl::StrReplaceAll(
      policy, {{"    actions: [NRM_REFERRAL]\n",
                "    actions: [NRM_REFERRAL]\n"
                "    findings:\n"
                "      consent_not_required: {title: t, cite: c, when: "
                "'child.age_years < 18'}\n"
                "      consent_not_requried: {title: t, cite: c}\n"}});
  EXPECT_THAT(
      DiagnosticsWith("policy.yaml", with_findings),
      HasSubstr("policy.yaml:19:7: error: finding of prompt nrm "
                "'consent_not_requried' cannot be expressed in the answer; "
                "use one of consent_not_required"));
}

TEST_F(LoaderTest, ReadsPromptFindingsWithAndWithoutConditions) {
  const std::string policy =
      ReadFileOrDie(TestDataPath("rulesets/example/policy.yaml"));
  LoadResult result = LoadExampleWith(
      "policy.yaml",
      absl::StrReplaceAll(
          policy, {{"    actions: [NRM_REFERRAL]\n",
                    "    actions: [NRM_REFERRAL]\n"
                    "    findings:\n"
                    "      child: {title: A child, cite: c, when: "
                    "'child.age_years < 18 && fired(\"general.*\")'}\n"
                    "      route:\n        title: >\n          Through a "
                    "first responder\n        cite: c\n"}}));
  ASSERT_NE(result.ruleset, nullptr) << result.diagnostics.ToString();
  const PromptDef& nrm = result.ruleset->policy.prompts[0];
  ASSERT_EQ(nrm.findings.size(), 2u);
  EXPECT_EQ(nrm.findings[0].name, "child");
  EXPECT_TRUE(nrm.findings[0].when.has_value());
  EXPECT_EQ(nrm.findings[1].title, "Through a first responder");
  EXPECT_FALSE(nrm.findings[1].when.has_value());
}

}  // namespace
}  // namespace lantern
