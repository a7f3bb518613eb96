// Tests engine/decide/decide.h: the policy stage over the example ruleset —
// grade bands and floors, concern levels, prompts with their reasons, actions
// with due times and overdue, effective dates, and the unknowns that matter.
#include "engine/decide/decide.h"

#include "engine/proto/proto_fact_types.h"
#include "engine/ruleset/loader.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/oracle/oracle.h"
#include "tests/testing/printers.h"
#include "tests/testing/test_data.h"

namespace lantern {
namespace {

using ::lantern::testing::Overlay;
using ::lantern::testing::ReadTree;
using ::lantern::testing::TestDataPath;
using ::testing::AnyOfArray;
using ::testing::Contains;
using ::testing::Each;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Not;

absl::Time At(const char* rfc3339) {
  absl::Time t;
  std::string err;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, rfc3339, &t, &err)) << err;
  return t;
}

class DecideTest : public ::testing::Test {
 protected:
  void SetUp() override { Load(ReadTree(TestDataPath("rulesets/example"))); }
  void Load(std::vector<SourceFile> files) {
    LoadResult result =
        LoadRuleSetFromFiles(std::move(files), types_, "example");
    ASSERT_NE(result.ruleset, nullptr) << result.diagnostics.ToString();
    ruleset_ = result.ruleset;
  }
  Assessment Assess(const std::string& json,
                    const char* as_of = "2024-05-04T12:00:00Z") {
    absl::StatusOr<FactRecord> facts = types_.DecodeJson(
        *ruleset_->schema, ruleset_->manifest.fact_message, json);
    EXPECT_TRUE(facts.ok()) << facts.status();
    absl::StatusOr<Assessment> a =
        AssessWithReference(*ruleset_, *facts, At(as_of));
    EXPECT_TRUE(a.ok()) << a.status();
    return a.ok() ? *a : Assessment();
  }
  static std::vector<std::string> FiredIds(const Assessment& a) {
    std::vector<std::string> ids;
    for (const FiredRule& r : a.fired) ids.push_back(r.id);
    return ids;
  }
  static std::vector<std::string> BlockedIds(const Assessment& a) {
    std::vector<std::string> ids;
    for (const BlockedRule& r : a.blocked) ids.push_back(r.id);
    return ids;
  }
  static const ConcernOutcome& Concern(const Assessment& a,
                                       const std::string& name) {
    for (const ConcernOutcome& c : a.concerns) {
      if (c.name == name) return c;
    }
    static const ConcernOutcome kNone;
    ADD_FAILURE() << "no concern " << name;
    return kNone;
  }
  ProtoFactTypes types_;
  std::shared_ptr<const RuleSet> ruleset_;
};

TEST_F(DecideTest, NothingFiredIsTheLowestGradeAndLevel) {
  Assessment a = Assess(R"({"child": {"ageYears": 16}, "episodesLast90d": 0})");
  EXPECT_THAT(FiredIds(a), IsEmpty());
  EXPECT_EQ(a.grade.grade, "VERY_LOW");
  EXPECT_EQ(a.grade.total_score, 0);
  EXPECT_EQ(Concern(a, "CSE").level, "NONE");
  ASSERT_EQ(a.prompts.size(), 1u);
  EXPECT_FALSE(a.prompts[0].raised);
  EXPECT_THAT(a.actions, IsEmpty());
}

TEST_F(DecideTest, ScoresSumIntoBandsAndConcernLevels) {
  // repeat missing (10) + trap house (10, CCE) = 20 → LOW; CCE 10 → AT_RISK.
  Assessment a = Assess(R"({"child": {"ageYears": 16}, "episodesLast90d": 5,
                            "episode": {"narrative": "went to the TRAP-HOUSE"}})");
  EXPECT_THAT(FiredIds(a), ElementsAre("cce.trap_house_narrative",
                                       "general.repeat_missing"));
  EXPECT_EQ(a.grade.total_score, 20);
  EXPECT_EQ(a.grade.grade, "LOW");
  EXPECT_EQ(a.grade.band_grade, "LOW");
  EXPECT_EQ(Concern(a, "CCE").score, 10);
  EXPECT_EQ(Concern(a, "CCE").level, "AT_RISK");
  EXPECT_THAT(Concern(a, "CCE").rule_ids,
              ElementsAre("cce.trap_house_narrative"));
  // CCE at AT_RISK does not raise the NRM prompt, so the CCE rule that
  // fired is not given as a reason for it.
  ASSERT_EQ(a.prompts.size(), 1u);
  EXPECT_FALSE(a.prompts[0].raised);
  EXPECT_THAT(a.prompts[0].rule_ids, IsEmpty());
}

