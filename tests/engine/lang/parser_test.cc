// Tests for engine/lang/parser.h (and ExprToString/OpSpelling of
// engine/lang/ast.h): tree shapes via S-expressions, node spans, literal
// values, comprehension shape, and the exact position and wording of syntax
// errors.
#include "engine/lang/parser.h"

#include <cstdint>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "engine/lang/ast.h"
#include "engine/lang/diagnostics.h"
#include "engine/lang/source_text.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lantern {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// The tree as an S-expression, or "error: " and the diagnostics.
std::string Tree(const std::string& text) {
  const SourceText source = SourceText::FromString("t.cel", text);
  Diagnostics diagnostics;
  std::unique_ptr<Expr> expr = ParseExpression(source, &diagnostics);
  if (expr == nullptr) return absl::StrCat("error: ", diagnostics.ToString());
  EXPECT_FALSE(diagnostics.has_errors()) << text;
  return ExprToString(*expr);
}

// The diagnostics of a parse that must fail, one line each.
std::string Errors(const std::string& text) {
  const SourceText source = SourceText::FromString("t.cel", text);
  Diagnostics diagnostics;
  std::unique_ptr<Expr> expr = ParseExpression(source, &diagnostics);
  EXPECT_EQ(expr, nullptr) << text;
  EXPECT_TRUE(diagnostics.has_errors()) << text;
  return diagnostics.ToString();
}

std::unique_ptr<Expr> MustParse(const SourceText& source) {
  Diagnostics diagnostics;
  std::unique_ptr<Expr> expr = ParseExpression(source, &diagnostics);
  EXPECT_NE(expr, nullptr) << diagnostics.ToString();
  return expr;
}

std::unique_ptr<Expr> MustParse(const std::string& text) {
  return MustParse(SourceText::FromString("t.cel", text));
}

// The source text of every node's span, in pre-order.
void CollectSpans(const Expr& expr, const SourceText& source,
                  std::vector<std::string>* out) {
  out->emplace_back(source.Slice(expr.span.begin, expr.span.end));
  for (const auto& arg : expr.args) CollectSpans(*arg, source, out);
}

std::vector<std::string> SpanTexts(const std::string& text) {
  const SourceText source = SourceText::FromString("t.cel", text);
  std::vector<std::string> spans;
  std::unique_ptr<Expr> expr = MustParse(source);
  if (expr != nullptr) CollectSpans(*expr, source, &spans);
  return spans;
}

struct Case {
  const char* text;
  const char* tree;
};

void ExpectTrees(const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    EXPECT_EQ(Tree(c.text), c.tree) << "for: " << c.text;
  }
}

TEST(Parser, Precedence) {
  ExpectTrees({
      {"a || b && c", "(|| a (&& b c))"},
      {"a && b || c", "(|| (&& a b) c)"},
      {"a && b == c", "(&& a (== b c))"},
      {"a == b + c", "(== a (+ b c))"},
      {"a + b in c", "(in (+ a b) c)"},
      {"a + b * c", "(+ a (* b c))"},
      {"a * b + c", "(+ (* a b) c)"},
      {"a + b < c * d", "(< (+ a b) (* c d))"},
      {"!a && b", "(&& (! a) b)"},
      {"!a.b", "(! a.b)"},
      {"-a * b", "(* (- a) b)"},
      {"-x.y", "(- x.y)"},
      {"(a || b) && c", "(&& (|| a b) c)"},
      {"a * (b + c)", "(* a (+ b c))"},
      {"a.b == 1 && !c", "(&& (== a.b 1) (! c))"},
      {"x in [1, 2] || y", "(|| (in x [1 2]) y)"},
      {"((a))", "a"},
  });
}

TEST(Parser, LeftAssociativity) {
  ExpectTrees({
      {"a || b || c", "(|| (|| a b) c)"},
      {"a && b && c", "(&& (&& a b) c)"},
      {"a - b - c", "(- (- a b) c)"},
      {"a + b - c", "(- (+ a b) c)"},
      {"a / b % c * d", "(* (% (/ a b) c) d)"},
  });
}

