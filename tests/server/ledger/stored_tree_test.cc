// Tests that the Ledger keeps its Merkle tree in the store (ledger.h,
// stored_tree.h; issue 13 item 6), for every store (SQLite, memory and a
// throw-away PostgreSQL): Open reads O(log n) rows and no leaf stream;
// proofs read O(log n) nodes and equal those of a tree recomputed from every
// leaf; a ledger written without nodes (an older version) has them built
// once at Open; a wrong stored node is DATA_LOSS, never a wrong proof.
#include "server/ledger/stored_tree.h"

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "server/ledger/ledger.h"
#include "server/ledger/tree_head.h"
#include "server/ledger/verifier.h"
#include "tests/testing/ledger_records.h"
#include "tests/testing/store_factories.h"

namespace lantern::ledger {
namespace {

using ::lantern::testing::SampleDecision;
using ::lantern::testing::ScratchDir;

// What a CountingStore and the readers it opens have read.
struct Reads {
  int leaf_stream_rows = 0;  // ForEachLeafHash and ForEachRecord visits
  int tree_nodes = 0;        // ids asked of TreeNodes
  int head_scans = 0;        // ForEachTreeHead visits
};

// A LedgerStore that passes every call on and counts the reads that grow
// with the ledger.
class CountingStore final : public LedgerStore {
 public:
  CountingStore(std::unique_ptr<LedgerStore> inner, std::shared_ptr<Reads> r)
      : inner_(std::move(inner)), reads_(std::move(r)) {}

  absl::StatusOr<std::unique_ptr<LedgerStore>> OpenReader() override {
    absl::StatusOr<std::unique_ptr<LedgerStore>> r = inner_->OpenReader();
    if (!r.ok()) return r.status();
    return std::unique_ptr<LedgerStore>(
        new CountingStore(*std::move(r), reads_));
  }
  absl::StatusOr<std::vector<std::string>> IntegrityProblems() override {
    return inner_->IntegrityProblems();
  }
  bool ReadableAfterFailedCommit() const override {
    return inner_->ReadableAfterFailedCommit();
  }
  absl::Status Begin() override { return inner_->Begin(); }
  absl::Status Commit() override { return inner_->Commit(); }
  absl::Status Rollback() override { return inner_->Rollback(); }
  absl::StatusOr<std::string> Meta(const std::string& key) override {
    return inner_->Meta(key);
  }
  absl::Status SetMeta(const std::string& key,
                       const std::string& value) override {
    return inner_->SetMeta(key, value);
  }
  absl::Status InsertRecord(const StoredRecord& row) override {
    return inner_->InsertRecord(row);
  }
  absl::Status InsertTreeHead(const SignedTreeHead& sth) override {
    return inner_->InsertTreeHead(sth);
  }
  absl::Status InsertRuleSet(const std::string& digest,
                             const std::string& blob) override {
    return inner_->InsertRuleSet(digest, blob);
  }
  absl::StatusOr<std::optional<StoredRecord>> FindByDecisionId(
      const std::string& id) override {
    return inner_->FindByDecisionId(id);
  }
  absl::StatusOr<std::optional<StoredRecord>> FindByClientRequestId(
      const std::string& id) override {
    return inner_->FindByClientRequestId(id);
  }
  absl::StatusOr<std::optional<StoredRecord>> RecordAt(
      uint64_t leaf_index) override {
    return inner_->RecordAt(leaf_index);
  }
  absl::StatusOr<std::vector<StoredRecord>> DecisionsBetween(
      int64_t from, int64_t to, int64_t after_time, int64_t after_leaf,
      int limit) override {
    return inner_->DecisionsBetween(from, to, after_time, after_leaf, limit);
  }
  absl::StatusOr<std::optional<std::string>> RuleSet(
      const std::string& digest) override {
    return inner_->RuleSet(digest);
  }
  absl::StatusOr<std::vector<StoredRecord>> Activations() override {
    return inner_->Activations();
  }
  absl::StatusOr<std::vector<StoredRecord>> AccessRecordsAfter(
      int64_t after, int limit) override {
    return inner_->AccessRecordsAfter(after, limit);
  }
  absl::Status ForEachRecord(
      const std::function<absl::Status(const StoredRecord&)>& fn) override {
    return inner_->ForEachRecord([&](const StoredRecord& row) {
      ++reads_->leaf_stream_rows;
      return fn(row);
    });
  }
  absl::Status ForEachLeafHash(
      uint64_t first,
      const std::function<absl::Status(uint64_t, const std::string&)>& fn)
      override {
    return inner_->ForEachLeafHash(first,
                                   [&](uint64_t i, const std::string& h) {
                                     ++reads_->leaf_stream_rows;
                                     return fn(i, h);
                                   });
  }
  absl::Status ForEachTreeHead(
      const std::function<absl::Status(const SignedTreeHead&)>& fn) override {
    return inner_->ForEachTreeHead([&](const SignedTreeHead& sth) {
      ++reads_->head_scans;
      return fn(sth);
    });
  }
  absl::Status ForEachRuleSet(
      const std::function<absl::Status(const std::string&, const std::string&)>&
          fn) override {
    return inner_->ForEachRuleSet(fn);
  }
  absl::StatusOr<std::optional<SignedTreeHead>> LatestTreeHead() override {
    return inner_->LatestTreeHead();
  }
  absl::Status InsertTreeNodes(
      const std::vector<CompactRange::Node>& nodes) override {
    return inner_->InsertTreeNodes(nodes);
  }
  absl::StatusOr<std::vector<Hash>> TreeNodes(
      const std::vector<NodeId>& ids) override {
    reads_->tree_nodes += static_cast<int>(ids.size());
    return inner_->TreeNodes(ids);
  }
  absl::StatusOr<bool> AwaitActivation(absl::Duration timeout) override {
    return inner_->AwaitActivation(timeout);
  }

