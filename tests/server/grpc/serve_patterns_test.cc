// Patterns across episodes through the real `lantern serve` binary on the
// shipped ruleset (rules/): three children reported missing the same
// evening from three homes and found together at one place — each answer
// names the others' decisions and raises the group action; derived facts
// are refused from callers, survive a restart, and replay identically
// (the fixture replays every decision at TearDown).
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "google/protobuf/util/time_util.h"
#include "tests/testing/serve_fixture.h"

namespace lantern::testing {
namespace {

using google::protobuf::util::MessageDifferencer;
using google::protobuf::util::TimeUtil;

class ServePatternsTest : public ServeTest {
 protected:
  void SetUp() override {
    ServeTest::SetUp();
    std::filesystem::remove_all(rules_dir_);
    std::filesystem::copy(SourcePath("rules"), rules_dir_,
                          std::filesystem::copy_options::recursive);
  }

  // Child `n` (of three), missing from home `n` on 1 May 2024 and found
  // with the other two at place p-club.
  static v1::AssessRequest Child(int n) {
    v1::AssessRequest r;
    v1::EpisodeFacts& f = *r.mutable_facts();
    f.mutable_child()->set_reference("child-" + std::to_string(n));
    f.mutable_child()->set_age_years(14);
    v1::Episode& e = *f.mutable_episode();
    e.set_reference("episode-" + std::to_string(n));
    e.set_status(v1::Episode::RETURNED);
    TimeUtil::FromString("2024-05-01T19:0" + std::to_string(n) + ":00Z",
                         e.mutable_reported_at());
    TimeUtil::FromString("2024-05-02T02:00:00Z", e.mutable_found_at());
    e.mutable_missing_from_place()->set_reference("home-" + std::to_string(n));
    e.mutable_found()->mutable_place()->set_reference("p-club");
    e.mutable_found()->mutable_place()->set_area("BS16");
    for (int other = 1; other <= 3; ++other) {
      if (other == n) continue;
      v1::Associate* a = e.mutable_found()->mutable_with()->add_people();
      a->set_reference("child-" + std::to_string(other));
      a->set_relationship(v1::Associate::PEER);
      a->set_also_reported_missing(true);
    }
    TimeUtil::FromString("2024-05-02T12:00:00Z", r.mutable_as_of());
    r.set_client_request_id("req-" + std::to_string(n));
    return r;
  }

  v1::Assessment Assess(const v1::AssessRequest& r) {
    v1::Assessment answer;
    grpc::Status s = assess_->Assess(Context().get(), r, &answer);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return answer;
  }

  static bool HasAction(const v1::Assessment& a, const std::string& code) {
    for (const v1::Action& action : a.actions()) {
      if (action.code() == code) return true;
    }
    return false;
  }

