// ReadTrustedPublicKey (verifier.h): the Ed25519 public key an auditor
// trusts, from a file holding it raw (32 bytes), as 64 hex digits (as
// `lantern ledger verify` prints it), or in PEM (a PUBLIC KEY, or the
// ledger's PRIVATE KEY file, whose public half is taken).
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "server/ledger/verifier.h"

namespace lantern::ledger {
namespace {

// The raw public key of a PEM Ed25519 key (public or private).
absl::StatusOr<std::string> FromPem(const std::string& path,
                                    const std::string& text) {
  BIO* bio = BIO_new_mem_buf(text.data(), static_cast<int>(text.size()));
  if (bio == nullptr) return absl::InternalError("out of memory");
  EVP_PKEY* key = absl::StrContains(text, "PRIVATE KEY")
                      ? PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr)
                      : PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  std::string raw(32, '\0');
  size_t size = raw.size();
  const bool ok =
      key != nullptr && EVP_PKEY_id(key) == EVP_PKEY_ED25519 &&
      EVP_PKEY_get_raw_public_key(
          key, reinterpret_cast<unsigned char*>(raw.data()), &size) == 1 &&
      size == 32;
  EVP_PKEY_free(key);
  if (!ok) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": not an Ed25519 key in PEM form"));
  }
  return raw;
}

}  // namespace

absl::StatusOr<std::string> ReadTrustedPublicKey(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::ostringstream content;
  content << in.rdbuf();
  const std::string text = content.str();
  if (absl::StrContains(text, "-----BEGIN ")) return FromPem(path, text);
  if (text.size() == 32) return text;
  const absl::string_view hex = absl::StripAsciiWhitespace(text);
  if (hex.size() == 64 &&
      hex.find_first_not_of("0123456789abcdefABCDEF") == hex.npos) {
    return absl::HexStringToBytes(hex);
  }
  return absl::InvalidArgumentError(absl::StrCat(
      path,
      ": not an Ed25519 public key (32 raw bytes, 64 hex digits or PEM)"));
}

}  // namespace lantern::ledger
