// Lexer: condition text → tokens, the input of the parser
// (engine/lang/parser.h).
//
// Tokenize() splits one expression's text into identifiers, the keywords
// `true`, `false` and `in`, int, double and string literals, and the
// operators && || ! == != < <= > >= + - * / % . , ( ) [ ]. Whitespace,
// newlines included, only separates tokens. Every token records its byte
// span in the text; the stream always ends with exactly one kEnd token whose
// span is empty and sits at the end of the text.
//
// Lexical errors are reported to a Diagnostics list at the exact offending
// byte (via SourceText::Locate) and lexing goes on, so one call reports every
// lexical problem:
//   * a lone '&', '|' or '=' is reported ("did you mean '&&'?") and then
//     produces the token it most likely meant (kAnd, kOr, kEq), so that the
//     parser can keep checking the rest of the condition;
//   * any other unexpected character, an unterminated string, a malformed
//     number and an integer out of range produce a kError token, which the
//     parser skips without a second message;
//   * an invalid escape inside a string is reported and the string token is
//     still produced, without the bad escape.
//
// Int literals are decimal and stored as a magnitude: a kInt token holds a
// value in [0, 2^63]. 2^63 itself only fits int64 after a unary minus, so
// the parser decides whether it is in range. Larger values are lexical
// errors.
//
// Thread-safety: stateless functions; safe to call concurrently.
#ifndef LANTERN_ENGINE_LANG_LEXER_H_
#define LANTERN_ENGINE_LANG_LEXER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "engine/lang/ast.h"
#include "engine/lang/diagnostics.h"
#include "engine/lang/source_text.h"

namespace lantern {

enum class TokenKind : uint8_t {
  kEnd,    // end of the text
  kError,  // bytes the lexer rejected; already reported
  kIdent,
  kInt,
  kDouble,
  kString,
  kTrue,
  kFalse,
  kIn,
  kAnd,       // &&
  kOr,        // ||
  kNot,       // !
  kEq,        // ==
  kNe,        // !=
  kLt,        // <
  kLe,        // <=
  kGt,        // >
  kGe,        // >=
  kPlus,      // +
  kMinus,     // -
  kStar,      // *
  kSlash,     // /
  kPercent,   // %
  kDot,       // .
  kComma,     // ,
  kLParen,    // (
  kRParen,    // )
  kLBracket,  // [
  kRBracket,  // ]
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  Span span;                // bytes [begin, end) of the token in the text
  uint64_t int_value = 0;   // kInt: the literal's magnitude, <= 2^63
  double double_value = 0;  // kDouble
  std::string text;         // kIdent: the name; kString: the decoded value
};

// Splits `source.text()` into tokens ending in one kEnd token. Reports every
// lexical error to `diagnostics` (which must not be null).
std::vector<Token> Tokenize(const SourceText& source, Diagnostics* diagnostics);

// A short name for messages: "'&&'", "identifier", "end of condition"...
const char* TokenKindName(TokenKind kind);

// `text` quoted for a diagnostic: single quotes around it, control bytes and
// invalid UTF-8 written as \xNN, and anything past 32 bytes elided as "...".
std::string QuoteForMessage(absl::string_view text);

}  // namespace lantern

#endif  // LANTERN_ENGINE_LANG_LEXER_H_
