// The one adapter between protobuf and the engine.
//
// The engine core never includes protobuf: it reads a FactSchema and
// FactRecords. This adapter makes both from protobuf — a schema from a
// message descriptor, facts from a message (via reflection) or from protobuf
// JSON — and turns facts back into protobuf JSON (FactsToJson, for
// counterexamples the engine generates). Nothing else in the engine links
// against protobuf.
//
// Field mapping (SchemaFromDescriptor):
//   bool → bool; all 32/64-bit integers → int (a uint64 value above INT64_MAX
//   is a decode error); float, double → double; string → string; enum → that
//   enum (values in declaration order; `zero_is_unknown` iff the value
//   numbered 0 is named `*_UNSPECIFIED`); google.protobuf.Timestamp →
//   timestamp; google.protobuf.Duration → duration; the wrappers
//   (Int32Value, StringValue, ...; not BytesValue) → their scalar; any other
//   message → that message; repeated → a list. Message fields (also
//   timestamps, durations and wrappers), proto3 `optional` scalars, oneof
//   members and proto2 optional fields have presence; plain proto3 scalars and
//   repeated fields do not. bytes, map and group fields and the types Any,
//   Struct, Value, ListValue and BytesValue are rejected (INVALID_ARGUMENT
//   naming the field). Fields keep their proto names ("found_at").
//
// Decoding (FactsFromMessage, FactsFromJson): a field with presence that is
// not set stays unset (reads UNKNOWN); a singular enum holding 0 of a
// `zero_is_unknown` enum stays unset; other singular fields are always set,
// to their value even when it is zero; repeated fields append each element.
// An enum number the enum does not name (proto3 enums are open, so it
// parses) is an error. Errors are INVALID_ARGUMENT and name the field by
// its path from the root, written "facts.episode.found.with[2].times_seen:
// <problem>" ("facts: <problem>" for the root itself).
//
// Thread-safety: every function is safe to call concurrently. A returned
// schema or record does not refer to the descriptors it was made from.
#ifndef LANTERN_ENGINE_PROTO_PROTO_ADAPTER_H_
#define LANTERN_ENGINE_PROTO_PROTO_ADAPTER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/facts/facts.h"
#include "engine/facts/schema.h"
#include "engine/facts/types.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace lantern {

// The schema of every message type reachable from `root`; `root` is the
// schema's root and is message 0. Each message and enum type is added once,
// so recursive messages are fine. INVALID_ARGUMENT on an unsupported field
// or a null `root`.
absl::StatusOr<std::shared_ptr<const FactSchema>> SchemaFromDescriptor(
    const google::protobuf::Descriptor* root);

// The facts in `message`, whose type must be `schema`'s root (same full
// names throughout; SchemaFromDescriptor of its descriptor is such a
// schema). INVALID_ARGUMENT on a mismatch, a value out of range (uint64 above
// INT64_MAX, a Timestamp outside 0001-01-01..9999-12-31, a Duration beyond
// ±10000 years or with bad nanos) or nesting deeper than 100 messages.
absl::StatusOr<FactRecord> FactsFromMessage(
    const FactSchema& schema, const google::protobuf::Message& message);

// Parses protobuf JSON as a message of type `root` (which must be `schema`'s
// root), then as FactsFromMessage. Unknown field names are an error, never
// ignored. INVALID_ARGUMENT "facts: invalid JSON: <protobuf's reason>".
absl::StatusOr<FactRecord> FactsFromJson(
    const FactSchema& schema, const google::protobuf::Descriptor* root,
    absl::string_view json);

// The reverse of FactsFromJson: `facts` (shaped by `schema`, whose root is
// `root`) as protobuf JSON with lowerCamelCase names, unset fields left
// out, so that FactsFromJson of the result gives the same facts.
// INVALID_ARGUMENT when `root` is not the schema's root or a field is
// missing from it.
absl::StatusOr<std::string> FactsToJson(
    const FactSchema& schema, const google::protobuf::Descriptor* root,
    const FactRecord& facts);