TEST(Parser, UnaryOperatorsNest) {
  ExpectTrees({
      {"!!a", "(! (! a))"},
      {"- -a", "(- (- a))"},
      {"!-a", "(! (- a))"},
      {"--a", "(- (- a))"},
  });
}

TEST(Parser, EveryOperator) {
  const struct {
    const char* text;
    ExprKind kind;
    Op op;
  } kCases[] = {
      {"a || b", ExprKind::kBinary, Op::kOr},
      {"a && b", ExprKind::kBinary, Op::kAnd},
      {"a == b", ExprKind::kBinary, Op::kEq},
      {"a != b", ExprKind::kBinary, Op::kNe},
      {"a < b", ExprKind::kBinary, Op::kLt},
      {"a <= b", ExprKind::kBinary, Op::kLe},
      {"a > b", ExprKind::kBinary, Op::kGt},
      {"a >= b", ExprKind::kBinary, Op::kGe},
      {"a in b", ExprKind::kBinary, Op::kIn},
      {"a + b", ExprKind::kBinary, Op::kAdd},
      {"a - b", ExprKind::kBinary, Op::kSub},
      {"a * b", ExprKind::kBinary, Op::kMul},
      {"a / b", ExprKind::kBinary, Op::kDiv},
      {"a % b", ExprKind::kBinary, Op::kMod},
      {"!a", ExprKind::kUnary, Op::kNot},
      {"-a", ExprKind::kUnary, Op::kNeg},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.text);
    std::unique_ptr<Expr> expr = MustParse(c.text);
    ASSERT_NE(expr, nullptr);
    EXPECT_EQ(expr->kind, c.kind);
    EXPECT_EQ(expr->op, c.op);
    const size_t arity = c.kind == ExprKind::kUnary ? 1 : 2;
    ASSERT_EQ(expr->args.size(), arity);
    EXPECT_EQ(expr->args[0]->name, "a");
    if (arity == 2) {
      EXPECT_EQ(ExprToString(*expr),
                absl::StrCat("(", OpSpelling(c.op), " a b)"));
    }
  }
}

TEST(Parser, OpSpellingCoversEveryOperator) {
  EXPECT_STREQ(OpSpelling(Op::kNone), "");
  EXPECT_STREQ(OpSpelling(Op::kNot), "!");
  EXPECT_STREQ(OpSpelling(Op::kNeg), "-");
  EXPECT_STREQ(OpSpelling(Op::kIn), "in");
  EXPECT_STREQ(OpSpelling(Op::kLe), "<=");
  EXPECT_STREQ(OpSpelling(Op::kMod), "%");
}

TEST(Parser, LiteralValues) {
  std::unique_ptr<Expr> expr = MustParse("[42, 1.5, 'x', true, false, \"\"]");
  ASSERT_NE(expr, nullptr);
  ASSERT_EQ(expr->args.size(), 6u);
  for (const auto& arg : expr->args) EXPECT_EQ(arg->kind, ExprKind::kLiteral);
  EXPECT_EQ(std::get<int64_t>(expr->args[0]->literal), 42);
  EXPECT_EQ(std::get<double>(expr->args[1]->literal), 1.5);
  EXPECT_EQ(std::get<std::string>(expr->args[2]->literal), "x");
  EXPECT_EQ(std::get<bool>(expr->args[3]->literal), true);
  EXPECT_EQ(std::get<bool>(expr->args[4]->literal), false);
  EXPECT_EQ(std::get<std::string>(expr->args[5]->literal), "");
}

TEST(Parser, LiteralForms) {
  ExpectTrees({
      {"42", "42"},
      {"1.5", "1.5"},
      {"1e3", "1000.0"},
      {"2.5e-1", "0.25"},
      {"0.1", "0.1"},
      {"'it\\'s'", "\"it's\""},
      {R"("a\nb\t\"c\"\\")", R"("a\nb\t\"c\"\\")"},
      {"'\\u00e9'", "\"\xC3\xA9\""},
      {"true", "true"},
      {"false", "false"},
  });
}

