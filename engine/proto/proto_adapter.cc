// Protobuf → engine: schemas from descriptors, facts from messages and JSON.
//
// Entry points: SchemaFromDescriptor, FactsFromMessage, FactsFromJson and
// FindFactMessage. Both directions share one field mapping, KindOf, so that a
// schema built from a descriptor always accepts messages of that descriptor.
//
// SchemaFromDescriptor is a breadth-first walk of the message graph: each
// message type is added to the builder when first seen (and so only once,
// which makes recursive types work) and its fields are added when it leaves
// the queue. FactsFromMessage walks a message and its schema type together
// by reflection, checking at each field that the descriptor still matches the
// schema, and converts values; the path of the current field is a linked
// list on the stack, rendered only for an error. FactsFromJson parses into a
// generated (or, for other pools, dynamic) message and then converts it.
#include "engine/proto/proto_adapter.h"

#include <cstdint>
#include <deque>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "engine/proto/internal/proto_adapter_message.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/util/json_util.h"

namespace lantern {
namespace {

using ::google::protobuf::Descriptor;
using ::google::protobuf::DescriptorPool;
using ::google::protobuf::EnumDescriptor;
using ::google::protobuf::FieldDescriptor;
using ::google::protobuf::Message;
using ::google::protobuf::Reflection;

constexpr int kMaxDepth = 100;
// RFC 3339 years 0001..9999, as google/protobuf/timestamp.proto requires.
constexpr int64_t kMinTimestampSeconds = -62135596800;
constexpr int64_t kMaxTimestampSeconds = 253402300799;
// ±10000 years, as google/protobuf/duration.proto requires.
constexpr int64_t kMaxDurationSeconds = 315576000000;
constexpr int32_t kMaxNanos = 999999999;

// ---------------------------------------------------------------------------
// The field mapping.

enum class WellKnown { kNone, kTimestamp, kDuration, kWrapper, kUnsupported };

WellKnown Classify(const Descriptor* message) {
  const std::string& name = message->full_name();
  if (name == "google.protobuf.Timestamp") return WellKnown::kTimestamp;
  if (name == "google.protobuf.Duration") return WellKnown::kDuration;
  if (name == "google.protobuf.BytesValue" || name == "google.protobuf.Any" ||
      name == "google.protobuf.Struct" || name == "google.protobuf.Value" ||
      name == "google.protobuf.ListValue") {
    return WellKnown::kUnsupported;
  }
  if (name == "google.protobuf.DoubleValue" ||
      name == "google.protobuf.FloatValue" ||
      name == "google.protobuf.Int64Value" ||
      name == "google.protobuf.UInt64Value" ||
      name == "google.protobuf.Int32Value" ||
      name == "google.protobuf.UInt32Value" ||
      name == "google.protobuf.BoolValue" ||
      name == "google.protobuf.StringValue") {
    return WellKnown::kWrapper;
  }
  return WellKnown::kNone;
}

// The `value` field of a wrapper message.
const FieldDescriptor* WrappedField(const Descriptor* wrapper) {
  return wrapper->FindFieldByNumber(1);
}

// OK, or why `field` cannot be a fact field.
absl::Status CheckSupported(const FieldDescriptor* field) {
  absl::string_view reason;
  if (field->is_map()) {
    reason = "map fields are not supported";
  } else if (field->type() == FieldDescriptor::TYPE_GROUP) {
    reason = "group fields are not supported";
  } else if (field->type() == FieldDescriptor::TYPE_BYTES) {
    reason = "bytes fields are not supported";
  } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
             Classify(field->message_type()) == WellKnown::kUnsupported) {
    reason = "fields of this type are not supported";
  } else {
    return absl::OkStatus();
  }
  std::string type_name =
      field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE
          ? absl::StrCat(" (", field->message_type()->full_name(), ")")
          : "";
  return absl::InvalidArgumentError(absl::StrCat("fact schema: field '",
                                                 field->full_name(), "'",
                                                 type_name, ": ", reason));
}

// The schema kind of a supported field's elements.
TypeKind KindOf(const FieldDescriptor* field) {
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_BOOL:
      return TypeKind::kBool;
    case FieldDescriptor::CPPTYPE_INT32:
    case FieldDescriptor::CPPTYPE_INT64:
    case FieldDescriptor::CPPTYPE_UINT32:
    case FieldDescriptor::CPPTYPE_UINT64:
      return TypeKind::kInt;
    case FieldDescriptor::CPPTYPE_FLOAT:
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return TypeKind::kDouble;
    case FieldDescriptor::CPPTYPE_STRING:
      return TypeKind::kString;
    case FieldDescriptor::CPPTYPE_ENUM:
      return TypeKind::kEnum;
    case FieldDescriptor::CPPTYPE_MESSAGE:
      break;
  }
  switch (Classify(field->message_type())) {
    case WellKnown::kTimestamp:
      return TypeKind::kTimestamp;
    case WellKnown::kDuration:
      return TypeKind::kDuration;
    case WellKnown::kWrapper:
      return KindOf(WrappedField(field->message_type()));
    case WellKnown::kNone:
      return TypeKind::kMessage;
    case WellKnown::kUnsupported:
      break;
  }
  return TypeKind::kError;
}