TEST_F(DecideTest, GradeFloorRaisesTheBandAndNamesItsRule) {
  Assessment a = Assess(R"({"child": {"ageYears": 11}})");
  EXPECT_EQ(a.grade.total_score, 10);
  EXPECT_EQ(a.grade.band_grade, "LOW");
  EXPECT_EQ(a.grade.grade, "MEDIUM");
  EXPECT_THAT(a.grade.floor_rule_ids, ElementsAre("general.under_13"));
}

TEST_F(DecideTest, UnknownFactsThatCouldRaiseTheGradeMakeItProvisional) {
  // Age unknown: the under-13 floor (MEDIUM) is blocked, not false, so the
  // grade could still rise and the answer says by which rules.
  Assessment a = Assess(R"({"episodesLast90d": 0})");
  EXPECT_EQ(a.grade.grade, "VERY_LOW");
  EXPECT_THAT(BlockedIds(a), Contains("general.under_13"));
  EXPECT_EQ(a.grade.highest_possible, "HIGH");
  EXPECT_THAT(a.grade.raising_rule_ids, Contains("general.under_13"));
  EXPECT_THAT(a.grade.raising_rule_ids, Each(AnyOfArray(BlockedIds(a))));
  EXPECT_EQ(Concern(a, "CSE").level, "NONE");
  EXPECT_EQ(Concern(a, "CSE").highest_possible_level, "HIGH");
}

TEST_F(DecideTest, KnownFactsLeaveTheGradeFinal) {
  Assessment a = Assess(R"({"child": {"ageYears": 11, "markers": []},
      "episodesLast90d": 0, "episode": {"narrative": "", "status": "RETURNED",
      "reportedAt": "2024-05-01T10:00:00Z", "foundAt": "2024-05-01T12:00:00Z",
      "found": {"distanceKm": 1, "location": "HOME", "with": []},
      "observed": []}})");
  ASSERT_THAT(BlockedIds(a), IsEmpty());
  EXPECT_EQ(a.grade.grade, "MEDIUM");
  EXPECT_EQ(a.grade.highest_possible, "MEDIUM");
  EXPECT_THAT(a.grade.raising_rule_ids, IsEmpty());
  EXPECT_EQ(Concern(a, "CSE").highest_possible_level, "NONE");
}

TEST_F(DecideTest, PromptRaisedByConcernLevelNamesItsRulesAndAddsActions) {
  Assessment a = Assess(R"({"child": {"ageYears": 15}, "episode": {
      "found": {"distanceKm": 40}, "observed": ["MULTIPLE_PHONES"]}})");
  EXPECT_THAT(FiredIds(a), ElementsAre("cce.far_from_home_with_indicators"));
  ASSERT_EQ(a.prompts.size(), 1u);
  EXPECT_TRUE(a.prompts[0].raised);
  EXPECT_THAT(a.prompts[0].rule_ids,
              ElementsAre("cce.far_from_home_with_indicators"));
  ASSERT_FALSE(a.prompts[0].conditions.empty());
  EXPECT_EQ(a.prompts[0].conditions[0].condition,
            "concern_level(\"CCE\") >= MEDIUM");
  ASSERT_EQ(a.actions.size(), 2u);
  EXPECT_EQ(a.actions[0].code, "NRM_REFERRAL");
  EXPECT_THAT(a.actions[0].triggered_by, ElementsAre("prompt:nrm"));
  EXPECT_EQ(a.actions[1].code, "STRATEGY_DISCUSSION");
  EXPECT_THAT(a.actions[1].triggered_by,
              ElementsAre("cce.far_from_home_with_indicators"));
}

TEST_F(DecideTest, FiredRuleCarriesEvidenceWithFactValues) {
  Assessment a = Assess(R"({"child": {"ageYears": 15}, "episode": {
      "found": {"distanceKm": 40}, "observed": ["MULTIPLE_PHONES"]}})");
  ASSERT_EQ(a.fired.size(), 1u);
  const FiredRule& r = a.fired[0];
  EXPECT_EQ(r.cite, "Example citation: county lines guidance, indicators");
  ASSERT_EQ(r.evidence.size(), 2u);
  EXPECT_EQ(r.evidence[0].condition, "episode.found.distance_km >= 20.0");
  EXPECT_THAT(r.evidence[0].readings,
              ElementsAre(FactReading{"episode.found.distance_km", "40"}));
  EXPECT_EQ(r.evidence[1].condition,
            "episode.observed.exists(i, i in CCE_INDICATORS)");
}

