// Parser for the condition language. Entry point: ParseExpression(), which
// tokenizes the text (engine/lang/lexer.h) and runs a recursive-descent parser
// with one function per grammar rule of engine/lang/ast.h; the left-associative
// levels (||, &&, + -, * / %) share one loop, relations take at most one
// operator, and member access is a loop over '.' suffixes.
//
// Error recovery: a missing operand is reported and replaced by a
// placeholder without consuming the offending token, so the enclosing loop
// can carry on; an argument or list element that is followed by garbage is
// skipped up to the next ',' or closing bracket at the same nesting level.
// Errors that are likely consequences of an earlier one are not reported
// (see ErrorAt()). Placeholders never escape: any error, the lexer's
// included, makes ParseExpression return nullptr.
//
// Literals: '-' directly before an int or double literal folds into one
// negative literal spanning both tokens (so -9223372036854775808 is an
// int64), unless the number is the target of a '.' (-1.x is -(1.x)).
//
// Depth: both the recursion depth and the height of the tree being built
// are capped at kMaxParseDepth. On reaching the cap the parser reports once
// and unwinds without touching further tokens, so neither the parser nor any
// later recursive pass over the tree (checker, evaluators, destructors) can
// overflow the stack.
#include "engine/lang/parser.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/lang/lexer.h"

namespace lantern {
namespace {

using ExprPtr = std::unique_ptr<Expr>;

// A parsed subtree and its height in nodes. `expr` is null only when the
// parser hit the nesting limit and is unwinding.
struct Parsed {
  ExprPtr expr;
  int height = 0;
};

Op OrOp(TokenKind kind) { return kind == TokenKind::kOr ? Op::kOr : Op::kNone; }

Op AndOp(TokenKind kind) {
  return kind == TokenKind::kAnd ? Op::kAnd : Op::kNone;
}

Op RelationOp(TokenKind kind) {
  switch (kind) {
    case TokenKind::kEq:
      return Op::kEq;
    case TokenKind::kNe:
      return Op::kNe;
    case TokenKind::kLt:
      return Op::kLt;
    case TokenKind::kLe:
      return Op::kLe;
    case TokenKind::kGt:
      return Op::kGt;
    case TokenKind::kGe:
      return Op::kGe;
    case TokenKind::kIn:
      return Op::kIn;
    default:
      return Op::kNone;
  }
}

Op AddOp(TokenKind kind) {
  if (kind == TokenKind::kPlus) return Op::kAdd;
  if (kind == TokenKind::kMinus) return Op::kSub;
  return Op::kNone;
}

Op MulOp(TokenKind kind) {
  if (kind == TokenKind::kStar) return Op::kMul;
  if (kind == TokenKind::kSlash) return Op::kDiv;
  if (kind == TokenKind::kPercent) return Op::kMod;
  return Op::kNone;
}

bool IsComprehensionMacro(const std::string& name) {
  return name == "exists" || name == "all" || name == "count";
}

bool StartsOperand(TokenKind kind) {
  switch (kind) {
    case TokenKind::kIdent:
    case TokenKind::kInt:
    case TokenKind::kDouble:
    case TokenKind::kString:
    case TokenKind::kTrue:
    case TokenKind::kFalse:
    case TokenKind::kLParen:
    case TokenKind::kLBracket:
      return true;
    default:
      return false;
  }
}

bool IsCloser(TokenKind kind) {
  return kind == TokenKind::kRParen || kind == TokenKind::kRBracket;
}

class Parser {
 public:
  Parser(const SourceText& source, std::vector<Token> tokens,
         Diagnostics* diagnostics)
      : source_(source),
        tokens_(std::move(tokens)),
        diagnostics_(diagnostics) {}

  // Parses the whole token stream; null if the parser reported any error.
  ExprPtr Run();

