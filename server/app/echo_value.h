// EchoValue: how an error message quotes a value taken from a request, so
// that no message echoes unbounded input (a status message travels in a
// header that clients limit; see status_map.h). ValidUtf8: text put in a
// protobuf string field must be UTF-8, or the client cannot parse the
// message at all.
//
// Thread-safety: stateless.
#ifndef LANTERN_SERVER_APP_ECHO_VALUE_H_
#define LANTERN_SERVER_APP_ECHO_VALUE_H_

#include <cstddef>
#include <cstdint>
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

// `text` with every byte that does not start a well-formed UTF-8 sequence
// (RFC 3629: no overlong forms, surrogates or code points past U+10FFFF)
// replaced by U+FFFD. Rule diagnostics can quote bytes a YAML file decoded
// to something that is not UTF-8.
inline std::string ValidUtf8(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    size_t n = 0;
    uint32_t low = 0;
    if (c < 0x80) {
      out.push_back(text[i++]);
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) {
      n = 1, low = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2, low = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3, low = 0x10000;
    }
    uint32_t cp = n == 1 ? (c & 0x1F) : n == 2 ? (c & 0x0F) : (c & 0x07);
    bool ok = n > 0;
    for (size_t k = 1; ok && k <= n; ++k) {
      if (i + k >= text.size()) {
        ok = false;
        break;
      }
      const unsigned char t = static_cast<unsigned char>(text[i + k]);
      if ((t & 0xC0) != 0x80) ok = false;
      cp = (cp << 6) | (t & 0x3F);
    }
    if (ok && (cp < low || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))) {
      ok = false;
    }
    if (ok) {
      out.append(text.data() + i, n + 1);
      i += n + 1;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

}  // namespace lantern

#endif  // LANTERN_SERVER_APP_ECHO_VALUE_H_
