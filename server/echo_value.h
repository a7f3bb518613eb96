// EchoValue: how an error message quotes a value taken from a request, so
// that no message echoes unbounded input (a status message travels in a
// header that clients limit; see status_map.h).
//
// Thread-safety: stateless.
#ifndef LANTERN_SERVER_ECHO_VALUE_H_
#define LANTERN_SERVER_ECHO_VALUE_H_

#include <cstddef>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace lantern {

// The longest prefix of `text` of at most `max` bytes that does not end
// inside a UTF-8 sequence.
inline absl::string_view Utf8Prefix(absl::string_view text, size_t max) {
  if (text.size() <= max) return text;
  size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) {
    --end;
  }
  return text.substr(0, end);
}

// 'value' when it is at most 64 bytes, else its first 32 bytes (or fewer,
// to a character boundary), "..." and its length: "'vvvv...' (8000 bytes)".
inline std::string EchoValue(absl::string_view value) {
  constexpr size_t kWhole = 64, kHead = 32;
  if (value.size() <= kWhole) return absl::StrCat("'", value, "'");
  return absl::StrCat("'", Utf8Prefix(value, kHead), "...' (", value.size(),
                      " bytes)");
}

}  // namespace lantern

#endif  // LANTERN_SERVER_ECHO_VALUE_H_
