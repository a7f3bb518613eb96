// ConditionText: the printer of a checked expression's source text, as
// evidence, error messages and compiled programs quote it
// (doc/language.md, "Evidence").
//
// Thread-safety: a pure function.
#ifndef LANTERN_ENGINE_LANG_CONDITION_TEXT_H_
#define LANTERN_ENGINE_LANG_CONDITION_TEXT_H_

#include <cstdint>
#include <string>

#include "engine/lang/ast.h"
#include "engine/lang/source_text.h"

namespace lantern {

// The source text of `expr`'s subtree: from its leftmost to its rightmost
// token, widened over the brackets those tokens leave open (a call's ")",
// a list's "]", the argument list of a call the checker folded into a
// literal), with every run of whitespace collapsed to one space. `*offset`
// (if non-null) receives where the text starts in `source`.
// REQUIRES: `expr` was parsed from `source`.
std::string ConditionText(const Expr& expr, const SourceText& source,
                          int32_t* offset);

}  // namespace lantern

#endif  // LANTERN_ENGINE_LANG_CONDITION_TEXT_H_
