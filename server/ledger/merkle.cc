// Merkle tree (see merkle.h). Entry points: MerkleTree, VerifyInclusion,
// VerifyConsistency. Proof generation follows RFC 6962's recursive PATH and
// SUBPROOF definitions literally over SubtreeHash, which answers complete
// aligned subtrees from the stored levels and splits the rest.
#include "server/ledger/merkle.h"

#include <openssl/evp.h>

#include <cstdlib>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace lantern::ledger {
namespace {

bool IsPowerOfTwo(uint64_t n) { return n != 0 && (n & (n - 1)) == 0; }

int Log2(uint64_t power_of_two) {
  int k = 0;
  while ((uint64_t{1} << k) < power_of_two) ++k;
  return k;
}

Hash Digest(absl::string_view a, absl::string_view b) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  Hash out;
  unsigned int size = 0;
  // SHA-256 over valid memory cannot fail; if it does, OpenSSL is unusable.
  if (ctx == nullptr || EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx, a.data(), a.size()) != 1 ||
      EVP_DigestUpdate(ctx, b.data(), b.size()) != 1 ||
      EVP_DigestFinal_ex(ctx, out.data(), &size) != 1 || size != out.size()) {
    std::abort();
  }
  EVP_MD_CTX_free(ctx);
  return out;
}

}  // namespace

Hash Sha256(absl::string_view bytes) { return Digest(bytes, ""); }

Hash LeafHash(absl::string_view leaf) {
  return Digest(absl::string_view("\x00", 1), leaf);
}

Hash NodeHash(const Hash& left, const Hash& right) {
  return Digest("\x01", absl::StrCat(HashBytes(left), HashBytes(right)));
}

std::string HashToHex(const Hash& hash) {
  return absl::BytesToHexString(HashBytes(hash));
}

absl::StatusOr<Hash> HashFromBytes(absl::string_view bytes) {
  if (bytes.size() != 32) {
    return absl::InvalidArgumentError(
        absl::StrCat("a hash is 32 bytes, not ", bytes.size()));
  }
  Hash hash;
  std::copy(bytes.begin(), bytes.end(), hash.begin());
  return hash;
}

uint64_t SplitPoint(uint64_t n) {
  uint64_t k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

void MerkleTree::AppendLeafHash(const Hash& leaf_hash) {
  if (levels_.empty()) levels_.emplace_back();
  levels_[0].push_back(leaf_hash);
  uint64_t index = levels_[0].size() - 1;
  for (size_t level = 0; index % 2 == 1; ++level, index /= 2) {
    if (levels_.size() == level + 1) levels_.emplace_back();
    levels_[level + 1].push_back(
        NodeHash(levels_[level][index - 1], levels_[level][index]));
  }
}

void MerkleTree::Truncate(uint64_t size) {
  for (size_t level = 0; level < levels_.size(); ++level) {
    levels_[level].resize(size >> level);
  }
  while (levels_.size() > 1 && levels_.back().empty()) levels_.pop_back();
}

Hash MerkleTree::SubtreeHash(uint64_t start, uint64_t count) const {
  if (IsPowerOfTwo(count) && start % count == 0) {
    const int level = Log2(count);
    return levels_[level][start >> level];
  }
  const uint64_t k = SplitPoint(count);
  return NodeHash(SubtreeHash(start, k), SubtreeHash(start + k, count - k));
}

Hash MerkleTree::Root(uint64_t tree_size) const {
  if (tree_size == 0) return Sha256("");
  return SubtreeHash(0, tree_size);
}

void MerkleTree::Path(uint64_t index, uint64_t start, uint64_t count,
                      std::vector<Hash>& out) const {
  if (count == 1) return;
  const uint64_t k = SplitPoint(count);
  if (index < k) {
    Path(index, start, k, out);
    out.push_back(SubtreeHash(start + k, count - k));
  } else {
    Path(index - k, start + k, count - k, out);
    out.push_back(SubtreeHash(start, k));
  }
}

void MerkleTree::SubProof(uint64_t first, uint64_t start, uint64_t count,
                          bool whole_subtree, std::vector<Hash>& out) const {
  if (first == count) {
    if (!whole_subtree) out.push_back(SubtreeHash(start, count));
    return;
  }
  const uint64_t k = SplitPoint(count);
  if (first <= k) {
    SubProof(first, start, k, whole_subtree, out);
    out.push_back(SubtreeHash(start + k, count - k));
  } else {
    SubProof(first - k, start + k, count - k, false, out);
    out.push_back(SubtreeHash(start, k));
  }
}

absl::StatusOr<std::vector<Hash>> MerkleTree::InclusionProof(
    uint64_t index, uint64_t tree_size) const {
  if (index >= tree_size || tree_size > size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("no leaf ", index, " in a tree of ", tree_size,
                     " leaves (the ledger has ", size(), ")"));
  }
  std::vector<Hash> proof;
  Path(index, 0, tree_size, proof);
  return proof;
}

