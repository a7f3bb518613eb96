// Patterns across episodes with replicas (issue 17): three real
// `lantern serve` processes share one ledger, and with it the episode
// index, in a throw-away PostgreSQL 15 (tests/testing/postgres_server.h).
// Three children reported missing the same evening from three homes and
// found together are each assessed on a different replica: each later
// answer names the earlier children's decisions, and each update (on yet
// another replica) names the other two; a retry on another replica is
// answered from the ledger and counts nothing twice; an adult known to
// children of three homes links them (child.known_associates); every
// replica's Audit lists the same linked decisions; every decision replays
// identically.
//
// SKIPPED only when PostgreSQL 15 is not installed.
#include <chrono>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "lantern/v1/audit.grpc.pb.h"
#include "lantern/v1/service.grpc.pb.h"
#include "tests/testing/ledger_records.h"
#include "tests/testing/postgres_server.h"
#include "tests/testing/server_process.h"
#include "tests/testing/test_data.h"

namespace lantern::testing {
namespace {

using google::protobuf::util::TimeUtil;

constexpr int kReplicas = 3;
// A safety net for a hung server, never a timing condition.
constexpr auto kCallDeadline = std::chrono::seconds(60);

std::unique_ptr<grpc::ClientContext> Context() {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + kCallDeadline);
  return context;
}

// Child `n` (of three), missing from home `n` on 1 May 2024 and found
// with the other two at place p-club.
v1::AssessRequest Child(int n) {
  v1::AssessRequest r;
  v1::EpisodeFacts& f = *r.mutable_facts();
  f.mutable_child()->set_reference(absl::StrCat("child-", n));
  f.mutable_child()->set_age_years(14);
  v1::Episode& e = *f.mutable_episode();
  e.set_reference(absl::StrCat("episode-", n));
  e.set_status(v1::Episode::RETURNED);
  TimeUtil::FromString(absl::StrCat("2024-05-01T19:0", n, ":00Z"),
                       e.mutable_reported_at());
  TimeUtil::FromString("2024-05-02T02:00:00Z", e.mutable_found_at());
  e.mutable_missing_from_place()->set_reference(absl::StrCat("home-", n));
  e.mutable_found()->mutable_place()->set_reference("p-club");
  e.mutable_found()->mutable_place()->set_area("BS16");
  for (int other = 1; other <= 3; ++other) {
    if (other == n) continue;
    v1::Associate* a = e.mutable_found()->mutable_with()->add_people();
    a->set_reference(absl::StrCat("child-", other));
    a->set_relationship(v1::Associate::PEER);
    a->set_also_reported_missing(true);
  }
  TimeUtil::FromString("2024-05-02T12:00:00Z", r.mutable_as_of());
  r.set_client_request_id(absl::StrCat("req-", n));
  return r;
}

// Child `n` of another three homes, missing alone on day `n` of June 2024,
// whose family names the same adult among the people the child spends
// time with.
v1::AssessRequest KnowsTheAdult(int n) {
  v1::AssessRequest r;
  v1::EpisodeFacts& f = *r.mutable_facts();
  f.mutable_child()->set_reference(absl::StrCat("june-", n));
  f.mutable_child()->set_age_years(13);
  v1::Associate* a =
      f.mutable_child()->mutable_known_associates()->add_people();
  a->set_reference("adult-77");
  a->set_relationship(v1::Associate::UNKNOWN_ADULT);
  v1::Episode& e = *f.mutable_episode();
  e.set_reference(absl::StrCat("june-episode-", n));
  e.set_status(v1::Episode::RETURNED);
  TimeUtil::FromString(absl::StrCat("2024-06-0", n, "T19:00:00Z"),
                       e.mutable_reported_at());
  TimeUtil::FromString(absl::StrCat("2024-06-0", n, "T23:00:00Z"),
                       e.mutable_found_at());
  e.mutable_missing_from_place()->set_reference(absl::StrCat("june-home-", n));
  TimeUtil::FromString("2024-06-10T12:00:00Z", r.mutable_as_of());
  r.set_client_request_id(absl::StrCat("june-req-", n));
  return r;
}

bool Fired(const v1::Assessment& a, const std::string& id) {
  for (const v1::FiredRule& r : a.fired_rules()) {
    if (r.id() == id) return true;
  }
  return false;
}

std::set<std::string> Linked(const v1::Assessment& a) {
  std::set<std::string> ids;
  for (const v1::LinkedChild& c : a.derived().linked_children()) {
    ids.insert(c.decision_id());
  }
  return ids;
}

class PatternsReplicasTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string why = PostgresServer::Unavailable(); !why.empty()) {
      GTEST_SKIP() << why;
    }
    std::string error;
    pg_ = PostgresServer::Start(&error);
    ASSERT_NE(pg_, nullptr) << error;
    uri_ = pg_->NewDatabase();
    ASSERT_FALSE(uri_.empty());
    for (int i = 0; i < kReplicas; ++i) {
      replicas_.push_back(ServerProcess::Start(
          LANTERN_BINARY,
          {"--rules=" + SourcePath("rules"), "--ledger=" + uri_,
           "--ledger_key=" + dir_.File("ledger.key")},
          dir_.File(absl::StrCat("replica", i, ".log")), &error));
      ASSERT_NE(replicas_.back(), nullptr) << error;
      auto channel = grpc::CreateChannel(replicas_.back()->address(),
                                         grpc::InsecureChannelCredentials());
      assess_.push_back(v1::RiskAssessment::NewStub(channel));
      audit_.push_back(v1::Audit::NewStub(channel));
    }
  }

  v1::Assessment Assess(int replica, const v1::AssessRequest& r) {
    v1::Assessment answer;
    grpc::Status s = assess_[replica]->Assess(Context().get(), r, &answer);
    EXPECT_TRUE(s.ok()) << "replica " << replica << ": " << s.error_message();
    decisions_.insert(answer.decision_id());
    return answer;
  }

  std::set<std::string> ListLinked(int replica,
                                   v1::ListLinkedDecisionsRequest request) {
    request.set_purpose("test: linked decisions");
    v1::ListLinkedDecisionsResponse response;
    grpc::Status s = audit_[replica]->ListLinkedDecisions(Context().get(),
                                                          request, &response);
    EXPECT_TRUE(s.ok()) << "replica " << replica << ": " << s.error_message();
    std::set<std::string> ids;
    for (const v1::DecisionRecord& d : response.decisions()) {
      ids.insert(d.decision_id());
    }
    return ids;
  }

  std::unique_ptr<PostgresServer> pg_;
  std::string uri_;
  ScratchDir dir_;
  std::vector<std::unique_ptr<ServerProcess>> replicas_;
  std::vector<std::unique_ptr<v1::RiskAssessment::Stub>> assess_;
  std::vector<std::unique_ptr<v1::Audit::Stub>> audit_;
  std::set<std::string> decisions_;
};

