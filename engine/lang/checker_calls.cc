// Checker, built-in functions: typing of kCall nodes.
//
// Entry point: Checker::CheckCall (called from Checker::Check in
// checker.cc). The arguments (for a method call, the target is args[0]) are
// typed first; then the name is looked up in a table that fixes each
// function's call style (function, method or either), argument count and
// stage; then a per-function rule types the call:
//   size(x) / x.size()   list or string → int
//   has(path)            a field path (kSelect or root kIdent field) → bool
//   s.mentions("p")      string target, non-empty literal phrase with a word
//                        character (ASCII letter, digit or '_') → bool
//   timestamp("...")     folded: the node becomes a kLiteral absl::Time
//   duration("...")      folded: the node becomes a kLiteral absl::Duration
//   as_of()              → timestamp: the request's as-of time; any stage,
//                        never folded (it differs per request)
//   fired("id"|"p.*")    policy stage; must match env.rule_ids → bool
//   concern_score("C")   policy stage; C in env.concerns → int
//   concern_level("C")   policy stage; C in env.concerns → int (the level's
//                        ordinal, PolicyInputs::concern_levels)
//   total_score()        policy stage → int
//   grade()              answer stage → int (the grade's rank)
//   prompt("p")          answer stage; p in env.prompts → int (its answer's
//                        rank in kPromptAnswers)
//   action("A")          answer stage; A in env.actions → bool
// grade() and prompt() may only be compared with a name in quotes (see
// checker_ops.cc, which folds the name into its rank).
// A null env.rule_ids / env.concerns means "not checked". Shape errors
// (wrong style, count, non-literal argument) point at the function name;
// errors in a literal's content point at the literal.
//
// A folded timestamp()/duration() node keeps its `name` but has no args,
// `resolution` kUnresolved and `function` kNone, and its span grows to cover
// the whole call text (`duration("72h")`), so that evaluators quoting an
// atom's source text still see the call.
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/lang/internal/checker_internal.h"

