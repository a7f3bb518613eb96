// Copying a ledger into an empty one (see migrate.h): records stream from the
// source into one transaction on the target, extending a CompactRange whose
// completed nodes are written in chunks; heads follow, each checked against
// the copy's stored nodes before it is written.
#include "server/ledger/migrate.h"

#include <ostream>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "server/ledger/ledger_store.h"
#include "server/ledger/stored_tree.h"

namespace lantern::ledger {
namespace {

constexpr size_t kNodeChunk = 20000;
constexpr uint64_t kNoteEvery = 100000;

// The target must hold nothing a ledger writes.
absl::Status CheckEmpty(LedgerStore& target, const std::string& where) {
  absl::StatusOr<std::optional<SignedTreeHead>> head = target.LatestTreeHead();
  if (!head.ok()) return head.status();
  absl::StatusOr<std::optional<StoredRecord>> first = target.RecordAt(0);
  if (!first.ok()) return first.status();
  absl::StatusOr<std::string> key = target.Meta("public_key");
  if (!key.ok()) return key.status();
  if (head->has_value() || first->has_value() || !key->empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat(where, " is not an empty ledger (it has ",
                     head->has_value()    ? "tree heads"
                     : first->has_value() ? "records"
                                          : "a key",
                     "): refusing to migrate into it"));
  }
  return absl::OkStatus();
}

// In the target's open transaction: everything but the commit.
absl::StatusOr<MigrateReport> Copy(
    LedgerStore& source, LedgerStore& target, const std::string& from,
    const std::string& to,
    const std::function<void(const std::string&)>& note) {
  if (absl::Status s = CheckEmpty(target, to); !s.ok()) return s;
  absl::StatusOr<std::string> key = source.Meta("public_key");
  if (!key.ok()) return key.status();
  absl::StatusOr<std::optional<SignedTreeHead>> latest =
      source.LatestTreeHead();
  if (!latest.ok()) return latest.status();
  if (key->empty() || !latest->has_value()) {
    return absl::FailedPreconditionError(absl::StrCat(
        from, " has no signing key or no tree head: not a ledger the ",
        "service has opened"));
  }
  MigrateReport report;
  report.latest = **latest;
  const uint64_t size = report.latest.head.tree_size;
  if (!VerifyTreeHead(report.latest, *key)) {
    return absl::DataLossError(
        absl::StrCat(from, ": the latest tree head (size ", size,
                     ") does not verify under the stored key; run `lantern ",
                     "ledger verify ", from, "`"));
  }
  if (absl::Status s = target.SetMeta("public_key", *key); !s.ok()) return s;

  absl::Status s = source.ForEachRuleSet(
      [&](const std::string& digest, const std::string& blob) {
        ++report.rulesets;
        return target.InsertRuleSet(digest, blob);
      });
  if (!s.ok()) return s;

  CompactRange tree;
  std::vector<CompactRange::Node> nodes;
  s = source.ForEachRecord([&](const StoredRecord& row) -> absl::Status {
    if (row.leaf_index != tree.size()) {
      return absl::DataLossError(absl::StrCat(from, ": record ", row.leaf_index,
                                              " is out of place (", tree.size(),
                                              " expected)"));
    }
    if (row.leaf_index >= size) {
      return absl::DataLossError(
          absl::StrCat(from, ": record ", row.leaf_index,
                       " lies beyond the latest tree head (size ", size, ")"));
    }
    const Hash hash = LeafHash(row.record);
    if (HashBytes(hash) != row.leaf_hash) {
      return absl::DataLossError(absl::StrCat(
          from, ": record ", row.leaf_index,
          "'s leaf hash is not the hash of its bytes; run `lantern ledger ",
          "verify ", from, "`"));
    }
    if (absl::Status w = target.InsertRecord(row); !w.ok()) return w;
    tree.Append(hash, &nodes);
    if (nodes.size() >= kNodeChunk) {
      if (absl::Status w = target.InsertTreeNodes(nodes); !w.ok()) return w;
      nodes.clear();
    }
    if (note && tree.size() % kNoteEvery == 0) {
      note(absl::StrCat(tree.size(), " of ", size, " records copied"));
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  if (tree.size() != size) {
    return absl::DataLossError(absl::StrCat(from, ": the latest tree head ",
                                            "covers ", size, " records, but ",
                                            tree.size(), " are stored"));
  }
  if (s = target.InsertTreeNodes(nodes); !s.ok()) return s;
  if (s = SetStoredTreeNodesSize(target, size); !s.ok()) return s;
  report.records = size;
  if (tree.Root() != report.latest.head.root) {
    return absl::DataLossError(absl::StrCat(
        from, ": the latest tree head's root is not the root of the records"));
  }

  // Every head: signed by the key, its root the copy's, and the latest
  // head extends it by a proof made from the copy's nodes.
  const NodeReader nodes_of_copy = StoredNodeReader(target, to);
  s = source.ForEachTreeHead([&](const SignedTreeHead& sth) -> absl::Status {
    const uint64_t n = sth.head.tree_size;
    if (n > size || !VerifyTreeHead(sth, *key)) {
      return absl::DataLossError(
          absl::StrCat(from, ": tree head of size ", n,
                       " is beyond the records or not signed by the key"));
    }
    absl::StatusOr<Hash> root = RootFrom(nodes_of_copy, n);
    if (!root.ok()) return root.status();
    bool consistent = *root == sth.head.root;
    if (consistent && n > 0) {
      absl::StatusOr<std::vector<Hash>> proof =
          ConsistencyProofFrom(nodes_of_copy, n, size);
      if (!proof.ok()) return proof.status();
      consistent = VerifyConsistency(n, size, sth.head.root,
                                     report.latest.head.root, *proof);
    }
    if (!consistent) {
      return absl::DataLossError(absl::StrCat(
          from, ": tree head of size ", n,
          " is not consistent with the copied records and the latest head"));
    }
    ++report.tree_heads;
    return target.InsertTreeHead(sth);
  });
  if (!s.ok()) return s;
  return report;
}

// After the commit, from a fresh connection: the copy's latest head is the
// source's and the source's is consistent with it.
absl::Status CheckCopy(const MigrateReport& report, const std::string& to) {
  absl::StatusOr<std::unique_ptr<LedgerStore>> copy =
      OpenLedgerStore(to, StoreAccess::kVerify);
  if (!copy.ok()) return copy.status();
  absl::StatusOr<std::optional<SignedTreeHead>> head =
      (*copy)->LatestTreeHead();
  if (!head.ok()) return head.status();
  const SignedTreeHead& old_head = report.latest;
  if (!head->has_value() || (*head)->head.tree_size < old_head.head.tree_size) {
    return absl::DataLossError(absl::StrCat(LocationForDisplay(to),
                                            ": the copy has no head as ",
                                            "large as the source's latest"));
  }
  const SignedTreeHead& new_head = **head;
  const NodeReader nodes = StoredNodeReader(**copy, LocationForDisplay(to));
  absl::StatusOr<Hash> old_root = RootFrom(nodes, old_head.head.tree_size);
  if (!old_root.ok()) return old_root.status();
  bool consistent = *old_root == old_head.head.root;
  if (consistent && old_head.head.tree_size > 0) {
    absl::StatusOr<std::vector<Hash>> proof = ConsistencyProofFrom(
        nodes, old_head.head.tree_size, new_head.head.tree_size);
    if (!proof.ok()) return proof.status();
    consistent =
        VerifyConsistency(old_head.head.tree_size, new_head.head.tree_size,
                          old_head.head.root, new_head.head.root, *proof);
  }
  if (!consistent) {
    return absl::DataLossError(absl::StrCat(
        LocationForDisplay(to),
        ": the copy's latest head is not consistent with the source's"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<MigrateReport> MigrateLedger(
    const std::string& from, const std::string& to,
    const std::function<void(const std::string&)>& note) {
  const std::string from_shown = LocationForDisplay(from);
  const std::string to_shown = LocationForDisplay(to);
  absl::StatusOr<std::unique_ptr<LedgerStore>> source =
      OpenLedgerStore(from, StoreAccess::kVerify);
  if (!source.ok()) return source.status();
  absl::StatusOr<std::unique_ptr<LedgerStore>> target =
      OpenLedgerStore(to, StoreAccess::kWrite);
  if (!target.ok()) return target.status();
  if (absl::Status s = (*target)->Begin(); !s.ok()) return s;
  absl::StatusOr<MigrateReport> report =
      Copy(**source, **target, from_shown, to_shown, note);
  if (!report.ok()) {
    (void)(*target)->Rollback();
    return report.status();
  }
  if (absl::Status s = (*target)->Commit(); !s.ok()) return s;
  if (absl::Status s = CheckCopy(*report, to); !s.ok()) {
    return absl::DataLossError(absl::StrCat(
        "the copy was committed, but reading it back failed: ", s.message()));
  }
  return report;
}

int RunLedgerMigrate(const std::string& from, const std::string& to,
                     std::ostream& out, std::ostream& err) {
  absl::StatusOr<MigrateReport> report =
      MigrateLedger(from, to, [&err](const std::string& line) {
        err << "lantern ledger migrate: " << line << "\n";
      });
  if (!report.ok()) {
    err << "lantern ledger migrate: " << report.status().message() << "\n";
    const absl::StatusCode code = report.status().code();
    return code == absl::StatusCode::kUnavailable ||
                   code == absl::StatusCode::kNotFound
               ? 2
               : 1;
  }
  out << "ok: " << report->records << " records, " << report->tree_heads
      << " signed tree heads, " << report->rulesets << " rulesets copied from "
      << LocationForDisplay(from) << " to " << LocationForDisplay(to) << "\n"
      << "latest head: size " << report->latest.head.tree_size << ", root "
      << HashToHex(report->latest.head.root) << "\n"
      << "every head's root recomputed from the copied leaves; the latest "
         "head is consistent with every earlier one (proofs from the copy's "
         "stored tree, checked)\n";
  return 0;
}

}  // namespace lantern::ledger
