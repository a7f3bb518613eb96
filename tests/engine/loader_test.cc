// Tests engine/loader.h: rulesets load whole or report every problem with
// its file, line and column. The broken ruleset's full report is a golden
// file (tests/testdata/rulesets/broken.expected); run with
// LANTERN_UPDATE_GOLDEN=1 to rewrite it after a deliberate change.
#include "engine/loader.h"

#include <cstdlib>
#include <fstream>

#include "engine/proto_fact_types.h"
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
  EXPECT_THAT(out,
              HasSubstr("error: 'nrm' must be true or false, not 'maybe'"));
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

}  // namespace
}  // namespace lantern
