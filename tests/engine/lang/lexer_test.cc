// Tests for engine/lang/lexer.h: token kinds, literal values, spans, and the
// exact position and wording of every lexical error.
#include "engine/lang/lexer.h"

#include <cstdint>
#include <string>
#include <vector>

#include "engine/lang/diagnostics.h"
#include "engine/lang/source_text.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lantern {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

struct Lexed {
  std::vector<Token> tokens;
  Diagnostics diagnostics;
};

Lexed Lex(std::string text) {
  Lexed lexed;
  const SourceText source = SourceText::FromString("t.cel", std::move(text));
  lexed.tokens = Tokenize(source, &lexed.diagnostics);
  return lexed;
}

std::vector<TokenKind> Kinds(const std::vector<Token>& tokens) {
  std::vector<TokenKind> kinds;
  for (const Token& token : tokens) kinds.push_back(token.kind);
  return kinds;
}

// "kind@begin-end" for each token, to pin spans compactly.
std::vector<std::string> Spans(const std::vector<Token>& tokens) {
  std::vector<std::string> spans;
  for (const Token& token : tokens) {
    spans.push_back(std::to_string(token.span.begin) + "-" +
                    std::to_string(token.span.end));
  }
  return spans;
}

std::vector<std::string> Messages(const Diagnostics& diagnostics) {
  std::vector<std::string> messages;
  for (const Diagnostic& d : diagnostics.Sorted()) {
    messages.push_back(d.ToString());
  }
  return messages;
}

TEST(Lexer, EmptyTextIsJustEnd) {
  Lexed lexed = Lex("");
  EXPECT_THAT(Kinds(lexed.tokens), ElementsAre(TokenKind::kEnd));
  EXPECT_THAT(Spans(lexed.tokens), ElementsAre("0-0"));
  EXPECT_FALSE(lexed.diagnostics.has_errors());
}

TEST(Lexer, WhitespaceAndNewlinesAreInsignificant) {
  Lexed lexed = Lex(" \t a\n\r\n  &&\n\tb  \n");
  EXPECT_THAT(Kinds(lexed.tokens),
              ElementsAre(TokenKind::kIdent, TokenKind::kAnd, TokenKind::kIdent,
                          TokenKind::kEnd));
  EXPECT_THAT(Spans(lexed.tokens),
              ElementsAre("3-4", "9-11", "13-14", "17-17"));
  EXPECT_FALSE(lexed.diagnostics.has_errors());
}

TEST(Lexer, IdentifiersAndKeywords) {
  Lexed lexed = Lex("foo _bar a1_B true false in inx True _");
  EXPECT_THAT(
      Kinds(lexed.tokens),
      ElementsAre(TokenKind::kIdent, TokenKind::kIdent, TokenKind::kIdent,
                  TokenKind::kTrue, TokenKind::kFalse, TokenKind::kIn,
                  TokenKind::kIdent, TokenKind::kIdent, TokenKind::kIdent,
                  TokenKind::kEnd));
  EXPECT_EQ(lexed.tokens[0].text, "foo");
  EXPECT_EQ(lexed.tokens[1].text, "_bar");
  EXPECT_EQ(lexed.tokens[2].text, "a1_B");
  EXPECT_EQ(lexed.tokens[6].text, "inx");
  EXPECT_EQ(lexed.tokens[7].text, "True");
  EXPECT_EQ(lexed.tokens[8].text, "_");
  EXPECT_FALSE(lexed.diagnostics.has_errors());
}

TEST(Lexer, EveryOperator) {
  Lexed lexed = Lex("&& || ! == != < <= > >= + - * / % . , ( ) [ ]");
  EXPECT_THAT(
      Kinds(lexed.tokens),
      ElementsAre(TokenKind::kAnd, TokenKind::kOr, TokenKind::kNot,
                  TokenKind::kEq, TokenKind::kNe, TokenKind::kLt,
                  TokenKind::kLe, TokenKind::kGt, TokenKind::kGe,
                  TokenKind::kPlus, TokenKind::kMinus, TokenKind::kStar,
                  TokenKind::kSlash, TokenKind::kPercent, TokenKind::kDot,
                  TokenKind::kComma, TokenKind::kLParen, TokenKind::kRParen,
                  TokenKind::kLBracket, TokenKind::kRBracket, TokenKind::kEnd));
  EXPECT_FALSE(lexed.diagnostics.has_errors());
}

