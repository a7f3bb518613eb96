// EpisodeStore: schema creation at Open, an upsert that keeps the highest
// leaf index, and the indexed_through watermark.
#include "server/ledger/episode_store.h"

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace lantern::ledger {
namespace {

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS episode_index(
  episode_key BLOB PRIMARY KEY,
  leaf_index INTEGER NOT NULL,
  decision_id TEXT NOT NULL,
  facts BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS episode_index_meta(
  key TEXT PRIMARY KEY,
  value INTEGER NOT NULL);
)sql";

}  // namespace

absl::StatusOr<std::unique_ptr<EpisodeStore>> EpisodeStore::Open(
    const std::string& path) {
  absl::StatusOr<std::unique_ptr<SqliteDb>> db =
      SqliteDb::Open(path, /*create=*/false, /*read_only=*/false);
  if (!db.ok()) return db.status();
  std::unique_ptr<EpisodeStore> store(new EpisodeStore(*std::move(db)));
  for (const char* sql : {"PRAGMA synchronous=NORMAL", kSchema}) {
    if (absl::Status s = store->db_->Exec(sql); !s.ok()) return s;
  }
  absl::StatusOr<std::unique_ptr<SqliteStatement>> upsert = store->db_->Prepare(
      "INSERT INTO episode_index(episode_key, leaf_index, decision_id, "
      "facts) VALUES(?1, ?2, ?3, ?4) ON CONFLICT(episode_key) DO UPDATE "
      "SET leaf_index = excluded.leaf_index, decision_id = "
      "excluded.decision_id, facts = excluded.facts WHERE "
      "excluded.leaf_index > episode_index.leaf_index");
  if (!upsert.ok()) return upsert.status();
  store->upsert_ = *std::move(upsert);
  absl::StatusOr<std::unique_ptr<SqliteStatement>> through =
      store->db_->Prepare(
          "INSERT INTO episode_index_meta(key, value) "
          "VALUES('indexed_through', ?1) ON CONFLICT(key) DO UPDATE SET "
          "value = max(value, excluded.value)");
  if (!through.ok()) return through.status();
  store->set_through_ = *std::move(through);
  return store;
}

absl::Status EpisodeStore::Write(const std::vector<EpisodeRow>& rows,
                                 uint64_t indexed_through) {
  if (absl::Status s = db_->Exec("BEGIN IMMEDIATE"); !s.ok()) return s;
  absl::Status status;
  for (const EpisodeRow& row : rows) {
    upsert_->Reset();
    status = upsert_->BindBlob(1, row.episode_key)
                 .Bind(2, static_cast<int64_t>(row.leaf_index))
                 .BindText(3, row.decision_id)
                 .BindBlob(4, row.facts)
                 .Run();
    if (!status.ok()) break;
  }
  if (status.ok()) {
    set_through_->Reset();
    status = set_through_->Bind(1, static_cast<int64_t>(indexed_through)).Run();
  }
  if (status.ok()) status = db_->Exec("COMMIT");
  if (!status.ok()) db_->Exec("ROLLBACK").IgnoreError();
  return status;
}

absl::StatusOr<uint64_t> EpisodeStore::IndexedThrough() {
  absl::StatusOr<std::unique_ptr<SqliteStatement>> stmt = db_->Prepare(
      "SELECT value FROM episode_index_meta WHERE key = 'indexed_through'");
  if (!stmt.ok()) return stmt.status();
  absl::StatusOr<bool> row = (*stmt)->Step();
  if (!row.ok()) return row.status();
  if (!*row) return 0;
  return static_cast<uint64_t>((*stmt)->Int(0));
}

absl::Status EpisodeStore::ForEach(
    const std::function<absl::Status(const EpisodeRow&)>& fn) {
  absl::StatusOr<std::unique_ptr<SqliteStatement>> stmt = db_->Prepare(
      "SELECT episode_key, leaf_index, decision_id, facts FROM "
      "episode_index");
  if (!stmt.ok()) return stmt.status();
  for (;;) {
    absl::StatusOr<bool> more = (*stmt)->Step();
    if (!more.ok()) return more.status();
    if (!*more) return absl::OkStatus();
    EpisodeRow row{(*stmt)->Bytes(0), static_cast<uint64_t>((*stmt)->Int(1)),
                   (*stmt)->Bytes(2), (*stmt)->Bytes(3)};
    if (absl::Status s = fn(row); !s.ok()) return s;
  }
}

}  // namespace lantern::ledger
