// A thin RAII layer over the SQLite C API for the ledger: a connection and
// prepared statements, with every failure turned into an absl::Status that
// names the statement and SQLite's message.
//
// Thread-safety: a SqliteDb and its statements must be used by one thread
// at a time (the ledger gives each connection one owner or one mutex).
#ifndef LANTERN_SERVER_LEDGER_SQLITE_H_
#define LANTERN_SERVER_LEDGER_SQLITE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

struct sqlite3;
struct sqlite3_stmt;

namespace lantern::ledger {

class SqliteStatement {
 public:
  ~SqliteStatement();
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;

  // Parameters are 1-based, as in SQL's ?1.
  SqliteStatement& Bind(int index, int64_t value);
  SqliteStatement& BindText(int index, absl::string_view text);
  SqliteStatement& BindBlob(int index, absl::string_view bytes);
  SqliteStatement& BindNull(int index);

  // True while there is a row to read; false when done.
  absl::StatusOr<bool> Step();
  // Step to completion, for statements that return no rows.
  absl::Status Run();
  // Clears bindings and rewinds, for re-use.
  void Reset();

  // Columns are 0-based.
  int64_t Int(int column) const;
  bool IsNull(int column) const;
  std::string Bytes(int column) const;  // text or blob

 private:
  friend class SqliteDb;
  SqliteStatement(sqlite3_stmt* stmt, std::string sql)
      : stmt_(stmt), sql_(std::move(sql)) {}
  absl::Status Check(int rc);

  sqlite3_stmt* stmt_;
  std::string sql_;
};

class SqliteDb {
 public:
  // Opens (creating it when `create`) the database file at `path`;
  // read-only when `read_only`. UNAVAILABLE when it cannot be opened.
  static absl::StatusOr<std::unique_ptr<SqliteDb>> Open(const std::string& path,
                                                        bool create,
                                                        bool read_only);
  // Opens the existing file at `path` read-only for an offline check,
  // leaving nothing beside it: when no -wal or -shm file is beside it (no
  // writer has it open, and every commit is in the file itself) it is
  // opened immutable (no locks, no -shm); otherwise read-only as usual, so
  // that commits still in the -wal are read.
  static absl::StatusOr<std::unique_ptr<SqliteDb>> OpenOffline(
      const std::string& path);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  // Runs one or more statements that return no rows.
  absl::Status Exec(const std::string& sql);
  absl::StatusOr<std::unique_ptr<SqliteStatement>> Prepare(
      const std::string& sql);
  // The single text value `sql` returns (for PRAGMAs).
  absl::StatusOr<std::string> QueryText(const std::string& sql);
  // Every text value in the first column of the rows `sql` returns.
  absl::StatusOr<std::vector<std::string>> QueryTexts(const std::string& sql);

 private:
  explicit SqliteDb(sqlite3* db) : db_(db) {}
  sqlite3* db_;
};

}  // namespace lantern::ledger

#endif  // LANTERN_SERVER_LEDGER_SQLITE_H_
