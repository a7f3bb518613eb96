// Tests `lantern ledger verify --trusted_key` (RunLedgerVerify with a key
// file, and ReadTrustedPublicKey): a ledger verifies under its own key given
// raw, as hex, as a PEM public key or as its PEM private key file; under
// another key every tree head fails; an unreadable key file is exit 2.
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <fstream>
#include <sstream>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/ledger/ledger.h"
#include "server/ledger/tree_head.h"
#include "server/ledger/verifier.h"
#include "tests/testing/ledger_records.h"

namespace lantern::ledger {
namespace {

using ::lantern::testing::SampleDecision;
using ::lantern::testing::ScratchDir;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// The PEM SubjectPublicKeyInfo of a raw Ed25519 public key.
std::string PemPublicKey(const std::string& raw) {
  EVP_PKEY* key = EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr,
      reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
  BIO* bio = BIO_new(BIO_s_mem());
  EXPECT_EQ(PEM_write_bio_PUBKEY(bio, key), 1);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  std::string pem(data, size);
  BIO_free(bio);
  EVP_PKEY_free(key);
  return pem;
}

class TrustedKeyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    LedgerOptions options;
    options.path = dir_.File("ledger.db");
    std::unique_ptr<Ledger> ledger = *Ledger::Open(options);
    for (int i = 1; i <= 3; ++i) {
      ASSERT_TRUE(ledger->AppendDecision(SampleDecision(i)).ok());
    }
    public_key_ = ledger->public_key();
  }

  std::string Write(const std::string& name, const std::string& content) {
    std::ofstream(dir_.File(name), std::ios::binary) << content;
    return dir_.File(name);
  }

  int Verify(const std::string& key_path) {
    std::ostringstream out, err;
    const int code =
        RunLedgerVerify(dir_.File("ledger.db"), out, err, key_path);
    out_ = out.str();
    err_ = err.str();
    return code;
  }

  ScratchDir dir_;
  std::string public_key_, out_, err_;
};

TEST_F(TrustedKeyTest, TheLedgersOwnKeyInEveryForm) {
  for (const std::string& path :
       {Write("raw", public_key_),
        Write("hex", absl::BytesToHexString(public_key_) + "\n"),
        Write("pub.pem", PemPublicKey(public_key_)),
        dir_.File("ledger.db.key")}) {
    EXPECT_EQ(Verify(path), 0) << path << "\n" << out_ << err_;
    EXPECT_THAT(out_,
                HasSubstr(absl::BytesToHexString(public_key_) + " (trusted)"));
  }
}

TEST_F(TrustedKeyTest, AnotherKeyFailsEveryHead) {
  std::unique_ptr<TreeHeadSigner> other =
      *TreeHeadSigner::FromRawPrivateKey(std::string(32, '\x07'));
  ASSERT_NE(other->public_key(), public_key_);
  EXPECT_EQ(Verify(Write("other", other->public_key())), 1);
  EXPECT_THAT(out_, StartsWith("FAIL: tree head"));
}

TEST_F(TrustedKeyTest, AnUnreadableKeyIsExit2) {
  EXPECT_EQ(Verify(dir_.File("missing")), 2);
  EXPECT_THAT(err_, HasSubstr("--trusted_key: cannot read"));
  EXPECT_EQ(Verify(Write("junk", "not a key")), 2);
  EXPECT_THAT(err_, HasSubstr("not an Ed25519 public key"));
  EXPECT_EQ(Verify(Write("bad.pem", "-----BEGIN PUBLIC KEY-----\nxx\n")), 2);
  EXPECT_THAT(err_, HasSubstr("not an Ed25519 key in PEM form"));
}

}  // namespace
}  // namespace lantern::ledger
