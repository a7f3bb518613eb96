// Engine → protobuf: facts back into a message and its JSON, the reverse of
// FactsFromMessage (engine/proto/proto_adapter.h). Entry point: FactsToJson.
//
// Walks the record and the message descriptor together by field name (the
// schema keeps proto field names), writing each set slot with reflection:
// timestamps and durations as their well-known messages, wrapper types
// through their `value` field, enums by number, nested records as messages.
// An unset slot is left unset, so decoding the JSON again gives the same
// facts.
#include <cmath>
#include <memory>
#include <string>
#include <variant>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "engine/proto/internal/proto_adapter_message.h"
#include "engine/proto/proto_adapter.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/util/json_util.h"

namespace lantern {
namespace {

using ::google::protobuf::Descriptor;
using ::google::protobuf::FieldDescriptor;
using ::google::protobuf::Message;
using ::google::protobuf::Reflection;

absl::Status WriteRecord(const FactSchema& schema, const FactRecord& record,
                         Message* message);

void SecondsNanos(Message* m, int64_t seconds, int32_t nanos) {
  const Descriptor* d = m->GetDescriptor();
  const Reflection* r = m->GetReflection();
  r->SetInt64(m, d->FindFieldByName("seconds"), seconds);
  r->SetInt32(m, d->FindFieldByName("nanos"), nanos);
}

void WriteTime(absl::Time t, Message* m) {
  const int64_t seconds = absl::ToUnixSeconds(t);
  const absl::Duration rest = t - absl::FromUnixSeconds(seconds);
  SecondsNanos(m, seconds,
               static_cast<int32_t>(absl::ToInt64Nanoseconds(rest)));
}

void WriteDuration(absl::Duration d, Message* m) {
  const int64_t seconds = absl::IDivDuration(d, absl::Seconds(1), &d);
  SecondsNanos(m, seconds, static_cast<int32_t>(absl::ToInt64Nanoseconds(d)));
}

// Writes `value` into `field` of `m` (appending when repeated) for a scalar
// field: bool, integers, floating point, string, enum.
absl::Status WritePlain(const FactScalar& value, const FieldDescriptor* field,
                        Message* m) {
  const Reflection* r = m->GetReflection();
  const bool rep = field->is_repeated();
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_BOOL: {
      const bool v = std::get<bool>(value);
      rep ? r->AddBool(m, field, v) : r->SetBool(m, field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_INT32: {
      const auto v = static_cast<int32_t>(std::get<int64_t>(value));
      rep ? r->AddInt32(m, field, v) : r->SetInt32(m, field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_INT64: {
      const int64_t v = std::get<int64_t>(value);
      rep ? r->AddInt64(m, field, v) : r->SetInt64(m, field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_UINT32: {
      const auto v = static_cast<uint32_t>(std::get<int64_t>(value));
      rep ? r->AddUInt32(m, field, v) : r->SetUInt32(m, field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_UINT64: {
      const auto v = static_cast<uint64_t>(std::get<int64_t>(value));
      rep ? r->AddUInt64(m, field, v) : r->SetUInt64(m, field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_FLOAT: {
      const auto v = static_cast<float>(std::get<double>(value));
      rep ? r->AddFloat(m, field, v) : r->SetFloat(m, field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_DOUBLE: {
      const double v = std::get<double>(value);
      rep ? r->AddDouble(m, field, v) : r->SetDouble(m, field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_STRING: {
      const std::string& v = std::get<std::string>(value);
      rep ? r->AddString(m, field, v) : r->SetString(m, field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      const int32_t v = std::get<EnumNumber>(value).number;
      rep ? r->AddEnumValue(m, field, v) : r->SetEnumValue(m, field, v);
      return absl::OkStatus();
    }
    default:
      return absl::InternalError(
          absl::StrCat("facts: cannot write field ", field->full_name()));
  }
}

absl::Status WriteValue(const FactSchema& schema, const FactScalar& value,
                        const FieldDescriptor* field, Message* m) {
  if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) {
    return WritePlain(value, field, m);
  }
  const Reflection* r = m->GetReflection();
  Message* sub = field->is_repeated() ? r->AddMessage(m, field)
                                      : r->MutableMessage(m, field);
  const std::string& type = field->message_type()->full_name();
  if (type == "google.protobuf.Timestamp") {
    WriteTime(std::get<absl::Time>(value), sub);
    return absl::OkStatus();
  }
  if (type == "google.protobuf.Duration") {
    WriteDuration(std::get<absl::Duration>(value), sub);
    return absl::OkStatus();
  }
  if (const auto* record = std::get_if<std::unique_ptr<FactRecord>>(&value)) {
    return WriteRecord(schema, **record, sub);
  }
  // A wrapper: its `value` field holds the scalar.
  return WritePlain(value, sub->GetDescriptor()->FindFieldByNumber(1), sub);
}

absl::Status WriteRecord(const FactSchema& schema, const FactRecord& record,
                         Message* message) {
  const MessageType& type = schema.message_type(record.message_type());
  const Descriptor* d = message->GetDescriptor();
  for (const FieldDef& def : type.fields) {
    const FactSlot& slot = record.slot(def.index);
    if (slot.values.empty()) continue;
    const FieldDescriptor* field = d->FindFieldByName(def.name);
    if (field == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("facts: ", d->full_name(), " has no field ", def.name));
    }
    for (const FactScalar& value : slot.values) {
      absl::Status status = WriteValue(schema, value, field, message);
      if (!status.ok()) return status;
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> FactsToJson(const FactSchema& schema,
                                        const Descriptor* root,
                                        const FactRecord& facts) {
  if (root == nullptr || root->full_name() != schema.root_type().full_name) {
    return absl::InvalidArgumentError(
        "facts: the message type is not the schema's root");
  }
  OwnedMessage owned = NewMessageOf(root);
  Message* message = owned.message.get();
  absl::Status status = WriteRecord(schema, facts, message);
  if (!status.ok()) return status;
  std::string json;
  ::google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = false;
  const auto printed =
      ::google::protobuf::util::MessageToJsonString(*message, &json, options);
  if (!printed.ok()) {
    return absl::InternalError(absl::StrCat(
        "facts: cannot print JSON: ",
        std::string(printed.message().data(), printed.message().size())));
  }
  return json;
}

}  // namespace lantern
