// Protobuf → engine: schemas from descriptors, facts from messages and JSON.
//
// Entry points: SchemaFromDescriptor, FactsFromMessage, FactsFromJson and
// FindFactMessage. Both directions share one field mapping, KindOf, so that a
// schema built from a descriptor always accepts messages of that descriptor.
//
// SchemaFromDescriptor is a breadth-first walk of the message graph: each
// message type is added to the builder when first seen (and so only once,
// which makes recursive types work) and its fields are added when it leaves
// the queue. ProtoFactDecoder::Make matches the schema's message types to
// the descriptors reachable from a root, once, into one plan per type (each
// field's descriptor, how its values read, its enum's numbers, or why it
// does not match); Decode walks a message along those plans by reflection,
// with the path of the current field a linked list on the stack, rendered
// only for an error. FactsFromMessage is a decoder made for one call.
// FactsFromJson parses into a generated (or, for other pools, dynamic)
// message and then converts it.
#include "engine/proto/proto_adapter.h"

#include <algorithm>
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
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "engine/proto/internal/proto_adapter_message.h"
#include "engine/proto/proto_fact_decoder.h"
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
// ProtoFactDecoder and FactsFromMessage.

// "facts.<path>: message", or "facts: message" at the root.
absl::Status FactError(const FactPath* path, absl::string_view message) {
  if (path == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("facts: ", message));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("facts.", path->Render(), ": ", message));
}

// How a value is read: the C++ type of a plain value, or what a message
// field holds.
enum class Read : uint8_t {
  kBool,
  kInt32,
  kInt64,
  kUInt32,
  kUInt64,
  kFloat,
  kDouble,
  kString,
  kEnum,
  kTimestamp,
  kDuration,
  kWrapper,
  kMessage,
};

Read PlainRead(const FieldDescriptor* field) {
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_BOOL:
      return Read::kBool;
    case FieldDescriptor::CPPTYPE_INT32:
      return Read::kInt32;
    case FieldDescriptor::CPPTYPE_INT64:
      return Read::kInt64;
    case FieldDescriptor::CPPTYPE_UINT32:
      return Read::kUInt32;
    case FieldDescriptor::CPPTYPE_UINT64:
      return Read::kUInt64;
    case FieldDescriptor::CPPTYPE_FLOAT:
      return Read::kFloat;
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return Read::kDouble;
    case FieldDescriptor::CPPTYPE_STRING:
      return Read::kString;
    case FieldDescriptor::CPPTYPE_ENUM:
      return Read::kEnum;
    case FieldDescriptor::CPPTYPE_MESSAGE:
      break;
  }
  return Read::kMessage;
}

// One schema field matched to its descriptor, with what reading it needs.
struct FieldPlan {
  const FieldDef* def = nullptr;
  // The error for this field ("the message has no such field", ...) when it
  // does not match the schema; empty when it does.
  std::string mismatch;
  const FieldDescriptor* field = nullptr;
  Read read = Read::kMessage;
  // kWrapper: the wrapper's `value` field and how it reads.
  const FieldDescriptor* wrapped = nullptr;
  Read wrapped_read = Read::kMessage;
  // kTimestamp, kDuration: `seconds` and `nanos`.
  const FieldDescriptor* seconds = nullptr;
  const FieldDescriptor* nanos = nullptr;
  // kEnum: the enum, the numbers it names, sorted, and whether 0 is
  // unknown.
  const EnumDescriptor* enum_type = nullptr;
  std::vector<int> enum_numbers;
  bool zero_is_unknown = false;
};

}  // namespace

struct ProtoFactDecoder::Plan {
  const Descriptor* descriptor = nullptr;  // null: never reached
  std::vector<FieldPlan> fields;           // schema field order
};

