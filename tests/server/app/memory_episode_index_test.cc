// MemoryEpisodeIndex: what Derive says after Adds — repeat counts across
// windows, out-of-order arrival, retries and updates of one episode, as_of
// in the past, and links between children found together, at one place or
// with one adult (family excepted).
#include "server/app/memory_episode_index.h"

#include <string>

#include "absl/time/time.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"

namespace lantern {
namespace {

using google::protobuf::util::TimeUtil;

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

TEST(MemoryEpisodeIndex, NothingWithoutAChildReference) {
  MemoryEpisodeIndex index;
  EXPECT_FALSE(index
                   .Derive(Episode("", "2024-05-01T19:00:00Z"),
                           At("2024-05-04T12:00:00Z"))
                   .has_value());
  EXPECT_FALSE(index.Insert(Episode("", "2024-05-01T19:00:00Z"), "d-1", 0));
  EXPECT_EQ(index.size(), 0u);
}

TEST(MemoryEpisodeIndex, CountsTheChildsEpisodesInEachWindow) {
  MemoryEpisodeIndex index;
  // Added out of order: the oldest last.
  index.Add(Episode("c-1", "2024-04-20T10:00:00Z"), "d-3", 3);  // 11 days
  index.Add(Episode("c-1", "2024-03-01T10:00:00Z"), "d-2", 2);  // 61 days
  index.Add(Episode("c-1", "2023-08-01T10:00:00Z"), "d-1", 1);  // 274 days
  index.Add(Episode("c-1", "2022-08-01T10:00:00Z"), "d-0", 0);  // > a year
  index.Add(Episode("c-2", "2024-04-30T10:00:00Z"), "d-4", 4);  // other child
  std::optional<v1::Derived> d = index.Derive(
      Episode("c-1", "2024-05-01T19:00:00Z"), At("2024-05-04T12:00:00Z"));
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->episodes_last_30_days(), 2);  // this one included
  EXPECT_EQ(d->episodes_last_90_days(), 3);
  EXPECT_EQ(d->episodes_last_365_days(), 4);
  EXPECT_EQ(d->days_since_last_episode(), 11);
  ASSERT_EQ(d->earlier_episodes_size(), 3);
  EXPECT_EQ(d->earlier_episodes(0).decision_id(), "d-3");  // newest first
  EXPECT_EQ(d->earlier_episodes(2).decision_id(), "d-1");
  EXPECT_TRUE(d->earlier_episodes(0).has_found_at());
}

TEST(MemoryEpisodeIndex, NoEarlierEpisodeLeavesDaysSinceUnset) {
  MemoryEpisodeIndex index;
  std::optional<v1::Derived> d = index.Derive(
      Episode("c-1", "2024-05-01T19:00:00Z"), At("2024-05-04T12:00:00Z"));
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->episodes_last_90_days(), 1);
  EXPECT_FALSE(d->has_days_since_last_episode());
}

TEST(MemoryEpisodeIndex, RetriesAndUpdatesOfOneEpisodeCountOnce) {
  MemoryEpisodeIndex index;
  // The same episode (no episode reference: same reported_at) twice.
  EXPECT_TRUE(index.Insert(Episode("c-1", "2024-04-20T10:00:00Z"), "d-1", 1));
  EXPECT_TRUE(index.Insert(Episode("c-1", "2024-04-20T10:00:00Z"), "d-2", 2));
  // An episode with a reference, updated with a corrected report time; an
  // older decision arriving late changes nothing.
  EXPECT_TRUE(
      index.Insert(Episode("c-1", "2024-04-25T10:00:00Z", "ep-7"), "d-3", 3));
  EXPECT_TRUE(
      index.Insert(Episode("c-1", "2024-04-26T10:00:00Z", "ep-7"), "d-5", 5));
  EXPECT_FALSE(
      index.Insert(Episode("c-1", "2024-04-24T10:00:00Z", "ep-7"), "d-4", 4));
  EXPECT_EQ(index.size(), 2u);
  std::optional<v1::Derived> d = index.Derive(
      Episode("c-1", "2024-05-01T19:00:00Z"), At("2024-05-04T12:00:00Z"));
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->episodes_last_30_days(), 3);
  ASSERT_EQ(d->earlier_episodes_size(), 2);
  EXPECT_EQ(d->earlier_episodes(0).decision_id(), "d-5");
  EXPECT_EQ(d->earlier_episodes(1).decision_id(), "d-2");
}

TEST(MemoryEpisodeIndex, ThisEpisodesOwnEntryIsNotCounted) {
  MemoryEpisodeIndex index;
  index.Add(Episode("c-1", "2024-05-01T19:00:00Z", "ep-1"), "d-1", 1);
  std::optional<v1::Derived> d =
      index.Derive(Episode("c-1", "2024-05-01T19:00:00Z", "ep-1"),
                   At("2024-05-04T12:00:00Z"));
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->episodes_last_30_days(), 1);
  EXPECT_EQ(d->earlier_episodes_size(), 0);
}

