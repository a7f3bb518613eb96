// The display forms of engine/facts/fact_display.h (doc/language.md,
// "Evidence": display forms).
#include "engine/facts/fact_display.h"

#include <cmath>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace lantern {

std::string DisplayDouble(double d) {
  if (!std::isfinite(d)) return absl::StrFormat("%g", d);
  const double magnitude = std::fabs(d);
  if (d == 0 || (magnitude >= 1e-4 && magnitude < 1e15)) {
    for (int decimals = 0; decimals <= 17; ++decimals) {
      std::string text = absl::StrFormat("%.*f", decimals, d);
      if (std::strtod(text.c_str(), nullptr) == d) return text;
    }
  }
  for (int precision = 1; precision < 17; ++precision) {
    std::string text = absl::StrFormat("%.*g", precision, d);
    if (std::strtod(text.c_str(), nullptr) == d) return text;
  }
  return absl::StrFormat("%.17g", d);
}

std::string DisplayString(absl::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          absl::StrAppendFormat(&out, "\\u%04x", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += "\"";
  return out;
}

std::string DisplayTimestamp(absl::Time t) {
  return absl::FormatTime("%Y-%m-%d%ET%H:%M:%E*SZ", t, absl::UTCTimeZone());
}

std::string DisplayDuration(absl::Duration d) {
  return absl::FormatDuration(d);
}

std::string DisplayEnum(int64_t number, int32_t enum_ref,
                        const FactSchema& schema) {
  if (enum_ref >= 0 && enum_ref < schema.enum_count()) {
    const std::string* name =
        schema.enum_type(enum_ref).NameOf(static_cast<int32_t>(number));
    if (name != nullptr) return *name;
  }
  return absl::StrCat(number);
}

}  // namespace lantern
