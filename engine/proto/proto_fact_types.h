// ProtoFactTypes: FactTypes backed by the protobuf messages compiled into
// the binary (DescriptorPool::generated_pool()).
//
// Schemas are built once per message name and cached; decoding goes through
// the protobuf adapter (engine/proto/proto_adapter.h), so unknown JSON fields
// are errors and values out of range name their field path.
//
// Thread-safety: safe to use from many threads (the cache is locked).
#ifndef LANTERN_ENGINE_PROTO_PROTO_FACT_TYPES_H_
#define LANTERN_ENGINE_PROTO_PROTO_FACT_TYPES_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "engine/facts/fact_types.h"

namespace lantern {

class ProtoFactTypes : public FactTypes {
 public:
  absl::StatusOr<std::shared_ptr<const FactSchema>> SchemaFor(
      absl::string_view message_name) const override;
  absl::StatusOr<FactRecord> DecodeJson(const FactSchema& schema,
                                        absl::string_view message_name,
                                        absl::string_view json) const override;

 private:
  mutable absl::Mutex mu_;
  mutable absl::flat_hash_map<std::string, std::shared_ptr<const FactSchema>>
      cache_ ABSL_GUARDED_BY(mu_);
};

}  // namespace lantern

#endif  // LANTERN_ENGINE_PROTO_PROTO_FACT_TYPES_H_