TEST(Parser, NegativeNumberLiteralsAreFolded) {
  ExpectTrees({
      {"-5", "-5"},
      {"- 5", "-5"},
      {"-1.5", "-1.5"},
      {"2 * -3", "(* 2 -3)"},
      {"a - -1", "(- a -1)"},
      {"a-1", "(- a 1)"},
      {"-(5)", "(- 5)"},
      {"- -5", "(- -5)"},
      {"-1.x", "(- 1.x)"},
      {"-9223372036854775807", "-9223372036854775807"},
  });
  std::unique_ptr<Expr> expr = MustParse("-5");
  ASSERT_NE(expr, nullptr);
  EXPECT_EQ(expr->kind, ExprKind::kLiteral);
  EXPECT_EQ(std::get<int64_t>(expr->literal), -5);
  EXPECT_EQ(expr->span.begin, 0);
  EXPECT_EQ(expr->span.end, 2);
}

TEST(Parser, MostNegativeIntegerLiteral) {
  std::unique_ptr<Expr> expr = MustParse("x > -9223372036854775808");
  ASSERT_NE(expr, nullptr);
  const Expr& literal = *expr->args[1];
  EXPECT_EQ(std::get<int64_t>(literal.literal),
            std::numeric_limits<int64_t>::min());
  EXPECT_EQ(literal.span.begin, 4);
  EXPECT_EQ(literal.span.end, 24);
  EXPECT_EQ(Tree("- -9223372036854775808"), "(- -9223372036854775808)");
}

TEST(Parser, ReportsIntegerOutOfRange) {
  EXPECT_EQ(Errors("x > 9223372036854775808"),
            "t.cel:1:5: error: integer literal '9223372036854775808' is out "
            "of range\n");
  EXPECT_EQ(Errors("0 - 9223372036854775808"),
            "t.cel:1:5: error: integer literal '9223372036854775808' is out "
            "of range\n");
  EXPECT_EQ(Errors("-9223372036854775809"),
            "t.cel:1:2: error: integer literal '9223372036854775809' is out "
            "of range\n");
}

TEST(Parser, IdentifiersSelectsAndLists) {
  ExpectTrees({
      {"a", "a"},
      {"a.b.c", "a.b.c"},
      {"[]", "[]"},
      {"[1]", "[1]"},
      {"[[1], a.b, 'c']", "[[1] a.b \"c\"]"},
      {"(a).b", "a.b"},
      {"[1, 2].size()", "(.size [1 2])"},
  });
  std::unique_ptr<Expr> expr = MustParse("a.b");
  ASSERT_NE(expr, nullptr);
  EXPECT_EQ(expr->kind, ExprKind::kSelect);
  EXPECT_EQ(expr->name, "b");
  ASSERT_EQ(expr->args.size(), 1u);
  EXPECT_EQ(expr->args[0]->kind, ExprKind::kIdent);
  EXPECT_EQ(expr->args[0]->name, "a");
}

TEST(Parser, Calls) {
  ExpectTrees({
      {"f()", "(f)"},
      {"size(x) > 0", "(> (size x) 0)"},
      {"f(a, b + 1, [c])", "(f a (+ b 1) [c])"},
      {"x.size()", "(.size x)"},
      {"x.mentions(\"a\")", "(.mentions x \"a\")"},
      {"a.b.c.f(1).g", "(.f a.b.c 1).g"},
      {"timestamp('2024-01-01T00:00:00Z')",
       "(timestamp \"2024-01-01T00:00:00Z\")"},
      {"count(x, y)", "(count x y)"},
  });
  std::unique_ptr<Expr> global = MustParse("size(x)");
  ASSERT_NE(global, nullptr);
  EXPECT_EQ(global->kind, ExprKind::kCall);
  EXPECT_EQ(global->name, "size");
  EXPECT_FALSE(global->has_target);
  ASSERT_EQ(global->args.size(), 1u);

  std::unique_ptr<Expr> method = MustParse("text.mentions('fire', 2)");
  ASSERT_NE(method, nullptr);
  EXPECT_EQ(method->kind, ExprKind::kCall);
  EXPECT_EQ(method->name, "mentions");
  EXPECT_TRUE(method->has_target);
  ASSERT_EQ(method->args.size(), 3u);
  EXPECT_EQ(method->args[0]->name, "text");
  EXPECT_EQ(std::get<std::string>(method->args[1]->literal), "fire");
}

