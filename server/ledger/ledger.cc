// Ledger: opening, appending and group commit (see ledger.h); reads and
// proofs are in ledger_reads.cc.
//
// Append encodes and hashes its record on the caller's thread, queues it and
// waits. The committer thread takes everything queued (up to max_batch),
// writes it in one transaction with one new signed tree head, commits (one
// fsync of the WAL) and wakes the waiters.
#include "server/ledger/ledger.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "engine/ruleset/ruleset_digest.h"
#include "server/ledger/record_codec.h"
#include "server/ledger/stored_tree.h"

namespace lantern::ledger {

namespace {

// How long the committer waits for work before it looks for records other
// replicas of the store committed.
constexpr absl::Duration kIdleRefresh = absl::Seconds(1);

int64_t Micros(const google::protobuf::Timestamp& t) {
  return t.seconds() * 1000000 + t.nanos() / 1000;
}

absl::Status CheckDecision(const v1::DecisionRecord& record) {
  if (record.decision_id().empty()) {
    return absl::InvalidArgumentError("decision_id: required");
  }
  if (!record.has_received_at()) {
    return absl::InvalidArgumentError("received_at: required");
  }
  if (!record.assessment().decision_id().empty() &&
      record.assessment().decision_id() != record.decision_id()) {
    return absl::InvalidArgumentError(
        "assessment.decision_id: differs from decision_id");
  }
  return absl::OkStatus();
}

absl::Status CheckKey(LedgerStore& store, const TreeHeadSigner& signer,
                      const LedgerOptions& options) {
  absl::StatusOr<std::string> stored = store.Meta("public_key");
  if (!stored.ok()) return stored.status();
  if (stored->empty()) return store.SetMeta("public_key", signer.public_key());
  if (*stored != signer.public_key()) {
    return absl::FailedPreconditionError(absl::StrCat(
        options.key_path, " is not the key that signed ", options.path));
  }
  return absl::OkStatus();
}

// Children's data: the ledger's missing directories are created 0700, and
// the file itself 0600 before SQLite opens it (SQLite gives its -wal and
// -shm files the database file's mode); an existing file, -wal and -shm are
// tightened to 0600.
absl::Status MakePrivate(const std::string& path) {
  const std::filesystem::path dir = std::filesystem::path(path).parent_path();
  std::filesystem::path partial;
  for (const std::filesystem::path& part : dir) {
    partial /= part;
    if (mkdir(partial.c_str(), 0700) != 0 && errno != EEXIST) {
      return absl::UnavailableError(absl::StrCat("cannot create directory ",
                                                 partial.string(), ": ",
                                                 std::strerror(errno)));
    }
  }
  const int fd = open(path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot open ", path, ": ", std::strerror(errno)));
  }
  close(fd);
  for (const std::string& file : {path, path + "-wal", path + "-shm"}) {
    if (chmod(file.c_str(), 0600) != 0 && errno != ENOENT) {
      return absl::UnavailableError(
          absl::StrCat("cannot make ", file,
                       " private (mode 0600): ", std::strerror(errno)));
    }
  }
  return absl::OkStatus();
}

struct Opened {
  CompactRange tree;
  SignedTreeHead latest;
};

absl::Status NotCovered(const std::string& path) {
  return absl::DataLossError(absl::StrCat(
      path, ": the latest signed tree head does not cover the stored ",
      "records; run `lantern ledger verify ", path, "`"));
}

// The ledger's tree frontier and latest head, checked against each other
// and the key, in O(log n) reads; a new ledger gets its key stored and its
// empty tree signed; an older one (no tree nodes) gets its nodes built.
absl::StatusOr<Opened> ReadOpened(LedgerStore& store,
                                  const TreeHeadSigner& signer,
                                  const LedgerOptions& options) {
  if (absl::Status s = CheckKey(store, signer, options); !s.ok()) return s;
  const std::string& path = options.path;
  absl::StatusOr<std::optional<SignedTreeHead>> latest = store.LatestTreeHead();
  if (!latest.ok()) return latest.status();
  if (!latest->has_value()) {
    // A new ledger: sign its empty tree, so there is always a head.
    absl::StatusOr<std::optional<StoredRecord>> first = store.RecordAt(0);
    if (!first.ok()) return first.status();
    if (first->has_value()) return NotCovered(path);
    const absl::Time now =
        absl::FromUnixMicros(absl::ToUnixMicros(options.clock()));
    const SignedTreeHead empty = signer.Sign({0, CompactRange().Root(), now});
    if (absl::Status s = store.InsertTreeHead(empty); !s.ok()) return s;
    if (absl::Status s = SetStoredTreeNodesSize(store, 0); !s.ok()) return s;
    return Opened{CompactRange(), empty};
  }
  const SignedTreeHead& head = **latest;
  const uint64_t size = head.head.tree_size;
  absl::StatusOr<uint64_t> covered = StoredTreeNodesSize(store, path);
  if (!covered.ok()) return covered.status();
  absl::StatusOr<CompactRange> tree;
  if (*covered < size) {
    options.note(absl::StrCat(path, ": building the Merkle tree's node table ",
                              "for records ", *covered, " to ", size,
                              " (once; this reads every leaf hash)"));
    tree = CompleteStoredTree(store, *covered, size, path, [&](uint64_t done) {
      options.note(absl::StrCat(path, ": ", done, " of ", size, " leaves"));
    });
  } else {
    tree = ReadCompactRange(store, size, path);
  }
  if (!tree.ok()) return tree.status();
  if (tree->Root() != head.head.root) return NotCovered(path);
  // No record beyond the head.
  absl::StatusOr<std::optional<StoredRecord>> next = store.RecordAt(size);
  if (!next.ok()) return next.status();
  if (next->has_value()) return NotCovered(path);
  return Opened{*std::move(tree), head};
}

}  // namespace

absl::StatusOr<std::unique_ptr<Ledger>> Ledger::Open(LedgerOptions options) {
  if (options.path.empty()) {
    return absl::InvalidArgumentError("ledger path: required");
  }
  if (IsPostgresLocation(options.path)) {
    if (options.key_path.empty()) {
      return absl::InvalidArgumentError(
          "a PostgreSQL ledger needs its signing key's path (--ledger_key); "
          "every replica signs with the same key");
    }
  } else {
    if (options.key_path.empty()) options.key_path = options.path + ".key";
    if (absl::Status s = MakePrivate(options.path); !s.ok()) return s;
  }
  absl::StatusOr<std::unique_ptr<LedgerStore>> store =
      OpenLedgerStore(options.path, StoreAccess::kWrite);
  if (!store.ok()) return store.status();
  return Open(std::move(options), *std::move(store));
}

absl::StatusOr<std::unique_ptr<Ledger>> Ledger::Open(
    LedgerOptions options, std::unique_ptr<LedgerStore> writer) {
  if (options.key_path.empty()) {
    return absl::InvalidArgumentError("ledger key path: required");
  }
  if (!options.clock) options.clock = [] { return absl::Now(); };
  if (!options.note) {
    options.note = [](const std::string& line) {
      std::fprintf(stderr, "%s\n", line.c_str());
    };
  }
  options.max_batch = std::max(1, options.max_batch);
  options.path = LocationForDisplay(options.path);
  absl::StatusOr<std::unique_ptr<TreeHeadSigner>> signer =
      TreeHeadSigner::LoadOrCreate(options.key_path);
  if (!signer.ok()) return signer.status();
  // In a write transaction, so that no other writer of the store adds
  // records between the tree and the head read here.
  if (absl::Status s = writer->Begin(); !s.ok()) return s;
  absl::StatusOr<Opened> opened = ReadOpened(*writer, **signer, options);
  if (opened.ok()) {
    if (absl::Status s = writer->Commit(); !s.ok()) opened = s;
  } else {
    (void)writer->Rollback();
  }
  if (!opened.ok()) return opened.status();
  absl::StatusOr<std::unique_ptr<LedgerStore>> reader = writer->OpenReader();
  if (!reader.ok()) return reader.status();
  absl::StatusOr<std::unique_ptr<LedgerStore>> listener = writer->OpenReader();
  if (!listener.ok()) return listener.status();
  return std::unique_ptr<Ledger>(
      new Ledger(std::move(options), std::move(writer), *std::move(reader),
                 *std::move(listener), *std::move(signer),
                 std::move(opened->tree), opened->latest));
}

Ledger::Ledger(LedgerOptions options, std::unique_ptr<LedgerStore> writer,
               std::unique_ptr<LedgerStore> reader,
               std::unique_ptr<LedgerStore> listener,
               std::unique_ptr<TreeHeadSigner> signer, CompactRange tree,
               SignedTreeHead latest)
    : options_(std::move(options)),
      signer_(std::move(signer)),
      writer_(std::move(writer)),
      listener_(std::move(listener)),
      reader_(std::move(reader)),
      tree_(tree),
      committed_tree_(std::move(tree)),
      latest_(std::move(latest)) {
  // Named, so that `top -H` and /proc/PID/task show what costs what.
  notifier_.Post([] { pthread_setname_np(pthread_self(), "ledger-notify"); });
  committer_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "ledger-commit");
    CommitLoop();
  });
}

