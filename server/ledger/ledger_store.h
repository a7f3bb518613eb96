// LedgerStore: the ledger's tables in one SQLite file, as typed rows.
//
// Schema (format 1):
//   meta(key, value)            format, public_key (raw Ed25519, 32 bytes)
//   records(leaf_index, kind (1 decision, 2 activation, 3 access), decision_id,
//   client_request_id, time_micros,
//           record, leaf_hash)  one row per leaf of the Merkle tree; `record`
//                               is the canonical LedgerRecord bytes, the
//                               other columns are indexes derived from it
//                               (the verifier checks they agree)
//   tree_heads(tree_size, timestamp_micros, root_hash, signature)
//   rulesets(digest, blob)      canonical RuleSetBlob bytes by digest
// Writers open with WAL journaling and synchronous=FULL, so a committed
// transaction has been fsync'd to the write-ahead log.
//
// Thread-safety: not synchronised; one thread at a time per store. Several
// stores (connections) on one file may be used concurrently: SQLite's WAL
// lets readers proceed while one writer commits.
#ifndef LANTERN_SERVER_LEDGER_LEDGER_STORE_H_
#define LANTERN_SERVER_LEDGER_LEDGER_STORE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/ledger/sqlite.h"
#include "server/ledger/tree_head.h"

namespace lantern::ledger {

enum class RecordKind : int { kDecision = 1, kActivation = 2, kAccess = 3 };

struct StoredRecord {
  uint64_t leaf_index = 0;
  RecordKind kind = RecordKind::kDecision;
  std::string decision_id;        // empty for activations
  std::string client_request_id;  // empty when none
  int64_t time_micros = 0;        // received_at, activated_at or accessed_at
  std::string record;             // canonical LedgerRecord bytes
  std::string leaf_hash;          // 32 bytes, LeafHash(record)
};

class LedgerStore {
 public:
  // Opens the file at `path` for appending, creating it and its schema when
  // absent (the directory must exist).
  static absl::StatusOr<std::unique_ptr<LedgerStore>> OpenForWriting(
      const std::string& path);
  // Opens an existing ledger file without changing it (the verifier, reads).
  static absl::StatusOr<std::unique_ptr<LedgerStore>> OpenReadOnly(
      const std::string& path);

  // Opens an existing ledger file for `lantern ledger verify`: read-only,
  // leaving nothing beside it (SqliteDb::OpenOffline).
  static absl::StatusOr<std::unique_ptr<LedgerStore>> OpenForVerifying(
      const std::string& path);

  // SQLite's own check of the file's pages and indexes ("ok" is no
  // problem): one line per problem, at most 20.
  absl::StatusOr<std::vector<std::string>> IntegrityProblems();

  absl::Status Begin();
  absl::Status Commit();
  absl::Status Rollback();

  absl::StatusOr<std::string> Meta(const std::string& key);  // "" if absent
  absl::Status SetMeta(const std::string& key, const std::string& value);

  absl::Status InsertRecord(const StoredRecord& row);
  absl::Status InsertTreeHead(const SignedTreeHead& sth);
  // No-op when the digest is already stored.
  absl::Status InsertRuleSet(const std::string& digest,
                             const std::string& blob);

  absl::StatusOr<std::optional<StoredRecord>> FindByDecisionId(
      const std::string& decision_id);
  absl::StatusOr<std::optional<StoredRecord>> FindByClientRequestId(
      const std::string& client_request_id);
  absl::StatusOr<std::optional<StoredRecord>> RecordAt(uint64_t leaf_index);
  // Decisions with from <= time < to after the cursor (time, leaf index),
  // in that order, at most `limit`.
  absl::StatusOr<std::vector<StoredRecord>> DecisionsBetween(
      int64_t from_micros, int64_t to_micros, int64_t after_time_micros,
      int64_t after_leaf_index, int limit);
  absl::StatusOr<std::optional<std::string>> RuleSet(const std::string& digest);
  // Every activation record, oldest first.
  absl::StatusOr<std::vector<StoredRecord>> Activations();
  // Access records after leaf `after_leaf_index` (-1: from the start), in
  // leaf order, at most `limit`.
  absl::StatusOr<std::vector<StoredRecord>> AccessRecordsAfter(
      int64_t after_leaf_index, int limit);

  // Visit every row in key order; stop at the first error `fn` returns.
  absl::Status ForEachRecord(
      const std::function<absl::Status(const StoredRecord&)>& fn);
  // Only (leaf index, leaf hash), cheap enough to rebuild the tree at open.
  absl::Status ForEachLeafHash(
      const std::function<absl::Status(uint64_t leaf_index,
                                       const std::string& leaf_hash)>& fn);
  absl::Status ForEachTreeHead(
      const std::function<absl::Status(const SignedTreeHead&)>& fn);
  absl::Status ForEachRuleSet(
      const std::function<absl::Status(const std::string& digest,
                                       const std::string& blob)>& fn);
  absl::StatusOr<std::optional<SignedTreeHead>> LatestTreeHead();

 private:
  explicit LedgerStore(std::unique_ptr<SqliteDb> db) : db_(std::move(db)) {}
  absl::Status CreateSchema();
  // `store` when its meta table says it is a ledger of a known format.
  static absl::StatusOr<std::unique_ptr<LedgerStore>> CheckFormat(
      const std::string& path, std::unique_ptr<LedgerStore> store);
  // A prepared statement for `sql`, kept for re-use.
  absl::StatusOr<SqliteStatement*> Statement(const std::string& sql);
  absl::StatusOr<std::optional<StoredRecord>> FindOne(const std::string& where,
                                                      const std::string& key);
  absl::StatusOr<std::optional<StoredRecord>> FindOne(const std::string& where,
                                                      int64_t key);
  absl::StatusOr<std::optional<StoredRecord>> FirstRow(SqliteStatement* stmt);

  std::unique_ptr<SqliteDb> db_;
  std::map<std::string, std::unique_ptr<SqliteStatement>> statements_;
};

}  // namespace lantern::ledger

#endif  // LANTERN_SERVER_LEDGER_LEDGER_STORE_H_
