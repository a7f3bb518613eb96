// Writes a ledger of N synthetic records straight through its LedgerStore
// (not the RPC): canonical AccessRecord leaves (~150 bytes each, kind 3),
// their Merkle tree nodes, and a signed tree head per transaction — a ledger
// `lantern serve`, `lantern ledger verify` and ledger_open read like any
// other. For the scale benchmark in bench/README.md.
//
//   ledger_generate --ledger PATH|postgresql://... --records N
//                   [--key KEY.pem] [--batch 50000] [--without_nodes]
//
// --without_nodes writes what a ledger from before the tree nodes holds
// (records and heads only). The ledger must be empty. Progress on stderr.
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "lantern/v1/ledger.pb.h"
#include "server/ledger/ledger_store.h"
#include "server/ledger/record_codec.h"
#include "server/ledger/stored_tree.h"
#include "server/ledger/tree_head.h"

ABSL_FLAG(std::string, ledger, "", "the ledger to create");
ABSL_FLAG(std::string, key, "", "signing key (default: LEDGER.key)");
ABSL_FLAG(int64_t, records, 1000000, "records to write");
ABSL_FLAG(int64_t, batch, 50000, "records per transaction (and head)");
ABSL_FLAG(bool, without_nodes, false, "write no tree nodes (an older ledger)");

namespace {

using lantern::ledger::CompactRange;
using lantern::ledger::LedgerStore;

int Fail(const absl::Status& s) {
  std::fprintf(stderr, "ledger_generate: %s\n", s.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::string location = absl::GetFlag(FLAGS_ledger);
  const int64_t records = absl::GetFlag(FLAGS_records);
  const int64_t batch = std::max<int64_t>(1, absl::GetFlag(FLAGS_batch));
  const bool nodes_kept = !absl::GetFlag(FLAGS_without_nodes);
  std::string key_path = absl::GetFlag(FLAGS_key);
  if (location.empty() || records < 0) {
    std::fprintf(stderr, "usage: ledger_generate --ledger L --records N\n");
    return 2;
  }
  if (key_path.empty()) key_path = location + ".key";
  auto signer = lantern::ledger::TreeHeadSigner::LoadOrCreate(key_path);
  if (!signer.ok()) return Fail(signer.status());
  auto store = lantern::ledger::OpenLedgerStore(
      location, lantern::ledger::StoreAccess::kWrite);
  if (!store.ok()) return Fail(store.status());
  LedgerStore& db = **store;
  auto head = db.LatestTreeHead();
  if (!head.ok()) return Fail(head.status());
  if (head->has_value()) {
    return Fail(absl::FailedPreconditionError("the ledger is not empty"));
  }
  const auto started = std::chrono::steady_clock::now();
  const int64_t t0 = 1767225600LL * 1000000;  // 2026-01-01T00:00:00Z
  CompactRange tree;
  std::vector<CompactRange::Node> nodes;
  lantern::v1::LedgerRecord leaf;
  lantern::v1::AccessRecord& access = *leaf.mutable_access();
  access.set_principal("CN=bench-auditor");
  access.set_method("/lantern.v1.Audit/GetDecision");
  access.add_roles("auditor");
  int64_t written = 0;
  while (true) {
    if (absl::Status s = db.Begin(); !s.ok()) return Fail(s);
    if (written == 0) {
      if (absl::Status s = db.SetMeta("public_key", (*signer)->public_key());
          !s.ok()) {
        return Fail(s);
      }
      if (absl::Status s = db.InsertTreeHead(
              (*signer)->Sign({0, tree.Root(), absl::FromUnixMicros(t0)}));
          !s.ok()) {
        return Fail(s);
      }
    }
    const int64_t end = std::min(records, written + batch);
    for (; written < end; ++written) {
      const int64_t micros = t0 + written * 1000;
      access.mutable_accessed_at()->set_seconds(micros / 1000000);
      access.mutable_accessed_at()->set_nanos((micros % 1000000) * 1000);
      access.set_subject(absl::StrCat("decision_id=d-", written));
      lantern::ledger::StoredRecord row;
      row.leaf_index = static_cast<uint64_t>(written);
      row.kind = lantern::ledger::RecordKind::kAccess;
      row.time_micros = micros;
      row.record = lantern::ledger::EncodeCanonical(leaf);
      const lantern::ledger::Hash hash = lantern::ledger::LeafHash(row.record);
      row.leaf_hash = std::string(lantern::ledger::HashBytes(hash));
      if (absl::Status s = db.InsertRecord(row); !s.ok()) return Fail(s);
      tree.Append(hash, nodes_kept ? &nodes : nullptr);
    }
    if (nodes_kept) {
      if (absl::Status s = db.InsertTreeNodes(nodes); !s.ok()) return Fail(s);
      nodes.clear();
      if (absl::Status s =
              lantern::ledger::SetStoredTreeNodesSize(db, tree.size());
          !s.ok()) {
        return Fail(s);
      }
    }
    if (written > 0) {
      if (absl::Status s = db.InsertTreeHead(
              (*signer)->Sign({tree.size(), tree.Root(),
                               absl::FromUnixMicros(t0 + written * 1000)}));
          !s.ok()) {
        return Fail(s);
      }
    }
    if (absl::Status s = db.Commit(); !s.ok()) return Fail(s);
    const double seconds = std::chrono::duration<double>(
                               std::chrono::steady_clock::now() - started)
                               .count();
    std::fprintf(stderr, "%lld records, %.1f s\n",
                 static_cast<long long>(written), seconds);
    if (written >= records) break;
  }
  std::printf("wrote %lld records to %s, root %s\n",
              static_cast<long long>(written),
              lantern::ledger::LocationForDisplay(location).c_str(),
              lantern::ledger::HashToHex(tree.Root()).c_str());
  return 0;
}
