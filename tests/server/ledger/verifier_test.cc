// Tests server/ledger/verifier.h: a ledger written by Ledger verifies; one
// byte altered in a record, a stored leaf hash, a tree head or a ruleset,
// or a record dropped, is reported with the exact record or tree head named
// first.
#include "server/ledger/verifier.h"

#include <sstream>

#include "absl/strings/str_cat.h"
#include "engine/ruleset/ruleset_digest.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/ledger/ledger.h"
#include "server/ledger/record_codec.h"
#include "server/ledger/sqlite.h"
#include "tests/testing/ledger_records.h"

namespace lantern::ledger {
namespace {

using ::lantern::testing::ManualClock;
using ::lantern::testing::SampleDecision;
using ::lantern::testing::ScratchDir;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr int kDecisions = 20;

class VerifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    LedgerOptions options;
    options.path = path_;
    options.clock = [this] { return clock_.Now(); };
    std::unique_ptr<Ledger> ledger = *Ledger::Open(options);
    const std::vector<SourceFile> files = {{"manifest.yaml", "id: x\n"}};
    v1::ActivationRecord activation;
    activation.set_ruleset_digest(RulesetDigest(files));
    ASSERT_TRUE(ledger->AppendActivation(activation, files).ok());
    // One at a time: a signed head at every size from 0 to 21.
    for (int i = 1; i <= kDecisions; ++i) {
      clock_.Advance(absl::Seconds(1));
      ASSERT_TRUE(ledger->AppendDecision(SampleDecision(i)).ok());
    }
    root_ = ledger->LatestTreeHead().head.root;
    db_ = *SqliteDb::Open(path_, false, false);
  }

  // Runs the command; returns its exit code and fills out_.
  int Verify() {
    std::ostringstream out, err;
    const int code = RunLedgerVerify(path_, out, err);
    out_ = out.str();
    err_ = err.str();
    return code;
  }

  std::string Column(const std::string& sql) {
    std::unique_ptr<SqliteStatement> s = *db_->Prepare(sql);
    EXPECT_TRUE(*s->Step());
    return s->Bytes(0);
  }
  void SetColumn(const std::string& sql, const std::string& value) {
    std::unique_ptr<SqliteStatement> s = *db_->Prepare(sql);
    ASSERT_TRUE(s->BindBlob(1, value).Run().ok());
  }
  void FlipByte(const std::string& table, const std::string& column,
                const std::string& where, size_t at) {
    std::string value =
        Column(absl::StrCat("SELECT ", column, " FROM ", table, " ", where));
    ASSERT_LT(at, value.size());
    value[at] ^= 0x20;
    SetColumn(absl::StrCat("UPDATE ", table, " SET ", column, " = ?1 ", where),
              value);
  }

  ScratchDir dir_;
  const std::string path_ = dir_.File("audit.db");
  ManualClock clock_;
  Hash root_;
  std::unique_ptr<SqliteDb> db_;
  std::string out_, err_;
};

TEST_F(VerifierTest, AnUntouchedLedgerVerifies) {
  EXPECT_EQ(Verify(), 0) << out_ << err_;
  EXPECT_THAT(
      out_,
      StartsWith(
          "ok: 21 records (20 decisions, 1 activations, 0 access records), "
          "22 signed tree heads, 1 rulesets\n"));
  EXPECT_THAT(out_, HasSubstr("root: " + HashToHex(root_) + " (tree size 21)"));
}

TEST_F(VerifierTest, NamesARecordWithOneByteAltered) {
  FlipByte("records", "record", "WHERE leaf_index = 7", 40);
  EXPECT_EQ(Verify(), 1);
  EXPECT_THAT(out_, StartsWith("FAIL: record 7 (decision d-7): its bytes do "
                               "not match its stored leaf hash\n"));
}

