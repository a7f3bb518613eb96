// Tests of server/facts_validation.h against the service test ruleset.
#include "server/facts_validation.h"

#include "engine/loader.h"
#include "engine/proto_fact_types.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/test_data.h"

namespace lantern {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

class FactsValidationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<LoadResult> loaded =
        LoadRuleSet(testing::TestDataPath("rulesets/service"), types_);
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    ASSERT_NE(loaded->ruleset, nullptr) << loaded->diagnostics.ToString();
    ruleset_ = loaded->ruleset;
  }

  absl::Status Check(const v1::AssessRequest& request) {
    return ValidateAndDecodeFacts(request, *ruleset_, limits_).status();
  }

  ProtoFactTypes types_;
  std::shared_ptr<const RuleSet> ruleset_;
  RequestLimits limits_;
};

TEST_F(FactsValidationTest, AcceptsEmptyFacts) {
  v1::AssessRequest request;
  request.mutable_facts();
  EXPECT_TRUE(Check(request).ok());
}

TEST_F(FactsValidationTest, FoundBeforeLastSeen) {
  v1::AssessRequest request;
  v1::Episode* episode = request.mutable_facts()->mutable_episode();
  episode->mutable_last_seen_at()->set_seconds(2000);
  episode->mutable_found_at()->set_seconds(1000);
  EXPECT_THAT(Check(request).message(),
              HasSubstr("facts.episode.found_at: 1970-01-01T00:16:40Z is "
                        "before facts.episode.last_seen_at"));
}

TEST_F(FactsValidationTest, NegativeCountsAndDistances) {
  v1::AssessRequest request;
  request.mutable_facts()->mutable_history()->set_episodes_last_90_days(-1);
  request.mutable_facts()
      ->mutable_episode()
      ->mutable_found()
      ->set_distance_from_home_km(-3);
  const absl::Status status = Check(request);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(
      status.message(),
      AllOf(HasSubstr("facts.history.episodes_last_90_days: -1"),
            HasSubstr("facts.episode.found.distance_from_home_km: -3")));
}

TEST_F(FactsValidationTest, LongOrdinaryStringUsesTheStringLimit) {
  v1::AssessRequest request;
  request.mutable_facts()->mutable_child()->set_reference(
      std::string(limits_.max_string_bytes + 1, 'r'));
  EXPECT_THAT(Check(request).message(),
              HasSubstr("facts.child.reference: 1025 bytes, at most 1024"));
}

TEST_F(FactsValidationTest, TimestampOutOfRangeNamesItsPath) {
  v1::AssessRequest request;
  request.mutable_facts()
      ->mutable_episode()
      ->mutable_reported_at()
      ->set_seconds(999999999999999);
  EXPECT_THAT(Check(request).message(), HasSubstr("episode.reported_at"));
}

}  // namespace
}  // namespace lantern
