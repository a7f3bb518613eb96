// Keys and estimates of the compiler's atom catalog
// (engine/compile/internal/compiler_internal.h).
//
// Keys identify atoms for deduplication: two atoms with one key must have
// the same truth, readings and error messages on every fact record. A
// compiled atom's key is its checked tree (every field the evaluator reads)
// plus the text of every operator whose error message quotes it. Estimates
// are a static guess of how often an atom is TRUE, used only to choose
// selective index keys; they never change a result.
#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "engine/compile/internal/compiler_internal.h"

namespace lantern {
namespace compiler_internal {
namespace {

std::string DurationKey(absl::Duration d) {
  if (d == absl::InfiniteDuration()) return "+inf";
  if (d == -absl::InfiniteDuration()) return "-inf";
  absl::Duration rem;
  const int64_t seconds = absl::IDivDuration(d, absl::Seconds(1), &rem);
  const int64_t ticks = absl::IDivDuration(rem, absl::Nanoseconds(1) / 4, &rem);
  return absl::StrCat(seconds, ".", ticks);
}

}  // namespace

void AppendKey(const Scalar& v, std::string* key) {
  switch (v.index()) {
    case 0:
      absl::StrAppend(key, "i", std::get<int64_t>(v), ";");
      break;
    case 1: {
      const double d = std::get<double>(v);
      uint64_t bits;
      std::memcpy(&bits, &d, sizeof bits);
      absl::StrAppend(key, "d", bits, ";");
      break;
    }
    case 2: {
      const std::string& s = std::get<std::string>(v);
      absl::StrAppend(key, "s", s.size(), ":", s, ";");
      break;
    }
    case 3:
      absl::StrAppend(key, "t",
                      DurationKey(std::get<absl::Time>(v) - absl::UnixEpoch()),
                      ";");
      break;
    case 4:
      absl::StrAppend(key, "u", DurationKey(std::get<absl::Duration>(v)), ";");
      break;
  }
}

namespace {

void AppendLiteralKey(const LiteralValue& v, std::string* key) {
  if (const auto* b = std::get_if<bool>(&v)) {
    absl::StrAppend(key, "b", *b, ";");
  } else if (const auto* i = std::get_if<int64_t>(&v)) {
    AppendKey(Scalar(*i), key);
  } else if (const auto* d = std::get_if<double>(&v)) {
    AppendKey(Scalar(*d), key);
  } else if (const auto* s = std::get_if<std::string>(&v)) {
    AppendKey(Scalar(*s), key);
  } else if (const auto* t = std::get_if<absl::Time>(&v)) {
    AppendKey(Scalar(*t), key);
  } else if (const auto* u = std::get_if<absl::Duration>(&v)) {
    AppendKey(Scalar(*u), key);
  } else if (const auto* e = std::get_if<EnumLiteral>(&v)) {
    absl::StrAppend(key, "e", e->number, ";");
  }
}

bool QuotesItsText(const Expr& e) {
  return e.kind == ExprKind::kUnary || e.kind == ExprKind::kBinary ||
         (e.kind == ExprKind::kCall && (e.function == Function::kTimestamp ||
                                        e.function == Function::kDuration));
}

}  // namespace

void AppendExprKey(const Expr& e, const SourceText& source, std::string* key) {
  absl::StrAppend(key, "(", static_cast<int>(e.kind), ",",
                  static_cast<int>(e.op), ",", static_cast<int>(e.function),
                  ",", static_cast<int>(e.resolution), ",", e.field, ",",
                  e.slot, ",", e.has_target, ",", static_cast<int>(e.type.kind),
                  ",", e.type.is_list, ",", e.type.ref, ",", e.name.size(), ":",
                  e.name, ",");
  if (e.kind == ExprKind::kLiteral) AppendLiteralKey(e.literal, key);
  if (QuotesItsText(e)) {
    const std::string text = ConditionText(e, source, nullptr);
    absl::StrAppend(key, "'", text.size(), ":", text);
  }
  for (const auto& arg : e.args) AppendExprKey(*arg, source, key);
  key->push_back(')');
}

// The estimated chance that an atom is TRUE: a static guess from its shape,
// used only to pick selective index keys (never affects results).
double EstimateTruth(const SourceBuild& source, const AtomBuild& atom) {
  const double n = static_cast<double>(std::max<size_t>(atom.values.size(), 1));
  const bool is_enum = source.field_kind == TypeKind::kEnum;
  const double one = is_enum ? 1.0 / std::max(source.enum_size, 2) : 0.1;
  switch (atom.op) {
    case PredOp::kEq:
      if (source.field_kind == TypeKind::kBool) {
        return std::get<int64_t>(atom.values[0]) != 0 ? 0.3 : 0.7;
      }
      return one;
    case PredOp::kNe:
      if (source.field_kind == TypeKind::kBool) {
        return std::get<int64_t>(atom.values[0]) != 0 ? 0.7 : 0.3;
      }
      return 1 - one;
    case PredOp::kIn:
      return atom.values.empty() ? 0 : std::min(0.6, n * one);
    case PredOp::kNotIn:
      return atom.values.empty() ? 1 : 1 - std::min(0.6, n * one);
    case PredOp::kLt:
    case PredOp::kLe:
    case PredOp::kGt:
    case PredOp::kGe:
      return 0.35;
    case PredOp::kHas:
      return 0.5;
    case PredOp::kMember:
      return std::min(0.6, n * (is_enum ? one : 0.15));
    case PredOp::kMention:
      return atom.phrase < 0 ? 0 : 0.05;
    case PredOp::kCompiled:
      return 0.5;
  }
  return 0.5;
}

}  // namespace compiler_internal
}  // namespace lantern
