// Merkle tree (see merkle.h). Entry points: RootFrom, InclusionProofFrom,
// ConsistencyProofFrom, CompactRange, MerkleTree, VerifyInclusion,
// VerifyConsistency. Proof generation follows RFC 6962's recursive PATH and
// SUBPROOF definitions literally, as the leaf ranges whose hashes they list;
// each range is the complete aligned subtrees of its size's set bits, read
// in one call and folded from the right.
#include "server/ledger/merkle.h"

#include <openssl/evp.h>

#include <cstdlib>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace lantern::ledger {
namespace {

bool IsPowerOfTwo(uint64_t n) { return n != 0 && (n & (n - 1)) == 0; }

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

namespace {

// A range of leaves [start, start + count) as RFC 6962's recursion meets
// it: start is a multiple of a power of two >= count.
struct Range {
  uint64_t start;
  uint64_t count;
};

// The aligned complete subtrees making up `r`, left to right (largest
// first): one per set bit of r.count.
void AppendRangeNodes(const Range& r, std::vector<NodeId>& out) {
  uint64_t at = r.start;
  for (int level = 63; level >= 0; --level) {
    const uint64_t width = uint64_t{1} << level;
    if ((r.count & width) == 0) continue;
    out.push_back(NodeId{level, at >> level});
    at += width;
  }
}

// RFC 6962 PATH(index, D[start:start+count]) as the ranges whose MTHs it
// lists, leaf's sibling first.
void PathRanges(uint64_t index, uint64_t start, uint64_t count,
                std::vector<Range>& out) {
  if (count == 1) return;
  const uint64_t k = SplitPoint(count);
  if (index < k) {
    PathRanges(index, start, k, out);
    out.push_back({start + k, count - k});
  } else {
    PathRanges(index - k, start + k, count - k, out);
    out.push_back({start, k});
  }
}

// RFC 6962 SUBPROOF(first, D[start:start+count], whole_subtree) as ranges.
void SubProofRanges(uint64_t first, uint64_t start, uint64_t count,
                    bool whole_subtree, std::vector<Range>& out) {
  if (first == count) {
    if (!whole_subtree) out.push_back({start, count});
    return;
  }
  const uint64_t k = SplitPoint(count);
  if (first <= k) {
    SubProofRanges(first, start, k, whole_subtree, out);
    out.push_back({start + k, count - k});
  } else {
    SubProofRanges(first - k, start + k, count - k, false, out);
    out.push_back({start, k});
  }
}

// The MTH of every range, from one read of all their nodes.
absl::StatusOr<std::vector<Hash>> HashRanges(const NodeReader& read,
                                             const std::vector<Range>& ranges) {
  std::vector<NodeId> ids;
  std::vector<size_t> ends;
  for (const Range& r : ranges) {
    AppendRangeNodes(r, ids);
    ends.push_back(ids.size());
  }
  if (ids.empty()) return std::vector<Hash>{};
  absl::StatusOr<std::vector<Hash>> hashes = read(ids);
  if (!hashes.ok()) return hashes.status();
  if (hashes->size() != ids.size()) {
    return absl::InternalError(absl::StrCat(
        "asked for ", ids.size(), " tree nodes, got ", hashes->size()));
  }
  std::vector<Hash> out;
  size_t begin = 0;
  for (size_t end : ends) {
    // MTH splits at the largest power of two below the count: fold the
    // range's nodes from the right.
    Hash h = (*hashes)[end - 1];
    for (size_t i = end - 1; i > begin; --i) h = NodeHash((*hashes)[i - 1], h);
    out.push_back(h);
    begin = end;
  }
  return out;
}

}  // namespace

std::vector<NodeId> FrontierNodes(uint64_t tree_size) {
  std::vector<NodeId> ids;
  AppendRangeNodes({0, tree_size}, ids);
  return ids;
}

absl::StatusOr<Hash> RootFrom(const NodeReader& read, uint64_t tree_size) {
  if (tree_size == 0) return Sha256("");
  absl::StatusOr<std::vector<Hash>> h = HashRanges(read, {{0, tree_size}});
  if (!h.ok()) return h.status();
  return h->front();
}

absl::StatusOr<std::vector<Hash>> InclusionProofFrom(const NodeReader& read,
                                                     uint64_t index,
                                                     uint64_t tree_size) {
  if (index >= tree_size) {
    return absl::InvalidArgumentError(absl::StrCat(
        "no leaf ", index, " in a tree of ", tree_size, " leaves"));
  }
  std::vector<Range> ranges;
  PathRanges(index, 0, tree_size, ranges);
  return HashRanges(read, ranges);
}

absl::StatusOr<std::vector<Hash>> ConsistencyProofFrom(const NodeReader& read,
                                                       uint64_t first,
                                                       uint64_t second) {
  if (first == 0 || first > second) {
    return absl::InvalidArgumentError(
        absl::StrCat("no consistency proof from ", first, " to ", second,
                     " leaves (need 0 < first <= second)"));
  }
  std::vector<Range> ranges;
  if (first < second) SubProofRanges(first, 0, second, true, ranges);
  return HashRanges(read, ranges);
}

absl::StatusOr<CompactRange> CompactRange::FromFrontier(
    uint64_t tree_size, std::vector<Hash> hashes) {
  const size_t want = FrontierNodes(tree_size).size();
  if (hashes.size() != want) {
    return absl::InvalidArgumentError(
        absl::StrCat("a tree of ", tree_size, " leaves has ", want,
                     " frontier nodes, not ", hashes.size()));
  }
  CompactRange range;
  range.size_ = tree_size;
  range.frontier_ = std::move(hashes);
  return range;
}

void CompactRange::Append(const Hash& leaf_hash, std::vector<Node>* completed) {
  Hash h = leaf_hash;
  uint64_t index = size_;
  int level = 0;
  while ((index & 1) == 1) {
    h = NodeHash(frontier_.back(), h);
    frontier_.pop_back();
    index >>= 1;
    ++level;
    if (completed != nullptr) completed->push_back({NodeId{level, index}, h});
  }
  frontier_.push_back(h);
  ++size_;
}

Hash CompactRange::Root() const {
  if (frontier_.empty()) return Sha256("");
  Hash h = frontier_.back();
  for (size_t i = frontier_.size() - 1; i > 0; --i) {
    h = NodeHash(frontier_[i - 1], h);
  }
  return h;
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

NodeReader MerkleTree::Reader() const {
  return
      [this](
          const std::vector<NodeId>& ids) -> absl::StatusOr<std::vector<Hash>> {
        std::vector<Hash> out;
        out.reserve(ids.size());
        for (const NodeId& id : ids) {
          if (static_cast<size_t>(id.level) >= levels_.size() ||
              id.index >= levels_[id.level].size()) {
            return absl::NotFoundError(
                absl::StrCat("no tree node (", id.level, ", ", id.index, ")"));
          }
          out.push_back(levels_[id.level][id.index]);
        }
        return out;
      };
}

Hash MerkleTree::Root(uint64_t tree_size) const {
  // Every node of a prefix is stored: the read cannot fail.
  return *RootFrom(Reader(), tree_size);
}

absl::StatusOr<std::vector<Hash>> MerkleTree::InclusionProof(
    uint64_t index, uint64_t tree_size) const {
  if (index >= tree_size || tree_size > size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("no leaf ", index, " in a tree of ", tree_size,
                     " leaves (the ledger has ", size(), ")"));
  }
  return InclusionProofFrom(Reader(), index, tree_size);
}

absl::StatusOr<std::vector<Hash>> MerkleTree::ConsistencyProof(
    uint64_t first, uint64_t second) const {
  if (first == 0 || first > second || second > size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("no consistency proof from ", first, " to ", second,
                     " leaves (need 0 < first <= second <= ", size(), ")"));
  }
  return ConsistencyProofFrom(Reader(), first, second);
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
