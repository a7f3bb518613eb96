// LedgerStore: where the audit ledger's rows are kept — the seam between the
// Ledger (sequencing, Merkle tree, signing) and a database. Implementations:
// SQLite (sqlite_ledger_store.h, the embedded default), PostgreSQL
// (postgres_ledger_store.h, shared by replicas) and memory
// (memory_ledger_store.h, for unit tests). All pass one conformance suite
// (tests/server/ledger/ledger_store_conformance_test.cc).
//
// What a store keeps:
//   meta        key -> value ("format", "public_key": raw Ed25519, 32 bytes)
//   records     one row per leaf of the Merkle tree, by leaf index 0, 1, ...;
//               kind 1 decision, 2 activation, 3 access (RecordKind);
//               `record` is the canonical LedgerRecord bytes, the other
//               fields are indexes derived from it (the verifier checks
//               they agree); decision_id and client_request_id are unique
//               when not empty
//   tree heads  signed, by tree size
//   tree nodes  the hash of every complete, aligned subtree above the leaves
//               (merkle.h's node (level, index), level >= 1; level 0 is the
//               record's leaf_hash), written in the transaction that adds
//               the leaves completing it: roots and proofs of any committed
//               size read O(log n) of them. Meta "tree_nodes" is the tree
//               size they are complete for (the Ledger keeps it; absent in
//               a ledger written before they were kept, which the Ledger
//               then completes once at open)
//   rulesets    canonical RuleSetBlob bytes by digest
//
// Writes happen inside a write transaction (Begin ... Commit or Rollback).
// At most one write transaction is open on a ledger at a time, across every
// store and process sharing it: Begin waits for the one open to end. That
// is the sequencer's fence: whoever holds the transaction assigns the next
// leaf indices and signs the next head, and no one else can publish a head
// meanwhile. A Commit that returns OK is durable (synced to stable storage).
// Reads outside a transaction see committed rows only. Committing an
// activation record wakes AwaitActivation on every store of the ledger that
// can be told (PostgreSQL: NOTIFY; memory); the others poll.
//
// Errors: UNAVAILABLE when the database cannot be reached or written (the
// caller may retry or must report it), DATA_LOSS when it is damaged,
// ALREADY_EXISTS for a taken key as each method says, FAILED_PRECONDITION
// when it is not a Lantern ledger of a known format.
//
// Thread-safety: a store (one connection) is used by one thread at a time.
// Several stores on one ledger (OpenReader, other processes) may be used
// concurrently.
#ifndef LANTERN_SERVER_LEDGER_LEDGER_STORE_H_
#define LANTERN_SERVER_LEDGER_LEDGER_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/ledger/tree_head.h"

namespace lantern::ledger {

enum class RecordKind : int { kDecision = 1, kActivation = 2, kAccess = 3 };

// How many decision records a range holds and the last leaf among them.
struct DecisionCount {
  uint64_t count = 0;
  int64_t last_leaf_index = -1;  // -1 when count is 0
};

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
  virtual ~LedgerStore() = default;

  // Another connection to the same ledger, for reads concurrent with this
  // one's writes. It never writes.
  virtual absl::StatusOr<std::unique_ptr<LedgerStore>> OpenReader() = 0;

  // The database's own check of its storage (pages, indexes), one line per
  // problem, at most 20; empty when it finds none or has no such check.
  virtual absl::StatusOr<std::vector<std::string>> IntegrityProblems() = 0;

  // True when, after a failed Commit, a new transaction reads exactly what
  // was committed (a database server: the commit happened or it did not).
  // False when the stored state is unknown until the ledger is reopened
  // (SQLite after a failed fsync).
  virtual bool ReadableAfterFailedCommit() const = 0;

  // Opens the write transaction, waiting while another is open on this
  // ledger (see above).
  virtual absl::Status Begin() = 0;
  virtual absl::Status Commit() = 0;
  // Harmless (an error, nothing changed) when no transaction is open.
  virtual absl::Status Rollback() = 0;

  virtual absl::StatusOr<std::string> Meta(
      const std::string& key) = 0;  // "" if absent
  virtual absl::Status SetMeta(const std::string& key,
                               const std::string& value) = 0;

  // ALREADY_EXISTS when the decision_id or client_request_id is taken; the
  // transaction stays usable. A taken leaf index is another writer having
  // sequenced past this one's view: ABORTED, and the transaction must be
  // rolled back.
  virtual absl::Status InsertRecord(const StoredRecord& row) = 0;
  // ALREADY_EXISTS when a head of that size is stored.
  virtual absl::Status InsertTreeHead(const SignedTreeHead& sth) = 0;
  // No-op when the digest is already stored.
  virtual absl::Status InsertRuleSet(const std::string& digest,
                                     const std::string& blob) = 0;

