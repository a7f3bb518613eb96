// The episode index's contract (server/app/episode_index.h) on every
// implementation: "memory" (MemoryEpisodeIndex), "sqlite" and "postgresql"
// (StoredEpisodeIndex on a real ledger of that store,
// tests/testing/store_factories.h). Decisions go into the ledger first and
// are then added, as the recorder does; Derive follows Sync, as the server
// does. Repeat counts across windows, out-of-order arrival, retries and
// updates, as_of in the past, links between children found together, at
// one place or with one adult (family excepted), adults known to several
// children, a restart, catch-up from the ledger; and, on PostgreSQL,
// replicas: an episode recorded by one is seen by the others.
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "google/protobuf/util/message_differencer.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "server/app/memory_episode_index.h"
#include "server/app/stored_episode_index.h"
#include "server/ledger/ledger.h"
#include "tests/testing/ledger_records.h"
#include "tests/testing/store_factories.h"

namespace lantern {
namespace {

using ::google::protobuf::util::MessageDifferencer;
using ::google::protobuf::util::TimeUtil;

absl::Time At(const std::string& rfc3339) {
  absl::Time t;
  std::string err;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, rfc3339, &t, &err)) << err;
  return t;
}

google::protobuf::Timestamp Ts(const std::string& rfc3339) {
  google::protobuf::Timestamp t;
  EXPECT_TRUE(TimeUtil::FromString(rfc3339, &t));
  return t;
}

// A returned episode of `child` reported at `reported`, found a day later.
v1::EpisodeFacts Episode(const std::string& child, const std::string& reported,
                         const std::string& episode_ref = "") {
  v1::EpisodeFacts f;
  f.mutable_child()->set_reference(child);
  v1::Episode* e = f.mutable_episode();
  e->set_reference(episode_ref);
  e->set_status(v1::Episode::RETURNED);
  *e->mutable_reported_at() = Ts(reported);
  google::protobuf::Timestamp found = Ts(reported);
  found.set_seconds(found.seconds() + 86400);
  *e->mutable_found_at() = found;
  return f;
}

void FoundAt(v1::EpisodeFacts& f, const std::string& place) {
  f.mutable_episode()->mutable_found()->mutable_place()->set_reference(place);
}

void With(v1::EpisodeFacts& f, const std::string& person,
          v1::Associate::Relationship relationship) {
  v1::Associate* a =
      f.mutable_episode()->mutable_found()->mutable_with()->add_people();
  a->set_reference(person);
  a->set_relationship(relationship);
}

void KnownAssociate(v1::EpisodeFacts& f, const std::string& person,
                    v1::Associate::Relationship relationship) {
  v1::Associate* a =
      f.mutable_child()->mutable_known_associates()->add_people();
  a->set_reference(person);
  a->set_relationship(relationship);
}

// One process's view of the index: an index and, for a stored one, the
// ledger replica it records to.
struct Replica {
  std::unique_ptr<ledger::Ledger> ledger;
  std::unique_ptr<EpisodeIndex> index;
};

