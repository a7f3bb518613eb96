// Display forms of fact values, exactly as evidence readings show them.
//
// The reference evaluator (engine/reference/evaluator.h, "Display") defines how
// a read value is shown in a FactReading. Matchers that produce evidence from
// their own data must show values identically; these functions are that one
// definition, shared (implemented in evaluator_display.cc on top of the
// reference's own display code, so the two can never drift apart).
//
// Thread-safety: pure functions.
#ifndef LANTERN_ENGINE_FACTS_FACT_DISPLAY_H_
#define LANTERN_ENGINE_FACTS_FACT_DISPLAY_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "engine/facts/schema.h"

namespace lantern {

// Shortest round-trip text: "0.1", "2", "1e+21".
std::string DisplayDouble(double d);
// JSON-quoted: "\"a\\nb\"".
std::string DisplayString(absl::string_view s);
// RFC 3339 in UTC with fractional seconds only when present.
std::string DisplayTimestamp(absl::Time t);
// absl::FormatDuration: "72h", "1h30m".
std::string DisplayDuration(absl::Duration d);
// The value's name in `enum_ref`, or its number when unnamed.
std::string DisplayEnum(int64_t number, int32_t enum_ref,
                        const FactSchema& schema);

}  // namespace lantern

#endif  // LANTERN_ENGINE_FACTS_FACT_DISPLAY_H_
