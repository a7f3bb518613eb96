// EpisodeStore: schema creation at Open, an upsert that keeps the highest
// leaf index, the indexed_through watermark, and the ledger's decisions
// read by leaf; on SQLite and on PostgreSQL.
#include "server/ledger/episode_store.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "server/ledger/ledger_store.h"
#include "server/ledger/postgres.h"
#include "server/ledger/sqlite.h"

namespace lantern::ledger {
namespace {

constexpr char kSqliteSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS episode_index(
  episode_key BLOB PRIMARY KEY,
  leaf_index INTEGER NOT NULL,
  decision_id TEXT NOT NULL,
  facts BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS episode_index_meta(
  key TEXT PRIMARY KEY,
  value INTEGER NOT NULL);
)sql";

class SqliteEpisodeStore : public EpisodeStore {
 public:
  static absl::StatusOr<std::unique_ptr<EpisodeStore>> Open(
      const std::string& path) {
    absl::StatusOr<std::unique_ptr<SqliteDb>> db =
        SqliteDb::Open(path, /*create=*/false, /*read_only=*/false);
    if (!db.ok()) return db.status();
    std::unique_ptr<SqliteEpisodeStore> store(
        new SqliteEpisodeStore(*std::move(db)));
    for (const char* sql : {"PRAGMA synchronous=NORMAL", kSqliteSchema}) {
      if (absl::Status s = store->db_->Exec(sql); !s.ok()) return s;
    }
    for (auto [sql, out] : {
             std::pair{
                 "INSERT INTO episode_index(episode_key, leaf_index, "
                 "decision_id, facts) VALUES(?1, ?2, ?3, ?4) ON "
                 "CONFLICT(episode_key) DO UPDATE SET leaf_index = "
                 "excluded.leaf_index, decision_id = excluded.decision_id, "
                 "facts = excluded.facts WHERE excluded.leaf_index > "
                 "episode_index.leaf_index",
                 &store->upsert_},
             std::pair{"INSERT INTO episode_index_meta(key, value) "
                       "VALUES('indexed_through', ?1) ON CONFLICT(key) DO "
                       "UPDATE SET value = max(value, excluded.value)",
                       &store->set_through_},
             std::pair{"SELECT leaf_index, record FROM records WHERE "
                       "leaf_index >= ?1 AND kind = 1 ORDER BY leaf_index "
                       "LIMIT ?2",
                       &store->decisions_},
         }) {
      absl::StatusOr<std::unique_ptr<SqliteStatement>> stmt =
          store->db_->Prepare(sql);
      if (!stmt.ok()) return stmt.status();
      *out = *std::move(stmt);
    }
    return std::unique_ptr<EpisodeStore>(std::move(store));
  }

  bool shared() const override { return false; }

  absl::Status Write(const std::vector<EpisodeRow>& rows,
                     uint64_t indexed_through) override {
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
      status =
          set_through_->Bind(1, static_cast<int64_t>(indexed_through)).Run();
    }
    if (status.ok()) status = db_->Exec("COMMIT");
    if (!status.ok()) db_->Exec("ROLLBACK").IgnoreError();
    return status;
  }

  absl::StatusOr<uint64_t> IndexedThrough() override {
    absl::StatusOr<std::unique_ptr<SqliteStatement>> stmt = db_->Prepare(
        "SELECT value FROM episode_index_meta WHERE key = 'indexed_through'");
    if (!stmt.ok()) return stmt.status();
    absl::StatusOr<bool> row = (*stmt)->Step();
    if (!row.ok()) return row.status();
    if (!*row) return 0;
    return static_cast<uint64_t>((*stmt)->Int(0));
  }

