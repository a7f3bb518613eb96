// The type-independent core of the rule language's comparison and
// arithmetic operators of the matcher's atom VM (engine/match/atom_ops.cc,
// over FrameValues; doc/language.md defines them; the test oracle in
// tests/oracle/ has its own, deliberately not this): orderings, what each
// comparison operator makes of an ordering, and checked int and double
// arithmetic with their error texts. Everything is inline, so the VM's hot path
// pays nothing for the sharing.
//
// Thread-safety: pure functions.
#ifndef LANTERN_ENGINE_LANG_VALUE_OPS_H_
#define LANTERN_ENGINE_LANG_VALUE_OPS_H_

#include <cmath>
#include <cstdint>
#include <limits>

#include "engine/lang/ast.h"

namespace lantern::value_ops {

// kUnordered: comparable but neither less, equal nor greater (NaN, lists of
// different lengths, an enum number with another name); kIncomparable: of
// kinds that cannot be compared at all (an error).
enum class Order { kLess, kEqual, kGreater, kUnordered, kIncomparable };

template <typename T>
Order OrderOf(const T& a, const T& b) {
  if (a < b) return Order::kLess;
  if (b < a) return Order::kGreater;
  return Order::kEqual;
}

inline Order OrderDoubles(double x, double y) {
  if (std::isnan(x) || std::isnan(y)) return Order::kUnordered;
  return OrderOf(x, y);
}

// Whether comparison `op` holds for `order` (not kIncomparable); sets
// *is_comparison to false (and returns false) when `op` is no comparison.
inline bool ComparisonHolds(Op op, Order order, bool* is_comparison) {
  *is_comparison = true;
  switch (op) {
    case Op::kEq:
      return order == Order::kEqual;
    case Op::kNe:
      return order != Order::kEqual;
    case Op::kLt:
      return order == Order::kLess;
    case Op::kLe:
      return order == Order::kLess || order == Order::kEqual;
    case Op::kGt:
      return order == Order::kGreater;
    case Op::kGe:
      return order == Order::kGreater || order == Order::kEqual;
    default:
      *is_comparison = false;
      return false;
  }
}

// Checked int arithmetic: nullptr with *out set, or what went wrong
// ("division by zero", "integer overflow", ...).
inline const char* IntArithmetic(Op op, int64_t x, int64_t y, int64_t* out) {
  bool overflow = false;
  switch (op) {
    case Op::kAdd:
      overflow = __builtin_add_overflow(x, y, out);
      break;
    case Op::kSub:
      overflow = __builtin_sub_overflow(x, y, out);
      break;
    case Op::kMul:
      overflow = __builtin_mul_overflow(x, y, out);
      break;
    case Op::kDiv:
    case Op::kMod:
      if (y == 0) return op == Op::kDiv ? "division by zero" : "modulo by zero";
      overflow = x == std::numeric_limits<int64_t>::min() && y == -1;
      if (!overflow) *out = op == Op::kDiv ? x / y : x % y;
      break;
    default:
      return "unsupported int operator";
  }
  return overflow ? "integer overflow" : nullptr;
}

// Double arithmetic: nullptr with *out set, or what went wrong.
inline const char* DoubleArithmetic(Op op, double x, double y, double* out) {
  switch (op) {
    case Op::kAdd:
      *out = x + y;
      return nullptr;
    case Op::kSub:
      *out = x - y;
      return nullptr;
    case Op::kMul:
      *out = x * y;
      return nullptr;
    case Op::kDiv:
      if (y == 0) return "division by zero";
      *out = x / y;
      return nullptr;
    case Op::kMod:
      if (y == 0) return "modulo by zero";
      *out = std::fmod(x, y);
      return nullptr;
    default:
      return "unsupported double operator";
  }
}

}  // namespace lantern::value_ops

#endif  // LANTERN_ENGINE_LANG_VALUE_OPS_H_