Ledger::~Ledger() {
  {
    absl::MutexLock lock(&queue_mu_);
    stopping_ = true;
  }
  committer_.join();
}

std::optional<absl::StatusOr<AppendedDecision>> Ledger::AnswerWithoutQueuing(
    const v1::DecisionRecord& record) {
  if (absl::Status s = CheckDecision(record); !s.ok()) return s;
  if (record.client_request_id().empty()) return std::nullopt;
  absl::MutexLock lock(&reader_mu_);
  absl::StatusOr<std::optional<StoredRecord>> earlier =
      reader_->FindByClientRequestId(record.client_request_id());
  if (!earlier.ok()) return earlier.status();
  if (!earlier->has_value()) return std::nullopt;
  absl::StatusOr<v1::LedgerRecord> stored = DecodeRecord((*earlier)->record);
  if (!stored.ok()) return stored.status();
  absl::MutexLock stats_lock(&queue_mu_);
  ++stats_.duplicates;
  return AppendedDecision{stored->decision(), (*earlier)->leaf_index, true};
}

std::unique_ptr<Ledger::Pending> Ledger::PrepareDecision(
    const v1::DecisionRecord& record) {
  auto pending = std::make_unique<Pending>();
  StoredRecord& row = pending->row;
  row.kind = RecordKind::kDecision;
  row.decision_id = record.decision_id();
  row.client_request_id = record.client_request_id();
  row.time_micros = Micros(record.received_at());
  // The leaf borrows the record for the encoding: no copy of it is made.
  v1::LedgerRecord leaf;
  leaf.unsafe_arena_set_allocated_decision(
      const_cast<v1::DecisionRecord*>(&record));
  row.record = EncodeCanonical(leaf);
  leaf.unsafe_arena_release_decision();
  row.leaf_hash = std::string(HashBytes(LeafHash(row.record)));
  return pending;
}