 private:
  // Grammar rules, loosest first.
  Parsed ParseExpr();
  Parsed ParseLeftAssociative(Parsed (Parser::*operand)(),
                              Op (*op_for)(TokenKind));
  Parsed ParseOr() { return ParseLeftAssociative(&Parser::ParseAnd, OrOp); }
  Parsed ParseAnd() {
    return ParseLeftAssociative(&Parser::ParseRelation, AndOp);
  }
  Parsed ParseRelation();
  Parsed ParseAdd() { return ParseLeftAssociative(&Parser::ParseMul, AddOp); }
  Parsed ParseMul() { return ParseLeftAssociative(&Parser::ParseUnary, MulOp); }
  Parsed ParseUnary();
  Parsed ParseNegativeLiteral();
  Parsed ParseMember();
  Parsed ParseMemberSuffix(Parsed target);
  Parsed ParseComprehension(const Token& name, Parsed target);
  Parsed ParsePrimary();
  Parsed ParseLiteral();
  Parsed ParseIdentOrCall();
  Parsed ParseParenthesized();
  Parsed ParseList();
  bool ParseArgs(TokenKind close, std::vector<Parsed>* args);

  // Tree building.
  Parsed Leaf(ExprKind kind, const Token& token);
  bool Adopt(Parsed* node, Parsed child);
  Parsed MakeNode(ExprKind kind, const Token& token,
                  std::vector<Parsed> children);
  Parsed Placeholder(const Token& token) {
    return Leaf(ExprKind::kLiteral, token);
  }

  // Token access.
  const Token& Peek(size_t ahead = 0) const {
    return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)];
  }
  const Token& Advance() {
    const Token& token = Peek();
    if (pos_ + 1 < tokens_.size()) ++pos_;
    return token;
  }
  bool Match(TokenKind kind) {
    if (Peek().kind != kind) return false;
    Advance();
    return true;
  }
  void SkipToBoundary();

  // Errors.
  void ErrorAt(const Token& token, std::string message);
  void ExpectedButFound(const std::string& expected, const Token& found) {
    ErrorAt(found, absl::StrCat("expected ", expected, " but found ",
                                Describe(found)));
  }
  Parsed TooDeep(int32_t offset);
  std::string Describe(const Token& token) const;

  const SourceText& source_;
  const std::vector<Token> tokens_;
  Diagnostics* const diagnostics_;
  size_t pos_ = 0;
  int depth_ = 0;         // active ParseExpr/ParseUnary recursion
  bool stopped_ = false;  // hit the nesting limit; unwinding
  int error_count_ = 0;   // errors this parser reported
  int operands_ = 0;      // identifiers, literals and brackets consumed so far
  int operands_at_last_error_ = 0;
  int problems_ = 0;  // errors found, reported or not, and rejected tokens
};

// RAII recursion counter.
class Nesting {
 public:
  explicit Nesting(int* depth) : depth_(depth) { ++*depth_; }
  ~Nesting() { --*depth_; }
  Nesting(const Nesting&) = delete;
  Nesting& operator=(const Nesting&) = delete;

 private:
  int* const depth_;
};

ExprPtr Parser::Run() {
  Parsed result = ParseExpr();
  const Token& rest = Peek();
  if (result.expr != nullptr && rest.kind != TokenKind::kEnd &&
      error_count_ == 0) {
    if (IsCloser(rest.kind)) {
      ErrorAt(rest,
              absl::StrCat("unexpected ", Describe(rest), " with no matching ",
                           rest.kind == TokenKind::kRParen ? "'('" : "'['"));
    } else {
      ExpectedButFound("an operator or end of condition", rest);
    }
  }
  if (error_count_ > 0) return nullptr;
  return std::move(result.expr);
}

Parsed Parser::ParseExpr() {
  Nesting nesting(&depth_);
  if (depth_ > kMaxParseDepth) return TooDeep(Peek().span.begin);
  return ParseOr();
}

Parsed Parser::ParseLeftAssociative(Parsed (Parser::*operand)(),
                                    Op (*op_for)(TokenKind)) {
  Parsed lhs = (this->*operand)();
  while (lhs.expr != nullptr) {
    const Op op = op_for(Peek().kind);
    if (op == Op::kNone) break;
    const Token& token = Advance();
    Parsed rhs = (this->*operand)();
    if (rhs.expr == nullptr) return {};
    std::vector<Parsed> children;
    children.push_back(std::move(lhs));
    children.push_back(std::move(rhs));
    lhs = MakeNode(ExprKind::kBinary, token, std::move(children));
    if (lhs.expr != nullptr) lhs.expr->op = op;
  }
  return lhs;
}

