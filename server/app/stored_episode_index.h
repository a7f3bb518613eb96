// StoredEpisodeIndex: the episode index kept in the ledger's store
// (server/ledger/episode_store.h), so that derived facts survive a
// restart. Derive runs on a MemoryEpisodeIndex loaded at Open; each Add
// goes into it at once (the next Assess sees it) and into the store on a
// background writer, several Adds to a transaction.
//
// The ledger stays the record: at Open every decision the ledger holds
// past the store's `indexed_through` mark (appended after the last write
// that reached the store, or before the index existed) is read back from
// the ledger and indexed. A failed write stops the mark from moving, and is
// reported once to `on_write_error`; the next Open repairs the gap.
//
// Thread-safety: Derive and Add may be called from any thread. Add must be
// called in ledger order (the recorder calls it from the ledger's notifier,
// which runs in commit order).
#ifndef LANTERN_SERVER_APP_STORED_EPISODE_INDEX_H_
#define LANTERN_SERVER_APP_STORED_EPISODE_INDEX_H_

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

  // Opens the index in the ledger file at `path` (REQUIRES: `ledger` is
  // open on it and outlives the index), loads it and catches up with
  // `ledger`. Errors: the store's (UNAVAILABLE, DATA_LOSS for a row that
  // does not parse) and the ledger's reads.
  static absl::StatusOr<std::unique_ptr<StoredEpisodeIndex>> Open(
      const std::string& path, ledger::Ledger* ledger,
      WriteError on_write_error = nullptr);
  // Writes what is queued.
  ~StoredEpisodeIndex() override = default;

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
                     uint64_t through, WriteError on_write_error)
      : store_(std::move(store)),
        through_(through),
        on_write_error_(std::move(on_write_error)) {}
  // Indexes the ledger's decisions from through_ on.
  absl::Status CatchUp(ledger::Ledger& ledger);
  // On the writer: writes what is queued.
  void Flush();

  MemoryEpisodeIndex memory_;
  // Used only by Open and then the writer thread.
  const std::unique_ptr<ledger::EpisodeStore> store_;

  absl::Mutex mu_;
  std::vector<ledger::EpisodeRow> queued_ ABSL_GUARDED_BY(mu_);
  uint64_t through_ ABSL_GUARDED_BY(mu_);
  bool flush_posted_ ABSL_GUARDED_BY(mu_) = false;
  bool failed_ ABSL_GUARDED_BY(mu_) = false;
  const WriteError on_write_error_;

  // Declared last: destroyed first, running the flushes still posted.
  WorkerThread writer_;
};

}  // namespace lantern

#endif  // LANTERN_SERVER_APP_STORED_EPISODE_INDEX_H_
