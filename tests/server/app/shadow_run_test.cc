// Tests of server/app/shadow_run.h in process: decisions compared under the
// candidate and counted per output; a full queue counts skipped decisions
// rather than losing them; stop and restart reset what is counted.
#include "server/app/shadow_run.h"

#include <chrono>
#include <thread>

#include "engine/proto/proto_fact_types.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/app/assessment_proto.h"
#include "server/app/request_assessor.h"
#include "tests/testing/test_data.h"

namespace lantern {
namespace {

class ShadowRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<Candidate> c =
        registry_.ActivateDirectory(testing::TestDataPath("rulesets/service"));
    ASSERT_TRUE(c.ok() && c->passed());
    active_ = c->version;
  }

  // A new decision under the active version, as Assess makes it.
  std::pair<v1::AssessRequest, v1::Assessment> Decision(bool gifts) {
    v1::AssessRequest request;
    request.mutable_facts()->mutable_child()->set_age_years(15);
    if (gifts) {
      request.mutable_facts()
          ->mutable_episode()
          ->mutable_indicators()
          ->add_recorded("UNEXPLAINED_MONEY_OR_GIFTS");
    }
    request.mutable_as_of()->set_seconds(1714824000);
    v1::Assessment answer;
    EXPECT_TRUE(
        assessor_.Assess(request, absl::FromUnixSeconds(1714824000), &answer)
            .ok());
    return {request, answer};
  }

  // The report once nothing is pending (bounded wait: a safety net).
  v1::ShadowReport Settled(const ShadowRun& shadow) {
    absl::StatusOr<v1::ShadowReport> report = shadow.Report(10);
    for (int i = 0; i < 1200 && report.ok() && report->pending() > 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      report = shadow.Report(10);
    }
    EXPECT_TRUE(report.ok()) << report.status();
    return report.ok() ? *report : v1::ShadowReport();
  }

  ProtoFactTypes types_;
  RuleSetRegistry registry_{&types_, &AssessmentVocabulary()};
  RequestAssessor assessor_{&registry_, RequestLimits(), "test"};
  std::shared_ptr<const RuleSetVersion> active_;
  absl::Time now_ = absl::FromUnixSeconds(1800000000);
};

TEST_F(ShadowRunTest, NoReportBeforeAShadowRuns) {
  ShadowRun shadow([this] { return now_; });
  EXPECT_EQ(shadow.Report(10).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(shadow.Stop().status().code(),
            absl::StatusCode::kFailedPrecondition);
  auto [request, answer] = Decision(true);
  shadow.Offer(request, answer);  // off: not counted anywhere
  EXPECT_FALSE(shadow.on());
}

TEST_F(ShadowRunTest, TheActiveVersionAgainstItselfDiffersNowhere) {
  ShadowRun shadow([this] { return now_; });
  EXPECT_EQ(shadow.Start(active_), now_);
  for (bool gifts : {true, false, true}) {
    auto [request, answer] = Decision(gifts);
    shadow.Offer(request, answer);
  }
  const v1::ShadowReport report = Settled(shadow);
  EXPECT_EQ(report.compared(), 3u);
  EXPECT_EQ(report.differing(), 0u);
  EXPECT_EQ(report.skipped(), 0u);
  EXPECT_EQ(report.candidate_digest(), active_->digest);
  EXPECT_TRUE(report.shadowing());
}

TEST_F(ShadowRunTest, AFullQueueCountsSkippedDecisions) {
  ShadowRun shadow([this] { return now_; }, /*capacity=*/0);
  shadow.Start(active_);
  for (int i = 0; i < 4; ++i) {
    auto [request, answer] = Decision(true);
    shadow.Offer(request, answer);
  }
  const v1::ShadowReport report = Settled(shadow);
  EXPECT_EQ(report.skipped(), 4u);
  EXPECT_EQ(report.compared(), 0u);
  EXPECT_EQ(report.pending(), 0u);
}

TEST_F(ShadowRunTest, StopKeepsTheReportAndStartBeginsAfresh) {
  ShadowRun shadow([this] { return now_; }, /*capacity=*/0);
  shadow.Start(active_);
  auto [request, answer] = Decision(true);
  shadow.Offer(request, answer);
  now_ += absl::Minutes(5);
  absl::StatusOr<std::shared_ptr<const RuleSetVersion>> stopped = shadow.Stop();
  ASSERT_TRUE(stopped.ok());
  EXPECT_EQ(*stopped, active_);
  shadow.Offer(request, answer);  // stopped: not counted
  v1::ShadowReport report = Settled(shadow);
  EXPECT_FALSE(report.shadowing());
  EXPECT_EQ(report.skipped(), 1u);
  EXPECT_EQ(report.stopped_at().seconds(), 1800000300);
  shadow.Start(active_);
  report = Settled(shadow);
  EXPECT_EQ(report.skipped(), 0u);
  EXPECT_FALSE(report.has_stopped_at());
}

}  // namespace
}  // namespace lantern
