// Canonical record encoding (see record_codec.h): a CodedOutputStream with
// deterministic serialization switched on.
#include "server/ledger/record_codec.h"

#include <algorithm>

#include "engine/ruleset/ruleset_digest.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "zlib.h"

namespace lantern::ledger {
namespace {

constexpr int kDeflateLevel = 6;

}  // namespace

std::string EncodeCanonical(const google::protobuf::Message& message) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&coded);
  }
  return out;
}

absl::StatusOr<v1::LedgerRecord> DecodeRecord(absl::string_view bytes) {
  v1::LedgerRecord record;
  if (!record.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::DataLossError("the stored bytes are not a ledger record");
  }
  return record;
}

std::string Deflate(absl::string_view bytes) {
  uLongf size = compressBound(static_cast<uLong>(bytes.size()));
  std::string out(size, '\0');
  // Level 6, zlib's default: 9 saves under 0.1% here (bench/README.md).
  compress2(reinterpret_cast<Bytef*>(out.data()), &size,
            reinterpret_cast<const Bytef*>(bytes.data()),
            static_cast<uLong>(bytes.size()), kDeflateLevel);
  out.resize(size);
  return out;
}

absl::StatusOr<std::string> Inflate(absl::string_view compressed,
                                    size_t max_bytes) {
  z_stream z{};
  if (inflateInit(&z) != Z_OK) {
    return absl::InternalError("zlib: inflateInit failed");
  }
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  z.avail_in = static_cast<uInt>(compressed.size());
  std::string out;
  int rc = Z_OK;
  while (rc == Z_OK) {
    if (out.size() >= max_bytes) break;
    const size_t have = out.size();
    out.resize(std::min(max_bytes, have + std::max<size_t>(4096, have)));
    z.next_out = reinterpret_cast<Bytef*>(out.data() + have);
    z.avail_out = static_cast<uInt>(out.size() - have);
    rc = inflate(&z, Z_NO_FLUSH);
    out.resize(out.size() - z.avail_out);
  }
  const bool whole = rc == Z_STREAM_END && z.avail_in == 0;
  inflateEnd(&z);
  if (!whole) {
    return absl::DataLossError(
        "the compact assessment is not a whole zlib stream");
  }
  return out;
}

v1::RuleSetBlob MakeRuleSetBlob(const std::vector<SourceFile>& files) {
  v1::RuleSetBlob blob;
  blob.set_digest(RulesetDigest(files));
  for (const SourceFile& f : files) {
    v1::RuleSetBlob::File* file = blob.add_files();
    file->set_path(f.path);
    file->set_content(f.content);
  }
  std::sort(blob.mutable_files()->begin(), blob.mutable_files()->end(),
            [](const v1::RuleSetBlob::File& a, const v1::RuleSetBlob::File& b) {
              return a.path() < b.path();
            });
  return blob;
}

std::vector<SourceFile> FilesOf(const v1::RuleSetBlob& blob) {
  std::vector<SourceFile> files;
  for (const v1::RuleSetBlob::File& f : blob.files()) {
    files.push_back({f.path(), f.content()});
  }
  return files;
}

}  // namespace lantern::ledger
