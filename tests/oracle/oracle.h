// The test oracle: an independent evaluator of the condition language,
// written from doc/language.md, that the differential tests hold the
// production engine (the compiler and the atom VM) to.
//
// Deliberately slow and plain: a direct recursion over the checked AST with
// its own value type and its own operators, Kleene three-valued logic, and
// no code shared with engine/match or engine/compile. It reuses only what
// defines the language's surface rather than its meaning: the parser and
// checker (the AST it walks, and the checker's timestamp and duration text
// parsers), ConditionText (how an atom is quoted), TypeName and the display
// forms of engine/facts/fact_display.h (how a value is written).
//
// Test-only: the target is defined in tests/oracle/CMakeLists.txt and no
// production target may link it.
//
// Thread-safety: a ReferenceEvaluator is immutable; Evaluate* may be called
// concurrently. The free functions are stateless.
#ifndef LANTERN_TESTS_ORACLE_ORACLE_H_
#define LANTERN_TESTS_ORACLE_ORACLE_H_

#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "engine/decide/decide.h"
#include "engine/decide/invariants.h"
#include "engine/facts/facts.h"
#include "engine/facts/schema.h"
#include "engine/lang/ast.h"
#include "engine/lang/checker.h"
#include "engine/lang/condition_text.h"
#include "engine/lang/policy_inputs.h"
#include "engine/lang/source_text.h"
#include "engine/lang/truth.h"
#include "engine/match/match_result.h"
#include "engine/ruleset/ruleset.h"

namespace lantern {

// mentions() as doc/language.md defines it: both strings split into words
// (ASCII letters lower-cased, runs of characters outside [a-z0-9]
// separate); TRUE iff the phrase's words occur contiguously, in order; a
// phrase without words mentions nothing.
bool TextMentions(absl::string_view text, absl::string_view phrase);

class ReferenceEvaluator {
 public:
  // REQUIRES: `schema` and `constants` (which may be null) outlive the
  // evaluator; expressions were checked against them. `as_of` is what
  // as_of() returns.
  ReferenceEvaluator(const FactSchema* schema,
                     const std::vector<ConstantDef>* constants,
                     absl::Time as_of)
      : schema_(schema), constants_(constants), as_of_(as_of) {}

  // A condition's truth, reasons, unknown paths and error.
  // REQUIRES: `expr` is checked with type bool and parsed from `source`;
  // `facts` has the schema's root type. `policy` carries the first stage's
  // outcome at the policy stage (and the answer at the answer stage); null
  // elsewhere.
  ConditionResult EvaluateCondition(const Expr& expr, const SourceText& source,
                                    const FactRecord& facts,
                                    const PolicyInputs* policy = nullptr) const;

  // A value expression (a due time): kTrue with the value, kUnknown with
  // the unset paths it read (sorted), or kError with the message.
  // REQUIRES: as EvaluateCondition, any scalar type.
  ValueResult EvaluateValue(const Expr& expr, const SourceText& source,
                            const FactRecord& facts,
                            const PolicyInputs* policy = nullptr) const;

 private:
  const FactSchema* schema_;
  const std::vector<ConstantDef>* constants_;
  absl::Time as_of_;
};

// The whole engine by the oracle: every rule in force at `as_of`
// evaluated; the policy stage (engine/decide's DecideWith) with every
// policy condition and due time evaluated by the oracle; both together.
MatchResult MatchWithReference(const RuleSet& ruleset, const FactRecord& facts,
                               absl::Time as_of);
absl::StatusOr<Assessment> DecideWithReference(const RuleSet& ruleset,
                                               const FactRecord& facts,
                                               MatchResult match,
                                               absl::Time as_of);
absl::StatusOr<Assessment> AssessWithReference(const RuleSet& ruleset,
                                               const FactRecord& facts,
                                               absl::Time as_of);

// The ruleset's invariants on `answer`, each premise and conclusion
// evaluated by the oracle over AnswerInputs and combined as Kleene
// `!when || holds` (engine/decide/invariants.h states the outcome).
// REQUIRES: `answer` was decided by `ruleset` from `facts`.
std::vector<InvariantOutcome> CheckInvariantsWithReference(
    const RuleSet& ruleset, const FactRecord& facts, const Assessment& answer);

}  // namespace lantern

#endif  // LANTERN_TESTS_ORACLE_ORACLE_H_