// ---------------------------------------------------------------------------
// SchemaFromDescriptor.

class SchemaWalker {
 public:
  absl::StatusOr<std::shared_ptr<const FactSchema>> Walk(
      const Descriptor* root);

 private:
  int32_t MessageRef(const Descriptor* message);
  int32_t EnumRef(const EnumDescriptor* e);
  absl::Status AddFields(int32_t index, const Descriptor* message);

  FactSchemaBuilder builder_;
  std::deque<std::pair<int32_t, const Descriptor*>> queue_;
};

absl::StatusOr<std::shared_ptr<const FactSchema>> SchemaWalker::Walk(
    const Descriptor* root) {
  const int32_t root_index = MessageRef(root);
  while (!queue_.empty()) {
    auto [index, message] = queue_.front();
    queue_.pop_front();
    absl::Status s = AddFields(index, message);
    if (!s.ok()) return s;
  }
  return std::move(builder_).Build(root_index);
}

int32_t SchemaWalker::MessageRef(const Descriptor* message) {
  int32_t index = builder_.FindMessage(message->full_name());
  if (index >= 0) return index;
  index = builder_.AddMessage(message->full_name());
  queue_.emplace_back(index, message);
  return index;
}

int32_t SchemaWalker::EnumRef(const EnumDescriptor* e) {
  int32_t index = builder_.FindEnum(e->full_name());
  if (index >= 0) return index;
  std::vector<std::pair<std::string, int32_t>> values;
  values.reserve(e->value_count());
  for (int i = 0; i < e->value_count(); ++i) {
    values.emplace_back(e->value(i)->name(), e->value(i)->number());
  }
  index = builder_.AddEnum(e->full_name(), std::move(values));
  const auto* zero = e->FindValueByNumber(0);
  builder_.SetZeroIsUnknown(
      index, zero != nullptr && absl::EndsWith(zero->name(), "_UNSPECIFIED"));
  return index;
}

