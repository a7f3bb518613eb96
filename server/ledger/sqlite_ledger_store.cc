// SqliteLedgerStore (see sqlite_ledger_store.h): the schema, created in one
// transaction on first open, and one prepared statement per query.
#include "server/ledger/sqlite_ledger_store.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace lantern::ledger {
namespace {

constexpr char kSchema[] = R"sql(
BEGIN IMMEDIATE;
CREATE TABLE IF NOT EXISTS meta(
  key TEXT PRIMARY KEY,
  value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS records(
  leaf_index INTEGER PRIMARY KEY,
  kind INTEGER NOT NULL,
  decision_id TEXT UNIQUE,
  client_request_id TEXT UNIQUE,
  time_micros INTEGER NOT NULL,
  record BLOB NOT NULL,
  leaf_hash BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS decisions_by_time
  ON records(time_micros, leaf_index) WHERE kind = 1;
CREATE INDEX IF NOT EXISTS access_by_leaf
  ON records(leaf_index) WHERE kind = 3;
CREATE INDEX IF NOT EXISTS activations_by_leaf
  ON records(leaf_index) WHERE kind = 2;
CREATE TABLE IF NOT EXISTS tree_heads(
  tree_size INTEGER PRIMARY KEY,
  timestamp_micros INTEGER NOT NULL,
  root_hash BLOB NOT NULL,
  signature BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS rulesets(
  digest TEXT PRIMARY KEY,
  blob BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS tree_nodes(
  level INTEGER NOT NULL,
  idx INTEGER NOT NULL,
  hash BLOB NOT NULL,
  PRIMARY KEY(level, idx)) WITHOUT ROWID;
INSERT OR IGNORE INTO meta(key, value) VALUES('format', '1');
COMMIT;
)sql";

constexpr char kRecordColumns[] =
    "SELECT leaf_index, kind, decision_id, client_request_id, time_micros, "
    "record, leaf_hash FROM records ";

StoredRecord ReadRecord(const SqliteStatement& s) {
  StoredRecord row;
  row.leaf_index = static_cast<uint64_t>(s.Int(0));
  row.kind = static_cast<RecordKind>(s.Int(1));
  row.decision_id = s.Bytes(2);
  row.client_request_id = s.Bytes(3);
  row.time_micros = s.Int(4);
  row.record = s.Bytes(5);
  row.leaf_hash = s.Bytes(6);
  return row;
}

SignedTreeHead ReadTreeHead(const SqliteStatement& s) {
  SignedTreeHead sth;
  sth.head.tree_size = static_cast<uint64_t>(s.Int(0));
  sth.head.timestamp = absl::FromUnixMicros(s.Int(1));
  const std::string root = s.Bytes(2);
  // A root of the wrong length is kept as all zeros, which no signature or
  // recomputed root will match: the verifier then names this head.
  if (absl::StatusOr<Hash> hash = HashFromBytes(root); hash.ok()) {
    sth.head.root = *hash;
  }
  sth.signature = s.Bytes(3);
  return sth;
}

}  // namespace

absl::StatusOr<std::unique_ptr<SqliteLedgerStore>>
SqliteLedgerStore::OpenForWriting(const std::string& path) {
  absl::StatusOr<std::unique_ptr<SqliteDb>> db =
      SqliteDb::Open(path, /*create=*/true, /*read_only=*/false);
  if (!db.ok()) return db.status();
  std::unique_ptr<SqliteLedgerStore> store(
      new SqliteLedgerStore(path, *std::move(db)));
  // SQLite's default 4 KiB pages: a commit writes every page it touches
  // whole (into the WAL, then again at checkpoint), and the index and tree
  // head pages a batch touches make larger pages cost more bytes per
  // decision than the overflow chains they save. Measured per decision of
  // ~21 KB (`/proc/PID/io` write_bytes under lantern_load, ~5 decisions a
  // commit): 58 KB with 4 KiB pages, 89 KB with 16 KiB, 213 KB with 64 KiB.
  absl::StatusOr<std::string> mode =
      store->db_->QueryText("PRAGMA journal_mode=WAL");
  if (!mode.ok()) return mode.status();
  if (*mode != "wal") {
    return absl::UnavailableError(
        absl::StrCat("cannot put ", path, " in WAL mode (got ", *mode, ")"));
  }
  if (absl::Status s = store->db_->Exec("PRAGMA synchronous=FULL"); !s.ok()) {
    return s;
  }
  if (absl::Status s = store->CreateSchema(); !s.ok()) return s;
  return store;
}

absl::StatusOr<std::unique_ptr<SqliteLedgerStore>>
SqliteLedgerStore::OpenReadOnly(const std::string& path) {
  absl::StatusOr<std::unique_ptr<SqliteDb>> db =
      SqliteDb::Open(path, /*create=*/false, /*read_only=*/true);
  if (!db.ok()) return db.status();
  return CheckFormat(std::unique_ptr<SqliteLedgerStore>(
      new SqliteLedgerStore(path, *std::move(db))));
}

absl::StatusOr<std::unique_ptr<SqliteLedgerStore>>
SqliteLedgerStore::OpenForVerifying(const std::string& path) {
  absl::StatusOr<std::unique_ptr<SqliteDb>> db = SqliteDb::OpenOffline(path);
  if (!db.ok()) return db.status();
  return CheckFormat(std::unique_ptr<SqliteLedgerStore>(
      new SqliteLedgerStore(path, *std::move(db))));
}

absl::StatusOr<std::vector<std::string>>
SqliteLedgerStore::IntegrityProblems() {
  absl::StatusOr<std::vector<std::string>> lines =
      db_->QueryTexts("PRAGMA integrity_check(20)");
  if (!lines.ok()) return lines.status();
  if (lines->size() == 1 && (*lines)[0] == "ok") lines->clear();
  return lines;
}

absl::StatusOr<std::unique_ptr<SqliteLedgerStore>>
SqliteLedgerStore::CheckFormat(std::unique_ptr<SqliteLedgerStore> store) {
  const std::string& path = store->path_;
  absl::StatusOr<std::string> format = store->Meta("format");
  if (absl::IsDataLoss(format.status())) return format.status();
  if (!format.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        path, " is not a Lantern ledger: ", format.status().message()));
  }
  if (*format != "1") {
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": unknown ledger format '", *format, "'"));
  }
  return store;
}