// add [relop add]; a second relation operator is reported, and its operand
// parsed and dropped, so that `a < b < c` yields one precise error.
Parsed Parser::ParseRelation() {
  Parsed lhs = ParseAdd();
  const Op op = RelationOp(Peek().kind);
  if (lhs.expr == nullptr || op == Op::kNone) return lhs;
  const Token& token = Advance();
  std::vector<Parsed> children;
  children.push_back(std::move(lhs));
  children.push_back(ParseAdd());
  if (children.back().expr == nullptr) return {};
  Parsed result = MakeNode(ExprKind::kBinary, token, std::move(children));
  if (result.expr == nullptr) return {};
  result.expr->op = op;
  if (RelationOp(Peek().kind) != Op::kNone) {
    ErrorAt(Peek(), "comparison operators do not chain; use &&");
    while (!stopped_ && RelationOp(Peek().kind) != Op::kNone) {
      Advance();
      ParseAdd();
    }
  }
  return stopped_ ? Parsed{} : std::move(result);
}

// ('!'|'-') unary | member. A '-' right before a number literal (that is not
// itself the target of a '.') folds into a negative literal, which is how
// -9223372036854775808 is written.
Parsed Parser::ParseUnary() {
  const Token& token = Peek();
  const bool is_number =
      Peek(1).kind == TokenKind::kInt || Peek(1).kind == TokenKind::kDouble;
  if (token.kind == TokenKind::kMinus && is_number &&
      Peek(2).kind != TokenKind::kDot) {
    return ParseNegativeLiteral();
  }
  if (token.kind != TokenKind::kNot && token.kind != TokenKind::kMinus) {
    return ParseMember();
  }
  Nesting nesting(&depth_);
  if (depth_ > kMaxParseDepth) return TooDeep(token.span.begin);
  Advance();
  std::vector<Parsed> children;
  children.push_back(ParseUnary());
  if (children.back().expr == nullptr) return {};
  Parsed result = MakeNode(ExprKind::kUnary, token, std::move(children));
  if (result.expr != nullptr) {
    result.expr->op = token.kind == TokenKind::kNot ? Op::kNot : Op::kNeg;
  }
  return result;
}

Parsed Parser::ParseNegativeLiteral() {
  ++operands_;
  const Token& minus = Advance();
  const Token& number = Advance();
  Parsed result = Leaf(ExprKind::kLiteral, number);
  result.expr->span = {minus.span.begin, number.span.end};
  if (number.kind == TokenKind::kDouble) {
    result.expr->literal = -number.double_value;
  } else if (number.int_value == uint64_t{1} << 63) {
    result.expr->literal = std::numeric_limits<int64_t>::min();
  } else {
    result.expr->literal = -static_cast<int64_t>(number.int_value);
  }
  return result;
}

Parsed Parser::ParseMember() {
  Parsed expr = ParsePrimary();
  while (expr.expr != nullptr && Peek().kind == TokenKind::kDot) {
    Advance();
    const Token& name = Peek();
    if (name.kind != TokenKind::kIdent) {
      ExpectedButFound("a field or function name after '.'", name);
      break;
    }
    expr = ParseMemberSuffix(std::move(expr));
  }
  return expr;
}

// After `target.`, at IDENT: a select, a method call or a comprehension.
Parsed Parser::ParseMemberSuffix(Parsed target) {
  const Token& name = Advance();
  std::vector<Parsed> children;
  if (!Match(TokenKind::kLParen)) {
    children.push_back(std::move(target));
    Parsed select = MakeNode(ExprKind::kSelect, name, std::move(children));
    if (select.expr != nullptr) select.expr->name = name.text;
    return select;
  }
  if (IsComprehensionMacro(name.text)) {
    return ParseComprehension(name, std::move(target));
  }
  children.push_back(std::move(target));
  if (!ParseArgs(TokenKind::kRParen, &children)) return {};
  Parsed call = MakeNode(ExprKind::kCall, name, std::move(children));
  if (call.expr != nullptr) {
    call.expr->name = name.text;
    call.expr->has_target = true;
  }
  return call;
}