TEST(Lexer, OperatorsNeedNoSpaces) {
  Lexed lexed = Lex("a<=b&&!c!=d>=-1");
  EXPECT_THAT(Kinds(lexed.tokens),
              ElementsAre(TokenKind::kIdent, TokenKind::kLe, TokenKind::kIdent,
                          TokenKind::kAnd, TokenKind::kNot, TokenKind::kIdent,
                          TokenKind::kNe, TokenKind::kIdent, TokenKind::kGe,
                          TokenKind::kMinus, TokenKind::kInt, TokenKind::kEnd));
  EXPECT_THAT(Spans(lexed.tokens),
              ElementsAre("0-1", "1-3", "3-4", "4-6", "6-7", "7-8", "8-10",
                          "10-11", "11-13", "13-14", "14-15", "15-15"));
}

TEST(Lexer, IntegerLiterals) {
  Lexed lexed = Lex("0 42 007 9223372036854775807");
  ASSERT_THAT(Kinds(lexed.tokens),
              ElementsAre(TokenKind::kInt, TokenKind::kInt, TokenKind::kInt,
                          TokenKind::kInt, TokenKind::kEnd));
  EXPECT_EQ(lexed.tokens[0].int_value, 0u);
  EXPECT_EQ(lexed.tokens[1].int_value, 42u);
  EXPECT_EQ(lexed.tokens[2].int_value, 7u);
  EXPECT_EQ(lexed.tokens[3].int_value, 9223372036854775807u);
  EXPECT_FALSE(lexed.diagnostics.has_errors());
}

TEST(Lexer, TwoToTheSixtyThreeIsLeftToTheParser) {
  Lexed lexed = Lex("9223372036854775808");
  ASSERT_EQ(lexed.tokens[0].kind, TokenKind::kInt);
  EXPECT_EQ(lexed.tokens[0].int_value, uint64_t{1} << 63);
  EXPECT_FALSE(lexed.diagnostics.has_errors());
}

TEST(Lexer, ReportsIntegerOverflow) {
  Lexed lexed = Lex("x == 9223372036854775809 || y == 99999999999999999999");
  EXPECT_THAT(
      Messages(lexed.diagnostics),
      ElementsAre("t.cel:1:6: error: integer literal '9223372036854775809' "
                  "is out of range",
                  "t.cel:1:34: error: integer literal "
                  "'99999999999999999999' is out of range"));
  EXPECT_EQ(lexed.tokens[2].kind, TokenKind::kError);
}

TEST(Lexer, DoubleLiterals) {
  Lexed lexed = Lex("1.5 1e3 2.5E-2 0.0 1e+2 3.25e1");
  ASSERT_THAT(
      Kinds(lexed.tokens),
      ElementsAre(TokenKind::kDouble, TokenKind::kDouble, TokenKind::kDouble,
                  TokenKind::kDouble, TokenKind::kDouble, TokenKind::kDouble,
                  TokenKind::kEnd));
  EXPECT_EQ(lexed.tokens[0].double_value, 1.5);
  EXPECT_EQ(lexed.tokens[1].double_value, 1000.0);
  EXPECT_EQ(lexed.tokens[2].double_value, 0.025);
  EXPECT_EQ(lexed.tokens[3].double_value, 0.0);
  EXPECT_EQ(lexed.tokens[4].double_value, 100.0);
  EXPECT_EQ(lexed.tokens[5].double_value, 32.5);
  EXPECT_THAT(Spans(lexed.tokens), ElementsAre("0-3", "4-7", "8-14", "15-18",
                                               "19-23", "24-30", "30-30"));
  EXPECT_FALSE(lexed.diagnostics.has_errors());
}

