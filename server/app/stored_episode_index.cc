// StoredEpisodeIndex: Open loads the store's rows into memory, then reads
// the ledger's leaves past the mark; Add queues a row and posts one Flush
// for however many rows queue before it runs.
#include "server/app/stored_episode_index.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "lantern/v1/ledger.pb.h"

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
    const std::string& path, ledger::Ledger* ledger,
    WriteError on_write_error) {
  absl::StatusOr<std::unique_ptr<ledger::EpisodeStore>> store =
      ledger::EpisodeStore::Open(path);
  if (!store.ok()) return store.status();
  absl::StatusOr<uint64_t> through = (*store)->IndexedThrough();
  if (!through.ok()) return through.status();
  std::unique_ptr<StoredEpisodeIndex> index(new StoredEpisodeIndex(
      *std::move(store), *through, std::move(on_write_error)));
  absl::Status loaded =
      index->store_->ForEach([&](const ledger::EpisodeRow& row) {
        v1::EpisodeFacts facts;
        if (!facts.ParseFromString(row.facts)) {
          return absl::DataLossError(
              absl::StrCat(path, ": episode index row of decision ",
                           row.decision_id, " does not parse"));
        }
        index->memory_.Insert(facts, row.decision_id, row.leaf_index);
        return absl::OkStatus();
      });
  if (!loaded.ok()) return loaded;
  if (absl::Status s = index->CatchUp(*ledger); !s.ok()) return s;
  return index;
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
  absl::MutexLock lock(&mu_);
  if (changed) {
    queued_.push_back(RowOf(*key, facts, decision_id, leaf_index));
  }
  through_ = std::max(through_, leaf_index + 1);
  if (!flush_posted_) {
    flush_posted_ = true;
    writer_.Post([this] { Flush(); });
  }
}

void StoredEpisodeIndex::Flush() {
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
