// Tests server/app/assessment_proto.h: the vocabulary read from the answer's
// enums, the engine Assessment → lantern.v1.Assessment mapping (enums,
// evidence, the NRM prompt's consent and route, push and pull factors, the
// unknown facts and what each decides), and the JSON form eval prints.
#include "server/app/assessment_proto.h"

#include <optional>
#include <string>

#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace lantern {
namespace {

using ::testing::ElementsAre;
using ::testing::EndsWith;
using ::testing::HasSubstr;

const absl::Time kNoon = absl::FromUnixSeconds(1714824000);  // 2024-05-04

PromptOutcome NrmPrompt(Truth consent) {
  PromptOutcome p;
  p.name = "nrm";
  p.title = "Refer";
  p.raised = true;
  p.truth = Truth::kTrue;
  p.rule_ids = {"nrm.moved"};
  FindingOutcome c;
  c.name = "consent_not_required";
  c.title = "No consent needed for a child";
  c.truth = consent;
  if (consent == Truth::kUnknown) c.unknown_paths = {"child.age_years"};
  FindingOutcome route;
  route.name = "referral_route";
  route.title = "Through a First Responder Organisation";
  p.findings = {c, route};
  return p;
}

Assessment Sample() {
  Assessment a;
  a.ruleset_id = "r";
  a.ruleset_version = "1";
  a.as_of = kNoon;
  a.grade = {"HIGH", "MEDIUM", 45, {"immediate.x"}, "HIGH", {}};
  a.concerns = {{"CSE", "AT_RISK", 10, {"cse.x"}, "HIGH"},
                {"CCE", "NONE", 0, {}, "NONE"}};
  FiredRule fired;
  fired.id = "nrm.moved";
  fired.title = "Moved for exploitation";
  fired.concern = "TRAFFICKING";
  fired.cite = "MSA 2015 s2; https://example.org";
  fired.grade_floor = "HIGH";
  fired.score = 40;
  fired.evidence = {
      {"child.age_years < 18", 0, Truth::kTrue, {{"child.age_years", "15"}}}};
  a.fired = {fired};
  a.blocked = {{"app.x", "X", {"history.a", "child.b"}},
               {"app.y", "Y", {"child.b"}}};
  a.prompts = {NrmPrompt(Truth::kTrue)};
  PromptOutcome other;
  other.name = "significant_harm";
  other.truth = Truth::kUnknown;
  other.unknown_paths = {"child.b"};
  a.prompts.push_back(other);
  ActionOutcome rhi;
  rhi.code = "RHI";
  rhi.owner = "Return interview service";
  rhi.due_by = kNoon - absl::Hours(1);
  rhi.overdue = true;
  rhi.triggered_by = {"return.rhi"};
  ActionOutcome later;
  later.code = "LATER";
  later.due_unknown_paths = {"episode.found_at"};
  a.actions = {rhi, later};
  a.codes = {{"episode.push_factors[0]", "BULLYING", "PUSH_FACTORS", "Bullying",
              "https://example.org/p"},
             {"episode.pull_factors[0]", "FREEDOM", "PULL_FACTORS", "Freedom",
              "https://example.org/q"},
             {"episode.indicators[0]", "ONLINE_RISK", "CSE_INDICATORS",
              "Online", "https://example.org/i"}};
  a.flags = {"F"};
  return a;
}

v1::Assessment Convert(const Assessment& a) {
  absl::StatusOr<v1::Assessment> out =
      AssessmentToProto(a, {"", "", kNoon + absl::Seconds(5)});
  EXPECT_TRUE(out.ok()) << out.status();
  return out.ok() ? *out : v1::Assessment();
}

TEST(AssessmentVocabulary, ComesFromTheAnswersEnumsWithoutTheirZeros) {
  const PolicyVocabulary& v = AssessmentVocabulary();
  EXPECT_THAT(v.grades, ElementsAre("VERY_LOW", "LOW", "MEDIUM", "HIGH"));
  EXPECT_THAT(v.levels, ElementsAre("NONE", "AT_RISK", "MEDIUM", "HIGH"));
  EXPECT_THAT(v.concerns,
              ElementsAre("CSE", "CCE", "TRAFFICKING", "MODERN_SLAVERY"));
  ASSERT_EQ(v.findings.size(), 1u);
  EXPECT_EQ(v.findings[0].first, "nrm");
  EXPECT_THAT(v.findings[0].second,
              ElementsAre("consent_not_required", "referral_route"));
}

TEST(AssessmentToProto, MapsNamesToEnumsAndKeepsTheExplanations) {
  v1::Assessment p = Convert(Sample());
  EXPECT_EQ(p.ruleset().id(), "r");
  EXPECT_EQ(p.as_of().seconds(), absl::ToUnixSeconds(kNoon));
  EXPECT_EQ(p.evaluated_at().seconds(), absl::ToUnixSeconds(kNoon) + 5);
  EXPECT_EQ(p.grade().grade(), v1::HIGH);
  EXPECT_EQ(p.grade().band_grade(), v1::MEDIUM);
  EXPECT_THAT(p.grade().floor_rules(), ElementsAre("immediate.x"));
  ASSERT_EQ(p.concerns_size(), 2);
  EXPECT_EQ(p.concerns(0).concern(), v1::CSE);
  EXPECT_EQ(p.concerns(0).level(), v1::ConcernOutcome::AT_RISK);
  EXPECT_EQ(p.concerns(1).level(), v1::ConcernOutcome::NONE);
  EXPECT_EQ(p.concerns(0).highest_possible_level(), v1::ConcernOutcome::HIGH);
  EXPECT_EQ(p.concerns(1).highest_possible_level(), v1::ConcernOutcome::NONE);
  ASSERT_EQ(p.fired_rules_size(), 1);
  const v1::FiredRule& r = p.fired_rules(0);
  EXPECT_EQ(r.concern(), v1::TRAFFICKING);
  EXPECT_EQ(r.grade_floor(), v1::HIGH);
  EXPECT_EQ(r.cite(), "MSA 2015 s2; https://example.org");
  ASSERT_EQ(r.evidence_size(), 1);
  EXPECT_EQ(r.evidence(0).truth(), v1::TRUTH_TRUE);
  EXPECT_EQ(r.evidence(0).facts(0).path(), "child.age_years");
  EXPECT_EQ(r.evidence(0).facts(0).value(), "15");
  ASSERT_EQ(p.actions_size(), 2);
  EXPECT_EQ(p.actions(0).owner_agency(), "Return interview service");
  EXPECT_TRUE(p.actions(0).overdue());
  EXPECT_EQ(p.actions(0).due_by().seconds(), absl::ToUnixSeconds(kNoon) - 3600);
  EXPECT_FALSE(p.actions(1).has_due_by());
  EXPECT_THAT(p.flags(), ElementsAre("F"));
}

TEST(AssessmentToProto, TheNrmPromptCarriesConsentRouteAndReasons) {
  v1::Assessment p = Convert(Sample());
  EXPECT_TRUE(p.nrm().prompt().raised());
  EXPECT_EQ(p.nrm().consent(), v1::NrmPrompt::CONSENT_NOT_REQUIRED);
  EXPECT_EQ(p.nrm().consent_basis(), "No consent needed for a child");
  EXPECT_EQ(p.nrm().referral_route(), "Through a First Responder Organisation");
  ASSERT_EQ(p.nrm().prompt().reasons_size(), 1);
  EXPECT_EQ(p.nrm().prompt().reasons(0).cite(),
            "MSA 2015 s2; https://example.org");
  ASSERT_EQ(p.prompts_size(), 1);  // the other prompts
  EXPECT_EQ(p.prompts(0).name(), "significant_harm");
  EXPECT_EQ(p.prompts(0).truth(), v1::TRUTH_UNKNOWN);

  Assessment adult = Sample();
  adult.prompts[0] = NrmPrompt(Truth::kFalse);
  EXPECT_EQ(Convert(adult).nrm().consent(), v1::NrmPrompt::CONSENT_REQUIRED);
  Assessment unknown_age = Sample();
  unknown_age.prompts[0] = NrmPrompt(Truth::kUnknown);
  EXPECT_EQ(Convert(unknown_age).nrm().consent(),
            v1::NrmPrompt::CONSENT_UNSPECIFIED);
}

TEST(AssessmentToProto, PushAndPullFactorsAreSeparatedFromIndicators) {
  v1::Assessment p = Convert(Sample());
  ASSERT_EQ(p.push_factors_size(), 1);
  EXPECT_EQ(p.push_factors(0).code(), "BULLYING");
  EXPECT_EQ(p.push_factors(0).source(), "https://example.org/p");
  ASSERT_EQ(p.pull_factors_size(), 1);
  EXPECT_EQ(p.pull_factors(0).path(), "episode.pull_factors[0]");
  ASSERT_EQ(p.indicators_size(), 1);
  EXPECT_EQ(p.indicators(0).catalogue(), "CSE_INDICATORS");
}

TEST(AssessmentToProto, UnknownFactsSayWhatEachWouldDecide) {
  v1::Assessment p = Convert(Sample());
  ASSERT_EQ(p.unknown_facts_size(), 3);
  EXPECT_EQ(p.unknown_facts(0).path(), "child.b");
  EXPECT_THAT(p.unknown_facts(0).decides(),
              ElementsAre("app.x", "app.y", "prompt:significant_harm"));
  EXPECT_EQ(p.unknown_facts(1).path(), "episode.found_at");
  EXPECT_THAT(p.unknown_facts(1).decides(), ElementsAre("action:LATER"));
  EXPECT_EQ(p.unknown_facts(2).path(), "history.a");
  ASSERT_EQ(p.blocked_rules_size(), 2);
  EXPECT_THAT(p.blocked_rules(0).unknown_facts(),
              ElementsAre("history.a", "child.b"));

  Assessment unknown_age = Sample();
  unknown_age.prompts[0] = NrmPrompt(Truth::kUnknown);
  EXPECT_THAT(Convert(unknown_age).unknown_facts(0).path(), "child.age_years");
  EXPECT_THAT(Convert(unknown_age).unknown_facts(0).decides(),
              ElementsAre("prompt:nrm/consent_not_required"));
}

// The ruleset Sample() is an answer of, as far as its names go.
RuleSet SampleRuleSet() {
  RuleSet r;
  for (const char* id : {"app.x", "app.y", "nrm.moved"}) {
    r.rules.emplace_back();
    r.rules.back().id = id;
  }
  for (const char* name : {"CSE", "CCE"}) {
    r.policy.concerns.emplace_back();
    r.policy.concerns.back().name = name;
  }
  for (const char* name : {"nrm", "significant_harm"}) {
    r.policy.prompts.emplace_back();
    r.policy.prompts.back().name = name;
  }
  for (const char* name : {"consent_not_required", "referral_route"}) {
    r.policy.prompts[0].findings.emplace_back();
    r.policy.prompts[0].findings.back().name = name;
  }
  for (const char* code : {"LATER", "RHI"}) {
    r.policy.actions.emplace_back();
    r.policy.actions.back().code = code;
  }
  return r;
}

std::string Bytes(const v1::Assessment& answer) {
  std::string bytes;
  answer.SerializeToString(&bytes);
  return bytes;
}

TEST(AssessmentToProto,
     UnknownFactsAreTheSameWithTheIndexWithoutItOrAWrongOne) {
  Assessment a = Sample();
  a.grade.raising_rule_ids = {"app.x"};
  a.concerns[0].raising_rule_ids = {"app.x", "app.y"};
  const UnknownFactsIndex index(SampleRuleSet());
  RuleSet other;  // lacks most of the names
  other.rules.emplace_back();
  other.rules.back().id = "app.y";
  const UnknownFactsIndex wrong(other);
  for (v1::View view : {v1::DECISION, v1::EXPLAINED, v1::FULL}) {
    SCOPED_TRACE(v1::View_Name(view));
    v1::Assessment without, with, with_wrong;
    ASSERT_TRUE(AssessmentToProto(a, {"", "", kNoon}, &without, view).ok());
    ASSERT_TRUE(
        AssessmentToProto(a, {"", "", kNoon}, &with, view, &index).ok());
    ASSERT_TRUE(
        AssessmentToProto(a, {"", "", kNoon}, &with_wrong, view, &wrong).ok());
    EXPECT_EQ(Bytes(with), Bytes(without));
    EXPECT_EQ(Bytes(with_wrong), Bytes(without));
    if (view == v1::DECISION) {
      // Only the facts that could raise the grade or a level, with only that.
      ASSERT_EQ(with.unknown_facts_size(), 2);
      EXPECT_EQ(with.unknown_facts(0).path(), "child.b");
      EXPECT_THAT(with.unknown_facts(0).decides(),
                  ElementsAre("grade", "concern:CSE"));
      EXPECT_EQ(with.unknown_facts(1).path(), "history.a");
      EXPECT_THAT(with.unknown_facts(1).decides(),
                  ElementsAre("grade", "concern:CSE"));
    } else {
      ASSERT_EQ(with.unknown_facts_size(), 3);
      EXPECT_THAT(with.unknown_facts(0).decides(),
                  ElementsAre("app.x", "app.y", "prompt:significant_harm",
                              "grade", "concern:CSE"));
      EXPECT_THAT(with.unknown_facts(2).decides(),
                  ElementsAre("app.x", "grade", "concern:CSE"));
    }
  }
}

TEST(AssessmentToProto, ADecisionLeavesOutTitlesOwnersAndTheNrmProse) {
  v1::Assessment p;
  ASSERT_TRUE(
      AssessmentToProto(Sample(), {"", "", kNoon}, &p, v1::DECISION).ok());
  EXPECT_EQ(p.nrm().prompt().name(), "nrm");
  EXPECT_EQ(p.nrm().prompt().title(), "");
  EXPECT_EQ(p.nrm().consent(), v1::NrmPrompt::CONSENT_NOT_REQUIRED);
  EXPECT_EQ(p.nrm().consent_basis(), "");
  EXPECT_EQ(p.nrm().referral_route(), "");
  ASSERT_EQ(p.actions_size(), 2);
  EXPECT_EQ(p.actions(0).code(), "RHI");
  EXPECT_EQ(p.actions(0).owner_agency(), "");
  EXPECT_TRUE(p.actions(0).overdue());
  ASSERT_EQ(p.fired_rules_size(), 1);
  EXPECT_EQ(p.fired_rules(0).title(), "Moved for exploitation");
  EXPECT_EQ(p.fired_rules(0).cite(), "");
}

TEST(AssessmentToProto, ANameTheAnswerCannotSayIsAnError) {
  Assessment a = Sample();
  a.concerns[0].level = "SEVERE";
  absl::StatusOr<v1::Assessment> p = AssessmentToProto(a, {"", "", kNoon});
  EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(p.status().message()),
              HasSubstr("level 'SEVERE' has no value in the answer"));
}

TEST(AssessmentJson, PrintsEveryFieldEvenAtItsDefault) {
  Assessment a;
  a.as_of = kNoon;
  a.grade = {"VERY_LOW", "VERY_LOW", 0, {}, "VERY_LOW", {}};
  absl::StatusOr<v1::Assessment> p = AssessmentToProto(a, {"", "", kNoon});
  ASSERT_TRUE(p.ok()) << p.status();
  absl::StatusOr<std::string> json = AssessmentJson(*p);
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_THAT(*json, HasSubstr("\"decisionId\": \"\""));
  EXPECT_THAT(*json, HasSubstr("\"totalScore\": \"0\""));
  EXPECT_THAT(*json, HasSubstr("\"actions\": []"));
  EXPECT_THAT(*json, HasSubstr("\"asOf\": \"2024-05-04T12:00:00Z\""));
  EXPECT_THAT(*json, EndsWith("}\n"));
  v1::Assessment back;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(*json, &back).ok());
  EXPECT_EQ(back.grade().grade(), v1::VERY_LOW);
}

}  // namespace
}  // namespace lantern
