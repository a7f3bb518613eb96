// PostgresLedgerStore (see postgres_ledger_store.h): the schema, created
// once under an advisory lock; reads page through large tables by key so
// that no result holds the whole ledger.
#include "server/ledger/postgres_ledger_store.h"

#include <poll.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace lantern::ledger {
namespace {

// Advisory lock keys ("LANTERN" and a byte): the schema's creation, and
// the one write transaction at a time.
constexpr int64_t kSchemaLock = 0x4c414e5445524e00;
constexpr int64_t kWriterLock = 0x4c414e5445524e01;

constexpr char kSchema[] = R"sql(
BEGIN;
SELECT pg_advisory_xact_lock(5494759144215956992);
CREATE TABLE IF NOT EXISTS meta(
  key TEXT PRIMARY KEY,
  value BYTEA NOT NULL);
CREATE TABLE IF NOT EXISTS records(
  leaf_index BIGINT PRIMARY KEY,
  kind INTEGER NOT NULL,
  decision_id TEXT UNIQUE,
  client_request_id TEXT UNIQUE,
  time_micros BIGINT NOT NULL,
  record BYTEA NOT NULL,
  leaf_hash BYTEA NOT NULL);
CREATE INDEX IF NOT EXISTS decisions_by_time
  ON records(time_micros, leaf_index) WHERE kind = 1;
CREATE INDEX IF NOT EXISTS access_by_leaf
  ON records(leaf_index) WHERE kind = 3;
CREATE INDEX IF NOT EXISTS activations_by_leaf
  ON records(leaf_index) WHERE kind = 2;
CREATE TABLE IF NOT EXISTS tree_heads(
  tree_size BIGINT PRIMARY KEY,
  timestamp_micros BIGINT NOT NULL,
  root_hash BYTEA NOT NULL,
  signature BYTEA NOT NULL);
CREATE TABLE IF NOT EXISTS rulesets(
  digest TEXT PRIMARY KEY,
  blob BYTEA NOT NULL);
CREATE TABLE IF NOT EXISTS tree_nodes(
  level INTEGER NOT NULL,
  idx BIGINT NOT NULL,
  hash BYTEA NOT NULL,
  PRIMARY KEY(level, idx));
INSERT INTO meta(key, value) VALUES('format', '1') ON CONFLICT DO NOTHING;
COMMIT;
)sql";
static_assert(kSchemaLock == 5494759144215956992, "kSchema's lock key");

constexpr char kWriterSession[] =
    "SET synchronous_commit = on; SET lock_timeout = '30s'; "
    "SET idle_in_transaction_session_timeout = '10s'; "
    "SET client_min_messages = warning";
constexpr char kReaderSession[] =
    "SET default_transaction_read_only = on; "
    "SET client_min_messages = warning";

// Where activations are announced (NOTIFY) at commit.
constexpr char kActivationChannel[] = "lantern_activation";

constexpr char kRecordColumns[] =
    "SELECT leaf_index, kind, decision_id, client_request_id, time_micros, "
    "record, leaf_hash FROM records ";
constexpr char kTreeHeadColumns[] =
    "SELECT tree_size, timestamp_micros, root_hash, signature FROM tree_heads ";

// Rows per query when visiting a whole table.
constexpr int kRecordPage = 1000;
constexpr int kHashPage = 20000;

StoredRecord ReadRecord(const PgResult& r, int row) {
  StoredRecord out;
  out.leaf_index = static_cast<uint64_t>(r.Int(row, 0));
  out.kind = static_cast<RecordKind>(r.Int(row, 1));
  out.decision_id = r.Bytes(row, 2);
  out.client_request_id = r.Bytes(row, 3);
  out.time_micros = r.Int(row, 4);
  out.record = r.Bytes(row, 5);
  out.leaf_hash = r.Bytes(row, 6);
  return out;
}