  virtual absl::StatusOr<std::optional<StoredRecord>> FindByDecisionId(
      const std::string& decision_id) = 0;
  virtual absl::StatusOr<std::optional<StoredRecord>> FindByClientRequestId(
      const std::string& client_request_id) = 0;
  virtual absl::StatusOr<std::optional<StoredRecord>> RecordAt(
      uint64_t leaf_index) = 0;
  // Decisions with from <= time < to after the cursor (time, leaf index),
  // in that order, at most `limit`.
  virtual absl::StatusOr<std::vector<StoredRecord>> DecisionsBetween(
      int64_t from_micros, int64_t to_micros, int64_t after_time_micros,
      int64_t after_leaf_index, int limit) = 0;
  // The decisions with from <= time < to: how many, and the largest leaf
  // index among them. The default pages through DecisionsBetween; stores
  // override it with one query.
  virtual absl::StatusOr<DecisionCount> CountDecisionsBetween(
      int64_t from_micros, int64_t to_micros);
  virtual absl::StatusOr<std::optional<std::string>> RuleSet(
      const std::string& digest) = 0;
  // Every activation record, oldest first, read by an index on the kind:
  // the cost grows with the activations, not with the ledger.
  virtual absl::StatusOr<std::vector<StoredRecord>> Activations() = 0;
  // Access records (kind 3) after leaf `after_leaf_index` (-1: from the
  // start), in leaf order, at most `limit` (>= 1).
  virtual absl::StatusOr<std::vector<StoredRecord>> AccessRecordsAfter(
      int64_t after_leaf_index, int limit) = 0;

  // Visit every record in leaf order; stop at the first error `fn` returns.
  virtual absl::Status ForEachRecord(
      const std::function<absl::Status(const StoredRecord&)>& fn) = 0;
  // Only (leaf index, leaf hash) of the records from `first_leaf` on, in
  // order: cheap enough to rebuild or extend the tree.
  virtual absl::Status ForEachLeafHash(
      uint64_t first_leaf,
      const std::function<absl::Status(uint64_t leaf_index,
                                       const std::string& leaf_hash)>& fn) = 0;
  virtual absl::Status ForEachTreeHead(
      const std::function<absl::Status(const SignedTreeHead&)>& fn) = 0;
  virtual absl::Status ForEachRuleSet(
      const std::function<absl::Status(const std::string& digest,
                                       const std::string& blob)>& fn) = 0;
  virtual absl::StatusOr<std::optional<SignedTreeHead>> LatestTreeHead() = 0;

  // Stores tree nodes (level >= 1). A node already stored is
  // ALREADY_EXISTS, and the transaction must be rolled back.
  virtual absl::Status InsertTreeNodes(
      const std::vector<CompactRange::Node>& nodes) = 0;
  // The hashes of `ids`, in order, in O(ids.size()) index look-ups; level 0
  // reads the record's leaf_hash. NOT_FOUND naming the first node absent,
  // DATA_LOSS for a stored hash that is not 32 bytes.
  virtual absl::StatusOr<std::vector<Hash>> TreeNodes(
      const std::vector<NodeId>& ids) = 0;

  // Waits until an activation record is committed on this ledger (by any
  // store) or `timeout` passes: true when one was, false on the timeout. A
  // store that cannot be told (SQLite) waits out the timeout: its caller
  // polls. REQUIRES: a store used for nothing else meanwhile.
  virtual absl::StatusOr<bool> AwaitActivation(absl::Duration timeout) = 0;
};

// The ledger's location names its store: a libpq connection URI
// ("postgresql://..." or "postgres://...") is PostgreSQL; anything else is
// the path of a SQLite file.
bool IsPostgresLocation(absl::string_view location);

// `location` without a password it may carry, for messages and logs.
std::string LocationForDisplay(absl::string_view location);

enum class StoreAccess {
  kWrite,   // create the ledger (schema, directories) when absent
  kVerify,  // an existing ledger, read-only, changing nothing beside it
};

// Opens the store at `location` (see IsPostgresLocation).
absl::StatusOr<std::unique_ptr<LedgerStore>> OpenLedgerStore(
    const std::string& location, StoreAccess access);

}  // namespace lantern::ledger

#endif  // LANTERN_SERVER_LEDGER_LEDGER_STORE_H_