class EpisodeIndexConformanceTest
    : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "memory") {
      replicas_.push_back({nullptr, std::make_unique<MemoryEpisodeIndex>()});
      return;
    }
    factory_ = testing::MakeStoreFactory(GetParam());
    if (std::string why = factory_->Unavailable(); !why.empty()) {
      GTEST_SKIP() << why;
    }
    absl::StatusOr<std::unique_ptr<ledger::LedgerStore>> first =
        factory_->NewLedger();
    ASSERT_TRUE(first.ok()) << first.status();
    first_ = *std::move(first);
    OpenReplica(/*with_index=*/true);
  }

  bool stored() const { return GetParam() != "memory"; }
  bool shared() const { return GetParam() == "postgresql"; }

  // Another process on the same ledger (the first call: the first one).
  Replica& OpenReplica(bool with_index) {
    absl::StatusOr<std::unique_ptr<ledger::LedgerStore>> store =
        first_ != nullptr ? std::move(first_) : factory_->SameLedger();
    EXPECT_TRUE(store.ok()) << store.status();
    ledger::LedgerOptions options;
    options.path = factory_->location();
    options.key_path = dir_.File("ledger.key");
    absl::StatusOr<std::unique_ptr<ledger::Ledger>> ledger =
        ledger::Ledger::Open(options, *std::move(store));
    EXPECT_TRUE(ledger.ok()) << ledger.status();
    Replica r;
    r.ledger = *std::move(ledger);
    if (with_index) r.index = OpenIndex(r.ledger.get());
    replicas_.push_back(std::move(r));
    return replicas_.back();
  }

  std::unique_ptr<StoredEpisodeIndex> OpenIndex(ledger::Ledger* ledger) {
    absl::StatusOr<std::unique_ptr<StoredEpisodeIndex>> index =
        StoredEpisodeIndex::Open(factory_->location(), ledger,
                                 [](const absl::Status& why) {
                                   ADD_FAILURE() << "write failed: " << why;
                                 });
    EXPECT_TRUE(index.ok()) << index.status();
    return index.ok() ? *std::move(index) : nullptr;
  }

  // Closes every replica, then opens one again on the same ledger.
  void Restart() {
    replicas_.clear();
    absl::StatusOr<std::unique_ptr<ledger::LedgerStore>> store =
        factory_->SameLedger();
    ASSERT_TRUE(store.ok()) << store.status();
    first_ = *std::move(store);
    OpenReplica(/*with_index=*/true);
  }

  // Records `facts` as decision `id` on replica `r` and adds it to that
  // replica's index (when it has one), as DecisionRecorder does.
  void Record(const v1::EpisodeFacts& facts, const std::string& id,
              size_t r = 0) {
    Replica& replica = replicas_.at(r);
    if (replica.ledger == nullptr) {
      replica.index->Add(facts, id, next_leaf_++);
      return;
    }
    v1::DecisionRecord d = testing::SampleDecision(0);
    d.set_decision_id(id);
    d.set_client_request_id("req-" + id);
    *d.mutable_facts() = facts;
    d.mutable_assessment()->set_decision_id(id);
    absl::StatusOr<ledger::AppendedDecision> appended =
        replica.ledger->AppendDecision(d);
    ASSERT_TRUE(appended.ok()) << appended.status();
    if (replica.index != nullptr) {
      replica.index->Add(facts, id, appended->leaf_index);
    }
  }

  std::optional<v1::Derived> Derive(const v1::EpisodeFacts& facts,
                                    absl::Time as_of, size_t r = 0) {
    const EpisodeIndex& index = *replicas_.at(r).index;
    absl::Status synced = index.Sync();
    EXPECT_TRUE(synced.ok()) << synced;
    return index.Derive(facts, as_of);
  }

  std::unique_ptr<testing::StoreFactory> factory_;
  std::unique_ptr<ledger::LedgerStore> first_;
  testing::ScratchDir dir_;
  std::vector<Replica> replicas_;
  uint64_t next_leaf_ = 0;
};

TEST_P(EpisodeIndexConformanceTest, NothingWithoutAChildReference) {
  Record(Episode("", "2024-05-01T19:00:00Z"), "d-1");
  EXPECT_FALSE(
      Derive(Episode("", "2024-05-01T19:00:00Z"), At("2024-05-04T12:00:00Z"))
          .has_value());
  std::optional<v1::Derived> d = Derive(Episode("c-1", "2024-05-01T19:00:00Z"),
                                        At("2024-05-04T12:00:00Z"));
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->episodes_last_365_days(), 1);  // only this one
}