namespace {

// The mismatch text of `field` (may be null) against `def`, or empty.
std::string Mismatch(const FactSchema& schema, const FieldDef& def,
                     const FieldDescriptor* field) {
  if (field == nullptr) return "the message has no such field";
  absl::Status s = CheckSupported(field);
  if (!s.ok()) return std::string(s.message());
  const Type& t = def.type;
  bool same = field->is_repeated() == t.is_list && KindOf(field) == t.kind;
  if (same && t.kind == TypeKind::kEnum) {
    same = field->enum_type()->full_name() == schema.enum_type(t.ref).full_name;
  }
  if (same && t.kind == TypeKind::kMessage) {
    same = field->message_type()->full_name() ==
           schema.message_type(t.ref).full_name;
  }
  if (!same) {
    return absl::StrCat("field does not match the schema type ",
                        TypeName(t, &schema));
  }
  return "";
}

// One call's walk over a message along the decoder's plans.
class DecodeWalk {
 public:
  DecodeWalk(const FactSchema& schema,
             const std::vector<ProtoFactDecoder::Plan>& plans,
             FactDecodeVisitor* visitor)
      : schema_(schema), plans_(plans), visitor_(visitor) {}

  // Decodes `message` as schema type `type` into `record`.
  void Decode(int32_t type, const Message& message, const FactPath* path,
              int depth, FactRecord* record);

  // Whether to stop: an error, and no visitor to show the rest to.
  bool stopped() const { return !status_.ok() && visitor_ == nullptr; }
  absl::Status& status() { return status_; }

 private:
  void Fail(const FactPath* path, absl::string_view message) {
    if (status_.ok()) status_ = FactError(path, message);
  }
  void Field(const FieldPlan& plan, const Message& message, const Reflection& r,
             const FactPath* path, int depth, FactRecord* record);
  // One value of `plan`'s field (element `path->index`, or singular).
  // False (and the error noted) when it cannot be decoded.
  bool Value(const FieldPlan& plan, const Message& message, const Reflection& r,
             const FactPath* path, int depth, FactScalar* out);
  bool Plain(Read read, const FieldDescriptor* field, const EnumDescriptor* e,
             const FieldPlan& plan, const Message& m, const Reflection& r,
             int index, const FactPath* path, FactScalar* out);

