// ProtoFactDecoder: FactsFromMessage (engine/proto/proto_adapter.h) with
// every descriptor and field lookup done once per fact schema, and hooks
// for a caller that checks more while the message is decoded, so that a
// request's facts are walked once. Implemented in proto_adapter.cc, with
// the field mapping it shares with the schema.
//
// Thread-safety: FactPath and a visitor belong to one Decode call; a
// decoder is immutable and shared (see ProtoFactDecoder).
#ifndef LANTERN_ENGINE_PROTO_PROTO_FACT_DECODER_H_
#define LANTERN_ENGINE_PROTO_PROTO_FACT_DECODER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/facts/facts.h"
#include "engine/facts/schema.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace lantern {

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

}  // namespace lantern

#endif  // LANTERN_ENGINE_PROTO_PROTO_FACT_DECODER_H_
