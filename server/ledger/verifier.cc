// VerifyLedger (see verifier.h): three passes over the read-only file —
// records (rebuilding the tree from recomputed leaf hashes), tree heads
// against that tree, rulesets against their digests.
#include "server/ledger/verifier.h"

#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/ruleset/ruleset_digest.h"
#include "server/ledger/ledger_store.h"
#include "server/ledger/record_codec.h"
#include "server/ledger/stored_tree.h"
#include "server/ledger/tree_head.h"

namespace lantern::ledger {
namespace {

// Stored tree nodes compared at a time.
constexpr size_t kNodeCheckChunk = 10000;

struct Context {
  LedgerStore* store;
  VerifyReport report;
  MerkleTree tree;  // from recomputed leaf hashes
  std::set<std::string> activated_digests;
  // The stored tree nodes (what proofs are made of) are checked against the
  // recomputed ones for the leaves they are complete for.
  uint64_t nodes_complete_for = 0;
  CompactRange range;
  std::vector<CompactRange::Node> nodes_to_check;
  // The first node that differs, reported after the records and heads (a
  // record altered makes its nodes differ too: the record is named first).
  std::string node_problem;
  std::set<std::string> referenced_digests;  // by compact decisions
};

// Compares the recomputed nodes waiting in `c` with the stored ones.
void CheckNodes(Context& c) {
  if (c.nodes_to_check.empty() || !c.node_problem.empty()) return;
  std::vector<NodeId> ids;
  ids.reserve(c.nodes_to_check.size());
  for (const CompactRange::Node& node : c.nodes_to_check) {
    ids.push_back(node.id);
  }
  absl::StatusOr<std::vector<Hash>> stored = c.store->TreeNodes(ids);
  if (!stored.ok()) {
    c.node_problem = absl::StrCat("tree nodes: ", stored.status().message());
  } else {
    for (size_t i = 0; i < ids.size(); ++i) {
      if ((*stored)[i] != c.nodes_to_check[i].hash) {
        c.node_problem = absl::StrCat(
            "tree node (", ids[i].level, ", ", ids[i].index,
            ") is not the hash of its leaves (proofs using it are wrong)");
        break;
      }
    }
  }
  c.nodes_to_check.clear();
}

std::string Name(const StoredRecord& row) {
  if (row.kind == RecordKind::kDecision && !row.decision_id.empty()) {
    return absl::StrCat("record ", row.leaf_index, " (decision ",
                        row.decision_id, ")");
  }
  return absl::StrCat("record ", row.leaf_index);
}

// The index columns must say what the record says.
std::string ColumnMismatch(const StoredRecord& row,
                           const v1::LedgerRecord& record) {
  if (record.has_decision()) {
    const v1::DecisionRecord& d = record.decision();
    if (row.kind != RecordKind::kDecision) return "kind";
    if (row.decision_id != d.decision_id()) return "decision_id";
    if (row.client_request_id != d.client_request_id()) {
      return "client_request_id";
    }
    const int64_t t =
        d.received_at().seconds() * 1000000 + d.received_at().nanos() / 1000;
    if (row.time_micros != t) return "time";
    return "";
  }
  if (record.has_activation()) {
    if (row.kind != RecordKind::kActivation) return "kind";
    if (!row.decision_id.empty() || !row.client_request_id.empty()) {
      return "decision_id";
    }
    return "";
  }
  if (record.has_access()) {
    const v1::AccessRecord& a = record.access();
    if (row.kind != RecordKind::kAccess) return "kind";
    if (!row.decision_id.empty() || !row.client_request_id.empty()) {
      return "decision_id";
    }
    const int64_t t =
        a.accessed_at().seconds() * 1000000 + a.accessed_at().nanos() / 1000;
    if (row.time_micros != t) return "time";
    return "";
  }
  return "kind";
}

// A decision's answer in the form its `format` says (ledger.proto): 0, 1
// and 4 inline, 2 and 3 compact (a whole zlib stream of an Assessment,
// whose ruleset must be stored: its strings are referenced).
void CheckDecisionFormat(Context& c, const StoredRecord& row,
                         const v1::DecisionRecord& d) {
  VerifyReport& r = c.report;
  switch (d.format()) {
    case 0:
    case 1:
    case 4:
      return;
    case 2:
    case 3: {
      absl::StatusOr<std::string> bytes = Inflate(d.compact_assessment());
      v1::Assessment answer;
      if (!bytes.ok() || !answer.ParseFromString(*bytes)) {
        r.problems.push_back(
            absl::StrCat(Name(row),
                         ": its compact assessment does not inflate to an "
                         "Assessment"));
      }
      if (d.has_assessment()) {
        r.problems.push_back(absl::StrCat(
            Name(row), ": a compact record with an inline assessment"));
      }
      c.referenced_digests.insert(d.ruleset_digest());
      return;
    }
    default:
      r.problems.push_back(absl::StrCat(Name(row), ": record format ",
                                        d.format(),
                                        " is not one this build reads"));
  }
}

absl::Status CheckRecord(Context& c, const StoredRecord& row) {
  VerifyReport& r = c.report;
  if (row.leaf_index != c.tree.size()) {
    r.problems.push_back(absl::StrCat("record ", c.tree.size(),
                                      " is missing (next stored is ",
                                      row.leaf_index, ")"));
    return absl::DataLossError("records out of sequence");
  }
  const Hash leaf = LeafHash(row.record);
  c.tree.AppendLeafHash(leaf);
  ++r.records;
  if (row.leaf_index < c.nodes_complete_for) {
    c.range.Append(leaf, &c.nodes_to_check);
    if (c.nodes_to_check.size() >= kNodeCheckChunk) CheckNodes(c);
  }
  if (row.leaf_hash != HashBytes(leaf)) {
    r.problems.push_back(absl::StrCat(
        Name(row), ": its bytes do not match its stored leaf hash"));
    return absl::OkStatus();
  }
  absl::StatusOr<v1::LedgerRecord> record = DecodeRecord(row.record);
  if (!record.ok()) {
    r.problems.push_back(absl::StrCat(Name(row), ": not a ledger record"));
    return absl::OkStatus();
  }
  if (std::string column = ColumnMismatch(row, *record); !column.empty()) {
    r.problems.push_back(absl::StrCat(Name(row), ": its ", column,
                                      " column differs from the record"));
  }
  if (record->has_decision()) {
    ++r.decisions;
    CheckDecisionFormat(c, row, record->decision());
  }
  if (record->has_access()) {
    ++r.access_records;
    if (record->access().method().empty() ||
        !record->access().has_accessed_at()) {
      r.problems.push_back(absl::StrCat(
          Name(row), ": an access record without its method or time"));
    }
  }
  if (record->has_activation()) {
    ++r.activations;
    if (record->activation().outcome() != v1::ActivationRecord::REJECTED) {
      c.activated_digests.insert(record->activation().ruleset_digest());
    }
  }
  return absl::OkStatus();
}

void CheckTreeHeads(Context& c) {
  VerifyReport& r = c.report;
  uint64_t last_good = 0;
  uint64_t latest = 0;
  absl::Status s = c.store->ForEachTreeHead([&](const SignedTreeHead& sth) {
    ++r.tree_heads;
    const uint64_t n = sth.head.tree_size;
    latest = n;
    const std::string name =
        absl::StrCat("tree head at size ", n, " (",
                     absl::FormatTime(sth.head.timestamp), ")");
    if (!VerifyTreeHead(sth, r.public_key)) {
      r.problems.push_back(absl::StrCat(name, ": signature does not verify"));
    } else if (n > c.tree.size()) {
      r.problems.push_back(absl::StrCat(name, ": covers more records than the ",
                                        c.tree.size(), " stored"));
    } else if (sth.head.root != c.tree.Root(n)) {
      r.problems.push_back(absl::StrCat(
          name, ": its signed root does not match the records; one of records ",
          last_good, "..", n - 1, " was altered"));
    } else {
      last_good = n;
    }
    return absl::OkStatus();
  });
  if (!s.ok()) r.problems.push_back(absl::StrCat("tree heads: ", s.message()));
  if (r.tree_heads == 0) {
    r.problems.push_back("no signed tree head");
  } else if (latest < c.tree.size()) {
    r.problems.push_back(
        absl::StrCat("records ", latest, "..", c.tree.size() - 1,
                     " are not covered by any signed tree head"));
  }
}

void CheckRuleSets(Context& c) {
  VerifyReport& r = c.report;
  std::set<std::string> stored;
  absl::Status s = c.store->ForEachRuleSet(
      [&](const std::string& digest, const std::string& bytes) {
        ++r.rulesets;
        stored.insert(digest);
        v1::RuleSetBlob blob;
        if (!blob.ParseFromString(bytes) || blob.digest() != digest ||
            RulesetDigest(FilesOf(blob)) != digest) {
          r.problems.push_back(absl::StrCat(
              "ruleset ", digest, ": its files do not hash to its digest"));
        }
        return absl::OkStatus();
      });
  if (!s.ok()) r.problems.push_back(absl::StrCat("rulesets: ", s.message()));
  for (const std::string& digest : c.activated_digests) {
    if (stored.count(digest) == 0) {
      r.problems.push_back(
          absl::StrCat("ruleset ", digest, " was activated but is not stored"));
    }
  }
  for (const std::string& digest : c.referenced_digests) {
    if (stored.count(digest) == 0 && c.activated_digests.count(digest) == 0) {
      r.problems.push_back(absl::StrCat(
          "ruleset ", digest,
          " is referenced by compact decisions but is not stored"));
    }
  }
}

}  // namespace

absl::StatusOr<VerifyReport> VerifyLedger(
    const std::string& path, const std::string& trusted_public_key) {
  absl::StatusOr<std::unique_ptr<LedgerStore>> store =
      OpenLedgerStore(path, StoreAccess::kVerify);
  if (!store.ok()) return store.status();
  Context c{store->get()};
  absl::StatusOr<std::vector<std::string>> damaged =
      c.store->IntegrityProblems();
  if (!damaged.ok()) return damaged.status();
  for (const std::string& problem : *damaged) {
    c.report.problems.push_back(absl::StrCat("the file is damaged: ", problem));
  }
  absl::StatusOr<std::string> key = c.store->Meta("public_key");
  if (!key.ok()) return key.status();
  c.report.public_key = trusted_public_key.empty() ? *key : trusted_public_key;
  absl::StatusOr<uint64_t> nodes =
      StoredTreeNodesSize(*c.store, LocationForDisplay(path));
  if (!nodes.ok()) return nodes.status();
  c.nodes_complete_for = *nodes;  // 0: none kept yet (built at next open)
  absl::Status s = c.store->ForEachRecord(
      [&](const StoredRecord& row) { return CheckRecord(c, row); });
  if (!s.ok() && !absl::IsDataLoss(s)) return s;
  CheckNodes(c);
  if (absl::IsDataLoss(s) && absl::StartsWith(s.message(), "sqlite:")) {
    c.report.problems.push_back(absl::StrCat("records: ", s.message()));
  }
  c.report.root = c.tree.Root();
  CheckTreeHeads(c);
  CheckRuleSets(c);
  if (!c.node_problem.empty()) c.report.problems.push_back(c.node_problem);
  return std::move(c.report);
}

int RunLedgerVerify(const std::string& location, std::ostream& out,
                    std::ostream& err, const std::string& trusted_key_path) {
  const std::string path = LocationForDisplay(location);
  std::string trusted;
  if (!trusted_key_path.empty()) {
    absl::StatusOr<std::string> key = ReadTrustedPublicKey(trusted_key_path);
    if (!key.ok()) {
      err << "lantern: --trusted_key: " << key.status().message() << "\n";
      return 2;
    }
    trusted = *std::move(key);
  }
  absl::StatusOr<VerifyReport> report = VerifyLedger(location, trusted);
  if (absl::IsDataLoss(report.status())) {
    // The file is there but SQLite finds it damaged: a corruption like any
    // other the checks find.
    out << "FAIL: " << path << " is damaged: " << report.status().message()
        << "\n";
    return 1;
  }
  if (!report.ok()) {
    err << "lantern: cannot verify " << path << ": "
        << report.status().message() << "\n";
    return 2;
  }
  const VerifyReport& r = *report;
  for (const std::string& problem : r.problems) {
    out << "FAIL: " << problem << "\n";
  }
  out << (r.ok() ? "ok: " : "checked: ") << r.records << " records ("
      << r.decisions << " decisions, " << r.activations << " activations, "
      << r.access_records << " access records), " << r.tree_heads
      << " signed tree heads, " << r.rulesets << " rulesets\n"
      << "root: " << HashToHex(r.root) << " (tree size " << r.records << ")\n"
      << "public key: " << absl::BytesToHexString(r.public_key)
      << (trusted.empty() ? " (as stored in the ledger; pass --trusted_key "
                            "to check against a trusted copy)\n"
                          : " (trusted)\n");
  return r.ok() ? 0 : 1;
}

}  // namespace lantern::ledger
