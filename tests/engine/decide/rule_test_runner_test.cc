// Tests engine/decide/rule_test_runner.h: passing cases pass, and a wrong
// expectation of each kind fails with a line that says what differed.
#include "engine/decide/rule_test_runner.h"

#include "engine/proto/proto_fact_types.h"
#include "engine/ruleset/loader.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/compiled.h"
#include "tests/testing/printers.h"
#include "tests/testing/test_data.h"

namespace lantern {
namespace {

using ::lantern::testing::Overlay;
using ::lantern::testing::ReadTree;
using ::lantern::testing::TestDataPath;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

class RuleTestRunnerTest : public ::testing::Test {
 protected:
  std::shared_ptr<const RuleSet> LoadWithTests(const std::string& tests_yaml) {
    std::vector<SourceFile> files = ReadTree(TestDataPath("rulesets/example"));
    Overlay(&files, "tests/cases.yaml", "");
    Overlay(&files, "tests/t.yaml", tests_yaml);
    LoadResult result =
        LoadRuleSetFromFiles(std::move(files), types_, "example");
    EXPECT_NE(result.ruleset, nullptr) << result.diagnostics.ToString();
    return result.ruleset;
  }
  ProtoFactTypes types_;
};

TEST_F(RuleTestRunnerTest, ExampleRulesetPassesWithFullCoverage) {
  absl::StatusOr<LoadResult> loaded =
      LoadRuleSet(TestDataPath("rulesets/example"), types_);
  ASSERT_TRUE(loaded.ok() && loaded->ruleset != nullptr);
  RuleTestReport report = RunRuleTests(*MustCompile(loaded->ruleset));
  for (const RuleTestFailure& f : report.failures) {
    ADD_FAILURE() << f.name << ": " << ::testing::PrintToString(f.differences);
  }
  EXPECT_EQ(report.passed, 5);
  EXPECT_EQ(report.failed, 0);
  EXPECT_THAT(report.RulesNeverFired(*loaded->ruleset), ElementsAre());
  EXPECT_THAT(report.ActionsNeverEmitted(*loaded->ruleset), ElementsAre());
}

TEST_F(RuleTestRunnerTest, EveryWrongExpectationIsReported) {
  std::shared_ptr<const RuleSet> rs = LoadWithTests(
      "as_of: 2024-05-04T12:00:00Z\ncases:\n"
      "  - name: all wrong\n"
      "    facts: {child: {age_years: 11}, episode: {found: {location: "
      "HOTEL}}}\n"
      "    expect:\n"
      "      fires: [general.repeat_missing, cce.trap_house_narrative]\n"
      "      not_fires: [general.under_13]\n"
      "      unknown: [cse.hotel_or_linked_address]\n"
      "      grade: HIGH\n"
      "      concerns: {CSE: HIGH}\n"
      "      prompts: {nrm: true}\n"
      "      actions: [RHI_OFFER]\n"
      "      overdue: [RHI_OFFER]\n");
  ASSERT_NE(rs, nullptr);
  RuleTestReport report = RunRuleTests(*MustCompile(rs));
  EXPECT_EQ(report.passed, 0);
  ASSERT_EQ(report.failed, 1);
  const RuleTestFailure& f = report.failures[0];
  EXPECT_EQ(f.name, "all wrong");
  EXPECT_EQ(f.location.line, 3);
  EXPECT_THAT(
      f.differences,
      UnorderedElementsAre(
          "expected rule general.repeat_missing to fire; it was UNKNOWN for "
          "want of "
          "episodes_last_90d",
          "expected rule cce.trap_house_narrative to fire; it was UNKNOWN for "
          "want of "
          "episode.narrative",
          "expected rule general.under_13 not to fire; it fired",
          "expected rule cse.hotel_or_linked_address to be UNKNOWN; it was not",
          "expected grade HIGH, got MEDIUM (score 30)",
          "expected CSE level HIGH, got AT_RISK (score 20)",
          "expected prompt nrm answered raise; it was not_raised (FALSE)",
          "expected actions [RHI_OFFER], got []",
          "expected action RHI_OFFER to be overdue; it was not emitted"));
}

// A prompt can be expected answered "consider", and the actions only
// undecided rules or prompts call for are checked as their own set.
TEST_F(RuleTestRunnerTest, ConsiderAndActionsToConsiderAreExpectations) {
  std::shared_ptr<const RuleSet> rs = LoadWithTests(
      "as_of: 2024-05-04T12:00:00Z\ncases:\n"
      "  - name: right\n    facts: {}\n"
      "    expect: {prompts: {nrm: consider}, actions: [],\n"
      "             actions_to_consider: [NRM_REFERRAL, STRATEGY_DISCUSSION]}\n"
      "  - name: wrong\n    facts: {}\n"
      "    expect: {prompts: {nrm: false}, actions_to_consider: []}\n");
  ASSERT_NE(rs, nullptr);
  RuleTestReport report = RunRuleTests(*MustCompile(rs));
  EXPECT_EQ(report.passed, 1);
  ASSERT_EQ(report.failed, 1);
  EXPECT_THAT(
      report.failures[0].differences,
      UnorderedElementsAre(
          HasSubstr("expected prompt nrm answered not_raised; it was consider "
                    "(UNKNOWN, unknown: "),
          "expected actions_to_consider [], got [NRM_REFERRAL, "
          "STRATEGY_DISCUSSION]"));
}

TEST_F(RuleTestRunnerTest, APromptExpectationMustBeTrueFalseOrConsider) {
  std::vector<SourceFile> files = ReadTree(TestDataPath("rulesets/example"));
  Overlay(&files, "tests/t.yaml",
          "as_of: 2024-05-04T12:00:00Z\ncases:\n"
          "  - name: bad\n    facts: {}\n"
          "    expect: {prompts: {nrm: maybe}}\n");
  LoadResult result = LoadRuleSetFromFiles(std::move(files), types_, "example");
  EXPECT_EQ(result.ruleset, nullptr);
  EXPECT_THAT(result.diagnostics.ToString(),
              HasSubstr("tests/t.yaml:5:29: error: prompt 'nrm' must be true "
                        "(raised), false (not raised) or consider, not "
                        "'maybe'"));
}

TEST_F(RuleTestRunnerTest, CoverageNamesRulesAndActionsNoCaseReached) {
  std::shared_ptr<const RuleSet> rs = LoadWithTests(
      "as_of: 2024-05-04T12:00:00Z\ncases:\n"
      "  - name: under 13\n    facts: {child: {age_years: 11}}\n"
      "    expect: {fires: [general.under_13]}\n");
  ASSERT_NE(rs, nullptr);
  RuleTestReport report = RunRuleTests(*MustCompile(rs));
  EXPECT_EQ(report.passed, 1);
  std::vector<std::string> never = report.RulesNeverFired(*rs);
  EXPECT_EQ(never.size(), rs->rules.size() - 1);
  EXPECT_THAT(report.ActionsNeverEmitted(*rs),
              ElementsAre("RHI_OFFER", "STRATEGY_DISCUSSION", "NRM_REFERRAL"));
}

TEST_F(RuleTestRunnerTest, CoverageNamesRulesNoPassingCaseHoldsBack) {
  std::shared_ptr<const RuleSet> rs = LoadWithTests(
      "as_of: 2024-05-04T12:00:00Z\ncases:\n"
      "  - name: passes\n    facts: {child: {age_years: 15}}\n"
      "    expect: {not_fires: [general.under_13]}\n"
      "  - name: fails\n    facts: {child: {age_years: 15}}\n"
      "    expect: {not_fires: [general.repeat_missing], grade: HIGH}\n");
  ASSERT_NE(rs, nullptr);
  RuleTestReport report = RunRuleTests(*MustCompile(rs));
  EXPECT_THAT(report.rules_checked_not_to_fire,
              ElementsAre("general.under_13"));
  std::vector<std::string> without = report.RulesWithoutNegativeCase(*rs);
  EXPECT_EQ(without.size(), rs->rules.size() - 1);
  EXPECT_THAT(without, ::testing::Contains("general.repeat_missing"));
}

TEST_F(RuleTestRunnerTest, AnAlternativeAssessorIsUsedWhenGiven) {
  std::shared_ptr<const RuleSet> rs = LoadWithTests(
      "as_of: 2024-05-04T12:00:00Z\ncases:\n"
      "  - name: c\n    facts: {}\n    expect: {grade: VERY_LOW}\n");
  ASSERT_NE(rs, nullptr);
  int calls = 0;
  RuleTestReport report =
      RunRuleTests(*MustCompile(rs),
                   [&](const RuleSet&, const FactRecord&,
                       absl::Time) -> absl::StatusOr<Assessment> {
                     ++calls;
                     return absl::InternalError("matcher exploded");
                   });
  EXPECT_EQ(calls, 1);
  ASSERT_EQ(report.failed, 1);
  EXPECT_THAT(report.failures[0].differences,
              ElementsAre(HasSubstr("assessment failed: matcher exploded")));
}

}  // namespace
}  // namespace lantern
