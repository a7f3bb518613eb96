// Tests server/ledger/ledger_store.h: one contract, run against every
// LedgerStore — SQLite, memory and PostgreSQL (a throw-away server from
// tests/testing/postgres_server.h; SKIPPED only when it is not installed).
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "server/ledger/ledger_store.h"
#include "server/ledger/memory_ledger_store.h"
#include "server/ledger/merkle.h"
#include "server/ledger/sqlite_ledger_store.h"
#include "tests/testing/ledger_records.h"
#include "tests/testing/store_factories.h"

namespace lantern::ledger {
namespace {

using ::lantern::testing::StoreFactory;

StoredRecord Decision(uint64_t leaf, const std::string& id,
                      const std::string& client_id, int64_t time) {
  StoredRecord row;
  row.leaf_index = leaf;
  row.kind = RecordKind::kDecision;
  row.decision_id = id;
  row.client_request_id = client_id;
  row.time_micros = time;
  row.record = absl::StrCat("record of ", id, std::string(1, '\0'), "end");
  row.leaf_hash = std::string(HashBytes(LeafHash(row.record)));
  return row;
}

StoredRecord Activation(uint64_t leaf, int64_t time) {
  StoredRecord row;
  row.leaf_index = leaf;
  row.kind = RecordKind::kActivation;
  row.time_micros = time;
  row.record = absl::StrCat("activation ", leaf);
  row.leaf_hash = std::string(HashBytes(LeafHash(row.record)));
  return row;
}

StoredRecord Access(uint64_t leaf, int64_t time) {
  StoredRecord row;
  row.leaf_index = leaf;
  row.kind = RecordKind::kAccess;
  row.time_micros = time;
  row.record = absl::StrCat("access ", leaf);
  row.leaf_hash = std::string(HashBytes(LeafHash(row.record)));
  return row;
}

SignedTreeHead Head(uint64_t size, int64_t micros) {
  SignedTreeHead sth;
  sth.head.tree_size = size;
  sth.head.timestamp = absl::FromUnixMicros(micros);
  sth.head.root = Sha256(absl::StrCat("root ", size));
  sth.signature = std::string(64, static_cast<char>(size));
  return sth;
}

void ExpectSameRecord(const std::optional<StoredRecord>& got,
                      const StoredRecord& want) {
  ASSERT_TRUE(got.has_value()) << "leaf " << want.leaf_index;
  EXPECT_EQ(got->leaf_index, want.leaf_index);
  EXPECT_EQ(got->kind, want.kind);
  EXPECT_EQ(got->decision_id, want.decision_id);
  EXPECT_EQ(got->client_request_id, want.client_request_id);
  EXPECT_EQ(got->time_micros, want.time_micros);
  EXPECT_EQ(got->record, want.record);
  EXPECT_EQ(got->leaf_hash, want.leaf_hash);
}

class LedgerStoreConformance : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    factory_ = testing::MakeStoreFactory(GetParam());
    if (std::string why = factory_->Unavailable(); !why.empty()) {
      GTEST_SKIP() << why;
    }
    absl::StatusOr<std::unique_ptr<LedgerStore>> store = factory_->NewLedger();
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }

  // Commits `rows` and `heads` in one transaction.
  void Write(const std::vector<StoredRecord>& rows,
             const std::vector<SignedTreeHead>& heads) {
    ASSERT_TRUE(store_->Begin().ok());
    for (const StoredRecord& row : rows) {
      ASSERT_TRUE(store_->InsertRecord(row).ok()) << row.leaf_index;
    }
    for (const SignedTreeHead& sth : heads) {
      ASSERT_TRUE(store_->InsertTreeHead(sth).ok());
    }
    ASSERT_TRUE(store_->Commit().ok());
  }

  std::unique_ptr<StoreFactory> factory_;
  std::unique_ptr<LedgerStore> store_;
};

