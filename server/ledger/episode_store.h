// EpisodeStore: the episode index's tables in the ledger's own store,
// beside the ledger's tables (which it only reads), on a connection of its
// own: a SQLite file's, or a PostgreSQL database's (Open picks by the
// location, as OpenLedgerStore does).
//
// Schema (the same in both):
//   episode_index(episode_key, leaf_index, decision_id, facts)
//       one row per episode (server/app/episode_index.h, EpisodeKey): the
//       latest decision on it, `facts` the indexed part of its facts
//       (IndexedPart), as protobuf bytes
//   episode_index_meta(key, value)
//       `indexed_through`: every decision of a ledger leaf below it has a
//       row (or a later decision on its episode has)
// The rows are a projection of the ledger, which stays the record: a row
// lost in a crash is rebuilt from the ledger at the next open, so writes
// commit without waiting for the disk (SQLite: synchronous=NORMAL in WAL
// mode; PostgreSQL: synchronous_commit=off).
//
// SQLite: writes take the file's write lock (BEGIN IMMEDIATE) and wait for
// the ledger's commits, as its writer waits for them (busy timeout).
// PostgreSQL (shared() is true): replicas share the tables. A Write locks
// the `indexed_through` row, so writes from several replicas take turns,
// and skips rows below the mark it finds (another replica wrote them).
// Replicas learn of each other's decisions from the ledger itself
// (DecisionsFrom), whose leaves commit in leaf order, one writer at a time.
//
// Thread-safety: not synchronised; one thread at a time.
#ifndef LANTERN_SERVER_LEDGER_EPISODE_STORE_H_
#define LANTERN_SERVER_LEDGER_EPISODE_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace lantern::ledger {

struct EpisodeRow {
  std::string episode_key;
  uint64_t leaf_index = 0;
  std::string decision_id;
  std::string facts;  // IndexedPart bytes
};

class EpisodeStore {
 public:
  // Opens the existing ledger at `location` (a SQLite file, or a
  // postgresql:// URI: IsPostgresLocation) and creates the tables when
  // absent. Errors: UNAVAILABLE when it cannot be reached.
  static absl::StatusOr<std::unique_ptr<EpisodeStore>> Open(
      const std::string& location);
  virtual ~EpisodeStore() = default;

  // Whether replicas in other processes append to the same ledger, so that
  // an index must take up their decisions with DecisionsFrom.
  virtual bool shared() const = 0;

  // In one transaction: each row replaces a stored row with the same key
  // only when its leaf index is higher; `indexed_through` is then raised to
  // `indexed_through` (never lowered). REQUIRES: `rows` hold every indexed
  // decision of the leaves below `indexed_through` not yet written (by
  // anyone, for a shared store).
  virtual absl::Status Write(const std::vector<EpisodeRow>& rows,
                             uint64_t indexed_through) = 0;
  // 0 when nothing was indexed yet.
  virtual absl::StatusOr<uint64_t> IndexedThrough() = 0;
  // Every row, in no particular order; stops at the first error of `fn`.
  virtual absl::Status ForEach(
      const std::function<absl::Status(const EpisodeRow&)>& fn) = 0;

  // The ledger's decisions from leaf `from` on, lowest first, at most
  // `limit`: `fn` gets each one's leaf index and LedgerRecord bytes. Only
  // whole prefixes of the ledger are seen: no decision below one handed to
  // `fn` can appear later.
  virtual absl::Status DecisionsFrom(
      uint64_t from, int limit,
      const std::function<void(uint64_t leaf, std::string record)>& fn) = 0;
};

}  // namespace lantern::ledger

#endif  // LANTERN_SERVER_LEDGER_EPISODE_STORE_H_
