// Operators of the compiled-atom VM: comparison, `in`, arithmetic and
// Kleene logic over FrameValues, a line-for-line port of the reference
// evaluator's (doc/language.md) onto values that own
// nothing; the type-independent core (orderings, comparison results, checked
// arithmetic) is shared with it through engine/lang/value_ops.h.
//
// Entry points: ApplyUnary, ApplyBinary, KleeneAnd, KleeneOr. Every
// operator first settles its operands (the left ERROR, else the right
// ERROR, else UNKNOWN if either is unknown) and only then runs. Integer
// arithmetic is checked; division and modulo by zero are ERRORs for ints and
// doubles; an int meeting a double is widened to double; an enum compared
// with a string compares the enum value's name.
#include <cmath>
#include <limits>
#include <optional>

#include "absl/strings/str_cat.h"
#include "engine/lang/value_ops.h"
#include "engine/match/internal/atom_vm_internal.h"

namespace lantern {
namespace atom_vm_internal {

FrameValue BoolValue(bool b) {
  FrameValue v;
  v.kind = VKind::kBool;
  v.b = b;
  return v;
}

FrameValue IntValue(int64_t i) {
  FrameValue v;
  v.kind = VKind::kInt;
  v.i = i;
  return v;
}

FrameValue UnknownValue() { return FrameValue(); }

FrameValue ErrorValue(const OpContext& ctx, absl::string_view message) {
  FrameValue v;
  v.kind = VKind::kError;
  if (ctx.trace) v.error = ctx.strings->Save(message);
  return v;
}

FrameValue QuotedError(const OpContext& ctx, absl::string_view what) {
  if (!ctx.trace) return ErrorValue(ctx, "");
  return ErrorValue(ctx, absl::StrCat(what, " in '", *ctx.text, "'"));
}

Truth TruthOf(const FrameValue& v) {
  switch (v.kind) {
    case VKind::kBool:
      return v.b ? Truth::kTrue : Truth::kFalse;
    case VKind::kUnknown:
    case VKind::kAbsent:
      return Truth::kUnknown;
    default:
      return Truth::kError;
  }
}

FrameValue ElementAt(const FrameValue& list, int32_t i, const OpContext& ctx) {
  if (list.fact_list == nullptr) return list.elems[i];
  FrameValue e;
  ElementInto(list, i, ctx, &e);
  return e;
}

void ElementInto(const FrameValue& list, int32_t i, const OpContext& ctx,
                 FrameValue* out) {
  if (list.fact_list == nullptr) {
    *out = list.elems[i];
    return;
  }
  ScalarToValue(list.fact_list->values[i], list.elem, out);
  if (ctx.trace) {
    std::string* path = ctx.strings->Next();
    absl::StrAppend(path, list.path, "[", i, "]");
    out->path = *path;
  }
}

namespace {

using value_ops::Order;
using value_ops::OrderOf;

bool IsNumber(const FrameValue& v) {
  return v.kind == VKind::kInt || v.kind == VKind::kDouble;
}

double AsDouble(const FrameValue& v) {
  return v.kind == VKind::kInt ? static_cast<double>(v.i) : v.d;
}

Order OrderNumbers(const FrameValue& a, const FrameValue& b) {
  if (a.kind == VKind::kInt && b.kind == VKind::kInt) return OrderOf(a.i, b.i);
  return value_ops::OrderDoubles(AsDouble(a), AsDouble(b));
}

Order OrderEnumName(const FrameValue& e, const FrameValue& s,
                    const FactSchema& schema) {
  if (e.ref < 0 || e.ref >= schema.enum_count()) return Order::kUnordered;
  const std::string* name =
      schema.enum_type(e.ref).NameOf(static_cast<int32_t>(e.i));
  if (name == nullptr || *name != s.s) return Order::kUnordered;
  return Order::kEqual;
}

Order Compare(const FrameValue& a, const FrameValue& b, const OpContext& ctx);

// Calls f(element i of `list`) with a reference into a constant list or a
// fact element converted (untraced) into `buffer`.
template <typename F>
auto WithElement(const FrameValue& list, int32_t i, FrameValue* buffer,
                 const OpContext& ctx, F&& f) {
  if (list.fact_list == nullptr) return f(list.elems[i]);
  OpContext quiet = ctx;
  quiet.trace = false;
  ElementInto(list, i, quiet, buffer);
  return f(static_cast<const FrameValue&>(*buffer));
}

Order OrderLists(const FrameValue& a, const FrameValue& b,
                 const OpContext& ctx) {
  if (a.size != b.size) return Order::kUnordered;
  FrameValue ea, eb;
  for (int32_t i = 0; i < a.size; ++i) {
    const Order order = WithElement(a, i, &ea, ctx, [&](const FrameValue& x) {
      return WithElement(b, i, &eb, ctx, [&](const FrameValue& y) {
        return Compare(x, y, ctx);
      });
    });
    if (order != Order::kEqual) return Order::kUnordered;
  }
  return Order::kEqual;
}

Order Compare(const FrameValue& a, const FrameValue& b, const OpContext& ctx) {
  if (IsNumber(a) && IsNumber(b)) return OrderNumbers(a, b);
  if (a.kind == VKind::kEnum && b.kind == VKind::kString) {
    return OrderEnumName(a, b, *ctx.schema);
  }
  if (a.kind == VKind::kString && b.kind == VKind::kEnum) {
    return OrderEnumName(b, a, *ctx.schema);
  }
  if (a.kind != b.kind) return Order::kIncomparable;
  switch (a.kind) {
    case VKind::kBool:
      return OrderOf(a.b, b.b);
    case VKind::kString:
      return OrderOf(a.s, b.s);
    case VKind::kTime:
      return OrderOf(a.t, b.t);
    case VKind::kDuration:
      return OrderOf(a.dur, b.dur);
    case VKind::kEnum:
      return OrderOf(a.i, b.i);
    case VKind::kList:
      return OrderLists(a, b, ctx);
    default:
      return Order::kIncomparable;
  }
}

FrameValue CompareOp(Op op, const FrameValue& a, const FrameValue& b,
                     const OpContext& ctx) {
  const Order order = Compare(a, b, ctx);
  if (order == Order::kIncomparable) {
    return QuotedError(
        ctx, absl::StrCat("cannot compare with '", OpSpelling(op), "'"));
  }
  bool is_comparison = true;
  const bool holds = value_ops::ComparisonHolds(op, order, &is_comparison);
  if (!is_comparison) return QuotedError(ctx, "not a comparison");
  return BoolValue(holds);
}

FrameValue InOp(const FrameValue& element, const FrameValue& list,
                const OpContext& ctx) {
  if (list.kind != VKind::kList) return ErrorValue(ctx, "'in' needs a list");
  FrameValue buffer;
  for (int32_t i = 0; i < list.size; ++i) {
    const bool equal =
        WithElement(list, i, &buffer, ctx, [&](const FrameValue& e) {
          return Compare(element, e, ctx) == Order::kEqual;
        });
    if (equal) return BoolValue(true);
  }
  return BoolValue(false);
}

FrameValue IntOp(Op op, int64_t x, int64_t y, const OpContext& ctx) {
  int64_t out = 0;
  if (const char* e = value_ops::IntArithmetic(op, x, y, &out)) {
    return QuotedError(ctx, e);
  }
  return IntValue(out);
}

FrameValue DoubleValue(double d) {
  FrameValue v;
  v.kind = VKind::kDouble;
  v.d = d;
  return v;
}

FrameValue DoubleOp(Op op, double x, double y, const OpContext& ctx) {
  double out = 0;
  if (const char* e = value_ops::DoubleArithmetic(op, x, y, &out)) {
    return QuotedError(ctx, e);
  }
  return DoubleValue(out);
}

FrameValue TimeValue(absl::Time t) {
  FrameValue v;
  v.kind = VKind::kTime;
  v.t = t;
  return v;
}

FrameValue DurationValue(absl::Duration d) {
  FrameValue v;
  v.kind = VKind::kDuration;
  v.dur = d;
  return v;
}

// Timestamps and durations: t ± d, d + t, t - t, d ± d.
FrameValue TimeOp(Op op, const FrameValue& a, const FrameValue& b,
                  const OpContext& ctx) {
  const VKind ka = a.kind, kb = b.kind;
  using K = VKind;
  if (op == Op::kAdd) {
    if (ka == K::kTime && kb == K::kDuration) return TimeValue(a.t + b.dur);
    if (ka == K::kDuration && kb == K::kTime) return TimeValue(b.t + a.dur);
    if (ka == K::kDuration && kb == K::kDuration) {
      return DurationValue(a.dur + b.dur);
    }
  } else if (op == Op::kSub) {
    if (ka == K::kTime && kb == K::kDuration) return TimeValue(a.t - b.dur);
    if (ka == K::kTime && kb == K::kTime) return DurationValue(a.t - b.t);
    if (ka == K::kDuration && kb == K::kDuration) {
      return DurationValue(a.dur - b.dur);
    }
  }
  return QuotedError(ctx, "unsupported operands");
}

FrameValue Arithmetic(Op op, const FrameValue& a, const FrameValue& b,
                      const OpContext& ctx) {
  if (a.kind == VKind::kInt && b.kind == VKind::kInt) {
    return IntOp(op, a.i, b.i, ctx);
  }
  if (IsNumber(a) && IsNumber(b)) {
    return DoubleOp(op, AsDouble(a), AsDouble(b), ctx);
  }
  if (op == Op::kAdd && a.kind == VKind::kString && b.kind == VKind::kString) {
    std::string* joined = ctx.strings->Next();
    absl::StrAppend(joined, a.s, b.s);
    FrameValue v;
    v.kind = VKind::kString;
    v.s = *joined;
    return v;
  }
  return TimeOp(op, a, b, ctx);
}

// The settled state of two operands, or nullptr when both are known.
const FrameValue* Settle(const FrameValue& left, const FrameValue& right,
                         const FrameValue* unknown) {
  if (left.kind == VKind::kError) return &left;
  if (right.kind == VKind::kError) return &right;
  if (IsUnknown(left) || IsUnknown(right)) return unknown;
  return nullptr;
}

}  // namespace

FrameValue KleeneAnd(const FrameValue& left, const FrameValue& right,
                     const OpContext& ctx) {
  if (TruthOf(left) == Truth::kFalse || TruthOf(right) == Truth::kFalse) {
    return BoolValue(false);
  }
  const FrameValue unknown{};
  if (const FrameValue* settled = Settle(left, right, &unknown)) {
    return *settled;
  }
  if (left.kind != VKind::kBool || right.kind != VKind::kBool) {
    return ErrorValue(ctx, "'&&' on non-bool");
  }
  return BoolValue(true);
}

FrameValue KleeneOr(const FrameValue& left, const FrameValue& right,
                    const OpContext& ctx) {
  if (TruthOf(left) == Truth::kTrue || TruthOf(right) == Truth::kTrue) {
    return BoolValue(true);
  }
  const FrameValue unknown{};
  if (const FrameValue* settled = Settle(left, right, &unknown)) {
    return *settled;
  }
  if (left.kind != VKind::kBool || right.kind != VKind::kBool) {
    return ErrorValue(ctx, "'||' on non-bool");
  }
  return BoolValue(false);
}

FrameValue ApplyUnary(Op op, const FrameValue& operand, const OpContext& ctx) {
  if (!operand.known()) return operand;
  if (op == Op::kNot && operand.kind == VKind::kBool) {
    return BoolValue(!operand.b);
  }
  if (op == Op::kNeg) {
    switch (operand.kind) {
      case VKind::kInt:
        if (operand.i == std::numeric_limits<int64_t>::min()) {
          return QuotedError(ctx, "integer overflow");
        }
        return IntValue(-operand.i);
      case VKind::kDouble:
        return DoubleValue(-operand.d);
      case VKind::kDuration:
        return DurationValue(-operand.dur);
      default:
        break;
    }
  }
  return QuotedError(ctx, "unsupported operand");
}

FrameValue ApplyBinary(Op op, const FrameValue& left, const FrameValue& right,
                       const OpContext& ctx) {
  if (op == Op::kAnd) return KleeneAnd(left, right, ctx);
  if (op == Op::kOr) return KleeneOr(left, right, ctx);
  const FrameValue unknown{};
  if (const FrameValue* settled = Settle(left, right, &unknown)) {
    FrameValue out = *settled;
    out.path = {};
    return out;
  }
  switch (op) {
    case Op::kEq:
    case Op::kNe:
    case Op::kLt:
    case Op::kLe:
    case Op::kGt:
    case Op::kGe:
      return CompareOp(op, left, right, ctx);
    case Op::kIn:
      return InOp(left, right, ctx);
    default:
      return Arithmetic(op, left, right, ctx);
  }
}

// ---------------------------------------------------------------------------
// Bounded unknowns.

namespace {

bool IsComparison(Op op) {
  return op == Op::kEq || op == Op::kNe || op == Op::kLt || op == Op::kLe ||
         op == Op::kGt || op == Op::kGe;
}

bool IsOrdered(const FrameValue& v) {
  return v.kind == VKind::kInt || v.kind == VKind::kDouble ||
         v.kind == VKind::kEnum;
}

FrameValue BoundAt(const FrameValue& open, int64_t n) {
  FrameValue v = IntValue(n);
  if (open.ref >= 0) {
    v.kind = VKind::kEnum;
    v.ref = open.ref;
  }
  return v;
}

// `op` with the open operand at `n`; nullopt when that is not a bool.
std::optional<bool> CompareAt(Op op, const FrameValue& open, int64_t n,
                              const FrameValue& other, bool open_left,
                              const OpContext& ctx) {
  const FrameValue at = BoundAt(open, n);
  const FrameValue r =
      open_left ? CompareOp(op, at, other, ctx) : CompareOp(op, other, at, ctx);
  if (r.kind != VKind::kBool) return std::nullopt;
  return r.b;
}

// The answer every value in [open.i, open.high] gives, or nullopt: small
// ranges enumerated, wide ones by monotonicity (ordered comparisons) and
// the range's ends (== and !=).
std::optional<bool> DecideOverBounds(Op op, const FrameValue& open,
                                     const FrameValue& other, bool open_left,
                                     const OpContext& ctx) {
  const uint64_t width =
      static_cast<uint64_t>(open.high) - static_cast<uint64_t>(open.i);
  if (width <= 64) {
    std::optional<bool> first =
        CompareAt(op, open, open.i, other, open_left, ctx);
    for (uint64_t k = 1; first.has_value() && k <= width; ++k) {
      const int64_t n = static_cast<int64_t>(static_cast<uint64_t>(open.i) + k);
      if (CompareAt(op, open, n, other, open_left, ctx) != first) {
        return std::nullopt;
      }
    }
    return first;
  }
  if (!IsOrdered(other)) return std::nullopt;
  if (op == Op::kEq || op == Op::kNe) {
    const std::optional<bool> below =
        CompareAt(Op::kGt, open, open.i, other, /*open_left=*/true, ctx);
    const std::optional<bool> above =
        CompareAt(Op::kLt, open, open.high, other, /*open_left=*/true, ctx);
    if (below == true || above == true) return op == Op::kNe;
    return std::nullopt;
  }
  const std::optional<bool> at_low =
      CompareAt(op, open, open.i, other, open_left, ctx);
  const std::optional<bool> at_high =
      CompareAt(op, open, open.high, other, open_left, ctx);
  if (at_low.has_value() && at_low == at_high) return at_low;
  return std::nullopt;
}

}  // namespace

FrameValue OpenResult(const FrameValue& open, const OpContext& ctx) {
  if (open.bounded && open.bound_failed) {
    FrameValue v;
    v.kind = VKind::kError;
    if (ctx.trace) v.error = open.error;
    return v;
  }
  return UnknownValue();
}

FrameValue ApplyBounded(Op op, const FrameValue& left, const FrameValue& right,
                        const OpContext& ctx) {
  if (left.kind == VKind::kError) return left;
  if (right.kind == VKind::kError) return right;
  if (IsComparison(op) && left.bounded != right.bounded) {
    const FrameValue& open = left.bounded ? left : right;
    const FrameValue& other = left.bounded ? right : left;
    if (other.known()) {
      std::optional<bool> decided =
          DecideOverBounds(op, open, other, left.bounded, ctx);
      if (decided.has_value()) return BoolValue(*decided);
    }
  }
  if (left.bounded && left.bound_failed) return OpenResult(left, ctx);
  if (right.bounded && right.bound_failed) return OpenResult(right, ctx);
  return UnknownValue();
}

// ---------------------------------------------------------------------------
// mentions() and size().

namespace {

// Successive words of a text as mentions() splits it.
class WordCursor {
 public:
  explicit WordCursor(absl::string_view text) : text_(text) {}
  bool Next(absl::string_view* word) {
    while (pos_ < text_.size() && !IsWordByte(text_[pos_])) ++pos_;
    if (pos_ == text_.size()) return false;
    const size_t begin = pos_;
    while (pos_ < text_.size() && IsWordByte(text_[pos_])) ++pos_;
    *word = text_.substr(begin, pos_ - begin);
    return true;
  }

 private:
  static bool IsWordByte(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9');
  }
  absl::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

bool SameLowerWord(absl::string_view a, absl::string_view lower) {
  if (a.size() != lower.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (x != lower[i]) return false;
  }
  return true;
}

namespace {

bool SameWord(absl::string_view a, absl::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// True iff the phrase's words follow `start` (inclusive) in `text`.
bool MatchesAt(WordCursor text, absl::string_view start,
               absl::string_view phrase) {
  WordCursor want(phrase);
  absl::string_view need, got = start;
  bool first = true;
  while (want.Next(&need)) {
    if (!first && !text.Next(&got)) return false;
    first = false;
    if (!SameWord(need, got)) return false;
  }
  return true;
}

}  // namespace

bool Mentions(absl::string_view text, absl::string_view phrase) {
  WordCursor probe(phrase);
  absl::string_view word;
  if (!probe.Next(&word)) return false;
  WordCursor cursor(text);
  while (cursor.Next(&word)) {
    if (MatchesAt(cursor, word, phrase)) return true;
  }
  return false;
}

int64_t CodePoints(absl::string_view s) {
  int64_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

}  // namespace atom_vm_internal
}  // namespace lantern