 private:
  std::unique_ptr<LedgerStore> inner_;
  std::shared_ptr<Reads> reads_;
};

// At most this many nodes for one root or proof of a tree of `n` leaves:
// two per level (RFC 6962 proofs are at most ~2·log2(n) hashes, each range
// one node per set bit).
int NodeBound(uint64_t n) {
  return 2 * (static_cast<int>(std::ceil(std::log2(double(n) + 1))) + 1);
}

StoredRecord AccessRow(uint64_t leaf) {
  StoredRecord row;
  row.leaf_index = leaf;
  row.kind = RecordKind::kAccess;
  row.time_micros = 1000 + static_cast<int64_t>(leaf);
  row.record = absl::StrCat("an access record ", leaf);
  row.leaf_hash = std::string(HashBytes(LeafHash(row.record)));
  return row;
}

class StoredTreeTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    factory_ = testing::MakeStoreFactory(GetParam());
    if (std::string why = factory_->Unavailable(); !why.empty()) {
      GTEST_SKIP() << why;
    }
    absl::StatusOr<std::unique_ptr<LedgerStore>> first = factory_->NewLedger();
    ASSERT_TRUE(first.ok()) << first.status();
    keeper_ = *std::move(first);
    key_path_ = dir_.File("ledger.key");
    absl::StatusOr<std::unique_ptr<TreeHeadSigner>> signer =
        TreeHeadSigner::LoadOrCreate(key_path_);
    ASSERT_TRUE(signer.ok()) << signer.status();
    signer_ = *std::move(signer);
  }

  // A new writer on the ledger.
  std::unique_ptr<LedgerStore> Store() {
    absl::StatusOr<std::unique_ptr<LedgerStore>> s = factory_->SameLedger();
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? *std::move(s) : nullptr;
  }

  // A Ledger on a counting store; notes go to `notes_`.
  absl::StatusOr<std::unique_ptr<Ledger>> OpenCounted(
      const std::shared_ptr<Reads>& reads) {
    LedgerOptions options;
    options.path = "the ledger";
    options.key_path = key_path_;
    options.note = [this](const std::string& line) { notes_.push_back(line); };
    return Ledger::Open(options,
                        std::make_unique<CountingStore>(Store(), reads));
  }

  // Writes leaves [from, to) and a signed head of `to` the way a version
  // that kept no tree nodes did: records and head only. `tree` is the
  // whole tree, extended here.
  void WriteWithoutNodes(LedgerStore& store, MerkleTree& tree, uint64_t from,
                         uint64_t to) {
    ASSERT_TRUE(store.Begin().ok());
    ASSERT_TRUE(store.SetMeta("public_key", signer_->public_key()).ok());
    if (from == 0) {
      ASSERT_TRUE(store
                      .InsertTreeHead(signer_->Sign(
                          {0, tree.Root(0), absl::FromUnixSeconds(1)}))
                      .ok());
    }
    for (uint64_t i = from; i < to; ++i) {
      const StoredRecord row = AccessRow(i);
      ASSERT_TRUE(store.InsertRecord(row).ok());
      tree.AppendLeafHash(*HashFromBytes(row.leaf_hash));
    }
    ASSERT_TRUE(store
                    .InsertTreeHead(signer_->Sign(
                        {to, tree.Root(), absl::FromUnixSeconds(2 + to)}))
                    .ok());
    ASSERT_TRUE(store.Commit().ok());
  }