absl::StatusOr<std::vector<Hash>> MerkleTree::ConsistencyProof(
    uint64_t first, uint64_t second) const {
  if (first == 0 || first > second || second > size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("no consistency proof from ", first, " to ", second,
                     " leaves (need 0 < first <= second <= ", size(), ")"));
  }
  std::vector<Hash> proof;
  if (first < second) SubProof(first, 0, second, true, proof);
  return proof;
}

namespace {

// Where a verifier stands, as RFC 9162 §2.1.3.2 tracks it: fn is the node
// the running hash stands for, sn the last node, both at the current level.
struct Position {
  uint64_t fn;
  uint64_t sn;

  // The next proof hash is a left sibling when fn is a right child or the
  // last node at its level.
  bool SiblingOnLeft() const { return (fn & 1) == 1 || fn == sn; }
  void Up() {
    fn >>= 1;
    sn >>= 1;
  }
  // After a left sibling, skip the levels where the node is the last one
  // and so had no sibling.
  void SkipRightEdge() {
    while ((fn & 1) == 0 && fn != 0) Up();
  }
};

}  // namespace

bool VerifyInclusion(uint64_t index, uint64_t tree_size, const Hash& leaf_hash,
                     const std::vector<Hash>& proof, const Hash& root) {
  if (index >= tree_size) return false;
  Position at{index, tree_size - 1};
  Hash r = leaf_hash;
  for (const Hash& p : proof) {
    if (at.sn == 0) return false;
    if (at.SiblingOnLeft()) {
      r = NodeHash(p, r);
      at.SkipRightEdge();
    } else {
      r = NodeHash(r, p);
    }
    at.Up();
  }
  return at.sn == 0 && r == root;
}

bool VerifyConsistency(uint64_t first, uint64_t second, const Hash& first_root,
                       const Hash& second_root,
                       const std::vector<Hash>& proof) {
  if (first > second) return false;
  if (first == 0) return proof.empty();
  if (first == second) return proof.empty() && first_root == second_root;
  std::vector<Hash> path = proof;
  if (IsPowerOfTwo(first)) path.insert(path.begin(), first_root);
  if (path.empty()) return false;
  Position at{first - 1, second - 1};
  while ((at.fn & 1) == 1) at.Up();
  Hash fr = path[0];
  Hash sr = path[0];
  for (size_t i = 1; i < path.size(); ++i) {
    const Hash& c = path[i];
    if (at.sn == 0) return false;
    if (at.SiblingOnLeft()) {
      fr = NodeHash(c, fr);
      sr = NodeHash(c, sr);
      at.SkipRightEdge();
    } else {
      sr = NodeHash(sr, c);
    }
    at.Up();
  }
  return fr == first_root && sr == second_root && at.sn == 0;
}

}  // namespace lantern::ledger
