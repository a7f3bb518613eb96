// FactSchema: the typed shape of the facts a ruleset is written against.
//
// The schema is a set of message types (each an ordered list of fields) and
// enum types, with one root message: the fact message a ruleset names in its
// manifest. It is built once, by the protobuf adapter
// (engine/proto/proto_adapter.h) from a message descriptor or by tests by hand,
// and is immutable afterwards. The engine core never sees protobuf; names are
// resolved against this schema at check time into dense (message, field)
// indices so that evaluation never looks a name up.
//
// Presence: a field `has_presence` when "not set" differs from its zero value
// (proto3 `optional` scalars, message fields, timestamps and durations).
// Unset fields with presence read UNKNOWN. Enums whose zero value is an
// `*_UNSPECIFIED` name also read UNKNOWN at zero (`zero_is_unknown`).
//
// Thread-safety: immutable after FactSchemaBuilder::Build; safe to share.
#ifndef LANTERN_ENGINE_FACTS_SCHEMA_H_
#define LANTERN_ENGINE_FACTS_SCHEMA_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/facts/types.h"

namespace lantern {

struct EnumType {
  std::string full_name;                                // "lantern.v1.Status"
  std::vector<std::pair<std::string, int32_t>> values;  // declaration order
  bool zero_is_unknown = false;

  // Returns nullptr / false when absent.
  const std::string* NameOf(int32_t number) const;
  bool NumberOf(absl::string_view name, int32_t* number) const;
};

struct FieldDef {
  std::string name;
  int32_t index = 0;  // position in MessageType::fields
  Type type;          // is_list for repeated fields
  bool has_presence = false;
};

struct MessageType {
  std::string full_name;
  std::vector<FieldDef> fields;

  // Returns nullptr when there is no such field.
  const FieldDef* FindField(absl::string_view name) const;

  absl::flat_hash_map<std::string, int32_t> field_index;
};

class FactSchema {
 public:
  int32_t root() const { return root_; }
  const MessageType& message_type(int32_t i) const { return messages_[i]; }
  const EnumType& enum_type(int32_t i) const { return enums_[i]; }
  int32_t message_count() const {
    return static_cast<int32_t>(messages_.size());
  }
  int32_t enum_count() const { return static_cast<int32_t>(enums_.size()); }
  const MessageType& root_type() const { return messages_[root_]; }

  // -1 when absent.
  int32_t FindMessage(absl::string_view full_name) const;
  int32_t FindEnum(absl::string_view full_name) const;

 private:
  friend class FactSchemaBuilder;
  int32_t root_ = -1;
  std::vector<MessageType> messages_;
  std::vector<EnumType> enums_;
};

// Builds a FactSchema. Types are added first (so that fields can refer to
// them by index, also recursively), then fields, then Build().
class FactSchemaBuilder {
 public:
  int32_t AddMessage(std::string full_name);
  int32_t AddEnum(std::string full_name,
                  std::vector<std::pair<std::string, int32_t>> values);
  // Marks an enum whose zero value means "not known" (EnumType docs).
  // REQUIRES: `enum_type` was returned by AddEnum.
  void SetZeroIsUnknown(int32_t enum_type, bool zero_is_unknown);
  // REQUIRES: `message` was returned by AddMessage; names unique per message.
  void AddField(int32_t message, std::string name, Type type,
                bool has_presence);
  // -1 when absent.
  int32_t FindMessage(absl::string_view full_name) const;
  int32_t FindEnum(absl::string_view full_name) const;

  // Fails (INVALID_ARGUMENT) on duplicate names, dangling references or a
  // missing root. A violated REQUIRES of the calls above is reported here.
  absl::StatusOr<std::shared_ptr<const FactSchema>> Build(int32_t root) &&;

 private:
  FactSchema schema_;
  std::string misuse_;  // first REQUIRES violation; empty when none
};

}  // namespace lantern

#endif  // LANTERN_ENGINE_FACTS_SCHEMA_H_
