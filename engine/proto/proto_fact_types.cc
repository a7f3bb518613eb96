// ProtoFactTypes: entry points SchemaFor (descriptor lookup by name, then
// SchemaFromDescriptor, cached) and DecodeJson (FactsFromJson).
#include "engine/proto/proto_fact_types.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/proto/proto_adapter.h"

namespace lantern {

absl::StatusOr<std::shared_ptr<const FactSchema>> ProtoFactTypes::SchemaFor(
    absl::string_view message_name) const {
  {
    absl::MutexLock lock(&mu_);
    auto it = cache_.find(message_name);
    if (it != cache_.end()) return it->second;
  }
  const google::protobuf::Descriptor* descriptor =
      FindFactMessage(message_name);
  if (descriptor == nullptr) {
    return absl::NotFoundError(absl::StrCat(
        "unknown fact message '", message_name,
        "': no such protobuf message is compiled into this binary"));
  }
  absl::StatusOr<std::shared_ptr<const FactSchema>> schema =
      SchemaFromDescriptor(descriptor);
  if (!schema.ok()) return schema.status();
  absl::MutexLock lock(&mu_);
  cache_.emplace(std::string(message_name), *schema);
  return *schema;
}

absl::StatusOr<FactRecord> ProtoFactTypes::DecodeJson(
    const FactSchema& schema, absl::string_view message_name,
    absl::string_view json) const {
  const google::protobuf::Descriptor* descriptor =
      FindFactMessage(message_name);
  if (descriptor == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("unknown fact message '", message_name, "'"));
  }
  return FactsFromJson(schema, descriptor, json);
}

}  // namespace lantern
