// Tests server/ledger/ledger.h: durability across reopen, idempotency by
// client request id, group commit under concurrent appends (fewer commits
// than records, every record present), rulesets and activations, reads,
// proofs against signed tree heads, and UNAVAILABLE when the store refuses.
#include "server/ledger/ledger.h"

#include <sys/stat.h>

#include <algorithm>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/ruleset/ruleset_digest.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/ledger/sqlite.h"
#include "tests/testing/ledger_records.h"

namespace lantern::ledger {
namespace {

using ::lantern::testing::ManualClock;
using ::lantern::testing::SampleDecision;
using ::lantern::testing::ScratchDir;

class LedgerTest : public ::testing::Test {
 protected:
  std::unique_ptr<Ledger> OpenLedger() {
    LedgerOptions options;
    options.path = dir_.File("ledger/audit.db");
    options.clock = [this] { return clock_.Now(); };
    absl::StatusOr<std::unique_ptr<Ledger>> ledger = Ledger::Open(options);
    EXPECT_TRUE(ledger.ok()) << ledger.status();
    return ledger.ok() ? *std::move(ledger) : nullptr;
  }

  ScratchDir dir_;
  ManualClock clock_;
};

TEST_F(LedgerTest, CreatesFileAndPrivateKeyAndSignsTheEmptyTree) {
  std::unique_ptr<Ledger> ledger = OpenLedger();
  ASSERT_NE(ledger, nullptr);
  struct stat st;
  ASSERT_EQ(stat(dir_.File("ledger/audit.db.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  EXPECT_EQ(ledger->public_key().size(), 32u);
  const SignedTreeHead sth = ledger->LatestTreeHead();
  EXPECT_EQ(sth.head.tree_size, 0u);
  EXPECT_EQ(sth.head.root, Sha256(""));
  EXPECT_EQ(sth.head.timestamp, clock_.Now());
  EXPECT_TRUE(VerifyTreeHead(sth, ledger->public_key()));
}

TEST_F(LedgerTest, AppendedDecisionsSurviveReopen) {
  std::string key;
  Hash root;
  {
    std::unique_ptr<Ledger> ledger = OpenLedger();
    for (int i = 0; i < 5; ++i) {
      absl::StatusOr<AppendedDecision> a =
          ledger->AppendDecision(SampleDecision(i));
      ASSERT_TRUE(a.ok()) << a.status();
      EXPECT_EQ(a->leaf_index, static_cast<uint64_t>(i));
      EXPECT_FALSE(a->duplicate);
    }
    key = ledger->public_key();
    root = ledger->LatestTreeHead().head.root;
  }
  std::unique_ptr<Ledger> ledger = OpenLedger();
  EXPECT_EQ(ledger->public_key(), key);
  EXPECT_EQ(ledger->LatestTreeHead().head.tree_size, 5u);
  EXPECT_EQ(ledger->LatestTreeHead().head.root, root);
  absl::StatusOr<StoredDecision> d = ledger->GetDecision("d-3");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->leaf_index, 3u);
  EXPECT_EQ(d->record.SerializeAsString(),
            SampleDecision(3).SerializeAsString());
  EXPECT_TRUE(absl::IsNotFound(ledger->GetDecision("d-99").status()));
}

TEST_F(LedgerTest, PagesStopAtTheirByteBudgetAndTheTokenContinues) {
  std::unique_ptr<Ledger> ledger = OpenLedger();
  for (int i = 0; i < 7; ++i) {
    ASSERT_TRUE(ledger->AppendDecision(SampleDecision(i)).ok());
  }
  const int64_t one =
      static_cast<int64_t>(ledger->GetDecision("d-0")->record.ByteSizeLong());
  std::vector<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    absl::StatusOr<DecisionPage> page =
        ledger->ListDecisions(absl::InfinitePast(), absl::InfiniteFuture(), 100,
                              token, /*max_bytes=*/one * 2 + one / 2);
    ASSERT_TRUE(page.ok()) << page.status();
    EXPECT_LE(page->decisions.size(), 2u);
    EXPECT_GE(page->decisions.size(), 1u);
    for (const StoredDecision& d : page->decisions) {
      seen.push_back(d.record.decision_id());
    }
    token = page->next_page_token;
    ++pages;
  } while (!token.empty() && pages < 20);
  EXPECT_EQ(pages, 4);
  EXPECT_EQ(seen, (std::vector<std::string>{"d-0", "d-1", "d-2", "d-3", "d-4",
                                            "d-5", "d-6"}));
}

TEST_F(LedgerTest, TheFileItsWalAndDirectoriesAreTheOwnersOnly) {
  {
    std::unique_ptr<Ledger> ledger = OpenLedger();
    ASSERT_TRUE(ledger->AppendDecision(SampleDecision(1)).ok());
    for (const std::string& file :
         {"ledger/audit.db", "ledger/audit.db-wal", "ledger/audit.db-shm"}) {
      struct stat st;
      ASSERT_EQ(stat(dir_.File(file).c_str(), &st), 0) << file;
      EXPECT_EQ(st.st_mode & 0777, 0600) << file;
    }
    struct stat st;
    ASSERT_EQ(stat(dir_.File("ledger").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700);
  }
  // A ledger left readable by an older version is tightened on open.
  ASSERT_EQ(chmod(dir_.File("ledger/audit.db").c_str(), 0644), 0);
  std::unique_ptr<Ledger> ledger = OpenLedger();
  struct stat st;
  ASSERT_EQ(stat(dir_.File("ledger/audit.db").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
}

TEST_F(LedgerTest, RetryWithTheSameClientRequestIdReturnsTheStoredDecision) {
  std::unique_ptr<Ledger> ledger = OpenLedger();
  ASSERT_TRUE(ledger->AppendDecision(SampleDecision(1, "req-1")).ok());
  // A retry: new decision id and different facts, same client request id.
  v1::DecisionRecord retry = SampleDecision(2, "req-1");
  absl::StatusOr<AppendedDecision> again = ledger->AppendDecision(retry);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->record.decision_id(), "d-1");
  EXPECT_EQ(again->leaf_index, 0u);
  EXPECT_EQ(ledger->LatestTreeHead().head.tree_size, 1u);
  EXPECT_TRUE(absl::IsNotFound(ledger->GetDecision("d-2").status()));
  ledger.reset();
  ledger = OpenLedger();
  EXPECT_EQ(ledger->AppendDecision(retry)->record.decision_id(), "d-1");
  EXPECT_EQ(ledger->stats().duplicates, 1u);
}

TEST_F(LedgerTest, RejectsATakenDecisionIdAndIncompleteRecords) {
  std::unique_ptr<Ledger> ledger = OpenLedger();
  ASSERT_TRUE(ledger->AppendDecision(SampleDecision(1)).ok());
  EXPECT_TRUE(absl::IsAlreadyExists(
      ledger->AppendDecision(SampleDecision(1)).status()));
  v1::DecisionRecord no_id = SampleDecision(2);
  no_id.clear_decision_id();
  EXPECT_TRUE(absl::IsInvalidArgument(ledger->AppendDecision(no_id).status()));
  v1::DecisionRecord no_time = SampleDecision(3);
  no_time.clear_received_at();
  EXPECT_TRUE(
      absl::IsInvalidArgument(ledger->AppendDecision(no_time).status()));
  // The refused ones left no trace; the next append gets the next leaf.
  EXPECT_EQ(ledger->AppendDecision(SampleDecision(4))->leaf_index, 1u);
}

TEST_F(LedgerTest, ConcurrentAppendsShareCommitsAndAllArePresent) {
  constexpr int kThreads = 16;
  constexpr int kPerThread = 40;
  std::unique_ptr<Ledger> ledger = OpenLedger();
  std::vector<std::thread> threads;
  std::vector<int> failures(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const int n = t * kPerThread + i;
        // Every fourth decision is also retried by another thread.
        const std::string client = absl::StrCat("req-", n - n % 4);
        if (!ledger->AppendDecision(SampleDecision(n, client)).ok()) {
          ++failures[t];
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_THAT(failures, ::testing::Each(0));
  const LedgerStats stats = ledger->stats();
  EXPECT_EQ(stats.appended, kThreads * kPerThread / 4u);
  EXPECT_EQ(stats.appended + stats.duplicates, kThreads * kPerThread + 0u);
  EXPECT_LT(stats.commits, stats.appended);
  std::printf("group commit: %llu records in %llu commits\n",
              static_cast<unsigned long long>(stats.appended),
              static_cast<unsigned long long>(stats.commits));
  for (int n = 0; n < kThreads * kPerThread; n += 4) {
    EXPECT_TRUE(ledger->GetDecision(absl::StrCat("d-", n)).ok()) << n;
  }
  EXPECT_EQ(ledger->LatestTreeHead().head.tree_size, stats.appended);
}

// What the callbacks of AsyncAppendsAnswerEachCallerOnceAfterTheCommit saw.
struct AsyncAnswers {
  std::vector<uint64_t> leaves;
  int duplicates = 0;
  int errors = 0;
  int answered() const {
    return static_cast<int>(leaves.size()) + duplicates + errors;
  }
};

TEST_F(LedgerTest, AsyncAppendsAnswerEachCallerOnceAfterTheCommit) {
  constexpr int kRecords = 200;
  std::unique_ptr<Ledger> ledger = OpenLedger();
  absl::Mutex mu;
  AsyncAnswers answers;
  for (int n = 0; n < kRecords; ++n) {
    // Every second record retries the one before it.
    const std::string client = absl::StrCat("req-", n - n % 2);
    ledger->AppendDecisionAsync(
        SampleDecision(n, client),
        [&, n](absl::StatusOr<AppendedDecision> appended) {
          absl::MutexLock lock(&mu);
          if (!appended.ok()) {
            ++answers.errors;
          } else if (appended->duplicate) {
            ++answers.duplicates;
            EXPECT_EQ(appended->record.decision_id(),
                      absl::StrCat("d-", n - 1));
          } else {
            // Durable, under a signed head, before the caller hears of it.
            EXPECT_LT(appended->leaf_index,
                      ledger->LatestTreeHead().head.tree_size);
            answers.leaves.push_back(appended->leaf_index);
          }
        });
  }
  absl::MutexLock lock(&mu);
  mu.Await(absl::Condition(
      +[](AsyncAnswers* a) { return a->answered() == kRecords; }, &answers));
  EXPECT_EQ(answers.errors, 0);
  EXPECT_EQ(answers.duplicates, kRecords / 2);
  std::sort(answers.leaves.begin(), answers.leaves.end());
  for (int i = 0; i < kRecords / 2; ++i) {
    EXPECT_EQ(answers.leaves[i], static_cast<uint64_t>(i));
  }
}

TEST_F(LedgerTest, ProofsVerifyAgainstSignedTreeHeads) {
  std::unique_ptr<Ledger> ledger = OpenLedger();
  ASSERT_TRUE(ledger->AppendDecision(SampleDecision(0)).ok());
  const SignedTreeHead first = ledger->LatestTreeHead();
  for (int i = 1; i < 13; ++i) {
    clock_.Advance(absl::Seconds(1));
    ASSERT_TRUE(ledger->AppendDecision(SampleDecision(i)).ok());
  }
  const SignedTreeHead latest = ledger->LatestTreeHead();
  ASSERT_TRUE(VerifyTreeHead(latest, ledger->public_key()));
  EXPECT_EQ(latest.head.tree_size, 13u);
  EXPECT_GT(latest.head.timestamp, first.head.timestamp);
  for (uint64_t i = 0; i < 13; ++i) {
    absl::StatusOr<LeafEntry> leaf = ledger->GetLeaf(i);
    ASSERT_TRUE(leaf.ok()) << leaf.status();
    EXPECT_EQ(leaf->leaf_hash, LeafHash(leaf->record));
    absl::StatusOr<std::vector<Hash>> proof = ledger->InclusionProof(i, 13);
    ASSERT_TRUE(proof.ok());
    EXPECT_TRUE(VerifyInclusion(i, 13, LeafHash(leaf->record), *proof,
                                latest.head.root));
  }
  absl::StatusOr<std::vector<Hash>> consistency =
      ledger->ConsistencyProof(1, 13);
  ASSERT_TRUE(consistency.ok());
  EXPECT_TRUE(VerifyConsistency(1, 13, first.head.root, latest.head.root,
                                *consistency));
  EXPECT_TRUE(absl::IsInvalidArgument(ledger->InclusionProof(0, 14).status()));
  EXPECT_TRUE(absl::IsNotFound(ledger->GetLeaf(13).status()));
}

TEST_F(LedgerTest, TreeHeadTimestampsNeverGoBack) {
  std::unique_ptr<Ledger> ledger = OpenLedger();
  ASSERT_TRUE(ledger->AppendDecision(SampleDecision(0)).ok());
  const absl::Time before = ledger->LatestTreeHead().head.timestamp;
  clock_.Advance(absl::Seconds(-30));
  ASSERT_TRUE(ledger->AppendDecision(SampleDecision(1)).ok());
  EXPECT_EQ(ledger->LatestTreeHead().head.timestamp, before);
}

TEST_F(LedgerTest, ListsDecisionsByTimeInPages) {
  std::unique_ptr<Ledger> ledger = OpenLedger();
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(ledger->AppendDecision(SampleDecision(i)).ok());
  }
  const absl::Time base = absl::FromUnixSeconds(1714824000);
  std::vector<std::string> ids;
  std::string token;
  int pages = 0;
  do {
    absl::StatusOr<DecisionPage> page = ledger->ListDecisions(
        base + absl::Seconds(2), base + absl::Seconds(9), 3, token);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const StoredDecision& d : page->decisions) {
      ids.push_back(d.record.decision_id());
    }
    token = page->next_page_token;
    ++pages;
  } while (!token.empty());
  EXPECT_THAT(ids, ::testing::ElementsAre("d-2", "d-3", "d-4", "d-5", "d-6",
                                          "d-7", "d-8"));
  EXPECT_EQ(pages, 3);
  EXPECT_TRUE(absl::IsInvalidArgument(
      ledger->ListDecisions(base, base, 0, "").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(
      ledger->ListDecisions(base, base, 5, "garbage").status()));
}

TEST_F(LedgerTest, ActivationsStoreTheRulesetContentAddressed) {
  std::unique_ptr<Ledger> ledger = OpenLedger();
  const std::vector<SourceFile> files = {{"manifest.yaml", "id: x\n"},
                                         {"rules/a.yaml", "rules: []\n"}};
  v1::ActivationRecord activation;
  activation.set_ruleset_digest(RulesetDigest(files));
  activation.set_ruleset_id("x");
  *activation.mutable_activated_at() = testing::Stamp(1714824000);
  absl::StatusOr<uint64_t> index = ledger->AppendActivation(activation, files);
  ASSERT_TRUE(index.ok()) << index.status();
  EXPECT_EQ(*index, 0u);
  // Activating it again stores the files once and records a second leaf.
  EXPECT_EQ(*ledger->AppendActivation(activation, files), 1u);
  absl::StatusOr<std::vector<SourceFile>> stored =
      ledger->GetRuleSetFiles(RulesetDigest(files));
  ASSERT_TRUE(stored.ok()) << stored.status();
  ASSERT_EQ(stored->size(), 2u);
  EXPECT_EQ((*stored)[1].path, "rules/a.yaml");
  EXPECT_EQ((*stored)[1].content, "rules: []\n");
  EXPECT_TRUE(absl::IsNotFound(ledger->GetRuleSetFiles("sha256:00").status()));
  ASSERT_TRUE(ledger->AppendDecision(SampleDecision(5)).ok());
  absl::StatusOr<std::vector<StoredActivation>> activations =
      ledger->ListActivations();
  ASSERT_TRUE(activations.ok()) << activations.status();
  ASSERT_EQ(activations->size(), 2u);
  EXPECT_EQ((*activations)[1].leaf_index, 1u);
  EXPECT_EQ((*activations)[1].record.ruleset_id(), "x");
  activation.set_ruleset_digest("sha256:00");
  EXPECT_TRUE(absl::IsInvalidArgument(
      ledger->AppendActivation(activation, files).status()));
}

TEST_F(LedgerTest, AppendIsUnavailableWhenTheStoreRefusesAndRecordsNothing) {
  std::unique_ptr<Ledger> ledger = OpenLedger();
  ASSERT_TRUE(ledger->AppendDecision(SampleDecision(0)).ok());
  std::unique_ptr<SqliteDb> db =
      *SqliteDb::Open(dir_.File("ledger/audit.db"), false, false);
  ASSERT_TRUE(db->Exec("CREATE TRIGGER refuse BEFORE INSERT ON tree_heads "
                       "BEGIN SELECT RAISE(ABORT, 'injected failure'); END")
                  .ok());
  absl::Status refused = ledger->AppendDecision(SampleDecision(1)).status();
  EXPECT_TRUE(absl::IsUnavailable(refused)) << refused;
  EXPECT_THAT(std::string(refused.message()),
              ::testing::HasSubstr("injected failure"));
  EXPECT_EQ(ledger->LatestTreeHead().head.tree_size, 1u);
  ASSERT_TRUE(db->Exec("DROP TRIGGER refuse").ok());
  absl::StatusOr<AppendedDecision> later =
      ledger->AppendDecision(SampleDecision(1));
  ASSERT_TRUE(later.ok()) << later.status();
  EXPECT_EQ(later->leaf_index, 1u);
  EXPECT_TRUE(ledger->GetDecision("d-1").ok());
}

// Open reads only the tree's frontier (O(log n) rows): a damaged leaf on it
// (here the newest of 3, which is its own frontier node) is refused at
// open; damage anywhere else is `lantern ledger verify`'s to find
// (VerifierTest, StoredTreeTest.VerifyFindsAWrongInteriorNode).
TEST_F(LedgerTest, RefusesToOpenWhenTheRecordsDoNotMatchTheLatestHead) {
  {
    std::unique_ptr<Ledger> ledger = OpenLedger();
    ASSERT_TRUE(ledger->AppendDecision(SampleDecision(0)).ok());
    ASSERT_TRUE(ledger->AppendDecision(SampleDecision(1)).ok());
    ASSERT_TRUE(ledger->AppendDecision(SampleDecision(2)).ok());
  }
  std::unique_ptr<SqliteDb> db =
      *SqliteDb::Open(dir_.File("ledger/audit.db"), false, false);
  ASSERT_TRUE(db->Exec("UPDATE records SET leaf_hash = zeroblob(32) "
                       "WHERE leaf_index = 2")
                  .ok());
  LedgerOptions options;
  options.path = dir_.File("ledger/audit.db");
  absl::Status status = Ledger::Open(options).status();
  EXPECT_TRUE(absl::IsDataLoss(status)) << status;
  EXPECT_THAT(std::string(status.message()),
              ::testing::HasSubstr("lantern ledger verify"));
}

TEST_F(LedgerTest, RefusesAKeyThatDidNotSignTheLedger) {
  OpenLedger().reset();
  ASSERT_EQ(std::remove(dir_.File("ledger/audit.db.key").c_str()), 0);
  LedgerOptions options;
  options.path = dir_.File("ledger/audit.db");
  EXPECT_TRUE(absl::IsFailedPrecondition(Ledger::Open(options).status()));
}

}  // namespace
}  // namespace lantern::ledger
