// Checker: resolves and types a parsed condition against a FactSchema.
//
// Entry point: CheckExpression. A Checker
// (engine/lang/internal/checker_internal.h) walks the tree once, recursively
// and bottom-up: each node's children are typed first, then the node itself,
// and every problem is reported at the token of the node that is wrong. A node
// that fails is typed Type::Error(), and any node with an error-typed operand
// becomes an error silently, so that one mistake is reported once while
// independent mistakes are all reported. After checking, a pre-order pass
// numbers the nodes (`id`) densely from 0. This file holds the entry point,
// names, field selection, list literals, unary operators and comprehensions,
// plus ParseDurationText and ParseTimestampText; binary operators live in
// checker_ops.cc and built-in functions in checker_calls.cc.
//
// Annotations written for evaluators:
//   kIdent: kIterVar (`slot` = depth, 0 innermost), kField (`field` = index
//     in the root message) or kConstant (`slot` = index in env.constants).
//   kSelect: kField, `field` = index in args[0]'s message type.
//   kComprehension: kFunction with `function` kExists / kAll / kCount.
//   kCall: kFunction with `function` set (see checker_calls.cc).
#include "engine/lang/checker.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "engine/lang/internal/checker_internal.h"

namespace lantern {
namespace checker_internal {
namespace {

int EditDistance(absl::string_view a, absl::string_view b) {
  std::vector<int> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = static_cast<int>(j);
  for (size_t i = 1; i <= a.size(); ++i) {
    int diagonal = row[0];
    row[0] = static_cast<int>(i);
    for (size_t j = 1; j <= b.size(); ++j) {
      const bool same =
          absl::ascii_tolower(a[i - 1]) == absl::ascii_tolower(b[j - 1]);
      const int next =
          std::min({row[j] + 1, row[j - 1] + 1, diagonal + (same ? 0 : 1)});
      diagonal = row[j];
      row[j] = next;
    }
  }
  return row[b.size()];
}

void AssignIds(Expr* e, int32_t* next) {
  e->id = (*next)++;
  for (auto& arg : e->args) AssignIds(arg.get(), next);
}

}  // namespace

std::string ClosestName(absl::string_view name,
                        const std::vector<std::string>& candidates) {
  const int limit = name.size() <= 3 ? 1 : (name.size() <= 6 ? 2 : 3);
  std::string best;
  int best_distance = limit + 1;
  for (const std::string& candidate : candidates) {
    const int d = EditDistance(name, candidate);
    if (d < best_distance && d < static_cast<int>(name.size())) {
      best = candidate;
      best_distance = d;
    }
  }
  return best;
}

std::string DidYouMean(absl::string_view name,
                       const std::vector<std::string>& candidates) {
  std::string closest = ClosestName(name, candidates);
  if (closest.empty() || closest == name) return "";
  return absl::StrCat("; did you mean '", closest, "'?");
}

bool IsStringLiteral(const Expr& e) {
  return e.kind == ExprKind::kLiteral &&
         std::holds_alternative<std::string>(e.literal);
}

Type Checker::Check(Expr* e) {
  Type type;
  switch (e->kind) {
    case ExprKind::kLiteral:
      type = CheckLiteral(*e);
      break;
    case ExprKind::kIdent:
      type = CheckIdent(e);
      break;
    case ExprKind::kSelect:
      type = CheckSelect(e);
      break;
    case ExprKind::kCall:
      type = CheckCall(e);
      break;
    case ExprKind::kList:
      type = CheckList(e);
      break;
    case ExprKind::kUnary:
      type = CheckUnary(e);
      break;
    case ExprKind::kBinary:
      type = CheckBinary(e);
      break;
    case ExprKind::kComprehension:
      type = CheckComprehension(e);
      break;
  }
  e->type = type;
  return type;
}

Type Checker::CheckLiteral(const Expr& e) {
  switch (e.literal.index()) {
    case 0:
      return Type::Bool();
    case 1:
      return Type::Int();
    case 2:
      return Type::Double();
    case 3:
      return Type::String();
    case 4:
      return Type::Timestamp();
    case 5:
      return Type::Duration();
    default:  // EnumLiteral only comes from a check; keep what it was given.
      return e.type;
  }
}

Type Checker::CheckIdent(Expr* e) {
  for (int i = static_cast<int>(iter_vars_.size()) - 1; i >= 0; --i) {
    if (iter_vars_[i].first != e->name) continue;
    e->resolution = Resolution::kIterVar;
    e->slot = static_cast<int32_t>(iter_vars_.size()) - 1 - i;
    return iter_vars_[i].second;
  }
  if (const FieldDef* field = schema().root_type().FindField(e->name)) {
    e->resolution = Resolution::kField;
    e->field = field->index;
    return field->type;
  }
  int32_t slot = -1;
  if (const ConstantDef* constant = FindConstant(e->name, &slot)) {
    e->resolution = Resolution::kConstant;
    e->slot = slot;
    return constant->type;
  }
  Error(*e, UnknownNameMessage(e->name));
  return Type::Error();
}

const ConstantDef* Checker::FindConstant(absl::string_view name,
                                         int32_t* slot) const {
  if (env_.constants == nullptr) return nullptr;
  for (size_t i = 0; i < env_.constants->size(); ++i) {
    if ((*env_.constants)[i].name == name) {
      *slot = static_cast<int32_t>(i);
      return &(*env_.constants)[i];
    }
  }
  return nullptr;
}

std::string Checker::UnknownNameMessage(absl::string_view name) const {
  std::vector<std::string> candidates;
  for (const auto& var : iter_vars_) candidates.push_back(var.first);
  for (const FieldDef& f : schema().root_type().fields) {
    candidates.push_back(f.name);
  }
  if (env_.constants != nullptr) {
    for (const ConstantDef& c : *env_.constants) candidates.push_back(c.name);
  }
  return absl::StrCat("unknown name '", name, "': not a field of ",
                      schema().root_type().full_name, " or a constant",
                      DidYouMean(name, candidates));
}

Type Checker::CheckSelect(Expr* e) {
  const Expr& operand = *e->args[0];
  const Type type = Check(e->args[0].get());
  if (type.is_error()) return Type::Error();
  const std::string path = Path(operand);
  if (type.is_list) {
    std::string what = Name(type);
    if (operand.resolution == Resolution::kConstant) {
      what = absl::StrCat("constant '", operand.name, "'");
    } else if (operand.resolution == Resolution::kField) {
      what = absl::StrCat("repeated field '", path, "'");
    }
    Error(*e, absl::StrCat("cannot select field '", e->name, "' of a list (",
                           what, "); use exists()/all()/count()"));
    return Type::Error();
  }
  if (type.kind != TypeKind::kMessage) {
    const std::string of =
        path.empty() ? Name(type)
                     : absl::StrCat("'", path, "', which is ", Name(type));
    Error(*e, absl::StrCat("cannot select field '", e->name, "' of ", of));
    return Type::Error();
  }
  const MessageType& message = schema().message_type(type.ref);
  const FieldDef* field = message.FindField(e->name);
  if (field == nullptr) {
    std::vector<std::string> names;
    for (const FieldDef& f : message.fields) names.push_back(f.name);
    Error(*e, absl::StrCat("unknown field '", e->name, "' in message ",
                           message.full_name, DidYouMean(e->name, names)));
    return Type::Error();
  }
  e->resolution = Resolution::kField;
  e->field = field->index;
  return field->type;
}

Type Checker::CheckList(Expr* e) {
  if (e->args.empty()) {
    Error(*e, "empty list literal: its element type cannot be known");
    return Type::Error();
  }
  bool failed = false;
  for (auto& arg : e->args) failed |= Check(arg.get()).is_error();
  if (failed) return Type::Error();
  Type element = e->args[0]->type;
  for (const auto& arg : e->args) {
    const Type t = arg->type;
    if (t.is_list || t.kind == TypeKind::kMessage) {
      Error(*arg,
            absl::StrCat("a list literal holds scalar values, not ", Name(t)));
      return Type::Error();
    }
    if (t == element) continue;
    if (t.is_numeric() && element.is_numeric()) {
      element = Type::Double();
      continue;
    }
    Error(*arg,
          absl::StrCat("list element is ", Name(t),
                       ", but the first element is ", Name(e->args[0]->type)));
    return Type::Error();
  }
  return element.AsList();
}

Type Checker::CheckUnary(Expr* e) {
  const Type t = Check(e->args[0].get());
  if (t.is_error()) return Type::Error();
  if (e->op == Op::kNot && t == Type::Bool()) return t;
  if (e->op == Op::kNeg && (t.is_numeric() || t == Type::Duration())) {
    return t;
  }
  Error(*e, absl::StrCat("operator '", OpSpelling(e->op), "' cannot apply to ",
                         Name(t)));
  return Type::Error();
}

Type Checker::CheckComprehension(Expr* e) {
  const Type target = Check(e->args[0].get());
  Function function = Function::kNone;
  if (e->name == "exists") function = Function::kExists;
  if (e->name == "all") function = Function::kAll;
  if (e->name == "count") function = Function::kCount;
  bool failed = target.is_error();
  if (function == Function::kNone) {
    Error(*e, absl::StrCat("unknown macro '", e->name,
                           "'; expected exists, all or count"));
    failed = true;
  } else if (!target.is_error() && !target.is_list) {
    Error(*e, absl::StrCat(e->name, "() needs a list, but ",
                           Path(*e->args[0]).empty()
                               ? std::string("its target")
                               : absl::StrCat("'", Path(*e->args[0]), "'"),
                           " is ", Name(target)));
    failed = true;
  }
  e->resolution = Resolution::kFunction;
  e->function = function;
  failed |= !CheckIterVarName(*e);
  iter_vars_.emplace_back(e->iter_var,
                          target.is_list ? target.Element() : Type::Error());
  const Type pred = Check(e->args[1].get());
  iter_vars_.pop_back();
  if (pred.is_error()) return Type::Error();
  if (pred != Type::Bool()) {
    Error(*e->args[1],
          absl::StrCat(e->name, "() condition must be bool, but is ",
                       Name(pred)));
    return Type::Error();
  }
  if (failed) return Type::Error();
  return function == Function::kCount ? Type::Int() : Type::Bool();
}

bool Checker::CheckIterVarName(const Expr& e) {
  // The variable has no node of its own; find its token after the macro name.
  size_t at = source_.text().find(e.iter_var, e.span.end);
  const int32_t offset =
      at == std::string::npos ? e.span.begin : static_cast<int32_t>(at);
  const std::string prefix =
      absl::StrCat("comprehension variable '", e.iter_var, "' hides ");
  const char* suffix = "; choose another name";
  for (const auto& var : iter_vars_) {
    if (var.first == e.iter_var) {
      ErrorAt(offset, absl::StrCat(prefix,
                                   "an enclosing comprehension's "
                                   "variable",
                                   suffix));
      return false;
    }
  }
  if (schema().root_type().FindField(e.iter_var) != nullptr) {
    ErrorAt(offset, absl::StrCat(prefix, "field '", e.iter_var, "' of ",
                                 schema().root_type().full_name, suffix));
    return false;
  }
  int32_t slot = -1;
  if (FindConstant(e.iter_var, &slot) != nullptr) {
    ErrorAt(offset,
            absl::StrCat(prefix, "constant '", e.iter_var, "'", suffix));
    return false;
  }
  return true;
}

void Checker::Error(const Expr& at, std::string message) {
  ErrorAt(at.span.begin, std::move(message));
}

void Checker::ErrorAt(int32_t offset, std::string message) {
  diagnostics_->Error(source_.Locate(offset), std::move(message));
}

std::string Checker::Name(const Type& type) const {
  return TypeName(type, env_.schema);
}

std::string Checker::Path(const Expr& e) const {
  if (e.kind == ExprKind::kIdent) return e.name;
  if (e.kind != ExprKind::kSelect) return "";
  std::string base = Path(*e.args[0]);
  if (base.empty()) return "";
  return absl::StrCat(base, ".", e.name);
}

}  // namespace checker_internal

Type CheckExpression(const CheckEnv& env, const SourceText& source,
                     Type expected, Expr* expr, Diagnostics* diagnostics) {
  if (expr == nullptr) return Type::Error();
  const int errors_before = diagnostics->error_count();
  if (env.schema == nullptr) {
    diagnostics->Error(source.Locate(expr->span.begin),
                       "internal error: no fact schema to check against");
    return Type::Error();
  }
  checker_internal::Checker checker(env, source, diagnostics);
  const Type type = checker.Check(expr);
  int32_t next_id = 0;
  checker_internal::AssignIds(expr, &next_id);
  // An error-typed `expected` means "any type" (e.g. a value to display).
  if (!type.is_error() && !expected.is_error() && type != expected) {
    const char* what = expected == Type::Bool() ? "condition" : "expression";
    diagnostics->Error(
        source.Locate(expr->span.begin),
        absl::StrCat(what, " must be ", TypeName(expected, env.schema),
                     ", but is ", TypeName(type, env.schema)));
  }
  if (diagnostics->error_count() > errors_before) return Type::Error();
  return type;
}

namespace {

// Consumes a unit ("d", "h", "m", "s" or "ms") from the front of `*text`.
bool ConsumeUnit(absl::string_view* text, absl::Duration* unit) {
  if (absl::ConsumePrefix(text, "ms")) {
    *unit = absl::Milliseconds(1);
    return true;
  }
  if (text->empty()) return false;
  switch (text->front()) {
    case 'd':
      *unit = absl::Hours(24);
      break;
    case 'h':
      *unit = absl::Hours(1);
      break;
    case 'm':
      *unit = absl::Minutes(1);
      break;
    case 's':
      *unit = absl::Seconds(1);
      break;
    default:
      return false;
  }
  text->remove_prefix(1);
  return true;
}

// Consumes one <digits>[.<digits>]<unit> term from the front of `*text`.
bool ConsumeDurationTerm(absl::string_view* text, absl::Duration* out) {
  absl::string_view s = *text;
  size_t i = 0;
  int64_t whole = 0;
  for (; i < s.size() && absl::ascii_isdigit(s[i]); ++i) {
    const int digit = s[i] - '0';
    if (whole > (std::numeric_limits<int64_t>::max() - digit) / 10) {
      return false;
    }
    whole = whole * 10 + digit;
  }
  if (i == 0) return false;  // a term starts with a digit
  absl::string_view fraction;
  if (i < s.size() && s[i] == '.') {
    const size_t start = ++i;
    while (i < s.size() && absl::ascii_isdigit(s[i])) ++i;
    fraction = s.substr(start, i - start);
    if (fraction.empty()) return false;
  }
  s.remove_prefix(i);
  absl::Duration unit;
  if (!ConsumeUnit(&s, &unit)) return false;
  absl::Duration value = unit * whole;
  for (char c : fraction) {
    unit /= 10;
    value += unit * (c - '0');
  }
  *out = value;
  *text = s;
  return true;
}

bool IsInfinite(absl::Duration d) {
  return d == absl::InfiniteDuration() || d == -absl::InfiniteDuration();
}

}  // namespace

bool ParseDurationText(absl::string_view text, absl::Duration* out) {
  const bool negative = absl::ConsumePrefix(&text, "-");
  if (text.empty()) return false;
  absl::Duration total = absl::ZeroDuration();
  while (!text.empty()) {
    absl::Duration term;
    if (!ConsumeDurationTerm(&text, &term) || IsInfinite(term)) return false;
    total += term;
    if (IsInfinite(total)) return false;
  }
  *out = negative ? -total : total;
  return true;
}

bool ParseTimestampText(absl::string_view text, absl::Time* out) {
  if (text.empty() || absl::ascii_isspace(text.front()) ||
      absl::ascii_isspace(text.back())) {
    return false;
  }
  absl::Time time;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, text, &time, &error)) return false;
  if (time == absl::InfiniteFuture() || time == absl::InfinitePast()) {
    return false;
  }
  *out = time;
  return true;
}

}  // namespace lantern
