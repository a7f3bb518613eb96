// libpq wrapper (see postgres.h). Statements go through PQexecParams (or
// PQprepare and PQexecPrepared) with binary results; errors are mapped by
// SQLSTATE class.
#include "server/ledger/postgres.h"

#include <endian.h>
#include <libpq-fe.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "server/ledger/ledger_store.h"

namespace lantern::ledger {
namespace {

absl::Status StatusFor(absl::string_view sqlstate, const std::string& message) {
  if (sqlstate == "23505") return absl::AlreadyExistsError(message);
  if (sqlstate == "40001" || sqlstate == "40P01") {
    return absl::AbortedError(message);
  }
  if (sqlstate == "XX001" || sqlstate == "XX002") {
    return absl::DataLossError(message);
  }
  // No SQLSTATE: the connection failed. 08 connection, 53 resources,
  // 57 operator intervention (shutdown), 58 system (I/O), 55P03 lock
  // not available, 25006 read-only transaction, 40003 unknown completion.
  if (sqlstate.empty() || absl::StartsWith(sqlstate, "08") ||
      absl::StartsWith(sqlstate, "53") || absl::StartsWith(sqlstate, "57") ||
      absl::StartsWith(sqlstate, "58") || sqlstate == "55P03" ||
      sqlstate == "25006" || sqlstate == "40003" || sqlstate == "25P03") {
    return absl::UnavailableError(message);
  }
  return absl::InternalError(message);
}

std::string FirstLine(absl::string_view text) {
  const size_t end = text.find('\n');
  return std::string(text.substr(0, end));
}

}  // namespace

PgParam PgParam::Int(int64_t value) {
  return PgParam{absl::StrCat(value), false, false};
}
PgParam PgParam::Text(absl::string_view text) {
  return PgParam{std::string(text), false, false};
}
PgParam PgParam::Bytes(absl::string_view bytes) {
  return PgParam{std::string(bytes), true, false};
}
PgParam PgParam::Null() { return PgParam{"", false, true}; }

PgResult::~PgResult() {
  if (result_ != nullptr) PQclear(result_);
}

int PgResult::rows() const { return PQntuples(result_); }

int64_t PgResult::affected() const {
  const char* n = PQcmdTuples(result_);
  return n == nullptr || *n == '\0' ? 0 : std::strtoll(n, nullptr, 10);
}

bool PgResult::IsNull(int row, int column) const {
  return PQgetisnull(result_, row, column) != 0;
}

int64_t PgResult::Int(int row, int column) const {
  const char* v = PQgetvalue(result_, row, column);
  switch (PQgetlength(result_, row, column)) {
    case 8: {
      uint64_t x;
      std::memcpy(&x, v, 8);
      return static_cast<int64_t>(be64toh(x));
    }
    case 4: {
      uint32_t x;
      std::memcpy(&x, v, 4);
      return static_cast<int32_t>(be32toh(x));
    }
    case 2: {
      uint16_t x;
      std::memcpy(&x, v, 2);
      return static_cast<int16_t>(be16toh(x));
    }
    default:
      return 0;
  }
}

std::string PgResult::Bytes(int row, int column) const {
  return std::string(PQgetvalue(result_, row, column),
                     PQgetlength(result_, row, column));
}

absl::StatusOr<std::unique_ptr<PgConnection>> PgConnection::Connect(
    const std::string& uri) {
  pg_conn* conn = PQconnectdb(uri.c_str());
  if (conn == nullptr) return absl::UnavailableError("libpq: out of memory");
  if (PQstatus(conn) != CONNECTION_OK) {
    absl::Status status = absl::UnavailableError(
        absl::StrCat("cannot connect to ", LocationForDisplay(uri), ": ",
                     FirstLine(PQerrorMessage(conn))));
    PQfinish(conn);
    return status;
  }
  return std::unique_ptr<PgConnection>(new PgConnection(conn, uri));
}

PgConnection::~PgConnection() { PQfinish(conn_); }

absl::Status PgConnection::SetSessionSetup(std::string sql) {
  session_setup_ = std::move(sql);
  return ExecScript(session_setup_);
}

bool PgConnection::Connected() const {
  return PQstatus(conn_) == CONNECTION_OK;
}

bool PgConnection::InTransaction() const {
  return PQtransactionStatus(conn_) == PQTRANS_INTRANS;
}

void PgConnection::NoteTransactionState() {
  switch (PQtransactionStatus(conn_)) {
    case PQTRANS_IDLE:
      in_transaction_ = false;
      break;
    case PQTRANS_INTRANS:
    case PQTRANS_INERROR:
      in_transaction_ = true;
      break;
    default:  // unknown: the connection is gone; keep what was known
      break;
  }
}

absl::Status PgConnection::EnsureConnected() {
  if (PQstatus(conn_) == CONNECTION_OK) return absl::OkStatus();
  if (in_transaction_) {
    // Said once; the next call (the caller's rollback) reconnects.
    in_transaction_ = false;
    return absl::UnavailableError(
        absl::StrCat("postgresql: the connection to ", LocationForDisplay(uri_),
                     " was lost inside a transaction"));
  }
  PQreset(conn_);
  ++generation_;
  if (PQstatus(conn_) != CONNECTION_OK) {
    return absl::UnavailableError(
        absl::StrCat("cannot reconnect to ", LocationForDisplay(uri_), ": ",
                     FirstLine(PQerrorMessage(conn_))));
  }
  if (session_setup_.empty()) return absl::OkStatus();
  return ExecScript(session_setup_);
}

absl::StatusOr<PgResult> PgConnection::Exec(
    absl::string_view sql, const std::vector<PgParam>& params) {
  if (absl::Status s = EnsureConnected(); !s.ok()) return s;
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;
  for (const PgParam& p : params) {
    values.push_back(p.null ? nullptr : p.value.data());
    lengths.push_back(static_cast<int>(p.value.size()));
    formats.push_back(p.binary ? 1 : 0);
  }
  const std::string statement(sql);
  return Result(
      PgResult(PQexecParams(
          conn_, statement.c_str(), static_cast<int>(params.size()), nullptr,
          values.data(), lengths.data(), formats.data(), /*resultFormat=*/1)),
      sql);
}

absl::StatusOr<PgResult> PgConnection::ExecPrepared(
    const std::string& name, absl::string_view sql,
    const std::vector<PgParam>& params) {
  if (absl::Status s = EnsureConnected(); !s.ok()) return s;
  if (prepared_generation_ != generation_) {
    prepared_.clear();
    prepared_generation_ = generation_;
  }
  if (std::find(prepared_.begin(), prepared_.end(), name) == prepared_.end()) {
    const std::string statement(sql);
    absl::StatusOr<PgResult> prepared =
        Result(PgResult(PQprepare(conn_, name.c_str(), statement.c_str(),
                                  static_cast<int>(params.size()), nullptr)),
               sql);
    if (!prepared.ok()) return prepared.status();
    prepared_.push_back(name);
  }
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;
  for (const PgParam& p : params) {
    values.push_back(p.null ? nullptr : p.value.data());
    lengths.push_back(static_cast<int>(p.value.size()));
    formats.push_back(p.binary ? 1 : 0);
  }
  return Result(PgResult(PQexecPrepared(
                    conn_, name.c_str(), static_cast<int>(params.size()),
                    values.data(), lengths.data(), formats.data(),
                    /*resultFormat=*/1)),
                sql);
}

absl::StatusOr<PgResult> PgConnection::Result(PgResult owned,
                                              absl::string_view sql) {
  pg_result* raw = owned.get();
  NoteTransactionState();
  const ExecStatusType status =
      raw == nullptr ? PGRES_FATAL_ERROR : PQresultStatus(raw);
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return owned;
  const char* state =
      raw == nullptr ? nullptr : PQresultErrorField(raw, PG_DIAG_SQLSTATE);
  const char* message =
      raw == nullptr ? PQerrorMessage(conn_) : PQresultErrorMessage(raw);
  return StatusFor(state == nullptr ? "" : state,
                   absl::StrCat("postgresql: ", sql.substr(0, 80), ": ",
                                FirstLine(message)));
}

absl::Status PgConnection::ExecScript(const std::string& sql) {
  if (absl::Status s = EnsureConnected(); !s.ok()) return s;
  PgResult owned(PQexec(conn_, sql.c_str()));
  pg_result* raw = owned.get();
  NoteTransactionState();
  const ExecStatusType status =
      raw == nullptr ? PGRES_FATAL_ERROR : PQresultStatus(raw);
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
    return absl::OkStatus();
  }
  const char* state =
      raw == nullptr ? nullptr : PQresultErrorField(raw, PG_DIAG_SQLSTATE);
  const char* message =
      raw == nullptr ? PQerrorMessage(conn_) : PQresultErrorMessage(raw);
  return StatusFor(
      state == nullptr ? "" : state,
      absl::StrCat("postgresql: ", FirstLine(sql), ": ", FirstLine(message)));
}

int PgConnection::socket() const { return PQsocket(conn_); }

absl::StatusOr<std::vector<std::pair<std::string, std::string>>>
PgConnection::Notifications() {
  if (absl::Status s = EnsureConnected(); !s.ok()) return s;
  if (PQconsumeInput(conn_) == 0) {
    return absl::UnavailableError(
        absl::StrCat("postgresql: reading notifications: ",
                     FirstLine(PQerrorMessage(conn_))));
  }
  std::vector<std::pair<std::string, std::string>> out;
  while (PGnotify* n = PQnotifies(conn_)) {
    out.emplace_back(n->relname, n->extra);
    PQfreemem(n);
  }
  return out;
}

}  // namespace lantern::ledger