  // Every proof `ledger` gives equals the recomputed tree's, for sizes up to
  // tree.size(), and reads at most NodeBound nodes.
  void ExpectProofsOf(const MerkleTree& tree, Ledger& ledger,
                      const std::shared_ptr<Reads>& reads) {
    const uint64_t n = tree.size();
    std::vector<uint64_t> sizes;
    for (uint64_t size = 1; size <= n; size += (size < 40 ? 1 : 97)) {
      sizes.push_back(size);
    }
    if (sizes.back() != n) sizes.push_back(n);
    for (uint64_t size : sizes) {
      for (uint64_t i = 0; i < size; i += (size < 40 ? 1 : 13)) {
        const int before = reads->tree_nodes;
        absl::StatusOr<std::vector<Hash>> got = ledger.InclusionProof(i, size);
        ASSERT_TRUE(got.ok()) << got.status();
        EXPECT_EQ(*got, *tree.InclusionProof(i, size)) << i << " " << size;
        EXPECT_LE(reads->tree_nodes - before, NodeBound(size));
      }
      for (uint64_t first = 1; first <= size; first += (size < 40 ? 1 : 29)) {
        const int before = reads->tree_nodes;
        absl::StatusOr<std::vector<Hash>> got =
            ledger.ConsistencyProof(first, size);
        ASSERT_TRUE(got.ok()) << got.status();
        EXPECT_EQ(*got, *tree.ConsistencyProof(first, size))
            << first << " " << size;
        EXPECT_LE(reads->tree_nodes - before, NodeBound(size));
      }
    }
  }

  std::unique_ptr<testing::StoreFactory> factory_;
  // The store NewLedger made, kept open (a memory ledger lives as long as
  // it does); never written through.
  std::unique_ptr<LedgerStore> keeper_;
  ScratchDir dir_;
  std::string key_path_;
  std::unique_ptr<TreeHeadSigner> signer_;
  std::vector<std::string> notes_;
};

TEST_P(StoredTreeTest, OpenReadsLogNRowsAndProofsMatchARecomputedTree) {
  MerkleTree tree;
  {
    auto reads = std::make_shared<Reads>();
    absl::StatusOr<std::unique_ptr<Ledger>> ledger = OpenCounted(reads);
    ASSERT_TRUE(ledger.ok()) << ledger.status();
    for (int i = 0; i < 300; ++i) {
      absl::StatusOr<AppendedDecision> d =
          (*ledger)->AppendDecision(SampleDecision(i));
      ASSERT_TRUE(d.ok()) << d.status();
      absl::StatusOr<LeafEntry> leaf = (*ledger)->GetLeaf(d->leaf_index);
      ASSERT_TRUE(leaf.ok()) << leaf.status();
      tree.AppendLeafHash(LeafHash(leaf->record));
    }
    EXPECT_EQ((*ledger)->LatestTreeHead().head.root, tree.Root());
    EXPECT_EQ(reads->leaf_stream_rows, 0);
  }
  auto reads = std::make_shared<Reads>();
  absl::StatusOr<std::unique_ptr<Ledger>> reopened = OpenCounted(reads);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_EQ(reads->leaf_stream_rows, 0);
  EXPECT_EQ(reads->head_scans, 0);
  // 300 = 256 + 32 + 8 + 4: the frontier is four nodes.
  EXPECT_EQ(reads->tree_nodes, 4);
  EXPECT_TRUE(notes_.empty());
  EXPECT_EQ((*reopened)->LatestTreeHead().head.root, tree.Root());
  ExpectProofsOf(tree, **reopened, reads);
  EXPECT_EQ(reads->leaf_stream_rows, 0);
}

TEST_P(StoredTreeTest, ALedgerWithoutNodesHasThemBuiltOnceAtOpen) {
  MerkleTree tree;
  {
    std::unique_ptr<LedgerStore> store = Store();
    WriteWithoutNodes(*store, tree, 0, 77);
  }
  auto reads = std::make_shared<Reads>();
  {
    absl::StatusOr<std::unique_ptr<Ledger>> ledger = OpenCounted(reads);
    ASSERT_TRUE(ledger.ok()) << ledger.status();
    EXPECT_EQ(reads->leaf_stream_rows, 77);
    ASSERT_EQ(notes_.size(), 1u);
    EXPECT_TRUE(absl::StrContains(notes_[0], "records 0 to 77")) << notes_[0];
    ExpectProofsOf(tree, **ledger, reads);
    // Appending after the built nodes goes on from them.
    ASSERT_TRUE((*ledger)->AppendDecision(SampleDecision(1)).ok());
    absl::StatusOr<LeafEntry> leaf = (*ledger)->GetLeaf(77);
    ASSERT_TRUE(leaf.ok());
    tree.AppendLeafHash(LeafHash(leaf->record));
    EXPECT_EQ((*ledger)->LatestTreeHead().head.root, tree.Root());
  }
  // An older version writes on (no nodes); the next Open builds only its
  // part, and a second Open reads no leaf at all.
  {
    std::unique_ptr<LedgerStore> store = Store();
    WriteWithoutNodes(*store, tree, 78, 100);
  }
  notes_.clear();
  reads = std::make_shared<Reads>();
  {
    absl::StatusOr<std::unique_ptr<Ledger>> ledger = OpenCounted(reads);
    ASSERT_TRUE(ledger.ok()) << ledger.status();
    EXPECT_EQ(reads->leaf_stream_rows, 100 - 78);
    ASSERT_EQ(notes_.size(), 1u);
    EXPECT_TRUE(absl::StrContains(notes_[0], "records 78 to 100")) << notes_[0];
    ExpectProofsOf(tree, **ledger, reads);
  }
  notes_.clear();
  reads = std::make_shared<Reads>();
  absl::StatusOr<std::unique_ptr<Ledger>> again = OpenCounted(reads);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(reads->leaf_stream_rows, 0);
  EXPECT_TRUE(notes_.empty());
}

