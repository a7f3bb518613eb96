// Lexer for the condition language: Tokenize() scans the text once, left to
// right, with one byte of lookahead (two for operators and exponents). At
// each position the first byte picks the token class: identifier or keyword,
// number, quoted string, operator; anything else is an unexpected character.
// Errors are reported at the exact byte and scanning resumes right after the
// bad input, so every lexical error in the text is reported in one pass.
#include "engine/lang/lexer.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <system_error>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/charconv.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace lantern {
namespace {

struct Spelling {
  absl::string_view text;
  const char* quoted;  // for messages
  TokenKind kind;
};

// Longest spellings first, so that "<=" wins over "<".
constexpr Spelling kOperators[] = {
    {"&&", "'&&'", TokenKind::kAnd},    {"||", "'||'", TokenKind::kOr},
    {"==", "'=='", TokenKind::kEq},     {"!=", "'!='", TokenKind::kNe},
    {"<=", "'<='", TokenKind::kLe},     {">=", "'>='", TokenKind::kGe},
    {"!", "'!'", TokenKind::kNot},      {"<", "'<'", TokenKind::kLt},
    {">", "'>'", TokenKind::kGt},       {"+", "'+'", TokenKind::kPlus},
    {"-", "'-'", TokenKind::kMinus},    {"*", "'*'", TokenKind::kStar},
    {"/", "'/'", TokenKind::kSlash},    {"%", "'%'", TokenKind::kPercent},
    {".", "'.'", TokenKind::kDot},      {",", "','", TokenKind::kComma},
    {"(", "'('", TokenKind::kLParen},   {")", "')'", TokenKind::kRParen},
    {"[", "'['", TokenKind::kLBracket}, {"]", "']'", TokenKind::kRBracket},
};

// Lone characters that are almost surely a typo for a doubled operator.
constexpr Spelling kTypos[] = {
    {"&", "'&'", TokenKind::kAnd},
    {"|", "'|'", TokenKind::kOr},
    {"=", "'='", TokenKind::kEq},
};

constexpr uint64_t kMaxIntMagnitude = uint64_t{1} << 63;

bool IsIdentStart(char c) { return absl::ascii_isalpha(c) || c == '_'; }
bool IsIdentChar(char c) { return absl::ascii_isalnum(c) || c == '_'; }
bool IsDigit(char c) { return absl::ascii_isdigit(c); }

// The length of the well-formed UTF-8 sequence at text[pos], or 0.
int Utf8SequenceLength(absl::string_view text, size_t pos) {
  const auto byte = [&](size_t i) -> unsigned {
    return i < text.size() ? static_cast<unsigned char>(text[i]) : 0;
  };
  const unsigned lead = byte(pos);
  if (lead < 0x80) return pos < text.size() ? 1 : 0;
  int length = 0;
  unsigned low = 0x80, high = 0xBF;  // allowed range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) length = 2;
  if (lead >= 0xE0 && lead <= 0xEF) length = 3;
  if (lead >= 0xF0 && lead <= 0xF4) length = 4;
  if (lead == 0xE0) low = 0xA0;   // no overlong forms
  if (lead == 0xED) high = 0x9F;  // no surrogates
  if (lead == 0xF0) low = 0x90;
  if (lead == 0xF4) high = 0x8F;  // nothing past U+10FFFF
  if (length == 0 || byte(pos + 1) < low || byte(pos + 1) > high) return 0;
  for (int i = 2; i < length; ++i) {
    if (byte(pos + i) < 0x80 || byte(pos + i) > 0xBF) return 0;
  }
  return length;
}

void AppendUtf8(uint32_t code, std::string* out) {
  if (code < 0x80) {
    out->push_back(static_cast<char>(code));
  } else if (code < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (code >> 6)));
    out->push_back(static_cast<char>(0x80 | (code & 0x3F)));
  } else {  // the lexer only produces code points up to U+FFFF
    out->push_back(static_cast<char>(0xE0 | (code >> 12)));
    out->push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (code & 0x3F)));
  }
}

int HexValue(char c) {
  if (IsDigit(c)) return c - '0';
  return absl::ascii_tolower(c) - 'a' + 10;
}

class Lexer {
 public:
  Lexer(const SourceText& source, Diagnostics* diagnostics)
      : source_(source), text_(source.text()), diagnostics_(diagnostics) {}

  std::vector<Token> Run();

 private:
  void LexIdentifier();
  void LexNumber();
  void EmitInt(size_t begin);
  void EmitDouble(size_t begin);
  void LexString();
  void LexEscape(std::string* value);
  void LexUnicodeEscape(size_t begin, std::string* value);
  bool LexOperator();
  void LexUnexpected();

