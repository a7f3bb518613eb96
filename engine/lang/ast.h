// AST of the condition language, the seam between parser, checker and
// evaluators.
//
// The parser builds a tree of Expr nodes from one expression's text (a
// `when:` condition, a due-time formula); every node records the byte span
// of the token that names it, so any later stage can point a diagnostic at
// the exact token. The checker then fills in each node's `type` and
// `resolved` fields; evaluators read only checked trees. A checked tree is
// immutable and may be evaluated concurrently.
//
// Syntax (a subset of CEL):
//   expr    := or
//   or      := and ('||' and)*
//   and     := rel ('&&' rel)*
//   rel     := add (('=='|'!='|'<'|'<='|'>'|'>='|'in') add)?
//   add     := mul (('+'|'-') mul)*
//   mul     := unary (('*'|'/'|'%') unary)*
//   unary   := ('!'|'-') unary | member
//   member  := primary ('.' IDENT ['(' args ')'])*
//   primary := IDENT ['(' args ')'] | literal | '(' expr ')' | '[' [args] ']'
//   literal := INT | DOUBLE | STRING | 'true' | 'false'
//
// Calls with a target (`x.f(a)`) keep the target as args[0] and set
// `has_target`. The comprehension macros `list.exists(v, pred)`,
// `list.all(v, pred)` and `list.count(v, pred)` parse to kComprehension.
//
// Thread-safety: immutable once checked.
#ifndef LANTERN_ENGINE_LANG_AST_H_
#define LANTERN_ENGINE_LANG_AST_H_

#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "absl/time/time.h"
#include "engine/facts/types.h"

namespace lantern {

// Byte offsets [begin, end) into the expression text.
struct Span {
  int32_t begin = 0;
  int32_t end = 0;
};

enum class ExprKind : uint8_t {
  kLiteral,        // literal
  kIdent,          // name
  kSelect,         // args[0].name
  kCall,           // name(args...) or args[0].name(args[1..]) if has_target
  kList,           // [args...]
  kUnary,          // op args[0]
  kBinary,         // args[0] op args[1]
  kComprehension,  // args[0].name(iter_var, args[1]): exists / all / count
};

enum class Op : uint8_t {
  kNone,
  kNot,
  kNeg,
  kAnd,
  kOr,
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kIn,
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMod,
};

// The source spelling of an operator ("&&", "in", "!"...).
const char* OpSpelling(Op op);

// Literal values. The parser produces bool, int64, double and string; the
// checker rewrites `timestamp("...")`/`duration("...")` calls with constant
// arguments into literals, and string literals compared with enums into
// EnumNumber values.
struct EnumLiteral {
  int32_t number = 0;
};
using LiteralValue = std::variant<bool, int64_t, double, std::string,
                                  absl::Time, absl::Duration, EnumLiteral>;

// What a checked name or call refers to.
enum class Resolution : uint8_t {
  kUnresolved,
  kField,     // kIdent: a root field; kSelect: a field of args[0]'s message
  kIterVar,   // kIdent: the comprehension variable `slot` levels out
  kConstant,  // kIdent: ruleset constant number `slot`
  kFunction,  // kCall: built-in `function`
};

enum class Function : uint8_t {
  kNone,
  kSize,       // size(x) / x.size(): list or string length
  kHas,        // has(path): field presence, never UNKNOWN
  kMentions,   // text.mentions("phrase"): whole-word, case-insensitive
  kTimestamp,  // timestamp("RFC 3339")
  kDuration,   // duration("72h")
  kAsOf,       // as_of(): the request's as-of time (any stage), never UNKNOWN
  kExists,     // comprehension
  kAll,        // comprehension
  kCount,      // comprehension
  // Policy stage only (prompts and due times), over the first stage's result:
  kFired,         // fired("rule.id" or "prefix.*"): bool
  kConcernScore,  // concern_score("CSE"): int
  kConcernLevel,  // concern_level("CSE"): policy level enum
  kTotalScore,    // total_score(): int
  // Answer stage only (invariants), over the final answer:
  kGrade,   // grade(): the final grade's rank in Policy::grades (int)
  kPrompt,  // prompt("nrm"): 0 NOT_RAISED, 1 CONSIDER, 2 RAISE (int)
  kAction,  // action("CODE"): the answer lists the action (bool)
};

struct Expr {
  ExprKind kind = ExprKind::kLiteral;
  Span span;  // the token that names this node (operator, name, literal)
  Op op = Op::kNone;
  std::string name;      // identifier, field, function, or comprehension macro
  std::string iter_var;  // comprehension variable
  LiteralValue literal;
  bool has_target = false;
  std::vector<std::unique_ptr<Expr>> args;

  // Filled in by the checker.
  Type type;
  Resolution resolution = Resolution::kUnresolved;
  Function function = Function::kNone;
  int32_t field = -1;  // kField: field index in its message type
  int32_t slot = -1;   // kIterVar depth (0 = innermost), kConstant index
  int32_t id = -1;     // dense node number, unique within one expression
};

// The tree as an S-expression, for tests, fuzzing and debugging:
// `a.b == 1 && !c` prints as "(&& (== a.b 1) (! c))". Selects print as
// "target.field", calls as "(f args...)" or "(.f target args...)" when
// has_target, lists as "[1 2]", comprehensions as "(exists x in xs pred)",
// strings double-quoted with C escapes, doubles always with a '.' or exponent.
std::string ExprToString(const Expr& expr);

}  // namespace lantern

#endif  // LANTERN_ENGINE_LANG_AST_H_
