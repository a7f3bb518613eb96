// StoredEpisodeIndex over a real ledger in a scratch directory, fed by the
// DecisionRecorder as the server feeds it: recorded decisions are indexed,
// a retry answered from the ledger is not, the index survives a restart,
// and decisions recorded while no index was kept are indexed at the next
// open (catch-up from the ledger).
#include "server/app/stored_episode_index.h"

#include <memory>
#include <string>

#include "absl/synchronization/notification.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "server/app/decision_recorder.h"
#include "tests/testing/ledger_records.h"

namespace lantern {
namespace {

using ::google::protobuf::util::MessageDifferencer;
using ::lantern::testing::ScratchDir;
using ::lantern::testing::Stamp;

constexpr int64_t kMay1 = 1714590000;  // 2024-05-01T19:00:00Z

std::unique_ptr<ledger::Ledger> OpenLedger(const ScratchDir& dir) {
  ledger::LedgerOptions options;
  options.path = dir.File("ledger.db");
  absl::StatusOr<std::unique_ptr<ledger::Ledger>> ledger =
      ledger::Ledger::Open(options);
  EXPECT_TRUE(ledger.ok()) << ledger.status();
  return ledger.ok() ? *std::move(ledger) : nullptr;
}

std::unique_ptr<StoredEpisodeIndex> OpenIndex(const ScratchDir& dir,
                                              ledger::Ledger* ledger) {
  absl::StatusOr<std::unique_ptr<StoredEpisodeIndex>> index =
      StoredEpisodeIndex::Open(dir.File("ledger.db"), ledger,
                               [](const absl::Status& why) {
                                 ADD_FAILURE() << "write failed: " << why;
                               });
  EXPECT_TRUE(index.ok()) << index.status();
  return index.ok() ? *std::move(index) : nullptr;
}

// Child `child`'s episode reported `days_before` days before 1 May 2024,
// found at place `place`, under client request id `id`.
v1::AssessRequest Request(const std::string& child, int days_before,
                          const std::string& place, const std::string& id) {
  v1::AssessRequest request;
  v1::EpisodeFacts& f = *request.mutable_facts();
  f.mutable_child()->set_reference(child);
  f.mutable_episode()->set_status(v1::Episode::RETURNED);
  *f.mutable_episode()->mutable_reported_at() =
      Stamp(kMay1 - int64_t{86400} * days_before);
  *f.mutable_episode()->mutable_found_at() =
      Stamp(kMay1 - int64_t{86400} * days_before + 3600);
  f.mutable_episode()->mutable_found()->mutable_place()->set_reference(place);
  request.set_client_request_id(id);
  return request;
}

v1::Assessment Answer(const std::string& decision_id) {
  v1::Assessment a;
  a.set_decision_id(decision_id);
  a.mutable_ruleset()->set_digest("sha256:01");
  *a.mutable_evaluated_at() = Stamp(kMay1 + 86400);
  *a.mutable_as_of() = Stamp(kMay1 + 86400);
  return a;
}

absl::Status Record(DecisionRecorder& recorder, const v1::AssessRequest& r,
                    const std::string& decision_id) {
  v1::Assessment answer = Answer(decision_id);
  absl::Notification done;
  absl::Status outcome;
  recorder.Record(r, &answer, [&](absl::Status s) {
    outcome = s;
    done.Notify();
  });
  done.WaitForNotification();
  return outcome;
}

v1::Derived DeriveFor(const EpisodeIndex& index, const std::string& child) {
  std::optional<v1::Derived> d =
      index.Derive(Request(child, 0, "p-1", "").facts(),
                   absl::FromUnixSeconds(kMay1 + 86400));
  EXPECT_TRUE(d.has_value());
  return d.value_or(v1::Derived());
}

TEST(StoredEpisodeIndex, RecordedDecisionsAreIndexedOnceAndSurviveARestart) {
  ScratchDir dir;
  v1::Derived before;
  {
    std::unique_ptr<ledger::Ledger> ledger = OpenLedger(dir);
    std::unique_ptr<StoredEpisodeIndex> index = OpenIndex(dir, ledger.get());
    DecisionRecorder recorder(ledger.get(), nullptr, index.get());
    ASSERT_TRUE(Record(recorder, Request("c-1", 20, "p-9", "r1"), "d-1").ok());
    ASSERT_TRUE(Record(recorder, Request("c-1", 5, "p-1", "r2"), "d-2").ok());
    // A retry: answered from the ledger, not indexed again.
    ASSERT_TRUE(Record(recorder, Request("c-1", 5, "p-1", "r2"), "d-9").ok());
    ASSERT_TRUE(Record(recorder, Request("c-2", 0, "p-1", "r3"), "d-3").ok());
    EXPECT_EQ(index->size(), 3u);
    before = DeriveFor(*index, "c-1");
    EXPECT_EQ(before.episodes_last_30_days(), 3);
    ASSERT_EQ(before.earlier_episodes_size(), 2);
    EXPECT_EQ(before.found_place().other_children_last_365_days(), 1);
  }
  std::unique_ptr<ledger::Ledger> ledger = OpenLedger(dir);
  std::unique_ptr<StoredEpisodeIndex> index = OpenIndex(dir, ledger.get());
  EXPECT_EQ(index->size(), 3u);
  const v1::Derived after = DeriveFor(*index, "c-1");
  EXPECT_TRUE(MessageDifferencer::Equals(before, after))
      << before.DebugString() << "\n"
      << after.DebugString();
}

TEST(StoredEpisodeIndex, CatchesUpWithDecisionsRecordedWithoutIt) {
  ScratchDir dir;
  {
    std::unique_ptr<ledger::Ledger> ledger = OpenLedger(dir);
    DecisionRecorder recorder(ledger.get());  // no index
    ASSERT_TRUE(Record(recorder, Request("c-1", 40, "p-1", "r1"), "d-1").ok());
    ASSERT_TRUE(Record(recorder, Request("c-1", 10, "p-1", "r2"), "d-2").ok());
  }
  {
    std::unique_ptr<ledger::Ledger> ledger = OpenLedger(dir);
    std::unique_ptr<StoredEpisodeIndex> index = OpenIndex(dir, ledger.get());
    EXPECT_EQ(index->size(), 2u);
    DecisionRecorder recorder(ledger.get());  // again none
    ASSERT_TRUE(Record(recorder, Request("c-3", 1, "p-1", "r3"), "d-3").ok());
  }
  std::unique_ptr<ledger::Ledger> ledger = OpenLedger(dir);
  std::unique_ptr<StoredEpisodeIndex> index = OpenIndex(dir, ledger.get());
  EXPECT_EQ(index->size(), 3u);
  const v1::Derived d = DeriveFor(*index, "c-1");
  EXPECT_EQ(d.episodes_last_90_days(), 3);
  EXPECT_EQ(d.found_place().other_children_last_365_days(), 1);
}

}  // namespace
}  // namespace lantern