// After `target.exists(`: IDENT ',' expr ')'.
Parsed Parser::ParseComprehension(const Token& name, Parsed target) {
  const Token& first = Peek();
  const int problems_before = problems_;
  std::vector<Parsed> args;
  if (!ParseArgs(TokenKind::kRParen, &args)) return {};
  if (problems_ > problems_before) return Placeholder(name);
  if (args.size() != 2) {
    ErrorAt(name, absl::StrCat("'", name.text,
                               "' expects a variable and a condition, as in "
                               "'list.",
                               name.text, "(x, x > 0)'"));
    return Placeholder(name);
  }
  if (first.kind != TokenKind::kIdent ||
      args[0].expr->kind != ExprKind::kIdent) {
    ErrorAt(first, absl::StrCat("the first argument of '", name.text,
                                "' must be a variable name"));
    return Placeholder(name);
  }
  std::string iter_var = std::move(args[0].expr->name);
  std::vector<Parsed> children;
  children.push_back(std::move(target));
  children.push_back(std::move(args[1]));
  Parsed result = MakeNode(ExprKind::kComprehension, name, std::move(children));
  if (result.expr != nullptr) {
    result.expr->name = name.text;
    result.expr->iter_var = std::move(iter_var);
  }
  return result;
}

Parsed Parser::ParsePrimary() {
  const Token& token = Peek();
  if (StartsOperand(token.kind)) ++operands_;
  switch (token.kind) {
    case TokenKind::kIdent:
      return ParseIdentOrCall();
    case TokenKind::kInt:
    case TokenKind::kDouble:
    case TokenKind::kString:
    case TokenKind::kTrue:
    case TokenKind::kFalse:
      return ParseLiteral();
    case TokenKind::kLParen:
      return ParseParenthesized();
    case TokenKind::kLBracket:
      return ParseList();
    case TokenKind::kError:  // already reported by the lexer
      ++problems_;
      Advance();
      return Placeholder(token);
    default:
      ExpectedButFound("an expression", token);
      return Placeholder(token);
  }
}

Parsed Parser::ParseLiteral() {
  const Token& token = Advance();
  Parsed result = Leaf(ExprKind::kLiteral, token);
  LiteralValue& literal = result.expr->literal;
  switch (token.kind) {
    case TokenKind::kInt:
      if (token.int_value >
          static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        ErrorAt(token, absl::StrCat("integer literal ", Describe(token),
                                    " is out of range"));
      } else {
        literal = static_cast<int64_t>(token.int_value);
      }
      break;
    case TokenKind::kDouble:
      literal = token.double_value;
      break;
    case TokenKind::kString:
      literal = token.text;
      break;
    default:
      literal = token.kind == TokenKind::kTrue;
      break;
  }
  return result;
}

Parsed Parser::ParseIdentOrCall() {
  const Token& name = Advance();
  if (!Match(TokenKind::kLParen)) {
    Parsed ident = Leaf(ExprKind::kIdent, name);
    ident.expr->name = name.text;
    return ident;
  }
  std::vector<Parsed> args;
  if (!ParseArgs(TokenKind::kRParen, &args)) return {};
  Parsed call = MakeNode(ExprKind::kCall, name, std::move(args));
  if (call.expr != nullptr) call.expr->name = name.text;
  return call;
}

Parsed Parser::ParseParenthesized() {
  Advance();
  Parsed inner = ParseExpr();
  if (inner.expr == nullptr || Match(TokenKind::kRParen)) return inner;
  ExpectedButFound("')'", Peek());
  SkipToBoundary();
  Match(TokenKind::kRParen);
  return inner;
}

Parsed Parser::ParseList() {
  const Token& open = Advance();
  std::vector<Parsed> elements;
  if (!ParseArgs(TokenKind::kRBracket, &elements)) return {};
  return MakeNode(ExprKind::kList, open, std::move(elements));
}

