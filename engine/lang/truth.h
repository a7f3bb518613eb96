// Truth and evidence: what evaluating a condition yields, whoever evaluates
// it (the matcher and the policy stage in production, the reference
// evaluator in tests). The meaning of each is the language's
// (doc/language.md states it).
//
// Thread-safety: plain values.
#ifndef LANTERN_ENGINE_LANG_TRUTH_H_
#define LANTERN_ENGINE_LANG_TRUTH_H_

#include <cstdint>
#include <string>
#include <vector>

#include "engine/lang/ast.h"

namespace lantern {

enum class Truth : uint8_t { kFalse, kTrue, kUnknown, kError };
const char* TruthName(Truth truth);  // "FALSE", "TRUE", "UNKNOWN", "ERROR"

// One fact an atom read. `value` is a display form: integers in decimal,
// doubles shortest round-trip, strings JSON-quoted, timestamps RFC 3339 UTC,
// durations by absl::FormatDuration ("72h", "1h30m"), enums by value name,
// lists as "[a, b]", and "unset" for an unknown read.
struct FactReading {
  std::string path;
  std::string value;
  friend bool operator==(const FactReading& a, const FactReading& b) {
    return a.path == b.path && a.value == b.value;
  }
};

// One atom that decided a result.
struct AtomEvidence {
  std::string condition;        // the atom's source text, whitespace collapsed
  int32_t offset = 0;           // where it starts in the expression text
  Truth truth = Truth::kFalse;  // what the atom itself evaluated to
  std::vector<FactReading> readings;
  friend bool operator==(const AtomEvidence& a, const AtomEvidence& b) {
    return a.condition == b.condition && a.offset == b.offset &&
           a.truth == b.truth && a.readings == b.readings;
  }
};

struct ConditionResult {
  Truth truth = Truth::kFalse;
  std::vector<AtomEvidence> reasons;       // in source order
  std::vector<std::string> unknown_paths;  // sorted, unique (UNKNOWN only)
  std::string error;                       // first error message (ERROR only)
};

// A non-bool result (e.g. an action's due time). `truth` is kTrue when the
// value is known, kUnknown / kError otherwise.
struct ValueResult {
  Truth truth = Truth::kUnknown;
  LiteralValue value;
  std::vector<std::string> unknown_paths;
  std::string error;
};

}  // namespace lantern

#endif  // LANTERN_ENGINE_LANG_TRUTH_H_
