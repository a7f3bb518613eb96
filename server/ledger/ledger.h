// Ledger: the audit ledger's seam. The service appends every decision,
// every ruleset activation and every access record (the access log) here
// before it answers, and reads them back for audit; everything is kept in a
// LedgerStore (ledger_store.h: one SQLite file by default, or a PostgreSQL
// database shared by replicas) and covered by an RFC 6962 Merkle tree whose
// heads are signed with Ed25519.
//
// Durability: an Append returns only after the transaction holding its record
// has committed durably (SQLite: synchronous=FULL, an fsync of the
// write-ahead log; PostgreSQL: synchronous_commit=on), or with an error
// (UNAVAILABLE: the service must then answer UNAVAILABLE, never an
// unrecorded decision). Concurrent Appends share transactions: one committer
// thread takes everything queued, writes it, signs one tree head covering it
// and commits once (group commit). On SQLite a failed commit makes the
// ledger refuse every later Append (fail-stop) until it is reopened, since
// after a failed fsync the file's state is unknown until re-read; a store
// that can tell what was committed (PostgreSQL) is re-read by the next
// batch instead.
//
// Replicas: several Ledgers (processes) may share one store. The store lets
// one write transaction at a time be open (ledger_store.h); each batch first
// takes up the leaves and head other replicas committed since (checking
// that they extend this tree), then appends after them. So leaf indices and
// heads are assigned by one sequencer at a time, fenced by the database,
// and a replica that dies mid-batch holds nothing up: its transaction is
// rolled back. Every replica must sign with the same key.
//
// Idempotency: a DecisionRecord with a client_request_id already in the ledger
// is not appended again; the stored record comes back (`duplicate`). The
// stored one wins even if the retry's facts differ; comparing them is the
// caller's business.
//
// Every committed state has a signed tree head in the same transaction, so
// the file never holds records no head covers. Proofs are answered for any
// tree size up to the latest head.
//
// Memory and start-up do not grow with the ledger: the Merkle tree's nodes
// are kept in the store (stored_tree.h), written with the leaves that
// complete them; the Ledger holds only the tree's right frontier (O(log n)
// hashes). Open reads O(log n) rows; each proof reads O(log n) nodes. A
// ledger written before nodes were kept has them built once, at its first
// Open (reading every leaf hash; LedgerOptions::note says so).
//
// Usage (the service):
//   LedgerOptions options;
//   options.path = flags.ledger_path;            // e.g. "lantern-ledger.db"
//   options.clock = [&clock] { return clock.Now(); };
//   absl::StatusOr<std::unique_ptr<Ledger>> ledger = Ledger::Open(options);
//   ... per Assess, before replying:
//   absl::StatusOr<AppendedDecision> a = ledger->AppendDecision(record);
//   if (!a.ok()) reply with a.status() (UNAVAILABLE when not durable);
//   else reply with a->record.assessment() (the stored one on a retry).
//   ... on activation: ledger->AppendActivation(record, version files).
//
// Thread-safety: every method may be called concurrently from any thread.
// Appends block their caller until durable; reads do not wait for appends.
#ifndef LANTERN_SERVER_LEDGER_LEDGER_H_
#define LANTERN_SERVER_LEDGER_LEDGER_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "engine/ruleset/ruleset.h"
#include "lantern/v1/ledger.pb.h"
#include "server/app/worker_thread.h"
#include "server/ledger/ledger_store.h"
#include "server/ledger/merkle.h"
#include "server/ledger/tree_head.h"