  Token& Emit(TokenKind kind, size_t begin);
  void Error(size_t offset, std::string message);
  absl::string_view Text(size_t begin) const {
    return text_.substr(begin, pos_ - begin);
  }
  char At(size_t i) const { return i < text_.size() ? text_[i] : '\0'; }

  const SourceText& source_;
  const absl::string_view text_;
  Diagnostics* const diagnostics_;
  size_t pos_ = 0;
  std::vector<Token> tokens_;
};

std::vector<Token> Lexer::Run() {
  if (text_.size() >=
      static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    Error(0, "condition is too long");
    return {Token{}};
  }
  tokens_.reserve(text_.size() / 4 + 2);  // about one token per 4 bytes
  while (true) {
    while (pos_ < text_.size() && absl::ascii_isspace(text_[pos_])) ++pos_;
    if (pos_ >= text_.size()) break;
    const char c = text_[pos_];
    if (IsIdentStart(c)) {
      LexIdentifier();
    } else if (IsDigit(c)) {
      LexNumber();
    } else if (c == '"' || c == '\'') {
      LexString();
    } else if (!LexOperator()) {
      LexUnexpected();
    }
  }
  Emit(TokenKind::kEnd, pos_);
  return std::move(tokens_);
}

void Lexer::LexIdentifier() {
  const size_t begin = pos_;
  while (IsIdentChar(At(pos_))) ++pos_;
  const absl::string_view word = Text(begin);
  TokenKind kind = TokenKind::kIdent;
  if (word == "true") kind = TokenKind::kTrue;
  if (word == "false") kind = TokenKind::kFalse;
  if (word == "in") kind = TokenKind::kIn;
  Token& token = Emit(kind, begin);
  if (kind == TokenKind::kIdent) token.text = std::string(word);
}

// DIGITS ['.' DIGITS] [('e'|'E') ['+'|'-'] DIGITS]; a letter, digit or '_'
// glued to the end ("0x1F", "12abc", "1e") makes the whole run invalid.
void Lexer::LexNumber() {
  const size_t begin = pos_;
  bool is_double = false;
  while (IsDigit(At(pos_))) ++pos_;
  if (At(pos_) == '.' && IsDigit(At(pos_ + 1))) {
    is_double = true;
    ++pos_;
    while (IsDigit(At(pos_))) ++pos_;
  }
  if (At(pos_) == 'e' || At(pos_) == 'E') {
    size_t digits = pos_ + 1;
    if (At(digits) == '+' || At(digits) == '-') ++digits;
    if (IsDigit(At(digits))) {
      is_double = true;
      pos_ = digits;
      while (IsDigit(At(pos_))) ++pos_;
    }
  }
  if (IsIdentChar(At(pos_))) {
    while (IsIdentChar(At(pos_))) ++pos_;
    Error(begin, absl::StrCat("invalid number literal ",
                              QuoteForMessage(Text(begin))));
    Emit(TokenKind::kError, begin);
    return;
  }
  if (is_double) {
    EmitDouble(begin);
  } else {
    EmitInt(begin);
  }
}

void Lexer::EmitInt(size_t begin) {
  uint64_t value = 0;
  for (char c : Text(begin)) {
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (value > (kMaxIntMagnitude - digit) / 10) {
      Error(begin,
            absl::StrCat("integer literal ", QuoteForMessage(Text(begin)),
                         " is out of range"));
      Emit(TokenKind::kError, begin);
      return;
    }
    value = value * 10 + digit;
  }
  Emit(TokenKind::kInt, begin).int_value = value;
}

void Lexer::EmitDouble(size_t begin) {
  const absl::string_view spelling = Text(begin);
  double value = 0;
  const absl::from_chars_result result = absl::from_chars(
      spelling.data(), spelling.data() + spelling.size(), value);
  // Underflow rounds to zero; overflow is an error.
  if (result.ec == std::errc::result_out_of_range && value != 0) {
    Error(begin, absl::StrCat("double literal ", QuoteForMessage(spelling),
                              " is out of range"));
    Emit(TokenKind::kError, begin);
    return;
  }
  if (result.ec == std::errc::result_out_of_range) value = 0;
  Emit(TokenKind::kDouble, begin).double_value = value;
}

// A string ends at its closing quote; a line break or the end of the text
// before that leaves it unterminated.
void Lexer::LexString() {
  const size_t begin = pos_;
  const char quote = text_[pos_++];
  std::string value;
  while (pos_ < text_.size() && text_[pos_] != '\n') {
    const char c = text_[pos_];
    if (c == quote) {
      ++pos_;
      Emit(TokenKind::kString, begin).text = std::move(value);
      return;
    }
    if (c == '\\') {
      LexEscape(&value);
    } else {
      value.push_back(c);
      ++pos_;
    }
  }
  Error(begin, "unterminated string literal");
  Emit(TokenKind::kError, begin);
}

