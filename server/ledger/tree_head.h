// Signed tree heads: the ledger's Ed25519 signature over its size, root hash
// and a timestamp, and the key that makes them.
//
// What is signed (frozen; golden vectors in tests/testdata/ledger/):
//   "lantern-ledger-tree-head-v1" 0x00
//   tree_size         8 bytes, big-endian
//   timestamp         8 bytes, big-endian two's complement, microseconds
//                     since the Unix epoch
//   root hash         32 bytes
// Ed25519 is deterministic, so one key and one head always give the same
// signature.
//
// The signing key lives in a PEM (PKCS#8) file created on first use with
// mode 0600; a key file that others can read is refused.
//
// Thread-safety: TreeHeadSigner is immutable after LoadOrCreate and safe to
// use from any thread; the free functions are stateless.
#ifndef LANTERN_SERVER_LEDGER_TREE_HEAD_H_
#define LANTERN_SERVER_LEDGER_TREE_HEAD_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/ledger/merkle.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace lantern::ledger {

struct TreeHead {
  uint64_t tree_size = 0;
  Hash root{};
  // Whole microseconds: what is signed.
  absl::Time timestamp = absl::UnixEpoch();
};

struct SignedTreeHead {
  TreeHead head;
  std::string signature;  // 64 bytes
};

// The bytes an Ed25519 signature of `head` covers.
std::string TreeHeadSigningInput(const TreeHead& head);

class TreeHeadSigner {
 public:
  // Reads the private key at `key_path`, or creates one there (0600) when no
  // file exists. FAILED_PRECONDITION when the file is readable by group or
  // others or is not an Ed25519 key; INTERNAL/NOT_FOUND on I/O problems.
  static absl::StatusOr<std::unique_ptr<TreeHeadSigner>> LoadOrCreate(
      const std::string& key_path);
  // From a raw 32-byte Ed25519 private key (tests, golden vectors).
  static absl::StatusOr<std::unique_ptr<TreeHeadSigner>> FromRawPrivateKey(
      absl::string_view raw);
  ~TreeHeadSigner();
  TreeHeadSigner(const TreeHeadSigner&) = delete;
  TreeHeadSigner& operator=(const TreeHeadSigner&) = delete;

  // The raw 32-byte Ed25519 public key.
  const std::string& public_key() const { return public_key_; }

  SignedTreeHead Sign(const TreeHead& head) const;

 private:
  TreeHeadSigner(EVP_PKEY* key, std::string public_key)
      : key_(key), public_key_(std::move(public_key)) {}

  EVP_PKEY* key_;  // owned
  std::string public_key_;
};

// True when `sth.signature` is a valid Ed25519 signature of `sth.head` by the
// raw 32-byte `public_key`.
bool VerifyTreeHead(const SignedTreeHead& sth, absl::string_view public_key);

}  // namespace lantern::ledger

#endif  // LANTERN_SERVER_LEDGER_TREE_HEAD_H_
