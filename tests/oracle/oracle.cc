// The test oracle's evaluator (tests/oracle/oracle.h), written from
// doc/language.md section by section. Two layers, as the spec has them:
//  * Logic: `&&`, `||`, `!` over atoms, both sides always evaluated,
//    combining truths and reasons by the table in "Evidence".
//  * Values: one atom (any other bool node) evaluated whole by Eval, which
//    records what it reads in a Trace.
#include "tests/oracle/oracle.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/facts/fact_display.h"

namespace lantern {
namespace {

// ---------------------------------------------------------------------------
// Values.

enum class K {
  kUnknown,
  kError,
  kBool,
  kInt,
  kDouble,
  kString,
  kTime,
  kDur,
  kEnum,
  kMessage,
  kList
};

struct V {
  K k = K::kUnknown;
  bool b = false;
  int64_t i = 0;
  double d = 0;
  std::string s;
  absl::Time t;
  absl::Duration dur;
  int32_t ref = -1;                 // kEnum: enum type; kMessage: type
  const FactRecord* msg = nullptr;  // kMessage: null when unset
  std::vector<V> list;              // kList
  std::string path;                 // kMessage / list elements: read where
  std::string error;                // kError
  // A bounded unknown from a policy function: every value it could take is
  // in [lo, hi] (an enum of type `ref` when ref >= 0).
  bool bounded = false;
  int64_t lo = 0, hi = 0;
  std::string bound_error;
};

V Unknown() { return V(); }
V Error(std::string message) {
  V v;
  v.k = K::kError;
  v.error = std::move(message);
  return v;
}
V Bool(bool b) {
  V v;
  v.k = K::kBool;
  v.b = b;
  return v;
}
V Int(int64_t i) {
  V v;
  v.k = K::kInt;
  v.i = i;
  return v;
}
V Double(double d) {
  V v;
  v.k = K::kDouble;
  v.d = d;
  return v;
}
V Str(std::string s) {
  V v;
  v.k = K::kString;
  v.s = std::move(s);
  return v;
}
V Time(absl::Time t) {
  V v;
  v.k = K::kTime;
  v.t = t;
  return v;
}
V Dur(absl::Duration d) {
  V v;
  v.k = K::kDur;
  v.dur = d;
  return v;
}
V Enum(int64_t n, int32_t ref) {
  V v;
  v.k = K::kEnum;
  v.i = n;
  v.ref = ref;
  return v;
}

bool Known(const V& v) { return v.k != K::kUnknown && v.k != K::kError; }

std::string Show(const V& v, const FactSchema& schema) {
  switch (v.k) {
    case K::kUnknown:
      return "unset";
    case K::kError:
      return "error";
    case K::kBool:
      return v.b ? "true" : "false";
    case K::kInt:
      return absl::StrCat(v.i);
    case K::kDouble:
      return DisplayDouble(v.d);
    case K::kString:
      return DisplayString(v.s);
    case K::kTime:
      return DisplayTimestamp(v.t);
    case K::kDur:
      return DisplayDuration(v.dur);
    case K::kEnum:
      return DisplayEnum(v.i, v.ref, schema);
    case K::kMessage:
      return "{...}";
    case K::kList: {
      std::string out = "[";
      for (size_t n = 0; n < v.list.size(); ++n) {
        if (n > 0) out += ", ";
        out += Show(v.list[n], schema);
      }
      return out + "]";
    }
  }
  return "error";
}

V FromLiteral(const LiteralValue& literal, const Type& type) {
  if (const bool* b = std::get_if<bool>(&literal)) return Bool(*b);
  if (const int64_t* i = std::get_if<int64_t>(&literal)) return Int(*i);
  if (const double* d = std::get_if<double>(&literal)) return Double(*d);
  if (const std::string* s = std::get_if<std::string>(&literal)) return Str(*s);
  if (const absl::Time* t = std::get_if<absl::Time>(&literal)) return Time(*t);
  if (const absl::Duration* d = std::get_if<absl::Duration>(&literal)) {
    return Dur(*d);
  }
  const EnumLiteral& e = std::get<EnumLiteral>(literal);
  return Enum(e.number, type.ref);
}

// The value of a stored fact of `type` (an element type for lists).
V FromFact(const FactScalar& scalar, const Type& type,
           const std::string& path) {
  V v;
  if (const bool* b = std::get_if<bool>(&scalar)) {
    v = Bool(*b);
  } else if (const int64_t* i = std::get_if<int64_t>(&scalar)) {
    v = Int(*i);
  } else if (const double* d = std::get_if<double>(&scalar)) {
    v = Double(*d);
  } else if (const std::string* s = std::get_if<std::string>(&scalar)) {
    v = Str(*s);
  } else if (const absl::Time* t = std::get_if<absl::Time>(&scalar)) {
    v = Time(*t);
  } else if (const absl::Duration* d = std::get_if<absl::Duration>(&scalar)) {
    v = Dur(*d);
  } else if (const EnumNumber* e = std::get_if<EnumNumber>(&scalar)) {
    v = Enum(e->number, type.ref);
  } else {
    v.k = K::kMessage;
    v.msg = std::get<std::unique_ptr<FactRecord>>(scalar).get();
    v.ref = type.ref;
  }
  // A stored value of the wrong kind is a runtime error (doc/language.md).
  const TypeKind want = type.kind;
  const bool fits =
      (v.k == K::kBool && want == TypeKind::kBool) ||
      (v.k == K::kInt && want == TypeKind::kInt) ||
      (v.k == K::kDouble && want == TypeKind::kDouble) ||
      (v.k == K::kString && want == TypeKind::kString) ||
      (v.k == K::kTime && want == TypeKind::kTimestamp) ||
      (v.k == K::kDur && want == TypeKind::kDuration) ||
      (v.k == K::kEnum && want == TypeKind::kEnum) ||
      (v.k == K::kMessage && want == TypeKind::kMessage && v.msg != nullptr);
  if (!fits) {
    return Error(absl::StrCat("fact '", path, "' does not hold a ",
                              TypeName(type, nullptr)));
  }
  v.path = path;
  return v;
}

// A field's value when it holds none and has no presence.
V ZeroOf(const Type& type) {
  switch (type.kind) {
    case TypeKind::kBool:
      return Bool(false);
    case TypeKind::kInt:
      return Int(0);
    case TypeKind::kDouble:
      return Double(0);
    case TypeKind::kString:
      return Str("");
    case TypeKind::kTimestamp:
      return Time(absl::UnixEpoch());
    case TypeKind::kDuration:
      return Dur(absl::ZeroDuration());
    case TypeKind::kEnum:
      return Enum(0, type.ref);
    default:
      return Error("no zero value");
  }
}

bool IsZero(const V& v) {
  switch (v.k) {
    case K::kBool:
      return !v.b;
    case K::kInt:
    case K::kEnum:
      return v.i == 0;
    case K::kDouble:
      return v.d == 0;
    case K::kString:
      return v.s.empty();
    case K::kTime:
      return v.t == absl::UnixEpoch();
    case K::kDur:
      return v.dur == absl::ZeroDuration();
    default:
      return false;
  }
}

// ---------------------------------------------------------------------------
// What an atom read.

struct Trace {
  std::vector<FactReading> readings;  // read order, no (path, value) repeats
  std::vector<std::string> unknown;   // unset paths read

