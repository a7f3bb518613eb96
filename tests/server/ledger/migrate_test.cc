// Tests server/ledger/migrate.h (`lantern ledger migrate`, issue 13 item 7)
// from a SQLite ledger into a real, throw-away PostgreSQL: leaves, heads and
// signatures kept; the copy verifies and gives the same proofs; a replica on
// it appends heads consistent with the old ones; a non-empty target or a
// damaged source is refused with nothing written.
#include "server/ledger/migrate.h"

#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "server/ledger/ledger.h"
#include "server/ledger/sqlite.h"
#include "server/ledger/verifier.h"
#include "tests/testing/ledger_records.h"
#include "tests/testing/store_factories.h"

namespace lantern::ledger {
namespace {

using ::lantern::testing::PostgresStoreFactory;
using ::lantern::testing::SampleDecision;
using ::lantern::testing::ScratchDir;

class MigrateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string why = testing::PostgresServer::Unavailable();
        !why.empty()) {
      GTEST_SKIP() << why;
    }
    source_ = dir_.File("ledger.db");
    key_ = dir_.File("ledger.key");
    // A SQLite ledger with 57 records over many commits (many heads).
    LedgerOptions options;
    options.path = source_;
    options.key_path = key_;
    absl::StatusOr<std::unique_ptr<Ledger>> ledger = Ledger::Open(options);
    ASSERT_TRUE(ledger.ok()) << ledger.status();
    for (int i = 0; i < 57; ++i) {
      ASSERT_TRUE((*ledger)->AppendDecision(SampleDecision(i)).ok());
    }
    old_head_ = (*ledger)->LatestTreeHead();
    for (uint64_t i = 0; i < 57; i += 7) {
      old_proofs_.push_back(*(*ledger)->InclusionProof(i, 57));
    }
  }

  // A new, empty PostgreSQL database's URI.
  std::string NewDatabase() {
    std::string why;
    testing::PostgresServer* server = PostgresStoreFactory::Server(&why);
    EXPECT_NE(server, nullptr) << why;
    return server == nullptr ? "" : server->NewDatabase();
  }

  ScratchDir dir_;
  std::string source_;
  std::string key_;
  SignedTreeHead old_head_;
  std::vector<std::vector<Hash>> old_proofs_;
};

