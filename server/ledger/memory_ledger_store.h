// MemoryLedgerStore: the LedgerStore (ledger_store.h) in memory, for unit
// tests of what sits above the store. Nothing survives the last store of a
// ledger; Commit is "durable" as soon as it returns.
//
// Stores made by OpenReader share the ledger with the store they came from;
// a write transaction works on a copy of the tables (O(size) per Begin, fine
// for tests) and publishes it at Commit. Begin waits while another store of
// the ledger has a transaction open.
//
// Thread-safety: as LedgerStore.
#ifndef LANTERN_SERVER_LEDGER_MEMORY_LEDGER_STORE_H_
#define LANTERN_SERVER_LEDGER_MEMORY_LEDGER_STORE_H_

#include <memory>

#include "server/ledger/ledger_store.h"

namespace lantern::ledger {

class MemoryLedgerStore final : public LedgerStore {
 public:
  // A new, empty ledger.
  static std::unique_ptr<MemoryLedgerStore> Create();
  // Another writer of this ledger, as a second process would be.
  std::unique_ptr<MemoryLedgerStore> OpenWriter() const;
  ~MemoryLedgerStore() override;

  absl::StatusOr<std::unique_ptr<LedgerStore>> OpenReader() override;
  absl::StatusOr<std::vector<std::string>> IntegrityProblems() override {
    return std::vector<std::string>();
  }
  bool ReadableAfterFailedCommit() const override { return true; }

  absl::Status Begin() override;
  absl::Status Commit() override;
  absl::Status Rollback() override;

  absl::StatusOr<std::string> Meta(const std::string& key) override;
  absl::Status SetMeta(const std::string& key,
                       const std::string& value) override;

  absl::Status InsertRecord(const StoredRecord& row) override;
  absl::Status InsertTreeHead(const SignedTreeHead& sth) override;
  absl::Status InsertRuleSet(const std::string& digest,
                             const std::string& blob) override;

  absl::StatusOr<std::optional<StoredRecord>> FindByDecisionId(
      const std::string& decision_id) override;
  absl::StatusOr<std::optional<StoredRecord>> FindByClientRequestId(
      const std::string& client_request_id) override;
  absl::StatusOr<std::optional<StoredRecord>> RecordAt(
      uint64_t leaf_index) override;
  absl::StatusOr<std::vector<StoredRecord>> DecisionsBetween(
      int64_t from_micros, int64_t to_micros, int64_t after_time_micros,
      int64_t after_leaf_index, int limit) override;
  absl::StatusOr<std::optional<std::string>> RuleSet(
      const std::string& digest) override;
  absl::StatusOr<std::vector<StoredRecord>> Activations() override;
  absl::StatusOr<std::vector<StoredRecord>> AccessRecordsAfter(
      int64_t after_leaf_index, int limit) override;

  absl::Status ForEachRecord(
      const std::function<absl::Status(const StoredRecord&)>& fn) override;
  absl::Status ForEachLeafHash(
      uint64_t first_leaf,
      const std::function<absl::Status(uint64_t, const std::string&)>& fn)
      override;
  absl::Status ForEachTreeHead(
      const std::function<absl::Status(const SignedTreeHead&)>& fn) override;
  absl::Status ForEachRuleSet(
      const std::function<absl::Status(const std::string&, const std::string&)>&
          fn) override;
  absl::StatusOr<std::optional<SignedTreeHead>> LatestTreeHead() override;
  absl::Status InsertTreeNodes(
      const std::vector<CompactRange::Node>& nodes) override;
  absl::StatusOr<std::vector<Hash>> TreeNodes(
      const std::vector<NodeId>& ids) override;
  absl::StatusOr<bool> AwaitActivation(absl::Duration timeout) override;

 private:
  struct Tables;
  struct Shared;
  explicit MemoryLedgerStore(std::shared_ptr<Shared> shared, bool writer);
  // What this store reads: its open transaction's tables, else a snapshot
  // of the committed ones.
  std::shared_ptr<const Tables> View() const;

  const std::shared_ptr<Shared> shared_;
  const bool writer_;
  std::shared_ptr<Tables> txn_;    // the open transaction's copy, or null
  bool txn_activates_ = false;     // txn_ holds a new activation
  uint64_t activations_seen_ = 0;  // Shared::activations when last awaited
};

}  // namespace lantern::ledger

#endif  // LANTERN_SERVER_LEDGER_MEMORY_LEDGER_STORE_H_
