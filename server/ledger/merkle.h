// Merkle tree hashing, proofs and proof verification as in RFC 6962 §2.1.
//
// Leaf hash: SHA-256(0x00 || leaf bytes). Interior node: SHA-256(0x01 ||
// left || right). A tree of n > 1 leaves splits at k, the largest power of
// two below n: MTH(D[0:n]) = Node(MTH(D[0:k]), MTH(D[k:n])). The empty
// tree's root is SHA-256 of nothing. Inclusion proofs are RFC 6962 PATH
// (leaf's sibling first), consistency proofs SUBPROOF; the verifiers are
// the iterative algorithms of RFC 9162 §2.1.3.2 and §2.1.4.2, which accept
// exactly the proofs the generators produce.
//
// Nodes: node (level, index) is the hash of the complete, aligned subtree of
// leaves [index·2^level, (index+1)·2^level); level 0 is a leaf hash. Every
// root and proof is made of O(log n) such nodes, so a tree whose nodes are
// kept in a store (the ledger's) answers them in O(log n) reads, through a
// NodeReader (InclusionProofFrom, ConsistencyProofFrom, RootFrom).
// CompactRange keeps only a tree's right frontier (one node per set bit of
// its size): enough to append leaves, name the nodes each append completes,
// and give the root, in O(log n) memory.
//
// MerkleTree keeps the hash of every complete, aligned subtree (2n hashes for
// n leaves) in memory, so the root of any prefix, and any proof within it,
// costs O(log n) node look-ups; the verifier uses it to recompute a whole
// ledger from its leaves.
//
// Thread-safety: the free functions are stateless. MerkleTree is not
// synchronised: concurrent const calls are safe, a mutation needs exclusive
// access.
#ifndef LANTERN_SERVER_LEDGER_MERKLE_H_
#define LANTERN_SERVER_LEDGER_MERKLE_H_

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace lantern::ledger {

using Hash = std::array<uint8_t, 32>;

Hash Sha256(absl::string_view bytes);
Hash LeafHash(absl::string_view leaf);
Hash NodeHash(const Hash& left, const Hash& right);

std::string HashToHex(const Hash& hash);
// The 32 bytes of `bytes`; INVALID_ARGUMENT when it is not 32 bytes long.
absl::StatusOr<Hash> HashFromBytes(absl::string_view bytes);
inline absl::string_view HashBytes(const Hash& hash) {
  return absl::string_view(reinterpret_cast<const char*>(hash.data()),
                           hash.size());
}

struct NodeId {
  int level = 0;
  uint64_t index = 0;
  bool operator==(const NodeId& o) const {
    return level == o.level && index == o.index;
  }
};

// Reads the hashes of `ids`, in order; an error (e.g. NOT_FOUND, DATA_LOSS)
// is returned as is by whoever asked.
using NodeReader = std::function<absl::StatusOr<std::vector<Hash>>(
    const std::vector<NodeId>& ids)>;

// The nodes whose hashes, folded right to left, give MTH(D[0:tree_size]):
// the right frontier of that tree, highest level (leftmost) first.
std::vector<NodeId> FrontierNodes(uint64_t tree_size);

// The root of the first `tree_size` leaves (SHA-256("") for 0), from
// O(log n) nodes read in one call.
absl::StatusOr<Hash> RootFrom(const NodeReader& read, uint64_t tree_size);
// The same proofs as MerkleTree's, from O(log n) nodes read in one call.
// INVALID_ARGUMENT unless index < tree_size (resp. 0 < first <= second);
// the caller checks the sizes exist.
absl::StatusOr<std::vector<Hash>> InclusionProofFrom(const NodeReader& read,
                                                     uint64_t index,
                                                     uint64_t tree_size);
absl::StatusOr<std::vector<Hash>> ConsistencyProofFrom(const NodeReader& read,
                                                       uint64_t first,
                                                       uint64_t second);

// A tree's right frontier. Not synchronised.
class CompactRange {
 public:
  struct Node {
    NodeId id;
    Hash hash;
  };

  CompactRange() = default;
  // The tree of `tree_size` leaves whose FrontierNodes(tree_size) have
  // `hashes`. INVALID_ARGUMENT when the count differs.
  static absl::StatusOr<CompactRange> FromFrontier(uint64_t tree_size,
                                                   std::vector<Hash> hashes);

  uint64_t size() const { return size_; }
  // Appends a leaf; adds to `completed` (may be null) every node above
  // level 0 this completes, lowest first.
  void Append(const Hash& leaf_hash, std::vector<Node>* completed);
  Hash Root() const;

 private:
  uint64_t size_ = 0;
  std::vector<Hash> frontier_;  // FrontierNodes(size_)'s hashes
};

class MerkleTree {
 public:
  MerkleTree() = default;

  uint64_t size() const { return levels_.empty() ? 0 : levels_[0].size(); }
  const Hash& leaf_hash(uint64_t index) const { return levels_[0][index]; }

  void AppendLeafHash(const Hash& leaf_hash);
  // Drops leaves from `size` on (undoes appends that were not committed).
  // REQUIRES: size <= this->size().
  void Truncate(uint64_t size);

  // The root of the first `tree_size` leaves.
  // REQUIRES: tree_size <= size().
  Hash Root(uint64_t tree_size) const;
  Hash Root() const { return Root(size()); }

  // Audit path of leaf `index` in the tree of the first `tree_size` leaves.
  // INVALID_ARGUMENT unless index < tree_size <= size().
  absl::StatusOr<std::vector<Hash>> InclusionProof(uint64_t index,
                                                   uint64_t tree_size) const;
  // Proof that the tree of `first` leaves is a prefix of the tree of
  // `second`. INVALID_ARGUMENT unless 0 < first <= second <= size(); empty
  // when first == second.
  absl::StatusOr<std::vector<Hash>> ConsistencyProof(uint64_t first,
                                                     uint64_t second) const;

 private:
  // Reads this tree's nodes.
  NodeReader Reader() const;

  // levels_[k][i]: hash of leaves [i·2^k, (i+1)·2^k).
  std::vector<std::vector<Hash>> levels_;
};

// The largest power of two strictly below n. REQUIRES: n > 1.
uint64_t SplitPoint(uint64_t n);

// True when `proof` shows leaf `index` with hash `leaf_hash` is in the tree of
// `tree_size` leaves whose root is `root`.
bool VerifyInclusion(uint64_t index, uint64_t tree_size, const Hash& leaf_hash,
                     const std::vector<Hash>& proof, const Hash& root);

// True when `proof` shows the tree of `first` leaves (root `first_root`) is a
// prefix of the tree of `second` leaves (root `second_root`). A tree of 0
// leaves is a prefix of every tree, with an empty proof.
bool VerifyConsistency(uint64_t first, uint64_t second, const Hash& first_root,
                       const Hash& second_root, const std::vector<Hash>& proof);

}  // namespace lantern::ledger

#endif  // LANTERN_SERVER_LEDGER_MERKLE_H_