TEST_F(MigrateTest, TheCopyKeepsLeavesHeadsAndSignaturesAndGoesOnConsistently) {
  const std::string target = NewDatabase();
  std::ostringstream out, err;
  ASSERT_EQ(RunLedgerMigrate(source_, target, out, err), 0) << err.str();
  EXPECT_TRUE(absl::StrContains(out.str(), "ok: 57 records")) << out.str();

  // Every head, with its signature, is in the copy, and it verifies as a
  // whole (recomputed from its leaves).
  absl::StatusOr<std::unique_ptr<LedgerStore>> from =
      OpenLedgerStore(source_, StoreAccess::kVerify);
  absl::StatusOr<std::unique_ptr<LedgerStore>> to =
      OpenLedgerStore(target, StoreAccess::kVerify);
  ASSERT_TRUE(from.ok() && to.ok());
  std::vector<SignedTreeHead> heads_from, heads_to;
  ASSERT_TRUE((*from)
                  ->ForEachTreeHead([&](const SignedTreeHead& h) {
                    heads_from.push_back(h);
                    return absl::OkStatus();
                  })
                  .ok());
  ASSERT_TRUE((*to)
                  ->ForEachTreeHead([&](const SignedTreeHead& h) {
                    heads_to.push_back(h);
                    return absl::OkStatus();
                  })
                  .ok());
  ASSERT_EQ(heads_to.size(), heads_from.size());
  ASSERT_GT(heads_from.size(), 10u);
  for (size_t i = 0; i < heads_from.size(); ++i) {
    EXPECT_EQ(heads_to[i].head.tree_size, heads_from[i].head.tree_size);
    EXPECT_EQ(heads_to[i].head.root, heads_from[i].head.root);
    EXPECT_EQ(heads_to[i].head.timestamp, heads_from[i].head.timestamp);
    EXPECT_EQ(heads_to[i].signature, heads_from[i].signature);
  }
  for (uint64_t i = 0; i < 57; ++i) {
    absl::StatusOr<std::optional<StoredRecord>> a = (*from)->RecordAt(i);
    absl::StatusOr<std::optional<StoredRecord>> b = (*to)->RecordAt(i);
    ASSERT_TRUE(a.ok() && b.ok() && a->has_value() && b->has_value());
    EXPECT_EQ((*a)->record, (*b)->record);
    EXPECT_EQ((*a)->leaf_hash, (*b)->leaf_hash);
  }
  absl::StatusOr<VerifyReport> verified = VerifyLedger(target);
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_TRUE(verified->ok()) << verified->problems.front();
  EXPECT_EQ(verified->records, 57u);
  EXPECT_EQ(verified->root, old_head_.head.root);

  // A replica on the copy (same key) gives the old proofs, and its new
  // heads are consistent with the last one the SQLite ledger signed.
  LedgerOptions options;
  options.path = target;
  options.key_path = key_;
  std::vector<std::string> notes;
  options.note = [&](const std::string& line) { notes.push_back(line); };
  absl::StatusOr<std::unique_ptr<Ledger>> replica = Ledger::Open(options);
  ASSERT_TRUE(replica.ok()) << replica.status();
  EXPECT_TRUE(notes.empty());  // its tree nodes came with it
  size_t k = 0;
  for (uint64_t i = 0; i < 57; i += 7) {
    EXPECT_EQ(*(*replica)->InclusionProof(i, 57), old_proofs_[k++]) << i;
  }
  ASSERT_TRUE((*replica)->AppendDecision(SampleDecision(100)).ok());
  const SignedTreeHead new_head = (*replica)->LatestTreeHead();
  EXPECT_EQ(new_head.head.tree_size, 58u);
  absl::StatusOr<std::vector<Hash>> proof =
      (*replica)->ConsistencyProof(57, 58);
  ASSERT_TRUE(proof.ok()) << proof.status();
  EXPECT_TRUE(VerifyConsistency(57, 58, old_head_.head.root, new_head.head.root,
                                *proof));
}

TEST_F(MigrateTest, ANonEmptyTargetIsRefusedAndLeftAsItWas) {
  const std::string target = NewDatabase();
  ASSERT_TRUE(MigrateLedger(source_, target, nullptr).ok());
  absl::StatusOr<MigrateReport> again = MigrateLedger(source_, target, nullptr);
  EXPECT_TRUE(absl::IsFailedPrecondition(again.status())) << again.status();
  EXPECT_TRUE(absl::StrContains(again.status().message(), "not an empty"));
  std::ostringstream out, err;
  EXPECT_EQ(RunLedgerMigrate(source_, target, out, err), 1);
  EXPECT_TRUE(absl::StrContains(err.str(), "refusing")) << err.str();
  absl::StatusOr<VerifyReport> verified = VerifyLedger(target);
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_TRUE(verified->ok());
  EXPECT_EQ(verified->records, 57u);
}

TEST_F(MigrateTest, ADamagedSourceIsRefusedWithNothingWritten) {
  {
    absl::StatusOr<std::unique_ptr<SqliteDb>> db =
        SqliteDb::Open(source_, /*create=*/false, /*read_only=*/false);
    ASSERT_TRUE(db.ok()) << db.status();
    ASSERT_TRUE((*db)
                    ->Exec("UPDATE records SET record = record || x'00' "
                           "WHERE leaf_index = 30")
                    .ok());
  }
  const std::string target = NewDatabase();
  absl::StatusOr<MigrateReport> report =
      MigrateLedger(source_, target, nullptr);
  EXPECT_TRUE(absl::IsDataLoss(report.status())) << report.status();
  EXPECT_TRUE(absl::StrContains(report.status().message(), "record 30"))
      << report.status();
  absl::StatusOr<std::unique_ptr<LedgerStore>> to =
      OpenLedgerStore(target, StoreAccess::kVerify);
  ASSERT_TRUE(to.ok()) << to.status();
  EXPECT_FALSE((*to)->LatestTreeHead()->has_value());
  EXPECT_FALSE((*to)->RecordAt(0)->has_value());
  EXPECT_EQ(*(*to)->Meta("public_key"), "");
}

}  // namespace
}  // namespace lantern::ledger
