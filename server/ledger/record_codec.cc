// Canonical record encoding (see record_codec.h): a CodedOutputStream with
// deterministic serialization switched on.
#include "server/ledger/record_codec.h"

#include <algorithm>

#include "engine/ruleset/ruleset_digest.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace lantern::ledger {

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