  const FactSchema& schema_;
  const std::vector<ProtoFactDecoder::Plan>& plans_;
  FactDecodeVisitor* visitor_;
  absl::Status status_;
};

void DecodeWalk::Decode(int32_t type, const Message& message,
                        const FactPath* path, int depth, FactRecord* record) {
  const ProtoFactDecoder::Plan& plan = plans_[type];
  const Descriptor* descriptor = message.GetDescriptor();
  if (descriptor != plan.descriptor) {
    // Only a root of another type gets here (nested messages are of the
    // descriptors the plan was made from).
    Fail(path, absl::StrCat("message is a ", descriptor->full_name(),
                            " but the schema expects ",
                            schema_.message_type(type).full_name));
    return;
  }
  if (depth > kMaxDepth) {
    Fail(path,
         absl::StrCat("messages nest deeper than ", kMaxDepth, " levels"));
    return;
  }
  if (visitor_ != nullptr) visitor_->OnMessage(message, path);
  const Reflection& r = *message.GetReflection();
  for (const FieldPlan& field : plan.fields) {
    const FactPath field_path{path, field.def, -1};
    if (!field.mismatch.empty()) {
      Fail(&field_path, field.mismatch);
    } else {
      Field(field, message, r, &field_path, depth, record);
    }
    if (stopped()) return;
  }
}

void DecodeWalk::Field(const FieldPlan& plan, const Message& message,
                       const Reflection& r, const FactPath* path, int depth,
                       FactRecord* record) {
  if (plan.def->type.is_list) {
    const int size = r.FieldSize(message, plan.field);
    if (size == 0) return;
    if (visitor_ != nullptr) visitor_->OnRepeatedBegin(*plan.field, size, path);
    for (int i = 0; i < size && !stopped(); ++i) {
      const FactPath element{path->parent, path->field, i};
      FactScalar v;
      if (Value(plan, message, r, &element, depth, &v)) {
        record->Append(plan.def->index, std::move(v));
      }
    }
    if (visitor_ != nullptr) visitor_->OnRepeatedEnd(*plan.field, size);
    return;
  }
  if (plan.def->has_presence && !r.HasField(message, plan.field)) return;
  FactScalar v;
  if (!Value(plan, message, r, path, depth, &v)) return;
  if (plan.zero_is_unknown && std::get<EnumNumber>(v).number == 0) return;
  record->Set(plan.def->index, std::move(v));
}

bool DecodeWalk::Value(const FieldPlan& plan, const Message& message,
                       const Reflection& r, const FactPath* path, int depth,
                       FactScalar* out) {
  if (plan.read != Read::kTimestamp && plan.read != Read::kDuration &&
      plan.read != Read::kWrapper && plan.read != Read::kMessage) {
    return Plain(plan.read, plan.field, plan.enum_type, plan, message, r,
                 path->index, path, out);
  }
  const Message& sub =
      path->index < 0 ? r.GetMessage(message, plan.field)
                      : r.GetRepeatedMessage(message, plan.field, path->index);
  if (plan.read == Read::kMessage) {
    auto record = std::make_unique<FactRecord>(
        plan.def->type.ref,
        static_cast<int32_t>(
            schema_.message_type(plan.def->type.ref).fields.size()));
    Decode(plan.def->type.ref, sub, path, depth + 1, record.get());
    if (!status_.ok()) return false;
    *out = FactScalar(std::move(record));
    return true;
  }
  if (visitor_ != nullptr) visitor_->OnMessage(sub, path);
  const Reflection& sr = *sub.GetReflection();
  if (plan.read == Read::kWrapper) {
    return Plain(plan.wrapped_read, plan.wrapped, nullptr, plan, sub, sr, -1,
                 path, out);
  }
  const int64_t seconds = sr.GetInt64(sub, plan.seconds);
  const int32_t nanos = sr.GetInt32(sub, plan.nanos);
  if (plan.read == Read::kTimestamp) {
    if (seconds < kMinTimestampSeconds || seconds > kMaxTimestampSeconds ||
        nanos < 0 || nanos > kMaxNanos) {
      Fail(path, absl::StrCat("timestamp out of range (seconds=", seconds,
                              ", nanos=", nanos,
                              "): google.protobuf.Timestamp holds "
                              "0001-01-01T00:00:00Z to "
                              "9999-12-31T23:59:59.999999999Z"));
      return false;
    }
    *out =
        FactScalar(absl::FromUnixSeconds(seconds) + absl::Nanoseconds(nanos));
    return true;
  }
  if (seconds < -kMaxDurationSeconds || seconds > kMaxDurationSeconds ||
      nanos < -kMaxNanos || nanos > kMaxNanos || (seconds > 0 && nanos < 0) ||
      (seconds < 0 && nanos > 0)) {
    Fail(path, absl::StrCat("duration out of range (seconds=", seconds,
                            ", nanos=", nanos, ")"));
    return false;
  }
  *out = FactScalar(absl::Seconds(seconds) + absl::Nanoseconds(nanos));
  return true;
}

bool DecodeWalk::Plain(Read read, const FieldDescriptor* field,
                       const EnumDescriptor* e, const FieldPlan& plan,
                       const Message& m, const Reflection& r, int index,
                       const FactPath* path, FactScalar* out) {
  const bool one = index < 0;
  switch (read) {
    case Read::kBool:
      *out = one ? r.GetBool(m, field) : r.GetRepeatedBool(m, field, index);
      return true;
    case Read::kInt32:
      *out = static_cast<int64_t>(one ? r.GetInt32(m, field)
                                      : r.GetRepeatedInt32(m, field, index));
      return true;
    case Read::kInt64:
      *out = one ? r.GetInt64(m, field) : r.GetRepeatedInt64(m, field, index);
      return true;
    case Read::kUInt32:
      *out = static_cast<int64_t>(one ? r.GetUInt32(m, field)
                                      : r.GetRepeatedUInt32(m, field, index));
      return true;
    case Read::kUInt64: {
      const uint64_t value =
          one ? r.GetUInt64(m, field) : r.GetRepeatedUInt64(m, field, index);
      if (value > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        Fail(path, absl::StrCat("value ", value, " is too large for an int"));
        return false;
      }
      *out = static_cast<int64_t>(value);
      return true;
    }
    case Read::kFloat:
      *out = static_cast<double>(one ? r.GetFloat(m, field)
                                     : r.GetRepeatedFloat(m, field, index));
      return true;
    case Read::kDouble:
      *out = one ? r.GetDouble(m, field) : r.GetRepeatedDouble(m, field, index);
      return true;
    case Read::kString: {
      std::string scratch;
      const std::string& value =
          one ? r.GetStringReference(m, field, &scratch)
              : r.GetRepeatedStringReference(m, field, index, &scratch);
      if (visitor_ != nullptr) visitor_->OnString(*field, value, path);
      out->emplace<std::string>(value);
      return true;
    }
    case Read::kEnum: {
      // proto3 enums are open: a number the enum does not name parses, but
      // it can mean nothing here, so it is refused.
      const int number = one ? r.GetEnumValue(m, field)
                             : r.GetRepeatedEnumValue(m, field, index);
      if (!std::binary_search(plan.enum_numbers.begin(),
                              plan.enum_numbers.end(), number)) {
        Fail(path, absl::StrCat(number, " is not a value of ", e->full_name()));
        return false;
      }
      *out = EnumNumber{static_cast<int32_t>(number)};
      return true;
    }
    default:
      break;
  }
  Fail(path, "internal: not a plain value");
  return false;
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

std::string FactPath::Render() const {
  std::string parent_path = parent == nullptr ? "" : parent->Render();
  if (!parent_path.empty()) parent_path += ".";
  absl::StrAppend(&parent_path, field->name);
  if (index >= 0) absl::StrAppend(&parent_path, "[", index, "]");
  return parent_path;
}

ProtoFactDecoder::ProtoFactDecoder() = default;
ProtoFactDecoder::~ProtoFactDecoder() = default;

std::shared_ptr<const ProtoFactDecoder> ProtoFactDecoder::Make(
    std::shared_ptr<const FactSchema> schema, const Descriptor* root) {
  std::shared_ptr<ProtoFactDecoder> d(new ProtoFactDecoder());
  d->schema_ = std::move(schema);
  d->root_ = root;
  const FactSchema& s = *d->schema_;
  d->plans_.resize(s.message_count());
  if (root->full_name() != s.root_type().full_name) {
    d->exact_ = false;  // Decode reports the root's type
    return d;
  }
  std::deque<int32_t> queue;
  d->plans_[s.root()].descriptor = root;
  queue.push_back(s.root());
  while (!queue.empty()) {
    const int32_t type = queue.front();
    queue.pop_front();
    Plan& plan = d->plans_[type];
    const MessageType& mt = s.message_type(type);
    if (plan.descriptor->field_count() != static_cast<int>(mt.fields.size())) {
      d->exact_ = false;
    }
    plan.fields.reserve(mt.fields.size());
    for (const FieldDef& def : mt.fields) {
      FieldPlan& fp = plan.fields.emplace_back();
      fp.def = &def;
      fp.field = plan.descriptor->FindFieldByName(def.name);
      fp.mismatch = Mismatch(s, def, fp.field);
      if (!fp.mismatch.empty()) {
        d->exact_ = false;
        continue;
      }
      const FieldDescriptor* f = fp.field;
      fp.read = PlainRead(f);
      if (fp.read == Read::kEnum) {
        const EnumDescriptor* e = f->enum_type();
        fp.enum_type = e;
        for (int i = 0; i < e->value_count(); ++i) {
          fp.enum_numbers.push_back(e->value(i)->number());
        }
        std::sort(fp.enum_numbers.begin(), fp.enum_numbers.end());
        fp.zero_is_unknown =
            !def.type.is_list && s.enum_type(def.type.ref).zero_is_unknown;
      }
      if (fp.read != Read::kMessage) continue;
      const Descriptor* sub = f->message_type();
      switch (Classify(sub)) {
        case WellKnown::kTimestamp:
        case WellKnown::kDuration:
          fp.read = Classify(sub) == WellKnown::kTimestamp ? Read::kTimestamp
                                                           : Read::kDuration;
          fp.seconds = sub->FindFieldByNumber(1);
          fp.nanos = sub->FindFieldByNumber(2);
          break;
        case WellKnown::kWrapper:
          fp.read = Read::kWrapper;
          fp.wrapped = WrappedField(sub);
          fp.wrapped_read = PlainRead(fp.wrapped);
          break;
        default: {
          Plan& sub_plan = d->plans_[def.type.ref];
          if (sub_plan.descriptor == nullptr) {
            sub_plan.descriptor = sub;
            queue.push_back(def.type.ref);
          }
          break;
        }
      }
    }
  }
  return d;
}

std::shared_ptr<const ProtoFactDecoder> ProtoFactDecoder::For(
    const std::shared_ptr<const FactSchema>& schema, const Descriptor* root) {
  struct Entry {
    // Identity by owner and address: the weak reference keeps the owner's
    // control block, so no other schema can take it while the entry is here.
    std::weak_ptr<const FactSchema> schema;
    const FactSchema* address;
    const Descriptor* root;
    std::shared_ptr<const ProtoFactDecoder> decoder;
  };
  static absl::Mutex mu(absl::kConstInit);
  static auto* cache = new std::vector<Entry>();
  const auto same = [&](const Entry& e) {
    return e.root == root && e.address == schema.get() &&
           !e.schema.owner_before(schema) && !schema.owner_before(e.schema) &&
           !e.schema.expired();
  };
  {
    absl::ReaderMutexLock lock(&mu);
    for (const Entry& e : *cache) {
      if (same(e)) return e.decoder;
    }
  }
  std::shared_ptr<const ProtoFactDecoder> made = Make(schema, root);
  absl::MutexLock lock(&mu);
  cache->erase(
      std::remove_if(cache->begin(), cache->end(),
                     [](const Entry& e) { return e.schema.expired(); }),
      cache->end());
  for (const Entry& e : *cache) {
    if (same(e)) return e.decoder;
  }
  cache->push_back({schema, schema.get(), root, made});
  return made;
}

absl::StatusOr<FactRecord> ProtoFactDecoder::Decode(
    const Message& message, FactDecodeVisitor* visitor) const {
  const MessageType& mt = schema_->root_type();
  if (message.GetDescriptor() != root_ &&
      message.GetDescriptor()->full_name() == mt.full_name) {
    // The same type from another pool: a plan of its own.
    return Make(schema_, message.GetDescriptor())->Decode(message, visitor);
  }
  DecodeWalk walk(*schema_, plans_, visitor);
  FactRecord record(schema_->root(), static_cast<int32_t>(mt.fields.size()));
  walk.Decode(schema_->root(), message, nullptr, 0, &record);
  if (!walk.status().ok()) return std::move(walk.status());
  return record;
}

absl::StatusOr<FactRecord> FactsFromMessage(const FactSchema& schema,
                                            const Message& message) {
  // Not owned: the decoder lives only for this call.
  std::shared_ptr<const FactSchema> unowned(std::shared_ptr<void>(), &schema);
  return ProtoFactDecoder::Make(unowned, message.GetDescriptor())
      ->Decode(message);
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