namespace lantern::ledger {

struct LedgerOptions {
  // Where the ledger is (OpenLedgerStore): a libpq connection URI
  // ("postgresql://...") or a SQLite file. The file and its directory are
  // created when absent. The file, its -wal and -shm are mode 0600 (an
  // existing file is tightened), directories created for it 0700: they hold
  // children's data.
  std::string path;
  // The Ed25519 signing key (PEM); created (0600) when absent. Default for
  // a SQLite file: `path` + ".key"; required for PostgreSQL, whose
  // replicas must share it.
  std::string key_path;
  // Tree head timestamps. Default: absl::Now. Heads never go back in time:
  // a clock behind the last head's timestamp is read as that timestamp.
  std::function<absl::Time()> clock;
  // Told what Open does that takes long (building the node table of an
  // older ledger), one line at a time. Default: standard error.
  std::function<void(const std::string& line)> note;
  // Most records in one transaction.
  int max_batch = 512;
  // False: one transaction (and one sync) per record. For measuring only.
  bool group_commit = true;
  // Called on the committer thread after each transaction that had records
  // to write: how long writing and syncing took, how many records it held,
  // and whether it committed. Keep it short (the next batch waits). May be
  // null.
  std::function<void(absl::Duration elapsed, int records, bool committed)>
      on_commit;
};

struct AppendedDecision {
  v1::DecisionRecord record;  // as stored (the original, for a duplicate)
  uint64_t leaf_index = 0;
  bool duplicate = false;
};

struct StoredDecision {
  v1::DecisionRecord record;
  uint64_t leaf_index = 0;
};

// The ListDecisions page token that continues after `d`: for a caller
// that gives fewer decisions than a page held.
std::string PageTokenAfter(const StoredDecision& d);

struct StoredActivation {
  v1::ActivationRecord record;
  uint64_t leaf_index = 0;
};

struct StoredAccess {
  v1::AccessRecord record;
  uint64_t leaf_index = 0;
};

struct AccessPage {
  std::vector<StoredAccess> records;
  std::string next_page_token;  // empty on the last page
};

struct DecisionPage {
  std::vector<StoredDecision> decisions;
  std::string next_page_token;  // empty on the last page
};

// One leaf as stored: what an inclusion proof is about.
struct LeafEntry {
  uint64_t leaf_index = 0;
  std::string record;  // canonical LedgerRecord bytes
  Hash leaf_hash{};
};

struct LedgerStats {
  uint64_t appended = 0;    // records written
  uint64_t duplicates = 0;  // Appends answered with an earlier record
  uint64_t commits = 0;     // transactions committed (each one fsync)
};

class Ledger {
 public:
  // Opens or creates the ledger; checks that its records, latest tree head
  // and key agree (DATA_LOSS or FAILED_PRECONDITION if not: run `lantern
  // ledger verify`). REQUIRES: options.path is set.
  static absl::StatusOr<std::unique_ptr<Ledger>> Open(LedgerOptions options);
  // The same on a store already open (tests: MemoryLedgerStore); `path`
  // only names it in messages. REQUIRES: options.key_path is set.
  static absl::StatusOr<std::unique_ptr<Ledger>> Open(
      LedgerOptions options, std::unique_ptr<LedgerStore> store);
  // Commits whatever is queued, then stops.
  ~Ledger();
  Ledger(const Ledger&) = delete;
  Ledger& operator=(const Ledger&) = delete;

  // INVALID_ARGUMENT without a decision_id or received_at, or when the
  // assessment names another decision id; ALREADY_EXISTS when the decision
  // id is taken (by a record with another client_request_id); UNAVAILABLE
  // when it could not be made durable.
  absl::StatusOr<AppendedDecision> AppendDecision(v1::DecisionRecord record);
  // The same without blocking: `done` gets what AppendDecision would have
  // returned — except that for a new record AppendedDecision::record is
  // left empty (the caller has it) — on the ledger's notifier thread once
  // the batch holding the record has committed (or inline, on this thread,
  // for an invalid record; a client_request_id already stored is found by
  // the committer, so a retry is answered after one commit). The
  // committer hands each committed batch's callbacks to the notifier and
  // goes on to the next batch, so a callback's work (sending the answer)
  // overlaps the next commit; callbacks still run one at a time, so keep
  // them short.
  //
  // `record` is encoded before this returns and not used after, so it may
  // borrow its facts and assessment (protobuf's unsafe_arena_set_allocated_*)
  // rather than copy answers of tens of kilobytes.
  using DecisionCallback =
      std::function<void(absl::StatusOr<AppendedDecision>)>;
  void AppendDecisionAsync(const v1::DecisionRecord& record,
                           DecisionCallback done);
  // Stores `files` under their digest (once) and appends the activation.
  // INVALID_ARGUMENT when record.ruleset_digest is not RulesetDigest(files).
  // A REJECTED activation is appended with no files (INVALID_ARGUMENT if
  // given any). Returns the leaf index.
  absl::StatusOr<uint64_t> AppendActivation(
      v1::ActivationRecord record, const std::vector<SourceFile>& files);

