// Display forms of fact values, exactly as evidence readings show them.
//
// doc/language.md ("Evidence", display forms) defines how a read value is
// shown in a FactReading; these functions are the production engine's one
// implementation of it (the test oracle keeps its own).
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