TEST(Lexer, DotAfterIntegerIsMemberAccess) {
  Lexed lexed = Lex("1.x 2. 3.5.y");
  EXPECT_THAT(Kinds(lexed.tokens),
              ElementsAre(TokenKind::kInt, TokenKind::kDot, TokenKind::kIdent,
                          TokenKind::kInt, TokenKind::kDot, TokenKind::kDouble,
                          TokenKind::kDot, TokenKind::kIdent, TokenKind::kEnd));
  EXPECT_FALSE(lexed.diagnostics.has_errors());
}

TEST(Lexer, ReportsMalformedNumbers) {
  Lexed lexed = Lex("0x1F 12abc 1e 1.5e+ 1e999");
  EXPECT_THAT(
      Messages(lexed.diagnostics),
      ElementsAre("t.cel:1:1: error: invalid number literal '0x1F'",
                  "t.cel:1:6: error: invalid number literal '12abc'",
                  "t.cel:1:12: error: invalid number literal '1e'",
                  "t.cel:1:15: error: invalid number literal '1.5e'",
                  "t.cel:1:21: error: double literal '1e999' is out of range"));
}

TEST(Lexer, TinyDoublesRoundToZero) {
  Lexed lexed = Lex("1e-400");
  ASSERT_EQ(lexed.tokens[0].kind, TokenKind::kDouble);
  EXPECT_EQ(lexed.tokens[0].double_value, 0.0);
  EXPECT_FALSE(lexed.diagnostics.has_errors());
}