  // Appends an access record without blocking: `done` gets its leaf index
  // (or UNAVAILABLE when it could not be made durable; INVALID_ARGUMENT
  // without accessed_at or method, inline) on the ledger's notifier thread
  // once committed, as AppendDecisionAsync.
  using AppendCallback = std::function<void(absl::StatusOr<uint64_t>)>;
  void AppendAccessAsync(const v1::AccessRecord& record, AppendCallback done);

  // NOT_FOUND when no decision has that id.
  absl::StatusOr<StoredDecision> GetDecision(const std::string& decision_id);
  // Decisions received in [from, to), oldest first, `page_size` (1..1000) at
  // a time, and fewer when their records' bytes would pass `max_bytes` (at
  // least one a page); pass the previous page's token for the next.
  absl::StatusOr<DecisionPage> ListDecisions(
      absl::Time from, absl::Time to, int page_size,
      const std::string& page_token,
      int64_t max_bytes = std::numeric_limits<int64_t>::max());
  // The decisions received in [from, to) committed so far: how many, and
  // the last leaf among them (ListDecisions pages give each decision's
  // leaf index, so a caller can stop at those counted).
  absl::StatusOr<DecisionCount> CountDecisions(absl::Time from, absl::Time to);
  // Access records, oldest first, `page_size` (1..1000) at a time; pass
  // the previous page's token for the next.
  absl::StatusOr<AccessPage> ListAccess(int page_size,
                                        const std::string& page_token);
  // Every activation that took effect, oldest first: the rulesets ever
  // active, so a restarted service can list them and load any by digest.
  // With `include_rejected`, the REJECTED and PROPOSED ones too, in order.
  absl::StatusOr<std::vector<StoredActivation>> ListActivations(
      bool include_rejected = false);
  // The files of a ruleset ever stored; NOT_FOUND otherwise.
  absl::StatusOr<std::vector<SourceFile>> GetRuleSetFiles(
      const std::string& digest);
  // NOT_FOUND beyond the latest tree head.
  absl::StatusOr<LeafEntry> GetLeaf(uint64_t leaf_index);

  SignedTreeHead LatestTreeHead() const;
  // Raw 32-byte Ed25519 public key that verifies every tree head.
  const std::string& public_key() const;
  // INVALID_ARGUMENT unless index < tree_size <= LatestTreeHead() size.
  absl::StatusOr<std::vector<Hash>> InclusionProof(uint64_t leaf_index,
                                                   uint64_t tree_size) const;
  // INVALID_ARGUMENT unless 0 < first <= second <= LatestTreeHead() size.
  absl::StatusOr<std::vector<Hash>> ConsistencyProof(uint64_t first,
                                                     uint64_t second) const;

  LedgerStats stats() const;

  // Waits until an activation is committed to the ledger by anyone (another
  // replica) or `timeout` passes: true when one was. Where the store cannot
  // tell (SQLite), waits out the timeout and returns false: poll. For one
  // thread at a time.
  absl::StatusOr<bool> AwaitActivation(absl::Duration timeout);

  // OK while the ledger accepts Appends; after a failed commit, the
  // UNAVAILABLE error every later Append gets (until it is reopened).
  absl::Status health() const;

 private:
  // One queued Append.
  struct Pending {
    StoredRecord row;  // leaf_index is set by the committer
    std::string ruleset_digest;
    std::string ruleset_blob;  // empty for decisions