void Lexer::LexEscape(std::string* value) {
  const size_t begin = pos_;
  const char c = At(pos_ + 1);
  if (pos_ + 1 >= text_.size() || c == '\n') {
    ++pos_;  // LexString reports the unterminated string
    return;
  }
  pos_ += 2;
  switch (c) {
    case '\\':
    case '"':
    case '\'':
      value->push_back(c);
      return;
    case 'n':
      value->push_back('\n');
      return;
    case 't':
      value->push_back('\t');
      return;
    case 'r':
      value->push_back('\r');
      return;
    case 'u':
      LexUnicodeEscape(begin, value);
      return;
  }
  pos_ += std::max(Utf8SequenceLength(text_, begin + 1), 1) - 1;
  Error(begin,
        absl::StrCat("invalid escape sequence ", QuoteForMessage(Text(begin))));
}

// \uXXXX with exactly four hex digits, naming a character (not a surrogate).
void Lexer::LexUnicodeEscape(size_t begin, std::string* value) {
  uint32_t code = 0;
  int digits = 0;
  while (digits < 4 && absl::ascii_isxdigit(At(pos_))) {
    code = code * 16 + HexValue(text_[pos_]);
    ++pos_;
    ++digits;
  }
  if (digits < 4 || (code >= 0xD800 && code <= 0xDFFF)) {
    Error(begin, absl::StrCat("invalid unicode escape ",
                              QuoteForMessage(Text(begin))));
    return;
  }
  AppendUtf8(code, value);
}

bool Lexer::LexOperator() {
  const absl::string_view rest = text_.substr(pos_);
  for (const Spelling& op : kOperators) {
    if (rest[0] == op.text[0] && absl::StartsWith(rest, op.text)) {
      const size_t begin = pos_;
      pos_ += op.text.size();
      Emit(op.kind, begin);
      return true;
    }
  }
  return false;
}

void Lexer::LexUnexpected() {
  const size_t begin = pos_;
  for (const Spelling& typo : kTypos) {
    if (text_[pos_] == typo.text[0]) {
      ++pos_;
      Error(begin,
            absl::StrCat("unexpected character '", typo.text,
                         "'; did you mean ", TokenKindName(typo.kind), "?"));
      Emit(typo.kind, begin);
      return;
    }
  }
  pos_ += std::max(Utf8SequenceLength(text_, pos_), 1);
  Error(begin,
        absl::StrCat("unexpected character ", QuoteForMessage(Text(begin))));
  Emit(TokenKind::kError, begin);
}

Token& Lexer::Emit(TokenKind kind, size_t begin) {
  Token token;
  token.kind = kind;
  token.span = {static_cast<int32_t>(begin), static_cast<int32_t>(pos_)};
  tokens_.push_back(std::move(token));
  return tokens_.back();
}

void Lexer::Error(size_t offset, std::string message) {
  diagnostics_->Error(source_.Locate(static_cast<int32_t>(offset)),
                      std::move(message));
}

}  // namespace

std::vector<Token> Tokenize(const SourceText& source,
                            Diagnostics* diagnostics) {
  return Lexer(source, diagnostics).Run();
}

const char* TokenKindName(TokenKind kind) {
  switch (kind) {
    case TokenKind::kEnd:
      return "end of condition";
    case TokenKind::kError:
      return "invalid input";
    case TokenKind::kIdent:
      return "identifier";
    case TokenKind::kInt:
      return "integer literal";
    case TokenKind::kDouble:
      return "double literal";
    case TokenKind::kString:
      return "string literal";
    case TokenKind::kTrue:
      return "'true'";
    case TokenKind::kFalse:
      return "'false'";
    case TokenKind::kIn:
      return "'in'";
    default:
      break;
  }
  for (const Spelling& op : kOperators) {
    if (op.kind == kind) return op.quoted;
  }
  return "operator";
}

std::string QuoteForMessage(absl::string_view text) {
  constexpr size_t kMaxBytes = 32;
  std::string out = "'";
  size_t pos = 0;
  while (pos < text.size() && pos < kMaxBytes) {
    const unsigned char c = static_cast<unsigned char>(text[pos]);
    const int length = Utf8SequenceLength(text, pos);
    if (c >= 0x80 && length > 0) {
      out.append(text.substr(pos, length).data(), length);
      pos += length;
    } else if (c < 0x20 || c >= 0x7F) {
      absl::StrAppend(&out, absl::StrFormat("\\x%02X", c));
      ++pos;
    } else {
      out.push_back(static_cast<char>(c));
      ++pos;
    }
  }
  if (pos < text.size()) out.append("...");
  out.push_back('\'');
  return out;
}

}  // namespace lantern
