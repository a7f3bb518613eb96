// FactSchema lookups and FactSchemaBuilder.
//
// Entry point: FactSchemaBuilder::Build. The builder only records types and
// fields as they are added (so that fields may refer to types added later,
// and to their own message, for recursive schemas); Build then validates the
// whole schema in one pass — a valid root, non-empty and unique type names
// (messages and enums share one namespace, as in protobuf), unique enum value
// names, unique field names per message, and type references in range — and
// fills each message's `field_index` on the way. Lookups by name are linear
// scans for types (schemas are small and looked up only at check time) and a
// hash lookup for fields.
#include "engine/facts/schema.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace lantern {
namespace {

absl::Status SchemaError(absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat("fact schema: ", message));
}

bool IsScalarKind(TypeKind kind) {
  return kind != TypeKind::kError && kind != TypeKind::kEnum &&
         kind != TypeKind::kMessage;
}

absl::Status CheckFieldType(const FactSchema& schema, const MessageType& m,
                            const FieldDef& field) {
  const Type& t = field.type;
  const std::string where = absl::StrCat(m.full_name, ".", field.name);
  if (t.kind == TypeKind::kError) {
    return SchemaError(absl::StrCat("field '", where, "' has the error type"));
  }
  if (IsScalarKind(t.kind) && t.ref != -1) {
    return SchemaError(
        absl::StrCat("field '", where, "' is a scalar but refers to a type"));
  }
  if (t.kind == TypeKind::kEnum &&
      (t.ref < 0 || t.ref >= schema.enum_count())) {
    return SchemaError(absl::StrCat("field '", where, "' refers to enum ",
                                    t.ref, ", which does not exist"));
  }
  if (t.kind == TypeKind::kMessage &&
      (t.ref < 0 || t.ref >= schema.message_count())) {
    return SchemaError(absl::StrCat("field '", where, "' refers to message ",
                                    t.ref, ", which does not exist"));
  }
  if (t.is_list && field.has_presence) {
    return SchemaError(
        absl::StrCat("repeated field '", where, "' cannot have presence"));
  }
  return absl::OkStatus();
}

