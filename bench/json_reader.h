// JsonValue: a small JSON document model and its reader (nlohmann/json
// underneath), for the benchmark's workload files (tens of megabytes, read
// once). Not used by the engine.
//
// Numbers keep both forms: `number` (double) and, for integer literals that
// fit, `integer` with `is_integer` set, so that `1` and `1.0` stay apart as
// the neutral workload format requires ("true never equals 1").
//
// Thread-safety: plain values.
#ifndef LANTERN_BENCH_JSON_READER_H_
#define LANTERN_BENCH_JSON_READER_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace lantern::bench {

struct JsonValue {
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };
  Kind kind = Kind::kNull;
  bool boolean = false;
  double number = 0;
  int64_t integer = 0;
  bool is_integer = false;
  std::string string;
  std::vector<JsonValue> array;
  std::vector<std::pair<std::string, JsonValue>> object;

  // The member named `key` of an object, or nullptr.
  const JsonValue* Find(absl::string_view key) const;
};

// INVALID_ARGUMENT with the byte offset of the first problem, or for
// nesting deeper than 512 levels. Object members keep document order.
absl::StatusOr<JsonValue> ParseJson(absl::string_view text);

// The JSON text of a string (quoted and escaped).
std::string JsonQuoted(absl::string_view s);

}  // namespace lantern::bench

#endif  // LANTERN_BENCH_JSON_READER_H_
