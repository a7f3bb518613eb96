// Parser: condition text → AST (engine/lang/ast.h), by recursive descent over
// the tokens of engine/lang/lexer.h.
//
// Entry point: ParseExpression. Every syntax error is reported with the
// position of the offending token; the parser recovers where it can (e.g.
// inside argument lists) so that one call reports more than one problem, and
// it returns nullptr whenever it reported any error.
//
// Limits: nesting deeper than kMaxParseDepth is an error, not a stack
// overflow; the parser never crashes on any input (fuzzed by
// tests/fuzz/expression_fuzzer.cc).
//
// Thread-safety: stateless; safe to call concurrently.
#ifndef LANTERN_ENGINE_LANG_PARSER_H_
#define LANTERN_ENGINE_LANG_PARSER_H_

#include <memory>

#include "engine/lang/ast.h"
#include "engine/lang/diagnostics.h"
#include "engine/lang/source_text.h"

namespace lantern {

inline constexpr int kMaxParseDepth = 200;

std::unique_ptr<Expr> ParseExpression(const SourceText& source,
                                      Diagnostics* diagnostics);

}  // namespace lantern

#endif  // LANTERN_ENGINE_LANG_PARSER_H_