TEST_F(VerifierTest, NamesARecordWhoseStoredLeafHashIsAltered) {
  FlipByte("records", "leaf_hash", "WHERE leaf_index = 12", 5);
  EXPECT_EQ(Verify(), 1);
  EXPECT_THAT(out_, StartsWith("FAIL: record 12 (decision d-12): its bytes do "
                               "not match its stored leaf hash\n"));
}

TEST_F(VerifierTest, ARecordRewrittenWithItsLeafHashFailsItsTreeHead) {
  v1::LedgerRecord record =
      *DecodeRecord(Column("SELECT record FROM records WHERE leaf_index = 9"));
  record.mutable_decision()->mutable_assessment()->mutable_grade()->set_grade(
      v1::VERY_LOW);
  const std::string forged = EncodeCanonical(record);
  SetColumn("UPDATE records SET record = ?1 WHERE leaf_index = 9", forged);
  SetColumn("UPDATE records SET leaf_hash = ?1 WHERE leaf_index = 9",
            std::string(HashBytes(LeafHash(forged))));
  EXPECT_EQ(Verify(), 1);
  EXPECT_THAT(out_, StartsWith("FAIL: tree head at size 10 ("));
  EXPECT_THAT(out_, HasSubstr("): its signed root does not match the records; "
                              "one of records 9..9 was altered\n"));
}

TEST_F(VerifierTest, NamesATreeHeadWithAnAlteredRootOrSignature) {
  FlipByte("tree_heads", "root_hash", "WHERE tree_size = 15", 0);
  EXPECT_EQ(Verify(), 1);
  EXPECT_THAT(out_, StartsWith("FAIL: tree head at size 15 ("));
  EXPECT_THAT(out_, HasSubstr("): signature does not verify\n"));

  FlipByte("tree_heads", "root_hash", "WHERE tree_size = 15", 0);  // undo
  FlipByte("tree_heads", "signature", "WHERE tree_size = 4", 63);
  EXPECT_EQ(Verify(), 1);
  EXPECT_THAT(out_, StartsWith("FAIL: tree head at size 4 ("));
  EXPECT_THAT(out_, HasSubstr("): signature does not verify\n"));
}

TEST_F(VerifierTest, FindsDroppedRecords) {
  ASSERT_TRUE(db_->Exec("DELETE FROM records WHERE leaf_index = 20").ok());
  EXPECT_EQ(Verify(), 1);
  EXPECT_THAT(out_, StartsWith("FAIL: tree head at size 21 ("));
  EXPECT_THAT(out_, HasSubstr("covers more records than the 20 stored"));

  ASSERT_TRUE(db_->Exec("DELETE FROM records WHERE leaf_index = 3").ok());
  EXPECT_EQ(Verify(), 1);
  EXPECT_THAT(out_,
              StartsWith("FAIL: record 3 is missing (next stored is 4)\n"));
}

TEST_F(VerifierTest, FindsARecordAppendedWithoutATreeHead) {
  ASSERT_TRUE(db_->Exec("DELETE FROM tree_heads WHERE tree_size = 21").ok());
  EXPECT_EQ(Verify(), 1);
  EXPECT_THAT(out_, StartsWith("FAIL: records 20..20 are not covered by any "
                               "signed tree head\n"));
}

TEST_F(VerifierTest, NamesAnAlteredRuleset) {
  FlipByte("rulesets", "blob", "", 80);
  EXPECT_EQ(Verify(), 1);
  EXPECT_THAT(out_, StartsWith("FAIL: ruleset sha256:"));
  EXPECT_THAT(out_, HasSubstr(": its files do not hash to its digest\n"));
}

TEST_F(VerifierTest, AFileThatIsNotALedgerCannotBeVerified) {
  std::ostringstream out, err;
  EXPECT_EQ(RunLedgerVerify(dir_.File("missing.db"), out, err), 2);
  EXPECT_THAT(err.str(), HasSubstr("cannot verify"));
}

}  // namespace
}  // namespace lantern::ledger