// After an opening '(' or '[': [expr (',' expr)*] close. Appends the parsed
// expressions to `args`; returns false only when unwinding.
bool Parser::ParseArgs(TokenKind close, std::vector<Parsed>* args) {
  if (Match(close)) return true;
  const char* close_text = close == TokenKind::kRParen ? "')'" : "']'";
  while (true) {
    args->push_back(ParseExpr());
    if (args->back().expr == nullptr) return false;
    if (Match(TokenKind::kComma)) continue;
    if (Match(close)) return true;
    ExpectedButFound(absl::StrCat("',' or ", close_text), Peek());
    SkipToBoundary();
    if (Match(close)) return true;
    if (!Match(TokenKind::kComma)) return true;  // end, or another closer
  }
}

// Skips to the next ',', ')' or ']' outside nested brackets, or to the end.
void Parser::SkipToBoundary() {
  int nesting = 0;
  while (Peek().kind != TokenKind::kEnd) {
    const TokenKind kind = Peek().kind;
    if (nesting == 0 && (kind == TokenKind::kComma || IsCloser(kind))) return;
    if (kind == TokenKind::kLParen || kind == TokenKind::kLBracket) ++nesting;
    if (IsCloser(kind)) --nesting;
    Advance();
  }
}

Parsed Parser::Leaf(ExprKind kind, const Token& token) {
  Parsed leaf{std::make_unique<Expr>(), 1};
  leaf.expr->kind = kind;
  leaf.expr->span = token.span;
  return leaf;
}

// Makes `child` the next argument of `node`; false (after reporting) if that
// makes the tree too tall.
bool Parser::Adopt(Parsed* node, Parsed child) {
  node->height = std::max(node->height, child.height + 1);
  node->expr->args.push_back(std::move(child.expr));
  if (node->height <= kMaxParseDepth) return true;
  TooDeep(node->expr->span.begin);
  return false;
}

Parsed Parser::MakeNode(ExprKind kind, const Token& token,
                        std::vector<Parsed> children) {
  Parsed node = Leaf(kind, token);
  for (Parsed& child : children) {
    if (!Adopt(&node, std::move(child))) return {};
  }
  return node;
}

Parsed Parser::TooDeep(int32_t offset) {
  if (!stopped_) {
    stopped_ = true;
    ++error_count_;
    diagnostics_->Error(source_.Locate(offset), "expression nested too deeply");
  }
  return {};
}

// Reports unless the error is most likely a consequence of an earlier one:
// after the nesting limit, at a token the lexer rejected, at the end right
// after rejected input (an unterminated string swallows the rest of the
// line), or before the parser has consumed any operand since its last error.
void Parser::ErrorAt(const Token& token, std::string message) {
  ++problems_;
  const bool after_rejected_input =
      token.kind == TokenKind::kEnd && tokens_.size() >= 2 &&
      tokens_[tokens_.size() - 2].kind == TokenKind::kError;
  const bool no_progress =
      error_count_ > 0 && operands_ == operands_at_last_error_;
  if (stopped_ || token.kind == TokenKind::kError || after_rejected_input ||
      no_progress) {
    return;
  }
  operands_at_last_error_ = operands_;
  ++error_count_;
  diagnostics_->Error(source_.Locate(token.span.begin), std::move(message));
}

std::string Parser::Describe(const Token& token) const {
  if (token.kind == TokenKind::kEnd) return "end of condition";
  return QuoteForMessage(source_.Slice(token.span.begin, token.span.end));
}

}  // namespace

std::unique_ptr<Expr> ParseExpression(const SourceText& source,
                                      Diagnostics* diagnostics) {
  Diagnostics local;
  if (diagnostics == nullptr) diagnostics = &local;
  const int errors_before = diagnostics->error_count();
  std::vector<Token> tokens = Tokenize(source, diagnostics);
  std::unique_ptr<Expr> expr =
      Parser(source, std::move(tokens), diagnostics).Run();
  if (diagnostics->error_count() > errors_before) return nullptr;
  return expr;
}

}  // namespace lantern
