#include "server/app/unknown_fields.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/unknown_field_set.h"

namespace lantern {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

void CollectUnknown(const Message& message, std::string* path, size_t limit,
                    std::vector<std::string>* out) {
  const google::protobuf::Reflection* r = message.GetReflection();
  const google::protobuf::UnknownFieldSet& unknown =
      r->GetUnknownFields(message);
  for (int i = 0; i < unknown.field_count() && out->size() < limit; ++i) {
    out->push_back(
        absl::StrCat(*path, ": unknown field ", unknown.field(i).number()));
  }
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(message, &fields);
  const size_t base = path->size();
  for (const FieldDescriptor* field : fields) {
    if (out->size() >= limit) break;
    if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) continue;
    path->resize(base);
    absl::StrAppend(path, path->empty() ? "" : ".", field->name());
    if (!field->is_repeated()) {
      CollectUnknown(r->GetMessage(message, field), path, limit, out);
      continue;
    }
    const size_t field_end = path->size();
    for (int j = 0; j < r->FieldSize(message, field) && out->size() < limit;
         ++j) {
      path->resize(field_end);
      absl::StrAppend(path, "[", j, "]");
      CollectUnknown(r->GetRepeatedMessage(message, field, j), path, limit,
                     out);
    }
  }
  path->resize(base);
}

}  // namespace

std::vector<std::string> UnknownFields(const Message& message, size_t limit) {
  std::vector<std::string> out;
  std::string path;
  CollectUnknown(message, &path, limit, &out);
  for (std::string& line : out) {
    if (line[0] == ':') line.insert(0, message.GetDescriptor()->full_name());
  }
  return out;
}

}  // namespace lantern
