// Internal to the reference evaluator (engine/reference/evaluator.h): runtime
// values, their display form, and the value-level interpreter that evaluates
// one atom (or one value expression) whole, recording every fact it reads.
//
// Not a seam: only engine/evaluator*.cc include this header.
//
// Thread-safety: a ValueInterpreter is single-use and single-threaded; the
// free functions are pure.
#ifndef LANTERN_ENGINE_REFERENCE_INTERNAL_EVALUATOR_VALUE_H_
#define LANTERN_ENGINE_REFERENCE_INTERNAL_EVALUATOR_VALUE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "engine/facts/facts.h"
#include "engine/facts/schema.h"
#include "engine/facts/types.h"
#include "engine/lang/ast.h"
#include "engine/lang/checker.h"
#include "engine/lang/source_text.h"
#include "engine/reference/evaluator.h"

namespace lantern {
namespace evaluator_internal {

enum class ValueKind : uint8_t {
  kUnknown,  // an unset read (or something computed from one)
  kError,    // a runtime error; `error` says which
  kAbsent,   // an unset message reached while navigating a field path
  kBool,
  kInt,
  kDouble,
  kString,
  kTime,
  kDuration,
  kEnum,     // number in `i`, enum type in `ref`
  kMessage,  // `record` of message type `ref`
  kList,     // `elements` of `element_type`
};

struct Value {
  ValueKind kind = ValueKind::kUnknown;
  bool b = false;
  int64_t i = 0;
  double d = 0;
  std::string s;
  absl::Time t;
  absl::Duration dur;
  int32_t ref = -1;
  const FactRecord* record = nullptr;
  std::vector<Value> elements;
  Type element_type;
  std::string path;   // where a message, absent message or element was read
  std::string error;  // kError only
  // A bounded unknown (kUnknown from a policy function, see PolicyInputs):
  // every value it could take is `bound_kind` (kInt, or kEnum of type
  // `ref`) in [low, high]; `bound_error` is set when an errored rule leaves
  // it open. Only comparisons with a known value use the bounds.
  bool bounded = false;
  ValueKind bound_kind = ValueKind::kInt;
  int64_t low = 0, high = 0;
  std::string bound_error;

  bool known() const {
    return kind != ValueKind::kUnknown && kind != ValueKind::kError &&
           kind != ValueKind::kAbsent;
  }

  static Value Unknown() { return Value(); }
  static Value Error(std::string message);
  static Value Bool(bool b);
  static Value Int(int64_t i);
  static Value Double(double d);
  static Value String(std::string s);
  static Value Time(absl::Time t);
  static Value Duration(absl::Duration d);
  static Value Enum(int64_t number, int32_t ref);
};

// The facts one atom read, in read order, and which of them were unknown.
struct ReadTrace {
  std::vector<FactReading> readings;       // no (path, value) repeats
  std::vector<std::string> unknown_paths;  // in read order, no repeats