  void Read(const std::string& path, const std::string& value) {
    FactReading r{path, value};
    if (std::find(readings.begin(), readings.end(), r) == readings.end()) {
      readings.push_back(std::move(r));
    }
  }
  void Unset(const std::string& path) {
    Read(path, "unset");
    unknown.push_back(path);
  }
};

// ---------------------------------------------------------------------------
// mentions().

std::vector<std::string> Words(absl::string_view text) {
  std::vector<std::string> words;
  std::string word;
  for (char c : text) {
    const char lower = absl::ascii_tolower(static_cast<unsigned char>(c));
    if ((lower >= 'a' && lower <= 'z') || (lower >= '0' && lower <= '9')) {
      word += lower;
    } else if (!word.empty()) {
      words.push_back(word);
      word.clear();
    }
  }
  if (!word.empty()) words.push_back(word);
  return words;
}

// ---------------------------------------------------------------------------
// The value layer.

struct Context {
  const FactSchema& schema;
  const std::vector<ConstantDef>* constants;
  const SourceText& source;
  const FactRecord& facts;
  const PolicyInputs* policy;
  absl::Time as_of;
};

class Atom {
 public:
  Atom(const Context& cx, Trace* trace) : cx_(cx), trace_(*trace) {}

  V Eval(const Expr& e);

 private:
  std::string Text(const Expr& e) const {
    return ConditionText(e, cx_.source, nullptr);
  }
  V Navigate(const Expr& e);  // a message-valued path: set or unset message
  V Field(const V& message, int32_t field);
  V Call(const Expr& e);
  V Has(const Expr& e);
  V PolicyCall(const Expr& e);
  V Bounded(const PolicyBound& bound, const std::string& path, int32_t ref);
  V AnswerCall(const Expr& e);
  V Comprehension(const Expr& e);
  V Binary(const Expr& e, const V& a, const V& b);
  V Arith(const Expr& e, const V& a, const V& b);

