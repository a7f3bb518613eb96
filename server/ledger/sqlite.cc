// SQLite wrapper (see sqlite.h). Status codes: a corrupt file is DATA_LOSS,
// a constraint violation ALREADY_EXISTS, anything else (I/O, disk full,
// locked) UNAVAILABLE, since the caller can only retry or report it.
#include "server/ledger/sqlite.h"

#include <sqlite3.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace lantern::ledger {
namespace {

absl::Status ErrorFor(int rc, absl::string_view what, sqlite3* db) {
  const std::string detail = db ? sqlite3_errmsg(db) : "";
  const std::string code = sqlite3_errstr(rc);
  const std::string message =
      detail.empty() || detail == code
          ? absl::StrCat("sqlite: ", what, ": ", code)
          : absl::StrCat("sqlite: ", what, ": ", detail, " (", code, ")");
  switch (rc & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return absl::DataLossError(message);
    case SQLITE_CONSTRAINT:
      return absl::AlreadyExistsError(message);
    default:
      return absl::UnavailableError(message);
  }
}

}  // namespace

SqliteStatement::~SqliteStatement() { sqlite3_finalize(stmt_); }

absl::Status SqliteStatement::Check(int rc) {
  if (rc == SQLITE_OK) return absl::OkStatus();
  return ErrorFor(rc, sql_, sqlite3_db_handle(stmt_));
}

// Bind only fails on a bad index or out of memory: programming errors that
// surface at the next Step as SQLITE_RANGE or a missing value.
SqliteStatement& SqliteStatement::Bind(int index, int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

SqliteStatement& SqliteStatement::BindText(int index, absl::string_view text) {
  sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT,
                      SQLITE_UTF8);
  return *this;
}

SqliteStatement& SqliteStatement::BindBlob(int index, absl::string_view bytes) {
  sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(),
                      SQLITE_TRANSIENT);
  return *this;
}

SqliteStatement& SqliteStatement::BindNull(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

absl::StatusOr<bool> SqliteStatement::Step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return ErrorFor(rc, sql_, sqlite3_db_handle(stmt_));
}

absl::Status SqliteStatement::Run() {
  while (true) {
    absl::StatusOr<bool> row = Step();
    if (!row.ok()) {
      Reset();
      return row.status();
    }
    if (!*row) break;
  }
  Reset();
  return absl::OkStatus();
}

void SqliteStatement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int64_t SqliteStatement::Int(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

bool SqliteStatement::IsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

std::string SqliteStatement::Bytes(int column) const {
  const void* data = sqlite3_column_blob(stmt_, column);
  const int size = sqlite3_column_bytes(stmt_, column);
  if (data == nullptr) return "";
  return std::string(static_cast<const char*>(data), size);
}

absl::StatusOr<std::unique_ptr<SqliteDb>> SqliteDb::Open(
    const std::string& path, bool create, bool read_only) {
  int flags = read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
  if (create && !read_only) flags |= SQLITE_OPEN_CREATE;
  flags |= SQLITE_OPEN_NOMUTEX;
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    absl::Status status = ErrorFor(rc, absl::StrCat("cannot open ", path), db);
    sqlite3_close(db);
    return status;
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, 5000);
  return std::unique_ptr<SqliteDb>(new SqliteDb(db));
}

absl::StatusOr<std::unique_ptr<SqliteDb>> SqliteDb::OpenOffline(
    const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return absl::UnavailableError(
        absl::StrCat("cannot open ", path, ": not a file"));
  }
  if (std::filesystem::exists(path + "-wal", ec) ||
      std::filesystem::exists(path + "-shm", ec)) {
    return Open(path, /*create=*/false, /*read_only=*/true);
  }
  // A URI, so that immutable=1 applies: %-escape what a URI path treats
  // specially.
  std::string uri = "file:";
  for (const char c : path) {
    if (c == '%' || c == '?' || c == '#') {
      absl::StrAppend(&uri, absl::StrFormat("%%%02X", c));
    } else {
      uri.push_back(c);
    }
  }
  uri += "?immutable=1";
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(
      uri.c_str(), &db,
      SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    absl::Status status = ErrorFor(rc, absl::StrCat("cannot open ", path), db);
    sqlite3_close(db);
    return status;
  }
  sqlite3_extended_result_codes(db, 1);
  return std::unique_ptr<SqliteDb>(new SqliteDb(db));
}

SqliteDb::~SqliteDb() { sqlite3_close(db_); }

absl::Status SqliteDb::Exec(const std::string& sql) {
  char* error = nullptr;
  const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error);
  sqlite3_free(error);
  if (rc == SQLITE_OK) return absl::OkStatus();
  return ErrorFor(rc, sql, db_);
}

absl::StatusOr<std::unique_ptr<SqliteStatement>> SqliteDb::Prepare(
    const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.c_str(), -1,
                                    SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return ErrorFor(rc, sql, db_);
  return std::unique_ptr<SqliteStatement>(new SqliteStatement(stmt, sql));
}

absl::StatusOr<std::string> SqliteDb::QueryText(const std::string& sql) {
  absl::StatusOr<std::unique_ptr<SqliteStatement>> stmt = Prepare(sql);
  if (!stmt.ok()) return stmt.status();
  absl::StatusOr<bool> row = (*stmt)->Step();
  if (!row.ok()) return row.status();
  return *row ? (*stmt)->Bytes(0) : "";
}

absl::StatusOr<std::vector<std::string>> SqliteDb::QueryTexts(
    const std::string& sql) {
  absl::StatusOr<std::unique_ptr<SqliteStatement>> stmt = Prepare(sql);
  if (!stmt.ok()) return stmt.status();
  std::vector<std::string> texts;
  for (;;) {
    absl::StatusOr<bool> row = (*stmt)->Step();
    if (!row.ok()) return row.status();
    if (!*row) return texts;
    texts.push_back((*stmt)->Bytes(0));
  }
}

}  // namespace lantern::ledger