  absl::Status ForEach(
      const std::function<absl::Status(const EpisodeRow&)>& fn) override {
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

  absl::Status DecisionsFrom(
      uint64_t from, int limit,
      const std::function<void(uint64_t, std::string)>& fn) override {
    decisions_->Reset();
    decisions_->Bind(1, static_cast<int64_t>(from)).Bind(2, limit);
    for (;;) {
      absl::StatusOr<bool> more = decisions_->Step();
      if (!more.ok()) return more.status();
      if (!*more) return absl::OkStatus();
      fn(static_cast<uint64_t>(decisions_->Int(0)), decisions_->Bytes(1));
    }
  }

 private:
  explicit SqliteEpisodeStore(std::unique_ptr<SqliteDb> db)
      : db_(std::move(db)) {}

  std::unique_ptr<SqliteDb> db_;
  std::unique_ptr<SqliteStatement> upsert_;
  std::unique_ptr<SqliteStatement> set_through_;
  std::unique_ptr<SqliteStatement> decisions_;
};

// Created under an advisory lock ("LANTERN" and 'E'), since concurrent
// CREATE TABLE IF NOT EXISTS can fail in PostgreSQL.
constexpr char kPostgresSchema[] = R"sql(
BEGIN;
SELECT pg_advisory_xact_lock(5494759144215957061);
CREATE TABLE IF NOT EXISTS episode_index(
  episode_key BYTEA PRIMARY KEY,
  leaf_index BIGINT NOT NULL,
  decision_id TEXT NOT NULL,
  facts BYTEA NOT NULL);
CREATE TABLE IF NOT EXISTS episode_index_meta(
  key TEXT PRIMARY KEY,
  value BIGINT NOT NULL);
INSERT INTO episode_index_meta(key, value) VALUES('indexed_through', 0)
  ON CONFLICT DO NOTHING;
COMMIT;
)sql";
static_assert(0x4c414e5445524e45 == 5494759144215957061, "the schema lock");

constexpr char kPostgresSession[] =
    "SET synchronous_commit = off; SET lock_timeout = '30s'; "
    "SET idle_in_transaction_session_timeout = '10s'; "
    "SET client_min_messages = warning";

// Rows per INSERT, and per page when reading the whole table.
constexpr size_t kPostgresRowsPerInsert = 500;
constexpr int kPostgresPage = 10000;

class PostgresEpisodeStore : public EpisodeStore {
 public:
  static absl::StatusOr<std::unique_ptr<EpisodeStore>> Open(
      const std::string& uri) {
    absl::StatusOr<std::unique_ptr<PgConnection>> db =
        PgConnection::Connect(uri);
    if (!db.ok()) return db.status();
    if (absl::Status s = (*db)->SetSessionSetup(kPostgresSession); !s.ok()) {
      return s;
    }
    if (absl::Status s = (*db)->ExecScript(kPostgresSchema); !s.ok()) {
      (*db)->ExecScript("ROLLBACK").IgnoreError();
      return s;
    }
    return std::unique_ptr<EpisodeStore>(
        new PostgresEpisodeStore(*std::move(db)));
  }

  bool shared() const override { return true; }

  absl::Status Write(const std::vector<EpisodeRow>& rows,
                     uint64_t indexed_through) override {
    absl::Status status = WriteInTransaction(rows, indexed_through);
    if (!status.ok() && db_->InTransaction()) {
      db_->ExecScript("ROLLBACK").IgnoreError();
    }
    return status;
  }

  absl::StatusOr<uint64_t> IndexedThrough() override {
    absl::StatusOr<PgResult> r = db_->Exec(
        "SELECT value FROM episode_index_meta WHERE key = "
        "'indexed_through'");
    if (!r.ok()) return r.status();
    if (r->rows() == 0) return 0;
    return static_cast<uint64_t>(r->Int(0, 0));
  }

  absl::Status ForEach(
      const std::function<absl::Status(const EpisodeRow&)>& fn) override {
    // By key, a page at a time, so that no result holds the whole table.
    std::string after;
    for (bool first = true;; first = false) {
      absl::StatusOr<PgResult> r = db_->Exec(
          "SELECT episode_key, leaf_index, decision_id, facts FROM "
          "episode_index WHERE $1::bool OR episode_key > $2 ORDER BY "
          "episode_key LIMIT $3",
          {PgParam::Text(first ? "true" : "false"), PgParam::Bytes(after),
           PgParam::Int(kPostgresPage)});
      if (!r.ok()) return r.status();
      for (int i = 0; i < r->rows(); ++i) {
        EpisodeRow row{r->Bytes(i, 0), static_cast<uint64_t>(r->Int(i, 1)),
                       r->Bytes(i, 2), r->Bytes(i, 3)};
        if (absl::Status s = fn(row); !s.ok()) return s;
        after = std::move(row.episode_key);
      }
      if (r->rows() < kPostgresPage) return absl::OkStatus();
    }
  }