TEST_F(PatternsReplicasTest,
       ChildrenFoundTogetherOnThreeReplicasNameEachOther) {
  v1::Assessment first[4];
  for (int n = 1; n <= 3; ++n) first[n] = Assess(n - 1, Child(n));
  EXPECT_TRUE(Linked(first[1]).empty());
  EXPECT_EQ(Linked(first[2]), (std::set<std::string>{first[1].decision_id()}));
  EXPECT_EQ(Linked(first[3]), (std::set<std::string>{first[1].decision_id(),
                                                     first[2].decision_id()}));
  EXPECT_TRUE(Fired(first[3], "patterns.missing_together_group"));
  EXPECT_TRUE(Fired(first[3], "patterns.place_linked_to_several_children"));

  // A retry on another replica: the recorded answer, nothing counted again.
  const v1::Assessment retry = Assess(0, Child(3));
  EXPECT_EQ(retry.decision_id(), first[3].decision_id());

  // Each child's episode updated on the next replica: each answer names the
  // other two children's latest decisions, and replaces its own entry.
  v1::Assessment updated[4];
  std::string latest[4];
  for (int n = 1; n <= 3; ++n) latest[n] = first[n].decision_id();
  for (int n = 1; n <= 3; ++n) {
    v1::AssessRequest update = Child(n);
    update.set_client_request_id(absl::StrCat("req-", n, "-update"));
    updated[n] = Assess(n % kReplicas, update);
    std::set<std::string> others;
    for (int m = 1; m <= 3; ++m) {
      if (m != n) others.insert(latest[m]);
    }
    EXPECT_EQ(Linked(updated[n]), others) << "child " << n;
    EXPECT_EQ(updated[n].derived().episodes_last_30_days(), 1) << n;
    EXPECT_EQ(updated[n].derived().found_place().other_children_last_365_days(),
              2)
        << n;
    EXPECT_TRUE(Fired(updated[n], "patterns.missing_together_group")) << n;
    latest[n] = updated[n].decision_id();
  }

  // Every replica lists the same three decisions at the place: the
  // updates replaced the first ones.
  v1::ListLinkedDecisionsRequest at_club;
  at_club.set_place_reference("p-club");
  const std::set<std::string> expected = {latest[1], latest[2], latest[3]};
  for (int r = 0; r < kReplicas; ++r) {
    EXPECT_EQ(ListLinked(r, at_club), expected) << "replica " << r;
  }
}