TEST(Parser, ComprehensionShape) {
  std::unique_ptr<Expr> expr = MustParse("items.exists(i, i.score > 3)");
  ASSERT_NE(expr, nullptr);
  EXPECT_EQ(expr->kind, ExprKind::kComprehension);
  EXPECT_EQ(expr->name, "exists");
  EXPECT_EQ(expr->iter_var, "i");
  EXPECT_FALSE(expr->has_target);
  ASSERT_EQ(expr->args.size(), 2u);
  EXPECT_EQ(expr->args[0]->kind, ExprKind::kIdent);
  EXPECT_EQ(expr->args[0]->name, "items");
  EXPECT_EQ(ExprToString(*expr->args[1]), "(> i.score 3)");
  EXPECT_EQ(ExprToString(*expr), "(exists i in items (> i.score 3))");
}

TEST(Parser, EveryComprehensionMacro) {
  ExpectTrees({
      {"xs.all(x, x > 0)", "(all x in xs (> x 0))"},
      {"xs.count(x, x > 0) >= 2", "(>= (count x in xs (> x 0)) 2)"},
      {"a.b.exists(x, x.c.all(y, y != x))",
       "(exists x in a.b (all y in x.c (!= y x)))"},
      {"[1, 2].exists(n, n == 2)", "(exists n in [1 2] (== n 2))"},
  });
}

TEST(Parser, ReportsComprehensionVariableThatIsNotAName) {
  EXPECT_EQ(Errors("xs.exists(x.y, true)"),
            "t.cel:1:11: error: the first argument of 'exists' must be a "
            "variable name\n");
  EXPECT_EQ(Errors("xs.all((x), true)"),
            "t.cel:1:8: error: the first argument of 'all' must be a "
            "variable name\n");
  EXPECT_EQ(Errors("xs.count(1, true)"),
            "t.cel:1:10: error: the first argument of 'count' must be a "
            "variable name\n");
}

TEST(Parser, ReportsComprehensionWithWrongArgumentCount) {
  EXPECT_EQ(Errors("xs.count(x)"),
            "t.cel:1:4: error: 'count' expects a variable and a condition, "
            "as in 'list.count(x, x > 0)'\n");
  EXPECT_THAT(Errors("xs.exists()"), HasSubstr("t.cel:1:4: error: 'exists'"));
  EXPECT_THAT(Errors("xs.all(x, y, z)"), HasSubstr("t.cel:1:4: error: 'all'"));
}

TEST(Parser, SpansPointAtTheNamingToken) {
  EXPECT_THAT(SpanTexts("a.b == 1 && !c"),
              ElementsAre("&&", "==", "b", "a", "1", "!", "c"));
  EXPECT_THAT(SpanTexts("xs.exists(x, f(x) + [1])"),
              ElementsAre("exists", "xs", "+", "f", "x", "[", "1"));
  EXPECT_THAT(SpanTexts("-5 + x.size()"), ElementsAre("+", "-5", "size", "x"));
  EXPECT_THAT(SpanTexts("'str' in y"), ElementsAre("in", "'str'", "y"));
  EXPECT_THAT(SpanTexts("(a <= 1.5)"), ElementsAre("<=", "a", "1.5"));
  EXPECT_THAT(SpanTexts("-(x)"), ElementsAre("-", "x"));
}

TEST(Parser, SpansAreByteOffsetsIntoTheText) {
  std::unique_ptr<Expr> expr = MustParse("  alpha\n   <= beta");
  ASSERT_NE(expr, nullptr);
  EXPECT_EQ(expr->span.begin, 11);
  EXPECT_EQ(expr->span.end, 13);
  EXPECT_EQ(expr->args[0]->span.begin, 2);
  EXPECT_EQ(expr->args[0]->span.end, 7);
  EXPECT_EQ(expr->args[1]->span.begin, 14);
  EXPECT_EQ(expr->args[1]->span.end, 18);
}

TEST(Parser, ReportsMissingParenAtExactColumn) {
  EXPECT_EQ(Errors("(a && b"),
            "t.cel:1:8: error: expected ')' but found end of condition\n");
  EXPECT_EQ(Errors("(a && b x)"),
            "t.cel:1:9: error: expected ')' but found 'x'\n");
  EXPECT_EQ(Errors("f(a b)"),
            "t.cel:1:5: error: expected ',' or ')' but found 'b'\n");
  EXPECT_EQ(Errors("f(a"),
            "t.cel:1:4: error: expected ',' or ')' but found end of "
            "condition\n");
  EXPECT_EQ(Errors("[1 2]"),
            "t.cel:1:4: error: expected ',' or ']' but found '2'\n");
}