  static bool Fired(const v1::Assessment& a, const std::string& id) {
    for (const v1::FiredRule& r : a.fired_rules()) {
      if (r.id() == id) return true;
    }
    return false;
  }
};

TEST_F(ServePatternsTest, ThreeChildrenFoundTogetherNameEachOther) {
  StartServer();
  v1::Assessment answers[4];
  for (int n = 1; n <= 3; ++n) answers[n] = Assess(Child(n));
  // The first answer can only know the others from its own facts; the
  // later ones link the earlier decisions.
  EXPECT_EQ(answers[1].derived().linked_children_size(), 0);
  for (int n = 2; n <= 3; ++n) {
    const v1::Assessment& a = answers[n];
    std::set<std::string> linked;
    for (const v1::LinkedChild& c : a.derived().linked_children()) {
      EXPECT_TRUE(c.found_with() && c.same_place()) << c.DebugString();
      EXPECT_FALSE(c.family());
      linked.insert(c.decision_id());
    }
    std::set<std::string> expected;
    for (int m = 1; m < n; ++m) expected.insert(answers[m].decision_id());
    EXPECT_EQ(linked, expected) << "child " << n;
    EXPECT_TRUE(Fired(a, "patterns.missing_together_group")) << n;
    EXPECT_TRUE(HasAction(a, "POLICE_DISRUPTION")) << n;
    EXPECT_EQ(a.derived().found_place().other_children_last_365_days(), n - 1);
  }
  // Every answer names the other two children (its own facts), and raises
  // the group action.
  for (int n = 1; n <= 3; ++n) {
    EXPECT_TRUE(HasAction(answers[n], "POLICE_DISRUPTION")) << n;
  }
  // The third child's place has two other children: several.
  EXPECT_TRUE(Fired(answers[3], "patterns.place_linked_to_several_children"));
  EXPECT_TRUE(HasAction(answers[3], "SHARE_PATTERN_INTELLIGENCE"));
  EXPECT_FALSE(Fired(answers[2], "patterns.place_linked_to_several_children"));

  // A retry is answered from the ledger and counts nothing twice.
  const v1::Assessment retry = Assess(Child(3));
  EXPECT_EQ(retry.decision_id(), answers[3].decision_id());
  // An update of the first child's episode (a new request, same episode
  // reference) now sees the other two, and replaces its entry.
  v1::AssessRequest update = Child(1);
  update.set_client_request_id("req-1-update");
  const v1::Assessment updated = Assess(update);
  EXPECT_EQ(updated.derived().linked_children_size(), 2);
  EXPECT_EQ(updated.derived().episodes_last_30_days(), 1);
  EXPECT_TRUE(Fired(updated, "patterns.place_linked_to_several_children"));
}

TEST_F(ServePatternsTest, AsOfInThePastIgnoresLaterEpisodes) {
  StartServer();
  Assess(Child(1));
  Assess(Child(2));
  v1::AssessRequest early = Child(3);
  TimeUtil::FromString("2024-05-01T19:01:30Z", early.mutable_as_of());
  const v1::Assessment a = Assess(early);
  // Child 2 was reported at 19:02, after as_of: only child 1 counts.
  ASSERT_EQ(a.derived().linked_children_size(), 1);
  EXPECT_EQ(a.derived().linked_children(0).child_reference(), "child-1");
  EXPECT_EQ(a.derived().found_place().other_children_last_365_days(), 1);
}

TEST_F(ServePatternsTest, RefusesDerivedFactsFromTheCaller) {
  StartServer();
  v1::AssessRequest r = Child(1);
  r.mutable_facts()->mutable_derived()->set_episodes_last_90_days(9);
  v1::Assessment answer;
  grpc::Status s = assess_->Assess(Context().get(), r, &answer);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("facts.derived"), std::string::npos)
      << s.error_message();
}

TEST_F(ServePatternsTest, DerivedFactsSurviveARestart) {
  StartServer();
  Assess(Child(1));
  Assess(Child(2));
  v1::AssessRequest probe = Child(3);
  probe.set_client_request_id("");
  TimeUtil::FromString("2024-05-02T12:00:00Z", probe.mutable_as_of());
  const v1::Assessment before = Assess(probe);
  server_.reset();
  StartServer();
  probe.mutable_facts()->mutable_episode()->set_reference("episode-3b");
  v1::AssessRequest again = probe;
  const v1::Assessment after = Assess(again);
  // Episode 3's first entry is now in the index too (another episode of
  // the same child), so compare what was linked to the other children.
  ASSERT_EQ(after.derived().linked_children_size(), 2);
  EXPECT_TRUE(MessageDifferencer::Equals(before.derived().linked_children(0),
                                         after.derived().linked_children(0)));
  EXPECT_TRUE(MessageDifferencer::Equals(before.derived().linked_children(1),
                                         after.derived().linked_children(1)));
  EXPECT_EQ(after.derived().episodes_last_30_days(), 2);
}

TEST_F(ServePatternsTest, AuditListsTheDecisionsLinkedToAPlaceAPersonOrAGroup) {
  StartServer();
  std::string ids[4];
  for (int n = 1; n <= 3; ++n) ids[n] = Assess(Child(n)).decision_id();
  // A fourth child, on their own elsewhere: linked to nothing above.
  v1::AssessRequest alone = Child(1);
  alone.mutable_facts()->mutable_child()->set_reference("child-9");
  alone.mutable_facts()->mutable_episode()->set_reference("episode-9");
  alone.mutable_facts()->mutable_episode()->clear_missing_from_place();
  alone.mutable_facts()->mutable_episode()->clear_found();
  alone.mutable_facts()
      ->mutable_episode()
      ->mutable_found()
      ->mutable_place()
      ->set_reference("p-park");
  alone.set_client_request_id("req-9");
  const std::string alone_id = Assess(alone).decision_id();

  std::unique_ptr<v1::Audit::Stub> audit = AuditStub(server_->address());
  // Every page of a request, the decision ids in order.
  auto list = [&](v1::ListLinkedDecisionsRequest request) {
    std::vector<std::string> out;
    for (int pages = 0; pages < 10; ++pages) {
      v1::ListLinkedDecisionsResponse page;
      grpc::Status s =
          audit->ListLinkedDecisions(Context().get(), request, &page);
      EXPECT_TRUE(s.ok()) << s.error_message();
      if (!s.ok()) break;
      EXPECT_EQ(page.leaf_indexes_size(), page.decisions_size());
      for (const v1::DecisionRecord& d : page.decisions()) {
        EXPECT_TRUE(d.has_facts());  // local: the data officer's view
        out.push_back(d.decision_id());
      }
      if (page.next_page_token().empty()) break;
      request.set_page_token(page.next_page_token());
    }
    return out;
  };
  using ::testing::ElementsAre;
  v1::ListLinkedDecisionsRequest by_place;
  by_place.set_purpose("test: disruption planning for p-club");
  by_place.set_place_reference("p-club");
  by_place.set_page_size(2);
  EXPECT_THAT(list(by_place), ElementsAre(ids[1], ids[2], ids[3]));
  by_place.set_place_reference("p-park");
  EXPECT_THAT(list(by_place), ElementsAre(alone_id));
  by_place.set_place_reference("p-nowhere");
  EXPECT_THAT(list(by_place), ::testing::IsEmpty());

  // Child 1 is among the people children 2 and 3 were found with.
  v1::ListLinkedDecisionsRequest by_person;
  by_person.set_purpose("test: who was child-1 with");
  by_person.set_associate_reference("child-1");
  EXPECT_THAT(list(by_person), ElementsAre(ids[2], ids[3]));

  // The group of child 1's decision, though that answer (made first)
  // linked no one: the index knows the others now.
  v1::ListLinkedDecisionsRequest group;
  group.set_purpose("test: the group of child-1");
  group.set_decision_id(ids[1]);
  EXPECT_THAT(list(group), ElementsAre(ids[1], ids[2], ids[3]));
  group.set_decision_id(alone_id);
  EXPECT_THAT(list(group), ElementsAre(alone_id));

  // Need to know: no purpose, no answer; an empty link is refused.
  v1::ListLinkedDecisionsResponse none;
  group.clear_purpose();
  EXPECT_EQ(
      audit->ListLinkedDecisions(Context().get(), group, &none).error_code(),
      grpc::StatusCode::INVALID_ARGUMENT);
  v1::ListLinkedDecisionsRequest empty;
  empty.set_purpose("test");
  grpc::Status s = audit->ListLinkedDecisions(Context().get(), empty, &none);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("place_reference, associate_reference or "
                                   "decision_id"),
            std::string::npos)
      << s.error_message();