TEST_P(EpisodeIndexConformanceTest, CountsTheChildsEpisodesInEachWindow) {
  // Recorded out of order: the oldest last.
  Record(Episode("c-1", "2024-04-20T10:00:00Z"), "d-3");  // 11 days
  Record(Episode("c-1", "2024-03-01T10:00:00Z"), "d-2");  // 61 days
  Record(Episode("c-1", "2023-08-01T10:00:00Z"), "d-1");  // 274 days
  Record(Episode("c-1", "2022-08-01T10:00:00Z"), "d-0");  // > a year
  Record(Episode("c-2", "2024-04-30T10:00:00Z"), "d-4");  // other child
  std::optional<v1::Derived> d = Derive(Episode("c-1", "2024-05-01T19:00:00Z"),
                                        At("2024-05-04T12:00:00Z"));
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->episodes_last_30_days(), 2);  // this one included
  EXPECT_EQ(d->episodes_last_90_days(), 3);
  EXPECT_EQ(d->episodes_last_365_days(), 4);
  EXPECT_EQ(d->days_since_last_episode(), 11);
  ASSERT_EQ(d->earlier_episodes_size(), 3);
  EXPECT_EQ(d->earlier_episodes(0).decision_id(), "d-3");  // newest first
  EXPECT_EQ(d->earlier_episodes(2).decision_id(), "d-1");
}

TEST_P(EpisodeIndexConformanceTest, NoEarlierEpisodeLeavesDaysSinceUnset) {
  std::optional<v1::Derived> d = Derive(Episode("c-1", "2024-05-01T19:00:00Z"),
                                        At("2024-05-04T12:00:00Z"));
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->episodes_last_90_days(), 1);
  EXPECT_FALSE(d->has_days_since_last_episode());
}

TEST_P(EpisodeIndexConformanceTest, ThisEpisodesOwnEntryIsNotCounted) {
  Record(Episode("c-1", "2024-05-01T19:00:00Z", "ep-1"), "d-1");
  std::optional<v1::Derived> d =
      Derive(Episode("c-1", "2024-05-01T19:00:00Z", "ep-1"),
             At("2024-05-04T12:00:00Z"));
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->episodes_last_30_days(), 1);
  EXPECT_EQ(d->earlier_episodes_size(), 0);
}

TEST_P(EpisodeIndexConformanceTest, RetriesAndUpdatesOfOneEpisodeCountOnce) {
  // The same episode (no episode reference: same reported_at) twice.
  Record(Episode("c-1", "2024-04-20T10:00:00Z"), "d-1");
  Record(Episode("c-1", "2024-04-20T10:00:00Z"), "d-2");
  // An episode with a reference, updated with a corrected report time.
  Record(Episode("c-1", "2024-04-25T10:00:00Z", "ep-7"), "d-3");
  Record(Episode("c-1", "2024-04-26T10:00:00Z", "ep-7"), "d-5");
  std::optional<v1::Derived> d = Derive(Episode("c-1", "2024-05-01T19:00:00Z"),
                                        At("2024-05-04T12:00:00Z"));
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->episodes_last_30_days(), 3);
  ASSERT_EQ(d->earlier_episodes_size(), 2);
  EXPECT_EQ(d->earlier_episodes(0).decision_id(), "d-5");
  EXPECT_EQ(d->earlier_episodes(1).decision_id(), "d-2");
}

TEST_P(EpisodeIndexConformanceTest, AsOfInThePastIgnoresLaterEpisodes) {
  Record(Episode("c-1", "2024-04-01T10:00:00Z"), "d-1");
  Record(Episode("c-1", "2024-04-20T10:00:00Z"), "d-2");
  v1::EpisodeFacts a = Episode("c-2", "2024-04-20T11:00:00Z");
  FoundAt(a, "p-1");
  Record(a, "d-3");
  v1::EpisodeFacts now = Episode("c-1", "2024-04-10T00:00:00Z");
  now.mutable_episode()->clear_reported_at();
  now.mutable_episode()->clear_found_at();
  FoundAt(now, "p-1");
  std::optional<v1::Derived> d = Derive(now, At("2024-04-10T00:00:00Z"));
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->episodes_last_30_days(), 2);
  ASSERT_EQ(d->earlier_episodes_size(), 1);
  EXPECT_EQ(d->earlier_episodes(0).decision_id(), "d-1");
  EXPECT_EQ(d->found_place().other_children_last_365_days(), 0);
  EXPECT_EQ(d->linked_children_size(), 0);
}