  void Read(std::string path, std::string value);
  // Records (path, "unset") and marks `path` unknown.
  void ReadUnset(const std::string& path);
  // Marks `paths` unknown without recording a reading (a policy function's
  // blocked rules need them).
  void MarkUnknown(const std::vector<std::string>& paths);
};

// Display forms (see FactReading): doubles as the shortest "%.*g" that
// round-trips, strings JSON-quoted, timestamps RFC 3339 in UTC, durations by
// absl::FormatDuration, enums by value name (number if unnamed), messages as
// "{...}", lists as "[a, b]", UNKNOWN as "unset", ERROR as "error".
std::string DisplayValue(const Value& value, const FactSchema& schema);
std::string DisplayDouble(double d);
std::string JsonQuote(absl::string_view s);

// Converts a literal or constant value; `type` gives an enum literal's type.
Value FromLiteral(const LiteralValue& literal, const Type& type);

// Computes an operator node's source text, for error messages only.
using TextFn = absl::FunctionRef<std::string()>;

// Operators over two known-or-not values. Errors outrank unknowns, and the
// left operand's error outranks the right's. `text` is the operator node's
// source text, quoted in error messages.
Value ApplyUnary(Op op, const Value& operand, TextFn text);
Value ApplyBinary(Op op, const Value& left, const Value& right,
                  const FactSchema& schema, TextFn text);
// An operator with a bounded unknown operand (Value::bounded): an ERROR
// operand (left first); else a comparison with a known value that every
// value in the bounds decides alike; else UNKNOWN, or ERROR when a bounded
// operand carries a `bound_error` (ERROR outranks UNKNOWN).
Value ApplyBounded(Op op, const Value& left, const Value& right,
                   const FactSchema& schema);
// What any other use of a bounded unknown gives: ERROR with its
// `bound_error`, else plain UNKNOWN.
Value OpenResult(const Value& open);
// Kleene logic on values (&&, ||, !), ERROR above UNKNOWN.
Value KleeneAnd(const Value& left, const Value& right);
Value KleeneOr(const Value& left, const Value& right);

// Truth of a bool-typed value.
Truth TruthOf(const Value& value);

// Evaluates one expression whole (no short-circuit), recording into a trace.
class ValueInterpreter {
 public:
  // All pointers must outlive the interpreter; `policy` and `constants` may be
  // null. `as_of` is what as_of() returns.
  ValueInterpreter(const FactSchema* schema,
                   const std::vector<ConstantDef>* constants,
                   const SourceText* source, const FactRecord* facts,
                   const PolicyInputs* policy, absl::Time as_of,
                   ReadTrace* trace)
      : schema_(*schema),
        constants_(constants),
        source_(*source),
        facts_(*facts),
        policy_(policy),
        as_of_(as_of),
        trace_(trace) {}

  Value Eval(const Expr& expr);

 private:
  Value Root() const;  // the root fact message
  // nullptr when `field` is not a field of `message`'s type.
  const FieldDef* FieldOf(const Value& message, int32_t field) const;
  Value EvalIdent(const Expr& expr);
  Value EvalConstant(const Expr& expr);
  // A field path step. `as_base` leaves an unset message as kAbsent (for the
  // next step to name the full path) instead of recording it.
  Value EvalPath(const Expr& expr, bool as_base);
  Value ReadField(const Value& message, int32_t field, bool as_base);
  Value ReadScalar(const FieldDef& def, const FactScalar& scalar,
                   const std::string& path);
  Value ReadList(const FieldDef& def, const FactSlot& slot,
                 const std::string& path);
  Value ReadUnsetScalar(const FieldDef& def, const std::string& path);
  Value EvalList(const Expr& expr);
  Value EvalUnary(const Expr& expr);
  Value EvalBinary(const Expr& expr);
  Value EvalCall(const Expr& expr);
  Value EvalSize(const Value& operand);
  Value EvalHas(const Expr& expr);
  Value EvalMentions(const Expr& expr);
  Value EvalParse(const Expr& expr);
  Value EvalPolicy(const Expr& expr);
  Value EvalFired(const std::string& pattern, const std::string& path);
  Value EvalBound(const Expr& expr, const PolicyBound& bound,
                  const std::string& path);
  Value EvalAsOf();
  Value EvalAnswer(const Expr& expr);
  Value EvalComprehension(const Expr& expr);
  Value CombineElements(Function function, const std::vector<Value>& results);
  std::string TextOf(const Expr& expr) const;

  const FactSchema& schema_;
  const std::vector<ConstantDef>* constants_;
  const SourceText& source_;
  const FactRecord& facts_;
  const PolicyInputs* policy_;
  const absl::Time as_of_;
  ReadTrace* trace_;
  std::vector<Value> bindings_;  // comprehension variables, innermost last
};

}  // namespace evaluator_internal
}  // namespace lantern

#endif  // LANTERN_ENGINE_REFERENCE_INTERNAL_EVALUATOR_VALUE_H_
