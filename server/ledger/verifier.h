// VerifyLedger: offline check of a ledger, for auditors and for
// `lantern ledger verify PATH` — a SQLite file, or a PostgreSQL database
// given as its libpq URI (read in one read-only snapshot, so replicas may
// keep appending meanwhile).
//
// Recomputes every leaf hash from the stored record bytes and the whole
// Merkle tree from those, checks that each record's index columns agree with
// the record, that every signed tree head's signature verifies under the
// ledger's public key and that its root is the recomputed root at its size,
// that the latest head covers every record, and that every stored ruleset's
// files hash to its digest and every activated ruleset is stored (a
// rejected activation stores none).
// Problems are reported in order: records by leaf index, then tree heads by
// size, then rulesets; the first one names the first record (or tree head)
// that does not match. A record changed together with its stored leaf hash is
// caught by the first tree head covering it, which names the leaves between
// the last head that matched and itself.
//
// The public key checked against is the one stored in the file unless the
// caller passes the key it trusts: compare the printed key with a trusted
// copy, since whoever can rewrite the file can also re-sign it.
//
// Thread-safety: stateless; opens the ledger read-only.
#ifndef LANTERN_SERVER_LEDGER_VERIFIER_H_
#define LANTERN_SERVER_LEDGER_VERIFIER_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/ledger/merkle.h"

namespace lantern::ledger {

struct VerifyReport {
  uint64_t records = 0;
  uint64_t decisions = 0;
  uint64_t activations = 0;
  uint64_t access_records = 0;
  uint64_t tree_heads = 0;
  uint64_t rulesets = 0;
  Hash root{};             // recomputed over every record
  std::string public_key;  // raw, as checked against
  std::vector<std::string> problems;

  bool ok() const { return problems.empty(); }
};

// A status error only when the ledger cannot be read as one at all.
// `location`: as OpenLedgerStore takes it. `trusted_public_key`: raw 32
// bytes, or empty to use the stored key.
absl::StatusOr<VerifyReport> VerifyLedger(
    const std::string& location, const std::string& trusted_public_key = "");

// The raw 32-byte Ed25519 public key in the file at `path`: 32 raw bytes,
// 64 hex digits (as RunLedgerVerify prints it), or PEM (a PUBLIC KEY, or an
// Ed25519 PRIVATE KEY such as the ledger's key file, whose public half is
// taken). NOT_FOUND when unreadable, INVALID_ARGUMENT otherwise.
absl::StatusOr<std::string> ReadTrustedPublicKey(const std::string& path);

// `lantern ledger verify PATH [--trusted_key=KEY]`: 0 and a summary when
// everything matches; 1 and every problem, the first naming the first
// record or tree head that does not match; 2 when the file cannot be read
// as a ledger or the trusted key cannot be read. With `trusted_key_path`,
// every tree head must verify under that key rather than the key stored
// in the file.
int RunLedgerVerify(const std::string& path, std::ostream& out,
                    std::ostream& err,
                    const std::string& trusted_key_path = "");

}  // namespace lantern::ledger

#endif  // LANTERN_SERVER_LEDGER_VERIFIER_H_