  const Context& cx_;
  Trace& trace_;
  std::vector<V> vars_;  // comprehension variables, innermost last
};

std::string Join(const std::string& base, const std::string& name) {
  return base.empty() ? name : absl::StrCat(base, ".", name);
}

// Field `field` of `message` (a set or unset message). A message-typed
// singular field gives a message (unset if it holds none); anything else is
// read: recorded, UNKNOWN when unset.
V Atom::Field(const V& message, int32_t field) {
  const MessageType& type = cx_.schema.message_type(message.ref);
  if (field < 0 || field >= static_cast<int32_t>(type.fields.size())) {
    return Error("no such field");
  }
  const FieldDef& def = type.fields[field];
  const std::string path = Join(message.path, def.name);
  const bool singular_message =
      def.type.kind == TypeKind::kMessage && !def.type.is_list;
  if (message.msg == nullptr) {  // through an unset message
    if (singular_message) {
      V v;
      v.k = K::kMessage;
      v.ref = def.type.ref;
      v.path = path;
      return v;
    }
    trace_.Unset(path);
    return Unknown();
  }
  const FactSlot& slot = message.msg->slot(field);
  if (def.type.is_list) {
    V list;
    list.k = K::kList;
    list.path = path;
    for (size_t n = 0; n < slot.values.size(); ++n) {
      V e = FromFact(slot.values[n], def.type.Element(),
                     absl::StrCat(path, "[", n, "]"));
      if (e.k == K::kError) return e;
      list.list.push_back(std::move(e));
    }
    trace_.Read(path, Show(list, cx_.schema));
    return list;
  }
  if (singular_message) {
    if (slot.values.empty()) {
      V v;
      v.k = K::kMessage;
      v.ref = def.type.ref;
      v.path = path;
      return v;
    }
    return FromFact(slot.values[0], def.type, path);
  }
  V v;
  if (slot.values.empty()) {
    if (def.has_presence) {
      trace_.Unset(path);
      return Unknown();
    }
    v = ZeroOf(def.type);
  } else {
    v = FromFact(slot.values[0], def.type, path);
    if (v.k == K::kError) return v;
  }
  if (v.k == K::kEnum && v.i == 0 && def.type.ref >= 0 &&
      cx_.schema.enum_type(def.type.ref).zero_is_unknown) {
    trace_.Unset(path);
    return Unknown();
  }
  trace_.Read(path, Show(v, cx_.schema));
  return v;
}

V Atom::Navigate(const Expr& e) {
  if (e.kind == ExprKind::kIdent && e.resolution == Resolution::kIterVar) {
    return vars_[vars_.size() - 1 - e.slot];
  }
  if (e.resolution != Resolution::kField) return Eval(e);
  V base;
  if (e.kind == ExprKind::kIdent) {
    base.k = K::kMessage;
    base.msg = &cx_.facts;
    base.ref = cx_.schema.root();
  } else {
    base = Navigate(*e.args[0]);
    if (base.k != K::kMessage) return base;
  }
  return Field(base, e.field);
}

V Atom::Eval(const Expr& e) {
  switch (e.kind) {
    case ExprKind::kLiteral:
      return FromLiteral(e.literal, e.type);
    case ExprKind::kIdent:
    case ExprKind::kSelect: {
      if (e.kind == ExprKind::kIdent && e.resolution == Resolution::kConstant) {
        const ConstantDef& c = (*cx_.constants)[e.slot];
        if (!c.type.is_list) return FromLiteral(c.values.at(0), c.type);
        V list;
        list.k = K::kList;
        for (const LiteralValue& l : c.values) {
          list.list.push_back(FromLiteral(l, c.type.Element()));
        }
        return list;
      }
      V v = Navigate(e);
      if (v.k == K::kMessage && v.msg == nullptr) {  // an unset message read
        trace_.Unset(v.path);
        return Unknown();
      }
      return v;
    }
    case ExprKind::kList: {
      V list;
      list.k = K::kList;
      bool unknown = false;
      for (const auto& arg : e.args) {
        V x = Eval(*arg);
        if (x.k == K::kError) return x;
        if (x.bounded && !x.bound_error.empty()) return Error(x.bound_error);
        if (!Known(x)) unknown = true;
        list.list.push_back(std::move(x));
      }
      if (unknown) return Unknown();
      return list;
    }
    case ExprKind::kUnary: {
      V a = Eval(*e.args[0]);
      if (e.op == Op::kNot) {
        if (a.bounded)
          return a.bound_error.empty() ? Unknown() : Error(a.bound_error);
        if (!Known(a)) return a;
        return Bool(!a.b);
      }
      if (a.k == K::kError) return a;
      if (a.bounded)
        return a.bound_error.empty() ? Unknown() : Error(a.bound_error);
      if (a.k == K::kUnknown) return a;
      if (a.k == K::kInt) {
        if (a.i == std::numeric_limits<int64_t>::min()) {
          return Error(absl::StrCat("integer overflow in '", Text(e), "'"));
        }
        return Int(-a.i);
      }
      if (a.k == K::kDouble) return Double(-a.d);
      if (a.k == K::kDur) return Dur(-a.dur);
      return Error("unary minus of a non-number");
    }
    case ExprKind::kBinary: {
      const V a = Eval(*e.args[0]);
      const V b = Eval(*e.args[1]);
      return Binary(e, a, b);
    }
    case ExprKind::kCall:
      return Call(e);
    case ExprKind::kComprehension:
      return Comprehension(e);
  }
  return Error("unknown expression");
}

// ---------------------------------------------------------------------------
// Operators.

constexpr int kUnordered = 3;  // a NaN: IEEE, no order and equal to nothing

// -1, 0, 1 or kUnordered; both known numbers (an int meeting a double is a
// double).
int CompareNumbers(const V& a, const V& b) {
  if (a.k == K::kInt && b.k == K::kInt) return (a.i > b.i) - (a.i < b.i);
  const double x = a.k == K::kInt ? static_cast<double>(a.i) : a.d;
  const double y = b.k == K::kInt ? static_cast<double>(b.i) : b.d;
  if (std::isnan(x) || std::isnan(y)) return kUnordered;
  return (x > y) - (x < y);
}

bool IsNumber(const V& v) { return v.k == K::kInt || v.k == K::kDouble; }

// Equality of two known values; false for kinds that do not meet.
bool Equal(const V& a, const V& b, const FactSchema& schema) {
  if (IsNumber(a) && IsNumber(b)) return CompareNumbers(a, b) == 0;
  if (a.k == K::kEnum && b.k == K::kString) return Show(a, schema) == b.s;
  if (a.k == K::kString && b.k == K::kEnum) return a.s == Show(b, schema);
  if (a.k != b.k) return false;
  switch (a.k) {
    case K::kBool:
      return a.b == b.b;
    case K::kString:
      return a.s == b.s;
    case K::kTime:
      return a.t == b.t;
    case K::kDur:
      return a.dur == b.dur;
    case K::kEnum:
      return a.i == b.i;
    case K::kList:
      if (a.list.size() != b.list.size()) return false;
      for (size_t n = 0; n < a.list.size(); ++n) {
        if (!Equal(a.list[n], b.list[n], schema)) return false;
      }
      return true;
    default:
      return false;
  }
}

// Order of two known values: -1, 0, 1, kUnordered (a NaN), or 2 when they
// have no order.
int Order(const V& a, const V& b) {
  if (IsNumber(a) && IsNumber(b)) return CompareNumbers(a, b);
  if (a.k != b.k) return 2;
  switch (a.k) {
    case K::kString:
      return (a.s > b.s) - (a.s < b.s);
    case K::kTime:
      return (a.t > b.t) - (a.t < b.t);
    case K::kDur:
      return (a.dur > b.dur) - (a.dur < b.dur);
    case K::kEnum:
    case K::kInt:
      return (a.i > b.i) - (a.i < b.i);
    default:
      return 2;
  }
}

bool IsComparison(Op op) {
  return op == Op::kEq || op == Op::kNe || op == Op::kLt || op == Op::kLe ||
         op == Op::kGt || op == Op::kGe;
}

// `op` on an order result (-1, 0, 1, kUnordered).
bool Holds(Op op, int order) {
  if (order == kUnordered) return op == Op::kNe;
  switch (op) {
    case Op::kEq:
      return order == 0;
    case Op::kNe:
      return order != 0;
    case Op::kLt:
      return order < 0;
    case Op::kLe:
      return order <= 0;
    case Op::kGt:
      return order > 0;
    case Op::kGe:
      return order >= 0;
    default:
      return false;
  }
}

V Atom::Binary(const Expr& e, const V& a, const V& b) {
  const Op op = e.op;
  if (op == Op::kAnd || op == Op::kOr) {  // Kleene, inside an atom
    const auto truth = [](const V& v) {
      if (v.bounded)
        return v.bound_error.empty() ? Truth::kUnknown : Truth::kError;
      if (v.k == K::kError) return Truth::kError;
      if (v.k == K::kUnknown) return Truth::kUnknown;
      return v.b ? Truth::kTrue : Truth::kFalse;
    };
    const Truth x = truth(a), y = truth(b);
    const Truth decisive = op == Op::kAnd ? Truth::kFalse : Truth::kTrue;
    if (x == decisive || y == decisive) return Bool(op == Op::kOr);
    if (x == Truth::kError) return a.k == K::kError ? a : Error(a.bound_error);
    if (y == Truth::kError) return b.k == K::kError ? b : Error(b.bound_error);
    if (x == Truth::kUnknown || y == Truth::kUnknown) return Unknown();
    return Bool(op == Op::kAnd);
  }
  // The operands settle first: the left ERROR, else the right ERROR.
  if (a.k == K::kError) return a;
  if (b.k == K::kError) return b;
  if (a.bounded || b.bounded) {
    // A comparison of a bounded unknown with a known value is decided when
    // every value in the range gives the same answer.
    const V& open = a.bounded ? a : b;
    const V& other = a.bounded ? b : a;
    if (IsComparison(op) && !other.bounded && Known(other)) {
      bool any_true = false, any_false = false;
      const auto at = [&](int64_t n) {
        V x = open.ref >= 0 ? Enum(n, open.ref) : Int(n);
        const int order = a.bounded ? Order(x, other) : Order(other, x);
        (Holds(op, order) ? any_true : any_false) = true;
      };
      if (op == Op::kEq || op == Op::kNe) {
        // Every value in range equal to `other`, or none: only the ends
        // and `other` itself can tell.
        at(open.lo);
        at(open.hi);
        if (IsNumber(other) || other.k == K::kEnum) {
          const double x =
              other.k == K::kDouble ? other.d : static_cast<double>(other.i);
          if (x > static_cast<double>(open.lo) &&
              x < static_cast<double>(open.hi) && x == std::floor(x)) {
            at(static_cast<int64_t>(x));
          }
        }
      } else {
        at(open.lo);  // ordering against a constant is monotone over n
        at(open.hi);
      }
      if (any_true != any_false) return Bool(any_true);
    }
    if (a.bounded && !a.bound_error.empty()) return Error(a.bound_error);
    if (b.bounded && !b.bound_error.empty()) return Error(b.bound_error);
    return Unknown();
  }
  if (a.k == K::kUnknown || b.k == K::kUnknown) return Unknown();
  if (op == Op::kEq) return Bool(Equal(a, b, cx_.schema));
  if (op == Op::kNe) return Bool(!Equal(a, b, cx_.schema));
  if (IsComparison(op)) {
    const int order = Order(a, b);
    if (order == 2) return Error("values without an order compared");
    return Bool(Holds(op, order));
  }
  if (op == Op::kIn) {
    if (b.k != K::kList) return Error("'in' needs a list");
    for (const V& x : b.list) {
      if (Known(x) && Equal(a, x, cx_.schema)) return Bool(true);
    }
    return Bool(false);
  }
  return Arith(e, a, b);
}

V Atom::Arith(const Expr& e, const V& a, const V& b) {
  const Op op = e.op;
  const auto overflow = [&] {
    return Error(absl::StrCat("integer overflow in '", Text(e), "'"));
  };
  if (a.k == K::kInt && b.k == K::kInt) {
    int64_t r = 0;
    switch (op) {
      case Op::kAdd:
        if (__builtin_add_overflow(a.i, b.i, &r)) return overflow();
        return Int(r);
      case Op::kSub:
        if (__builtin_sub_overflow(a.i, b.i, &r)) return overflow();
        return Int(r);
      case Op::kMul:
        if (__builtin_mul_overflow(a.i, b.i, &r)) return overflow();
        return Int(r);
      case Op::kDiv:
      case Op::kMod:
        if (b.i == 0) {
          return Error(absl::StrCat(op == Op::kDiv ? "division" : "modulo",
                                    " by zero in '", Text(e), "'"));
        }
        if (a.i == std::numeric_limits<int64_t>::min() && b.i == -1) {
          return overflow();
        }
        return Int(op == Op::kDiv ? a.i / b.i : a.i % b.i);
      default:
        return Error("not an arithmetic operator");
    }
  }
  if (IsNumber(a) && IsNumber(b)) {
    const double x = a.k == K::kInt ? static_cast<double>(a.i) : a.d;
    const double y = b.k == K::kInt ? static_cast<double>(b.i) : b.d;
    switch (op) {
      case Op::kAdd:
        return Double(x + y);
      case Op::kSub:
        return Double(x - y);
      case Op::kMul:
        return Double(x * y);
      case Op::kDiv:
      case Op::kMod:
        if (y == 0) {
          return Error(absl::StrCat(op == Op::kDiv ? "division" : "modulo",
                                    " by zero in '", Text(e), "'"));
        }
        return Double(op == Op::kDiv ? x / y : std::fmod(x, y));
      default:
        return Error("not an arithmetic operator");
    }
  }
  if (a.k == K::kString && b.k == K::kString && op == Op::kAdd) {
    return Str(a.s + b.s);
  }
  if (a.k == K::kTime && b.k == K::kDur && op == Op::kAdd) {
    return Time(a.t + b.dur);
  }
  if (a.k == K::kDur && b.k == K::kTime && op == Op::kAdd) {
    return Time(b.t + a.dur);
  }
  if (a.k == K::kTime && b.k == K::kDur && op == Op::kSub) {
    return Time(a.t - b.dur);
  }
  if (a.k == K::kTime && b.k == K::kTime && op == Op::kSub) {
    return Dur(a.t - b.t);
  }
  if (a.k == K::kDur && b.k == K::kDur && op == Op::kAdd) {
    return Dur(a.dur + b.dur);
  }
  if (a.k == K::kDur && b.k == K::kDur && op == Op::kSub) {
    return Dur(a.dur - b.dur);
  }
  return Error(absl::StrCat("'", OpSpelling(op), "' of these types"));
}

// ---------------------------------------------------------------------------
// Calls.

V Atom::Call(const Expr& e) {
  switch (e.function) {
    case Function::kSize: {
      V x = Eval(*e.args.at(0));
      if (x.bounded)
        return x.bound_error.empty() ? Unknown() : Error(x.bound_error);
      if (!Known(x)) return x;
      if (x.k == K::kList) return Int(static_cast<int64_t>(x.list.size()));
      if (x.k == K::kString) {
        int64_t points = 0;  // bytes that do not continue a UTF-8 sequence
        for (unsigned char c : x.s) points += (c & 0xC0) != 0x80;
        return Int(points);
      }
      return Error("size() of a non-list, non-string");
    }
    case Function::kHas:
      return Has(e);
    case Function::kMentions: {
      V text = Eval(*e.args.at(0));
      V phrase = Eval(*e.args.at(1));
      if (text.k == K::kError) return text;
      if (phrase.k == K::kError) return phrase;
      if (!Known(text) || !Known(phrase)) return Unknown();
      return Bool(TextMentions(text.s, phrase.s));
    }
    case Function::kTimestamp:
    case Function::kDuration: {
      V x = Eval(*e.args.back());
      if (!Known(x)) return x;
      if (e.function == Function::kTimestamp) {
        absl::Time t;
        if (ParseTimestampText(x.s, &t)) return Time(t);
      } else {
        absl::Duration d;
        if (ParseDurationText(x.s, &d)) return Dur(d);
      }
      return Error(absl::StrCat(
          "invalid ",
          e.function == Function::kTimestamp ? "timestamp" : "duration",
          " text ", DisplayString(x.s), " in '", Text(e), "'"));
    }
    case Function::kAsOf:
      trace_.Read("as_of()", DisplayTimestamp(cx_.as_of));
      return Time(cx_.as_of);
    case Function::kFired:
    case Function::kConcernScore:
    case Function::kConcernLevel:
    case Function::kTotalScore:
      return PolicyCall(e);
    case Function::kGrade:
    case Function::kPrompt:
    case Function::kAction:
      return AnswerCall(e);
    default:
      return Error(absl::StrCat("unsupported function '", e.name, "'"));
  }
}

// has(path): the last step's presence; never UNKNOWN.
V Atom::Has(const Expr& e) {
  const Expr& arg = *e.args.at(0);
  V base;
  if (arg.kind == ExprKind::kIdent) {
    base.k = K::kMessage;
    base.msg = &cx_.facts;
    base.ref = cx_.schema.root();
  } else {
    base = Navigate(*arg.args.at(0));
    if (base.k == K::kError) return base;
    if (base.k != K::kMessage) return Error("has() through a non-message");
  }
  const FieldDef& def = cx_.schema.message_type(base.ref).fields[arg.field];
  const std::string path = Join(base.path, def.name);
  bool set = false;
  if (base.msg != nullptr) {
    const FactSlot& slot = base.msg->slot(arg.field);
    set = !slot.values.empty();
    // A scalar without presence is "set" when it is not its zero.
    if (set && !def.type.is_list && !def.has_presence &&
        def.type.kind != TypeKind::kMessage) {
      V v = FromFact(slot.values[0], def.type, path);
      set = v.k != K::kError && !IsZero(v);
    }
  }
  trace_.Read(path, set ? "set" : "unset");
  return Bool(set);
}

bool PatternMatches(absl::string_view id, absl::string_view pattern) {
  if (absl::EndsWith(pattern, ".*")) {
    return absl::StartsWith(id, pattern.substr(0, pattern.size() - 1));
  }
  return id == pattern;
}

V Atom::PolicyCall(const Expr& e) {
  if (cx_.policy == nullptr) {
    return Error(absl::StrCat(e.name, "() outside the policy stage"));
  }
  const PolicyInputs& in = *cx_.policy;
  const int32_t level_ref = e.type.kind == TypeKind::kEnum ? e.type.ref : -1;
  if (e.function == Function::kTotalScore) {
    return Bounded(in.total_score, "total_score()", level_ref);
  }
  V arg = Eval(*e.args.back());
  if (!Known(arg)) return arg;
  const std::string path = absl::StrCat(e.name, "(", DisplayString(arg.s), ")");
  if (e.function == Function::kFired) {
    const PolicyRule* errored = nullptr;
    bool blocked = false;
    for (const PolicyRule& r : in.rules) {
      if (!PatternMatches(r.id, arg.s)) continue;
      if (r.truth == Truth::kTrue) {
        trace_.Read(path, "true");
        return Bool(true);
      }
      if (r.truth == Truth::kError && errored == nullptr) errored = &r;
      if (r.truth == Truth::kUnknown) blocked = true;
    }
    if (errored != nullptr) {
      trace_.Read(path, "error");
      return Error(absl::StrCat(path, ": rule '", errored->id,
                                "' failed: ", errored->error));
    }
    if (blocked) {
      trace_.Read(path, "unknown");
      for (const PolicyRule& r : in.rules) {
        if (r.truth != Truth::kUnknown || !PatternMatches(r.id, arg.s))
          continue;
        for (const std::string& p : r.unknown_paths)
          trace_.unknown.push_back(p);
      }
      return Unknown();
    }
    trace_.Read(path, "false");
    return Bool(false);
  }
  for (const PolicyInputs::Concern& c : in.concerns) {
    if (c.name != arg.s) continue;
    return Bounded(e.function == Function::kConcernScore ? c.score : c.level,
                   path, level_ref);
  }
  return Bounded(PolicyBound::Known(0), path, level_ref);  // not named: 0
}

V Atom::Bounded(const PolicyBound& bound, const std::string& path,
                int32_t ref) {
  const auto at = [&](int64_t n) { return ref >= 0 ? Enum(n, ref) : Int(n); };
  if (bound.low == bound.high) {
    V v = at(bound.low);
    trace_.Read(path, Show(v, cx_.schema));
    return v;
  }
  trace_.Read(
      path, absl::StrCat("unknown in [", Show(at(bound.low), cx_.schema), ", ",
                         Show(at(bound.high), cx_.schema), "]"));
  for (const std::string& p : bound.unknown_paths) trace_.unknown.push_back(p);
  V v;
  v.bounded = true;
  v.lo = bound.low;
  v.hi = bound.high;
  v.ref = ref;
  if (!bound.error.empty())
    v.bound_error = absl::StrCat(path, ": ", bound.error);
  return v;
}

V Atom::AnswerCall(const Expr& e) {
  if (cx_.policy == nullptr || !cx_.policy->answer.has_value()) {
    return Error(absl::StrCat(e.name, "() outside the answer stage"));
  }
  const PolicyInputs::Answer& answer = *cx_.policy->answer;
  if (e.function == Function::kGrade) {
    trace_.Read("grade()", answer.grade_name);
    return Int(answer.grade);
  }
  V arg = Eval(*e.args.back());
  if (!Known(arg)) return arg;
  const std::string path = absl::StrCat(e.name, "(", DisplayString(arg.s), ")");
  if (e.function == Function::kAction) {
    const bool listed = std::find(answer.actions.begin(), answer.actions.end(),
                                  arg.s) != answer.actions.end();
    trace_.Read(path, listed ? "true" : "false");
    return Bool(listed);
  }
  for (const auto& [name, rank] : answer.prompts) {
    if (name != arg.s) continue;
    if (rank < 0 || rank >= static_cast<int64_t>(std::size(kPromptAnswers))) {
      break;
    }
    trace_.Read(path, kPromptAnswers[rank]);
    return Int(rank);
  }
  return Error(absl::StrCat("no answer for prompt ", arg.s));
}

// exists / all / count: every element evaluated; exists like ||, all like
// &&, count the TRUE elements when none is UNKNOWN or ERROR. An ERROR
// carries the first failing element's message.
V Atom::Comprehension(const Expr& e) {
  V list = Eval(*e.args.at(0));
  if (list.bounded)
    return list.bound_error.empty() ? Unknown() : Error(list.bound_error);
  if (!Known(list)) return list;
  if (list.k != K::kList) return Error("comprehension over a non-list");
  int64_t trues = 0;
  bool any_false = false, any_unknown = false;
  const V* first_error = nullptr;
  std::vector<V> results;
  results.reserve(list.list.size());
  for (const V& element : list.list) {
    vars_.push_back(element);
    results.push_back(Eval(*e.args.at(1)));
    vars_.pop_back();
    V& r = results.back();
    if (r.bounded) {
      r = r.bound_error.empty() ? Unknown() : Error(r.bound_error);
    }
    if (r.k == K::kError) {
      if (first_error == nullptr) first_error = &r;
    } else if (r.k == K::kUnknown) {
      any_unknown = true;
    } else if (r.b) {
      ++trues;
    } else {
      any_false = true;
    }
  }
  switch (e.function) {
    case Function::kExists:
      if (trues > 0) return Bool(true);
      break;
    case Function::kAll:
      if (any_false) return Bool(false);
      break;
    default:
      break;
  }
  if (first_error != nullptr) return *first_error;
  if (any_unknown) return Unknown();
  if (e.function == Function::kCount) return Int(trues);
  return Bool(e.function == Function::kAll);
}

// ---------------------------------------------------------------------------
// The logic layer.

bool IsLogic(const Expr& e) {
  return (e.kind == ExprKind::kUnary && e.op == Op::kNot) ||
         (e.kind == ExprKind::kBinary && (e.op == Op::kAnd || e.op == Op::kOr));
}

struct AtomResult {
  AtomEvidence evidence;
  std::vector<std::string> unknown;
  std::string error;
};

struct Node {
  Truth truth = Truth::kFalse;
  std::vector<size_t> reasons;  // indices of atoms
};

class Walker {
 public:
  explicit Walker(const Context& cx) : cx_(cx) {}

