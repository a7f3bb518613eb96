// TypeName: the spelling of a Type in diagnostics.
//
// Entry point: TypeName. Scalars print as their keyword ("int"), enums and
// messages as their schema full name ("lantern.v1.Episode"), lists as
// "list(<element>)" and the error type as "<error>". Without a schema (or
// with a reference the schema lacks) enums and messages print by index,
// "enum#3" / "message#2", so that a diagnostic never crashes.
#include "engine/facts/types.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "engine/facts/schema.h"

namespace lantern {
namespace {

std::string EnumName(int32_t ref, const FactSchema* schema) {
  if (schema != nullptr && ref >= 0 && ref < schema->enum_count()) {
    return schema->enum_type(ref).full_name;
  }
  return absl::StrCat("enum#", ref);
}

std::string MessageName(int32_t ref, const FactSchema* schema) {
  if (schema != nullptr && ref >= 0 && ref < schema->message_count()) {
    return schema->message_type(ref).full_name;
  }
  return absl::StrCat("message#", ref);
}

std::string ElementName(const Type& type, const FactSchema* schema) {
  switch (type.kind) {
    case TypeKind::kError:
      return "<error>";
    case TypeKind::kBool:
      return "bool";
    case TypeKind::kInt:
      return "int";
    case TypeKind::kDouble:
      return "double";
    case TypeKind::kString:
      return "string";
    case TypeKind::kTimestamp:
      return "timestamp";
    case TypeKind::kDuration:
      return "duration";
    case TypeKind::kEnum:
      return EnumName(type.ref, schema);
    case TypeKind::kMessage:
      return MessageName(type.ref, schema);
  }
  return "<error>";
}

}  // namespace

std::string TypeName(const Type& type, const FactSchema* schema) {
  if (type.is_error()) return "<error>";
  std::string element = ElementName(type.Element(), schema);
  if (type.is_list) return absl::StrCat("list(", element, ")");
  return element;
}

}  // namespace lantern