absl::Status SqliteLedgerStore::CreateSchema() { return db_->Exec(kSchema); }

absl::StatusOr<SqliteStatement*> SqliteLedgerStore::Statement(
    const std::string& sql) {
  auto it = statements_.find(sql);
  if (it != statements_.end()) return it->second.get();
  absl::StatusOr<std::unique_ptr<SqliteStatement>> stmt = db_->Prepare(sql);
  if (!stmt.ok()) return stmt.status();
  SqliteStatement* raw = stmt->get();
  statements_.emplace(sql, *std::move(stmt));
  return raw;
}

absl::StatusOr<std::unique_ptr<LedgerStore>> SqliteLedgerStore::OpenReader() {
  absl::StatusOr<std::unique_ptr<SqliteLedgerStore>> reader =
      OpenReadOnly(path_);
  if (!reader.ok()) return reader.status();
  return std::unique_ptr<LedgerStore>(*std::move(reader));
}

absl::Status SqliteLedgerStore::Begin() { return db_->Exec("BEGIN IMMEDIATE"); }
absl::Status SqliteLedgerStore::Commit() { return db_->Exec("COMMIT"); }
absl::Status SqliteLedgerStore::Rollback() { return db_->Exec("ROLLBACK"); }

absl::StatusOr<std::string> SqliteLedgerStore::Meta(const std::string& key) {
  absl::StatusOr<SqliteStatement*> s =
      Statement("SELECT value FROM meta WHERE key = ?1");
  if (!s.ok()) return s.status();
  (*s)->BindText(1, key);
  absl::StatusOr<bool> row = (*s)->Step();
  std::string value = row.ok() && *row ? (*s)->Bytes(0) : "";
  (*s)->Reset();
  if (!row.ok()) return row.status();
  return value;
}

absl::Status SqliteLedgerStore::SetMeta(const std::string& key,
                                        const std::string& value) {
  absl::StatusOr<SqliteStatement*> s =
      Statement("INSERT OR REPLACE INTO meta(key, value) VALUES(?1, ?2)");
  if (!s.ok()) return s.status();
  return (*s)->BindText(1, key).BindBlob(2, value).Run();
}

