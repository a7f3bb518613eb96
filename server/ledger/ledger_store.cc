// OpenLedgerStore (see ledger_store.h): the location's scheme picks the
// implementation.
#include "server/ledger/ledger_store.h"

#include <algorithm>
#include <limits>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "server/ledger/postgres_ledger_store.h"
#include "server/ledger/sqlite_ledger_store.h"

namespace lantern::ledger {

absl::StatusOr<DecisionCount> LedgerStore::CountDecisionsBetween(
    int64_t from_micros, int64_t to_micros) {
  constexpr int kPage = 1000;
  DecisionCount total;
  int64_t after_time = std::numeric_limits<int64_t>::min();
  int64_t after_leaf = -1;
  while (true) {
    absl::StatusOr<std::vector<StoredRecord>> page =
        DecisionsBetween(from_micros, to_micros, after_time, after_leaf, kPage);
    if (!page.ok()) return page.status();
    for (const StoredRecord& r : *page) {
      ++total.count;
      total.last_leaf_index =
          std::max(total.last_leaf_index, static_cast<int64_t>(r.leaf_index));
    }
    if (page->size() < kPage) return total;
    after_time = page->back().time_micros;
    after_leaf = static_cast<int64_t>(page->back().leaf_index);
  }
}

bool IsPostgresLocation(absl::string_view location) {
  return absl::StartsWith(location, "postgresql://") ||
         absl::StartsWith(location, "postgres://");
}

std::string LocationForDisplay(absl::string_view location) {
  if (!IsPostgresLocation(location)) return std::string(location);
  std::string shown(location);
  // scheme://[user[:password]@]host...: hide the password.
  const size_t start = shown.find("://") + 3;
  const size_t end = std::min(shown.find_first_of("/?", start), shown.size());
  const size_t at = shown.rfind('@', end);
  if (at != std::string::npos && at >= start) {
    const size_t colon = shown.find(':', start);
    if (colon < at) shown.replace(colon + 1, at - colon - 1, "***");
  }
  // ...?password=...&...: hide it too.
  for (size_t p = shown.find("password=", start); p != std::string::npos;
       p = shown.find("password=", p + 1)) {
    const size_t value = p + 9;
    const size_t stop = std::min(shown.find('&', value), shown.size());
    shown.replace(value, stop - value, "***");
  }
  return shown;
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
