// Tests server/ledger/merkle.h: known-answer vectors (computed independently
// with Python's hashlib from RFC 6962's definitions; the size-8 root is also
// the one published with Certificate Transparency's test data), and every
// root, inclusion proof and consistency proof of every tree up to 70 leaves
// against a deliberately naive recursive recomputation.
#include "server/ledger/merkle.h"

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lantern::ledger {
namespace {

std::vector<std::string> KatLeaves() {
  std::vector<std::string> leaves;
  for (const char* hex :
       {"", "00", "10", "2021", "3031", "40414243", "5051525354555657",
        "606162636465666768696a6b6c6d6e6f"}) {
    leaves.push_back(absl::HexStringToBytes(hex));
  }
  return leaves;
}

std::vector<std::string> Hexes(const std::vector<Hash>& hashes) {
  std::vector<std::string> out;
  for (const Hash& h : hashes) out.push_back(HashToHex(h));
  return out;
}

MerkleTree TreeOf(const std::vector<std::string>& leaves) {
  MerkleTree tree;
  for (const std::string& leaf : leaves) tree.AppendLeafHash(LeafHash(leaf));
  return tree;
}

TEST(Merkle, EmptyTreeRootIsHashOfNothing) {
  EXPECT_EQ(HashToHex(MerkleTree().Root()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Merkle, KnownRoots) {
  const std::vector<std::string> expected = {
      "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
      "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
      "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
      "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
      "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
      "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
  };
  const MerkleTree tree = TreeOf(KatLeaves());
  for (uint64_t n = 1; n <= 8; ++n) {
    EXPECT_EQ(HashToHex(tree.Root(n)), expected[n - 1]) << "size " << n;
  }
}

TEST(Merkle, KnownInclusionProofs) {
  const MerkleTree tree = TreeOf(KatLeaves());
  EXPECT_THAT(Hexes(*tree.InclusionProof(0, 1)), testing::IsEmpty());
  EXPECT_THAT(
      Hexes(*tree.InclusionProof(5, 8)),
      testing::ElementsAre(
          "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
          "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
          "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"));
  EXPECT_THAT(
      Hexes(*tree.InclusionProof(2, 3)),
      testing::ElementsAre(
          "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"));
  EXPECT_THAT(
      Hexes(*tree.InclusionProof(6, 7)),
      testing::ElementsAre(
          "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
          "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"));
}

TEST(Merkle, KnownConsistencyProofs) {
  const MerkleTree tree = TreeOf(KatLeaves());
  EXPECT_THAT(Hexes(*tree.ConsistencyProof(1, 1)), testing::IsEmpty());
  EXPECT_THAT(
      Hexes(*tree.ConsistencyProof(1, 8)),
      testing::ElementsAre(
          "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
          "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
          "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"));
  EXPECT_THAT(
      Hexes(*tree.ConsistencyProof(6, 8)),
      testing::ElementsAre(
          "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
          "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
          "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"));
  EXPECT_THAT(
      Hexes(*tree.ConsistencyProof(2, 5)),
      testing::ElementsAre(
          "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
          "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"));
  EXPECT_THAT(
      Hexes(*tree.ConsistencyProof(3, 7)),
      testing::ElementsAre(
          "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
          "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
          "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
          "837dbb152e9b079010717e84e865da4ebc0fa198a806d59d31bf15accef22d0e"));
}

// The reference: RFC 6962 §2.1 written as plainly as possible over leaf
// hashes, recomputing every subtree from scratch.
using Leaves = std::vector<Hash>;
Leaves Slice(const Leaves& d, size_t from, size_t to) {
  return Leaves(d.begin() + from, d.begin() + to);
}
uint64_t NaiveSplit(uint64_t n) {
  uint64_t k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}
Hash NaiveRoot(const Leaves& d) {
  if (d.empty()) return Sha256("");
  if (d.size() == 1) return d[0];
  const size_t k = NaiveSplit(d.size());
  return NodeHash(NaiveRoot(Slice(d, 0, k)), NaiveRoot(Slice(d, k, d.size())));
}
Leaves NaivePath(size_t m, const Leaves& d) {
  if (d.size() <= 1) return {};
  const size_t k = NaiveSplit(d.size());
  Leaves out = m < k ? NaivePath(m, Slice(d, 0, k))
                     : NaivePath(m - k, Slice(d, k, d.size()));
  out.push_back(m < k ? NaiveRoot(Slice(d, k, d.size()))
                      : NaiveRoot(Slice(d, 0, k)));
  return out;
}
Leaves NaiveSubProof(size_t m, const Leaves& d, bool b) {
  if (m == d.size()) return b ? Leaves{} : Leaves{NaiveRoot(d)};
  const size_t k = NaiveSplit(d.size());
  Leaves out = m <= k ? NaiveSubProof(m, Slice(d, 0, k), b)
                      : NaiveSubProof(m - k, Slice(d, k, d.size()), false);
  out.push_back(m <= k ? NaiveRoot(Slice(d, k, d.size()))
                       : NaiveRoot(Slice(d, 0, k)));
  return out;
}

constexpr uint64_t kMaxSize = 70;

struct BruteForce : testing::Test {
  void SetUp() override {
    for (uint64_t i = 0; i < kMaxSize; ++i) {
      leaves.push_back(LeafHash(absl::StrCat("leaf ", i)));
      tree.AppendLeafHash(leaves.back());
    }
  }
  Leaves leaves;
  MerkleTree tree;
};

TEST_F(BruteForce, EveryRoot) {
  for (uint64_t n = 0; n <= kMaxSize; ++n) {
    EXPECT_EQ(tree.Root(n), NaiveRoot(Slice(leaves, 0, n))) << n;
  }
}

TEST_F(BruteForce, EveryInclusionProofMatchesAndVerifies) {
  for (uint64_t n = 1; n <= kMaxSize; ++n) {
    const Hash root = tree.Root(n);
    for (uint64_t m = 0; m < n; ++m) {
      const std::vector<Hash> proof = *tree.InclusionProof(m, n);
      ASSERT_EQ(proof, NaivePath(m, Slice(leaves, 0, n))) << m << "/" << n;
      EXPECT_TRUE(VerifyInclusion(m, n, leaves[m], proof, root));
      // The wrong leaf, index or a damaged proof must not verify. (A wrong
      // size may: proofs are checked against a signed size and root pair.)
      EXPECT_FALSE(
          VerifyInclusion(m, n, leaves[(m + 1) % kMaxSize], proof, root));
      if (n > 1) {
        EXPECT_FALSE(VerifyInclusion((m + 1) % n, n, leaves[m], proof, root));
        std::vector<Hash> bad = proof;
        bad[m % bad.size()][0] ^= 1;
        EXPECT_FALSE(VerifyInclusion(m, n, leaves[m], bad, root));
      }
    }
  }
}

TEST_F(BruteForce, EveryConsistencyProofMatchesAndVerifies) {
  for (uint64_t n = 1; n <= kMaxSize; ++n) {
    const Hash second = tree.Root(n);
    for (uint64_t m = 1; m <= n; ++m) {
      const Hash first = tree.Root(m);
      const std::vector<Hash> proof = *tree.ConsistencyProof(m, n);
      ASSERT_EQ(proof, NaiveSubProof(m, Slice(leaves, 0, n), true))
          << m << "->" << n;
      EXPECT_TRUE(VerifyConsistency(m, n, first, second, proof));
      if (m < n) {
        Hash wrong = first;
        wrong[31] ^= 1;
        EXPECT_FALSE(VerifyConsistency(m, n, wrong, second, proof));
        EXPECT_FALSE(VerifyConsistency(m, n, first, wrong, proof));
        std::vector<Hash> bad = proof;
        bad[n % bad.size()][0] ^= 1;
        EXPECT_FALSE(VerifyConsistency(m, n, first, second, bad));
        if (m > 1) {
          EXPECT_FALSE(VerifyConsistency(m - 1, n, first, second, proof));
        }
      }
    }
  }
}

TEST_F(BruteForce, TruncateUndoesAppends) {
  MerkleTree copy = tree;
  copy.Truncate(37);
  EXPECT_EQ(copy.size(), 37u);
  EXPECT_EQ(copy.Root(), tree.Root(37));
  copy.AppendLeafHash(leaves[37]);
  EXPECT_EQ(copy.Root(), tree.Root(38));
}

// CompactRange holds only the frontier, yet gives every root, names every
// node above the leaves exactly once with its RFC 6962 hash, and restarts
// from a frontier read back.
TEST_F(BruteForce, CompactRangeRootsAndCompletedNodes) {
  CompactRange range;
  std::vector<CompactRange::Node> completed;
  EXPECT_EQ(range.Root(), NaiveRoot({}));
  for (uint64_t n = 1; n <= kMaxSize; ++n) {
    range.Append(leaves[n - 1], &completed);
    ASSERT_EQ(range.size(), n);
    EXPECT_EQ(range.Root(), NaiveRoot(Slice(leaves, 0, n))) << n;
    std::vector<Hash> frontier;
    for (const NodeId& id : FrontierNodes(n)) {
      const uint64_t width = uint64_t{1} << id.level;
      frontier.push_back(
          NaiveRoot(Slice(leaves, id.index * width, (id.index + 1) * width)));
    }
    absl::StatusOr<CompactRange> restarted =
        CompactRange::FromFrontier(n, frontier);
    ASSERT_TRUE(restarted.ok()) << restarted.status();
    EXPECT_EQ(restarted->Root(), range.Root()) << n;
  }
  // n leaves complete n - popcount(n) nodes above level 0.
  EXPECT_EQ(completed.size(), kMaxSize - 3);  // 70 = 64 + 4 + 2
  for (const CompactRange::Node& node : completed) {
    ASSERT_GE(node.id.level, 1);
    const uint64_t width = uint64_t{1} << node.id.level;
    EXPECT_EQ(node.hash, NaiveRoot(Slice(leaves, node.id.index * width,
                                         (node.id.index + 1) * width)))
        << node.id.level << "," << node.id.index;
  }
  EXPECT_FALSE(CompactRange::FromFrontier(6, {leaves[0]}).ok());
}

// Proofs from a node reader ask only for O(log n) nodes.
TEST_F(BruteForce, ProofsFromNodesReadFewNodes) {
  int asked = 0;
  // Each node recomputed from its leaves, independently of MerkleTree.
  const NodeReader counting =
      [&](const std::vector<NodeId>& ids) -> absl::StatusOr<std::vector<Hash>> {
    asked += static_cast<int>(ids.size());
    std::vector<Hash> out;
    for (const NodeId& id : ids) {
      const uint64_t width = uint64_t{1} << id.level;
      out.push_back(
          NaiveRoot(Slice(leaves, id.index * width, (id.index + 1) * width)));
    }
    return out;
  };
  for (uint64_t n = 1; n <= kMaxSize; ++n) {
    for (uint64_t m = 0; m < n; ++m) {
      asked = 0;
      EXPECT_EQ(*InclusionProofFrom(counting, m, n),
                NaivePath(m, Slice(leaves, 0, n)));
      EXPECT_LE(asked, 2 * 8) << m << " " << n;
      asked = 0;
      EXPECT_EQ(*ConsistencyProofFrom(counting, m + 1, n),
                NaiveSubProof(m + 1, Slice(leaves, 0, n), true));
      EXPECT_LE(asked, 2 * 8) << m + 1 << " " << n;
    }
  }
  const NodeReader failing =
      [](const std::vector<NodeId>&) -> absl::StatusOr<std::vector<Hash>> {
    return absl::DataLossError("gone");
  };
  EXPECT_TRUE(absl::IsDataLoss(InclusionProofFrom(failing, 0, 2).status()));
  EXPECT_TRUE(absl::IsDataLoss(RootFrom(failing, 3).status()));
  EXPECT_TRUE(RootFrom(failing, 0).ok());  // the empty tree reads nothing
}

TEST(Merkle, RejectsProofsOutsideTheTree) {
  const MerkleTree tree = TreeOf(KatLeaves());
  EXPECT_FALSE(tree.InclusionProof(8, 8).ok());
  EXPECT_FALSE(tree.InclusionProof(0, 9).ok());
  EXPECT_FALSE(tree.ConsistencyProof(0, 4).ok());
  EXPECT_FALSE(tree.ConsistencyProof(5, 4).ok());
  EXPECT_FALSE(tree.ConsistencyProof(4, 9).ok());
}

}  // namespace
}  // namespace lantern::ledger