absl::Status SchemaWalker::AddFields(int32_t index, const Descriptor* message) {
  for (int i = 0; i < message->field_count(); ++i) {
    const FieldDescriptor* field = message->field(i);
    absl::Status s = CheckSupported(field);
    if (!s.ok()) return s;
    Type type;
    type.kind = KindOf(field);
    if (type.kind == TypeKind::kEnum) type.ref = EnumRef(field->enum_type());
    if (type.kind == TypeKind::kMessage) {
      type.ref = MessageRef(field->message_type());
    }
    type.is_list = field->is_repeated();
    builder_.AddField(index, field->name(), type,
                      !field->is_repeated() && field->has_presence());
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// FactsFromMessage.

// A field's position below the root, rendered only for errors.
struct Path {
  const Path* parent = nullptr;
  absl::string_view name;
  int index = -1;  // element of a repeated field
};

std::string Render(const Path* path) {
  if (path == nullptr) return "";
  std::string out = Render(path->parent);
  if (!out.empty()) out += ".";
  absl::StrAppend(&out, path->name);
  if (path->index >= 0) absl::StrAppend(&out, "[", path->index, "]");
  return out;
}

// "facts.<path>: message", or "facts: message" at the root.
absl::Status FactError(const Path* path, absl::string_view message) {
  const std::string where = Render(path);
  return absl::InvalidArgumentError(
      absl::StrCat("facts", where.empty() ? "" : ".", where, ": ", message));
}

// One value of a field: singular (index -1) or one repeated element.
struct ValueRef {
  const Message* message;
  const FieldDescriptor* field;
  int index;

  const Reflection& r() const { return *message->GetReflection(); }
  bool Bool() const {
    return index < 0 ? r().GetBool(*message, field)
                     : r().GetRepeatedBool(*message, field, index);
  }
  int32_t Int32() const {
    return index < 0 ? r().GetInt32(*message, field)
                     : r().GetRepeatedInt32(*message, field, index);
  }
  int64_t Int64() const {
    return index < 0 ? r().GetInt64(*message, field)
                     : r().GetRepeatedInt64(*message, field, index);
  }
  uint32_t UInt32() const {
    return index < 0 ? r().GetUInt32(*message, field)
                     : r().GetRepeatedUInt32(*message, field, index);
  }
  uint64_t UInt64() const {
    return index < 0 ? r().GetUInt64(*message, field)
                     : r().GetRepeatedUInt64(*message, field, index);
  }
  float Float() const {
    return index < 0 ? r().GetFloat(*message, field)
                     : r().GetRepeatedFloat(*message, field, index);
  }
  double Double() const {
    return index < 0 ? r().GetDouble(*message, field)
                     : r().GetRepeatedDouble(*message, field, index);
  }
  std::string String() const {
    return index < 0 ? r().GetString(*message, field)
                     : r().GetRepeatedString(*message, field, index);
  }
  int Enum() const {
    return index < 0 ? r().GetEnumValue(*message, field)
                     : r().GetRepeatedEnumValue(*message, field, index);
  }
  const Message& Sub() const {
    return index < 0 ? r().GetMessage(*message, field)
                     : r().GetRepeatedMessage(*message, field, index);
  }
};

// A plain (non-message) value.
absl::StatusOr<FactScalar> ReadPlain(const ValueRef& v, const Path* path) {
  switch (v.field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_BOOL:
      return FactScalar(v.Bool());
    case FieldDescriptor::CPPTYPE_INT32:
      return FactScalar(static_cast<int64_t>(v.Int32()));
    case FieldDescriptor::CPPTYPE_INT64:
      return FactScalar(v.Int64());
    case FieldDescriptor::CPPTYPE_UINT32:
      return FactScalar(static_cast<int64_t>(v.UInt32()));
    case FieldDescriptor::CPPTYPE_UINT64: {
      const uint64_t value = v.UInt64();
      if (value > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return FactError(
            path, absl::StrCat("value ", value, " is too large for an int"));
      }
      return FactScalar(static_cast<int64_t>(value));
    }
    case FieldDescriptor::CPPTYPE_FLOAT:
      return FactScalar(static_cast<double>(v.Float()));
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return FactScalar(v.Double());
    case FieldDescriptor::CPPTYPE_STRING:
      return FactScalar(v.String());
    case FieldDescriptor::CPPTYPE_ENUM: {
      // proto3 enums are open: a number the enum does not name parses, but
      // it can mean nothing here, so it is refused.
      const int number = v.Enum();
      if (v.field->enum_type()->FindValueByNumber(number) == nullptr) {
        return FactError(path, absl::StrCat(number, " is not a value of ",
                                            v.field->enum_type()->full_name()));
      }
      return FactScalar(EnumNumber{static_cast<int32_t>(number)});
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      break;
  }
  return FactError(path, "internal: not a plain value");
}

// Reads int64 `seconds` and int32 `nanos` of a Timestamp or Duration.
void SecondsAndNanos(const Message& m, int64_t* seconds, int32_t* nanos) {
  const Descriptor* d = m.GetDescriptor();
  const Reflection* r = m.GetReflection();
  *seconds = r->GetInt64(m, d->FindFieldByNumber(1));
  *nanos = r->GetInt32(m, d->FindFieldByNumber(2));
}

absl::StatusOr<FactScalar> ReadTimestamp(const Message& m, const Path* path) {
  int64_t seconds;
  int32_t nanos;
  SecondsAndNanos(m, &seconds, &nanos);
  if (seconds < kMinTimestampSeconds || seconds > kMaxTimestampSeconds ||
      nanos < 0 || nanos > kMaxNanos) {
    return FactError(path, absl::StrCat("timestamp out of range (seconds=",
                                        seconds, ", nanos=", nanos,
                                        "): google.protobuf.Timestamp holds "
                                        "0001-01-01T00:00:00Z to "
                                        "9999-12-31T23:59:59.999999999Z"));
  }
  return FactScalar(absl::FromUnixSeconds(seconds) + absl::Nanoseconds(nanos));
}

absl::StatusOr<FactScalar> ReadDuration(const Message& m, const Path* path) {
  int64_t seconds;
  int32_t nanos;
  SecondsAndNanos(m, &seconds, &nanos);
  if (seconds < -kMaxDurationSeconds || seconds > kMaxDurationSeconds ||
      nanos < -kMaxNanos || nanos > kMaxNanos || (seconds > 0 && nanos < 0) ||
      (seconds < 0 && nanos > 0)) {
    return FactError(path, absl::StrCat("duration out of range (seconds=",
                                        seconds, ", nanos=", nanos, ")"));
  }
  return FactScalar(absl::Seconds(seconds) + absl::Nanoseconds(nanos));
}

class FactDecoder {
 public:
  explicit FactDecoder(const FactSchema& schema) : schema_(schema) {}

  absl::StatusOr<FactRecord> Decode(int32_t type, const Message& message,
                                    const Path* path, int depth) const;

 private:
  absl::Status CheckMatches(const FieldDef& def, const FieldDescriptor* field,
                            const Path* path) const;
  absl::Status Field(const FieldDef& def, const ValueRef& singular,
                     const Path* path, int depth, FactRecord* record) const;
  absl::StatusOr<FactScalar> Value(const Type& type, const ValueRef& v,
                                   const Path* path, int depth) const;

  const FactSchema& schema_;
};

absl::StatusOr<FactRecord> FactDecoder::Decode(int32_t type,
                                               const Message& message,
                                               const Path* path,
                                               int depth) const {
  const MessageType& mt = schema_.message_type(type);
  const Descriptor* descriptor = message.GetDescriptor();
  if (descriptor->full_name() != mt.full_name) {
    return FactError(path,
                     absl::StrCat("message is a ", descriptor->full_name(),
                                  " but the schema expects ", mt.full_name));
  }
  if (depth > kMaxDepth) {
    return FactError(
        path, absl::StrCat("messages nest deeper than ", kMaxDepth, " levels"));
  }
  FactRecord record(type, static_cast<int32_t>(mt.fields.size()));
  for (const FieldDef& def : mt.fields) {
    const Path field_path{path, def.name, -1};
    const FieldDescriptor* field = descriptor->FindFieldByName(def.name);
    absl::Status s = CheckMatches(def, field, &field_path);
    if (s.ok()) {
      s = Field(def, {&message, field, -1}, &field_path, depth, &record);
    }
    if (!s.ok()) return s;
  }
  return record;
}

absl::Status FactDecoder::CheckMatches(const FieldDef& def,
                                       const FieldDescriptor* field,
                                       const Path* path) const {
  if (field == nullptr) {
    return FactError(path, "the message has no such field");
  }
  absl::Status s = CheckSupported(field);
  if (!s.ok()) return FactError(path, s.message());
  const Type& t = def.type;
  bool same = field->is_repeated() == t.is_list && KindOf(field) == t.kind;
  if (same && t.kind == TypeKind::kEnum) {
    same =
        field->enum_type()->full_name() == schema_.enum_type(t.ref).full_name;
  }
  if (same && t.kind == TypeKind::kMessage) {
    same = field->message_type()->full_name() ==
           schema_.message_type(t.ref).full_name;
  }
  if (!same) {
    return FactError(path, absl::StrCat("field does not match the schema type ",
                                        TypeName(t, &schema_)));
  }
  return absl::OkStatus();
}

absl::Status FactDecoder::Field(const FieldDef& def, const ValueRef& singular,
                                const Path* path, int depth,
                                FactRecord* record) const {
  const Message& message = *singular.message;
  const Reflection& r = *message.GetReflection();
  if (def.type.is_list) {
    const int size = r.FieldSize(message, singular.field);
    for (int i = 0; i < size; ++i) {
      const Path element{path->parent, path->name, i};
      absl::StatusOr<FactScalar> v = Value(
          def.type.Element(), {&message, singular.field, i}, &element, depth);
      if (!v.ok()) return v.status();
      record->Append(def.index, *std::move(v));
    }
    return absl::OkStatus();
  }
  if (def.has_presence && !r.HasField(message, singular.field)) {
    return absl::OkStatus();
  }
  absl::StatusOr<FactScalar> v = Value(def.type, singular, path, depth);
  if (!v.ok()) return v.status();
  if (def.type.kind == TypeKind::kEnum &&
      schema_.enum_type(def.type.ref).zero_is_unknown &&
      std::get<EnumNumber>(*v).number == 0) {
    return absl::OkStatus();
  }
  record->Set(def.index, *std::move(v));
  return absl::OkStatus();
}

absl::StatusOr<FactScalar> FactDecoder::Value(const Type& type,
                                              const ValueRef& v,
                                              const Path* path,
                                              int depth) const {
  if (v.field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) {
    return ReadPlain(v, path);
  }
  const Message& sub = v.Sub();
  switch (type.kind) {
    case TypeKind::kTimestamp:
      return ReadTimestamp(sub, path);
    case TypeKind::kDuration:
      return ReadDuration(sub, path);
    case TypeKind::kMessage: {
      absl::StatusOr<FactRecord> record =
          Decode(type.ref, sub, path, depth + 1);
      if (!record.ok()) return record.status();
      return FactScalar(std::make_unique<FactRecord>(*std::move(record)));
    }
    default:  // a wrapper of a scalar
      return ReadPlain({&sub, WrappedField(sub.GetDescriptor()), -1}, path);
  }
}

// ---------------------------------------------------------------------------
// FactsFromJson.

// protobuf's JSON syntax errors are "<reason>\n<input near it>\n<caret>";
// diagnostics are one line: "<reason> (near '<input near it>')".
std::string OneLine(absl::string_view message) {
  std::vector<absl::string_view> lines =
      absl::StrSplit(message, '\n', absl::SkipWhitespace());
  if (lines.empty()) return "";
  absl::ConsumePrefix(&lines.front(), ": ");  // an empty field path
  const absl::string_view reason = lines.front();
  if (absl::StripAsciiWhitespace(lines.back()) != "^") {
    return absl::StrJoin(lines, " ");
  }
  std::vector<absl::string_view> near;
  for (size_t i = 1; i + 1 < lines.size(); ++i) {
    near.push_back(absl::StripAsciiWhitespace(lines[i]));
  }
  if (near.empty()) return std::string(reason);
  return absl::StrCat(reason, " (near '", absl::StrJoin(near, " "), "')");
}

}  // namespace

absl::StatusOr<std::shared_ptr<const FactSchema>> SchemaFromDescriptor(
    const Descriptor* root) {
  if (root == nullptr) {
    return absl::InvalidArgumentError("fact schema: no root message type");
  }
  return SchemaWalker().Walk(root);
}

absl::StatusOr<FactRecord> FactsFromMessage(const FactSchema& schema,
                                            const Message& message) {
  return FactDecoder(schema).Decode(schema.root(), message, nullptr, 0);
}

absl::StatusOr<FactRecord> FactsFromJson(const FactSchema& schema,
                                         const Descriptor* root,
                                         absl::string_view json) {
  if (root == nullptr || root->full_name() != schema.root_type().full_name) {
    return absl::InvalidArgumentError(absl::StrCat(
        "facts: message type ", root == nullptr ? "<null>" : root->full_name(),
        " is not the schema's root ", schema.root_type().full_name));
  }
  OwnedMessage owned = NewMessageOf(root);
  Message* message = owned.message.get();

  ::google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  options.case_insensitive_enum_parsing = false;
  const auto status = ::google::protobuf::util::JsonStringToMessage(
      ::google::protobuf::StringPiece(json.data(), json.size()), message,
      options);
  if (!status.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("facts: invalid JSON: ",
                     OneLine(absl::string_view(status.message().data(),
                                               status.message().size()))));
  }
  return FactsFromMessage(schema, *message);
}

const Descriptor* FindFactMessage(absl::string_view full_name) {
  return DescriptorPool::generated_pool()->FindMessageTypeByName(
      std::string(full_name));
}

}  // namespace lantern
