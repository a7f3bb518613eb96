// FactTypes: where the engine gets fact schemas and decodes facts.
//
// A ruleset names its fact message by its fully qualified protobuf name; the
// engine core does not know protobuf, so the loader and the rule-test runner
// ask this interface. The one implementation backed by protobuf descriptors
// is ProtoFactTypes (engine/proto/proto_fact_types.h); tests may supply their
// own.
//
// Thread-safety: implementations must be safe to call concurrently.
#ifndef LANTERN_ENGINE_FACTS_FACT_TYPES_H_
#define LANTERN_ENGINE_FACTS_FACT_TYPES_H_

#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/facts/facts.h"
#include "engine/facts/schema.h"

namespace lantern {

class FactTypes {
 public:
  virtual ~FactTypes() = default;

  // NOT_FOUND when no such message type is known.
  virtual absl::StatusOr<std::shared_ptr<const FactSchema>> SchemaFor(
      absl::string_view message_name) const = 0;

  // Decodes protobuf JSON of `message_name` into facts shaped by `schema`
  // (which SchemaFor returned). INVALID_ARGUMENT names the bad field.
  virtual absl::StatusOr<FactRecord> DecodeJson(
      const FactSchema& schema, absl::string_view message_name,
      absl::string_view json) const = 0;
};

}  // namespace lantern

#endif  // LANTERN_ENGINE_FACTS_FACT_TYPES_H_
