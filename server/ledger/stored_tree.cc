// The stored Merkle tree (see stored_tree.h).
#include "server/ledger/stored_tree.h"

#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace lantern::ledger {
namespace {

constexpr char kTreeNodesKey[] = "tree_nodes";
// Nodes buffered before they are written, while completing a tree.
constexpr size_t kNodeBuffer = 20000;
constexpr uint64_t kProgressEvery = 1000000;

}  // namespace

NodeReader StoredNodeReader(LedgerStore& store, const std::string& where) {
  return [&store, where](const std::vector<NodeId>& ids)
             -> absl::StatusOr<std::vector<Hash>> {
    absl::StatusOr<std::vector<Hash>> hashes = store.TreeNodes(ids);
    if (absl::IsNotFound(hashes.status())) {
      return absl::DataLossError(absl::StrCat(
          where, ": a Merkle tree node is missing (", hashes.status().message(),
          "); run `lantern ledger ", "verify ", where, "`"));
    }
    return hashes;
  };
}

absl::StatusOr<uint64_t> StoredTreeNodesSize(LedgerStore& store,
                                             const std::string& where) {
  absl::StatusOr<std::string> value = store.Meta(kTreeNodesKey);
  if (!value.ok()) return value.status();
  if (value->empty()) return 0;
  uint64_t size = 0;
  if (!absl::SimpleAtoi(*value, &size)) {
    return absl::DataLossError(absl::StrCat(
        where, ": meta tree_nodes is not a tree size: '", *value, "'"));
  }
  return size;
}

absl::Status SetStoredTreeNodesSize(LedgerStore& store, uint64_t tree_size) {
  return store.SetMeta(kTreeNodesKey, absl::StrCat(tree_size));
}

absl::StatusOr<CompactRange> ReadCompactRange(LedgerStore& store,
                                              uint64_t tree_size,
                                              const std::string& where) {
  const std::vector<NodeId> ids = FrontierNodes(tree_size);
  std::vector<Hash> hashes;
  if (!ids.empty()) {
    absl::StatusOr<std::vector<Hash>> read =
        StoredNodeReader(store, where)(ids);
    if (!read.ok()) return read.status();
    hashes = *std::move(read);
  }
  return CompactRange::FromFrontier(tree_size, std::move(hashes));
}

absl::StatusOr<CompactRange> CompleteStoredTree(
    LedgerStore& store, uint64_t from, uint64_t to, const std::string& where,
    const std::function<void(uint64_t done)>& progress) {
  absl::StatusOr<CompactRange> range = ReadCompactRange(store, from, where);
  if (!range.ok()) return range.status();
  std::vector<CompactRange::Node> nodes;
  const absl::Status past_end = absl::CancelledError("past the end");
  absl::Status s = store.ForEachLeafHash(
      from, [&](uint64_t leaf_index, const std::string& leaf_hash) {
        if (leaf_index >= to) return past_end;
        absl::StatusOr<Hash> hash = HashFromBytes(leaf_hash);
        if (leaf_index != range->size() || !hash.ok()) {
          return absl::DataLossError(absl::StrCat(
              where, ": record ", leaf_index, " is damaged or out of place; ",
              "run `lantern ledger verify ", where, "`"));
        }
        range->Append(*hash, &nodes);
        if (nodes.size() >= kNodeBuffer) {
          if (absl::Status w = store.InsertTreeNodes(nodes); !w.ok()) return w;
          nodes.clear();
        }
        if (progress && (leaf_index + 1) % kProgressEvery == 0) {
          progress(leaf_index + 1);
        }
        return absl::OkStatus();
      });
  if (s == past_end) s = absl::OkStatus();
  if (!s.ok()) return s;
  if (range->size() != to) {
    return absl::DataLossError(absl::StrCat(where, ": the tree has ", to,
                                            " leaves, but ", range->size(),
                                            " records are stored"));
  }
  if (absl::Status w = store.InsertTreeNodes(nodes); !w.ok()) return w;
  if (absl::Status w = SetStoredTreeNodesSize(store, to); !w.ok()) return w;
  return range;
}

}  // namespace lantern::ledger