    // Set by the committer.
    bool done = false;
    absl::Status status;
    bool duplicate = false;
    std::string stored_record;   // the earlier record, for a duplicate
    Pending* same_as = nullptr;  // an earlier Append in the same batch
    // Set for an asynchronous Append: called (instead of setting `done`)
    // on the notifier after the commit; it owns this Pending.
    std::function<void()> on_done;
  };

  // The answer to an Append of `record` when it needs no queuing: an
  // invalid record, or a client_request_id already stored; else nullopt.
  std::optional<absl::StatusOr<AppendedDecision>> AnswerWithoutQueuing(
      const v1::DecisionRecord& record);
  // A queueable Append of `record`, encoded and hashed.
  static std::unique_ptr<Pending> PrepareDecision(
      const v1::DecisionRecord& record);
  // What the committer made of `pending`; `record` (may be null) is moved
  // into the answer for a new record.
  static absl::StatusOr<AppendedDecision> Finish(const Pending& pending,
                                                 v1::DecisionRecord* record);
  Ledger(LedgerOptions options, std::unique_ptr<LedgerStore> writer,
         std::unique_ptr<LedgerStore> reader,
         std::unique_ptr<LedgerStore> listener,
         std::unique_ptr<TreeHeadSigner> signer, CompactRange tree,
         SignedTreeHead latest);

  // Queues `pending` and waits until the committer has dealt with it.
  void Submit(Pending& pending);
  // Queues `pending` (which has on_done set) and returns.
  void Enqueue(Pending* pending);
  void CommitLoop();
  void CommitBatch(const std::vector<Pending*>& batch);
  absl::Status WriteBatch(const std::vector<Pending*>& batch);
  // Takes up what other writers of the store committed since this
  // ledger's latest head. In the committer's open transaction, it also
  // stores tree nodes an older writer left out.
  absl::Status CatchUp(bool in_transaction);
  absl::Status WriteOne(Pending& pending,
                        absl::flat_hash_map<std::string, Pending*>& by_client);
  SignedTreeHead NextTreeHead(uint64_t tree_size, const Hash& root);
  absl::Status CheckProofSize(uint64_t tree_size) const;
  // Turns "no such node" for a committed size into DATA_LOSS.
  NodeReader ReaderNodes() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(reader_mu_);

  const LedgerOptions options_;
  const std::unique_ptr<TreeHeadSigner> signer_;

  // Owned by the committer thread (and Open, before it starts).
  std::unique_ptr<LedgerStore> writer_;

  // AwaitActivation's own connection.
  absl::Mutex listener_mu_;
  std::unique_ptr<LedgerStore> listener_ ABSL_GUARDED_BY(listener_mu_);

  mutable absl::Mutex reader_mu_;
  std::unique_ptr<LedgerStore> reader_ ABSL_GUARDED_BY(reader_mu_);

  // The tree's frontier may run ahead of `latest_` while a batch is being
  // written (committed_tree_ is the frontier at latest_, to go back to);
  // only sizes up to latest_ are ever answered. new_nodes_: the nodes the
  // batch being written completes.
  mutable absl::Mutex tree_mu_;
  CompactRange tree_ ABSL_GUARDED_BY(tree_mu_);
  CompactRange committed_tree_ ABSL_GUARDED_BY(tree_mu_);
  std::vector<CompactRange::Node> new_nodes_ ABSL_GUARDED_BY(tree_mu_);
  SignedTreeHead latest_ ABSL_GUARDED_BY(tree_mu_);

  mutable absl::Mutex queue_mu_;
  std::deque<Pending*> queue_ ABSL_GUARDED_BY(queue_mu_);
  bool stopping_ ABSL_GUARDED_BY(queue_mu_) = false;
  absl::Status failed_ ABSL_GUARDED_BY(queue_mu_);
  LedgerStats stats_ ABSL_GUARDED_BY(queue_mu_);

  // Declared before committer_, so destroyed after it: the committer's
  // last batch can still post its callbacks.
  WorkerThread notifier_;
  std::thread committer_;
};

}  // namespace lantern::ledger

#endif  // LANTERN_SERVER_LEDGER_LEDGER_H_
