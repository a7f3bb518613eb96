// libFuzzer target for the condition parser. Entry point:
// LLVMFuzzerTestOneInput, which parses the input bytes as one condition with
// ParseExpression and checks the parser's contract: it returns a tree if and
// only if it reported no error, every node's span lies inside the text, and
// the tree can be printed with ExprToString. Any crash, sanitizer report or
// abort() here is a parser bug.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "engine/lang/ast.h"
#include "engine/lang/diagnostics.h"
#include "engine/lang/parser.h"
#include "engine/lang/source_text.h"

namespace {

void CheckSpans(const lantern::Expr& expr, int32_t size) {
  if (expr.span.begin < 0 || expr.span.begin > expr.span.end ||
      expr.span.end > size) {
    std::abort();
  }
  for (const auto& arg : expr.args) {
    if (arg == nullptr) std::abort();
    CheckSpans(*arg, size);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const lantern::SourceText source = lantern::SourceText::FromString(
      "fuzz.cel", std::string(reinterpret_cast<const char*>(data), size));
  lantern::Diagnostics diagnostics;
  std::unique_ptr<lantern::Expr> expr =
      lantern::ParseExpression(source, &diagnostics);
  if ((expr == nullptr) != diagnostics.has_errors()) std::abort();
  if (expr == nullptr) {
    if (diagnostics.ToString().empty()) std::abort();
    return 0;
  }
  CheckSpans(*expr, static_cast<int32_t>(size));
  if (lantern::ExprToString(*expr).empty()) std::abort();
  return 0;
}