SignedTreeHead ReadTreeHead(const PgResult& r, int row) {
  SignedTreeHead sth;
  sth.head.tree_size = static_cast<uint64_t>(r.Int(row, 0));
  sth.head.timestamp = absl::FromUnixMicros(r.Int(row, 1));
  // A root of the wrong length stays all zeros: no signature matches it.
  if (absl::StatusOr<Hash> hash = HashFromBytes(r.Bytes(row, 2)); hash.ok()) {
    sth.head.root = *hash;
  }
  sth.signature = r.Bytes(row, 3);
  return sth;
}

PgParam OptionalText(const std::string& text) {
  return text.empty() ? PgParam::Null() : PgParam::Text(text);
}

}  // namespace

absl::StatusOr<std::unique_ptr<PostgresLedgerStore>>
PostgresLedgerStore::Connect(const std::string& uri,
                             const std::string& session_setup) {
  absl::StatusOr<std::unique_ptr<PgConnection>> db = PgConnection::Connect(uri);
  if (!db.ok()) return db.status();
  // Named after the process, so that pg_stat_activity (and pg_locks
  // joined to it) says which replica holds what.
  const std::string named = absl::StrCat(
      session_setup, "; SET application_name = 'lantern ", getpid(), "'");
  if (absl::Status s = (*db)->SetSessionSetup(named); !s.ok()) {
    return s;
  }
  return std::unique_ptr<PostgresLedgerStore>(
      new PostgresLedgerStore(uri, *std::move(db)));
}

absl::StatusOr<std::unique_ptr<PostgresLedgerStore>>
PostgresLedgerStore::OpenForWriting(const std::string& uri) {
  absl::StatusOr<std::unique_ptr<PostgresLedgerStore>> store =
      Connect(uri, kWriterSession);
  if (!store.ok()) return store.status();
  if (absl::Status s = (*store)->CreateSchema(); !s.ok()) return s;
  if (absl::Status s = (*store)->CheckFormat(); !s.ok()) return s;
  return store;
}

