// OpenLedgerStore (see ledger_store.h): the location's scheme picks the
// implementation.
#include "server/ledger/ledger_store.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "server/ledger/postgres_ledger_store.h"
#include "server/ledger/sqlite_ledger_store.h"

namespace lantern::ledger {

bool IsPostgresLocation(absl::string_view location) {
  return absl::StartsWith(location, "postgresql://") ||
         absl::StartsWith(location, "postgres://");
}

std::string LocationForDisplay(absl::string_view location) {
  if (!IsPostgresLocation(location)) return std::string(location);
  // scheme://[user[:password]@]host...: drop ":password".
  const size_t start = location.find("://") + 3;
  const size_t at = location.find('@', start);
  if (at == absl::string_view::npos) return std::string(location);
  const size_t colon = location.find(':', start);
  if (colon == absl::string_view::npos || colon > at) {
    return std::string(location);
  }
  return absl::StrCat(location.substr(0, colon), ":***", location.substr(at));
}

absl::StatusOr<std::unique_ptr<LedgerStore>> OpenLedgerStore(
    const std::string& location, StoreAccess access) {
  if (IsPostgresLocation(location)) {
    absl::StatusOr<std::unique_ptr<PostgresLedgerStore>> store =
        access == StoreAccess::kWrite
            ? PostgresLedgerStore::OpenForWriting(location)
            : PostgresLedgerStore::OpenForVerifying(location);
    if (!store.ok()) return store.status();
    return std::unique_ptr<LedgerStore>(*std::move(store));
  }
  absl::StatusOr<std::unique_ptr<SqliteLedgerStore>> store =
      access == StoreAccess::kWrite
          ? SqliteLedgerStore::OpenForWriting(location)
          : SqliteLedgerStore::OpenForVerifying(location);
  if (!store.ok()) return store.status();
  return std::unique_ptr<LedgerStore>(*std::move(store));
}

}  // namespace lantern::ledger
