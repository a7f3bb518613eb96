// Signed tree heads (see tree_head.h): Ed25519 through OpenSSL's EVP
// one-shot DigestSign/DigestVerify; the key file is written to a temporary
// name and linked into place, so a crash never leaves half a key and two
// starting processes never overwrite each other's key.
#include "server/ledger/tree_head.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"

namespace lantern::ledger {
namespace {

constexpr char kContext[] = "lantern-ledger-tree-head-v1";

void AppendBigEndian(uint64_t value, std::string& out) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((value >> shift) & 0xff));
  }
}

absl::Status Errno(absl::string_view what, const std::string& path) {
  return absl::InternalError(
      absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

absl::StatusOr<std::string> RawPublicKey(EVP_PKEY* key) {
  std::string raw(32, '\0');
  size_t size = raw.size();
  if (EVP_PKEY_get_raw_public_key(
          key, reinterpret_cast<unsigned char*>(raw.data()), &size) != 1 ||
      size != 32) {
    return absl::FailedPreconditionError("the key is not an Ed25519 key");
  }
  return raw;
}

absl::Status WriteNewKey(const std::string& key_path) {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  if (key == nullptr) return absl::InternalError("cannot generate a key");
  const std::string temp = absl::StrCat(key_path, ".tmp.", getpid());
  const int fd = open(temp.c_str(), O_CREAT | O_EXCL | O_WRONLY, 0600);
  if (fd < 0) {
    EVP_PKEY_free(key);
    return Errno("cannot create", temp);
  }
  FILE* file = fdopen(fd, "w");
  const bool written = file != nullptr &&
                       PEM_write_PrivateKey(file, key, nullptr, nullptr, 0,
                                            nullptr, nullptr) == 1 &&
                       fflush(file) == 0 && fsync(fd) == 0;
  EVP_PKEY_free(key);
  if (file != nullptr) fclose(file);
  absl::Status status = absl::OkStatus();
  if (!written) {
    status = Errno("cannot write", temp);
  } else if (link(temp.c_str(), key_path.c_str()) != 0 && errno != EEXIST) {
    status = Errno("cannot create", key_path);
  }
  unlink(temp.c_str());
  return status;
}

absl::StatusOr<EVP_PKEY*> ReadKey(const std::string& key_path) {
  struct stat st;
  if (stat(key_path.c_str(), &st) != 0) return Errno("cannot read", key_path);
  if ((st.st_mode & 077) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("the ledger signing key ", key_path,
                     " is readable by others; make it mode 0600 (chmod 600)"));
  }
  FILE* file = fopen(key_path.c_str(), "r");
  if (file == nullptr) return Errno("cannot read", key_path);
  EVP_PKEY* key = PEM_read_PrivateKey(file, nullptr, nullptr, nullptr);
  fclose(file);
  if (key == nullptr || EVP_PKEY_get_id(key) != EVP_PKEY_ED25519) {
    EVP_PKEY_free(key);
    return absl::FailedPreconditionError(absl::StrCat(
        key_path, " does not hold an Ed25519 private key in PEM form"));
  }
  return key;
}

}  // namespace

std::string TreeHeadSigningInput(const TreeHead& head) {
  std::string out(kContext, sizeof(kContext));  // with its 0x00
  AppendBigEndian(head.tree_size, out);
  AppendBigEndian(static_cast<uint64_t>(absl::ToUnixMicros(head.timestamp)),
                  out);
  out.append(reinterpret_cast<const char*>(head.root.data()), head.root.size());
  return out;
}

absl::StatusOr<std::unique_ptr<TreeHeadSigner>> TreeHeadSigner::LoadOrCreate(
    const std::string& key_path) {
  if (access(key_path.c_str(), F_OK) != 0) {
    if (absl::Status s = WriteNewKey(key_path); !s.ok()) return s;
  }
  absl::StatusOr<EVP_PKEY*> key = ReadKey(key_path);
  if (!key.ok()) return key.status();
  absl::StatusOr<std::string> public_key = RawPublicKey(*key);
  if (!public_key.ok()) {
    EVP_PKEY_free(*key);
    return public_key.status();
  }
  return std::unique_ptr<TreeHeadSigner>(
      new TreeHeadSigner(*key, *std::move(public_key)));
}

absl::StatusOr<std::unique_ptr<TreeHeadSigner>>
TreeHeadSigner::FromRawPrivateKey(absl::string_view raw) {
  EVP_PKEY* key = EVP_PKEY_new_raw_private_key(
      EVP_PKEY_ED25519, nullptr,
      reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
  if (key == nullptr) {
    return absl::InvalidArgumentError("not a raw Ed25519 private key");
  }
  absl::StatusOr<std::string> public_key = RawPublicKey(key);
  if (!public_key.ok()) {
    EVP_PKEY_free(key);
    return public_key.status();
  }
  return std::unique_ptr<TreeHeadSigner>(
      new TreeHeadSigner(key, *std::move(public_key)));
}

TreeHeadSigner::~TreeHeadSigner() { EVP_PKEY_free(key_); }

SignedTreeHead TreeHeadSigner::Sign(const TreeHead& head) const {
  const std::string input = TreeHeadSigningInput(head);
  SignedTreeHead sth{head, std::string(64, '\0')};
  size_t size = sth.signature.size();
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  // Signing with a loaded Ed25519 key cannot fail short of OpenSSL breaking.
  if (ctx == nullptr ||
      EVP_DigestSignInit(ctx, nullptr, nullptr, nullptr, key_) != 1 ||
      EVP_DigestSign(
          ctx, reinterpret_cast<unsigned char*>(sth.signature.data()), &size,
          reinterpret_cast<const unsigned char*>(input.data()),
          input.size()) != 1 ||
      size != 64) {
    std::abort();
  }
  EVP_MD_CTX_free(ctx);
  return sth;
}

bool VerifyTreeHead(const SignedTreeHead& sth, absl::string_view public_key) {
  EVP_PKEY* key = EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr,
      reinterpret_cast<const unsigned char*>(public_key.data()),
      public_key.size());
  if (key == nullptr) return false;
  const std::string input = TreeHeadSigningInput(sth.head);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok =
      ctx != nullptr &&
      EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, key) == 1 &&
      EVP_DigestVerify(
          ctx, reinterpret_cast<const unsigned char*>(sth.signature.data()),
          sth.signature.size(),
          reinterpret_cast<const unsigned char*>(input.data()),
          input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(key);
  return ok;
}

}  // namespace lantern::ledger
