// EpisodeStore: the episode index's tables in the ledger's SQLite file,
// beside the ledger's own (which it never touches), on a connection of its
// own.
//
// Schema:
//   episode_index(episode_key, leaf_index, decision_id, facts)
//       one row per episode (server/app/episode_index.h, EpisodeKey): the
//       latest decision on it, `facts` the indexed part of its facts
//       (IndexedPart), as protobuf bytes
//   episode_index_meta(key, value)
//       `indexed_through`: every ledger leaf below it has been indexed
// The rows are a projection of the ledger, which stays the record: a row
// lost in a crash is rebuilt from the ledger at the next open, so the
// connection commits without fsync (synchronous=NORMAL in WAL mode).
// Writes take SQLite's write lock (BEGIN IMMEDIATE) and wait for the
// ledger's commits, as its writer waits for them (busy timeout).
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
#include "server/ledger/sqlite.h"

namespace lantern::ledger {

struct EpisodeRow {
  std::string episode_key;
  uint64_t leaf_index = 0;
  std::string decision_id;
  std::string facts;  // IndexedPart bytes
};

class EpisodeStore {
 public:
  // Opens the existing ledger file at `path` and creates the tables when
  // absent.
  static absl::StatusOr<std::unique_ptr<EpisodeStore>> Open(
      const std::string& path);

  // In one transaction: each row replaces a stored row with the same key
  // only when its leaf index is higher; `indexed_through` is then set.
  absl::Status Write(const std::vector<EpisodeRow>& rows,
                     uint64_t indexed_through);
  // 0 when nothing was indexed yet.
  absl::StatusOr<uint64_t> IndexedThrough();
  // Every row, in no particular order; stops at the first error of `fn`.
  absl::Status ForEach(
      const std::function<absl::Status(const EpisodeRow&)>& fn);

 private:
  explicit EpisodeStore(std::unique_ptr<SqliteDb> db) : db_(std::move(db)) {}

  std::unique_ptr<SqliteDb> db_;
  std::unique_ptr<SqliteStatement> upsert_;
  std::unique_ptr<SqliteStatement> set_through_;
};

}  // namespace lantern::ledger

#endif  // LANTERN_SERVER_LEDGER_EPISODE_STORE_H_