  Node Walk(const Expr& e) {
    if (!IsLogic(e)) return Leaf(e);
    if (e.op == Op::kNot) {
      Node a = Walk(*e.args[0]);
      if (a.truth == Truth::kTrue) {
        a.truth = Truth::kFalse;
      } else if (a.truth == Truth::kFalse) {
        a.truth = Truth::kTrue;
      }
      return a;
    }
    const Node a = Walk(*e.args[0]);
    const Node b = Walk(*e.args[1]);
    const bool is_and = e.op == Op::kAnd;
    const Truth decisive = is_and ? Truth::kFalse : Truth::kTrue;
    const Truth yielding = is_and ? Truth::kTrue : Truth::kFalse;
    Node out;
    const auto take = [&out](const Node& n) {
      out.reasons.insert(out.reasons.end(), n.reasons.begin(), n.reasons.end());
    };
    if (a.truth == decisive || b.truth == decisive) {
      out.truth = decisive;
      if (a.truth == decisive) take(a);
      if (b.truth == decisive) take(b);
    } else if (a.truth == yielding && b.truth == yielding) {
      out.truth = yielding;
      take(a);
      take(b);
    } else {
      out.truth = a.truth == Truth::kError || b.truth == Truth::kError
                      ? Truth::kError
                      : Truth::kUnknown;
      if (a.truth != yielding) take(a);
      if (b.truth != yielding) take(b);
    }
    return out;
  }

