// Runtime values of the reference evaluator and the operators over them.
//
// Entry points: DisplayValue (the display form readings record), FromLiteral,
// ApplyUnary / ApplyBinary (comparison, `in`, arithmetic) and KleeneAnd /
// KleeneOr. Every operator first settles the operands' state: the left
// operand's ERROR, else the right's, else UNKNOWN if either is unknown;
// only two known operands are combined. Integer arithmetic is checked
// (overflow is an ERROR), division and modulo by zero are ERRORs for ints
// and doubles alike, and an int meeting a double is widened to double.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "engine/lang/value_ops.h"
#include "engine/reference/internal/evaluator_value.h"

namespace lantern {
namespace evaluator_internal {

Value Value::Error(std::string message) {
  Value v;
  v.kind = ValueKind::kError;
  v.error = std::move(message);
  return v;
}
Value Value::Bool(bool b) {
  Value v;
  v.kind = ValueKind::kBool;
  v.b = b;
  return v;
}
Value Value::Int(int64_t i) {
  Value v;
  v.kind = ValueKind::kInt;
  v.i = i;
  return v;
}
Value Value::Double(double d) {
  Value v;
  v.kind = ValueKind::kDouble;
  v.d = d;
  return v;
}
Value Value::String(std::string s) {
  Value v;
  v.kind = ValueKind::kString;
  v.s = std::move(s);
  return v;
}
Value Value::Time(absl::Time t) {
  Value v;
  v.kind = ValueKind::kTime;
  v.t = t;
  return v;
}
Value Value::Duration(absl::Duration d) {
  Value v;
  v.kind = ValueKind::kDuration;
  v.dur = d;
  return v;
}
Value Value::Enum(int64_t number, int32_t ref) {
  Value v;
  v.kind = ValueKind::kEnum;
  v.i = number;
  v.ref = ref;
  return v;
}

void ReadTrace::Read(std::string path, std::string value) {
  for (const FactReading& r : readings) {
    if (r.path == path && r.value == value) return;
  }
  readings.push_back(FactReading{std::move(path), std::move(value)});
}

void ReadTrace::ReadUnset(const std::string& path) {
  Read(path, "unset");
  for (const std::string& p : unknown_paths) {
    if (p == path) return;
  }
  unknown_paths.push_back(path);
}

void ReadTrace::MarkUnknown(const std::vector<std::string>& paths) {
  for (const std::string& path : paths) {
    if (std::find(unknown_paths.begin(), unknown_paths.end(), path) ==
        unknown_paths.end()) {
      unknown_paths.push_back(path);
    }
  }
}

// ---------------------------------------------------------------------------
// Display.

// The shortest text that reads back as `d`: plain decimals ("40", "85.5",
// "0.1") in the range people write, exponents ("1e+21") outside it.
std::string DisplayDouble(double d) {
  if (!std::isfinite(d)) return absl::StrFormat("%g", d);
  const double magnitude = std::fabs(d);
  if (d == 0 || (magnitude >= 1e-4 && magnitude < 1e15)) {
    for (int decimals = 0; decimals <= 17; ++decimals) {
      std::string text = absl::StrFormat("%.*f", decimals, d);
      if (std::strtod(text.c_str(), nullptr) == d) return text;
    }
  }
  for (int precision = 1; precision < 17; ++precision) {
    std::string text = absl::StrFormat("%.*g", precision, d);
    if (std::strtod(text.c_str(), nullptr) == d) return text;
  }
  return absl::StrFormat("%.17g", d);
}

std::string JsonQuote(absl::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          absl::StrAppendFormat(&out, "\\u%04x", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += "\"";
  return out;
}

namespace {

std::string DisplayEnum(int64_t number, int32_t ref, const FactSchema& schema) {
  if (ref >= 0 && ref < schema.enum_count()) {
    const std::string* name =
        schema.enum_type(ref).NameOf(static_cast<int32_t>(number));
    if (name != nullptr) return *name;
  }
  return absl::StrCat(number);
}

}  // namespace

std::string DisplayValue(const Value& value, const FactSchema& schema) {
  switch (value.kind) {
    case ValueKind::kUnknown:
    case ValueKind::kAbsent:
      return "unset";
    case ValueKind::kError:
      return "error";
    case ValueKind::kBool:
      return value.b ? "true" : "false";
    case ValueKind::kInt:
      return absl::StrCat(value.i);
    case ValueKind::kDouble:
      return DisplayDouble(value.d);
    case ValueKind::kString:
      return JsonQuote(value.s);
    case ValueKind::kTime:
      return absl::FormatTime("%Y-%m-%d%ET%H:%M:%E*SZ", value.t,
                              absl::UTCTimeZone());
    case ValueKind::kDuration:
      return absl::FormatDuration(value.dur);
    case ValueKind::kEnum:
      return DisplayEnum(value.i, value.ref, schema);
    case ValueKind::kMessage:
      return "{...}";
    case ValueKind::kList:
      return absl::StrCat(
          "[",
          absl::StrJoin(value.elements, ", ",
                        [&schema](std::string* out, const Value& e) {
                          out->append(DisplayValue(e, schema));
                        }),
          "]");
  }
  return "error";
}

Value FromLiteral(const LiteralValue& literal, const Type& type) {
  struct Visitor {
    const Type& type;
    Value operator()(bool b) const { return Value::Bool(b); }
    Value operator()(int64_t i) const { return Value::Int(i); }
    Value operator()(double d) const { return Value::Double(d); }
    Value operator()(const std::string& s) const { return Value::String(s); }
    Value operator()(absl::Time t) const { return Value::Time(t); }
    Value operator()(absl::Duration d) const { return Value::Duration(d); }
    Value operator()(EnumLiteral e) const {
      return Value::Enum(e.number,
                         type.kind == TypeKind::kEnum ? type.ref : -1);
    }
  };
  return std::visit(Visitor{type}, literal);
}

Truth TruthOf(const Value& value) {
  switch (value.kind) {
    case ValueKind::kBool:
      return value.b ? Truth::kTrue : Truth::kFalse;
    case ValueKind::kUnknown:
    case ValueKind::kAbsent:
      return Truth::kUnknown;
    default:
      return Truth::kError;
  }
}

// ---------------------------------------------------------------------------
// Kleene logic.

namespace {

bool IsUnknown(const Value& v) {
  return v.kind == ValueKind::kUnknown || v.kind == ValueKind::kAbsent;
}

// The state two operands settle to before an operator may look at them:
// nullptr if both are known.
const Value* Settle(const Value& left, const Value& right, Value* unknown) {
  if (left.kind == ValueKind::kError) return &left;
  if (right.kind == ValueKind::kError) return &right;
  if (IsUnknown(left) || IsUnknown(right)) return unknown;
  return nullptr;
}

}  // namespace

Value KleeneAnd(const Value& left, const Value& right) {
  if (TruthOf(left) == Truth::kFalse || TruthOf(right) == Truth::kFalse) {
    return Value::Bool(false);
  }
  Value unknown;
  if (const Value* settled = Settle(left, right, &unknown)) return *settled;
  if (left.kind != ValueKind::kBool) return Value::Error("'&&' on non-bool");
  if (right.kind != ValueKind::kBool) return Value::Error("'&&' on non-bool");
  return Value::Bool(true);
}

Value KleeneOr(const Value& left, const Value& right) {
  if (TruthOf(left) == Truth::kTrue || TruthOf(right) == Truth::kTrue) {
    return Value::Bool(true);
  }
  Value unknown;
  if (const Value* settled = Settle(left, right, &unknown)) return *settled;
  if (left.kind != ValueKind::kBool) return Value::Error("'||' on non-bool");
  if (right.kind != ValueKind::kBool) return Value::Error("'||' on non-bool");
  return Value::Bool(false);
}

// ---------------------------------------------------------------------------
// Comparison.

namespace {

using value_ops::Order;
using value_ops::OrderOf;

Order OrderNumbers(const Value& a, const Value& b) {
  if (a.kind == ValueKind::kInt && b.kind == ValueKind::kInt) {
    return OrderOf(a.i, b.i);
  }
  return value_ops::OrderDoubles(
      a.kind == ValueKind::kInt ? static_cast<double>(a.i) : a.d,
      b.kind == ValueKind::kInt ? static_cast<double>(b.i) : b.d);
}

bool IsNumber(const Value& v) {
  return v.kind == ValueKind::kInt || v.kind == ValueKind::kDouble;
}

// An enum against a string (a list(string) constant holding value names):
// by the enum value's name; unnamed numbers equal no string.
Order OrderEnumName(const Value& e, const Value& s, const FactSchema& schema) {
  if (e.ref < 0 || e.ref >= schema.enum_count()) return Order::kUnordered;
  const std::string* name =
      schema.enum_type(e.ref).NameOf(static_cast<int32_t>(e.i));
  if (name == nullptr || *name != s.s) return Order::kUnordered;
  return Order::kEqual;
}

Order Compare(const Value& a, const Value& b, const FactSchema& schema);

Order OrderLists(const Value& a, const Value& b, const FactSchema& schema) {
  if (a.elements.size() != b.elements.size()) return Order::kUnordered;
  for (size_t i = 0; i < a.elements.size(); ++i) {
    if (Compare(a.elements[i], b.elements[i], schema) != Order::kEqual) {
      return Order::kUnordered;
    }
  }
  return Order::kEqual;
}

Order Compare(const Value& a, const Value& b, const FactSchema& schema) {
  if (IsNumber(a) && IsNumber(b)) return OrderNumbers(a, b);
  if (a.kind == ValueKind::kEnum && b.kind == ValueKind::kString) {
    return OrderEnumName(a, b, schema);
  }
  if (a.kind == ValueKind::kString && b.kind == ValueKind::kEnum) {
    return OrderEnumName(b, a, schema);
  }
  if (a.kind != b.kind) return Order::kIncomparable;
  switch (a.kind) {
    case ValueKind::kBool:
      return OrderOf(a.b, b.b);
    case ValueKind::kString:
      return OrderOf(a.s, b.s);
    case ValueKind::kTime:
      return OrderOf(a.t, b.t);
    case ValueKind::kDuration:
      return OrderOf(a.dur, b.dur);
    case ValueKind::kEnum:
      return OrderOf(a.i, b.i);
    case ValueKind::kList:
      return OrderLists(a, b, schema);
    default:
      return Order::kIncomparable;
  }
}

Value CompareOp(Op op, const Value& a, const Value& b,
                const FactSchema& schema) {
  const Order order = Compare(a, b, schema);
  if (order == Order::kIncomparable) {
    return Value::Error(
        absl::StrCat("cannot compare with '", OpSpelling(op), "'"));
  }
  bool is_comparison = true;
  const bool holds = value_ops::ComparisonHolds(op, order, &is_comparison);
  if (!is_comparison) return Value::Error("not a comparison");
  return Value::Bool(holds);
}

Value InOp(const Value& element, const Value& list, const FactSchema& schema) {
  if (list.kind != ValueKind::kList) return Value::Error("'in' needs a list");
  for (const Value& e : list.elements) {
    if (Compare(element, e, schema) == Order::kEqual) return Value::Bool(true);
  }
  return Value::Bool(false);
}

// ---------------------------------------------------------------------------
// Arithmetic.

std::string Quoted(absl::string_view what, TextFn text) {
  return absl::StrCat(what, " in '", text(), "'");
}

Value IntOp(Op op, int64_t x, int64_t y, TextFn text) {
  int64_t out = 0;
  if (const char* e = value_ops::IntArithmetic(op, x, y, &out)) {
    return Value::Error(Quoted(e, text));
  }
  return Value::Int(out);
}

Value DoubleOp(Op op, double x, double y, TextFn text) {
  double out = 0;
  if (const char* e = value_ops::DoubleArithmetic(op, x, y, &out)) {
    return Value::Error(Quoted(e, text));
  }
  return Value::Double(out);
}

double AsDouble(const Value& v) {
  return v.kind == ValueKind::kInt ? static_cast<double>(v.i) : v.d;
}

// Timestamps and durations: t ± d, d + t, t - t, d ± d.
Value TimeOp(Op op, const Value& a, const Value& b, TextFn text) {
  const ValueKind ka = a.kind, kb = b.kind;
  using K = ValueKind;
  if (op == Op::kAdd) {
    if (ka == K::kTime && kb == K::kDuration) return Value::Time(a.t + b.dur);
    if (ka == K::kDuration && kb == K::kTime) return Value::Time(b.t + a.dur);
    if (ka == K::kDuration && kb == K::kDuration) {
      return Value::Duration(a.dur + b.dur);
    }
  } else if (op == Op::kSub) {
    if (ka == K::kTime && kb == K::kDuration) return Value::Time(a.t - b.dur);
    if (ka == K::kTime && kb == K::kTime) return Value::Duration(a.t - b.t);
    if (ka == K::kDuration && kb == K::kDuration) {
      return Value::Duration(a.dur - b.dur);
    }
  }
  return Value::Error(Quoted("unsupported operands", text));
}

Value Arithmetic(Op op, const Value& a, const Value& b, TextFn text) {
  if (a.kind == ValueKind::kInt && b.kind == ValueKind::kInt) {
    return IntOp(op, a.i, b.i, text);
  }
  if (IsNumber(a) && IsNumber(b)) {
    return DoubleOp(op, AsDouble(a), AsDouble(b), text);
  }
  if (op == Op::kAdd && a.kind == ValueKind::kString &&
      b.kind == ValueKind::kString) {
    return Value::String(absl::StrCat(a.s, b.s));
  }
  return TimeOp(op, a, b, text);
}

}  // namespace

Value ApplyUnary(Op op, const Value& operand, TextFn text) {
  if (!operand.known()) return operand;
  if (op == Op::kNot && operand.kind == ValueKind::kBool) {
    return Value::Bool(!operand.b);
  }
  if (op == Op::kNeg) {
    switch (operand.kind) {
      case ValueKind::kInt:
        if (operand.i == std::numeric_limits<int64_t>::min()) {
          return Value::Error(Quoted("integer overflow", text));
        }
        return Value::Int(-operand.i);
      case ValueKind::kDouble:
        return Value::Double(-operand.d);
      case ValueKind::kDuration:
        return Value::Duration(-operand.dur);
      default:
        break;
    }
  }
  return Value::Error(Quoted("unsupported operand", text));
}

Value ApplyBinary(Op op, const Value& left, const Value& right,
                  const FactSchema& schema, TextFn text) {
  if (op == Op::kAnd) return KleeneAnd(left, right);
  if (op == Op::kOr) return KleeneOr(left, right);
  Value unknown;
  if (const Value* settled = Settle(left, right, &unknown)) return *settled;
  switch (op) {
    case Op::kEq:
    case Op::kNe:
    case Op::kLt:
    case Op::kLe:
    case Op::kGt:
    case Op::kGe: {
      Value out = CompareOp(op, left, right, schema);
      if (out.kind == ValueKind::kError) out.error = Quoted(out.error, text);
      return out;
    }
    case Op::kIn:
      return InOp(left, right, schema);
    default:
      return Arithmetic(op, left, right, text);
  }
}

// ---------------------------------------------------------------------------
// Bounded unknowns (policy functions left open by undecided rules).

namespace {

bool IsComparison(Op op) {
  return op == Op::kEq || op == Op::kNe || op == Op::kLt || op == Op::kLe ||
         op == Op::kGt || op == Op::kGe;
}

bool IsOrdered(const Value& v) {
  return v.kind == ValueKind::kInt || v.kind == ValueKind::kDouble ||
         v.kind == ValueKind::kEnum;
}

Value BoundAt(const Value& open, int64_t n) {
  return open.bound_kind == ValueKind::kEnum ? Value::Enum(n, open.ref)
                                             : Value::Int(n);
}

// `op` with the open operand at `n`; nullopt when that is not a bool.
std::optional<bool> CompareAt(Op op, const Value& open, int64_t n,
                              const Value& other, bool open_left,
                              const FactSchema& schema) {
  const Value at = BoundAt(open, n);
  const Value r = open_left ? CompareOp(op, at, other, schema)
                            : CompareOp(op, other, at, schema);
  if (r.kind != ValueKind::kBool) return std::nullopt;
  return r.b;
}

// The answer every value in [open.low, open.high] gives, or nullopt. Small
// ranges (levels, most scores) are enumerated; wide ones use monotonicity
// for ordered comparisons of numbers and the range's ends for == and !=.
std::optional<bool> DecideOverBounds(Op op, const Value& open,
                                     const Value& other, bool open_left,
                                     const FactSchema& schema) {
  const uint64_t width =
      static_cast<uint64_t>(open.high) - static_cast<uint64_t>(open.low);
  if (width <= 64) {
    std::optional<bool> first =
        CompareAt(op, open, open.low, other, open_left, schema);
    for (uint64_t k = 1; first.has_value() && k <= width; ++k) {
      const int64_t n =
          static_cast<int64_t>(static_cast<uint64_t>(open.low) + k);
      if (CompareAt(op, open, n, other, open_left, schema) != first) {
        return std::nullopt;
      }
    }
    return first;
  }
  if (!IsOrdered(other)) return std::nullopt;
  if (op == Op::kEq || op == Op::kNe) {
    // Outside the range: never equal.
    const std::optional<bool> below =
        CompareAt(Op::kGt, open, open.low, other, /*open_left=*/true, schema);
    const std::optional<bool> above =
        CompareAt(Op::kLt, open, open.high, other, /*open_left=*/true, schema);
    if (below == true || above == true) return op == Op::kNe;
    return std::nullopt;
  }
  const std::optional<bool> at_low =
      CompareAt(op, open, open.low, other, open_left, schema);
  const std::optional<bool> at_high =
      CompareAt(op, open, open.high, other, open_left, schema);
  if (at_low.has_value() && at_low == at_high) return at_low;
  return std::nullopt;
}

}  // namespace

Value OpenResult(const Value& open) {
  if (open.bounded && !open.bound_error.empty()) {
    return Value::Error(open.bound_error);
  }
  return Value::Unknown();
}

Value ApplyBounded(Op op, const Value& left, const Value& right,
                   const FactSchema& schema) {
  if (left.kind == ValueKind::kError) return left;
  if (right.kind == ValueKind::kError) return right;
  if (IsComparison(op) && left.bounded != right.bounded) {
    const Value& open = left.bounded ? left : right;
    const Value& other = left.bounded ? right : left;
    if (other.known()) {
      std::optional<bool> decided =
          DecideOverBounds(op, open, other, left.bounded, schema);
      if (decided.has_value()) return Value::Bool(*decided);
    }
  }
  if (left.bounded && !left.bound_error.empty()) return OpenResult(left);
  if (right.bounded && !right.bound_error.empty()) return OpenResult(right);
  return Value::Unknown();
}

}  // namespace evaluator_internal
}  // namespace lantern