TEST_P(EpisodeIndexConformanceTest, LinksChildrenFoundTogetherOrAtOnePlace) {
  v1::EpisodeFacts a = Episode("c-a", "2024-05-01T19:00:00Z");
  FoundAt(a, "p-1");
  With(a, "c-b", v1::Associate::PEER);
  Record(a, "d-a");
  v1::EpisodeFacts b = Episode("c-b", "2024-05-01T19:30:00Z");
  FoundAt(b, "p-1");
  Record(b, "d-b");
  v1::EpisodeFacts far = Episode("c-x", "2024-03-01T19:30:00Z");
  FoundAt(far, "p-1");
  Record(far, "d-x");
  v1::EpisodeFacts c = Episode("c-c", "2024-05-01T20:00:00Z");
  FoundAt(c, "p-1");
  std::optional<v1::Derived> d = Derive(c, At("2024-05-04T12:00:00Z"));
  ASSERT_TRUE(d.has_value());
  ASSERT_EQ(d->linked_children_size(), 2);
  EXPECT_EQ(d->linked_children(0).decision_id(), "d-b");
  EXPECT_TRUE(d->linked_children(0).same_place());
  EXPECT_EQ(d->found_place().other_children_last_365_days(), 3);
  std::optional<v1::Derived> db = Derive(b, At("2024-05-04T12:00:00Z"));
  ASSERT_TRUE(db.has_value());
  ASSERT_GE(db->linked_children_size(), 1);
  EXPECT_EQ(db->linked_children(0).child_reference(), "c-a");
  EXPECT_TRUE(db->linked_children(0).found_with());
}

TEST_P(EpisodeIndexConformanceTest, FamilyIsNotAPeerGroup) {
  v1::EpisodeFacts sister = Episode("c-s", "2024-05-01T19:00:00Z");
  With(sister, "c-1", v1::Associate::FAMILY_MEMBER);
  Record(sister, "d-s");
  v1::EpisodeFacts me = Episode("c-1", "2024-05-01T19:10:00Z");
  std::optional<v1::Derived> d = Derive(me, At("2024-05-04T12:00:00Z"));
  ASSERT_TRUE(d.has_value());
  ASSERT_EQ(d->linked_children_size(), 1);
  EXPECT_TRUE(d->linked_children(0).family());
}

TEST_P(EpisodeIndexConformanceTest, CountsTheChildrenAnAdultWasWith) {
  for (int i = 0; i < 3; ++i) {
    v1::EpisodeFacts f = Episode(
        absl::StrCat("c-", i), absl::StrCat("2024-0", i + 1, "-10T19:00:00Z"));
    With(f, "adult-1", v1::Associate::UNKNOWN_ADULT);
    Record(f, absl::StrCat("d-", i));
  }
  v1::EpisodeFacts me = Episode("c-9", "2024-05-01T19:00:00Z");
  With(me, "adult-1", v1::Associate::UNKNOWN_ADULT);
  std::optional<v1::Derived> d = Derive(me, At("2024-05-04T12:00:00Z"));
  ASSERT_TRUE(d.has_value());
  ASSERT_EQ(d->associates_size(), 1);
  EXPECT_EQ(d->associates(0).other_children_last_365_days(), 3);
  EXPECT_EQ(d->associates(0).other_children_last_90_days(), 2);
  EXPECT_EQ(d->associates(0).children(0).decision_id(), "d-2");
}