absl::Status SqliteLedgerStore::InsertRecord(const StoredRecord& row) {
  absl::StatusOr<SqliteStatement*> s = Statement(
      "INSERT INTO records(leaf_index, kind, decision_id, client_request_id, "
      "time_micros, record, leaf_hash) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  if (!s.ok()) return s.status();
  SqliteStatement& stmt = **s;
  stmt.Bind(1, static_cast<int64_t>(row.leaf_index))
      .Bind(2, static_cast<int64_t>(row.kind));
  if (row.decision_id.empty()) {
    stmt.BindNull(3);
  } else {
    stmt.BindText(3, row.decision_id);
  }
  if (row.client_request_id.empty()) {
    stmt.BindNull(4);
  } else {
    stmt.BindText(4, row.client_request_id);
  }
  absl::Status inserted = stmt.Bind(5, row.time_micros)
                              .BindBlob(6, row.record)
                              .BindBlob(7, row.leaf_hash)
                              .Run();
  if (!absl::IsAlreadyExists(inserted)) return inserted;
  absl::StatusOr<std::optional<StoredRecord>> at = RecordAt(row.leaf_index);
  if (!at.ok()) return at.status();
  if (at->has_value()) {
    return absl::AbortedError(absl::StrCat("leaf ", row.leaf_index,
                                           " was sequenced by another writer"));
  }
  return inserted;
}

absl::Status SqliteLedgerStore::InsertTreeHead(const SignedTreeHead& sth) {
  absl::StatusOr<SqliteStatement*> s = Statement(
      "INSERT INTO tree_heads(tree_size, timestamp_micros, root_hash, "
      "signature) VALUES(?1, ?2, ?3, ?4)");
  if (!s.ok()) return s.status();
  return (*s)
      ->Bind(1, static_cast<int64_t>(sth.head.tree_size))
      .Bind(2, absl::ToUnixMicros(sth.head.timestamp))
      .BindBlob(3, HashBytes(sth.head.root))
      .BindBlob(4, sth.signature)
      .Run();
}

absl::Status SqliteLedgerStore::InsertRuleSet(const std::string& digest,
                                              const std::string& blob) {
  absl::StatusOr<SqliteStatement*> s =
      Statement("INSERT OR IGNORE INTO rulesets(digest, blob) VALUES(?1, ?2)");
  if (!s.ok()) return s.status();
  return (*s)->BindText(1, digest).BindBlob(2, blob).Run();
}

absl::StatusOr<std::optional<StoredRecord>> SqliteLedgerStore::FirstRow(
    SqliteStatement* stmt) {
  absl::StatusOr<bool> row = stmt->Step();
  std::optional<StoredRecord> out;
  if (row.ok() && *row) out = ReadRecord(*stmt);
  stmt->Reset();
  if (!row.ok()) return row.status();
  return out;
}

absl::StatusOr<std::optional<StoredRecord>> SqliteLedgerStore::FindOne(
    const std::string& where, const std::string& key) {
  absl::StatusOr<SqliteStatement*> s = Statement(kRecordColumns + where);
  if (!s.ok()) return s.status();
  (*s)->BindText(1, key);
  return FirstRow(*s);
}

absl::StatusOr<std::optional<StoredRecord>> SqliteLedgerStore::FindOne(
    const std::string& where, int64_t key) {
  absl::StatusOr<SqliteStatement*> s = Statement(kRecordColumns + where);
  if (!s.ok()) return s.status();
  (*s)->Bind(1, key);
  return FirstRow(*s);
}

absl::StatusOr<std::optional<StoredRecord>> SqliteLedgerStore::FindByDecisionId(
    const std::string& decision_id) {
  return FindOne("WHERE decision_id = ?1", decision_id);
}

absl::StatusOr<std::optional<StoredRecord>>
SqliteLedgerStore::FindByClientRequestId(const std::string& client_request_id) {
  return FindOne("WHERE client_request_id = ?1", client_request_id);
}

absl::StatusOr<std::optional<StoredRecord>> SqliteLedgerStore::RecordAt(
    uint64_t leaf_index) {
  return FindOne("WHERE leaf_index = ?1", static_cast<int64_t>(leaf_index));
}

absl::StatusOr<std::vector<StoredRecord>> SqliteLedgerStore::DecisionsBetween(
    int64_t from_micros, int64_t to_micros, int64_t after_time_micros,
    int64_t after_leaf_index, int limit) {
  absl::StatusOr<SqliteStatement*> s =
      Statement(std::string(kRecordColumns) +
                "WHERE kind = 1 AND time_micros >= ?1 AND time_micros < ?2 AND "
                "(time_micros, leaf_index) > (?3, ?4) "
                "ORDER BY time_micros, leaf_index LIMIT ?5");
  if (!s.ok()) return s.status();
  SqliteStatement& stmt = **s;
  stmt.Bind(1, from_micros)
      .Bind(2, to_micros)
      .Bind(3, after_time_micros)
      .Bind(4, after_leaf_index)
      .Bind(5, limit);
  std::vector<StoredRecord> out;
  while (true) {
    absl::StatusOr<bool> row = stmt.Step();
    if (!row.ok() || !*row) {
      stmt.Reset();
      if (!row.ok()) return row.status();
      return out;
    }
    out.push_back(ReadRecord(stmt));
  }
}

absl::StatusOr<DecisionCount> SqliteLedgerStore::CountDecisionsBetween(
    int64_t from_micros, int64_t to_micros) {
  absl::StatusOr<SqliteStatement*> s = Statement(
      "SELECT COUNT(*), COALESCE(MAX(leaf_index), -1) FROM records "
      "WHERE kind = 1 AND time_micros >= ?1 AND time_micros < ?2");
  if (!s.ok()) return s.status();
  SqliteStatement& stmt = **s;
  stmt.Bind(1, from_micros).Bind(2, to_micros);
  absl::StatusOr<bool> row = stmt.Step();
  DecisionCount count;
  if (row.ok() && *row) {
    count.count = static_cast<uint64_t>(stmt.Int(0));
    count.last_leaf_index = stmt.Int(1);
  }
  stmt.Reset();
  if (!row.ok()) return row.status();
  return count;
}

absl::StatusOr<std::vector<StoredRecord>> SqliteLedgerStore::AccessRecordsAfter(
    int64_t after_leaf_index, int limit) {
  absl::StatusOr<SqliteStatement*> s = Statement(
      std::string(kRecordColumns) +
      "WHERE kind = 3 AND leaf_index > ?1 ORDER BY leaf_index LIMIT ?2");
  if (!s.ok()) return s.status();
  SqliteStatement& stmt = **s;
  stmt.Bind(1, after_leaf_index).Bind(2, limit);
  std::vector<StoredRecord> out;
  while (true) {
    absl::StatusOr<bool> row = stmt.Step();
    if (!row.ok() || !*row) {
      stmt.Reset();
      if (!row.ok()) return row.status();
      return out;
    }
    out.push_back(ReadRecord(stmt));
  }
}

absl::StatusOr<std::optional<std::string>> SqliteLedgerStore::RuleSet(
    const std::string& digest) {
  absl::StatusOr<SqliteStatement*> s =
      Statement("SELECT blob FROM rulesets WHERE digest = ?1");
  if (!s.ok()) return s.status();
  (*s)->BindText(1, digest);
  absl::StatusOr<bool> row = (*s)->Step();
  std::optional<std::string> blob;
  if (row.ok() && *row) blob = (*s)->Bytes(0);
  (*s)->Reset();
  if (!row.ok()) return row.status();
  return blob;
}

namespace {

// Steps a freshly prepared statement to the end, calling `fn` on each row.
absl::Status ForEachRow(
    SqliteDb& db, const std::string& sql,
    const std::function<absl::Status(const SqliteStatement&)>& fn) {
  absl::StatusOr<std::unique_ptr<SqliteStatement>> stmt = db.Prepare(sql);
  if (!stmt.ok()) return stmt.status();
  while (true) {
    absl::StatusOr<bool> row = (*stmt)->Step();
    if (!row.ok()) return row.status();
    if (!*row) return absl::OkStatus();
    if (absl::Status s = fn(**stmt); !s.ok()) return s;
  }
}

}  // namespace

absl::Status SqliteLedgerStore::ForEachRecord(
    const std::function<absl::Status(const StoredRecord&)>& fn) {
  return ForEachRow(
      *db_, std::string(kRecordColumns) + "ORDER BY leaf_index",
      [&](const SqliteStatement& s) { return fn(ReadRecord(s)); });
}

absl::StatusOr<std::vector<StoredRecord>> SqliteLedgerStore::Activations() {
  std::vector<StoredRecord> out;
  absl::Status s = ForEachRow(
      *db_, std::string(kRecordColumns) + "WHERE kind = 2 ORDER BY leaf_index",
      [&](const SqliteStatement& row) {
        out.push_back(ReadRecord(row));
        return absl::OkStatus();
      });
  if (!s.ok()) return s;
  return out;
}

absl::Status SqliteLedgerStore::ForEachLeafHash(
    uint64_t first_leaf,
    const std::function<absl::Status(uint64_t, const std::string&)>& fn) {
  absl::StatusOr<std::unique_ptr<SqliteStatement>> stmt =
      db_->Prepare(absl::StrCat(
          "SELECT leaf_index, leaf_hash FROM records WHERE leaf_index >= ",
          first_leaf, " ORDER BY leaf_index"));
  if (!stmt.ok()) return stmt.status();
  while (true) {
    absl::StatusOr<bool> row = (*stmt)->Step();
    if (!row.ok()) return row.status();
    if (!*row) return absl::OkStatus();
    if (absl::Status s =
            fn(static_cast<uint64_t>((*stmt)->Int(0)), (*stmt)->Bytes(1));
        !s.ok()) {
      return s;
    }
  }
}

absl::Status SqliteLedgerStore::ForEachTreeHead(
    const std::function<absl::Status(const SignedTreeHead&)>& fn) {
  return ForEachRow(
      *db_,
      "SELECT tree_size, timestamp_micros, root_hash, signature "
      "FROM tree_heads ORDER BY tree_size",
      [&](const SqliteStatement& s) { return fn(ReadTreeHead(s)); });
}

absl::Status SqliteLedgerStore::ForEachRuleSet(
    const std::function<absl::Status(const std::string&, const std::string&)>&
        fn) {
  return ForEachRow(
      *db_, "SELECT digest, blob FROM rulesets ORDER BY digest",
      [&](const SqliteStatement& s) { return fn(s.Bytes(0), s.Bytes(1)); });
}

absl::StatusOr<std::optional<SignedTreeHead>>
SqliteLedgerStore::LatestTreeHead() {
  std::optional<SignedTreeHead> latest;
  absl::Status s =
      ForEachRow(*db_,
                 "SELECT tree_size, timestamp_micros, root_hash, signature "
                 "FROM tree_heads ORDER BY tree_size DESC LIMIT 1",
                 [&](const SqliteStatement& row) {
                   latest = ReadTreeHead(row);
                   return absl::OkStatus();
                 });
  if (!s.ok()) return s;
  return latest;
}

absl::Status SqliteLedgerStore::InsertTreeNodes(
    const std::vector<CompactRange::Node>& nodes) {
  absl::StatusOr<SqliteStatement*> s =
      Statement("INSERT INTO tree_nodes(level, idx, hash) VALUES(?1, ?2, ?3)");
  if (!s.ok()) return s.status();
  for (const CompactRange::Node& node : nodes) {
    absl::Status inserted = (*s)->Bind(1, node.id.level)
                                .Bind(2, static_cast<int64_t>(node.id.index))
                                .BindBlob(3, HashBytes(node.hash))
                                .Run();
    if (!inserted.ok()) return inserted;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Hash>> SqliteLedgerStore::TreeNodes(
    const std::vector<NodeId>& ids) {
  absl::StatusOr<SqliteStatement*> leaf =
      Statement("SELECT leaf_hash FROM records WHERE leaf_index = ?1");
  if (!leaf.ok()) return leaf.status();
  absl::StatusOr<SqliteStatement*> node =
      Statement("SELECT hash FROM tree_nodes WHERE level = ?1 AND idx = ?2");
  if (!node.ok()) return node.status();
  std::vector<Hash> out;
  out.reserve(ids.size());
  for (const NodeId& id : ids) {
    SqliteStatement& stmt = id.level == 0 ? **leaf : **node;
    if (id.level == 0) {
      stmt.Bind(1, static_cast<int64_t>(id.index));
    } else {
      stmt.Bind(1, id.level).Bind(2, static_cast<int64_t>(id.index));
    }
    absl::StatusOr<bool> row = stmt.Step();
    std::string bytes = row.ok() && *row ? stmt.Bytes(0) : "";
    stmt.Reset();
    if (!row.ok()) return row.status();
    if (!*row) {
      return absl::NotFoundError(absl::StrCat(path_, ": no tree node (",
                                              id.level, ", ", id.index, ")"));
    }
    absl::StatusOr<Hash> hash = HashFromBytes(bytes);
    if (!hash.ok()) {
      return absl::DataLossError(absl::StrCat(path_, ": tree node (", id.level,
                                              ", ", id.index,
                                              "): ", hash.status().message()));
    }
    out.push_back(*hash);
  }
  return out;
}

absl::StatusOr<bool> SqliteLedgerStore::AwaitActivation(
    absl::Duration timeout) {
  absl::SleepFor(timeout);
  return false;
}

}  // namespace lantern::ledger
