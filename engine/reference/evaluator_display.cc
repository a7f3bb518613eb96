// The display forms of engine/facts/fact_display.h, taken from the reference
// evaluator's own DisplayValue so that every matcher shows a value exactly
// as the oracle does.
#include "engine/facts/fact_display.h"
#include "engine/reference/internal/evaluator_value.h"

namespace lantern {

using evaluator_internal::DisplayValue;
using evaluator_internal::Value;

std::string DisplayDouble(double d) {
  return evaluator_internal::DisplayDouble(d);
}

std::string DisplayString(absl::string_view s) {
  return evaluator_internal::JsonQuote(s);
}

std::string DisplayTimestamp(absl::Time t) {
  static const FactSchema* const kNoSchema = new FactSchema();
  return DisplayValue(Value::Time(t), *kNoSchema);
}

std::string DisplayDuration(absl::Duration d) {
  static const FactSchema* const kNoSchema = new FactSchema();
  return DisplayValue(Value::Duration(d), *kNoSchema);
}

std::string DisplayEnum(int64_t number, int32_t enum_ref,
                        const FactSchema& schema) {
  return DisplayValue(Value::Enum(number, enum_ref), schema);
}

}  // namespace lantern