TEST_P(LedgerStoreConformance, NewLedgerIsEmptyAndOfFormatOne) {
  EXPECT_EQ(*store_->Meta("format"), "1");
  EXPECT_EQ(*store_->Meta("public_key"), "");
  EXPECT_FALSE(store_->LatestTreeHead()->has_value());
  EXPECT_FALSE(store_->RecordAt(0)->has_value());
  EXPECT_TRUE(store_->Activations()->empty());
  int visited = 0;
  EXPECT_TRUE(store_
                  ->ForEachRecord([&](const StoredRecord&) {
                    ++visited;
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_EQ(visited, 0);
  EXPECT_TRUE(store_->IntegrityProblems()->empty());
}

TEST_P(LedgerStoreConformance, MetaKeepsBytesAndIsReplaced) {
  const std::string key(32, '\xff');
  ASSERT_TRUE(store_->SetMeta("public_key", std::string("a\0b", 3)).ok());
  EXPECT_EQ(*store_->Meta("public_key"), std::string("a\0b", 3));
  ASSERT_TRUE(store_->SetMeta("public_key", key).ok());
  EXPECT_EQ(*store_->Meta("public_key"), key);
}

TEST_P(LedgerStoreConformance, CommittedRowsReadBackByEveryKey) {
  const StoredRecord d0 = Decision(0, "d-0", "c-0", 100);
  const StoredRecord a1 = Activation(1, 150);
  const StoredRecord d2 = Decision(2, "d-2", "", 200);
  Write({d0, a1, d2}, {Head(0, 90), Head(3, 210)});
  ASSERT_TRUE(store_->InsertRuleSet("digest-1", std::string("blob\0", 5)).ok());

  ExpectSameRecord(*store_->RecordAt(0), d0);
  ExpectSameRecord(*store_->RecordAt(1), a1);
  ExpectSameRecord(*store_->FindByDecisionId("d-2"), d2);
  ExpectSameRecord(*store_->FindByClientRequestId("c-0"), d0);
  EXPECT_FALSE(store_->FindByDecisionId("d-9")->has_value());
  EXPECT_FALSE(store_->FindByClientRequestId("")->has_value());
  EXPECT_FALSE(store_->RecordAt(3)->has_value());

  std::vector<uint64_t> order;
  ASSERT_TRUE(store_
                  ->ForEachRecord([&](const StoredRecord& row) {
                    order.push_back(row.leaf_index);
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_EQ(order, (std::vector<uint64_t>{0, 1, 2}));

  std::vector<std::pair<uint64_t, std::string>> hashes;
  ASSERT_TRUE(store_
                  ->ForEachLeafHash(1,
                                    [&](uint64_t i, const std::string& h) {
                                      hashes.emplace_back(i, h);
                                      return absl::OkStatus();
                                    })
                  .ok());
  ASSERT_EQ(hashes.size(), 2u);
  EXPECT_EQ(hashes[0], std::make_pair(uint64_t{1}, a1.leaf_hash));
  EXPECT_EQ(hashes[1], std::make_pair(uint64_t{2}, d2.leaf_hash));

  std::optional<SignedTreeHead> latest = *store_->LatestTreeHead();
  ASSERT_TRUE(latest.has_value());
  EXPECT_EQ(latest->head.tree_size, 3u);
  EXPECT_EQ(latest->head.root, Head(3, 210).head.root);
  EXPECT_EQ(latest->head.timestamp, absl::FromUnixMicros(210));
  EXPECT_EQ(latest->signature, Head(3, 210).signature);
  std::vector<uint64_t> sizes;
  ASSERT_TRUE(store_
                  ->ForEachTreeHead([&](const SignedTreeHead& sth) {
                    sizes.push_back(sth.head.tree_size);
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_EQ(sizes, (std::vector<uint64_t>{0, 3}));

  std::vector<StoredRecord> activations = *store_->Activations();
  ASSERT_EQ(activations.size(), 1u);
  ExpectSameRecord(activations[0], a1);
  EXPECT_EQ(*store_->RuleSet("digest-1"), std::string("blob\0", 5));
  EXPECT_FALSE(store_->RuleSet("digest-2")->has_value());
}

TEST_P(LedgerStoreConformance, VisitStopsAtTheFirstError) {
  Write({Decision(0, "d-0", "", 1), Decision(1, "d-1", "", 2)}, {});
  int visited = 0;
  absl::Status s = store_->ForEachRecord([&](const StoredRecord&) {
    ++visited;
    return absl::CancelledError("enough");
  });
  EXPECT_TRUE(absl::IsCancelled(s)) << s;
  EXPECT_EQ(visited, 1);
}

TEST_P(LedgerStoreConformance, RolledBackRowsAreGone) {
  ASSERT_TRUE(store_->Begin().ok());
  ASSERT_TRUE(store_->InsertRecord(Decision(0, "d-0", "c-0", 1)).ok());
  ASSERT_TRUE(store_->InsertTreeHead(Head(1, 1)).ok());
  ASSERT_TRUE(store_->Rollback().ok());
  EXPECT_FALSE(store_->RecordAt(0)->has_value());
  EXPECT_FALSE(store_->FindByClientRequestId("c-0")->has_value());
  EXPECT_FALSE(store_->LatestTreeHead()->has_value());
  // And the keys are free again.
  Write({Decision(0, "d-0", "c-0", 1)}, {Head(1, 1)});
  EXPECT_TRUE(store_->RecordAt(0)->has_value());
}

TEST_P(LedgerStoreConformance,
       TakenIdsAreAlreadyExistsAndTheTransactionGoesOn) {
  Write({Decision(0, "d-0", "c-0", 1)}, {});
  ASSERT_TRUE(store_->Begin().ok());
  absl::Status same_decision = store_->InsertRecord(Decision(1, "d-0", "", 2));
  EXPECT_TRUE(absl::IsAlreadyExists(same_decision)) << same_decision;
  absl::Status same_client = store_->InsertRecord(Decision(1, "d-1", "c-0", 2));
  EXPECT_TRUE(absl::IsAlreadyExists(same_client)) << same_client;
  const StoredRecord d1 = Decision(1, "d-1", "c-1", 2);
  ASSERT_TRUE(store_->InsertRecord(d1).ok());
  ASSERT_TRUE(store_->Commit().ok());
  ExpectSameRecord(*store_->RecordAt(1), d1);
  EXPECT_FALSE(store_->RecordAt(2)->has_value());
}

TEST_P(LedgerStoreConformance, TakenLeafIsAborted) {
  Write({Decision(0, "d-0", "", 1)}, {});
  ASSERT_TRUE(store_->Begin().ok());
  absl::Status s = store_->InsertRecord(Decision(0, "d-1", "", 2));
  EXPECT_TRUE(absl::IsAborted(s)) << s;
  ASSERT_TRUE(store_->Rollback().ok());
  EXPECT_FALSE(store_->FindByDecisionId("d-1")->has_value());
}

TEST_P(LedgerStoreConformance, TreeHeadOfAStoredSizeIsAlreadyExists) {
  Write({}, {Head(0, 1)});
  ASSERT_TRUE(store_->Begin().ok());
  absl::Status s = store_->InsertTreeHead(Head(0, 2));
  EXPECT_TRUE(absl::IsAlreadyExists(s)) << s;
  ASSERT_TRUE(store_->Rollback().ok());
  EXPECT_EQ((*store_->LatestTreeHead())->head.timestamp,
            absl::FromUnixMicros(1));
}

TEST_P(LedgerStoreConformance, RuleSetIsStoredOnce) {
  ASSERT_TRUE(store_->InsertRuleSet("d", "first").ok());
  ASSERT_TRUE(store_->InsertRuleSet("d", "second").ok());
  EXPECT_EQ(*store_->RuleSet("d"), "first");
  int count = 0;
  ASSERT_TRUE(store_
                  ->ForEachRuleSet([&](const std::string&, const std::string&) {
                    ++count;
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_EQ(count, 1);
}

// Tree nodes (item 6 of issue 13): what a store keeps of the Merkle tree
// above the leaves, read back by (level, index) in the order asked, level 0
// being the records' leaf hashes.
TEST_P(LedgerStoreConformance, TreeNodesReadBackInTheOrderAskedWithLeaves) {
  std::vector<StoredRecord> rows;
  CompactRange range;
  std::vector<CompactRange::Node> nodes;
  for (uint64_t i = 0; i < 7; ++i) {
    rows.push_back(Access(i, 10 + i));
    range.Append(*HashFromBytes(rows.back().leaf_hash), &nodes);
  }
  ASSERT_EQ(nodes.size(), 4u);  // (1,0) (1,1) (2,0) (1,2)
  ASSERT_TRUE(store_->Begin().ok());
  for (const StoredRecord& row : rows) {
    ASSERT_TRUE(store_->InsertRecord(row).ok());
  }
  ASSERT_TRUE(store_->InsertTreeNodes(nodes).ok());
  ASSERT_TRUE(store_->Commit().ok());

  const std::vector<NodeId> ids = {{2, 0}, {0, 6}, {1, 2}, {0, 0}, {2, 0}};
  absl::StatusOr<std::vector<Hash>> got = store_->TreeNodes(ids);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->size(), ids.size());
  EXPECT_EQ((*got)[0], nodes[2].hash);
  EXPECT_EQ((*got)[1], *HashFromBytes(rows[6].leaf_hash));
  EXPECT_EQ((*got)[2], nodes[3].hash);
  EXPECT_EQ((*got)[3], *HashFromBytes(rows[0].leaf_hash));
  EXPECT_EQ((*got)[4], nodes[2].hash);
  // The stored frontier gives the root the appends gave.
  absl::StatusOr<std::vector<Hash>> frontier =
      store_->TreeNodes(FrontierNodes(7));
  ASSERT_TRUE(frontier.ok()) << frontier.status();
  EXPECT_EQ(CompactRange::FromFrontier(7, *frontier)->Root(), range.Root());
  // A reader sees them too.
  absl::StatusOr<std::unique_ptr<LedgerStore>> reader = store_->OpenReader();
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ(*(*reader)->TreeNodes({{1, 1}}), std::vector<Hash>{nodes[1].hash});
  EXPECT_TRUE((*reader)->TreeNodes({})->empty());
}

TEST_P(LedgerStoreConformance, AnAbsentTreeNodeIsNotFound) {
  Write({Access(0, 1)}, {});
  absl::Status node = store_->TreeNodes({{0, 0}, {1, 0}}).status();
  EXPECT_TRUE(absl::IsNotFound(node)) << node;
  absl::Status leaf = store_->TreeNodes({{0, 1}}).status();
  EXPECT_TRUE(absl::IsNotFound(leaf)) << leaf;
}

TEST_P(LedgerStoreConformance, TreeNodesRollBackAndAreWrittenOnce) {
  const CompactRange::Node node{{1, 0}, Sha256("node")};
  ASSERT_TRUE(store_->Begin().ok());
  ASSERT_TRUE(store_->InsertTreeNodes({node}).ok());
  ASSERT_TRUE(store_->Rollback().ok());
  EXPECT_TRUE(absl::IsNotFound(store_->TreeNodes({{1, 0}}).status()));

  ASSERT_TRUE(store_->Begin().ok());
  ASSERT_TRUE(store_->InsertTreeNodes({node}).ok());
  ASSERT_TRUE(store_->Commit().ok());
  ASSERT_TRUE(store_->Begin().ok());
  absl::Status again =
      store_->InsertTreeNodes({{{1, 0}, Sha256("another history")}});
  EXPECT_TRUE(absl::IsAlreadyExists(again)) << again;
  ASSERT_TRUE(store_->Rollback().ok());
  EXPECT_EQ(*store_->TreeNodes({{1, 0}}), std::vector<Hash>{node.hash});
}

TEST_P(LedgerStoreConformance, DecisionsBetweenPageByTimeThenLeaf) {
  // Leaves out of time order, an activation in between, equal times.
  Write({Decision(0, "d-0", "", 300), Decision(1, "d-1", "", 100),
         Activation(2, 150), Decision(3, "d-3", "", 100),
         Decision(4, "d-4", "", 200), Decision(5, "d-5", "", 400)},
        {});
  auto ids = [](const std::vector<StoredRecord>& rows) {
    std::vector<std::string> out;
    for (const StoredRecord& row : rows) out.push_back(row.decision_id);
    return out;
  };
  // [100, 400): d-1, d-3 (both at 100, by leaf), d-4, d-0.
  absl::StatusOr<std::vector<StoredRecord>> first =
      store_->DecisionsBetween(100, 400, INT64_MIN, -1, 2);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(ids(*first), (std::vector<std::string>{"d-1", "d-3"}));
  absl::StatusOr<std::vector<StoredRecord>> second =
      store_->DecisionsBetween(100, 400, 100, 3, 10);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(ids(*second), (std::vector<std::string>{"d-4", "d-0"}));
  // The cursor's leaf breaks ties at its time.
  EXPECT_EQ(ids(*store_->DecisionsBetween(100, 400, 100, 1, 10)),
            (std::vector<std::string>{"d-3", "d-4", "d-0"}));
}

TEST_P(LedgerStoreConformance, CountDecisionsBetweenCountsDecisionsOnly) {
  absl::StatusOr<DecisionCount> none = store_->CountDecisionsBetween(0, 1000);
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_EQ(none->count, 0u);
  EXPECT_EQ(none->last_leaf_index, -1);
  Write({Decision(0, "d-0", "", 300), Decision(1, "d-1", "", 100),
         Activation(2, 150), Access(3, 200), Decision(4, "d-4", "", 200),
         Decision(5, "d-5", "", 400)},
        {});
  // [100, 400): d-0, d-1, d-4; the largest leaf among them is 4.
  absl::StatusOr<DecisionCount> some = store_->CountDecisionsBetween(100, 400);
  ASSERT_TRUE(some.ok()) << some.status();
  EXPECT_EQ(some->count, 3u);
  EXPECT_EQ(some->last_leaf_index, 4);
  EXPECT_EQ(store_->CountDecisionsBetween(INT64_MIN, INT64_MAX)->count, 4u);
  EXPECT_EQ(
      store_->CountDecisionsBetween(INT64_MIN, INT64_MAX)->last_leaf_index, 5);
  EXPECT_EQ(store_->CountDecisionsBetween(101, 200)->count, 0u);
}

TEST_P(LedgerStoreConformance, AccessRecordsAfterPageByLeaf) {
  EXPECT_TRUE(store_->AccessRecordsAfter(-1, 10)->empty());
  // Access records among decisions and an activation, times out of order.
  Write({Access(0, 500), Decision(1, "d-1", "", 100), Access(2, 50),
         Activation(3, 150), Access(4, 400), Decision(5, "d-5", "", 200),
         Access(6, 300)},
        {});
  auto leaves = [](const std::vector<StoredRecord>& rows) {
    std::vector<uint64_t> out;
    for (const StoredRecord& row : rows) {
      EXPECT_EQ(row.kind, RecordKind::kAccess) << row.leaf_index;
      out.push_back(row.leaf_index);
    }
    return out;
  };
  absl::StatusOr<std::vector<StoredRecord>> first =
      store_->AccessRecordsAfter(-1, 2);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(leaves(*first), (std::vector<uint64_t>{0, 2}));
  ExpectSameRecord(first->front(), Access(0, 500));
  absl::StatusOr<std::vector<StoredRecord>> rest =
      store_->AccessRecordsAfter(2, 10);
  ASSERT_TRUE(rest.ok()) << rest.status();
  EXPECT_EQ(leaves(*rest), (std::vector<uint64_t>{4, 6}));
  // A cursor on a leaf that is not an access record; past the end.
  EXPECT_EQ(leaves(*store_->AccessRecordsAfter(3, 10)),
            (std::vector<uint64_t>{4, 6}));
  EXPECT_TRUE(store_->AccessRecordsAfter(6, 10)->empty());
  // Access records are neither decisions nor activations.
  EXPECT_EQ(store_->Activations()->size(), 1u);
  EXPECT_EQ(store_->DecisionsBetween(0, 1000, INT64_MIN, -1, 10)->size(), 2u);
}

TEST_P(LedgerStoreConformance, ReaderSeesOnlyWhatIsCommitted) {
  absl::StatusOr<std::unique_ptr<LedgerStore>> reader = store_->OpenReader();
  ASSERT_TRUE(reader.ok()) << reader.status();
  ASSERT_TRUE(store_->Begin().ok());
  ASSERT_TRUE(store_->InsertRecord(Decision(0, "d-0", "c-0", 1)).ok());
  ASSERT_TRUE(store_->InsertTreeHead(Head(1, 1)).ok());
  EXPECT_FALSE((*reader)->RecordAt(0)->has_value());
  EXPECT_FALSE((*reader)->FindByClientRequestId("c-0")->has_value());
  ASSERT_TRUE(store_->Commit().ok());
  EXPECT_TRUE((*reader)->RecordAt(0)->has_value());
  EXPECT_TRUE((*reader)->FindByClientRequestId("c-0")->has_value());
  EXPECT_EQ((*(*reader)->LatestTreeHead())->head.tree_size, 1u);
}

// Two writers of one ledger: the second's Begin returns only once the
// first's transaction has ended, so it reads what the first committed.
TEST_P(LedgerStoreConformance, OneWriteTransactionAtATime) {
  absl::StatusOr<std::unique_ptr<LedgerStore>> other = factory_->SameLedger();
  ASSERT_TRUE(other.ok()) << other.status();
  ASSERT_TRUE(store_->Begin().ok());
  std::atomic<bool> began{false};
  std::optional<StoredRecord> seen;
  absl::Status other_status;
  std::thread second([&] {
    other_status = (*other)->Begin();
    began = true;
    if (!other_status.ok()) return;
    absl::StatusOr<std::optional<StoredRecord>> at = (*other)->RecordAt(0);
    if (at.ok()) seen = *at;
    other_status = (*other)->Rollback();
  });
  ASSERT_TRUE(store_->InsertRecord(Decision(0, "d-0", "", 1)).ok());
  const bool began_before_commit = began;
  ASSERT_TRUE(store_->Commit().ok());
  second.join();
  EXPECT_FALSE(began_before_commit);
  EXPECT_TRUE(other_status.ok()) << other_status;
  EXPECT_TRUE(seen.has_value());
}

// A store that can be told wakes its waiters when an activation is
// committed (not when it is only written, nor for a decision); one that
// cannot only waits.
TEST_P(LedgerStoreConformance, CommittedActivationWakesAwaitActivation) {
  absl::StatusOr<std::unique_ptr<LedgerStore>> listener = store_->OpenReader();
  ASSERT_TRUE(listener.ok()) << listener.status();
  absl::StatusOr<bool> idle =
      (*listener)->AwaitActivation(absl::ZeroDuration());
  ASSERT_TRUE(idle.ok()) << idle.status();
  EXPECT_FALSE(*idle);
  if (!factory_->notifies()) return;
  Write({Decision(0, "d-0", "", 1)}, {});
  EXPECT_FALSE(*(*listener)->AwaitActivation(absl::ZeroDuration()));
  ASSERT_TRUE(store_->Begin().ok());
  ASSERT_TRUE(store_->InsertRecord(Activation(1, 2)).ok());
  ASSERT_TRUE(store_->Rollback().ok());
  EXPECT_FALSE(*(*listener)->AwaitActivation(absl::ZeroDuration()));
  std::thread commit([&] { Write({Activation(1, 2)}, {}); });
  // Bounded by a safety net only; it returns as soon as it is told.
  absl::StatusOr<bool> told = (*listener)->AwaitActivation(absl::Seconds(60));
  commit.join();
  ASSERT_TRUE(told.ok()) << told.status();
  EXPECT_TRUE(*told);
}

TEST(LedgerLocation, PostgresUrisAreTheirsEverythingElseAFile) {
  EXPECT_TRUE(IsPostgresLocation("postgresql://h/db"));
  EXPECT_TRUE(IsPostgresLocation("postgres:///db?host=/tmp/x"));
  EXPECT_FALSE(IsPostgresLocation("lantern-data/ledger.db"));
  EXPECT_FALSE(IsPostgresLocation("postgresql.db"));
}

TEST(LedgerLocation, ShownWithoutItsPassword) {
  EXPECT_EQ(LocationForDisplay("postgresql://u:secret@h:5/db"),
            "postgresql://u:***@h:5/db");
  EXPECT_EQ(LocationForDisplay("postgresql://u:p@ss@h/db"),
            "postgresql://u:***@h/db");
  EXPECT_EQ(
      LocationForDisplay("postgresql://u@h/db?password=xx&sslmode=require"),
      "postgresql://u@h/db?password=***&sslmode=require");
  EXPECT_EQ(LocationForDisplay("postgresql:///db?host=/tmp/x&user=p"),
            "postgresql:///db?host=/tmp/x&user=p");
  EXPECT_EQ(LocationForDisplay("a:b@c.db"), "a:b@c.db");  // a file
}

INSTANTIATE_TEST_SUITE_P(Stores, LedgerStoreConformance,
                         ::testing::ValuesIn(testing::StoreFactoryNames()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace lantern::ledger