  ConditionResult Finish(const Node& root) {
    std::vector<size_t> order = root.reasons;
    std::sort(order.begin(), order.end(), [this](size_t x, size_t y) {
      return atoms_[x].evidence.offset != atoms_[y].evidence.offset
                 ? atoms_[x].evidence.offset < atoms_[y].evidence.offset
                 : x < y;
    });
    ConditionResult r;
    r.truth = root.truth;
    for (size_t n : order) {
      const AtomResult& a = atoms_[n];
      r.reasons.push_back(a.evidence);
      if (root.truth == Truth::kUnknown) {
        r.unknown_paths.insert(r.unknown_paths.end(), a.unknown.begin(),
                               a.unknown.end());
      }
      if (root.truth == Truth::kError && r.error.empty()) r.error = a.error;
    }
    std::sort(r.unknown_paths.begin(), r.unknown_paths.end());
    r.unknown_paths.erase(
        std::unique(r.unknown_paths.begin(), r.unknown_paths.end()),
        r.unknown_paths.end());
    return r;
  }

 private:
  Node Leaf(const Expr& e) {
    Trace trace;
    const V v = Atom(cx_, &trace).Eval(e);
    AtomResult a;
    a.evidence.condition = ConditionText(e, cx_.source, &a.evidence.offset);
    if (v.bounded) {
      a.evidence.truth =
          v.bound_error.empty() ? Truth::kUnknown : Truth::kError;
      a.error = v.bound_error;
    } else if (v.k == K::kError) {
      a.evidence.truth = Truth::kError;
      a.error = v.error;
    } else if (v.k == K::kBool) {
      a.evidence.truth = v.b ? Truth::kTrue : Truth::kFalse;
    } else {
      a.evidence.truth = Truth::kUnknown;
    }
    a.evidence.readings = std::move(trace.readings);
    a.unknown = std::move(trace.unknown);
    atoms_.push_back(std::move(a));
    Node n;
    n.truth = atoms_.back().evidence.truth;
    n.reasons = {atoms_.size() - 1};
    return n;
  }