TEST(Lexer, StringsInEitherQuote) {
  Lexed lexed = Lex(R"("double" 'single' "it's" 'say "hi"' "" '')");
  ASSERT_THAT(
      Kinds(lexed.tokens),
      ElementsAre(TokenKind::kString, TokenKind::kString, TokenKind::kString,
                  TokenKind::kString, TokenKind::kString, TokenKind::kString,
                  TokenKind::kEnd));
  EXPECT_EQ(lexed.tokens[0].text, "double");
  EXPECT_EQ(lexed.tokens[1].text, "single");
  EXPECT_EQ(lexed.tokens[2].text, "it's");
  EXPECT_EQ(lexed.tokens[3].text, "say \"hi\"");
  EXPECT_EQ(lexed.tokens[4].text, "");
  EXPECT_EQ(lexed.tokens[5].text, "");
  EXPECT_THAT(Spans(lexed.tokens), ElementsAre("0-8", "9-17", "18-24", "25-35",
                                               "36-38", "39-41", "41-41"));
  EXPECT_FALSE(lexed.diagnostics.has_errors());
}

TEST(Lexer, EveryEscape) {
  Lexed lexed = Lex(R"("a\\b\"c\'d\ne\tf\rg" 'h\'i')");
  ASSERT_EQ(lexed.tokens[0].kind, TokenKind::kString);
  EXPECT_EQ(lexed.tokens[0].text, "a\\b\"c'd\ne\tf\rg");
  EXPECT_EQ(lexed.tokens[1].text, "h'i");
  EXPECT_FALSE(lexed.diagnostics.has_errors());
}

TEST(Lexer, UnicodeEscapesBecomeUtf8) {
  Lexed lexed = Lex(R"("\u0041\u00e9\u20AC\u00000")");
  ASSERT_EQ(lexed.tokens[0].kind, TokenKind::kString);
  const std::string expected(
      "A\xC3\xA9\xE2\x82\xAC\0"
      "0",
      8);
  EXPECT_EQ(lexed.tokens[0].text, expected);
  EXPECT_FALSE(lexed.diagnostics.has_errors());
}

TEST(Lexer, RawUtf8InStringsIsKept) {
  Lexed lexed = Lex("'caf\xC3\xA9 \xF0\x9F\x98\x80'");
  ASSERT_EQ(lexed.tokens[0].kind, TokenKind::kString);
  EXPECT_EQ(lexed.tokens[0].text, "caf\xC3\xA9 \xF0\x9F\x98\x80");
}

TEST(Lexer, ReportsInvalidEscapesAtTheBackslash) {
  Lexed lexed = Lex(R"(x == "a\qb\x41" && y == '\u12G4\uD800')");
  EXPECT_THAT(
      Messages(lexed.diagnostics),
      ElementsAre("t.cel:1:8: error: invalid escape sequence '\\q'",
                  "t.cel:1:11: error: invalid escape sequence '\\x'",
                  "t.cel:1:26: error: invalid unicode escape '\\u12'",
                  "t.cel:1:32: error: invalid unicode escape '\\uD800'"));
  // The strings are still produced, minus the bad escapes.
  ASSERT_EQ(lexed.tokens[2].kind, TokenKind::kString);
  EXPECT_EQ(lexed.tokens[2].text, "ab41");
}

TEST(Lexer, ReportsUnterminatedStringAtItsQuote) {
  Lexed lexed = Lex("name == 'abc");
  EXPECT_THAT(Messages(lexed.diagnostics),
              ElementsAre("t.cel:1:9: error: unterminated string literal"));
  EXPECT_THAT(Kinds(lexed.tokens),
              ElementsAre(TokenKind::kIdent, TokenKind::kEq, TokenKind::kError,
                          TokenKind::kEnd));
}

TEST(Lexer, StringEndsAtLineBreak) {
  Lexed lexed = Lex("a == \"abc\n  && b\n\"x\\");
  EXPECT_THAT(Messages(lexed.diagnostics),
              ElementsAre("t.cel:1:6: error: unterminated string literal",
                          "t.cel:3:1: error: unterminated string literal"));
  EXPECT_THAT(Kinds(lexed.tokens),
              ElementsAre(TokenKind::kIdent, TokenKind::kEq, TokenKind::kError,
                          TokenKind::kAnd, TokenKind::kIdent, TokenKind::kError,
                          TokenKind::kEnd));
}

TEST(Lexer, LoneAmpersandSuggestsAndAndKeepsGoing) {
  Lexed lexed = Lex("a & b | c = d");
  EXPECT_THAT(
      Messages(lexed.diagnostics),
      ElementsAre(
          "t.cel:1:3: error: unexpected character '&'; did you mean '&&'?",
          "t.cel:1:7: error: unexpected character '|'; did you mean '||'?",
          "t.cel:1:11: error: unexpected character '='; did you mean '=='?"));
  EXPECT_THAT(Kinds(lexed.tokens),
              ElementsAre(TokenKind::kIdent, TokenKind::kAnd, TokenKind::kIdent,
                          TokenKind::kOr, TokenKind::kIdent, TokenKind::kEq,
                          TokenKind::kIdent, TokenKind::kEnd));
  EXPECT_EQ(Spans(lexed.tokens)[1], "2-3");
}

TEST(Lexer, ReportsUnexpectedCharacters) {
  Lexed lexed = Lex("a @ b # \xC3\xA9 \x01 \xFF");
  EXPECT_THAT(Messages(lexed.diagnostics),
              ElementsAre("t.cel:1:3: error: unexpected character '@'",
                          "t.cel:1:7: error: unexpected character '#'",
                          "t.cel:1:9: error: unexpected character '\xC3\xA9'",
                          "t.cel:1:12: error: unexpected character '\\x01'",
                          "t.cel:1:14: error: unexpected character '\\xFF'"));
  EXPECT_THAT(
      Kinds(lexed.tokens),
      ElementsAre(TokenKind::kIdent, TokenKind::kError, TokenKind::kIdent,
                  TokenKind::kError, TokenKind::kError, TokenKind::kError,
                  TokenKind::kError, TokenKind::kEnd));
  EXPECT_EQ(Spans(lexed.tokens)[4], "8-10");
}

TEST(Lexer, ErrorsCarryFilePositionsOfMultiLineText) {
  // The text starts at line 7, column 9 of the file; after each '\n' the
  // column restarts at 1.
  const SourceText source =
      SourceText::FromString("rules/a.yaml", "a &&\n  b @ c\n   'x", 7, 9);
  Diagnostics diagnostics;
  std::vector<Token> tokens = Tokenize(source, &diagnostics);
  EXPECT_THAT(
      Messages(diagnostics),
      ElementsAre("rules/a.yaml:8:5: error: unexpected character '@'",
                  "rules/a.yaml:9:4: error: unterminated string literal"));
  EXPECT_THAT(Spans(tokens), ElementsAre("0-1", "2-4", "7-8", "9-10", "11-12",
                                         "16-18", "18-18"));
}

TEST(Lexer, ErrorsUseExplicitPositions) {
  std::vector<std::pair<int, int>> positions = {{3, 10}, {3, 11}, {4, 2}};
  const SourceText source =
      SourceText::WithPositions("f.yaml", "a=b", std::move(positions));
  Diagnostics diagnostics;
  Tokenize(source, &diagnostics);
  EXPECT_THAT(Messages(diagnostics),
              ElementsAre("f.yaml:3:11: error: unexpected character '='; did "
                          "you mean '=='?"));
}

TEST(Lexer, AppendsToExistingDiagnostics) {
  Diagnostics diagnostics;
  diagnostics.Warning({"w.yaml", 1, 1}, "earlier");
  const SourceText source = SourceText::FromString("t.cel", "a $ b");
  Tokenize(source, &diagnostics);
  EXPECT_EQ(diagnostics.list().size(), 2u);
  EXPECT_EQ(diagnostics.error_count(), 1);
}

TEST(Lexer, QuoteForMessage) {
  EXPECT_EQ(QuoteForMessage("abc"), "'abc'");
  EXPECT_EQ(QuoteForMessage(""), "''");
  EXPECT_EQ(QuoteForMessage("a\nb\x7F"), "'a\\x0Ab\\x7F'");
  EXPECT_EQ(QuoteForMessage("\xE2\x82\xAC \xE2\x82"),
            "'\xE2\x82\xAC \\xE2\\x82'");
  EXPECT_EQ(QuoteForMessage(std::string(40, 'x')),
            "'" + std::string(32, 'x') + "...'");
}

TEST(Lexer, TokenKindNames) {
  EXPECT_STREQ(TokenKindName(TokenKind::kEnd), "end of condition");
  EXPECT_STREQ(TokenKindName(TokenKind::kAnd), "'&&'");
  EXPECT_STREQ(TokenKindName(TokenKind::kRBracket), "']'");
  EXPECT_STREQ(TokenKindName(TokenKind::kIn), "'in'");
  EXPECT_STREQ(TokenKindName(TokenKind::kIdent), "identifier");
}

TEST(Lexer, EveryByteValueIsHandled) {
  for (int c = 0; c < 256; ++c) {
    for (const char* context : {"", "'", "1", "\\"}) {
      std::string text = std::string(context) + static_cast<char>(c);
      Lexed lexed = Lex(text);
      ASSERT_FALSE(lexed.tokens.empty());
      EXPECT_EQ(lexed.tokens.back().kind, TokenKind::kEnd);
      EXPECT_EQ(lexed.tokens.back().span.begin,
                static_cast<int32_t>(text.size()));
      for (const Token& token : lexed.tokens) {
        EXPECT_LE(0, token.span.begin);
        EXPECT_LE(token.span.begin, token.span.end);
        EXPECT_LE(token.span.end, static_cast<int32_t>(text.size()));
      }
    }
  }
}

TEST(Lexer, NoErrorsMeansNoErrorTokens) {
  Lexed lexed = Lex("a.b(c, [1, 2.5, 'x']) in d");
  EXPECT_FALSE(lexed.diagnostics.has_errors());
  for (const Token& token : lexed.tokens) {
    EXPECT_NE(token.kind, TokenKind::kError);
  }
  EXPECT_THAT(lexed.diagnostics.list(), IsEmpty());
}

}  // namespace
}  // namespace lantern
