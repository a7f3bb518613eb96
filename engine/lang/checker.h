// Checker: resolves and types a parsed expression against a FactSchema.
//
// Entry point: CheckExpression. It walks the AST once, bottom-up, filling in
// every node's `type`, `resolution`, `function`, `field`, `slot` and `id`,
// and reports every problem it finds (unknown field, unknown enum value, type
// mismatch, unknown constant or function, bad duration or timestamp text,
// wrong argument count) at the exact token, continuing after each one with
// the node typed as an error so that one mistake is reported once.
//
// Name resolution, innermost first: comprehension variables, fields of the
// root fact message, ruleset constants. Enum values are written as string
// literals compared with an enum (`episode.status == "MISSING"`,
// `x in ["A", "B"]`, or `x in SOME_LIST_CONSTANT`) and checked against the
// enum's value names; the checker rewrites such literals to EnumLiteral.
// `timestamp("...")` and `duration("...")` with literal text are folded into
// literals, so a bad duration is a check error, not a runtime one.
//
// Typing rules (summary): `&& || !` take bool; `== !=` take equal types (int
// and double mix; enum with a string literal naming a value); `< <= > >=`
// take numbers, strings, timestamps or durations; `in` takes an element and
// a list of its type; `+ -` on numbers, timestamp±duration,
// timestamp-timestamp → duration, duration±duration; `* / %` on numbers;
// `size` of a list or string; `has` of a field path; `mentions` of a string
// with a literal phrase; `exists/all` → bool, `count` → int.
//
// Thread-safety: stateless; CheckEnv is read-only during a call.
#ifndef LANTERN_ENGINE_LANG_CHECKER_H_
#define LANTERN_ENGINE_LANG_CHECKER_H_

#include <string>
#include <vector>

#include "engine/facts/schema.h"
#include "engine/facts/types.h"
#include "engine/lang/ast.h"
#include "engine/lang/diagnostics.h"
#include "engine/lang/source_text.h"

namespace lantern {

// A named constant declared once in a ruleset: a scalar or a list of
// scalars, all of one type (bool, int, double, string, timestamp, duration).
struct ConstantDef {
  std::string name;
  SourceLocation location;
  Type type;                         // is_list for lists
  std::vector<LiteralValue> values;  // one value for a scalar
};

// What names and functions an expression may use.
struct CheckEnv {
  const FactSchema* schema = nullptr;                   // required
  const std::vector<ConstantDef>* constants = nullptr;  // may be null
  // The policy stage (prompt conditions, due times) may also call fired(),
  // concern_score(), concern_level() and total_score(). Their arguments are
  // checked against these lists.
  bool policy_stage = false;
  const std::vector<std::string>* rule_ids = nullptr;
  const std::vector<std::string>* concerns = nullptr;
  // The answer stage (invariants) sees everything the policy stage does
  // (set policy_stage too) and the final answer: grade(), prompt("name")
  // and action("CODE"). grade() and prompt() are ranks compared with a
  // name in quotes (`grade() >= "MEDIUM"`, `prompt("nrm") == "RAISE"`),
  // which the checker validates against `grades` / kPromptAnswers and
  // folds into the rank; they may be compared with nothing else. A null
  // `prompts` or `actions` is not checked; `grades` is required.
  bool answer_stage = false;
  const std::vector<std::string>* grades = nullptr;   // ascending
  const std::vector<std::string>* prompts = nullptr;  // prompt names
  const std::vector<std::string>* actions = nullptr;  // action codes
};

// What prompt("name") reads, lowest first: not raised (FALSE or ERROR), to
// be considered (UNKNOWN: facts that would settle it are missing), raised.
inline constexpr const char* kPromptAnswers[] = {"NOT_RAISED", "CONSIDER",
                                                 "RAISE"};

// Checks `expr` in place and returns its type (Type::Error() if anything in
// it was wrong; every problem is in `diagnostics`). `expected` is the type the
// caller needs (usually bool); a mismatch is reported at the root token.
// REQUIRES: `expr` came from ParseExpression(source, ...).
Type CheckExpression(const CheckEnv& env, const SourceText& source,
                     Type expected, Expr* expr, Diagnostics* diagnostics);

// Parses "72h", "30m", "1h30m", "90s", "7d" (days are 24h, a convenience the
// rule authors asked for); false on anything else.
bool ParseDurationText(absl::string_view text, absl::Duration* out);
// Parses RFC 3339 ("2023-01-30T00:00:00Z", offsets allowed); false otherwise.
bool ParseTimestampText(absl::string_view text, absl::Time* out);

}  // namespace lantern

#endif  // LANTERN_ENGINE_LANG_CHECKER_H_
