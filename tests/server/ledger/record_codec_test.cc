// Golden vectors for the ledger's frozen formats (server/ledger/
// record_codec.h, merkle.h, tree_head.h): the canonical bytes and leaf hashes
// of sample records, a ruleset blob and its digest, a tree root, and a signed
// tree head under a fixed key. If any of these fail, a change would make old
// records or signatures read differently: do not update the vectors; make
// the change compatible. (New samples are added by writing their textproto
// and running this test with LANTERN_UPDATE_GOLDEN=1, which rewrites
// tests/testdata/ledger/golden.txt; review that diff: only additions.)
#include "server/ledger/record_codec.h"

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "server/ledger/merkle.h"
#include "server/ledger/tree_head.h"
#include "tests/testing/test_data.h"

namespace lantern::ledger {
namespace {

using ::lantern::testing::ReadFileOrDie;
using ::lantern::testing::TestDataPath;

v1::LedgerRecord Sample(const std::string& name) {
  v1::LedgerRecord record;
  const std::string text =
      ReadFileOrDie(TestDataPath("ledger/" + name + ".textproto"));
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &record))
      << name;
  return record;
}

v1::RuleSetBlob SampleBlob() {
  return MakeRuleSetBlob({{"rules/a.yaml", "rules: []\n"},
                          {"manifest.yaml", "id: golden\nversion: '1'\n"}});
}

std::string Hex(absl::string_view bytes) {
  return absl::BytesToHexString(bytes);
}

// Every vector, computed now.
std::map<std::string, std::string> Compute() {
  std::map<std::string, std::string> v;
  MerkleTree tree;
  for (const char* name : {"decision", "activation"}) {
    const std::string bytes = EncodeCanonical(Sample(name));
    v[std::string(name) + ".record"] = Hex(bytes);
    v[std::string(name) + ".leaf_hash"] = HashToHex(LeafHash(bytes));
    tree.AppendLeafHash(LeafHash(bytes));
  }
  v["ruleset_blob.bytes"] = Hex(EncodeCanonical(SampleBlob()));
  v["ruleset_blob.digest"] = SampleBlob().digest();
  v["tree.root"] = HashToHex(tree.Root());
  const std::string seed(32, '\x07');
  std::unique_ptr<TreeHeadSigner> signer =
      *TreeHeadSigner::FromRawPrivateKey(seed);
  const SignedTreeHead sth = signer->Sign(
      {tree.size(), tree.Root(), absl::FromUnixMicros(1714824000123456)});
  v["tree_head.public_key"] = Hex(signer->public_key());
  v["tree_head.signing_input"] = Hex(TreeHeadSigningInput(sth.head));
  v["tree_head.signature"] = Hex(sth.signature);
  return v;
}

std::map<std::string, std::string> ReadGolden() {
  std::map<std::string, std::string> v;
  std::istringstream in(ReadFileOrDie(TestDataPath("ledger/golden.txt")));
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> parts = absl::StrSplit(line, ' ');
    if (parts.size() == 2) v[parts[0]] = parts[1];
  }
  return v;
}

TEST(LedgerGolden, EncodingsHashesAndSignaturesAreFrozen) {
  const std::map<std::string, std::string> now = Compute();
  if (std::getenv("LANTERN_UPDATE_GOLDEN") != nullptr) {
    std::ofstream out(TestDataPath("ledger/golden.txt"));
    out << "# Golden vectors of the audit ledger's frozen formats; see\n"
           "# tests/server/ledger/record_codec_test.cc. Never change a line.\n";
    for (const auto& [key, value] : now) out << key << " " << value << "\n";
  }
  const std::map<std::string, std::string> golden = ReadGolden();
  for (const auto& [key, value] : golden) {
    ASSERT_TRUE(now.count(key)) << key << " is no longer computed";
    EXPECT_EQ(now.at(key), value) << key;
  }
  EXPECT_EQ(golden.size(), now.size());
}

// Old bytes must still read as the records they were.
TEST(LedgerGolden, GoldenBytesDecodeToTheSamples) {
  const std::map<std::string, std::string> golden = ReadGolden();
  for (const char* name : {"decision", "activation"}) {
    absl::StatusOr<v1::LedgerRecord> decoded = DecodeRecord(
        absl::HexStringToBytes(golden.at(std::string(name) + ".record")));
    ASSERT_TRUE(decoded.ok()) << name;
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(
        *decoded, Sample(name)))
        << name;
  }
}

TEST(LedgerGolden, GoldenTreeHeadVerifies) {
  const std::map<std::string, std::string> golden = ReadGolden();
  SignedTreeHead sth;
  sth.head.tree_size = 2;
  sth.head.root =
      *HashFromBytes(absl::HexStringToBytes(golden.at("tree.root")));
  sth.head.timestamp = absl::FromUnixMicros(1714824000123456);
  sth.signature = absl::HexStringToBytes(golden.at("tree_head.signature"));
  const std::string key =
      absl::HexStringToBytes(golden.at("tree_head.public_key"));
  EXPECT_TRUE(VerifyTreeHead(sth, key));
  sth.head.tree_size = 3;
  EXPECT_FALSE(VerifyTreeHead(sth, key));
}

TEST(RecordCodec, RejectsBytesThatAreNotARecord) {
  EXPECT_TRUE(absl::IsDataLoss(DecodeRecord("\xff\xff\xff").status()));
}

TEST(RecordCodec, BlobIsSortedAndRoundTrips) {
  const v1::RuleSetBlob blob = SampleBlob();
  ASSERT_EQ(blob.files_size(), 2);
  EXPECT_EQ(blob.files(0).path(), "manifest.yaml");
  const std::vector<SourceFile> files = FilesOf(blob);
  EXPECT_EQ(MakeRuleSetBlob(files).SerializeAsString(),
            blob.SerializeAsString());
}

}  // namespace
}  // namespace lantern::ledger