TEST_P(EpisodeIndexConformanceTest, LinksChildrenWhoKnowTheSameAdult) {
  // Three children of three homes whose families name the same adult among
  // the people they spend time with, months apart; a fourth was found with
  // him.
  for (int i = 0; i < 3; ++i) {
    v1::EpisodeFacts f = Episode(
        absl::StrCat("c-", i), absl::StrCat("2023-0", i + 6, "-10T19:00:00Z"));
    KnownAssociate(f, "adult-7", v1::Associate::UNKNOWN_ADULT);
    Record(f, absl::StrCat("d-", i));
  }
  v1::EpisodeFacts found = Episode("c-3", "2024-04-20T19:00:00Z");
  With(found, "adult-7", v1::Associate::UNKNOWN_ADULT);
  Record(found, "d-3");
  // A child who used to name him no longer does: the update replaces.
  v1::EpisodeFacts first = Episode("c-0", "2023-06-10T19:00:00Z");
  Record(first, "d-0b");

  v1::EpisodeFacts me = Episode("c-9", "2024-05-01T19:00:00Z");
  KnownAssociate(me, "adult-7", v1::Associate::UNKNOWN_ADULT);
  KnownAssociate(me, "adult-7", v1::Associate::UNKNOWN_ADULT);  // once
  std::optional<v1::Derived> d = Derive(me, At("2024-05-04T12:00:00Z"));
  ASSERT_TRUE(d.has_value());
  ASSERT_EQ(d->known_associates_size(), 1);
  const v1::LinkedPerson& adult = d->known_associates(0);
  EXPECT_EQ(adult.reference(), "adult-7");
  EXPECT_EQ(adult.relationship(), v1::Associate::UNKNOWN_ADULT);
  EXPECT_EQ(adult.other_children_last_365_days(), 3);  // c-1, c-2, c-3
  EXPECT_EQ(adult.other_children_last_90_days(), 1);   // c-3
  std::set<std::string> children;
  for (const v1::LinkedEpisode& e : adult.children()) {
    children.insert(e.decision_id());
  }
  EXPECT_EQ(children, (std::set<std::string>{"d-1", "d-2", "d-3"}));
  // Not together in time, and not found with anyone: no linked child, no
  // associate.
  EXPECT_EQ(d->linked_children_size(), 0);
  EXPECT_EQ(d->associates_size(), 0);

  // A child found with him counts the children who know him too.
  v1::EpisodeFacts with = Episode("c-8", "2024-05-01T19:00:00Z");
  With(with, "adult-7", v1::Associate::UNKNOWN_ADULT);
  std::optional<v1::Derived> dw = Derive(with, At("2024-05-04T12:00:00Z"));
  ASSERT_TRUE(dw.has_value());
  ASSERT_EQ(dw->associates_size(), 1);
  EXPECT_EQ(dw->associates(0).other_children_last_365_days(), 3);
  EXPECT_EQ(dw->known_associates_size(), 0);

  std::set<std::string> linked;
  for (const EpisodeIndex::LinkedDecision& l : replicas_.at(0).index->LinkedTo(
           EpisodeIndex::LinkKind::kPerson, "adult-7")) {
    linked.insert(l.decision_id);
  }
  EXPECT_EQ(linked, (std::set<std::string>{"d-1", "d-2", "d-3"}));
}

TEST_P(EpisodeIndexConformanceTest, SurvivesARestart) {
  if (!stored()) GTEST_SKIP() << "a memory index keeps nothing";
  v1::EpisodeFacts a = Episode("c-1", "2024-04-20T10:00:00Z", "ep-1");
  FoundAt(a, "p-1");
  Record(a, "d-1");
  Record(Episode("c-1", "2024-04-21T10:00:00Z", "ep-1"), "d-2");  // update
  Record(Episode("c-1", "2024-03-01T10:00:00Z"), "d-3");
  v1::EpisodeFacts known = Episode("c-2", "2024-02-01T10:00:00Z");
  KnownAssociate(known, "adult-3", v1::Associate::PARTNER);
  Record(known, "d-4");
  v1::EpisodeFacts now = Episode("c-1", "2024-05-01T19:00:00Z");
  FoundAt(now, "p-1");
  KnownAssociate(now, "adult-3", v1::Associate::PARTNER);
  const std::optional<v1::Derived> before =
      Derive(now, At("2024-05-04T12:00:00Z"));
  ASSERT_TRUE(before.has_value());
  EXPECT_EQ(before->episodes_last_90_days(), 3);
  ASSERT_EQ(before->known_associates_size(), 1);
  EXPECT_EQ(before->known_associates(0).other_children_last_365_days(), 1);
  Restart();
  const std::optional<v1::Derived> after =
      Derive(now, At("2024-05-04T12:00:00Z"));
  ASSERT_TRUE(after.has_value());
  EXPECT_TRUE(MessageDifferencer::Equals(*before, *after))
      << before->DebugString() << "\n"
      << after->DebugString();
}

