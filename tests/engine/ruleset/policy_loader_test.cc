// Tests the policy part of engine/ruleset/loader.h on its own: policy.yaml →
// Policy (grades and their score bands, levels and concern thresholds,
// concern floors, prompts, actions and their due-time formulas), and each
// problem in policy.yaml reported as `file:line:col: error: ...`. The rest of
// the ruleset is the example ruleset (tests/testdata/rulesets/example).
#include <string>
#include <vector>

#include "absl/strings/str_replace.h"
#include "engine/proto/proto_fact_types.h"
#include "engine/ruleset/loader.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/test_data.h"

namespace lantern {
namespace {

using ::lantern::testing::Overlay;
using ::lantern::testing::ReadTree;
using ::lantern::testing::TestDataPath;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

// Line numbers below are 1-based lines of this text.
constexpr char kPolicy[] = R"(grades: [VERY_LOW, LOW, MEDIUM, HIGH]
grade_bands: {LOW: 10, MEDIUM: 30, HIGH: 60}
levels: [NONE, AT_RISK, MEDIUM, HIGH]
concerns:
  CSE: {AT_RISK: 10, MEDIUM: 30, HIGH: 60}
  CCE: {AT_RISK: 5, MEDIUM: 20, HIGH: 40}
  TRAFFICKING: {AT_RISK: 10, MEDIUM: 30, HIGH: 60}
concern_floors:
  - id: cce_implies_cse
    concern: CSE
    level: AT_RISK
    cite: "Floor citation"
    when: concern_level("CCE") >= HIGH
prompts:
  nrm:
    title: Consider an NRM referral
    cite: "Prompt citation"
    when: concern_level("CCE") >= MEDIUM
    actions: [NRM_REFERRAL]
    grade_floor: HIGH
actions:
  RHI_OFFER:
    title: Offer a return home interview
    owner: RHI service
    due: episode.found_at + RHI_WITHIN
    cite: "Action citation"
  NRM_REFERRAL:
    title: Refer to the NRM
    owner: First Responder
    cite: "NRM citation"
  STRATEGY_DISCUSSION:
    title: Hold a strategy discussion
    owner: Children's social care
    cite: "Strategy citation"
)";

class PolicyLoaderTest : public ::testing::Test {
 protected:
  LoadResult LoadWithPolicy(const std::string& policy) {
    std::vector<SourceFile> files = ReadTree(TestDataPath("rulesets/example"));
    Overlay(&files, "policy.yaml", policy);
    return LoadRuleSetFromFiles(std::move(files), types_, "example",
                                vocabulary_);
  }
  // The policy with `from` replaced by `to` (which must occur).
  std::string Edited(const std::string& from, const std::string& to) {
    const std::string policy(kPolicy);
    EXPECT_NE(policy.find(from), std::string::npos) << from;
    return absl::StrReplaceAll(policy, {{from, to}});
  }
  std::string DiagnosticsWith(const std::string& policy) {
    return LoadWithPolicy(policy).diagnostics.ToString();
  }
  ProtoFactTypes types_;
  const PolicyVocabulary* vocabulary_ = nullptr;
};

TEST_F(PolicyLoaderTest, ReadsEveryPartOfThePolicy) {
  LoadResult result = LoadWithPolicy(kPolicy);
  ASSERT_NE(result.ruleset, nullptr) << result.diagnostics.ToString();
  const Policy& policy = result.ruleset->policy;
  EXPECT_THAT(policy.grades, ElementsAre("VERY_LOW", "LOW", "MEDIUM", "HIGH"));
  EXPECT_THAT(
      policy.grade_bands,
      ElementsAre(Pair("LOW", 10), Pair("MEDIUM", 30), Pair("HIGH", 60)));
  EXPECT_THAT(policy.levels, ElementsAre("NONE", "AT_RISK", "MEDIUM", "HIGH"));
  ASSERT_EQ(policy.concerns.size(), 3u);
  const ConcernDef* cce = nullptr;
  for (const ConcernDef& c : policy.concerns) {
    if (c.name == "CCE") cce = &c;
  }
  ASSERT_NE(cce, nullptr);
  EXPECT_THAT(
      cce->thresholds,
      ElementsAre(Pair("AT_RISK", 5), Pair("MEDIUM", 20), Pair("HIGH", 40)));
  ASSERT_EQ(policy.concern_floors.size(), 1u);
  EXPECT_EQ(policy.concern_floors[0].id, "cce_implies_cse");
  EXPECT_EQ(policy.concern_floors[0].concern, "CSE");
  EXPECT_EQ(policy.concern_floors[0].level, "AT_RISK");
  EXPECT_EQ(policy.concern_floors[0].cite, "Floor citation");
  ASSERT_EQ(policy.prompts.size(), 1u);
  const PromptDef& nrm = policy.prompts[0];
  EXPECT_EQ(nrm.name, "nrm");
  EXPECT_EQ(nrm.title, "Consider an NRM referral");
  EXPECT_EQ(nrm.cite, "Prompt citation");
  EXPECT_EQ(nrm.grade_floor, "HIGH");
  EXPECT_THAT(nrm.actions, ElementsAre("NRM_REFERRAL"));
  EXPECT_TRUE(nrm.findings.empty());
  ASSERT_EQ(policy.actions.size(), 3u);
  const ActionDef* rhi = policy.FindAction("RHI_OFFER");
  const ActionDef* referral = policy.FindAction("NRM_REFERRAL");
  ASSERT_NE(rhi, nullptr);
  ASSERT_NE(referral, nullptr);
  EXPECT_EQ(policy.FindAction("STRATEGY"), nullptr);
  EXPECT_EQ(rhi->title, "Offer a return home interview");
  EXPECT_EQ(rhi->owner, "RHI service");
  EXPECT_EQ(rhi->cite, "Action citation");
  ASSERT_TRUE(rhi->due.has_value());
  EXPECT_FALSE(referral->due.has_value());
  EXPECT_EQ(policy.GradeRank("VERY_LOW"), 0);
  EXPECT_EQ(policy.GradeRank("HIGH"), 3);
  EXPECT_EQ(policy.GradeRank("SEVERE"), -1);
  EXPECT_EQ(policy.LevelRank("AT_RISK"), 1);
  EXPECT_EQ(policy.LevelRank("LOW"), -1);
}

TEST_F(PolicyLoaderTest, EveryLevelIsAConstantHoldingItsRank) {
  LoadResult result = LoadWithPolicy(kPolicy);
  ASSERT_NE(result.ruleset, nullptr) << result.diagnostics.ToString();
  const Policy& policy = result.ruleset->policy;
  for (int rank = 0; rank < 4; ++rank) {
    const std::string& level = policy.levels[rank];
    int found = 0;
    for (const ConstantDef& c : policy.constants) {
      if (c.name == level) ++found;
    }
    EXPECT_EQ(found, 1) << level;
  }
}

TEST_F(PolicyLoaderTest, PromptFindingsWithAndWithoutConditions) {
  LoadResult result = LoadWithPolicy(Edited("    grade_floor: HIGH\n",
                                            R"(    findings:
      route:
        title: Refer through a First Responder
        cite: "Route citation"
      consent:
        title: Consent is needed
        cite: "Consent citation"
        when: child.age_years >= 18
)"));
  ASSERT_NE(result.ruleset, nullptr) << result.diagnostics.ToString();
  const PromptDef& nrm = result.ruleset->policy.prompts[0];
  EXPECT_EQ(nrm.grade_floor, "");
  ASSERT_EQ(nrm.findings.size(), 2u);
  const PromptFinding* route = nullptr;
  const PromptFinding* consent = nullptr;
  for (const PromptFinding& f : nrm.findings) {
    if (f.name == "route") route = &f;
    if (f.name == "consent") consent = &f;
  }
  ASSERT_NE(route, nullptr);
  ASSERT_NE(consent, nullptr);
  EXPECT_EQ(route->title, "Refer through a First Responder");
  EXPECT_FALSE(route->when.has_value());
  EXPECT_EQ(consent->cite, "Consent citation");
  EXPECT_TRUE(consent->when.has_value());
}

TEST_F(PolicyLoaderTest, MissingPolicyFileIsReported) {
  std::vector<SourceFile> files = ReadTree(TestDataPath("rulesets/example"));
  std::vector<SourceFile> kept;
  for (SourceFile& f : files) {
    if (f.path != "policy.yaml") kept.push_back(std::move(f));
  }
  LoadResult result = LoadRuleSetFromFiles(std::move(kept), types_, "example");
  EXPECT_EQ(result.ruleset, nullptr);
  EXPECT_THAT(result.diagnostics.ToString(),
              HasSubstr("the ruleset has no policy.yaml"));
}

TEST_F(PolicyLoaderTest, MisspeltKeyIsAnErrorAtItsPlace) {
  LoadResult result =
      LoadWithPolicy(Edited("concern_floors:", "concern_flors:"));
  EXPECT_EQ(result.ruleset, nullptr);
  EXPECT_THAT(result.diagnostics.ToString(),
              HasSubstr("example/policy.yaml:8:1: error: "));
  EXPECT_THAT(result.diagnostics.ToString(), HasSubstr("concern_flors"));
}

TEST_F(PolicyLoaderTest, GradesNeedTwoDistinctNames) {
  EXPECT_THAT(DiagnosticsWith(Edited("grades: [VERY_LOW, LOW, MEDIUM, HIGH]",
                                     "grades: [VERY_LOW]")),
              HasSubstr("example/policy.yaml:1:"));
  EXPECT_THAT(DiagnosticsWith(Edited("grades: [VERY_LOW, LOW, MEDIUM, HIGH]",
                                     "grades: [VERY_LOW]")),
              HasSubstr("'grades' must list at least two names, lowest first"));
  EXPECT_THAT(DiagnosticsWith(Edited("levels: [NONE, AT_RISK, MEDIUM, HIGH]",
                                     "levels: [NONE, AT_RISK, AT_RISK, HIGH]")),
              HasSubstr("example/policy.yaml:3:"));
  EXPECT_THAT(DiagnosticsWith(Edited("levels: [NONE, AT_RISK, MEDIUM, HIGH]",
                                     "levels: [NONE, AT_RISK, AT_RISK, HIGH]")),
              HasSubstr("'AT_RISK' appears twice in 'levels'"));
}

TEST_F(PolicyLoaderTest, GradeBandsMustRiseWithTheGrades) {
  // MEDIUM's score is not above LOW's: reported at MEDIUM's key.
  const std::string falling = DiagnosticsWith(Edited(
      "{LOW: 10, MEDIUM: 30, HIGH: 60}", "{LOW: 10, MEDIUM: 5, HIGH: 60}"));
  EXPECT_THAT(
      falling,
      HasSubstr("example/policy.yaml:2:24: error: grade_bands must list "
                "ranks in ascending order with rising scores"));
  // Out of grade order.
  EXPECT_THAT(DiagnosticsWith(Edited("{LOW: 10, MEDIUM: 30, HIGH: 60}",
                                     "{MEDIUM: 10, LOW: 30, HIGH: 60}")),
              HasSubstr("example/policy.yaml:2:27: error: grade_bands must "
                        "list ranks in ascending order"));
  // The lowest grade is the default and takes no band; an unknown grade none.
  EXPECT_THAT(
      DiagnosticsWith(Edited("{LOW: 10,", "{VERY_LOW: 0, LOW: 10,")),
      HasSubstr("example/policy.yaml:2:15: error: 'VERY_LOW' in "
                "grade_bands is not one of the ranks above the lowest"));
  EXPECT_THAT(
      DiagnosticsWith(Edited("HIGH: 60}\nlevels", "SEVERE: 90}\nlevels")),
      HasSubstr("'SEVERE' in grade_bands is not one of the ranks"));
}

TEST_F(PolicyLoaderTest, ConcernThresholdsNameLevels) {
  EXPECT_THAT(DiagnosticsWith(Edited("CCE: {AT_RISK: 5,", "CCE: {LOW: 5,")),
              HasSubstr("example/policy.yaml:6:9: error: 'LOW' in concern CCE "
                        "is not one of the ranks above the lowest"));
  EXPECT_THAT(
      DiagnosticsWith(Edited("CCE: {AT_RISK: 5, MEDIUM: 20,",
                             "CCE: {AT_RISK: 25, MEDIUM: 20,")),
      HasSubstr("example/policy.yaml:6:22: error: concern CCE must list ranks "
                "in ascending order with rising scores"));
}

TEST_F(PolicyLoaderTest, ConcernFloorNamesAKnownConcernAndLevel) {
  const std::string d =
      DiagnosticsWith(Edited("    concern: CSE\n    level: AT_RISK",
                             "    concern: LABOUR\n    level: SEVERE"));
  EXPECT_THAT(d, HasSubstr("example/policy.yaml:10:"));
  EXPECT_THAT(d, HasSubstr("unknown concern 'LABOUR'"));
  EXPECT_THAT(d, HasSubstr("example/policy.yaml:11:"));
  EXPECT_THAT(d, HasSubstr("unknown level 'SEVERE'"));
}

TEST_F(PolicyLoaderTest, PromptReferencesAreChecked) {
  const std::string d = DiagnosticsWith(
      Edited("    actions: [NRM_REFERRAL]\n    grade_floor: HIGH",
             "    actions: [NRM_REFERAL]\n    grade_floor: SEVERE"));
  EXPECT_THAT(d, HasSubstr("example/policy.yaml:19:"));
  EXPECT_THAT(d, HasSubstr("unknown action 'NRM_REFERAL'"));
  EXPECT_THAT(d, HasSubstr("example/policy.yaml:20:"));
  EXPECT_THAT(d, HasSubstr("unknown grade 'SEVERE'"));
}

TEST_F(PolicyLoaderTest, PromptWithoutAConditionOrTitleIsAnError) {
  LoadResult result = LoadWithPolicy(
      Edited("    when: concern_level(\"CCE\") >= MEDIUM\n", ""));
  EXPECT_EQ(result.ruleset, nullptr);
  EXPECT_THAT(result.diagnostics.ToString(), HasSubstr("example/policy.yaml:"));
  EXPECT_THAT(result.diagnostics.ToString(), HasSubstr("when"));
  result = LoadWithPolicy(Edited("    title: Consider an NRM referral\n", ""));
  EXPECT_EQ(result.ruleset, nullptr);
  EXPECT_THAT(result.diagnostics.ToString(), HasSubstr("title"));
}

TEST_F(PolicyLoaderTest, ConditionsAreCheckedAtTheirPlace) {
  // A prompt's condition must be bool; a due time a timestamp.
  std::string d =
      DiagnosticsWith(Edited("    when: concern_level(\"CCE\") >= MEDIUM",
                             "    when: child.age_years"));
  EXPECT_THAT(d, HasSubstr("example/policy.yaml:18:"));
  d = DiagnosticsWith(
      Edited("due: episode.found_at + RHI_WITHIN", "due: child.age_years"));
  EXPECT_THAT(d, HasSubstr("example/policy.yaml:25:"));
  // An unknown fact in a due time.
  d = DiagnosticsWith(Edited("due: episode.found_at + RHI_WITHIN",
                             "due: episode.fund_at + RHI_WITHIN"));
  EXPECT_THAT(d, HasSubstr("example/policy.yaml:25:"));
  EXPECT_THAT(d, HasSubstr("fund_at"));
}

TEST_F(PolicyLoaderTest, ActionsNeedTitleOwnerAndCitation) {
  const std::string d =
      DiagnosticsWith(Edited("    owner: First Responder\n", ""));
  EXPECT_THAT(d, HasSubstr("example/policy.yaml:"));
  EXPECT_THAT(d, HasSubstr("owner"));
  EXPECT_THAT(
      DiagnosticsWith(Edited("    owner: RHI service\n",
                             "    owner: RHI service\n    due_by: x\n")),
      HasSubstr("example/policy.yaml:25:5: error: "));
}

TEST_F(PolicyLoaderTest, VocabularyMismatchesAreReported) {
  PolicyVocabulary vocabulary;
  vocabulary.grades = {"VERY_LOW", "LOW", "MEDIUM", "HIGH"};
  vocabulary.levels = {"NONE", "AT_RISK", "MEDIUM", "HIGH"};
  vocabulary.concerns = {"CSE", "CCE", "TRAFFICKING"};
  vocabulary_ = &vocabulary;
  EXPECT_EQ(DiagnosticsWith(kPolicy), "");
  const std::string d =
      DiagnosticsWith(Edited("grades: [VERY_LOW, LOW, MEDIUM, HIGH]",
                             "grades: [VERY_LOW, MEDIUM, LOW, HIGH, SEVERE]"));
  EXPECT_THAT(d, HasSubstr("grade 'SEVERE' cannot be expressed in the answer; "
                           "use one of VERY_LOW, LOW, MEDIUM, HIGH"));
  EXPECT_THAT(d, HasSubstr("grade 'LOW' is out of order"));
  EXPECT_THAT(d, HasSubstr("example/policy.yaml:1:"));
}

}  // namespace
}  // namespace lantern