absl::StatusOr<std::unique_ptr<PostgresLedgerStore>>
PostgresLedgerStore::OpenForVerifying(const std::string& uri) {
  absl::StatusOr<std::unique_ptr<PostgresLedgerStore>> store =
      Connect(uri, kReaderSession);
  if (!store.ok()) return store.status();
  if (absl::Status s = (*store)->db_->ExecScript(
          "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      !s.ok()) {
    return s;
  }
  if (absl::Status s = (*store)->CheckFormat(); !s.ok()) return s;
  return store;
}

absl::StatusOr<std::unique_ptr<LedgerStore>> PostgresLedgerStore::OpenReader() {
  absl::StatusOr<std::unique_ptr<PostgresLedgerStore>> reader =
      Connect(uri_, kReaderSession);
  if (!reader.ok()) return reader.status();
  return std::unique_ptr<LedgerStore>(*std::move(reader));
}

absl::Status PostgresLedgerStore::CreateSchema() {
  return db_->ExecScript(kSchema);
}

absl::Status PostgresLedgerStore::CheckFormat() {
  absl::StatusOr<PgResult> r =
      db_->Exec("SELECT value FROM meta WHERE key = 'format'");
  const std::string where = LocationForDisplay(uri_);
  if (absl::IsInternal(r.status())) {
    return absl::FailedPreconditionError(absl::StrCat(
        where, " is not a Lantern ledger: ", r.status().message()));
  }
  if (!r.ok()) return r.status();
  const std::string format = r->rows() == 1 ? r->Bytes(0, 0) : "";
  if (format != "1") {
    return absl::FailedPreconditionError(
        absl::StrCat(where, ": unknown ledger format '", format, "'"));
  }
  return absl::OkStatus();
}

absl::Status PostgresLedgerStore::Begin() {
  if (absl::Status s = db_->ExecScript("BEGIN"); !s.ok()) return s;
  absl::StatusOr<PgResult> locked = db_->Exec(
      "SELECT pg_advisory_xact_lock($1)", {PgParam::Int(kWriterLock)});
  if (!locked.ok()) {
    (void)Rollback();
    return locked.status();
  }
  return absl::OkStatus();
}

absl::Status PostgresLedgerStore::Commit() {
  // COMMIT of a failed transaction "succeeds" as a rollback: check that
  // the transaction is still good first.
  if (!db_->InTransaction()) {
    return absl::UnavailableError(
        "postgresql: the transaction failed or its connection was lost; "
        "nothing was committed");
  }
  return db_->ExecScript("COMMIT");
}

absl::Status PostgresLedgerStore::Rollback() {
  return db_->ExecScript("ROLLBACK");
}

absl::StatusOr<std::string> PostgresLedgerStore::Meta(const std::string& key) {
  absl::StatusOr<PgResult> r =
      db_->Exec("SELECT value FROM meta WHERE key = $1", {PgParam::Text(key)});
  if (!r.ok()) return r.status();
  return r->rows() == 1 ? r->Bytes(0, 0) : "";
}

absl::Status PostgresLedgerStore::SetMeta(const std::string& key,
                                          const std::string& value) {
  return db_
      ->Exec(
          "INSERT INTO meta(key, value) VALUES($1, $2) "
          "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
          {PgParam::Text(key), PgParam::Bytes(value)})
      .status();
}

absl::Status PostgresLedgerStore::InsertRecord(const StoredRecord& row) {
  // ON CONFLICT DO NOTHING rather than an error, which would abort the
  // whole transaction: a taken key fails this record alone.
  absl::StatusOr<PgResult> r = db_->Exec(
      "INSERT INTO records(leaf_index, kind, decision_id, client_request_id, "
      "time_micros, record, leaf_hash) VALUES($1, $2, $3, $4, $5, $6, $7) "
      "ON CONFLICT DO NOTHING",
      {PgParam::Int(static_cast<int64_t>(row.leaf_index)),
       PgParam::Int(static_cast<int>(row.kind)), OptionalText(row.decision_id),
       OptionalText(row.client_request_id), PgParam::Int(row.time_micros),
       PgParam::Bytes(row.record), PgParam::Bytes(row.leaf_hash)});
  if (!r.ok()) return r.status();
  if (r->affected() == 1) {
    if (row.kind != RecordKind::kActivation) return absl::OkStatus();
    return db_->ExecScript("NOTIFY " + std::string(kActivationChannel));
  }
  absl::StatusOr<std::optional<StoredRecord>> at = RecordAt(row.leaf_index);
  if (!at.ok()) return at.status();
  if (at->has_value()) {
    return absl::AbortedError(absl::StrCat("leaf ", row.leaf_index,
                                           " was sequenced by another writer"));
  }
  return absl::AlreadyExistsError(
      absl::StrCat("decision_id ", row.decision_id, " or client_request_id ",
                   row.client_request_id, " is taken"));
}

absl::Status PostgresLedgerStore::InsertTreeHead(const SignedTreeHead& sth) {
  absl::StatusOr<PgResult> r = db_->Exec(
      "INSERT INTO tree_heads(tree_size, timestamp_micros, root_hash, "
      "signature) VALUES($1, $2, $3, $4) ON CONFLICT DO NOTHING",
      {PgParam::Int(static_cast<int64_t>(sth.head.tree_size)),
       PgParam::Int(absl::ToUnixMicros(sth.head.timestamp)),
       PgParam::Bytes(HashBytes(sth.head.root)),
       PgParam::Bytes(sth.signature)});
  if (!r.ok()) return r.status();
  if (r->affected() == 1) return absl::OkStatus();
  return absl::AlreadyExistsError(absl::StrCat(
      "a tree head of size ", sth.head.tree_size, " is already stored"));
}

absl::Status PostgresLedgerStore::InsertRuleSet(const std::string& digest,
                                                const std::string& blob) {
  return db_
      ->Exec(
          "INSERT INTO rulesets(digest, blob) VALUES($1, $2) "
          "ON CONFLICT DO NOTHING",
          {PgParam::Text(digest), PgParam::Bytes(blob)})
      .status();
}

absl::StatusOr<std::vector<StoredRecord>> PostgresLedgerStore::Records(
    const std::string& where_order_limit, const std::vector<PgParam>& params) {
  absl::StatusOr<PgResult> r =
      db_->Exec(std::string(kRecordColumns) + where_order_limit, params);
  if (!r.ok()) return r.status();
  std::vector<StoredRecord> out;
  out.reserve(r->rows());
  for (int i = 0; i < r->rows(); ++i) out.push_back(ReadRecord(*r, i));
  return out;
}

absl::StatusOr<std::optional<StoredRecord>> PostgresLedgerStore::FindOne(
    const std::string& where, const PgParam& key) {
  absl::StatusOr<std::vector<StoredRecord>> rows = Records(where, {key});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return std::nullopt;
  return std::move(rows->front());
}

absl::StatusOr<std::optional<StoredRecord>>
PostgresLedgerStore::FindByDecisionId(const std::string& decision_id) {
  return FindOne("WHERE decision_id = $1", PgParam::Text(decision_id));
}

absl::StatusOr<std::optional<StoredRecord>>
PostgresLedgerStore::FindByClientRequestId(
    const std::string& client_request_id) {
  return FindOne("WHERE client_request_id = $1",
                 PgParam::Text(client_request_id));
}

absl::StatusOr<std::optional<StoredRecord>> PostgresLedgerStore::RecordAt(
    uint64_t leaf_index) {
  return FindOne("WHERE leaf_index = $1",
                 PgParam::Int(static_cast<int64_t>(leaf_index)));
}

absl::StatusOr<std::vector<StoredRecord>> PostgresLedgerStore::DecisionsBetween(
    int64_t from_micros, int64_t to_micros, int64_t after_time_micros,
    int64_t after_leaf_index, int limit) {
  return Records(
      "WHERE kind = 1 AND time_micros >= $1 AND time_micros < $2 AND "
      "(time_micros, leaf_index) > ($3, $4) "
      "ORDER BY time_micros, leaf_index LIMIT $5",
      {PgParam::Int(from_micros), PgParam::Int(to_micros),
       PgParam::Int(after_time_micros), PgParam::Int(after_leaf_index),
       PgParam::Int(limit)});
}

absl::StatusOr<DecisionCount> PostgresLedgerStore::CountDecisionsBetween(
    int64_t from_micros, int64_t to_micros) {
  absl::StatusOr<PgResult> r = db_->Exec(
      "SELECT COUNT(*)::bigint, COALESCE(MAX(leaf_index), -1)::bigint "
      "FROM records WHERE kind = 1 AND time_micros >= $1 AND time_micros < $2",
      {PgParam::Int(from_micros), PgParam::Int(to_micros)});
  if (!r.ok()) return r.status();
  DecisionCount count;
  count.count = static_cast<uint64_t>(r->Int(0, 0));
  count.last_leaf_index = r->Int(0, 1);
  return count;
}

absl::StatusOr<std::optional<std::string>> PostgresLedgerStore::RuleSet(
    const std::string& digest) {
  absl::StatusOr<PgResult> r = db_->Exec(
      "SELECT blob FROM rulesets WHERE digest = $1", {PgParam::Text(digest)});
  if (!r.ok()) return r.status();
  if (r->rows() == 0) return std::nullopt;
  return r->Bytes(0, 0);
}

absl::StatusOr<std::vector<StoredRecord>> PostgresLedgerStore::Activations() {
  return Records("WHERE kind = 2 ORDER BY leaf_index", {});
}

absl::StatusOr<std::vector<StoredRecord>>
PostgresLedgerStore::AccessRecordsAfter(int64_t after_leaf_index, int limit) {
  return Records(
      "WHERE kind = 3 AND leaf_index > $1 ORDER BY leaf_index "
      "LIMIT $2",
      {PgParam::Int(after_leaf_index), PgParam::Int(limit)});
}

absl::Status PostgresLedgerStore::ForEachRecord(
    const std::function<absl::Status(const StoredRecord&)>& fn) {
  int64_t next = 0;
  while (true) {
    absl::StatusOr<std::vector<StoredRecord>> page = Records(
        absl::StrCat("WHERE leaf_index >= $1 ORDER BY leaf_index LIMIT ",
                     kRecordPage),
        {PgParam::Int(next)});
    if (!page.ok()) return page.status();
    for (const StoredRecord& row : *page) {
      if (absl::Status s = fn(row); !s.ok()) return s;
    }
    if (page->size() < kRecordPage) return absl::OkStatus();
    next = static_cast<int64_t>(page->back().leaf_index) + 1;
  }
}

absl::Status PostgresLedgerStore::ForEachLeafHash(
    uint64_t first_leaf,
    const std::function<absl::Status(uint64_t, const std::string&)>& fn) {
  int64_t next = static_cast<int64_t>(first_leaf);
  while (true) {
    absl::StatusOr<PgResult> r = db_->Exec(
        absl::StrCat("SELECT leaf_index, leaf_hash FROM records WHERE "
                     "leaf_index >= $1 ORDER BY leaf_index LIMIT ",
                     kHashPage),
        {PgParam::Int(next)});
    if (!r.ok()) return r.status();
    for (int i = 0; i < r->rows(); ++i) {
      if (absl::Status s =
              fn(static_cast<uint64_t>(r->Int(i, 0)), r->Bytes(i, 1));
          !s.ok()) {
        return s;
      }
    }
    if (r->rows() < kHashPage) return absl::OkStatus();
    next = r->Int(r->rows() - 1, 0) + 1;
  }
}

absl::Status PostgresLedgerStore::ForEachTreeHead(
    const std::function<absl::Status(const SignedTreeHead&)>& fn) {
  int64_t after = -1;
  while (true) {
    absl::StatusOr<PgResult> r =
        db_->Exec(absl::StrCat(kTreeHeadColumns,
                               "WHERE tree_size > $1 ORDER BY tree_size LIMIT ",
                               kHashPage),
                  {PgParam::Int(after)});
    if (!r.ok()) return r.status();
    for (int i = 0; i < r->rows(); ++i) {
      if (absl::Status s = fn(ReadTreeHead(*r, i)); !s.ok()) return s;
    }
    if (r->rows() < kHashPage) return absl::OkStatus();
    after = r->Int(r->rows() - 1, 0);
  }
}

absl::Status PostgresLedgerStore::ForEachRuleSet(
    const std::function<absl::Status(const std::string&, const std::string&)>&
        fn) {
  absl::StatusOr<PgResult> r =
      db_->Exec("SELECT digest, blob FROM rulesets ORDER BY digest");
  if (!r.ok()) return r.status();
  for (int i = 0; i < r->rows(); ++i) {
    if (absl::Status s = fn(r->Bytes(i, 0), r->Bytes(i, 1)); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<SignedTreeHead>>
PostgresLedgerStore::LatestTreeHead() {
  absl::StatusOr<PgResult> r = db_->Exec(std::string(kTreeHeadColumns) +
                                         "ORDER BY tree_size DESC LIMIT 1");
  if (!r.ok()) return r.status();
  if (r->rows() == 0) return std::nullopt;
  return ReadTreeHead(*r, 0);
}

namespace {

// A PostgreSQL array literal of `values` ("{1,2,3}").
template <typename T, typename Get>
std::string ArrayLiteral(const std::vector<T>& values, Get get) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    absl::StrAppend(&out, i == 0 ? "" : ",", get(values[i]));
  }
  return out + "}";
}

}  // namespace

absl::Status PostgresLedgerStore::InsertTreeNodes(
    const std::vector<CompactRange::Node>& nodes) {
  // One statement per chunk, the hashes as one hex-encoded array.
  constexpr size_t kChunk = 5000;
  for (size_t begin = 0; begin < nodes.size(); begin += kChunk) {
    const size_t end = std::min(nodes.size(), begin + kChunk);
    const std::vector<CompactRange::Node> chunk(nodes.begin() + begin,
                                                nodes.begin() + end);
    absl::StatusOr<PgResult> r = db_->Exec(
        "INSERT INTO tree_nodes(level, idx, hash) "
        "SELECT l, i, decode(h, 'hex') "
        "FROM unnest($1::int[], $2::bigint[], $3::text[]) AS n(l, i, h)",
        {PgParam::Text(ArrayLiteral(
             chunk, [](const CompactRange::Node& n) { return n.id.level; })),
         PgParam::Text(ArrayLiteral(
             chunk, [](const CompactRange::Node& n) { return n.id.index; })),
         PgParam::Text(ArrayLiteral(chunk, [](const CompactRange::Node& n) {
           return HashToHex(n.hash);
         }))});
    if (!r.ok()) return r.status();
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Hash>> PostgresLedgerStore::TreeNodes(
    const std::vector<NodeId>& ids) {
  if (ids.empty()) return std::vector<Hash>{};
  // One query: the positions of `ids`, joined to the leaf hashes (level 0)
  // and the stored nodes, by primary key.
  absl::StatusOr<PgResult> r = db_->Exec(
      "SELECT q.pos, CASE WHEN q.l = 0 THEN r.leaf_hash ELSE n.hash END "
      "FROM unnest($1::int[], $2::bigint[]) WITH ORDINALITY AS q(l, i, pos) "
      "LEFT JOIN records r ON q.l = 0 AND r.leaf_index = q.i "
      "LEFT JOIN tree_nodes n ON q.l > 0 AND n.level = q.l AND n.idx = q.i "
      "ORDER BY q.pos",
      {PgParam::Text(
           ArrayLiteral(ids, [](const NodeId& id) { return id.level; })),
       PgParam::Text(
           ArrayLiteral(ids, [](const NodeId& id) { return id.index; }))});
  if (!r.ok()) return r.status();
  if (r->rows() != static_cast<int>(ids.size())) {
    return absl::InternalError(
        absl::StrCat("asked for ", ids.size(), " tree nodes, got ", r->rows()));
  }
  std::vector<Hash> out;
  out.reserve(ids.size());
  for (int i = 0; i < r->rows(); ++i) {
    const NodeId& id = ids[i];
    if (r->IsNull(i, 1)) {
      return absl::NotFoundError(absl::StrCat(LocationForDisplay(uri_),
                                              ": no tree node (", id.level,
                                              ", ", id.index, ")"));
    }
    absl::StatusOr<Hash> hash = HashFromBytes(r->Bytes(i, 1));
    if (!hash.ok()) {
      return absl::DataLossError(
          absl::StrCat(LocationForDisplay(uri_), ": tree node (", id.level,
                       ", ", id.index, "): ", hash.status().message()));
    }
    out.push_back(*hash);
  }
  return out;
}

absl::StatusOr<bool> PostgresLedgerStore::AwaitActivation(
    absl::Duration timeout) {
  if (listening_generation_ != db_->generation() || !db_->Connected()) {
    // (Re)subscribe: a new connection listens to nothing.
    if (absl::Status s =
            db_->ExecScript("LISTEN " + std::string(kActivationChannel));
        !s.ok()) {
      absl::SleepFor(timeout);  // the database is away: poll later
      return s;
    }
    listening_generation_ = db_->generation();
  }
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> got =
      db_->Notifications();
  if (!got.ok()) return got.status();
  if (!got->empty()) return true;
  if (listening_generation_ != db_->generation()) return false;
  pollfd fd{db_->socket(), POLLIN, 0};
  const int ready =
      poll(&fd, 1, static_cast<int>(absl::ToInt64Milliseconds(timeout)));
  if (ready <= 0) return false;
  got = db_->Notifications();
  if (!got.ok()) return got.status();
  return !got->empty();
}

}  // namespace lantern::ledger
