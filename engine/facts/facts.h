// Facts: one episode's field values, shaped by a FactSchema.
//
// A FactRecord is one message instance: a slot per schema field, in schema
// field order. A slot holds nothing (unset), one scalar (singular field) or
// a list (repeated field). Nested messages are owned records. Facts are built
// by the protobuf adapter from a decoded message (or by tests by hand); the
// evaluators only read them.
//
// Thread-safety: immutable once built; readers may share a record freely.
#ifndef LANTERN_ENGINE_FACTS_FACTS_H_
#define LANTERN_ENGINE_FACTS_FACTS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "absl/time/time.h"

namespace lantern {

class FactRecord;

// An enum value by number; its type is known from the schema field.
struct EnumNumber {
  int32_t number = 0;
  friend bool operator==(EnumNumber a, EnumNumber b) {
    return a.number == b.number;
  }
};

using FactScalar =
    std::variant<bool, int64_t, double, std::string, absl::Time, absl::Duration,
                 EnumNumber, std::unique_ptr<FactRecord>>;

struct FactSlot {
  // Singular field: set iff it holds a value (`values.size() == 1`).
  // Repeated field: `values` are its elements (maybe none); `set` is
  // ignored, since a repeated field is never unknown.
  bool set = false;
  std::vector<FactScalar> values;
};

class FactRecord {
 public:
  // REQUIRES: `field_count` equals the schema message's field count.
  FactRecord(int32_t message_type, int32_t field_count)
      : message_type_(message_type), slots_(field_count) {}
  FactRecord(FactRecord&&) = default;
  FactRecord& operator=(FactRecord&&) = default;

  int32_t message_type() const { return message_type_; }
  int32_t field_count() const { return static_cast<int32_t>(slots_.size()); }
  const FactSlot& slot(int32_t field) const { return slots_[field]; }

  // Setters for builders. REQUIRES: `field` < field_count().
  void Set(int32_t field, FactScalar value);
  void Append(int32_t field, FactScalar value);  // repeated fields

 private:
  int32_t message_type_;
  std::vector<FactSlot> slots_;
};

}  // namespace lantern

#endif  // LANTERN_ENGINE_FACTS_FACTS_H_
