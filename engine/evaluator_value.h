// Internal to the reference evaluator (engine/evaluator.h): runtime values,
// their display form, and the value-level interpreter that evaluates one
// atom (or one value expression) whole, recording every fact it reads.
//
// Not a seam: only engine/evaluator*.cc include this header.
//
// Thread-safety: a ValueInterpreter is single-use and single-threaded; the
// free functions are pure.
#ifndef LANTERN_ENGINE_EVALUATOR_VALUE_H_
#define LANTERN_ENGINE_EVALUATOR_VALUE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "engine/ast.h"
#include "engine/checker.h"
#include "engine/evaluator.h"
#include "engine/facts.h"
#include "engine/schema.h"
#include "engine/source_text.h"
#include "engine/types.h"

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
// Kleene logic on values (&&, ||, !), ERROR above UNKNOWN.
Value KleeneAnd(const Value& left, const Value& right);
Value KleeneOr(const Value& left, const Value& right);

// Truth of a bool-typed value.
Truth TruthOf(const Value& value);

// Evaluates one expression whole (no short-circuit), recording into a trace.
class ValueInterpreter {
 public:
  // All pointers must outlive the interpreter; `policy` and `constants` may be
  // null.
  ValueInterpreter(const FactSchema* schema,
                   const std::vector<ConstantDef>* constants,
                   const SourceText* source, const FactRecord* facts,
                   const PolicyInputs* policy, ReadTrace* trace)
      : schema_(*schema),
        constants_(constants),
        source_(*source),
        facts_(*facts),
        policy_(policy),
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
  Value EvalAnswer(const Expr& expr);
  Value EvalComprehension(const Expr& expr);
  Value CombineElements(Function function, const std::vector<Value>& results);
  std::string TextOf(const Expr& expr) const;

  const FactSchema& schema_;
  const std::vector<ConstantDef>* constants_;
  const SourceText& source_;
  const FactRecord& facts_;
  const PolicyInputs* policy_;
  ReadTrace* trace_;
  std::vector<Value> bindings_;  // comprehension variables, innermost last
};

}  // namespace evaluator_internal
}  // namespace lantern

#endif  // LANTERN_ENGINE_EVALUATOR_VALUE_H_
