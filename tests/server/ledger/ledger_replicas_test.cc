// Tests server/ledger/ledger.h with several Ledgers (replicas) on one store,
// for every store (tests/testing/store_factories.h): each batch takes up
// the others' leaves and appends after them, so leaf indices are never
// given twice and every head extends the last; a client_request_id is
// answered with its first record whichever replica gets the retry; the
// whole ledger verifies.
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "server/ledger/ledger.h"
#include "server/ledger/verifier.h"
#include "tests/testing/ledger_records.h"
#include "tests/testing/store_factories.h"

namespace lantern::ledger {
namespace {

using ::lantern::testing::SampleDecision;
using ::lantern::testing::ScratchDir;

class LedgerReplicasTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    factory_ = testing::MakeStoreFactory(GetParam());
    if (std::string why = factory_->Unavailable(); !why.empty()) {
      GTEST_SKIP() << why;
    }
    absl::StatusOr<std::unique_ptr<LedgerStore>> first = factory_->NewLedger();
    ASSERT_TRUE(first.ok()) << first.status();
    first_ = *std::move(first);
  }

  // A replica: a Ledger on a store of the one ledger.
  std::unique_ptr<Ledger> OpenReplica() {
    absl::StatusOr<std::unique_ptr<LedgerStore>> store =
        first_ != nullptr ? std::move(first_) : factory_->SameLedger();
    EXPECT_TRUE(store.ok()) << store.status();
    if (!store.ok()) return nullptr;
    LedgerOptions options;
    options.path =
        factory_->location().empty() ? "memory" : factory_->location();
    options.key_path = dir_.File("ledger.key");
    absl::StatusOr<std::unique_ptr<Ledger>> ledger =
        Ledger::Open(options, *std::move(store));
    EXPECT_TRUE(ledger.ok()) << ledger.status();
    return ledger.ok() ? *std::move(ledger) : nullptr;
  }

  std::unique_ptr<testing::StoreFactory> factory_;
  std::unique_ptr<LedgerStore> first_;
  ScratchDir dir_;
};

TEST_P(LedgerReplicasTest, AppendsInterleaveIntoOneTree) {
  std::unique_ptr<Ledger> a = OpenReplica();
  std::unique_ptr<Ledger> b = OpenReplica();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(a->public_key(), b->public_key());
  absl::StatusOr<AppendedDecision> d0 = a->AppendDecision(SampleDecision(0));
  absl::StatusOr<AppendedDecision> d1 = b->AppendDecision(SampleDecision(1));
  absl::StatusOr<AppendedDecision> d2 = a->AppendDecision(SampleDecision(2));
  ASSERT_TRUE(d0.ok() && d1.ok() && d2.ok());
  EXPECT_EQ(d0->leaf_index, 0u);
  EXPECT_EQ(d1->leaf_index, 1u);
  EXPECT_EQ(d2->leaf_index, 2u);
  // b's head covered a's first record; a's next head extends b's.
  const SignedTreeHead head = a->LatestTreeHead();
  EXPECT_EQ(head.head.tree_size, 3u);
  absl::StatusOr<std::vector<Hash>> proof = a->ConsistencyProof(2, 3);
  ASSERT_TRUE(proof.ok()) << proof.status();
  EXPECT_TRUE(VerifyConsistency(2, 3, b->LatestTreeHead().head.root,
                                head.head.root, *proof));
  // A replica opened now starts from that head; b reads a's decisions.
  std::unique_ptr<Ledger> c = OpenReplica();
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->LatestTreeHead().head.root, head.head.root);
  EXPECT_TRUE(b->GetDecision(SampleDecision(2).decision_id()).ok());
}

TEST_P(LedgerReplicasTest, ARetryOnAnotherReplicaGetsTheFirstRecord) {
  std::unique_ptr<Ledger> a = OpenReplica();
  std::unique_ptr<Ledger> b = OpenReplica();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  v1::DecisionRecord first = SampleDecision(0);
  first.set_client_request_id("retry-me");
  v1::DecisionRecord retry = SampleDecision(1);
  retry.set_client_request_id("retry-me");
  absl::StatusOr<AppendedDecision> on_a = a->AppendDecision(first);
  ASSERT_TRUE(on_a.ok()) << on_a.status();
  absl::StatusOr<AppendedDecision> on_b = b->AppendDecision(retry);
  ASSERT_TRUE(on_b.ok()) << on_b.status();
  EXPECT_TRUE(on_b->duplicate);
  EXPECT_EQ(on_b->leaf_index, on_a->leaf_index);
  EXPECT_EQ(on_b->record.decision_id(), first.decision_id());
  // The asynchronous path (the service's) finds it in the transaction.
  absl::Notification done;
  absl::StatusOr<AppendedDecision> async;
  b->AppendDecisionAsync(retry, [&](absl::StatusOr<AppendedDecision> r) {
    async = std::move(r);
    done.Notify();
  });
  done.WaitForNotification();
  ASSERT_TRUE(async.ok()) << async.status();
  EXPECT_TRUE(async->duplicate);
  EXPECT_EQ(async->record.decision_id(), first.decision_id());
}

TEST_P(LedgerReplicasTest, ConcurrentReplicasNeverShareALeaf) {
  constexpr int kPerReplica = 40;
  std::vector<std::unique_ptr<Ledger>> replicas;
  for (int i = 0; i < 3; ++i) {
    replicas.push_back(OpenReplica());
    ASSERT_NE(replicas.back(), nullptr);
  }
  std::vector<std::thread> threads;
  std::vector<std::vector<uint64_t>> leaves(replicas.size());
  for (size_t r = 0; r < replicas.size(); ++r) {
    threads.emplace_back([&, r] {
      for (int i = 0; i < kPerReplica; ++i) {
        absl::StatusOr<AppendedDecision> a = replicas[r]->AppendDecision(
            SampleDecision(static_cast<int>(r) * 1000 + i));
        EXPECT_TRUE(a.ok()) << a.status();
        if (a.ok()) leaves[r].push_back(a->leaf_index);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  std::set<uint64_t> all;
  for (const auto& l : leaves) all.insert(l.begin(), l.end());
  EXPECT_EQ(all.size(), replicas.size() * kPerReplica);
  EXPECT_EQ(*all.rbegin(), replicas.size() * kPerReplica - 1);
  if (!factory_->location().empty()) {
    absl::StatusOr<VerifyReport> report = VerifyLedger(factory_->location());
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_TRUE(report->ok()) << report->problems.front();
    EXPECT_EQ(report->decisions, replicas.size() * kPerReplica);
  }
}

INSTANTIATE_TEST_SUITE_P(Stores, LedgerReplicasTest,
                         ::testing::ValuesIn(testing::StoreFactoryNames()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace lantern::ledger