TEST(Parser, ReportsUnmatchedClosers) {
  EXPECT_EQ(Errors("a)"),
            "t.cel:1:2: error: unexpected ')' with no matching '('\n");
  EXPECT_EQ(Errors("f(a)] && b"),
            "t.cel:1:5: error: unexpected ']' with no matching '['\n");
}

TEST(Parser, ReportsMissingOperands) {
  EXPECT_EQ(Errors(""),
            "t.cel:1:1: error: expected an expression but found end of "
            "condition\n");
  EXPECT_EQ(Errors("  \n "),
            "t.cel:2:2: error: expected an expression but found end of "
            "condition\n");
  EXPECT_EQ(Errors("a +"),
            "t.cel:1:4: error: expected an expression but found end of "
            "condition\n");
  EXPECT_EQ(Errors("a && && b"),
            "t.cel:1:6: error: expected an expression but found '&&'\n");
  EXPECT_EQ(Errors("in"),
            "t.cel:1:1: error: expected an expression but found 'in'\n");
  EXPECT_EQ(Errors("()"),
            "t.cel:1:2: error: expected an expression but found ')'\n");
}

TEST(Parser, ReportsTrailingTokens) {
  EXPECT_EQ(Errors("a b"),
            "t.cel:1:3: error: expected an operator or end of condition but "
            "found 'b'\n");
  EXPECT_EQ(Errors("f(a)(b)"),
            "t.cel:1:5: error: expected an operator or end of condition but "
            "found '('\n");
  EXPECT_EQ(Errors("a 'a very long string literal that goes on'"),
            "t.cel:1:3: error: expected an operator or end of condition but "
            "found ''a very long string literal that...'\n");
}

TEST(Parser, ReportsBadMemberNames) {
  EXPECT_EQ(Errors("a.1"),
            "t.cel:1:3: error: expected a field or function name after '.' "
            "but found '1'\n");
  EXPECT_EQ(Errors("a.in"),
            "t.cel:1:3: error: expected a field or function name after '.' "
            "but found 'in'\n");
  EXPECT_EQ(Errors("a."),
            "t.cel:1:3: error: expected a field or function name after '.' "
            "but found end of condition\n");
}

TEST(Parser, ReportsChainedComparison) {
  EXPECT_EQ(Errors("a < b < c"),
            "t.cel:1:7: error: comparison operators do not chain; use &&\n");
  EXPECT_EQ(Errors("a == b != c"),
            "t.cel:1:8: error: comparison operators do not chain; use &&\n");
  EXPECT_EQ(Errors("a in b in c"),
            "t.cel:1:8: error: comparison operators do not chain; use &&\n");
  // One report per chain, and parsing goes on after it.
  EXPECT_EQ(Errors("a < b < c < d && (e"),
            "t.cel:1:7: error: comparison operators do not chain; use &&\n"
            "t.cel:1:20: error: expected ')' but found end of condition\n");
  EXPECT_EQ(Tree("a < b && b < c"), "(&& (< a b) (< b c))");
  EXPECT_EQ(Tree("(a < b) == c"), "(== (< a b) c)");
}

TEST(Parser, ReportsEveryErrorInOneExpression) {
  EXPECT_EQ(Errors("f(a +, b ==) && (c"),
            "t.cel:1:6: error: expected an expression but found ','\n"
            "t.cel:1:12: error: expected an expression but found ')'\n"
            "t.cel:1:19: error: expected ')' but found end of condition\n");
  EXPECT_EQ(Errors("a = 1 & b.exists(x, x >) | [1 2]"),
            "t.cel:1:3: error: unexpected character '='; did you mean '=='?\n"
            "t.cel:1:7: error: unexpected character '&'; did you mean '&&'?\n"
            "t.cel:1:24: error: expected an expression but found ')'\n"
            "t.cel:1:26: error: unexpected character '|'; did you mean '||'?\n"
            "t.cel:1:31: error: expected ',' or ']' but found '2'\n");
  // Nothing parsed between two errors: the second is not reported.
  EXPECT_EQ(Errors("f(,)"),
            "t.cel:1:3: error: expected an expression but found ','\n");
  EXPECT_EQ(Errors("f(, -1 +)"),
            "t.cel:1:3: error: expected an expression but found ','\n"
            "t.cel:1:9: error: expected an expression but found ')'\n");
  EXPECT_EQ(Errors("f(, a +)"),
            "t.cel:1:3: error: expected an expression but found ','\n"
            "t.cel:1:8: error: expected an expression but found ')'\n");
}