namespace lantern {
namespace checker_internal {
namespace {

enum class Style { kFunction, kMethod, kEither };

// Where a function may be called: anywhere, in policy conditions (and
// invariants, which see the policy's inputs too), or in invariants only.
enum class Stage { kAny, kPolicy, kAnswer };

struct FunctionInfo {
  const char* name;
  Function function;
  int arity;  // including a method's target
  Style style;
  Stage stage;
};

constexpr FunctionInfo kFunctions[] = {
    {"size", Function::kSize, 1, Style::kEither, Stage::kAny},
    {"has", Function::kHas, 1, Style::kFunction, Stage::kAny},
    {"mentions", Function::kMentions, 2, Style::kMethod, Stage::kAny},
    {"timestamp", Function::kTimestamp, 1, Style::kFunction, Stage::kAny},
    {"duration", Function::kDuration, 1, Style::kFunction, Stage::kAny},
    {"as_of", Function::kAsOf, 0, Style::kFunction, Stage::kAny},
    {"fired", Function::kFired, 1, Style::kFunction, Stage::kPolicy},
    {"concern_score", Function::kConcernScore, 1, Style::kFunction,
     Stage::kPolicy},
    {"concern_level", Function::kConcernLevel, 1, Style::kFunction,
     Stage::kPolicy},
    {"total_score", Function::kTotalScore, 0, Style::kFunction, Stage::kPolicy},
    {"grade", Function::kGrade, 0, Style::kFunction, Stage::kAnswer},
    {"prompt", Function::kPrompt, 1, Style::kFunction, Stage::kAnswer},
    {"action", Function::kAction, 1, Style::kFunction, Stage::kAnswer},
};

const FunctionInfo* FindFunction(absl::string_view name) {
  for (const FunctionInfo& info : kFunctions) {
    if (name == info.name) return &info;
  }
  return nullptr;
}

bool IsMacro(absl::string_view name) {
  return name == "exists" || name == "all" || name == "count";
}

std::string UnknownFunctionMessage(absl::string_view name) {
  if (IsMacro(name)) {
    return absl::StrCat(name, "() takes a variable and a condition: write ",
                        "list.", name, "(x, <condition using x>)");
  }
  std::vector<std::string> names = {"exists", "all", "count"};
  for (const FunctionInfo& info : kFunctions) names.push_back(info.name);
  return absl::StrCat("unknown function '", name, "'", DidYouMean(name, names));
}

std::string Arguments(int n) {
  if (n == 0) return "no arguments";
  return absl::StrCat(n, n == 1 ? " argument" : " arguments");
}

// Just past the ')' that follows a call's last argument (ending at
// `arg_end`), or `arg_end` if there is none.
int32_t EndOfCall(absl::string_view text, int32_t arg_end) {
  size_t end = static_cast<size_t>(arg_end);
  while (end < text.size() && absl::ascii_isspace(text[end])) ++end;
  if (end < text.size() && text[end] == ')') {
    return static_cast<int32_t>(end + 1);
  }
  return arg_end;
}

bool HasWordCharacter(absl::string_view text) {
  for (char c : text) {
    if (absl::ascii_isalnum(c) || c == '_') return true;
  }
  return false;
}

}  // namespace

Type Checker::CheckCall(Expr* e) {
  bool failed = false;
  for (auto& arg : e->args) failed |= Check(arg.get()).is_error();
  const FunctionInfo* info = FindFunction(e->name);
  if (info == nullptr) {
    Error(*e, UnknownFunctionMessage(e->name));
    return Type::Error();
  }
  e->resolution = Resolution::kFunction;
  e->function = info->function;
  if (info->stage == Stage::kPolicy && !env_.policy_stage) {
    Error(*e,
          absl::StrCat(e->name, "() is only available in policy conditions"));
    return Type::Error();
  }
  if (info->stage == Stage::kAnswer && !env_.answer_stage) {
    Error(*e, absl::StrCat(e->name,
                           "() reads the final answer and is only available "
                           "in invariants"));
    return Type::Error();
  }
  if (info->style == Style::kMethod && !e->has_target) {
    Error(*e,
          absl::StrCat(e->name, "() is a method: write x.", e->name, "(...)"));
    return Type::Error();
  }
  if (info->style == Style::kFunction && e->has_target) {
    Error(*e, absl::StrCat(e->name, "() is not a method: write ", e->name,
                           "(...)"));
    return Type::Error();
  }
  const int target = e->has_target ? 1 : 0;
  const int given = static_cast<int>(e->args.size()) - target;
  if (given != info->arity - target) {
    Error(*e,
          absl::StrCat(e->name, "() takes ", Arguments(info->arity - target),
                       ", but got ", given));
    return Type::Error();
  }
  if (failed) return Type::Error();
  return CheckFunction(e);
}

Type Checker::CheckFunction(Expr* e) {
  switch (e->function) {
    case Function::kSize:
      return CheckSize(*e);
    case Function::kHas:
      return CheckHas(*e);
    case Function::kMentions:
      return CheckMentions(*e);
    case Function::kTimestamp:
    case Function::kDuration:
      return FoldTimeLiteral(e);
    case Function::kAsOf:
      return Type::Timestamp();
    case Function::kFired:
      return CheckFired(*e);
    case Function::kConcernScore:
    case Function::kConcernLevel:
      return CheckConcern(*e, Type::Int());
    case Function::kTotalScore:
    case Function::kGrade:
      return Type::Int();
    case Function::kPrompt:
      return CheckNamed(*e, env_.prompts, "prompt", Type::Int());
    case Function::kAction:
      return CheckNamed(*e, env_.actions, "action", Type::Bool());
    default:
      Error(*e, UnknownFunctionMessage(e->name));
      return Type::Error();
  }
}

Type Checker::CheckSize(const Expr& e) {
  const Type t = e.args[0]->type;
  if (t.is_list || t == Type::String()) return Type::Int();
  Error(e, absl::StrCat("size() takes a list or a string, but got ", Name(t)));
  return Type::Error();
}

Type Checker::CheckHas(const Expr& e) {
  const Expr& arg = *e.args[0];
  if ((arg.kind == ExprKind::kSelect || arg.kind == ExprKind::kIdent) &&
      arg.resolution == Resolution::kField) {
    return Type::Bool();
  }
  Error(e, "has() takes a field path");
  return Type::Error();
}

Type Checker::CheckMentions(const Expr& e) {
  bool ok = true;
  const Expr& target = *e.args[0];
  if (target.type != Type::String()) {
    const std::string path = Path(target);
    Error(e, absl::StrCat("mentions() needs a string, but ",
                          path.empty() ? std::string("its target")
                                       : absl::StrCat("'", path, "'"),
                          " is ", Name(target.type)));
    ok = false;
  }
  const Expr* phrase = LiteralArgument(e);
  if (phrase == nullptr) return Type::Error();
  if (!HasWordCharacter(std::get<std::string>(phrase->literal))) {
    Error(*phrase,
          "mentions() phrase must contain a word character (a letter, a "
          "digit or '_')");
    ok = false;
  }
  return ok ? Type::Bool() : Type::Error();
}

Type Checker::FoldTimeLiteral(Expr* e) {
  const Expr* arg = LiteralArgument(*e);
  if (arg == nullptr) return Type::Error();
  const std::string& text = std::get<std::string>(arg->literal);
  Type type;
  if (e->function == Function::kDuration) {
    absl::Duration value;
    if (!ParseDurationText(text, &value)) {
      Error(*arg, absl::StrCat("invalid duration '", text,
                               "': expected e.g. \"72h\", \"30m\", "
                               "\"1h30m\", \"7d\""));
      return Type::Error();
    }
    e->literal = value;
    type = Type::Duration();
  } else {
    absl::Time value;
    if (!ParseTimestampText(text, &value)) {
      Error(*arg, absl::StrCat("invalid timestamp '", text,
                               "': expected RFC 3339, e.g. "
                               "\"2023-01-30T00:00:00Z\""));
      return Type::Error();
    }
    e->literal = value;
    type = Type::Timestamp();
  }
  // The literal now stands for the whole call text, through its ')'.
  e->span.end = EndOfCall(source_.text(), arg->span.end);
  e->kind = ExprKind::kLiteral;
  e->args.clear();
  e->resolution = Resolution::kUnresolved;
  e->function = Function::kNone;
  return type;
}

Type Checker::CheckFired(const Expr& e) {
  const Expr* arg = LiteralArgument(e);
  if (arg == nullptr) return Type::Error();
  const std::string& pattern = std::get<std::string>(arg->literal);
  const bool is_prefix = absl::EndsWith(pattern, ".*");
  absl::string_view stem = pattern;
  if (is_prefix) stem.remove_suffix(1);  // keep the '.'
  if (stem.empty() || stem == "." || absl::StrContains(stem, '*')) {
    Error(*arg, absl::StrCat("fired() takes a rule id or 'prefix.*', not '",
                             pattern, "'"));
    return Type::Error();
  }
  if (env_.rule_ids == nullptr) return Type::Bool();
  for (const std::string& id : *env_.rule_ids) {
    if (is_prefix ? absl::StartsWith(id, stem) : id == stem) {
      return Type::Bool();
    }
  }
  Error(*arg, absl::StrCat("fired('", pattern, "') matches no rule",
                           is_prefix ? "" : DidYouMean(stem, *env_.rule_ids)));
  return Type::Error();
}

Type Checker::CheckConcern(const Expr& e, Type result) {
  const Expr* arg = LiteralArgument(e);
  if (arg == nullptr) return Type::Error();
  const std::string& concern = std::get<std::string>(arg->literal);
  if (env_.concerns == nullptr) return result;
  for (const std::string& name : *env_.concerns) {
    if (name == concern) return result;
  }
  Error(*arg,
        absl::StrCat("unknown concern '", concern, "'",
                     env_.concerns->empty()
                         ? "; the policy declares no concerns"
                         : absl::StrCat("; expected one of ",
                                        absl::StrJoin(*env_.concerns, ", "))));
  return Type::Error();
}

Type Checker::CheckNamed(const Expr& e, const std::vector<std::string>* names,
                         absl::string_view what, Type result) {
  const Expr* arg = LiteralArgument(e);
  if (arg == nullptr) return Type::Error();
  const std::string& name = std::get<std::string>(arg->literal);
  if (names == nullptr) return result;
  for (const std::string& known : *names) {
    if (known == name) return result;
  }
  Error(*arg, absl::StrCat("unknown ", what, " '", name, "'",
                           DidYouMean(name, *names)));
  return Type::Error();
}

const Expr* Checker::LiteralArgument(const Expr& e) {
  const Expr& arg = *e.args[e.has_target ? 1 : 0];
  if (IsStringLiteral(arg)) return &arg;
  Error(e, absl::StrCat(e.name, "() takes a string literal"));
  return nullptr;
}

}  // namespace checker_internal
}  // namespace lantern
