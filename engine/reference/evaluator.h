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
// Details pinned by this implementation and its tests (a matcher must
// reproduce them exactly):
//  * Paths. A read through an unset message names the full path it tried
//    ("child.age_years" when `child` is unset); that path is recorded as
//    "unset" and is the unknown path. Set messages are navigation and are not
//    recorded. A repeated field records the whole list (a message displays as
//    "{...}", so "[{...}, {...}]"); comprehension elements are "list[i]". An
//    enum at a zero_is_unknown zero reads "unset". An empty slot of a
//    singular field without presence reads its type's zero.
//  * Readings are unique by (path, value): has() records "set"/"unset" and
//    never makes a path unknown; a later read of that path records its value
//    as well. Policy functions record readings named by the call:
//    (`fired("cse.*")`, "true"), (`concern_score("CSE")`, "12"),
//    (`concern_level("CSE")`, "2"), (`total_score()`, "25"); an undecided
//    one reads "unknown" or "unknown in [4, 12]" (see PolicyInputs). In the
//    answer stage: (`grade()`, "MEDIUM"), (`prompt("nrm")`, "RAISE"),
//    (`action("NRM_REFERRAL")`, "true").
//  * Comprehensions evaluate every element (no early exit). A list literal
//    with an UNKNOWN element is UNKNOWN as a whole (ERROR if any element is).
//    Elements of repeated enum fields are never UNKNOWN.
//  * as_of() is the evaluator's as-of time (the request's, stamped once and
//    recorded, so a replay reads the same); it is never UNKNOWN and records
//    the reading ("as_of()", "<RFC 3339>") like a fact.
//  * Inside an atom, an operator's operands settle to the left ERROR, else
//    the right ERROR, else UNKNOWN if either is UNKNOWN; only then does the
//    operator run (so `unset / 0` is UNKNOWN). `&& || !` inside an atom are
//    Kleene as above; comprehension elements combine likewise, an ERROR
//    result carrying the first failing element's message.
//  * ConditionResult::error is the error of the first ERROR reason in source
//    order; runtime errors read "integer overflow in '<text>'", "division by
//    zero in '<text>'", "modulo by zero in '<text>'", <text> being the
//    operator's ConditionText. Int division truncates; INT64_MIN / -1 and
//    INT64_MIN % -1 overflow; double division or modulo (fmod) by zero is an
//    ERROR too; int meets double as double. size(string) counts UTF-8 code
//    points. An enum compared with a string constant compares value names.
//  * Display: doubles are the shortest text that round-trips, as plain
//    decimals for magnitudes in [1e-4, 1e15) ("0.1", "2", "1500") and the
//    shortest "%.<p>g" outside it ("1e+21"); strings are JSON-quoted
//    (\" \\ \b \f \n \r \t, other control bytes \u00XX, all other bytes
//    verbatim);
//    timestamps are RFC 3339 in UTC with 'Z' and fractional seconds only when
//    present ("2023-01-30T10:00:00Z", "2023-01-30T10:00:00.25Z").
//
// Thread-safety: a ReferenceEvaluator is immutable; Evaluate* may be called
// concurrently.
#ifndef LANTERN_ENGINE_REFERENCE_EVALUATOR_H_
#define LANTERN_ENGINE_REFERENCE_EVALUATOR_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "engine/facts/facts.h"
#include "engine/facts/schema.h"
#include "engine/lang/ast.h"
#include "engine/lang/checker.h"
#include "engine/lang/policy_inputs.h"
#include "engine/lang/source_text.h"
#include "engine/lang/truth.h"

namespace lantern {

// The source text of `expr`'s subtree as evidence and error messages quote
// it: from its leftmost to its rightmost token, widened over the brackets
// those tokens leave open (a call's ")", a list's "]", the argument list of
// a call the checker folded into a literal), with every run of whitespace
// collapsed to one space. `*offset` (if non-null) receives where the text
// starts in `source`. Matchers must quote atoms with this function.
std::string ConditionText(const Expr& expr, const SourceText& source,
                          int32_t* offset);

// mentions(): splits both strings into words (ASCII letters lower-cased;
// every run of characters outside [a-z0-9] separates words) and returns true
// iff the phrase's words occur contiguously, in order, among the text's.
// A phrase with no words mentions nothing.
bool TextMentions(absl::string_view text, absl::string_view phrase);

// Atoms already evaluated over one set of facts and policy inputs, by
// their source text (as written, whitespace and all). Conditions of one
// stage often share atoms (the policy's prompts repeat an age test and
// `concern_level(...)` comparisons); with a memo each distinct atom runs
// once. An atom's result depends only on its text (checked in one stage,
// with one schema and constants — atoms hold no comprehension variables of
// an enclosing condition) and on the facts and inputs, so the evidence is
// identical with or without a memo; only the offset is per condition.
// Use one memo for one (evaluator and its as-of, facts, policy inputs) only.
//
// Thread-safety: not thread-safe; one per request.
class AtomMemo {
 public:
  struct Entry {
    Truth truth = Truth::kFalse;
    std::vector<FactReading> readings;
    std::vector<std::string> unknown_paths;
    std::string error;
  };
  // By atom text; entries stay put (conditions point at them).
  absl::flat_hash_map<std::string, std::unique_ptr<Entry>> atoms;
};

class ReferenceEvaluator {
 public:
  // REQUIRES: both outlive the evaluator; expressions were checked against
  // the same schema and constants. `as_of` is the request's as-of time, what
  // as_of() returns.
  ReferenceEvaluator(const FactSchema* schema,
                     const std::vector<ConstantDef>* constants,
                     absl::Time as_of)
      : schema_(schema), constants_(constants), as_of_(as_of) {}

  // REQUIRES: `expr` is checked with type bool; `facts` has the schema's
  // root type; `policy` is non-null iff `expr` was checked at policy stage.
  // With a non-null `memo`, atoms it holds are not evaluated again and new
  // ones are added to it (see AtomMemo); the result is the same.
  ConditionResult EvaluateCondition(const Expr& expr, const SourceText& source,
                                    const FactRecord& facts,
                                    const PolicyInputs* policy = nullptr,
                                    AtomMemo* memo = nullptr) const;

  // REQUIRES: `expr` is checked (any non-list type).
  ValueResult EvaluateValue(const Expr& expr, const SourceText& source,
                            const FactRecord& facts,
                            const PolicyInputs* policy = nullptr) const;

 private:
  const FactSchema* schema_;
  const std::vector<ConstantDef>* constants_;
  absl::Time as_of_;
};

}  // namespace lantern

#endif  // LANTERN_ENGINE_REFERENCE_EVALUATOR_H_