  const Context& cx_;
  std::vector<AtomResult> atoms_;
};

}  // namespace

bool TextMentions(absl::string_view text, absl::string_view phrase) {
  const std::vector<std::string> t = Words(text);
  const std::vector<std::string> p = Words(phrase);
  if (p.empty() || p.size() > t.size()) return false;
  for (size_t start = 0; start + p.size() <= t.size(); ++start) {
    if (std::equal(p.begin(), p.end(), t.begin() + start)) return true;
  }
  return false;
}

ConditionResult ReferenceEvaluator::EvaluateCondition(
    const Expr& expr, const SourceText& source, const FactRecord& facts,
    const PolicyInputs* policy) const {
  const Context cx{*schema_, constants_, source, facts, policy, as_of_};
  Walker walker(cx);
  const Node root = walker.Walk(expr);
  return walker.Finish(root);
}

ValueResult ReferenceEvaluator::EvaluateValue(
    const Expr& expr, const SourceText& source, const FactRecord& facts,
    const PolicyInputs* policy) const {
  const Context cx{*schema_, constants_, source, facts, policy, as_of_};
  Trace trace;
  const V v = Atom(cx, &trace).Eval(expr);
  ValueResult r;
  const auto unknown = [&] {
    r.truth = Truth::kUnknown;
    r.unknown_paths = trace.unknown;
    std::sort(r.unknown_paths.begin(), r.unknown_paths.end());
    r.unknown_paths.erase(
        std::unique(r.unknown_paths.begin(), r.unknown_paths.end()),
        r.unknown_paths.end());
  };
  if (v.bounded && v.bound_error.empty()) {
    unknown();
  } else if (v.bounded || v.k == K::kError) {
    r.truth = Truth::kError;
    r.error = v.bounded ? v.bound_error : v.error;
  } else if (v.k == K::kUnknown) {
    unknown();
  } else {
    r.truth = Truth::kTrue;
    switch (v.k) {
      case K::kBool:
        r.value = v.b;
        break;
      case K::kInt:
        r.value = v.i;
        break;
      case K::kDouble:
        r.value = v.d;
        break;
      case K::kString:
        r.value = v.s;
        break;
      case K::kTime:
        r.value = v.t;
        break;
      case K::kDur:
        r.value = v.dur;
        break;
      case K::kEnum:
        r.value = EnumLiteral{static_cast<int32_t>(v.i)};
        break;
      default:
        r.truth = Truth::kError;
        r.error = "the expression's value is not a scalar";
    }
  }
  return r;
}

}  // namespace lantern