TEST(Parser, LexicalErrorsAreNotReportedTwice) {
  EXPECT_EQ(Errors("a @ b"), "t.cel:1:3: error: unexpected character '@'\n");
  EXPECT_EQ(Errors("f('abc)"),
            "t.cel:1:3: error: unterminated string literal\n");
  EXPECT_EQ(Errors("name == \"abc"),
            "t.cel:1:9: error: unterminated string literal\n");
  EXPECT_EQ(Errors("[1, #, 2]"),
            "t.cel:1:5: error: unexpected character '#'\n");
  EXPECT_EQ(Errors("xs.exists(x @)"),
            "t.cel:1:13: error: unexpected character '@'\n");
  EXPECT_EQ(Errors("a & b"),
            "t.cel:1:3: error: unexpected character '&'; did you mean "
            "'&&'?\n");
}

TEST(Parser, ReportsPositionsInMultiLineText) {
  // The condition starts at line 12, column 11 of the rule file.
  const SourceText source =
      SourceText::FromString("rules/x.yaml", "a &&\n  (b ||\n   c", 12, 11);
  Diagnostics diagnostics;
  EXPECT_EQ(ParseExpression(source, &diagnostics), nullptr);
  EXPECT_EQ(diagnostics.ToString(),
            "rules/x.yaml:14:5: error: expected ')' but found end of "
            "condition\n");

  const SourceText second =
      SourceText::FromString("rules/x.yaml", "a &&\n  b c", 5, 7);
  Diagnostics more;
  EXPECT_EQ(ParseExpression(second, &more), nullptr);
  EXPECT_EQ(more.ToString(),
            "rules/x.yaml:6:5: error: expected an operator or end of "
            "condition but found 'c'\n");

  const SourceText first_line =
      SourceText::FromString("f.yaml", "x == (y", 3, 20);
  Diagnostics third;
  EXPECT_EQ(ParseExpression(first_line, &third), nullptr);
  EXPECT_EQ(third.ToString(),
            "f.yaml:3:27: error: expected ')' but found end of condition\n");
}

TEST(Parser, SucceedsDespiteEarlierErrorsInTheList) {
  Diagnostics diagnostics;
  diagnostics.Error({"other.yaml", 1, 1}, "unrelated");
  const SourceText source = SourceText::FromString("t.cel", "a && b");
  std::unique_ptr<Expr> expr = ParseExpression(source, &diagnostics);
  ASSERT_NE(expr, nullptr);
  EXPECT_EQ(diagnostics.error_count(), 1);
}

std::string Repeat(const std::string& piece, int times) {
  std::string out;
  for (int i = 0; i < times; ++i) out += piece;
  return out;
}

int CountErrors(const std::string& text) {
  const SourceText source = SourceText::FromString("t.cel", text);
  Diagnostics diagnostics;
  std::unique_ptr<Expr> expr = ParseExpression(source, &diagnostics);
  EXPECT_EQ(expr == nullptr, diagnostics.has_errors());
  return diagnostics.error_count();
}

TEST(Parser, AcceptsNestingUpToTheLimit) {
  const int n = kMaxParseDepth - 1;
  EXPECT_EQ(CountErrors(Repeat("(", n) + "a" + Repeat(")", n)), 0);
  EXPECT_EQ(CountErrors(Repeat("!", n) + "a"), 0);
  // A chain of k terms is a tree of height k.
  EXPECT_EQ(CountErrors("a" + Repeat(" + a", kMaxParseDepth - 1)), 0);
  EXPECT_EQ(CountErrors("a" + Repeat(".b", kMaxParseDepth - 1)), 0);
  // Wide is fine.
  EXPECT_EQ(CountErrors("[" + Repeat("1, ", 10000) + "1]"), 0);
  EXPECT_EQ(CountErrors("f(" + Repeat("a && b, ", 10000) + "c)"), 0);
}

