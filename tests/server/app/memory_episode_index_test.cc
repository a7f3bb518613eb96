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

// What every store does is in episode_index_conformance_test.cc; here only
// what the in-memory index adds: Insert says whether it changed the index.
TEST(MemoryEpisodeIndex, InsertSaysWhetherItChangedTheIndex) {
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

}  // namespace
}  // namespace lantern
