// PostgresLedgerStore: the LedgerStore (ledger_store.h) in a PostgreSQL
// database, shared by any number of `lantern serve` replicas.
//
// The tables are SQLite's (sqlite_ledger_store.h) with PostgreSQL types,
// created on first open under an advisory lock. Every connection runs with
// synchronous_commit=on, so a Commit that returns OK has been flushed to
// the server's write-ahead log.
//
// The one-writer fence: Begin opens a transaction and takes a
// transaction-scoped advisory lock (pg_advisory_xact_lock) that every writer
// of the database takes, so one write transaction is open at a time; the
// lock goes with the transaction — at COMMIT, ROLLBACK, or when the holder's
// connection drops (a killed replica). A writer that stalls inside its
// transaction for longer than 10 s is cut off by the server
// (idle_in_transaction_session_timeout), so it cannot hold the others up
// for longer, and its later COMMIT fails. The unique leaf_index and
// tree_size keys are the second fence: a head or leaf two writers both
// claimed is refused.
//
// A broken connection is re-established at the next call outside a
// transaction, so the store recovers by itself when the server comes back.
//
// Inserting an activation record sends NOTIFY lantern_activation, which
// PostgreSQL delivers at commit to every connection listening
// (AwaitActivation).
//
// Thread-safety: as LedgerStore.
#ifndef LANTERN_SERVER_LEDGER_POSTGRES_LEDGER_STORE_H_
#define LANTERN_SERVER_LEDGER_POSTGRES_LEDGER_STORE_H_

#include <memory>
#include <string>

#include "server/ledger/ledger_store.h"
#include "server/ledger/postgres.h"

namespace lantern::ledger {

class PostgresLedgerStore final : public LedgerStore {
 public:
  // Connects to `uri` and creates the schema when absent.
  static absl::StatusOr<std::unique_ptr<PostgresLedgerStore>> OpenForWriting(
      const std::string& uri);
  // Connects to `uri` read-only; every read sees one snapshot, taken now
  // (`lantern ledger verify` while replicas append).
  static absl::StatusOr<std::unique_ptr<PostgresLedgerStore>> OpenForVerifying(
      const std::string& uri);

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
  // LISTENs (from the first call on) for the NOTIFY an activation's
  // insert sends at commit.
  absl::StatusOr<bool> AwaitActivation(absl::Duration timeout) override;

 private:
  PostgresLedgerStore(std::string uri, std::unique_ptr<PgConnection> db)
      : uri_(std::move(uri)), db_(std::move(db)) {}
  static absl::StatusOr<std::unique_ptr<PostgresLedgerStore>> Connect(
      const std::string& uri, const std::string& session_setup);
  absl::Status CreateSchema();
  absl::Status CheckFormat();
  absl::StatusOr<std::optional<StoredRecord>> FindOne(const std::string& where,
                                                      const PgParam& key);
  absl::StatusOr<std::vector<StoredRecord>> Records(
      const std::string& where_order_limit, const std::vector<PgParam>& params);

  const std::string uri_;
  std::unique_ptr<PgConnection> db_;
  int listening_generation_ = -1;  // the connection's, when LISTEN ran
};

}  // namespace lantern::ledger

#endif  // LANTERN_SERVER_LEDGER_POSTGRES_LEDGER_STORE_H_
