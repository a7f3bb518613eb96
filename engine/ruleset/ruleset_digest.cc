// RulesetDigest: canonical form (see the header) hashed with OpenSSL's
// SHA-256, streamed file by file so nothing is copied.
#include "engine/ruleset/ruleset_digest.h"

#include <openssl/evp.h>

#include <algorithm>
#include <memory>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace lantern {
namespace {

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;

// OpenSSL's SHA-256 cannot fail on valid memory; a failure here means the
// library is unusable, which no caller can recover from.
void Update(EVP_MD_CTX* ctx, absl::string_view bytes) {
  if (EVP_DigestUpdate(ctx, bytes.data(), bytes.size()) != 1) std::abort();
}

std::string Finish(EVP_MD_CTX* ctx) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_DigestFinal_ex(ctx, digest, &size) != 1) std::abort();
  return absl::StrCat("sha256:",
                      absl::BytesToHexString(absl::string_view(
                          reinterpret_cast<const char*>(digest), size)));
}

MdCtx NewSha256() {
  MdCtx ctx(EVP_MD_CTX_new());
  if (ctx == nullptr ||
      EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
    std::abort();
  }
  return ctx;
}

}  // namespace

std::string Sha256Hex(absl::string_view bytes) {
  MdCtx ctx = NewSha256();
  Update(ctx.get(), bytes);
  return Finish(ctx.get());
}

std::string RulesetDigest(const std::vector<SourceFile>& files) {
  std::vector<const SourceFile*> sorted;
  for (const SourceFile& f : files) sorted.push_back(&f);
  std::sort(sorted.begin(), sorted.end(),
            [](const SourceFile* a, const SourceFile* b) {
              return a->path < b->path;
            });
  MdCtx ctx = NewSha256();
  for (const SourceFile* f : sorted) {
    Update(ctx.get(), f->path);
    Update(ctx.get(), absl::string_view("\0", 1));
    Update(ctx.get(), absl::StrCat(f->content.size()));
    Update(ctx.get(), absl::string_view("\0", 1));
    Update(ctx.get(), f->content);
  }
  return Finish(ctx.get());
}

}  // namespace lantern
