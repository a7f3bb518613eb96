// Internal to the checker (engine/checker*.cc); not a seam. Other code uses
// engine/lang/checker.h.
//
// Checker holds the state of one CheckExpression call: the environment, the
// source text for positions, the diagnostics sink and the stack of
// comprehension variables in scope. Its Check* methods each type one node
// kind; they are split over checker.cc (names, fields, lists, unary,
// comprehensions), checker_ops.cc (binary operators and enum literals) and
// checker_calls.cc (built-in functions).
//
// Thread-safety: one Checker per call; not shared.
#ifndef LANTERN_ENGINE_LANG_INTERNAL_CHECKER_INTERNAL_H_
#define LANTERN_ENGINE_LANG_INTERNAL_CHECKER_INTERNAL_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "engine/facts/schema.h"
#include "engine/facts/types.h"
#include "engine/lang/ast.h"
#include "engine/lang/checker.h"
#include "engine/lang/diagnostics.h"
#include "engine/lang/source_text.h"

namespace lantern {
namespace checker_internal {

// The closest of `candidates` to `name` by (case-insensitive) edit distance,
// or "" when none is close enough to be a plausible typo.
std::string ClosestName(absl::string_view name,
                        const std::vector<std::string>& candidates);

// "; did you mean 'x'?" or "".
std::string DidYouMean(absl::string_view name,
                       const std::vector<std::string>& candidates);

// True for a kLiteral node holding a std::string.
bool IsStringLiteral(const Expr& e);

class Checker {
 public:
  Checker(const CheckEnv& env, const SourceText& source,
          Diagnostics* diagnostics)
      : env_(env), source_(source), diagnostics_(diagnostics) {}

  // Types `e` and its subtree; sets and returns e->type.
  Type Check(Expr* e);

  const FactSchema& schema() const { return *env_.schema; }

 private:
  // checker.cc
  Type CheckLiteral(const Expr& e);
  Type CheckIdent(Expr* e);
  bool ResolveIterVar(Expr* e);
  const ConstantDef* FindConstant(absl::string_view name, int32_t* slot) const;
  std::string UnknownNameMessage(absl::string_view name) const;
  Type CheckSelect(Expr* e);
  Type CheckList(Expr* e);
  Type CheckUnary(Expr* e);
  Type CheckComprehension(Expr* e);
  bool CheckIterVarName(const Expr& e);  // false after reporting

  // checker_ops.cc
  Type CheckBinary(Expr* e);
  Type CheckLogical(const Expr& e, Type l, Type r);
  Type CheckEquality(Expr* e, Type l, Type r);
  Type CheckOrdering(const Expr& e, Type l, Type r);
  Type CheckIn(Expr* e, Type l, Type r);
  Type CheckArithmetic(const Expr& e, Type l, Type r);
  // `value` (string-typed) is compared with an enum of type `enum_ref`.
  Type CompareEnumWithString(const Expr& op, int32_t enum_ref, Expr* value);
  // `list` (list(string)) holds the candidates for an enum of `enum_ref`.
  Type EnumInStringList(const Expr& op, int32_t enum_ref, Expr* list);
  // Validates `name` and rewrites literal `e` to EnumLiteral on success.
  bool RewriteEnumLiteral(int32_t enum_ref, Expr* e);
  bool ValidateEnumConstant(int32_t enum_ref, const Expr& use);
  bool EnumNumber(int32_t enum_ref, absl::string_view name, int32_t* number,
                  std::string* problem) const;
  std::string CannotApply(const Expr& e, const Type& l, const Type& r) const;
  std::string CannotCompare(const Type& l, const Type& r) const;
  std::string EnumLiteralHint(int32_t enum_ref) const;
  // grade() / prompt() against the other operand of `op` (answer stage).
  // Returns false when neither side is such a call; otherwise sets *type.
  bool CheckRankComparison(Expr* op, Type* type);
  bool FoldRankName(const Expr& call, Expr* name);

  // checker_calls.cc
  Type CheckCall(Expr* e);
  Type CheckFunction(Expr* e);
  Type CheckSize(const Expr& e);
  Type CheckHas(const Expr& e);
  Type CheckMentions(const Expr& e);
  Type FoldTimeLiteral(Expr* e);
  Type CheckFired(const Expr& e);
  Type CheckConcern(const Expr& e, Type result);
  // prompt("p") / action("A"): the literal argument must be one of `names`
  // (null: not checked); `what` names the kind in the error.
  Type CheckNamed(const Expr& e, const std::vector<std::string>* names,
                  absl::string_view what, Type result);
  // The string literal argument of `e` (after the target), or nullptr with an
  // error reported.
  const Expr* LiteralArgument(const Expr& e);

  // Reporting.
  void Error(const Expr& at, std::string message);
  void ErrorAt(int32_t offset, std::string message);
  std::string Name(const Type& type) const;
  std::string Path(const Expr& e) const;  // "a.b.c" for field paths, or ""

  const CheckEnv& env_;
  const SourceText& source_;
  Diagnostics* diagnostics_;
  // Comprehension variables in scope, innermost last.
  std::vector<std::pair<std::string, Type>> iter_vars_;
};

}  // namespace checker_internal
}  // namespace lantern

#endif  // LANTERN_ENGINE_LANG_INTERNAL_CHECKER_INTERNAL_H_