  // Each read is in the access log with the decisions it disclosed.
  v1::ListAccessRequest log_request;
  log_request.set_page_size(1000);
  v1::ListAccessResponse log;
  ASSERT_TRUE(audit->ListAccess(Context().get(), log_request, &log).ok());
  int logged = 0;
  for (const v1::AccessRecord& r : log.records()) {
    if (r.method() != "/lantern.v1.Audit/ListLinkedDecisions") continue;
    ++logged;
    if (r.subject().find("associate_reference=child-1") == 0) {
      EXPECT_THAT(r.decision_ids(), ElementsAre(ids[2], ids[3]));
      EXPECT_EQ(r.purpose(), "test: who was child-1 with");
    }
  }
  EXPECT_EQ(logged, 9);  // seven answered calls (p-club in two pages), two
                         // refused
}

TEST_F(ServePatternsTest, LinkedDecisionsNeedTheEpisodeIndex) {
  StartServer({"--episode_index=false"});
  Assess(Child(1));
  std::unique_ptr<v1::Audit::Stub> audit = AuditStub(server_->address());
  v1::ListLinkedDecisionsRequest request;
  request.set_purpose("test");
  request.set_place_reference("p-club");
  v1::ListLinkedDecisionsResponse response;
  grpc::Status s =
      audit->ListLinkedDecisions(Context().get(), request, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(s.error_message().find("episode index is off"), std::string::npos)
      << s.error_message();
}

}  // namespace
}  // namespace lantern::testing