TEST_F(DecideTest, DueTimeFromFactsAndOverdueAgainstAsOf) {
  const std::string facts = R"({"episode": {"status": "RETURNED",
      "foundAt": "2024-05-02T08:00:00Z"}})";
  Assessment early = Assess(facts, "2024-05-03T08:00:00Z");
  ASSERT_EQ(early.actions.size(), 1u);
  EXPECT_EQ(early.actions[0].code, "RHI_OFFER");
  ASSERT_TRUE(early.actions[0].due_by.has_value());
  EXPECT_EQ(*early.actions[0].due_by, At("2024-05-05T08:00:00Z"));
  EXPECT_FALSE(early.actions[0].overdue);
  Assessment late = Assess(facts, "2024-05-05T08:00:01Z");
  EXPECT_TRUE(late.actions[0].overdue);
}

TEST_F(DecideTest, UnknownFactsAreListedPerBlockedRule) {
  Assessment a = Assess("{}");
  std::vector<std::string> blocked;
  for (const BlockedRule& b : a.blocked) {
    blocked.push_back(b.id);
    EXPECT_FALSE(b.unknown_paths.empty()) << b.id;
  }
  EXPECT_THAT(blocked, ::testing::Contains("general.under_13"));
  for (const BlockedRule& b : a.blocked) {
    if (b.id == "general.under_13")
      EXPECT_THAT(b.unknown_paths, ElementsAre("child.age_years"));
  }
}

TEST_F(DecideTest, RulesOutsideTheirEffectivePeriodAreNotEvaluated) {
  std::vector<SourceFile> files = ReadTree(TestDataPath("rulesets/example"));
  Overlay(&files, "rules/dated.yaml",
          "rules:\n  - id: dated.young\n    title: t\n    cite: c\n"
          "    effective_from: 2023-01-30\n    when: child.age_years < 16\n");
  Load(std::move(files));
  EXPECT_THAT(FiredIds(Assess(R"({"child": {"ageYears": 15}})",
                              "2023-01-29T23:59:59Z")),
              IsEmpty());
  EXPECT_THAT(FiredIds(Assess(R"({"child": {"ageYears": 15}})",
                              "2023-01-30T00:00:00Z")),
              ElementsAre("dated.young"));
}

TEST_F(DecideTest, AsOfBeforeTheRulesetIsInForceFails) {
  absl::StatusOr<FactRecord> facts = types_.DecodeJson(
      *ruleset_->schema, ruleset_->manifest.fact_message, "{}");
  ASSERT_TRUE(facts.ok());
  absl::StatusOr<Assessment> a =
      AssessWithReference(*ruleset_, *facts, At("2019-12-31T00:00:00Z"));
  EXPECT_EQ(a.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(a.status().message()),
              ::testing::HasSubstr("not in force"));
}

TEST_F(DecideTest, SameInputsGiveTheSameAssessment) {
  const std::string facts = ::lantern::testing::ReadFileOrDie(
      TestDataPath("rulesets/example/episodes/runner_at_station.json"));
  Assessment a = Assess(facts);
  Assessment b = Assess(facts);
  EXPECT_EQ(FiredIds(a), FiredIds(b));
  EXPECT_EQ(a.grade.grade, b.grade.grade);
  ASSERT_EQ(a.fired.size(), b.fired.size());
  for (size_t i = 0; i < a.fired.size(); ++i)
    EXPECT_EQ(a.fired[i].evidence, b.fired[i].evidence);
}

TEST_F(DecideTest, PromptFindingsAreDecidedWithThePrompt) {
  std::vector<SourceFile> files = ReadTree(TestDataPath("rulesets/example"));
  const std::string policy = ::lantern::testing::ReadFileOrDie(
      TestDataPath("rulesets/example/policy.yaml"));
  const std::string anchor = "    actions: [NRM_REFERRAL]\n";
  std::string with_findings = policy;
  with_findings.insert(policy.find(anchor) + anchor.size(),
                       "    findings:\n"
                       "      child: {title: A child, cite: c1, "
                       "when: 'child.age_years < 18'}\n"
                       "      route: {title: Through a first responder, "
                       "cite: c2}\n");
  Overlay(&files, "policy.yaml", with_findings);
  Load(std::move(files));
  const std::vector<FindingOutcome> known =
      Assess(R"({"child": {"ageYears": 15}})").prompts[0].findings;
  ASSERT_EQ(known.size(), 2u);
  EXPECT_EQ(known[0].name, "child");
  EXPECT_EQ(known[0].truth, Truth::kTrue);
  ASSERT_EQ(known[0].conditions.size(), 1u);
  EXPECT_THAT(known[0].conditions[0].readings,
              ElementsAre(FactReading{"child.age_years", "15"}));
  EXPECT_EQ(known[1].truth, Truth::kTrue);  // no condition: a fixed note
  EXPECT_EQ(known[1].cite, "c2");
  EXPECT_THAT(known[1].conditions, IsEmpty());
  const std::vector<FindingOutcome> unknown = Assess("{}").prompts[0].findings;
  EXPECT_EQ(unknown[0].truth, Truth::kUnknown);
  EXPECT_THAT(unknown[0].unknown_paths, ElementsAre("child.age_years"));
}