TEST(MemoryEpisodeIndex, AsOfInThePastIgnoresLaterEpisodes) {
  MemoryEpisodeIndex index;
  index.Add(Episode("c-1", "2024-04-01T10:00:00Z"), "d-1", 1);
  index.Add(Episode("c-1", "2024-04-20T10:00:00Z"), "d-2", 2);
  v1::EpisodeFacts a = Episode("c-2", "2024-04-20T11:00:00Z");
  FoundAt(a, "p-1");
  index.Add(a, "d-3", 3);
  // An episode without reported_at is assessed as of 2024-04-10.
  v1::EpisodeFacts now = Episode("c-1", "2024-04-10T00:00:00Z");
  now.mutable_episode()->clear_reported_at();
  now.mutable_episode()->clear_found_at();
  FoundAt(now, "p-1");
  std::optional<v1::Derived> d = index.Derive(now, At("2024-04-10T00:00:00Z"));
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->episodes_last_30_days(), 2);
  ASSERT_EQ(d->earlier_episodes_size(), 1);
  EXPECT_EQ(d->earlier_episodes(0).decision_id(), "d-1");
  EXPECT_EQ(d->found_place().other_children_last_365_days(), 0);
  EXPECT_EQ(d->linked_children_size(), 0);
}

TEST(MemoryEpisodeIndex, LinksChildrenFoundTogetherOrAtOnePlace) {
  MemoryEpisodeIndex index;
  v1::EpisodeFacts a = Episode("c-a", "2024-05-01T19:00:00Z");
  FoundAt(a, "p-1");
  With(a, "c-b", v1::Associate::PEER);  // names the second child
  index.Add(a, "d-a", 1);
  v1::EpisodeFacts b = Episode("c-b", "2024-05-01T19:30:00Z");
  FoundAt(b, "p-1");
  index.Add(b, "d-b", 2);
  v1::EpisodeFacts far = Episode("c-x", "2024-03-01T19:30:00Z");  // no overlap
  FoundAt(far, "p-1");
  index.Add(far, "d-x", 3);

  v1::EpisodeFacts c = Episode("c-c", "2024-05-01T20:00:00Z");
  FoundAt(c, "p-1");
  std::optional<v1::Derived> d = index.Derive(c, At("2024-05-04T12:00:00Z"));
  ASSERT_TRUE(d.has_value());
  ASSERT_EQ(d->linked_children_size(), 2);
  EXPECT_EQ(d->linked_children(0).decision_id(), "d-b");  // newest first
  EXPECT_TRUE(d->linked_children(0).same_place());
  EXPECT_FALSE(d->linked_children(0).found_with());
  EXPECT_FALSE(d->linked_children(0).family());
  EXPECT_EQ(d->found_place().other_children_last_365_days(), 3);
  EXPECT_EQ(d->found_place().other_children_last_90_days(), 3);
  EXPECT_EQ(d->found_place().children_size(), 3);

  // The second child is linked to the first both ways: named by it, and
  // naming it.
  std::optional<v1::Derived> db = index.Derive(b, At("2024-05-04T12:00:00Z"));
  ASSERT_TRUE(db.has_value());
  ASSERT_GE(db->linked_children_size(), 1);
  EXPECT_EQ(db->linked_children(0).child_reference(), "c-a");
  EXPECT_TRUE(db->linked_children(0).found_with());
  EXPECT_TRUE(db->linked_children(0).same_place());
}

TEST(MemoryEpisodeIndex, FamilyIsNotAPeerGroup) {
  MemoryEpisodeIndex index;
  v1::EpisodeFacts sister = Episode("c-s", "2024-05-01T19:00:00Z");
  With(sister, "c-1", v1::Associate::FAMILY_MEMBER);
  index.Add(sister, "d-s", 1);
  v1::EpisodeFacts cousin = Episode("c-k", "2024-05-01T19:00:00Z");
  cousin.mutable_episode()->mutable_missing_from_place()->set_reference("home");
  FoundAt(cousin, "p-2");
  index.Add(cousin, "d-k", 2);

  v1::EpisodeFacts me = Episode("c-1", "2024-05-01T19:10:00Z");
  me.mutable_episode()->mutable_missing_from_place()->set_reference("home");
  FoundAt(me, "p-2");
  std::optional<v1::Derived> d = index.Derive(me, At("2024-05-04T12:00:00Z"));
  ASSERT_TRUE(d.has_value());
  ASSERT_EQ(d->linked_children_size(), 2);
  for (const v1::LinkedChild& c : d->linked_children()) {
    EXPECT_TRUE(c.family()) << c.child_reference();
  }
}

TEST(MemoryEpisodeIndex, CountsTheChildrenAnAdultWasWith) {
  MemoryEpisodeIndex index;
  for (int i = 0; i < 3; ++i) {
    v1::EpisodeFacts f =
        Episode("c-" + std::to_string(i),
                "2024-0" + std::to_string(i + 1) + "-10T19:00:00Z");
    With(f, "adult-1", v1::Associate::UNKNOWN_ADULT);
    index.Add(f, "d-" + std::to_string(i), i);
  }
  v1::EpisodeFacts me = Episode("c-9", "2024-05-01T19:00:00Z");
  With(me, "adult-1", v1::Associate::UNKNOWN_ADULT);
  With(me, "nobody-known", v1::Associate::PEER);
  std::optional<v1::Derived> d = index.Derive(me, At("2024-05-04T12:00:00Z"));
  ASSERT_TRUE(d.has_value());
  ASSERT_EQ(d->associates_size(), 2);
  EXPECT_EQ(d->associates(0).reference(), "adult-1");
  EXPECT_EQ(d->associates(0).relationship(), v1::Associate::UNKNOWN_ADULT);
  EXPECT_EQ(d->associates(0).other_children_last_365_days(), 3);
  EXPECT_EQ(d->associates(0).other_children_last_90_days(), 2);
  EXPECT_EQ(d->associates(0).children(0).decision_id(), "d-2");
  EXPECT_EQ(d->associates(1).other_children_last_365_days(), 0);
  // Not at the same time: no linked child.
  EXPECT_EQ(d->linked_children_size(), 0);
}

}  // namespace
}  // namespace lantern