// A field's position below the root message while a message is decoded:
// `field` of the message at `parent` (null: of the root), element `index`
// of a repeated field (-1: the field itself, or a singular field). Valid
// only during the visitor call it is passed to.
struct FactPath {
  const FactPath* parent = nullptr;
  const FieldDef* field = nullptr;
  int index = -1;

  // "episode.found.with.people[2].age_years" (no "facts." prefix).
  std::string Render() const;
};

// Hooks for a caller that checks more than the decoder does while the
// message is decoded (the service's size limits, catalogue codes, unknown
// fields), so that the message is walked once. Each is called in the walk's
// order: fields in schema (declaration) order, depth first. `path` null is
// the root message.
class FactDecodeVisitor {
 public:
  virtual ~FactDecodeVisitor() = default;
  // Every message decoded or read (the root, nested facts messages, and the
  // Timestamp, Duration and wrapper messages of set fields), before its
  // fields.
  virtual void OnMessage(const google::protobuf::Message& message,
                         const FactPath* path) = 0;
  // Every string value: a singular string field, set or not, and each
  // element of a repeated one (`path->index` is the element).
  virtual void OnString(const google::protobuf::FieldDescriptor& field,
                        const std::string& value, const FactPath* path) = 0;
  // A repeated field with `size` > 0 elements, before and after them.
  virtual void OnRepeatedBegin(const google::protobuf::FieldDescriptor& field,
                               int size, const FactPath* path) = 0;
  virtual void OnRepeatedEnd(const google::protobuf::FieldDescriptor& field,
                             int size) = 0;
};

// FactsFromMessage with every descriptor and field lookup done once, when
// the decoder is made: the fact schema's message types are matched to the
// descriptors reachable from `root`, field by field. Decode then reads the
// message by reflection through that plan. A schema field that does not
// match its descriptor is not an error of Make: it is reported by Decode
// when a message of that type is decoded, as FactsFromMessage does.
//
// Thread-safety: immutable after Make; Decode may be called concurrently.
class ProtoFactDecoder {
 public:
  // REQUIRES: `root` is non-null.
  static std::shared_ptr<const ProtoFactDecoder> Make(
      std::shared_ptr<const FactSchema> schema,
      const google::protobuf::Descriptor* root);

  // The decoder of `schema` for `root`, made once per (schema, root) and
  // kept while the schema lives (a process-wide cache).
  // REQUIRES: `schema` and `root` are non-null.
  static std::shared_ptr<const ProtoFactDecoder> For(
      const std::shared_ptr<const FactSchema>& schema,
      const google::protobuf::Descriptor* root);

  // As FactsFromMessage. With a `visitor`, the walk goes on after the first
  // decoding error (which is still the one returned), so that the visitor
  // sees every field; messages nested deeper than the depth limit are not
  // visited.
  absl::StatusOr<FactRecord> Decode(const google::protobuf::Message& message,
                                    FactDecodeVisitor* visitor = nullptr) const;

  // Whether every message type reachable from the root matched its
  // descriptor field for field (no field missing on either side), so that
  // Decode visits every field a message can hold.
  bool exact() const { return exact_; }
  const FactSchema& schema() const { return *schema_; }

  ~ProtoFactDecoder();

  struct Plan;  // per schema message type; private to the adapter

 private:
  ProtoFactDecoder();

  std::shared_ptr<const FactSchema> schema_;
  const google::protobuf::Descriptor* root_ = nullptr;
  std::vector<Plan> plans_;  // by schema message index
  bool exact_ = true;
};

// The compiled-in message type named `full_name`
// (DescriptorPool::generated_pool()), or nullptr.
const google::protobuf::Descriptor* FindFactMessage(
    absl::string_view full_name);

}  // namespace lantern

#endif  // LANTERN_ENGINE_PROTO_PROTO_ADAPTER_H_
