// The ledger's Merkle tree as kept in its LedgerStore (ledger_store.h, "tree
// nodes"): what the Ledger and `lantern ledger migrate` read and write so that
// neither holds more than a tree's right frontier in memory.
//
// Meta "tree_nodes" holds the tree size the stored nodes are complete for:
// every node of a tree of that size is stored. It is written in the
// transaction that writes the nodes; absent means 0 (a ledger written before
// nodes were kept).
//
// Thread-safety: as the store passed in (one thread at a time).
#ifndef LANTERN_SERVER_LEDGER_STORED_TREE_H_
#define LANTERN_SERVER_LEDGER_STORED_TREE_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "server/ledger/ledger_store.h"
#include "server/ledger/merkle.h"

namespace lantern::ledger {

// Reads nodes through store.TreeNodes; a node absent or damaged is
// DATA_LOSS naming `where` (the ledger's location for messages).
// REQUIRES: `store` outlives the reader.
NodeReader StoredNodeReader(LedgerStore& store, const std::string& where);

// The tree size whose nodes are all stored (meta "tree_nodes"; 0 when
// absent). DATA_LOSS when the value is not a number.
absl::StatusOr<uint64_t> StoredTreeNodesSize(LedgerStore& store,
                                             const std::string& where);
// Records that every node of a tree of `tree_size` leaves is stored.
// REQUIRES: a write transaction is open.
absl::Status SetStoredTreeNodesSize(LedgerStore& store, uint64_t tree_size);

// The right frontier of the stored tree of `tree_size` leaves, in
// O(log tree_size) reads. REQUIRES: its nodes are stored.
absl::StatusOr<CompactRange> ReadCompactRange(LedgerStore& store,
                                              uint64_t tree_size,
                                              const std::string& where);

// Stores the nodes that leaves [from, to) complete, reading only their leaf
// hashes (in order: a leaf out of place is DATA_LOSS), and records `to` as
// the complete size; returns the frontier at `to`. Memory O(log to) beside
// a bounded buffer of nodes. `progress` (may be null) is called every
// 1,000,000 leaves with the leaves done.
// REQUIRES: a write transaction is open; every node of a tree of `from`
// leaves is stored.
absl::StatusOr<CompactRange> CompleteStoredTree(
    LedgerStore& store, uint64_t from, uint64_t to, const std::string& where,
    const std::function<void(uint64_t done)>& progress);

}  // namespace lantern::ledger

#endif  // LANTERN_SERVER_LEDGER_STORED_TREE_H_
