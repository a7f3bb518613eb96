// Reference evaluator: the definition of what a checked expression means.
//
// A plain tree-walking interpreter over the checked AST, written to be
// obviously right rather than fast. It is the oracle the optimised matcher
// (issue: matcher) is tested against, so every rule below is part of the
// language's contract.
//
// Three-valued logic. A read of an unset field with presence (or of any
// field through an unset message) is UNKNOWN, as is an enum field at its
// `*_UNSPECIFIED` zero when the schema says so. UNKNOWN propagates through
// comparisons, arithmetic, `in`, `size`, `mentions` and comprehensions;
// `has()` is never UNKNOWN. `&& || !` follow Kleene logic: FALSE && x is
// FALSE, TRUE || x is TRUE, !UNKNOWN is UNKNOWN. A runtime error (integer
// overflow, division by zero) is ERROR, which `&&`/`||` absorb like UNKNOWN
// except that ERROR outranks UNKNOWN: a && b is FALSE if either is FALSE,
// else ERROR if either is ERROR, else UNKNOWN if either is UNKNOWN, else TRUE
// (dually for ||). exists() is TRUE if any element's predicate is TRUE,
// otherwise FALSE if all are FALSE, otherwise ERROR/UNKNOWN as for ||; all()
// dually as for &&; count() is the number of TRUE elements when no element
// is UNKNOWN/ERROR, otherwise UNKNOWN/ERROR.
//
// Explanations. An *atom* is any bool-typed node that is not `&&`, `||` or
// `!`. Atoms are evaluated whole (no short-circuit inside them) and record
// every fact they read, as (path, value) in read order without repeats; a
// path names list elements by index ("episode.found.with[1].age_years").
// A result's *reasons* are the atoms that decide it:
//   atom: itself;  !a: a's reasons;
//   a && b: TRUE → reasons of both; FALSE → reasons of every FALSE operand;
//   a || b: TRUE → reasons of every TRUE operand; FALSE → of both;
//   UNKNOWN/ERROR (either): the reasons of the UNKNOWN/ERROR operands (for
//   `&&` only when no operand is FALSE, for `||` when none is TRUE).
// Evidence of a TRUE condition is its reasons, in source order; the unknown
// paths of an UNKNOWN condition are the unset paths read by its reasons,
// sorted and unique. Both sides of && and || are always evaluated, so the
// reasons do not depend on operand order.
//
// Thread-safety: a ReferenceEvaluator is immutable; Evaluate* may be called
// concurrently.
#ifndef LANTERN_ENGINE_EVALUATOR_H_
#define LANTERN_ENGINE_EVALUATOR_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "engine/ast.h"
#include "engine/checker.h"
#include "engine/facts.h"
#include "engine/schema.h"
#include "engine/source_text.h"

namespace lantern {

enum class Truth : uint8_t { kFalse, kTrue, kUnknown, kError };
const char* TruthName(Truth truth);  // "FALSE", "TRUE", "UNKNOWN", "ERROR"

// One fact an atom read. `value` is a display form: integers in decimal,
// doubles shortest round-trip, strings JSON-quoted, timestamps RFC 3339 UTC,
// durations like "72h0m0s" (absl::FormatDuration), enums by value name,
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
  std::string condition;  // the atom's source text, whitespace collapsed
  int32_t offset = 0;     // where it starts in the expression text
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

// What the policy-stage functions read: the first stage's outcome.
struct PolicyInputs {
  std::vector<std::string> fired_rule_ids;  // sorted
  std::vector<std::pair<std::string, int64_t>> concern_scores;
  std::vector<std::pair<std::string, int64_t>> concern_levels;  // ordinal
  int64_t total_score = 0;
};

class ReferenceEvaluator {
 public:
  // REQUIRES: both outlive the evaluator; expressions were checked against
  // the same schema and constants.
  ReferenceEvaluator(const FactSchema* schema,
                     const std::vector<ConstantDef>* constants)
      : schema_(schema), constants_(constants) {}

  // REQUIRES: `expr` is checked with type bool; `facts` has the schema's
  // root type; `policy` is non-null iff `expr` was checked at policy stage.
  ConditionResult EvaluateCondition(const Expr& expr, const SourceText& source,
                                    const FactRecord& facts,
                                    const PolicyInputs* policy = nullptr) const;

  // REQUIRES: `expr` is checked (any non-list type).
  ValueResult EvaluateValue(const Expr& expr, const SourceText& source,
                            const FactRecord& facts,
                            const PolicyInputs* policy = nullptr) const;

 private:
  const FactSchema* schema_;
  const std::vector<ConstantDef>* constants_;
};

}  // namespace lantern

#endif  // LANTERN_ENGINE_EVALUATOR_H_
