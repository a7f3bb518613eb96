// MemoryLedgerStore (see memory_ledger_store.h): committed tables are an
// immutable snapshot swapped under a mutex; a transaction edits a private
// copy; a write outside a transaction is a transaction of its own.
#include "server/ledger/memory_ledger_store.h"

#include <map>
#include <tuple>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"

namespace lantern::ledger {

struct MemoryLedgerStore::Tables {
  std::map<std::string, std::string> meta{{"format", "1"}};
  std::map<uint64_t, StoredRecord> records;
  std::map<std::string, uint64_t> by_decision_id;
  std::map<std::string, uint64_t> by_client_request_id;
  std::map<uint64_t, SignedTreeHead> heads;
  std::map<std::string, std::string> rulesets;
  std::map<std::pair<int, uint64_t>, Hash> nodes;
};

struct MemoryLedgerStore::Shared {
  absl::Mutex mu;
  std::shared_ptr<const Tables> committed ABSL_GUARDED_BY(mu) =
      std::make_shared<Tables>();
  bool writing ABSL_GUARDED_BY(mu) = false;
  uint64_t activations ABSL_GUARDED_BY(mu) = 0;  // committed so far
};

std::unique_ptr<MemoryLedgerStore> MemoryLedgerStore::Create() {
  return std::unique_ptr<MemoryLedgerStore>(
      new MemoryLedgerStore(std::make_shared<Shared>(), /*writer=*/true));
}

std::unique_ptr<MemoryLedgerStore> MemoryLedgerStore::OpenWriter() const {
  return std::unique_ptr<MemoryLedgerStore>(
      new MemoryLedgerStore(shared_, /*writer=*/true));
}

MemoryLedgerStore::MemoryLedgerStore(std::shared_ptr<Shared> shared,
                                     bool writer)
    : shared_(std::move(shared)), writer_(writer) {
  absl::MutexLock lock(&shared_->mu);
  activations_seen_ = shared_->activations;
}

MemoryLedgerStore::~MemoryLedgerStore() {
  if (txn_ != nullptr) (void)Rollback();
}

absl::StatusOr<std::unique_ptr<LedgerStore>> MemoryLedgerStore::OpenReader() {
  return std::unique_ptr<LedgerStore>(
      new MemoryLedgerStore(shared_, /*writer=*/false));
}

std::shared_ptr<const MemoryLedgerStore::Tables> MemoryLedgerStore::View()
    const {
  if (txn_ != nullptr) return txn_;
  absl::MutexLock lock(&shared_->mu);
  return shared_->committed;
}

absl::Status MemoryLedgerStore::Begin() {
  if (!writer_) return absl::FailedPreconditionError("a reader cannot write");
  if (txn_ != nullptr) {
    return absl::FailedPreconditionError("a transaction is already open");
  }
  absl::MutexLock lock(&shared_->mu);
  shared_->mu.Await(absl::Condition(
      +[](Shared* s)
           ABSL_EXCLUSIVE_LOCKS_REQUIRED(s->mu) { return !s->writing; },
      shared_.get()));
  shared_->writing = true;
  txn_ = std::make_shared<Tables>(*shared_->committed);
  txn_activates_ = false;
  return absl::OkStatus();
}

absl::Status MemoryLedgerStore::Commit() {
  if (txn_ == nullptr) return absl::FailedPreconditionError("no transaction");
  absl::MutexLock lock(&shared_->mu);
  shared_->committed = std::move(txn_);
  txn_ = nullptr;
  shared_->writing = false;
  if (txn_activates_) ++shared_->activations;
  txn_activates_ = false;
  return absl::OkStatus();
}

absl::Status MemoryLedgerStore::Rollback() {
  if (txn_ == nullptr) return absl::FailedPreconditionError("no transaction");
  txn_ = nullptr;
  txn_activates_ = false;
  absl::MutexLock lock(&shared_->mu);
  shared_->writing = false;
  return absl::OkStatus();
}

namespace {

// Runs `write` on `tables` inside the store's transaction, or in one of its
// own when none is open.
template <typename Store, typename Write>
absl::Status InTransaction(Store& store, bool open, Write write) {
  if (open) return write();
  if (absl::Status s = store.Begin(); !s.ok()) return s;
  absl::Status s = write();
  if (!s.ok()) {
    (void)store.Rollback();
    return s;
  }
  return store.Commit();
}

}  // namespace

absl::StatusOr<std::string> MemoryLedgerStore::Meta(const std::string& key) {
  std::shared_ptr<const Tables> t = View();
  auto it = t->meta.find(key);
  return it == t->meta.end() ? "" : it->second;
}

absl::Status MemoryLedgerStore::SetMeta(const std::string& key,
                                        const std::string& value) {
  return InTransaction(*this, txn_ != nullptr, [&] {
    txn_->meta[key] = value;
    return absl::OkStatus();
  });
}

absl::Status MemoryLedgerStore::InsertRecord(const StoredRecord& row) {
  return InTransaction(*this, txn_ != nullptr, [&]() -> absl::Status {
    Tables& t = *txn_;
    if (t.records.count(row.leaf_index) != 0) {
      return absl::AbortedError(absl::StrCat(
          "leaf ", row.leaf_index, " was sequenced by another writer"));
    }
    if (!row.decision_id.empty() && t.by_decision_id.count(row.decision_id)) {
      return absl::AlreadyExistsError(
          absl::StrCat("decision_id ", row.decision_id, " is taken"));
    }
    if (!row.client_request_id.empty() &&
        t.by_client_request_id.count(row.client_request_id)) {
      return absl::AlreadyExistsError(absl::StrCat(
          "client_request_id ", row.client_request_id, " is taken"));
    }
    t.records[row.leaf_index] = row;
    if (row.kind == RecordKind::kActivation) txn_activates_ = true;
    if (!row.decision_id.empty()) {
      t.by_decision_id[row.decision_id] = row.leaf_index;
    }
    if (!row.client_request_id.empty()) {
      t.by_client_request_id[row.client_request_id] = row.leaf_index;
    }
    return absl::OkStatus();
  });
}

absl::Status MemoryLedgerStore::InsertTreeHead(const SignedTreeHead& sth) {
  return InTransaction(*this, txn_ != nullptr, [&]() -> absl::Status {
    if (!txn_->heads.emplace(sth.head.tree_size, sth).second) {
      return absl::AlreadyExistsError(absl::StrCat(
          "a tree head of size ", sth.head.tree_size, " is already stored"));
    }
    return absl::OkStatus();
  });
}

absl::Status MemoryLedgerStore::InsertRuleSet(const std::string& digest,
                                              const std::string& blob) {
  return InTransaction(*this, txn_ != nullptr, [&] {
    txn_->rulesets.emplace(digest, blob);
    return absl::OkStatus();
  });
}

absl::StatusOr<std::optional<StoredRecord>> MemoryLedgerStore::FindByDecisionId(
    const std::string& decision_id) {
  std::shared_ptr<const Tables> t = View();
  auto it = t->by_decision_id.find(decision_id);
  if (it == t->by_decision_id.end()) return std::nullopt;
  return t->records.at(it->second);
}

absl::StatusOr<std::optional<StoredRecord>>
MemoryLedgerStore::FindByClientRequestId(const std::string& client_request_id) {
  std::shared_ptr<const Tables> t = View();
  auto it = t->by_client_request_id.find(client_request_id);
  if (it == t->by_client_request_id.end()) return std::nullopt;
  return t->records.at(it->second);
}

absl::StatusOr<std::optional<StoredRecord>> MemoryLedgerStore::RecordAt(
    uint64_t leaf_index) {
  std::shared_ptr<const Tables> t = View();
  auto it = t->records.find(leaf_index);
  if (it == t->records.end()) return std::nullopt;
  return it->second;
}

absl::StatusOr<std::vector<StoredRecord>> MemoryLedgerStore::DecisionsBetween(
    int64_t from_micros, int64_t to_micros, int64_t after_time_micros,
    int64_t after_leaf_index, int limit) {
  std::shared_ptr<const Tables> t = View();
  // Naive on purpose: every decision, filtered and sorted.
  std::map<std::tuple<int64_t, int64_t>, const StoredRecord*> sorted;
  for (const auto& [index, row] : t->records) {
    const auto key =
        std::make_tuple(row.time_micros, static_cast<int64_t>(row.leaf_index));
    if (row.kind == RecordKind::kDecision && row.time_micros >= from_micros &&
        row.time_micros < to_micros &&
        key > std::make_tuple(after_time_micros, after_leaf_index)) {
      sorted.emplace(key, &row);
    }
  }
  std::vector<StoredRecord> out;
  for (const auto& [key, row] : sorted) {
    if (static_cast<int>(out.size()) >= limit) break;
    out.push_back(*row);
  }
  return out;
}

absl::StatusOr<std::optional<std::string>> MemoryLedgerStore::RuleSet(
    const std::string& digest) {
  std::shared_ptr<const Tables> t = View();
  auto it = t->rulesets.find(digest);
  if (it == t->rulesets.end()) return std::nullopt;
  return it->second;
}

absl::StatusOr<std::vector<StoredRecord>> MemoryLedgerStore::Activations() {
  std::shared_ptr<const Tables> t = View();
  std::vector<StoredRecord> out;
  for (const auto& [index, row] : t->records) {
    if (row.kind == RecordKind::kActivation) out.push_back(row);
  }
  return out;
}

absl::StatusOr<std::vector<StoredRecord>> MemoryLedgerStore::AccessRecordsAfter(
    int64_t after_leaf_index, int limit) {
  std::shared_ptr<const Tables> t = View();
  std::vector<StoredRecord> out;
  for (const auto& [index, row] : t->records) {
    if (static_cast<int>(out.size()) >= limit) break;
    if (row.kind == RecordKind::kAccess &&
        static_cast<int64_t>(index) > after_leaf_index) {
      out.push_back(row);
    }
  }
  return out;
}

absl::Status MemoryLedgerStore::ForEachRecord(
    const std::function<absl::Status(const StoredRecord&)>& fn) {
  std::shared_ptr<const Tables> t = View();
  for (const auto& [index, row] : t->records) {
    if (absl::Status s = fn(row); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status MemoryLedgerStore::ForEachLeafHash(
    uint64_t first_leaf,
    const std::function<absl::Status(uint64_t, const std::string&)>& fn) {
  std::shared_ptr<const Tables> t = View();
  for (auto it = t->records.lower_bound(first_leaf); it != t->records.end();
       ++it) {
    if (absl::Status s = fn(it->first, it->second.leaf_hash); !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

absl::Status MemoryLedgerStore::ForEachTreeHead(
    const std::function<absl::Status(const SignedTreeHead&)>& fn) {
  std::shared_ptr<const Tables> t = View();
  for (const auto& [size, sth] : t->heads) {
    if (absl::Status s = fn(sth); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status MemoryLedgerStore::ForEachRuleSet(
    const std::function<absl::Status(const std::string&, const std::string&)>&
        fn) {
  std::shared_ptr<const Tables> t = View();
  for (const auto& [digest, blob] : t->rulesets) {
    if (absl::Status s = fn(digest, blob); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<SignedTreeHead>>
MemoryLedgerStore::LatestTreeHead() {
  std::shared_ptr<const Tables> t = View();
  if (t->heads.empty()) return std::nullopt;
  return t->heads.rbegin()->second;
}

absl::StatusOr<bool> MemoryLedgerStore::AwaitActivation(
    absl::Duration timeout) {
  absl::MutexLock lock(&shared_->mu);
  const uint64_t seen = activations_seen_;
  struct Changed {
    Shared* shared;
    uint64_t seen;
    bool operator()() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(shared->mu) {
      return shared->activations != seen;
    }
  } changed{shared_.get(), seen};
  const bool woke = shared_->mu.AwaitWithTimeout(
      absl::Condition(&changed, &Changed::operator()), timeout);
  activations_seen_ = shared_->activations;
  return woke;
}

absl::Status MemoryLedgerStore::InsertTreeNodes(
    const std::vector<CompactRange::Node>& nodes) {
  return InTransaction(*this, txn_ != nullptr, [&]() -> absl::Status {
    for (const CompactRange::Node& node : nodes) {
      if (!txn_->nodes
               .emplace(std::make_pair(node.id.level, node.id.index), node.hash)
               .second) {
        return absl::AlreadyExistsError(absl::StrCat(
            "tree node (", node.id.level, ", ", node.id.index, ") is stored"));
      }
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<Hash>> MemoryLedgerStore::TreeNodes(
    const std::vector<NodeId>& ids) {
  std::shared_ptr<const Tables> t = View();
  std::vector<Hash> out;
  out.reserve(ids.size());
  for (const NodeId& id : ids) {
    if (id.level == 0) {
      auto it = t->records.find(id.index);
      if (it != t->records.end()) {
        absl::StatusOr<Hash> hash = HashFromBytes(it->second.leaf_hash);
        if (!hash.ok()) return absl::DataLossError(hash.status().message());
        out.push_back(*hash);
        continue;
      }
    } else {
      auto it = t->nodes.find(std::make_pair(id.level, id.index));
      if (it != t->nodes.end()) {
        out.push_back(it->second);
        continue;
      }
    }
    return absl::NotFoundError(
        absl::StrCat("no tree node (", id.level, ", ", id.index, ")"));
  }
  return out;
}

}  // namespace lantern::ledger
