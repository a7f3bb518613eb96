// Checker, binary operators: typing of `&& || == != < <= > >= in + - * / %`
// and the rewriting of enum values written as string literals.
//
// Entry point: Checker::CheckBinary (called from Checker::Check in
// checker.cc). Both operands are typed first; if either is already an error
// the operator is an error silently. Otherwise the operator's rule (see
// engine/lang/checker.h) decides the result type or reports one problem at the
// operator token.
//
// Enums. An enum is compared (`==`, `!=`, `in`) with its values spelt as
// string literals. Where the string side is a literal (or a list literal of
// string literals) each literal is checked against the enum's value names and
// rewritten in place to an EnumLiteral typed Enum(ref) (a rewritten list
// literal is typed list(enum)). Where the string side is a ruleset constant
// (a string, or a list(string) for `in`), every value of the constant is
// checked here, with errors at the constant's use, but the constant node
// stays string-typed: a constant is shared by many expressions, possibly of
// different enums, so it cannot be rewritten. Evaluators therefore compare an
// enum with a string-typed operand by the enum value's *name*. A value equal
// to a `zero_is_unknown` enum's zero name is rejected: that value reads as
// UNKNOWN and could never match.
//
// Ranks (answer stage). grade() and prompt("p") are ranks on an ordered
// scale (Policy::grades, kPromptAnswers). They are compared only with a
// name of that scale written as a string literal, which is checked and
// rewritten in place to its rank (an int literal), or with another call of
// the same function; any other use is an error, so that a level constant
// such as MEDIUM can never stand in for a grade by accident.
#include <iterator>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/lang/internal/checker_internal.h"