absl::StatusOr<AppendedDecision> Ledger::Finish(const Pending& pending,
                                                v1::DecisionRecord* record) {
  if (!pending.status.ok()) return pending.status;
  if (!pending.duplicate) {
    AppendedDecision appended;
    if (record != nullptr) appended.record = std::move(*record);
    appended.leaf_index = pending.row.leaf_index;
    return appended;
  }
  absl::StatusOr<v1::LedgerRecord> stored = DecodeRecord(pending.stored_record);
  if (!stored.ok()) return stored.status();
  return AppendedDecision{stored->decision(), pending.row.leaf_index, true};
}

absl::StatusOr<AppendedDecision> Ledger::AppendDecision(
    v1::DecisionRecord record) {
  if (auto answer = AnswerWithoutQueuing(record)) return *std::move(answer);
  std::unique_ptr<Pending> pending = PrepareDecision(record);
  Submit(*pending);
  return Finish(*pending, &record);
}

void Ledger::AppendDecisionAsync(const v1::DecisionRecord& record,
                                 DecisionCallback done) {
  // No look-up of the client_request_id here (one query, and the reader's
  // lock, on every call): the committer looks it up anyway, in the
  // transaction that would write the record, and a retry waits one commit.
  if (absl::Status s = CheckDecision(record); !s.ok()) {
    done(s);
    return;
  }
  Pending* pending = PrepareDecision(record).release();
  pending->on_done = [pending, done = std::move(done)] {
    std::unique_ptr<Pending> owned(pending);
    done(Finish(*owned, nullptr));
  };
  Enqueue(pending);
}

