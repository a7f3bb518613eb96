// StoredEpisodeIndex: the episode index kept in the ledger's store
// (server/ledger/episode_store.h: the SQLite file or the PostgreSQL
// database), so that derived facts survive a restart. Derive runs on a
// MemoryEpisodeIndex loaded at Open; the store is written on a background
// writer, several decisions to a transaction.
//
// The ledger stays the record: at Open every decision the ledger holds
// past the store's `indexed_through` mark (appended after the last write
// that reached the store, or before the index existed) is read back from
// the ledger and indexed. A failed write stops the mark from moving, and is
// reported once to `on_write_error`; the next Open repairs the gap.
//
// SQLite (one process): each Add goes into memory at once (the next Assess
// sees it) and is queued for the store.
//
// PostgreSQL (replicas share the ledger and the index's tables): Sync
// reads the ledger's decisions past the last one this process took up,
// whichever replica recorded them, indexes them in memory and queues them
// for the store (the store skips rows another replica wrote first). The
// server calls Sync before each Derive, so a decision answered by any
// replica counts in every later Assess on every replica. Concurrent Syncs
// share one read: a caller waits for a read that began after it called,
// never for one that began before. Add indexes in memory only; Sync
// writes the row when it takes the decision up from the ledger.
//
// Thread-safety: every call may come from any thread. Add must be called in
// ledger order (the recorder calls it from the ledger's notifier, which
// runs in commit order).
#ifndef LANTERN_SERVER_APP_STORED_EPISODE_INDEX_H_
#define LANTERN_SERVER_APP_STORED_EPISODE_INDEX_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "server/app/episode_index.h"
#include "server/app/memory_episode_index.h"
#include "server/app/worker_thread.h"
#include "server/ledger/episode_store.h"
#include "server/ledger/ledger.h"

namespace lantern {

class StoredEpisodeIndex : public EpisodeIndex {
 public:
  using WriteError = std::function<void(const absl::Status& why)>;

  // Opens the index in the ledger at `location` (a SQLite file or a
  // postgresql:// URI; REQUIRES: `ledger` is open on it and outlives the
  // index), loads it and catches up with the ledger. Errors: the store's
  // (UNAVAILABLE, DATA_LOSS for a row that does not parse) and the
  // ledger's reads.
  static absl::StatusOr<std::unique_ptr<StoredEpisodeIndex>> Open(
      const std::string& location, ledger::Ledger* ledger,
      WriteError on_write_error = nullptr);
  // Writes what is queued.
  ~StoredEpisodeIndex() override = default;

  absl::Status Sync() const override;
  std::optional<v1::Derived> Derive(const v1::EpisodeFacts& facts,
                                    absl::Time as_of) const override {
    return memory_.Derive(facts, as_of);
  }
  void Add(const v1::EpisodeFacts& facts, absl::string_view decision_id,
           uint64_t leaf_index) override;
  std::vector<LinkedDecision> LinkedTo(
      LinkKind link, absl::string_view reference) const override {
    return memory_.LinkedTo(link, reference);
  }

  size_t size() const { return memory_.size(); }

 private:
  StoredEpisodeIndex(std::unique_ptr<ledger::EpisodeStore> store,
                     std::unique_ptr<ledger::EpisodeStore> tail,
                     uint64_t through, WriteError on_write_error)
      : store_(std::move(store)),
        tail_store_(std::move(tail)),
        tail_(through),
        through_(through),
        on_write_error_(std::move(on_write_error)) {}
  // Indexes the ledger's decisions from through_ on (SQLite).
  absl::Status CatchUp(ledger::Ledger& ledger);
  // Reads the ledger's decisions from tail_ to its end (PostgreSQL),
  // indexes them and queues their rows.
  absl::Status TakeUp() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(tail_mu_);
  // Queues `rows`, raises through_, and posts a Flush if none is posted.
  void Queue(std::vector<ledger::EpisodeRow> rows, uint64_t through) const;
  // On the writer: writes what is queued.
  void Flush() const;

  mutable MemoryEpisodeIndex memory_;
  // Used only by Open and then the writer thread.
  const std::unique_ptr<ledger::EpisodeStore> store_;

  // PostgreSQL: the ledger read by Sync, on a connection of its own.
  mutable absl::Mutex tail_mu_;
  const std::unique_ptr<ledger::EpisodeStore> tail_store_
      ABSL_PT_GUARDED_BY(tail_mu_);
  // The next ledger leaf to read.
  mutable uint64_t tail_ ABSL_GUARDED_BY(tail_mu_);
  // Sync calls numbered as they arrive, and the highest number whose call
  // arrived before a read that has completed.
  mutable std::atomic<uint64_t> syncs_requested_{0};
  mutable uint64_t syncs_done_ ABSL_GUARDED_BY(tail_mu_) = 0;

  mutable absl::Mutex mu_;
  mutable std::vector<ledger::EpisodeRow> queued_ ABSL_GUARDED_BY(mu_);
  mutable uint64_t through_ ABSL_GUARDED_BY(mu_);
  mutable bool flush_posted_ ABSL_GUARDED_BY(mu_) = false;
  mutable bool failed_ ABSL_GUARDED_BY(mu_) = false;
  const WriteError on_write_error_;

  // Declared last: destroyed first, running the flushes still posted.
  mutable WorkerThread writer_;
};

}  // namespace lantern

#endif  // LANTERN_SERVER_APP_STORED_EPISODE_INDEX_H_
