// StoredEpisodeIndex: Open loads the store's rows into memory, then reads
// the ledger's leaves past the mark; Add (SQLite) or Sync (PostgreSQL)
// queues rows and posts one Flush for however many rows queue before it
// runs.
#include "server/app/stored_episode_index.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "lantern/v1/ledger.pb.h"
#include "server/ledger/ledger_store.h"

namespace lantern {
namespace {

constexpr size_t kCatchUpBatch = 1000;

ledger::EpisodeRow RowOf(const std::string& key, const v1::EpisodeFacts& facts,
                         absl::string_view decision_id, uint64_t leaf_index) {
  ledger::EpisodeRow row{key, leaf_index, std::string(decision_id), ""};
  IndexedPart(facts).SerializeToString(&row.facts);
  return row;
}

}  // namespace

absl::StatusOr<std::unique_ptr<StoredEpisodeIndex>> StoredEpisodeIndex::Open(
    const std::string& location, ledger::Ledger* ledger,
    WriteError on_write_error) {
  absl::StatusOr<std::unique_ptr<ledger::EpisodeStore>> store =
      ledger::EpisodeStore::Open(location);
  if (!store.ok()) return store.status();
  std::unique_ptr<ledger::EpisodeStore> tail;
  if ((*store)->shared()) {
    absl::StatusOr<std::unique_ptr<ledger::EpisodeStore>> opened =
        ledger::EpisodeStore::Open(location);
    if (!opened.ok()) return opened.status();
    tail = *std::move(opened);
  }
  absl::StatusOr<uint64_t> through = (*store)->IndexedThrough();
  if (!through.ok()) return through.status();
  std::unique_ptr<StoredEpisodeIndex> index(new StoredEpisodeIndex(
      *std::move(store), std::move(tail), *through, std::move(on_write_error)));
  const std::string shown = ledger::LocationForDisplay(location);
  absl::Status loaded =
      index->store_->ForEach([&](const ledger::EpisodeRow& row) {
        v1::EpisodeFacts facts;
        if (!facts.ParseFromString(row.facts)) {
          return absl::DataLossError(
              absl::StrCat(shown, ": episode index row of decision ",
                           row.decision_id, " does not parse"));
        }
        index->memory_.Insert(facts, row.decision_id, row.leaf_index);
        return absl::OkStatus();
      });
  if (!loaded.ok()) return loaded;
  if (index->tail_store_ != nullptr) {
    absl::MutexLock lock(&index->tail_mu_);
    if (absl::Status s = index->TakeUp(); !s.ok()) return s;
  } else if (absl::Status s = index->CatchUp(*ledger); !s.ok()) {
    return s;
  }
  return index;
}

absl::Status StoredEpisodeIndex::Sync() const {
  if (tail_store_ == nullptr) return absl::OkStatus();
  const uint64_t ticket = syncs_requested_.fetch_add(1) + 1;
  absl::MutexLock lock(&tail_mu_);
  // A read that began after this call arrived has completed: it saw
  // everything recorded before the call.
  if (syncs_done_ >= ticket) return absl::OkStatus();
  const uint64_t covers = syncs_requested_.load();
  absl::Status status = TakeUp();
  if (status.ok()) syncs_done_ = covers;
  return status;
}

absl::Status StoredEpisodeIndex::TakeUp() const {
  for (;;) {
    std::vector<ledger::EpisodeRow> rows;
    int read = 0;
    absl::Status parsed;
    uint64_t next = tail_;
    absl::Status status = tail_store_->DecisionsFrom(
        next, static_cast<int>(kCatchUpBatch),
        [&](uint64_t leaf, std::string bytes) {
          ++read;
          next = leaf + 1;
          v1::LedgerRecord record;
          if (!record.ParseFromString(bytes)) {
            parsed = absl::DataLossError(
                absl::StrCat("ledger record ", leaf, " does not parse"));
            return;
          }
          const v1::DecisionRecord& d = record.decision();
          std::optional<std::string> key = EpisodeKey(d.facts());
          if (!key.has_value()) return;
          memory_.Insert(d.facts(), d.decision_id(), leaf);
          rows.push_back(RowOf(*key, d.facts(), d.decision_id(), leaf));
        });
    if (!status.ok()) return status;
    if (!parsed.ok()) return parsed;
    tail_ = next;
    if (read > 0) Queue(std::move(rows), tail_);
    if (read < static_cast<int>(kCatchUpBatch)) return absl::OkStatus();
  }
}

absl::Status StoredEpisodeIndex::CatchUp(ledger::Ledger& ledger) {
  const uint64_t size = ledger.LatestTreeHead().head.tree_size;
  uint64_t leaf = 0;
  {
    absl::MutexLock lock(&mu_);
    leaf = through_;
  }
  std::vector<ledger::EpisodeRow> rows;
  for (; leaf < size; ++leaf) {
    absl::StatusOr<ledger::LeafEntry> entry = ledger.GetLeaf(leaf);
    if (!entry.ok()) return entry.status();
    v1::LedgerRecord record;
    if (!record.ParseFromString(entry->record)) {
      return absl::DataLossError(
          absl::StrCat("ledger record ", leaf, " does not parse"));
    }
    if (record.has_decision()) {
      const v1::DecisionRecord& d = record.decision();
      std::optional<std::string> key = EpisodeKey(d.facts());
      if (key.has_value() && memory_.Insert(d.facts(), d.decision_id(), leaf)) {
        rows.push_back(RowOf(*key, d.facts(), d.decision_id(), leaf));
      }
    }
    if (rows.size() >= kCatchUpBatch || leaf + 1 == size) {
      if (absl::Status s = store_->Write(rows, leaf + 1); !s.ok()) return s;
      rows.clear();
    }
  }
  absl::MutexLock lock(&mu_);
  through_ = std::max(through_, size);
  return absl::OkStatus();
}

void StoredEpisodeIndex::Add(const v1::EpisodeFacts& facts,
                             absl::string_view decision_id,
                             uint64_t leaf_index) {
  std::optional<std::string> key = EpisodeKey(facts);
  const bool changed =
      key.has_value() && memory_.Insert(facts, decision_id, leaf_index);
  // Shared: Sync queues the row when it takes the decision up, with every
  // other replica's before it.
  if (tail_store_ != nullptr) return;
  std::vector<ledger::EpisodeRow> rows;
  if (changed) rows.push_back(RowOf(*key, facts, decision_id, leaf_index));
  Queue(std::move(rows), leaf_index + 1);
}

void StoredEpisodeIndex::Queue(std::vector<ledger::EpisodeRow> rows,
                               uint64_t through) const {
  absl::MutexLock lock(&mu_);
  if (queued_.empty()) {
    queued_ = std::move(rows);
  } else {
    for (ledger::EpisodeRow& row : rows) queued_.push_back(std::move(row));
  }
  through_ = std::max(through_, through);
  if (!flush_posted_) {
    flush_posted_ = true;
    writer_.Post([this] { Flush(); });
  }
}

void StoredEpisodeIndex::Flush() const {
  std::vector<ledger::EpisodeRow> rows;
  uint64_t through = 0;
  {
    absl::MutexLock lock(&mu_);
    rows.swap(queued_);
    through = through_;
    flush_posted_ = false;
    if (failed_) return;
  }
  absl::Status written = store_->Write(rows, through);
  if (written.ok()) return;
  {
    absl::MutexLock lock(&mu_);
    failed_ = true;
  }
  if (on_write_error_ != nullptr) on_write_error_(written);
}

}  // namespace lantern