  absl::Status DecisionsFrom(
      uint64_t from, int limit,
      const std::function<void(uint64_t, std::string)>& fn) override {
    // Once per Assess: prepared, so that the server plans it once.
    absl::StatusOr<PgResult> r = db_->ExecPrepared(
        "lantern_decisions_from",
        "SELECT leaf_index, record FROM records WHERE leaf_index >= $1 AND "
        "kind = 1 ORDER BY leaf_index LIMIT $2",
        {PgParam::Int(static_cast<int64_t>(from)), PgParam::Int(limit)});
    if (!r.ok()) return r.status();
    for (int i = 0; i < r->rows(); ++i) {
      fn(static_cast<uint64_t>(r->Int(i, 0)), r->Bytes(i, 1));
    }
    return absl::OkStatus();
  }

 private:
  explicit PostgresEpisodeStore(std::unique_ptr<PgConnection> db)
      : db_(std::move(db)) {}

  absl::Status WriteInTransaction(const std::vector<EpisodeRow>& rows,
                                  uint64_t indexed_through) {
    if (absl::Status s = db_->ExecScript("BEGIN"); !s.ok()) return s;
    // Writers take turns on the mark's row; rows below the mark found
    // there were written by whoever raised it.
    absl::StatusOr<PgResult> mark = db_->Exec(
        "SELECT value FROM episode_index_meta WHERE key = "
        "'indexed_through' FOR UPDATE");
    if (!mark.ok()) return mark.status();
    const uint64_t stored =
        mark->rows() == 0 ? 0 : static_cast<uint64_t>(mark->Int(0, 0));
    // One row per key (the latest), since one INSERT cannot update a row
    // twice.
    absl::flat_hash_map<absl::string_view, const EpisodeRow*> latest;
    for (const EpisodeRow& row : rows) {
      if (row.leaf_index < stored) continue;
      const EpisodeRow*& slot = latest[row.episode_key];
      if (slot == nullptr || slot->leaf_index < row.leaf_index) slot = &row;
    }
    std::vector<const EpisodeRow*> todo;
    todo.reserve(latest.size());
    for (const auto& [key, row] : latest) todo.push_back(row);
    for (size_t start = 0; start < todo.size();
         start += kPostgresRowsPerInsert) {
      const size_t end = std::min(todo.size(), start + kPostgresRowsPerInsert);
      std::string sql =
          "INSERT INTO episode_index(episode_key, leaf_index, decision_id, "
          "facts) VALUES ";
      std::vector<PgParam> params;
      params.reserve((end - start) * 4);
      for (size_t i = start; i < end; ++i) {
        const int p = static_cast<int>(params.size());
        absl::StrAppend(&sql, i == start ? "" : ",", "($", p + 1, ",$", p + 2,
                        ",$", p + 3, ",$", p + 4, ")");
        params.push_back(PgParam::Bytes(todo[i]->episode_key));
        params.push_back(
            PgParam::Int(static_cast<int64_t>(todo[i]->leaf_index)));
        params.push_back(PgParam::Text(todo[i]->decision_id));
        params.push_back(PgParam::Bytes(todo[i]->facts));
      }
      absl::StrAppend(
          &sql,
          " ON CONFLICT(episode_key) DO UPDATE SET leaf_index = "
          "excluded.leaf_index, decision_id = excluded.decision_id, facts = "
          "excluded.facts WHERE excluded.leaf_index > "
          "episode_index.leaf_index");
      absl::StatusOr<PgResult> r = db_->Exec(sql, params);
      if (!r.ok()) return r.status();
    }
    if (indexed_through > stored) {
      absl::StatusOr<PgResult> r = db_->Exec(
          "UPDATE episode_index_meta SET value = $1 WHERE key = "
          "'indexed_through'",
          {PgParam::Int(static_cast<int64_t>(indexed_through))});
      if (!r.ok()) return r.status();
    }
    return db_->ExecScript("COMMIT");
  }

  std::unique_ptr<PgConnection> db_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<EpisodeStore>> EpisodeStore::Open(
    const std::string& location) {
  if (IsPostgresLocation(location)) {
    return PostgresEpisodeStore::Open(location);
  }
  return SqliteEpisodeStore::Open(location);
}

}  // namespace lantern::ledger