TEST_F(PatternsReplicasTest, AnAdultKnownToChildrenOfThreeHomesLinksThem) {
  v1::Assessment answers[4];
  for (int n = 1; n <= 3; ++n) answers[n] = Assess(n - 1, KnowsTheAdult(n));
  for (int n = 1; n <= 3; ++n) {
    ASSERT_EQ(answers[n].derived().known_associates_size(), 1) << n;
    const v1::LinkedPerson& adult = answers[n].derived().known_associates(0);
    EXPECT_EQ(adult.reference(), "adult-77");
    EXPECT_EQ(adult.other_children_last_365_days(), n - 1) << n;
    // Not together in time: no linked child, no group.
    EXPECT_TRUE(Linked(answers[n]).empty()) << n;
  }
  EXPECT_FALSE(
      Fired(answers[2], "patterns.known_adult_linked_to_several_children"));
  EXPECT_TRUE(
      Fired(answers[3], "patterns.known_adult_linked_to_several_children"));
  v1::ListLinkedDecisionsRequest adult;
  adult.set_associate_reference("adult-77");
  for (int r = 0; r < kReplicas; ++r) {
    EXPECT_EQ(ListLinked(r, adult).size(), 3u) << "replica " << r;
  }
}

// Every decision replays identically on every replica, the ones that did
// not make it included (the recorded derived facts are used).
TEST_F(PatternsReplicasTest, DecisionsReplayIdenticallyOnAnyReplica) {
  for (int n = 1; n <= 3; ++n) Assess(n - 1, Child(n));
  for (int n = 1; n <= 3; ++n) Assess(n - 1, KnowsTheAdult(n));
  int replayed = 0;
  for (const std::string& id : decisions_) {
    for (int r = 0; r < kReplicas; ++r) {
      v1::ReplayRequest request;
      request.set_purpose("test: replay check");
      request.set_decision_id(id);
      v1::ReplayResponse replay;
      grpc::Status s = audit_[r]->Replay(Context().get(), request, &replay);
      ASSERT_TRUE(s.ok()) << id << ": " << s.error_message();
      EXPECT_EQ(replay.outcome(), v1::ReplayResponse::IDENTICAL)
          << id << " on replica " << r << ": " << replay.DebugString();
      ++replayed;
    }
  }
  EXPECT_EQ(replayed, 6 * kReplicas);
}

}  // namespace
}  // namespace lantern::testing
