// Activations() reads activation records by the partial index
// activations_by_leaf (records(leaf_index) WHERE kind = 2), not by scanning
// every record — on SQLite and PostgreSQL — and a SQLite ledger written
// before the index existed gets it at its next open for writing, with the
// same activations read back. The plan is asked of each database with the
// query Activations() runs (EXPLAIN), since a scan and an index read return
// the same rows.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "server/ledger/ledger_store.h"
#include "server/ledger/merkle.h"
#include "server/ledger/postgres.h"
#include "server/ledger/sqlite.h"
#include "tests/testing/ledger_records.h"
#include "tests/testing/postgres_server.h"
#include "tests/testing/store_factories.h"

namespace lantern::ledger {
namespace {

using ::lantern::testing::PostgresStoreFactory;

// The statement Activations() runs, in both stores.
constexpr char kActivationsQuery[] =
    "SELECT leaf_index, kind, decision_id, client_request_id, time_micros, "
    "record, leaf_hash FROM records WHERE kind = 2 ORDER BY leaf_index";

StoredRecord Row(uint64_t leaf, RecordKind kind) {
  StoredRecord row;
  row.leaf_index = leaf;
  row.kind = kind;
  if (kind == RecordKind::kDecision) row.decision_id = absl::StrCat("d-", leaf);
  row.time_micros = 1000 + static_cast<int64_t>(leaf);
  row.record = absl::StrCat("record ", leaf);
  row.leaf_hash = std::string(HashBytes(LeafHash(row.record)));
  return row;
}

// 200 records, every 50th an activation (leaves 7, 57, 107, 157), the
// rest decisions and access records.
void WriteRecords(LedgerStore& store) {
  ASSERT_TRUE(store.Begin().ok());
  for (uint64_t i = 0; i < 200; ++i) {
    const RecordKind kind = i % 50 == 7  ? RecordKind::kActivation
                            : i % 2 == 0 ? RecordKind::kDecision
                                         : RecordKind::kAccess;
    ASSERT_TRUE(store.InsertRecord(Row(i, kind)).ok()) << i;
  }
  ASSERT_TRUE(store.Commit().ok());
}

std::vector<uint64_t> ActivationLeaves(LedgerStore& store) {
  absl::StatusOr<std::vector<StoredRecord>> rows = store.Activations();
  EXPECT_TRUE(rows.ok()) << rows.status();
  std::vector<uint64_t> leaves;
  if (!rows.ok()) return leaves;
  for (const StoredRecord& row : *rows) {
    EXPECT_EQ(row.kind, RecordKind::kActivation);
    EXPECT_EQ(row.record, absl::StrCat("record ", row.leaf_index));
    leaves.push_back(row.leaf_index);
  }
  return leaves;
}

const std::vector<uint64_t> kActivationLeaves = {7, 57, 107, 157};

std::string SqlitePlan(const std::string& path) {
  absl::StatusOr<std::unique_ptr<SqliteDb>> db =
      SqliteDb::Open(path, /*create=*/false, /*read_only=*/true);
  EXPECT_TRUE(db.ok()) << db.status();
  if (!db.ok()) return "";
  // EXPLAIN QUERY PLAN's last column is the step's text.
  absl::StatusOr<std::unique_ptr<SqliteStatement>> plan =
      (*db)->Prepare(absl::StrCat("EXPLAIN QUERY PLAN ", kActivationsQuery));
  EXPECT_TRUE(plan.ok()) << plan.status();
  if (!plan.ok()) return "";
  std::vector<std::string> steps;
  while (true) {
    absl::StatusOr<bool> row = (*plan)->Step();
    EXPECT_TRUE(row.ok()) << row.status();
    if (!row.ok() || !*row) break;
    steps.push_back((*plan)->Bytes(3));
  }
  return absl::StrJoin(steps, "; ");
}

TEST(ActivationIndexTest, SqliteReadsActivationsByTheIndex) {
  testing::ScratchDir dir;
  const std::string path = dir.File("ledger.db");
  {
    absl::StatusOr<std::unique_ptr<LedgerStore>> store =
        OpenLedgerStore(path, StoreAccess::kWrite);
    ASSERT_TRUE(store.ok()) << store.status();
    WriteRecords(**store);
    EXPECT_EQ(ActivationLeaves(**store), kActivationLeaves);
  }
  const std::string plan = SqlitePlan(path);
  EXPECT_TRUE(absl::StrContains(plan, "USING INDEX activations_by_leaf"))
      << plan;
}

TEST(ActivationIndexTest, AnOlderSqliteLedgerGetsTheIndexAtItsNextOpen) {
  testing::ScratchDir dir;
  const std::string path = dir.File("old.db");
  {
    absl::StatusOr<std::unique_ptr<LedgerStore>> store =
        OpenLedgerStore(path, StoreAccess::kWrite);
    ASSERT_TRUE(store.ok()) << store.status();
    WriteRecords(**store);
  }
  {
    // What a ledger written before the index holds: the same tables,
    // without it.
    absl::StatusOr<std::unique_ptr<SqliteDb>> db =
        SqliteDb::Open(path, /*create=*/false, /*read_only=*/false);
    ASSERT_TRUE(db.ok()) << db.status();
    ASSERT_TRUE((*db)->Exec("DROP INDEX activations_by_leaf").ok());
  }
  EXPECT_FALSE(absl::StrContains(SqlitePlan(path), "activations_by_leaf"));
  {
    // Read-only (`lantern ledger ...` commands) reads it as it is.
    absl::StatusOr<std::unique_ptr<LedgerStore>> reader =
        OpenLedgerStore(path, StoreAccess::kVerify);
    ASSERT_TRUE(reader.ok()) << reader.status();
    EXPECT_EQ(ActivationLeaves(**reader), kActivationLeaves);
  }
  EXPECT_FALSE(absl::StrContains(SqlitePlan(path), "activations_by_leaf"))
      << "a read-only open changed the file";
  {
    absl::StatusOr<std::unique_ptr<LedgerStore>> store =
        OpenLedgerStore(path, StoreAccess::kWrite);
    ASSERT_TRUE(store.ok()) << store.status();
    EXPECT_EQ(ActivationLeaves(**store), kActivationLeaves);
    // And it goes on taking records.
    ASSERT_TRUE((*store)->Begin().ok());
    ASSERT_TRUE((*store)->InsertRecord(Row(200, RecordKind::kActivation)).ok());
    ASSERT_TRUE((*store)->Commit().ok());
    std::vector<uint64_t> want = kActivationLeaves;
    want.push_back(200);
    EXPECT_EQ(ActivationLeaves(**store), want);
  }
  const std::string plan = SqlitePlan(path);
  EXPECT_TRUE(absl::StrContains(plan, "USING INDEX activations_by_leaf"))
      << plan;
}

TEST(ActivationIndexTest, PostgresqlReadsActivationsByTheIndex) {
  std::string why;
  testing::PostgresServer* server = PostgresStoreFactory::Server(&why);
  if (server == nullptr) {
    if (!testing::PostgresServer::Unavailable().empty()) GTEST_SKIP() << why;
    FAIL() << why;
  }
  const std::string uri = server->NewDatabase();
  ASSERT_FALSE(uri.empty());
  absl::StatusOr<std::unique_ptr<LedgerStore>> store =
      OpenLedgerStore(uri, StoreAccess::kWrite);
  ASSERT_TRUE(store.ok()) << store.status();
  WriteRecords(**store);
  EXPECT_EQ(ActivationLeaves(**store), kActivationLeaves);
  absl::StatusOr<std::unique_ptr<PgConnection>> db = PgConnection::Connect(uri);
  ASSERT_TRUE(db.ok()) << db.status();
  // With the table's statistics, as a ledger in use has them, and with a
  // sequential scan made as costly as it is on a large table.
  ASSERT_TRUE((*db)
                  ->ExecScript("ANALYZE records; SET enable_seqscan = off; "
                               "SET enable_sort = off")
                  .ok());
  absl::StatusOr<PgResult> plan =
      (*db)->Exec(absl::StrCat("EXPLAIN ", kActivationsQuery));
  ASSERT_TRUE(plan.ok()) << plan.status();
  std::string text;
  for (int i = 0; i < plan->rows(); ++i) {
    absl::StrAppend(&text, plan->Bytes(i, 0), "\n");
  }
  EXPECT_TRUE(absl::StrContains(text, "activations_by_leaf")) << text;
}

}  // namespace
}  // namespace lantern::ledger