TEST_P(EpisodeIndexConformanceTest, CatchesUpWithDecisionsRecordedWithoutIt) {
  if (!stored()) GTEST_SKIP() << "a memory index has no ledger";
  Record(Episode("c-1", "2024-04-20T10:00:00Z"), "d-1");
  // A replica without an index records (SQLite: the same process later,
  // with the index off).
  replicas_.at(0).index.reset();
  OpenReplica(/*with_index=*/false);
  Record(Episode("c-1", "2024-04-25T10:00:00Z"), "d-2", 1);
  Record(Episode("c-1", "2024-04-28T10:00:00Z"), "d-3", 1);
  Restart();
  std::optional<v1::Derived> d = Derive(Episode("c-1", "2024-05-01T19:00:00Z"),
                                        At("2024-05-04T12:00:00Z"));
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->episodes_last_30_days(), 4);
}

TEST_P(EpisodeIndexConformanceTest, ReplicasSeeEachOthersEpisodes) {
  if (!shared()) GTEST_SKIP() << "only a PostgreSQL ledger has replicas";
  OpenReplica(/*with_index=*/true);
  OpenReplica(/*with_index=*/true);
  // Three children found together, each recorded by another replica.
  for (int n = 0; n < 3; ++n) {
    v1::EpisodeFacts f =
        Episode(absl::StrCat("c-", n), "2024-05-01T19:00:00Z", "ep");
    FoundAt(f, "p-club");
    Record(f, absl::StrCat("d-", n), n);
  }
  // The same episode again on another replica (an update) replaces.
  v1::EpisodeFacts again = Episode("c-0", "2024-05-01T19:00:00Z", "ep");
  FoundAt(again, "p-club");
  Record(again, "d-0b", 2);
  for (size_t r = 0; r < 3; ++r) {
    v1::EpisodeFacts me = Episode("c-9", "2024-05-01T19:30:00Z");
    FoundAt(me, "p-club");
    std::optional<v1::Derived> d = Derive(me, At("2024-05-04T12:00:00Z"), r);
    ASSERT_TRUE(d.has_value());
    std::set<std::string> linked;
    for (const v1::LinkedChild& c : d->linked_children()) {
      linked.insert(c.decision_id());
    }
    EXPECT_EQ(linked, (std::set<std::string>{"d-0b", "d-1", "d-2"}))
        << "replica " << r;
    EXPECT_EQ(d->found_place().other_children_last_365_days(), 3);
    EXPECT_EQ(replicas_[r]
                  .index->LinkedTo(EpisodeIndex::LinkKind::kPlace, "p-club")
                  .size(),
              3u);
  }
  // A replica opened now loads the same, from the shared tables and the
  // ledger.
  Replica& late = OpenReplica(/*with_index=*/true);
  EXPECT_EQ(
      late.index->LinkedTo(EpisodeIndex::LinkKind::kPlace, "p-club").size(),
      3u);
}

INSTANTIATE_TEST_SUITE_P(Stores, EpisodeIndexConformanceTest,
                         ::testing::Values("memory", "sqlite", "postgresql"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

}  // namespace
}  // namespace lantern