namespace lantern {
namespace checker_internal {
namespace {

bool IsScalarEnum(const Type& t) {
  return t.kind == TypeKind::kEnum && !t.is_list;
}

bool IsListOrMessage(const Type& t) {
  return t.is_list || t.kind == TypeKind::kMessage;
}

bool IsConstantUse(const Expr& e) {
  return e.kind == ExprKind::kIdent && e.resolution == Resolution::kConstant;
}

bool IsRankCall(const Expr& e) {
  return e.kind == ExprKind::kCall && e.resolution == Resolution::kFunction &&
         (e.function == Function::kGrade || e.function == Function::kPrompt);
}

bool IsComparison(Op op) {
  return op == Op::kEq || op == Op::kNe || op == Op::kLt || op == Op::kLe ||
         op == Op::kGt || op == Op::kGe;
}

std::string RankHint(const Expr& call) {
  return call.function == Function::kGrade
             ? "compare grade() with a grade name in quotes, e.g. grade() >= "
               "\"MEDIUM\""
             : "compare prompt() with an answer in quotes (NOT_RAISED, "
               "CONSIDER or RAISE), e.g. prompt(\"nrm\") == \"RAISE\"";
}

bool IsOrdered(const Type& t) {
  return !t.is_list &&
         (t.kind == TypeKind::kInt || t.kind == TypeKind::kDouble ||
          t.kind == TypeKind::kString || t.kind == TypeKind::kTimestamp ||
          t.kind == TypeKind::kDuration);
}

}  // namespace

Type Checker::CheckBinary(Expr* e) {
  const Type l = Check(e->args[0].get());
  const Type r = Check(e->args[1].get());
  if (l.is_error() || r.is_error()) return Type::Error();
  Type ranked;
  if (CheckRankComparison(e, &ranked)) return ranked;
  switch (e->op) {
    case Op::kAnd:
    case Op::kOr:
      return CheckLogical(*e, l, r);
    case Op::kEq:
    case Op::kNe:
      return CheckEquality(e, l, r);
    case Op::kLt:
    case Op::kLe:
    case Op::kGt:
    case Op::kGe:
      return CheckOrdering(*e, l, r);
    case Op::kIn:
      return CheckIn(e, l, r);
    default:
      return CheckArithmetic(*e, l, r);
  }
}

std::string Checker::CannotApply(const Expr& e, const Type& l,
                                 const Type& r) const {
  return absl::StrCat("operator '", OpSpelling(e.op), "' cannot apply to ",
                      Name(l), " and ", Name(r));
}

std::string Checker::CannotCompare(const Type& l, const Type& r) const {
  return absl::StrCat("cannot compare ", Name(l), " with ", Name(r));
}

Type Checker::CheckLogical(const Expr& e, Type l, Type r) {
  if (l == Type::Bool() && r == Type::Bool()) return Type::Bool();
  Error(e, CannotApply(e, l, r));
  return Type::Error();
}

Type Checker::CheckEquality(Expr* e, Type l, Type r) {
  if (IsScalarEnum(l) && r == Type::String()) {
    return CompareEnumWithString(*e, l.ref, e->args[1].get());
  }
  if (l == Type::String() && IsScalarEnum(r)) {
    return CompareEnumWithString(*e, r.ref, e->args[0].get());
  }
  if (l == r && IsListOrMessage(l)) {
    Error(*e, absl::StrCat(CannotApply(*e, l, r),
                           "; compare fields or elements instead"));
    return Type::Error();
  }
  if (l == r || (l.is_numeric() && r.is_numeric())) return Type::Bool();
  Error(*e, CannotCompare(l, r));
  return Type::Error();
}

Type Checker::CheckOrdering(const Expr& e, Type l, Type r) {
  if (l.is_numeric() && r.is_numeric()) return Type::Bool();
  const bool has_enum = IsScalarEnum(l) || IsScalarEnum(r);
  const bool enum_and_string =
      has_enum && (l == Type::String() || r == Type::String());
  if (l == r || enum_and_string) {
    if (IsOrdered(l) && IsOrdered(r)) return Type::Bool();
    Error(e, absl::StrCat(CannotApply(e, l, r),
                          has_enum ? "; enum values are unordered" : ""));
    return Type::Error();
  }
  Error(e, CannotCompare(l, r));
  return Type::Error();
}

Type Checker::CheckIn(Expr* e, Type l, Type r) {
  if (!r.is_list) {
    Error(*e, absl::StrCat("operator 'in' needs a list on the right, but got ",
                           Name(r)));
    return Type::Error();
  }
  if (IsListOrMessage(l)) {
    Error(*e, CannotApply(*e, l, r));
    return Type::Error();
  }
  const Type element = r.Element();
  if (IsScalarEnum(l) && element == Type::String()) {
    return EnumInStringList(*e, l.ref, e->args[1].get());
  }
  if (l == Type::String() && element.kind == TypeKind::kEnum) {
    return CompareEnumWithString(*e, element.ref, e->args[0].get());
  }
  if (l == element || (l.is_numeric() && element.is_numeric())) {
    return Type::Bool();
  }
  Error(*e, absl::StrCat("cannot look for ", Name(l), " in ", Name(r)));
  return Type::Error();
}

Type Checker::CheckArithmetic(const Expr& e, Type l, Type r) {
  if (!l.is_list && !r.is_list) {
    if (l.is_numeric() && r.is_numeric()) {
      return l == Type::Int() && r == Type::Int() ? Type::Int()
                                                  : Type::Double();
    }
    const TypeKind a = l.kind;
    const TypeKind b = r.kind;
    const bool ts_dur = a == TypeKind::kTimestamp && b == TypeKind::kDuration;
    const bool dur_dur = a == TypeKind::kDuration && b == TypeKind::kDuration;
    if (e.op == Op::kAdd) {
      if (a == TypeKind::kString && b == TypeKind::kString) {
        return Type::String();
      }
      if (ts_dur || (a == TypeKind::kDuration && b == TypeKind::kTimestamp)) {
        return Type::Timestamp();
      }
      if (dur_dur) return Type::Duration();
    }
    if (e.op == Op::kSub) {
      if (ts_dur) return Type::Timestamp();
      if (dur_dur || (a == TypeKind::kTimestamp && b == a)) {
        return Type::Duration();
      }
    }
  }
  Error(e, CannotApply(e, l, r));
  return Type::Error();
}

bool Checker::CheckRankComparison(Expr* op, Type* type) {
  Expr* left = op->args[0].get();
  Expr* right = op->args[1].get();
  const Expr* call = IsRankCall(*left) ? left : right;
  Expr* other = call == left ? right : left;
  if (!IsRankCall(*call)) return false;
  *type = Type::Error();
  if (!IsComparison(op->op)) {
    Error(*op,
          absl::StrCat("operator '", OpSpelling(op->op), "' cannot apply to ",
                       call->name, "(); ", RankHint(*call)));
    return true;
  }
  if (IsRankCall(*other) && other->function == call->function) {
    *type = Type::Bool();
    return true;
  }
  if (!IsStringLiteral(*other)) {
    Error(*other, RankHint(*call));
    return true;
  }
  if (FoldRankName(*call, other)) *type = Type::Bool();
  return true;
}

bool Checker::FoldRankName(const Expr& call, Expr* name) {
  std::vector<std::string> scale;
  if (call.function == Function::kGrade) {
    if (env_.grades != nullptr) scale = *env_.grades;
  } else {
    scale.assign(std::begin(kPromptAnswers), std::end(kPromptAnswers));
  }
  const std::string& text = std::get<std::string>(name->literal);
  for (size_t i = 0; i < scale.size(); ++i) {
    if (scale[i] != text) continue;
    name->literal = static_cast<int64_t>(i);
    name->type = Type::Int();
    return true;
  }
  const char* what =
      call.function == Function::kGrade ? "grade" : "prompt answer";
  Error(*name, absl::StrCat("unknown ", what, " '", text, "'; expected one of ",
                            absl::StrJoin(scale, ", ")));
  name->type = Type::Error();
  return false;
}

std::string Checker::EnumLiteralHint(int32_t enum_ref) const {
  return absl::StrCat("cannot compare ", Name(Type::Enum(enum_ref)),
                      " with string; write the enum value as a string "
                      "literal");
}

Type Checker::CompareEnumWithString(const Expr& op, int32_t enum_ref,
                                    Expr* value) {
  if (IsStringLiteral(*value)) {
    return RewriteEnumLiteral(enum_ref, value) ? Type::Bool() : Type::Error();
  }
  if (IsConstantUse(*value)) {
    return ValidateEnumConstant(enum_ref, *value) ? Type::Bool()
                                                  : Type::Error();
  }
  Error(op, EnumLiteralHint(enum_ref));
  return Type::Error();
}

Type Checker::EnumInStringList(const Expr& op, int32_t enum_ref, Expr* list) {
  if (IsConstantUse(*list)) {
    return ValidateEnumConstant(enum_ref, *list) ? Type::Bool() : Type::Error();
  }
  if (list->kind != ExprKind::kList) {
    Error(op, absl::StrCat("cannot look for ", Name(Type::Enum(enum_ref)),
                           " in ", Name(list->type),
                           "; write the enum values as string literals"));
    return Type::Error();
  }
  bool ok = true;
  for (auto& element : list->args) {
    if (IsStringLiteral(*element)) {
      ok &= RewriteEnumLiteral(enum_ref, element.get());
    } else {
      Error(*element, EnumLiteralHint(enum_ref));
      ok = false;
    }
  }
  list->type = ok ? Type::Enum(enum_ref).AsList() : Type::Error();
  return ok ? Type::Bool() : Type::Error();
}

bool Checker::RewriteEnumLiteral(int32_t enum_ref, Expr* e) {
  int32_t number = 0;
  std::string problem;
  if (!EnumNumber(enum_ref, std::get<std::string>(e->literal), &number,
                  &problem)) {
    Error(*e, std::move(problem));
    e->type = Type::Error();
    return false;
  }
  e->literal = EnumLiteral{number};
  e->type = Type::Enum(enum_ref);
  return true;
}

bool Checker::ValidateEnumConstant(int32_t enum_ref, const Expr& use) {
  const ConstantDef& constant = (*env_.constants)[use.slot];
  bool ok = true;
  for (const LiteralValue& value : constant.values) {
    const std::string* name = std::get_if<std::string>(&value);
    if (name == nullptr) continue;  // never: the constant is string-typed
    int32_t number = 0;
    std::string problem;
    if (!EnumNumber(enum_ref, *name, &number, &problem)) {
      Error(use, absl::StrCat("constant '", constant.name, "': ", problem));
      ok = false;
    }
  }
  return ok;
}

bool Checker::EnumNumber(int32_t enum_ref, absl::string_view name,
                         int32_t* number, std::string* problem) const {
  const EnumType& type = schema().enum_type(enum_ref);
  std::vector<std::string> expected;
  for (const auto& [value_name, value] : type.values) {
    if (!(type.zero_is_unknown && value == 0)) expected.push_back(value_name);
  }
  const std::string choices =
      absl::StrCat("; expected one of ", absl::StrJoin(expected, ", "));
  if (!type.NumberOf(name, number)) {
    *problem = absl::StrCat("unknown value '", name, "' for enum ",
                            type.full_name, choices);
    return false;
  }
  if (type.zero_is_unknown && *number == 0) {
    *problem = absl::StrCat("'", name, "' is the unset value of enum ",
                            type.full_name, " and reads as UNKNOWN", choices);
    return false;
  }
  return true;
}

}  // namespace checker_internal
}  // namespace lantern
