// Ledger's committer (see ledger.h): one batch of queued Appends becomes one
// transaction with one signed tree head.
//
// Within a batch, a record whose client_request_id is already stored, or
// appears earlier in the same batch, is answered with that record instead of
// being written. A record whose decision_id is taken fails alone
// (ALREADY_EXISTS); any other write error fails the whole batch and leaves
// the store as it was. A failed COMMIT fails the batch and, unless the store
// can tell what was committed, every later Append.
//
// Before writing, the batch takes up whatever other writers of the store
// (replicas) committed since this ledger's latest head: the frontier of the
// stored head's tree is read from the stored nodes, must give the head's
// root, and a consistency proof from the stored nodes must show it extends
// this ledger's last head (else DATA_LOSS: two histories, which the store's
// one-writer-at-a-time fence is there to prevent). The batch's own leaves
// extend the frontier, and the nodes they complete are written with them.

#include <chrono>
#include <functional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "server/ledger/ledger.h"
#include "server/ledger/stored_tree.h"

namespace lantern::ledger {

absl::Status Ledger::WriteOne(
    Pending& p, absl::flat_hash_map<std::string, Pending*>& by_client) {
  const std::string& client_id = p.row.client_request_id;
  if (!client_id.empty()) {
    auto [it, inserted] = by_client.try_emplace(client_id, &p);
    if (!inserted) {
      p.same_as = it->second;
      return absl::OkStatus();
    }
    absl::StatusOr<std::optional<StoredRecord>> earlier =
        writer_->FindByClientRequestId(client_id);
    if (!earlier.ok()) return earlier.status();
    if (earlier->has_value()) {
      p.duplicate = true;
      p.row.leaf_index = (*earlier)->leaf_index;
      p.stored_record = (*earlier)->record;
      return absl::OkStatus();
    }
  }
  absl::MutexLock lock(&tree_mu_);
  p.row.leaf_index = tree_.size();
  absl::Status s = writer_->InsertRecord(p.row);
  if (absl::IsAlreadyExists(s)) {
    p.status = absl::AlreadyExistsError(absl::StrCat(
        "decision_id ", p.row.decision_id, " is already recorded"));
    if (!client_id.empty()) by_client.erase(client_id);
    return absl::OkStatus();
  }
  if (!s.ok()) return s;
  if (!p.ruleset_blob.empty()) {
    s = writer_->InsertRuleSet(p.ruleset_digest, p.ruleset_blob);
    if (!s.ok()) return s;
  }
  tree_.Append(*HashFromBytes(p.row.leaf_hash), &new_nodes_);
  return absl::OkStatus();
}

SignedTreeHead Ledger::NextTreeHead(uint64_t tree_size, const Hash& root) {
  absl::Time now = absl::FromUnixMicros(absl::ToUnixMicros(options_.clock()));
  {
    absl::MutexLock lock(&tree_mu_);
    now = std::max(now, latest_.head.timestamp);
  }
  return signer_->Sign({tree_size, root, now});
}

absl::Status Ledger::CatchUp(bool in_transaction) {
  absl::StatusOr<std::optional<SignedTreeHead>> stored =
      writer_->LatestTreeHead();
  if (!stored.ok()) return stored.status();
  SignedTreeHead have_head;
  {
    absl::MutexLock lock(&tree_mu_);
    have_head = latest_;
  }
  const uint64_t have = have_head.head.tree_size;
  if (!stored->has_value() || (*stored)->head.tree_size < have) {
    return absl::DataLossError(absl::StrCat(
        options_.path, ": the stored tree heads end before this ledger's (",
        have, " records)"));
  }
  const SignedTreeHead& head = **stored;
  const uint64_t target = head.head.tree_size;
  if (target == have) {
    if (head.head.root != have_head.head.root) {
      return absl::DataLossError(
          absl::StrCat(options_.path, ": the latest tree head (size ", target,
                       ") does not extend this ledger's tree"));
    }
    absl::MutexLock lock(&tree_mu_);
    latest_ = head;
    return absl::OkStatus();
  }
  // Another writer's leaves: their nodes are stored with them (a writer
  // that kept none, an older version, leaves them to the next Open).
  absl::StatusOr<uint64_t> covered =
      StoredTreeNodesSize(*writer_, options_.path);
  if (!covered.ok()) return covered.status();
  absl::StatusOr<CompactRange> tree;
  if (*covered >= target) {
    tree = ReadCompactRange(*writer_, target, options_.path);
  } else if (in_transaction) {
    tree =
        CompleteStoredTree(*writer_, *covered, target, options_.path, nullptr);
  } else {
    return absl::FailedPreconditionError(absl::StrCat(
        options_.path, ": records to ", target,
        " were written without their Merkle tree nodes (by an older "
        "version?); the next batch builds them"));
  }
  if (!tree.ok()) return tree.status();
  bool extends = tree->Root() == head.head.root;
  if (extends && have > 0) {
    absl::StatusOr<std::vector<Hash>> proof = ConsistencyProofFrom(
        StoredNodeReader(*writer_, options_.path), have, target);
    if (!proof.ok()) return proof.status();
    extends = VerifyConsistency(have, target, have_head.head.root,
                                head.head.root, *proof);
  }
  if (!extends) {
    return absl::DataLossError(
        absl::StrCat(options_.path, ": the latest tree head (size ", target,
                     ") does not extend this ledger's tree"));
  }
  absl::MutexLock lock(&tree_mu_);
  tree_ = *tree;
  committed_tree_ = *std::move(tree);
  latest_ = head;
  return absl::OkStatus();
}

absl::Status Ledger::WriteBatch(const std::vector<Pending*>& batch) {
  if (absl::Status s = writer_->Begin(); !s.ok()) return s;
  if (absl::Status s = CatchUp(/*in_transaction=*/true); !s.ok()) return s;
  absl::flat_hash_map<std::string, Pending*> by_client;
  uint64_t old_size;
  {
    absl::MutexLock lock(&tree_mu_);
    old_size = tree_.size();
    new_nodes_.clear();
  }
  for (Pending* p : batch) {
    if (absl::Status s = WriteOne(*p, by_client); !s.ok()) return s;
  }
  uint64_t new_size;
  Hash root;
  std::vector<CompactRange::Node> nodes;
  {
    absl::MutexLock lock(&tree_mu_);
    new_size = tree_.size();
    root = tree_.Root();
    nodes.swap(new_nodes_);
  }
  if (new_size == old_size) return writer_->Rollback();  // nothing new
  if (absl::Status s = writer_->InsertTreeNodes(nodes); !s.ok()) return s;
  if (absl::Status s = SetStoredTreeNodesSize(*writer_, new_size); !s.ok()) {
    return s;
  }
  const SignedTreeHead sth = NextTreeHead(new_size, root);
  if (absl::Status s = writer_->InsertTreeHead(sth); !s.ok()) return s;
  if (absl::Status s = writer_->Commit(); !s.ok()) {
    if (!writer_->ReadableAfterFailedCommit()) {
      absl::MutexLock lock(&queue_mu_);
      failed_ = absl::UnavailableError(absl::StrCat(
          "the ledger stopped accepting records after a failed commit (",
          s.message(), "); restart to re-read it"));
    }
    return s;
  }
  absl::MutexLock lock(&tree_mu_);
  latest_ = sth;
  committed_tree_ = tree_;
  return absl::OkStatus();
}

void Ledger::CommitBatch(const std::vector<Pending*>& batch) {
  absl::Status status;
  {
    absl::MutexLock lock(&queue_mu_);
    status = failed_;
  }
  const auto started = std::chrono::steady_clock::now();
  if (status.ok()) status = WriteBatch(batch);
  const absl::Duration elapsed =
      absl::FromChrono(std::chrono::steady_clock::now() - started);
  if (!status.ok()) {
    (void)writer_->Rollback();  // fails harmlessly if nothing is open
    absl::MutexLock lock(&tree_mu_);
    tree_ = committed_tree_;
    new_nodes_.clear();
    status = absl::UnavailableError(
        absl::StrCat("the ledger could not record: ", status.message()));
  }
  // A waiting Append may destroy its Pending as soon as `done` is set; an
  // asynchronous one is owned by its on_done, which the notifier calls.
  std::vector<Pending*> callbacks;
  int written = 0;
  {
    absl::MutexLock lock(&queue_mu_);
    bool wrote = false;
    for (Pending* p : batch) {
      if (!status.ok()) {
        p->status = status;
      } else if (p->same_as != nullptr) {
        const Pending& first = *p->same_as;
        p->status = first.status;
        p->duplicate = true;
        p->row.leaf_index = first.row.leaf_index;
        p->stored_record =
            first.duplicate ? first.stored_record : first.row.record;
      }
      if (p->status.ok() && !p->duplicate) {
        ++stats_.appended;
        wrote = true;
      } else if (p->status.ok()) {
        ++stats_.duplicates;
      }
    }
    if (wrote) ++stats_.commits;
    for (Pending* p : batch) {
      if (p->status.ok() && !p->duplicate) ++written;
    }
    for (Pending* p : batch) {
      if (p->on_done) {
        callbacks.push_back(p);
      } else {
        p->done = true;
      }
    }
  }
  if (options_.on_commit && (written > 0 || !status.ok())) {
    options_.on_commit(elapsed, status.ok() ? written : int(batch.size()),
                       status.ok());
  }
  if (callbacks.empty()) return;
  notifier_.Post([callbacks = std::move(callbacks)] {
    for (Pending* p : callbacks) {
      std::function<void()> on_done = std::move(p->on_done);
      on_done();  // deletes p
    }
  });
}

}  // namespace lantern::ledger