absl::StatusOr<uint64_t> Ledger::AppendActivation(
    v1::ActivationRecord record, const std::vector<SourceFile>& files) {
  Pending pending;
  if (record.outcome() == v1::ActivationRecord::REJECTED) {
    if (!files.empty()) {
      return absl::InvalidArgumentError(
          "a rejected activation stores no files");
    }
  } else {
    const v1::RuleSetBlob blob = MakeRuleSetBlob(files);
    if (record.ruleset_digest() != blob.digest()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "ruleset_digest: ", record.ruleset_digest(),
          " is not the digest of the files (", blob.digest(), ")"));
    }
    pending.ruleset_digest = blob.digest();
    pending.ruleset_blob = EncodeCanonical(blob);
  }
  pending.row.kind = RecordKind::kActivation;
  pending.row.time_micros = Micros(record.activated_at());
  v1::LedgerRecord leaf;
  *leaf.mutable_activation() = std::move(record);
  pending.row.record = EncodeCanonical(leaf);
  pending.row.leaf_hash = std::string(HashBytes(LeafHash(pending.row.record)));
  Submit(pending);
  if (!pending.status.ok()) return pending.status;
  return pending.row.leaf_index;
}

void Ledger::AppendAccessAsync(const v1::AccessRecord& record,
                               AppendCallback done) {
  if (!record.has_accessed_at() || record.method().empty()) {
    done(absl::InvalidArgumentError("accessed_at and method: required"));
    return;
  }
  auto* pending = new Pending;
  pending->row.kind = RecordKind::kAccess;
  pending->row.time_micros = Micros(record.accessed_at());
  v1::LedgerRecord leaf;
  *leaf.mutable_access() = record;
  pending->row.record = EncodeCanonical(leaf);
  pending->row.leaf_hash =
      std::string(HashBytes(LeafHash(pending->row.record)));
  pending->on_done = [pending, done = std::move(done)] {
    std::unique_ptr<Pending> owned(pending);
    if (!owned->status.ok()) {
      done(owned->status);
    } else {
      done(owned->row.leaf_index);
    }
  };
  Enqueue(pending);
}

void Ledger::Submit(Pending& pending) {
  absl::MutexLock lock(&queue_mu_);
  queue_.push_back(&pending);
  queue_mu_.Await(absl::Condition(&pending.done));
}

void Ledger::Enqueue(Pending* pending) {
  absl::MutexLock lock(&queue_mu_);
  queue_.push_back(pending);
}

void Ledger::CommitLoop() {
  while (true) {
    std::vector<Pending*> batch;
    {
      absl::MutexLock lock(&queue_mu_);
      queue_mu_.AwaitWithTimeout(
          absl::Condition(
              +[](Ledger* l) ABSL_EXCLUSIVE_LOCKS_REQUIRED(l->queue_mu_) {
                return !l->queue_.empty() || l->stopping_;
              },
              this),
          kIdleRefresh);
      if (queue_.empty() && stopping_) return;  // nothing left to do
      const size_t limit = options_.group_commit ? options_.max_batch : 1;
      while (!queue_.empty() && batch.size() < limit) {
        batch.push_back(queue_.front());
        queue_.pop_front();
      }
    }
    if (batch.empty()) {
      // Idle: take up what other replicas of the store committed, so this
      // one's heads and proofs keep up. A failure is the next batch's to
      // report.
      if (health().ok()) (void)CatchUp(/*in_transaction=*/false);
      continue;
    }
    CommitBatch(batch);
  }
}

}  // namespace lantern::ledger
