// Tests of server/app/facts_validation.h against the service test ruleset.
#include "server/app/facts_validation.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/proto/proto_fact_types.h"
#include "engine/ruleset/loader.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/test_data.h"

namespace lantern {
namespace {

using ::google::protobuf::FieldDescriptor;
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

void Set(google::protobuf::Timestamp* t, int64_t seconds) {
  t->set_seconds(seconds);
}

TEST_F(FactsValidationTest, ArrivalInTheUkBetweenBirthAndTheReport) {
  v1::AssessRequest request;
  v1::EpisodeFacts* facts = request.mutable_facts();
  Set(facts->mutable_episode()->mutable_reported_at(), 2000);
  Set(facts->mutable_child()->mutable_arrived_in_uk_at(), 3000);
  Set(facts->mutable_child()->mutable_date_of_birth(), 3500);
  const absl::Status status = Check(request);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(),
              AllOf(HasSubstr("facts.child.arrived_in_uk_at: "
                              "1970-01-01T00:50:00Z is after "
                              "facts.episode.reported_at"),
                    HasSubstr("facts.child.arrived_in_uk_at: "
                              "1970-01-01T00:50:00Z is before "
                              "facts.child.date_of_birth")));
  Set(facts->mutable_child()->mutable_date_of_birth(), 100);
  Set(facts->mutable_child()->mutable_arrived_in_uk_at(), 2000);
  EXPECT_TRUE(Check(request).ok()) << Check(request);
}

TEST_F(FactsValidationTest, ContactSinceMissingWithinTheEpisode) {
  v1::AssessRequest request;
  v1::Episode* episode = request.mutable_facts()->mutable_episode();
  Set(episode->mutable_last_seen_at(), 1000);
  Set(episode->mutable_found_at(), 5000);
  Set(episode->mutable_contact()->mutable_last_contact_at(), 900);
  Set(episode->mutable_contact()->mutable_last_sighting_at(), 6000);
  Set(episode->mutable_contact()->mutable_phone_last_active_at(), 3000);
  const absl::Status status = Check(request);
  EXPECT_THAT(status.message(),
              AllOf(HasSubstr("facts.episode.contact.last_contact_at: "
                              "1970-01-01T00:15:00Z is before "
                              "facts.episode.last_seen_at"),
                    HasSubstr("facts.episode.contact.last_sighting_at: "
                              "1970-01-01T01:40:00Z is after "
                              "facts.episode.found_at")));
  EXPECT_THAT(status.message(),
              ::testing::Not(HasSubstr("phone_last_active_at")));
}

TEST_F(FactsValidationTest, InterviewsAfterTheReturnAndAgreeingWithStatus) {
  v1::AssessRequest request;
  v1::Interviews* interviews =
      request.mutable_facts()->mutable_episode()->mutable_interviews();
  Set(request.mutable_facts()->mutable_episode()->mutable_found_at(), 5000);
  Set(interviews->mutable_prevention_interview_at(), 4000);
  Set(interviews->mutable_return_home_interview_completed_at(), 9000);
  interviews->set_return_home_interview_status(v1::Interviews::DECLINED);
  const absl::Status status = Check(request);
  EXPECT_THAT(
      status.message(),
      AllOf(HasSubstr("facts.episode.interviews.prevention_interview_at: "
                      "1970-01-01T01:06:40Z is before facts.episode.found_at"),
            HasSubstr("facts.episode.interviews."
                      "return_home_interview_completed_at is set but "
                      "facts.episode.interviews.return_home_interview_status "
                      "is DECLINED")));
  interviews->set_return_home_interview_status(v1::Interviews::COMPLETED);
  Set(interviews->mutable_prevention_interview_at(), 5000);
  EXPECT_TRUE(Check(request).ok()) << Check(request);
}

TEST_F(FactsValidationTest, EarlierEpisodesBeforeThisOne) {
  v1::AssessRequest request;
  v1::EpisodeFacts* facts = request.mutable_facts();
  Set(facts->mutable_episode()->mutable_reported_at(), 10000);
  v1::EarlierEpisodes* earlier = facts->mutable_history()->mutable_episodes();
  v1::EarlierEpisode* ok = earlier->add_recorded();
  Set(ok->mutable_reported_at(), 1000);
  Set(ok->mutable_found_at(), 2000);
  v1::EarlierEpisode* same = earlier->add_recorded();
  Set(same->mutable_reported_at(), 10000);
  v1::EarlierEpisode* reversed = earlier->add_recorded();
  Set(reversed->mutable_reported_at(), 3000);
  Set(reversed->mutable_found_at(), 2500);
  const absl::Status status = Check(request);
  EXPECT_THAT(
      status.message(),
      AllOf(HasSubstr("facts.history.episodes.recorded[1].reported_at: "
                      "1970-01-01T02:46:40Z is not before "
                      "facts.episode.reported_at"),
            HasSubstr("facts.history.episodes.recorded[2].found_at: "
                      "1970-01-01T00:41:40Z is before "
                      "facts.history.episodes.recorded[2].reported_at")));
  EXPECT_THAT(status.message(), ::testing::Not(HasSubstr("recorded[0]")));
}

TEST_F(FactsValidationTest, NrmDecisionNotBeforeItsReferral) {
  v1::AssessRequest request;
  v1::NrmReferral* nrm =
      request.mutable_facts()->mutable_child()->mutable_nrm_referral();
  nrm->set_stage(v1::NrmReferral::POSITIVE_REASONABLE_GROUNDS);
  Set(nrm->mutable_referred_at(), 5000);
  Set(nrm->mutable_decision_at(), 4000);
  EXPECT_THAT(Check(request).message(),
              HasSubstr("facts.child.nrm_referral.decision_at: "
                        "1970-01-01T01:06:40Z is before "
                        "facts.child.nrm_referral.referred_at"));
}

TEST_F(FactsValidationTest, WhereaboutsAndCompanyAreCheckedLikeFound) {
  v1::AssessRequest request;
  v1::Found* whereabouts =
      request.mutable_facts()->mutable_episode()->mutable_whereabouts();
  whereabouts->set_distance_from_home_km(-1);
  whereabouts->mutable_with()->add_people()->set_age_years(130);
  for (int i = 0; i <= limits_.max_repeated; ++i) {
    request.mutable_facts()
        ->mutable_episode()
        ->mutable_events_before()
        ->add_recorded("E");
  }
  const absl::Status status = Check(request);
  EXPECT_THAT(
      status.message(),
      AllOf(HasSubstr("facts.episode.whereabouts.distance_from_home_km: -1"),
            HasSubstr("facts.episode.whereabouts.with.people[0].age_years: "
                      "130 is out of range 0..120"),
            HasSubstr("facts.episode.events_before.recorded: 101 elements")));
}

// Every enum field reachable from EpisodeFacts, found by walking the
// descriptor (so fields added later are covered), refuses a number its
// enum does not name, naming the field's path and the number.
void EnumFields(
    const google::protobuf::Descriptor& type, const std::string& path,
    std::vector<std::pair<std::string, std::vector<const FieldDescriptor*>>>*
        out,
    std::vector<const FieldDescriptor*> chain, int depth) {
  if (depth > 6) return;
  for (int i = 0; i < type.field_count(); ++i) {
    const FieldDescriptor* f = type.field(i);
    std::vector<const FieldDescriptor*> next = chain;
    next.push_back(f);
    const std::string here =
        absl::StrCat(path, ".", f->name(), f->is_repeated() ? "[0]" : "");
    if (f->type() == FieldDescriptor::TYPE_ENUM) {
      out->push_back({here, next});
    } else if (f->type() == FieldDescriptor::TYPE_MESSAGE &&
               f->message_type()->file()->package() == "lantern.v1") {
      EnumFields(*f->message_type(), here, out, next, depth + 1);
    }
  }
}

TEST_F(FactsValidationTest, EveryEnumFieldRefusesANumberItsEnumLacks) {
  std::vector<std::pair<std::string, std::vector<const FieldDescriptor*>>>
      fields;
  EnumFields(*v1::EpisodeFacts::descriptor(), "facts", &fields, {}, 0);
  ASSERT_GT(fields.size(), 5u);
  for (const auto& [path, chain] : fields) {
    v1::AssessRequest request;
    google::protobuf::Message* m = request.mutable_facts();
    for (size_t i = 0; i + 1 < chain.size(); ++i) {
      const google::protobuf::Reflection* r = m->GetReflection();
      m = chain[i]->is_repeated() ? r->AddMessage(m, chain[i])
                                  : r->MutableMessage(m, chain[i]);
    }
    const FieldDescriptor* f = chain.back();
    int number = 1;
    for (int v = 0; v < f->enum_type()->value_count(); ++v) {
      number = std::max(number, f->enum_type()->value(v)->number() + 1000);
    }
    if (f->is_repeated()) {
      m->GetReflection()->AddEnumValue(m, f, number);
    } else {
      m->GetReflection()->SetEnumValue(m, f, number);
    }
    const absl::Status status = Check(request);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << path;
    EXPECT_THAT(status.message(), HasSubstr(absl::StrCat(
                                      path, ": ", number, " is not a value of ",
                                      f->enum_type()->full_name())))
        << path;
  }
}

}  // namespace
}  // namespace lantern