TEST(Parser, ReportsNestingBeyondTheLimitOnce) {
  const int n = kMaxParseDepth;
  EXPECT_EQ(Errors(Repeat("(", n) + "a" + Repeat(")", n)),
            "t.cel:1:201: error: expression nested too deeply\n");
  EXPECT_EQ(Errors("a" + Repeat(" + a", kMaxParseDepth)),
            "t.cel:1:799: error: expression nested too deeply\n");
}

TEST(Parser, DeepInputNeverOverflowsTheStack) {
  const int n = 100000;
  for (const std::string& text : {
           Repeat("(", n) + "a" + Repeat(")", n),
           Repeat("(", n),
           Repeat("!", n) + "a",
           Repeat("-", n) + "a",
           Repeat("-", n) + "1",
           Repeat("[", n),
           Repeat("f(", n) + "x",
           Repeat("xs.exists(x, ", n),
           "a" + Repeat(" || a", n),
           "a" + Repeat(".b", n),
           "a" + Repeat(".f()", n),
           Repeat("a < ", n) + "a",
       }) {
    EXPECT_EQ(CountErrors(text), 1) << text.substr(0, 40);
  }
}

TEST(Parser, GarbageNeverCrashes) {
  const std::vector<std::string> pieces = {
      "a",   "1",      "1.5",
      "'s'", "\"",     "'",
      "(",   ")",      "[",
      "]",   ",",      ".",
      "&&",  "&",      "||",
      "|",   "!",      "==",
      "=",   "<",      ">=",
      "in",  "exists", "(x,",
      "-",   "+",      "*",
      "%",   "@",      " ",
      "\n",  "\\",     "9223372036854775808",
      "e",   "true"};
  std::mt19937 rng(20240623);
  for (int i = 0; i < 20000; ++i) {
    std::string text;
    const int length = static_cast<int>(rng() % 24);
    for (int j = 0; j < length; ++j) text += pieces[rng() % pieces.size()];
    const SourceText source = SourceText::FromString("t.cel", text);
    Diagnostics diagnostics;
    std::unique_ptr<Expr> expr = ParseExpression(source, &diagnostics);
    ASSERT_EQ(expr == nullptr, diagnostics.has_errors()) << text;
    if (expr == nullptr) continue;
    std::vector<std::string> spans;
    CollectSpans(*expr, source, &spans);
    EXPECT_FALSE(ExprToString(*expr).empty());
  }
}

TEST(Parser, RandomBytesNeverCrash) {
  std::mt19937 rng(7);
  for (int i = 0; i < 20000; ++i) {
    std::string text(rng() % 32, '\0');
    for (char& c : text) c = static_cast<char>(rng() % 256);
    const SourceText source = SourceText::FromString("t.cel", text);
    Diagnostics diagnostics;
    std::unique_ptr<Expr> expr = ParseExpression(source, &diagnostics);
    ASSERT_EQ(expr == nullptr, diagnostics.has_errors());
  }
}

TEST(ExprToString, PrintsCheckerLiterals) {
  Expr expr;
  expr.kind = ExprKind::kList;
  for (LiteralValue value : std::vector<LiteralValue>{
           LiteralValue(absl::FromUnixSeconds(0)),
           LiteralValue(absl::Hours(72)), LiteralValue(EnumLiteral{3}),
           LiteralValue(2.0), LiteralValue(1e300), LiteralValue(-0.5),
           LiteralValue(std::string("a\x01\"b"))}) {
    auto literal = std::make_unique<Expr>();
    literal->literal = value;
    expr.args.push_back(std::move(literal));
  }
  EXPECT_EQ(ExprToString(expr),
            "[timestamp(\"1970-01-01T00:00:00+00:00\") duration(\"72h\") "
            "enum(3) 2.0 1e+300 -0.5 \"a\\x01\\\"b\"]");
}

}  // namespace
}  // namespace lantern
