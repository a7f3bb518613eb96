// SqliteLedgerStore: the LedgerStore (ledger_store.h) in one SQLite file,
// the embedded default.
//
// Schema (format 1):
//   meta(key, value)
//   records(leaf_index, kind, decision_id, client_request_id, time_micros,
//           record, leaf_hash)
//   tree_heads(tree_size, timestamp_micros, root_hash, signature)
//   rulesets(digest, blob)
// Writers open with WAL journaling and synchronous=FULL, so a committed
// transaction has been fsync'd to the write-ahead log; BEGIN IMMEDIATE makes
// write transactions exclusive across connections and processes (a second
// waits up to 5 s, then UNAVAILABLE).
//
// Thread-safety: as LedgerStore. Several stores on one file may be used
// concurrently: SQLite's WAL lets readers proceed while one writer commits.
#ifndef LANTERN_SERVER_LEDGER_SQLITE_LEDGER_STORE_H_
#define LANTERN_SERVER_LEDGER_SQLITE_LEDGER_STORE_H_

#include <map>
#include <memory>
#include <string>

#include "server/ledger/ledger_store.h"
#include "server/ledger/sqlite.h"

namespace lantern::ledger {

class SqliteLedgerStore final : public LedgerStore {
 public:
  // Opens the file at `path` for appending, creating it and its schema when
  // absent (the directory must exist).
  static absl::StatusOr<std::unique_ptr<SqliteLedgerStore>> OpenForWriting(
      const std::string& path);
  // Opens an existing ledger file without changing it.
  static absl::StatusOr<std::unique_ptr<SqliteLedgerStore>> OpenReadOnly(
      const std::string& path);
  // Opens an existing ledger file for `lantern ledger verify`: read-only,
  // leaving nothing beside it (SqliteDb::OpenOffline).
  static absl::StatusOr<std::unique_ptr<SqliteLedgerStore>> OpenForVerifying(
      const std::string& path);

  absl::StatusOr<std::unique_ptr<LedgerStore>> OpenReader() override;
  absl::StatusOr<std::vector<std::string>> IntegrityProblems() override;
  bool ReadableAfterFailedCommit() const override { return false; }

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
  absl::StatusOr<DecisionCount> CountDecisionsBetween(
      int64_t from_micros, int64_t to_micros) override;
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
  // SQLite cannot tell: sleeps `timeout` and returns false.
  absl::StatusOr<bool> AwaitActivation(absl::Duration timeout) override;

 private:
  SqliteLedgerStore(std::string path, std::unique_ptr<SqliteDb> db)
      : path_(std::move(path)), db_(std::move(db)) {}
  absl::Status CreateSchema();
  // `store` when its meta table says it is a ledger of a known format.
  static absl::StatusOr<std::unique_ptr<SqliteLedgerStore>> CheckFormat(
      std::unique_ptr<SqliteLedgerStore> store);
  // A prepared statement for `sql`, kept for re-use.
  absl::StatusOr<SqliteStatement*> Statement(const std::string& sql);
  absl::StatusOr<std::optional<StoredRecord>> FindOne(const std::string& where,
                                                      const std::string& key);
  absl::StatusOr<std::optional<StoredRecord>> FindOne(const std::string& where,
                                                      int64_t key);
  absl::StatusOr<std::optional<StoredRecord>> FirstRow(SqliteStatement* stmt);

  const std::string path_;
  std::unique_ptr<SqliteDb> db_;
  std::map<std::string, std::unique_ptr<SqliteStatement>> statements_;
};

}  // namespace lantern::ledger

#endif  // LANTERN_SERVER_LEDGER_SQLITE_LEDGER_STORE_H_
