// Tests of server/app/request_assessor.h in process: the version a request is
// answered with, the errors before evaluation, and the stamp on answers.
#include "server/app/request_assessor.h"

#include "engine/proto/proto_fact_types.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/app/assessment_proto.h"
#include "tests/testing/test_data.h"

namespace lantern {
namespace {

using ::testing::HasSubstr;

class RequestAssessorTest : public ::testing::Test {
 protected:
  absl::Status Assess(const v1::AssessRequest& request) {
    answer_.Clear();
    return assessor_.Assess(request, kReceived, &answer_);
  }

  void ActivateServiceRules() {
    absl::StatusOr<Candidate> c =
        registry_.ActivateDirectory(testing::TestDataPath("rulesets/service"));
    ASSERT_TRUE(c.ok() && c->passed());
  }

  static v1::AssessRequest Young() {
    v1::AssessRequest request;
    request.mutable_facts()->mutable_child()->set_age_years(9);
    return request;
  }

  const absl::Time kReceived = absl::FromUnixSeconds(1714824000);
  ProtoFactTypes types_;
  RuleSetRegistry registry_{&types_, &AssessmentVocabulary()};
  RequestAssessor assessor_{&registry_, RequestLimits(), "test"};
  v1::Assessment answer_;
};

TEST_F(RequestAssessorTest, NothingActiveIsFailedPrecondition) {
  EXPECT_EQ(Assess(Young()).code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(RequestAssessorTest, RulesForAnotherFactMessageAreRefused) {
  ASSERT_TRUE(
      registry_.ActivateDirectory(testing::TestDataPath("rulesets/example"))
          .ok());
  ASSERT_NE(registry_.Active(), nullptr);
  const absl::Status status = Assess(Young());
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(),
              HasSubstr("assesses lantern.testing.v1.ExampleFacts"));
}

TEST_F(RequestAssessorTest, StampsTheAnswer) {
  ActivateServiceRules();
  ASSERT_TRUE(Assess(Young()).ok());
  EXPECT_EQ(answer_.decision_id(), "test-1");
  EXPECT_EQ(answer_.ruleset().digest(), registry_.Active()->digest);
  EXPECT_EQ(answer_.evaluated_at().seconds(), 1714824000);
  EXPECT_EQ(answer_.as_of().seconds(), 1714824000);  // none given: received
  EXPECT_EQ(answer_.grade().grade(), v1::MEDIUM);
  ASSERT_TRUE(Assess(Young()).ok());
  EXPECT_EQ(answer_.decision_id(), "test-2");
}

// A replica that cannot take up the deployment's active ruleset answers
// nothing rather than answer under another version (issue 13), until
// released.
TEST_F(RequestAssessorTest, HeldAssessorAnswersUnavailableUntilReleased) {
  ActivateServiceRules();
  assessor_.Hold(absl::FailedPreconditionError("ruleset sha256:abc missing"));
  const absl::Status held = Assess(Young());
  EXPECT_EQ(held.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(held.message(), HasSubstr("ruleset sha256:abc missing"));
  EXPECT_EQ(answer_.decision_id(), "");
  assessor_.Hold(absl::OkStatus());
  ASSERT_TRUE(Assess(Young()).ok());
  EXPECT_EQ(answer_.decision_id(), "test-1");  // the held call took no id
}

// Indicators nobody asked about leave a rule over them UNKNOWN, named in
// the answer; asked about with none recorded, the rule is decided.
TEST_F(RequestAssessorTest, AnUnaskedChecklistIsAnUnknownFact) {
  ActivateServiceRules();
  v1::AssessRequest request;
  request.mutable_facts()->mutable_child()->set_age_years(15);
  ASSERT_TRUE(Assess(request).ok());
  ASSERT_EQ(answer_.blocked_rules_size(), 1);
  EXPECT_EQ(answer_.blocked_rules(0).id(), "test.gifts");
  EXPECT_THAT(answer_.blocked_rules(0).unknown_facts(),
              ::testing::ElementsAre("episode.indicators.recorded"));
  ASSERT_EQ(answer_.unknown_facts_size(), 1);
  EXPECT_EQ(answer_.unknown_facts(0).path(), "episode.indicators.recorded");
  EXPECT_THAT(answer_.unknown_facts(0).decides(),
              ::testing::Contains("test.gifts"));
  EXPECT_EQ(answer_.fired_rules_size(), 0);

  request.mutable_facts()->mutable_episode()->mutable_indicators();
  ASSERT_TRUE(Assess(request).ok());
  EXPECT_EQ(answer_.blocked_rules_size(), 0);
  EXPECT_EQ(answer_.unknown_facts_size(), 0);
  EXPECT_EQ(answer_.fired_rules_size(), 0);
}

TEST_F(RequestAssessorTest, AsOfOutOfRangeIsInvalid) {
  ActivateServiceRules();
  v1::AssessRequest request = Young();
  request.mutable_as_of()->set_nanos(-1);
  const absl::Status status = Assess(request);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("as_of"));
}

TEST_F(RequestAssessorTest, AsOfBeforeTheRulesetIsFailedPrecondition) {
  ActivateServiceRules();
  v1::AssessRequest request = Young();
  request.mutable_as_of()->set_seconds(0);  // 1970; rules from 2020
  EXPECT_EQ(Assess(request).code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace lantern
