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
// MerkleTree keeps the hash of every complete, aligned subtree (2n hashes for
// n leaves), so the root of any prefix, and any proof within it, costs
// O(log² n) hashes.
//
// Thread-safety: the free functions are stateless. MerkleTree is not
// synchronised: concurrent const calls are safe, a mutation needs exclusive
// access.
#ifndef LANTERN_SERVER_LEDGER_MERKLE_H_
#define LANTERN_SERVER_LEDGER_MERKLE_H_

#include <array>
#include <cstdint>
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
  // MTH of leaves [start, start + count). REQUIRES: count > 0.
  Hash SubtreeHash(uint64_t start, uint64_t count) const;
  void Path(uint64_t index, uint64_t start, uint64_t count,
            std::vector<Hash>& out) const;
  void SubProof(uint64_t first, uint64_t start, uint64_t count,
                bool whole_subtree, std::vector<Hash>& out) const;

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