TEST_F(DecideTest, RecordedCodesComeWithTheirCatalogueEntries) {
  std::vector<SourceFile> files = ReadTree(TestDataPath("rulesets/example"));
  Overlay(
      &files, "catalogues/signs.yaml",
      "catalogues:\n  SIGNS:\n    title: t\n    fields: [episode.observed]\n"
      "    entries:\n"
      "      - {code: MULTIPLE_PHONES, description: Phones, source: "
      "https://example.org/p}\n"
      "      - {code: UNEXPLAINED_CASH, description: Cash, source: "
      "https://example.org/c}\n");
  Load(std::move(files));
  Assessment a = Assess(R"({"episode": {"observed": ["UNEXPLAINED_CASH"]}})");
  ASSERT_EQ(a.codes.size(), 1u);
  EXPECT_EQ(a.codes[0].path, "episode.observed[0]");
  EXPECT_EQ(a.codes[0].catalogue, "SIGNS");
  EXPECT_EQ(a.codes[0].description, "Cash");
  EXPECT_EQ(a.codes[0].source, "https://example.org/c");
}

// Issue 11, class 1: with the shipped rules, a child found far from home
// with an exploitation indicator, whose links to the area nobody has asked
// about. nrm.moved_for_exploitation waits on that fact, so the NRM prompt is
// not "no" but "consider", naming it, and the referral is an action to
// consider.
TEST(DecideShippedRules, NrmPromptIsConsiderWhileARuleWaitsOnLinksToArea) {
  ProtoFactTypes types;
  absl::StatusOr<LoadResult> loaded =
      LoadRuleSet(::lantern::testing::SourcePath("rules"), types);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_NE(loaded->ruleset, nullptr) << loaded->diagnostics.ToString();
  const RuleSet& rules = *loaded->ruleset;
  absl::StatusOr<FactRecord> facts =
      types.DecodeJson(*rules.schema, rules.manifest.fact_message, R"({
    "child": {"ageYears": 15, "careStatus": "NO_CARE_INVOLVEMENT"},
    "episode": {
      "status": "RETURNED",
      "missingFrom": "HOME",
      "reportedAt": "2024-05-01T19:00:00Z",
      "lastSeenAt": "2024-05-01T16:30:00Z",
      "foundAt": "2024-05-03T09:30:00Z",
      "found": {"locationType": "TRANSPORT_HUB", "distanceFromHomeKm": 85,
                "outsideForceArea": true},
      "indicators": {"recorded": ["MULTIPLE_PHONES_OR_SIMS"]}
    }
  })");
  ASSERT_TRUE(facts.ok()) << facts.status();
  absl::StatusOr<Assessment> a =
      AssessWithReference(rules, *facts, At("2024-05-04T12:00:00Z"));
  ASSERT_TRUE(a.ok()) << a.status();

  const BlockedRule* moved = nullptr;
  for (const BlockedRule& r : a->blocked) {
    if (r.id == "nrm.moved_for_exploitation") moved = &r;
  }
  ASSERT_NE(moved, nullptr) << "nrm.moved_for_exploitation is not blocked";
  EXPECT_THAT(moved->unknown_paths,
              Contains("episode.found.known_links_to_area"));
  const PromptOutcome* nrm = nullptr;
  for (const PromptOutcome& p : a->prompts) {
    if (p.name == "nrm") nrm = &p;
  }
  ASSERT_NE(nrm, nullptr);
  EXPECT_EQ(nrm->truth, Truth::kUnknown);
  EXPECT_EQ(nrm->answer, PromptAnswer::kConsider);
  EXPECT_FALSE(nrm->raised);
  EXPECT_THAT(nrm->unknown_paths,
              Contains("episode.found.known_links_to_area"));
  std::vector<std::string> taken, to_consider;
  for (const ActionOutcome& x : a->actions) taken.push_back(x.code);
  for (const ActionOutcome& x : a->actions_to_consider) {
    to_consider.push_back(x.code);
    if (x.code == "NRM_REFERRAL") {
      EXPECT_THAT(x.triggered_by, Contains("prompt:nrm"));
      EXPECT_THAT(x.unknown_paths,
                  Contains("episode.found.known_links_to_area"));
    }
  }
  EXPECT_THAT(to_consider, Contains("NRM_REFERRAL"));
  EXPECT_THAT(taken, Not(Contains("NRM_REFERRAL")));
}

}  // namespace
}  // namespace lantern