TEST_P(StoredTreeTest, AWrongStoredNodeIsDataLossAtOpen) {
  MerkleTree tree;
  std::unique_ptr<LedgerStore> store = Store();
  WriteWithoutNodes(*store, tree, 0, 6);
  // Nodes for 6 leaves claimed complete, one of them wrong: (1,2) is on
  // the frontier (6 = 4 + 2).
  ASSERT_TRUE(store->Begin().ok());
  ASSERT_TRUE(store
                  ->InsertTreeNodes({{{2, 0}, tree.Root(4)},
                                     {{1, 2}, Sha256("not the node")}})
                  .ok());
  ASSERT_TRUE(SetStoredTreeNodesSize(*store, 6).ok());
  ASSERT_TRUE(store->Commit().ok());
  store.reset();
  auto reads = std::make_shared<Reads>();
  absl::StatusOr<std::unique_ptr<Ledger>> ledger = OpenCounted(reads);
  EXPECT_TRUE(absl::IsDataLoss(ledger.status())) << ledger.status();
}

TEST_P(StoredTreeTest, AMissingStoredNodeIsDataLossForAProof) {
  MerkleTree tree;
  std::unique_ptr<LedgerStore> store = Store();
  WriteWithoutNodes(*store, tree, 0, 4);
  // The frontier (2,0) alone, claimed complete: Open succeeds, a proof
  // needing (1,0) cannot be made and says so.
  ASSERT_TRUE(store->Begin().ok());
  ASSERT_TRUE(store->InsertTreeNodes({{{2, 0}, tree.Root(4)}}).ok());
  ASSERT_TRUE(SetStoredTreeNodesSize(*store, 4).ok());
  ASSERT_TRUE(store->Commit().ok());
  store.reset();
  auto reads = std::make_shared<Reads>();
  absl::StatusOr<std::unique_ptr<Ledger>> ledger = OpenCounted(reads);
  ASSERT_TRUE(ledger.ok()) << ledger.status();
  absl::StatusOr<std::vector<Hash>> proof = (*ledger)->InclusionProof(3, 4);
  EXPECT_TRUE(absl::IsDataLoss(proof.status())) << proof.status();
}

// A wrong node off the frontier passes Open (which reads only the frontier)
// but makes proofs wrong: `lantern ledger verify` compares every stored node
// with the one recomputed from the leaves.
TEST_P(StoredTreeTest, VerifyFindsAWrongInteriorNode) {
  if (factory_->location().empty()) GTEST_SKIP() << "verify needs a location";
  MerkleTree tree;
  std::unique_ptr<LedgerStore> store = Store();
  WriteWithoutNodes(*store, tree, 0, 4);
  ASSERT_TRUE(store->Begin().ok());
  ASSERT_TRUE(store
                  ->InsertTreeNodes({{{1, 0}, Sha256("not the node")},
                                     {{1, 1}, tree.Root(4)},
                                     {{2, 0}, tree.Root(4)}})
                  .ok());
  ASSERT_TRUE(SetStoredTreeNodesSize(*store, 4).ok());
  ASSERT_TRUE(store->Commit().ok());
  store.reset();
  auto reads = std::make_shared<Reads>();
  ASSERT_TRUE(OpenCounted(reads).ok());
  absl::StatusOr<VerifyReport> report = VerifyLedger(factory_->location());
  ASSERT_TRUE(report.ok()) << report.status();
  // (The test's records are not LedgerRecords: those problems come first.)
  ASSERT_FALSE(report->ok());
  EXPECT_TRUE(absl::StrContains(report->problems.back(), "tree node (1, 0)"))
      << report->problems.back();
}

INSTANTIATE_TEST_SUITE_P(Stores, StoredTreeTest,
                         ::testing::ValuesIn(testing::StoreFactoryNames()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace lantern::ledger
