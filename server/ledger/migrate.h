// `lantern ledger migrate FROM TO`: copies a whole ledger into an empty one
// (typically a SQLite file into PostgreSQL, to move to replicas) keeping
// every leaf's bytes and hash, every signed tree head and its signature, the
// rulesets and the public key — so every proof and head issued before still
// verifies against the copy. The copy's tree nodes are built from the copied
// leaves as they are written.
//
// Checked before the copy is committed (one transaction in TO): every
// record's leaf hash is the hash of its bytes and its index is the next;
// every head verifies under the stored public key, its root is the root the
// copied leaves give, and a consistency proof from it to the latest head,
// made from the copy's stored nodes, verifies; no record lies beyond the
// latest head. After the commit, the copy is read back: its latest head is
// the source's, and the source's latest head is consistent with it (a
// consistency proof from the copy, checked).
//
// FROM is read as `lantern ledger verify` reads it (a SQLite file read-only,
// changing nothing beside it); stop the service writing it first. TO must be
// empty (no record, head or key): FAILED_PRECONDITION otherwise, and nothing
// is written. Memory is bounded (the tree's frontier and a buffer of nodes)
// whatever the ledger's size.
//
// Thread-safety: stateless; one migration per target at a time (the target's
// write transaction fences others).
#ifndef LANTERN_SERVER_LEDGER_MIGRATE_H_
#define LANTERN_SERVER_LEDGER_MIGRATE_H_

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>

#include "absl/status/statusor.h"
#include "server/ledger/tree_head.h"

namespace lantern::ledger {

struct MigrateReport {
  uint64_t records = 0;
  uint64_t tree_heads = 0;
  uint64_t rulesets = 0;
  SignedTreeHead latest;  // the source's, and now the copy's
};

// `note` (may be null) is told progress, one line at a time.
absl::StatusOr<MigrateReport> MigrateLedger(
    const std::string& from, const std::string& to,
    const std::function<void(const std::string&)>& note);

// The command: 0 and a summary on success; 1 and the reason when the copy
// was refused or a check failed (nothing committed unless the read-back
// check failed, which it says); 2 when either ledger cannot be reached
// (UNAVAILABLE, NOT_FOUND).
int RunLedgerMigrate(const std::string& from, const std::string& to,
                     std::ostream& out, std::ostream& err);

}  // namespace lantern::ledger

#endif  // LANTERN_SERVER_LEDGER_MIGRATE_H_