namespace lantern {
namespace {

// The example policy with grade floors on its nrm prompt and on a new
// prompt over a fact, and a concern floor (CCE MEDIUM → TRAFFICKING
// AT_RISK).
class DecideFloorsTest : public DecideTest {
 protected:
  void SetUp() override {
    std::vector<SourceFile> files = ReadTree(TestDataPath("rulesets/example"));
    std::string policy = ::lantern::testing::ReadFileOrDie(
        TestDataPath("rulesets/example/policy.yaml"));
    const std::string anchor = "    actions: [NRM_REFERRAL]\n";
    policy.insert(policy.find(anchor) + anchor.size(),
                  "    grade_floor: HIGH\n"
                  "  young:\n"
                  "    title: t\n"
                  "    cite: c\n"
                  "    when: child.age_years < 10\n"
                  "    grade_floor: MEDIUM\n");
    policy.insert(policy.find("prompts:"),
                  "concern_floors:\n"
                  "  - id: cce_implies_trafficking\n"
                  "    concern: TRAFFICKING\n"
                  "    level: AT_RISK\n"
                  "    cite: c\n"
                  "    when: concern_level(\"CCE\") >= MEDIUM\n");
    Overlay(&files, "policy.yaml", policy);
    Load(std::move(files));
  }
};

TEST_F(DecideFloorsTest, RaisedPromptRaisesTheGradeAndIsNamedAsItsFloor) {
  Assessment a = Assess(R"({"child": {"ageYears": 15}, "episode": {
      "found": {"distanceKm": 40}, "observed": ["MULTIPLE_PHONES"]}})");
  ASSERT_TRUE(a.prompts[0].raised);
  EXPECT_EQ(a.grade.band_grade, "MEDIUM");
  EXPECT_EQ(a.grade.grade, "HIGH");
  EXPECT_THAT(a.grade.floor_rule_ids, ElementsAre("prompt:nrm"));
  EXPECT_EQ(a.grade.highest_possible, "HIGH");
}

TEST_F(DecideFloorsTest, ConcernFloorRaisesTheLevelAndIsNamed) {
  Assessment a = Assess(R"({"child": {"ageYears": 15}, "episode": {
      "found": {"distanceKm": 40}, "observed": ["MULTIPLE_PHONES"]}})");
  EXPECT_EQ(Concern(a, "CCE").level, "MEDIUM");
  EXPECT_EQ(Concern(a, "TRAFFICKING").score, 0);
  EXPECT_EQ(Concern(a, "TRAFFICKING").level, "AT_RISK");
  EXPECT_THAT(Concern(a, "TRAFFICKING").floor_ids,
              ElementsAre("cce_implies_trafficking"));
  EXPECT_THAT(Concern(a, "CSE").floor_ids, IsEmpty());
}

TEST_F(DecideFloorsTest, UnknownPromptRaisesOnlyTheHighestPossibleGrade) {
  // Age unknown: the `young` prompt is UNKNOWN; its floor could still raise
  // the grade, and the answer says so.
  Assessment a = Assess(R"({"episodesLast90d": 0})");
  ASSERT_EQ(a.prompts.size(), 2u);
  ASSERT_EQ(a.prompts[1].truth, Truth::kUnknown);
  EXPECT_EQ(a.grade.grade, "VERY_LOW");
  EXPECT_THAT(a.grade.raising_rule_ids, Contains("prompt:young"));
  EXPECT_THAT(a.grade.floor_rule_ids, IsEmpty());
  Assessment known = Assess(R"({"child": {"ageYears": 9}})");
  EXPECT_EQ(known.grade.grade, "MEDIUM");
  EXPECT_THAT(known.grade.floor_rule_ids,
              ElementsAre("general.under_13", "prompt:young"));
}

}  // namespace
}  // namespace lantern
