// Tests server/ledger/tree_head.h: the key file (created 0600, reloaded
// unchanged, refused when others can read it or it is not a key) and
// signing and verifying tree heads.
#include "server/ledger/tree_head.h"

#include <sys/stat.h>

#include <fstream>

#include "gtest/gtest.h"
#include "tests/testing/ledger_records.h"

namespace lantern::ledger {
namespace {

using ::lantern::testing::ScratchDir;

TEST(TreeHeadSigner, CreatesAPrivateKeyFileOnceAndReloadsIt) {
  ScratchDir dir;
  const std::string path = dir.File("ledger.key");
  absl::StatusOr<std::unique_ptr<TreeHeadSigner>> first =
      TreeHeadSigner::LoadOrCreate(path);
  ASSERT_TRUE(first.ok()) << first.status();
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  absl::StatusOr<std::unique_ptr<TreeHeadSigner>> again =
      TreeHeadSigner::LoadOrCreate(path);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ((*again)->public_key(), (*first)->public_key());
}

TEST(TreeHeadSigner, RefusesAKeyOthersCanReadOrThatIsNotAKey) {
  ScratchDir dir;
  const std::string path = dir.File("ledger.key");
  ASSERT_TRUE(TreeHeadSigner::LoadOrCreate(path).ok());
  ASSERT_EQ(chmod(path.c_str(), 0644), 0);
  absl::Status readable = TreeHeadSigner::LoadOrCreate(path).status();
  EXPECT_TRUE(absl::IsFailedPrecondition(readable)) << readable;

  const std::string junk = dir.File("junk.key");
  std::ofstream(junk) << "not a key\n";
  ASSERT_EQ(chmod(junk.c_str(), 0600), 0);
  absl::Status not_a_key = TreeHeadSigner::LoadOrCreate(junk).status();
  EXPECT_TRUE(absl::IsFailedPrecondition(not_a_key)) << not_a_key;
}

TEST(TreeHeadSigner, SignaturesCoverSizeRootAndTime) {
  std::unique_ptr<TreeHeadSigner> signer =
      *TreeHeadSigner::FromRawPrivateKey(std::string(32, '\x01'));
  const TreeHead head{7, LeafHash("x"), absl::FromUnixMicros(1714824000000001)};
  const SignedTreeHead sth = signer->Sign(head);
  EXPECT_EQ(sth.signature.size(), 64u);
  EXPECT_TRUE(VerifyTreeHead(sth, signer->public_key()));
  SignedTreeHead changed = sth;
  changed.head.tree_size = 8;
  EXPECT_FALSE(VerifyTreeHead(changed, signer->public_key()));
  changed = sth;
  changed.head.root[0] ^= 1;
  EXPECT_FALSE(VerifyTreeHead(changed, signer->public_key()));
  changed = sth;
  changed.head.timestamp += absl::Microseconds(1);
  EXPECT_FALSE(VerifyTreeHead(changed, signer->public_key()));
  std::unique_ptr<TreeHeadSigner> other =
      *TreeHeadSigner::FromRawPrivateKey(std::string(32, '\x02'));
  EXPECT_FALSE(VerifyTreeHead(sth, other->public_key()));
  EXPECT_FALSE(VerifyTreeHead(sth, "short"));
}

}  // namespace
}  // namespace lantern::ledger
