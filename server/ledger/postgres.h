// A thin RAII layer over libpq for the ledger: one connection, statements
// with typed parameters, results read by row and column, and every failure
// turned into an absl::Status that names the statement and the server's
// message.
//
// Parameters go as text (integers, text) or binary (bytes); results come
// back in binary, so Bytes() is the exact stored bytes and Int() reads an
// int8/int4 column.
//
// Status codes: a lost or refused connection, a server shutting down,
// resources exhausted or a lock not granted in time are UNAVAILABLE; a
// unique violation ALREADY_EXISTS; a serialization failure or deadlock
// ABORTED; corrupted data DATA_LOSS; anything else (a bad statement: a bug)
// INTERNAL.
//
// Thread-safety: one thread at a time per connection.
#ifndef LANTERN_SERVER_LEDGER_POSTGRES_H_
#define LANTERN_SERVER_LEDGER_POSTGRES_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

struct pg_conn;
struct pg_result;

namespace lantern::ledger {

struct PgParam {
  static PgParam Int(int64_t value);
  static PgParam Text(absl::string_view text);
  static PgParam Bytes(absl::string_view bytes);
  static PgParam Null();

  std::string value;
  bool binary = false;
  bool null = false;
};

class PgResult {
 public:
  explicit PgResult(pg_result* result) : result_(result) {}
  ~PgResult();
  PgResult(PgResult&& other) noexcept : result_(other.result_) {
    other.result_ = nullptr;
  }
  PgResult& operator=(PgResult&&) = delete;
  PgResult(const PgResult&) = delete;

  pg_result* get() const { return result_; }
  int rows() const;
  // Rows a command changed (INSERT, UPDATE, DELETE).
  int64_t affected() const;
  bool IsNull(int row, int column) const;
  // An int2, int4 or int8 column (binary).
  int64_t Int(int row, int column) const;
  // Text or bytea: the bytes as stored. "" for NULL.
  std::string Bytes(int row, int column) const;

 private:
  pg_result* result_;
};

class PgConnection {
 public:
  // Connects to `uri` (a libpq connection string or URI). UNAVAILABLE when
  // the server cannot be reached; the message never carries a password.
  static absl::StatusOr<std::unique_ptr<PgConnection>> Connect(
      const std::string& uri);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs one statement. A connection found broken outside a transaction is
  // re-established first (inside one, the transaction is lost: UNAVAILABLE).
  absl::StatusOr<PgResult> Exec(absl::string_view sql,
                                const std::vector<PgParam>& params = {});
  // As Exec, with `sql` prepared on the server once per connection under
  // `name` (again after a reconnection), so that it is parsed and planned
  // once. REQUIRES: one `sql` per `name`.
  absl::StatusOr<PgResult> ExecPrepared(
      const std::string& name, absl::string_view sql,
      const std::vector<PgParam>& params = {});
  // Runs `sql`, which may hold several statements and takes no parameters.
  absl::Status ExecScript(const std::string& sql);

  // Statements run now and on every reconnection (SET commands).
  absl::Status SetSessionSetup(std::string sql);

  // Whether the connection is up (as of the last call).
  bool Connected() const;
  // Counts reconnections: session state (LISTEN) is lost when it changes.
  int generation() const { return generation_; }

  // Whether a transaction is open and usable (not failed, not lost).
  bool InTransaction() const;

  // The file descriptor to poll for notifications (LISTEN), and the
  // channels and payloads of those received since the last call.
  int socket() const;
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>>
  Notifications();

 private:
  PgConnection(pg_conn* conn, std::string uri)
      : conn_(conn), uri_(std::move(uri)) {}
  // Re-establishes a broken connection outside a transaction.
  absl::Status EnsureConnected();

  // Records whether a transaction is open, when the connection can say.
  void NoteTransactionState();
  // `owned` as a result, or the status its failure maps to.
  absl::StatusOr<PgResult> Result(PgResult owned, absl::string_view sql);

  pg_conn* conn_;
  const std::string uri_;
  std::string session_setup_;
  // A transaction was open when last known: a connection lost now lost it.
  bool in_transaction_ = false;
  int generation_ = 0;
  // Statements ExecPrepared prepared on the connection of `generation_`.
  std::vector<std::string> prepared_;
  int prepared_generation_ = 0;
};

}  // namespace lantern::ledger

#endif  // LANTERN_SERVER_LEDGER_POSTGRES_H_
