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

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/facts/facts.h"
#include "engine/facts/schema.h"
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

// The compiled-in message type named `full_name`
// (DescriptorPool::generated_pool()), or nullptr.
const google::protobuf::Descriptor* FindFactMessage(
    absl::string_view full_name);

}  // namespace lantern

#endif  // LANTERN_ENGINE_PROTO_PROTO_ADAPTER_H_
