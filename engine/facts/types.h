// Types of the condition language.
//
// Every expression the checker accepts has exactly one Type. Scalars are
// bool, int (64-bit), double, string, timestamp and duration; enums and
// messages name a type in the FactSchema (or, for enums, a vocabulary the
// policy declares) by index; a list is a repeated field or a list literal of
// one element type. Lists do not nest.
//
// Thread-safety: plain values.
#ifndef LANTERN_ENGINE_FACTS_TYPES_H_
#define LANTERN_ENGINE_FACTS_TYPES_H_

#include <cstdint>
#include <string>

namespace lantern {

class FactSchema;

enum class TypeKind : uint8_t {
  kError,  // the expression is already wrong; suppresses follow-on errors
  kBool,
  kInt,
  kDouble,
  kString,
  kTimestamp,
  kDuration,
  kEnum,     // `ref` indexes FactSchema::enum_type()
  kMessage,  // `ref` indexes FactSchema::message_type()
};

struct Type {
  TypeKind kind = TypeKind::kError;
  bool is_list = false;  // a list of `kind` elements
  int32_t ref = -1;      // enum or message index; -1 for other kinds

  static Type Error() { return {}; }
  static Type Bool() { return {TypeKind::kBool, false, -1}; }
  static Type Int() { return {TypeKind::kInt, false, -1}; }
  static Type Double() { return {TypeKind::kDouble, false, -1}; }
  static Type String() { return {TypeKind::kString, false, -1}; }
  static Type Timestamp() { return {TypeKind::kTimestamp, false, -1}; }
  static Type Duration() { return {TypeKind::kDuration, false, -1}; }
  static Type Enum(int32_t ref) { return {TypeKind::kEnum, false, ref}; }
  static Type Message(int32_t ref) { return {TypeKind::kMessage, false, ref}; }

  Type Element() const { return {kind, false, ref}; }
  Type AsList() const { return {kind, true, ref}; }
  bool is_error() const { return kind == TypeKind::kError; }
  bool is_numeric() const {
    return !is_list && (kind == TypeKind::kInt || kind == TypeKind::kDouble);
  }

  friend bool operator==(const Type& a, const Type& b) {
    return a.kind == b.kind && a.is_list == b.is_list && a.ref == b.ref;
  }
  friend bool operator!=(const Type& a, const Type& b) { return !(a == b); }
};

// "int", "list(string)", "lantern.v1.Episode", "enum lantern.v1.Status"...
// `schema` may be null, in which case enums and messages print by index.
std::string TypeName(const Type& type, const FactSchema* schema);

}  // namespace lantern

#endif  // LANTERN_ENGINE_FACTS_TYPES_H_