// Validates `m`'s fields and rebuilds its field_index.
absl::Status CheckMessage(const FactSchema& schema, MessageType& m) {
  m.field_index.clear();
  for (int32_t i = 0; i < static_cast<int32_t>(m.fields.size()); ++i) {
    FieldDef& field = m.fields[i];
    if (field.name.empty()) {
      return SchemaError(
          absl::StrCat("message '", m.full_name, "' has a field with no name"));
    }
    field.index = i;
    if (!m.field_index.emplace(field.name, i).second) {
      return SchemaError(absl::StrCat("message '", m.full_name,
                                      "' has two fields named '", field.name,
                                      "'"));
    }
    absl::Status s = CheckFieldType(schema, m, field);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status CheckEnum(const EnumType& e) {
  absl::flat_hash_set<absl::string_view> names;
  for (const auto& [name, number] : e.values) {
    if (name.empty()) {
      return SchemaError(
          absl::StrCat("enum '", e.full_name, "' has a value with no name"));
    }
    if (!names.insert(name).second) {
      return SchemaError(absl::StrCat("enum '", e.full_name,
                                      "' has two values named '", name, "'"));
    }
  }
  return absl::OkStatus();
}

// Type full names must be non-empty and unique across messages and enums.
absl::Status CheckTypeNames(const FactSchema& schema) {
  absl::flat_hash_set<absl::string_view> names;
  auto check = [&names](absl::string_view what, const std::string& name) {
    if (name.empty()) {
      return SchemaError(absl::StrCat("a", what, " has no name"));
    }
    if (!names.insert(name).second) {
      return SchemaError(
          absl::StrCat("type name '", name, "' is defined twice"));
    }
    return absl::OkStatus();
  };
  for (int32_t i = 0; i < schema.message_count(); ++i) {
    absl::Status s = check(" message", schema.message_type(i).full_name);
    if (!s.ok()) return s;
  }
  for (int32_t i = 0; i < schema.enum_count(); ++i) {
    absl::Status s = check("n enum", schema.enum_type(i).full_name);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace

const std::string* EnumType::NameOf(int32_t number) const {
  for (const auto& [name, value] : values) {
    if (value == number) return &name;
  }
  return nullptr;
}

bool EnumType::NumberOf(absl::string_view name, int32_t* number) const {
  for (const auto& [value_name, value] : values) {
    if (value_name == name) {
      *number = value;
      return true;
    }
  }
  return false;
}

const FieldDef* MessageType::FindField(absl::string_view name) const {
  if (field_index.empty()) {  // hand-built, never through the builder
    for (const FieldDef& field : fields) {
      if (field.name == name) return &field;
    }
    return nullptr;
  }
  auto it = field_index.find(name);
  return it == field_index.end() ? nullptr : &fields[it->second];
}

int32_t FactSchema::FindMessage(absl::string_view full_name) const {
  for (int32_t i = 0; i < message_count(); ++i) {
    if (messages_[i].full_name == full_name) return i;
  }
  return -1;
}

int32_t FactSchema::FindEnum(absl::string_view full_name) const {
  for (int32_t i = 0; i < enum_count(); ++i) {
    if (enums_[i].full_name == full_name) return i;
  }
  return -1;
}

int32_t FactSchemaBuilder::AddMessage(std::string full_name) {
  MessageType m;
  m.full_name = std::move(full_name);
  schema_.messages_.push_back(std::move(m));
  return schema_.message_count() - 1;
}

int32_t FactSchemaBuilder::AddEnum(
    std::string full_name,
    std::vector<std::pair<std::string, int32_t>> values) {
  EnumType e;
  e.full_name = std::move(full_name);
  e.values = std::move(values);
  schema_.enums_.push_back(std::move(e));
  return schema_.enum_count() - 1;
}

void FactSchemaBuilder::SetZeroIsUnknown(int32_t enum_type,
                                         bool zero_is_unknown) {
  if (enum_type < 0 || enum_type >= schema_.enum_count()) {
    if (misuse_.empty()) {
      misuse_ = absl::StrCat("SetZeroIsUnknown on enum ", enum_type,
                             ", which does not exist");
    }
    return;
  }
  schema_.enums_[enum_type].zero_is_unknown = zero_is_unknown;
}

void FactSchemaBuilder::AddField(int32_t message, std::string name, Type type,
                                 bool has_presence) {
  if (message < 0 || message >= schema_.message_count()) {
    if (misuse_.empty()) {
      misuse_ = absl::StrCat("field '", name, "' added to message ", message,
                             ", which does not exist");
    }
    return;
  }
  std::vector<FieldDef>& fields = schema_.messages_[message].fields;
  FieldDef field;
  field.name = std::move(name);
  field.index = static_cast<int32_t>(fields.size());
  field.type = type;
  field.has_presence = has_presence;
  fields.push_back(std::move(field));
}

int32_t FactSchemaBuilder::FindMessage(absl::string_view full_name) const {
  return schema_.FindMessage(full_name);
}

int32_t FactSchemaBuilder::FindEnum(absl::string_view full_name) const {
  return schema_.FindEnum(full_name);
}

absl::StatusOr<std::shared_ptr<const FactSchema>> FactSchemaBuilder::Build(
    int32_t root) && {
  if (!misuse_.empty()) return SchemaError(misuse_);
  if (root < 0 || root >= schema_.message_count()) {
    return SchemaError(absl::StrCat("root message ", root, " does not exist"));
  }
  absl::Status s = CheckTypeNames(schema_);
  if (!s.ok()) return s;
  for (const EnumType& e : schema_.enums_) {
    s = CheckEnum(e);
    if (!s.ok()) return s;
  }
  for (MessageType& m : schema_.messages_) {
    s = CheckMessage(schema_, m);
    if (!s.ok()) return s;
  }
  schema_.root_ = root;
  return std::make_shared<const FactSchema>(std::move(schema_));
}

}  // namespace lantern
