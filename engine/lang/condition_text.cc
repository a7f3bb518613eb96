// ConditionText (engine/lang/condition_text.h): the bounds of a subtree's
// tokens, widened over the brackets they leave open, then the text between
// with whitespace runs collapsed.
#include "engine/lang/condition_text.h"

#include <algorithm>
#include <climits>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/string_view.h"

namespace lantern {

namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
         c == '\v';
}

bool IsIdentChar(char c) { return absl::ascii_isalnum(c) || c == '_'; }

void TokenBounds(const Expr& expr, int32_t* begin, int32_t* end) {
  if (expr.span.end > expr.span.begin) {
    *begin = std::min(*begin, expr.span.begin);
    *end = std::max(*end, expr.span.end);
  }
  for (const auto& arg : expr.args) TokenBounds(*arg, begin, end);
}

// The index just past the string literal that starts at `pos`.
int32_t SkipQuoted(absl::string_view text, int32_t pos) {
  const char quote = text[pos];
  const int32_t n = static_cast<int32_t>(text.size());
  for (int32_t i = pos + 1; i < n; ++i) {
    if (text[i] == '\\') {
      ++i;
    } else if (text[i] == quote) {
      return i + 1;
    }
  }
  return n;
}

// The index just past the bracket that closes the one at `pos`, or -1.
int32_t MatchClose(absl::string_view text, int32_t pos) {
  int depth = 0;
  const int32_t n = static_cast<int32_t>(text.size());
  for (int32_t i = pos; i < n;) {
    const char c = text[i];
    if (c == '"' || c == '\'') {
      i = SkipQuoted(text, i);
      continue;
    }
    if (c == '(' || c == '[') ++depth;
    if ((c == ')' || c == ']') && --depth == 0) return i + 1;
    ++i;
  }
  return -1;
}

int32_t SkipSpaceForward(absl::string_view text, int32_t pos) {
  while (pos < static_cast<int32_t>(text.size()) && IsSpace(text[pos])) ++pos;
  return pos;
}

// A call the checker folded into a literal may keep only its name token:
// `timestamp` followed by `("...")`. Takes in the argument list.
int32_t ExtendOverFoldedCall(absl::string_view text, int32_t end) {
  if (end <= 0 || !IsIdentChar(text[end - 1])) return end;
  const int32_t open = SkipSpaceForward(text, end);
  if (open >= static_cast<int32_t>(text.size()) || text[open] != '(') {
    return end;
  }
  const int32_t close = MatchClose(text, open);
  return close < 0 ? end : close;
}

// Widens [*begin, *end) over the brackets the tokens inside leave open.
void Balance(absl::string_view text, int32_t* begin, int32_t* end) {
  std::vector<char> open, close;
  for (int32_t i = *begin; i < *end;) {
    const char c = text[i];
    if (c == '"' || c == '\'') {
      i = SkipQuoted(text, i);
      continue;
    }
    if (c == '(' || c == '[') open.push_back(c);
    if (c == ')' || c == ']') {
      if (open.empty()) close.push_back(c);
      if (!open.empty()) open.pop_back();
    }
    ++i;
  }
  for (char c : close) {
    int32_t j = *begin;
    while (j > 0 && IsSpace(text[j - 1])) --j;
    if (j == 0 || text[j - 1] != (c == ')' ? '(' : '[')) break;
    *begin = j - 1;
  }
  for (auto it = open.rbegin(); it != open.rend(); ++it) {
    const int32_t j = SkipSpaceForward(text, *end);
    if (j >= static_cast<int32_t>(text.size()) ||
        text[j] != (*it == '(' ? ')' : ']')) {
      break;
    }
    *end = j + 1;
  }
}

std::string CollapseSpace(absl::string_view text) {
  std::string out;
  bool in_space = false;
  for (char c : text) {
    if (IsSpace(c)) {
      in_space = true;
      continue;
    }
    if (in_space && !out.empty()) out += ' ';
    in_space = false;
    out += c;
  }
  return out;
}

// Where ConditionText's text lies in `source`: [*begin, *end), or an empty
// range at the expression's start when it has no tokens.
void ConditionBounds(const Expr& expr, const SourceText& source, int32_t* begin,
                     int32_t* end) {
  *begin = INT32_MAX;
  *end = INT32_MIN;
  TokenBounds(expr, begin, end);
  if (*end < *begin) {
    *begin = *end = expr.span.begin;
    return;
  }
  const absl::string_view text = source.text();
  *begin = std::clamp(*begin, 0, static_cast<int32_t>(text.size()));
  *end = std::clamp(*end, *begin, static_cast<int32_t>(text.size()));
  *end = ExtendOverFoldedCall(text, *end);
  Balance(text, begin, end);
}

// ConditionText of bounds from ConditionBounds.
std::string BoundedText(const SourceText& source, int32_t begin, int32_t end) {
  if (end <= begin) return "";
  return CollapseSpace(
      absl::string_view(source.text()).substr(begin, end - begin));
}

}  // namespace

std::string ConditionText(const Expr& expr, const SourceText& source,
                          int32_t* offset) {
  int32_t begin, end;
  ConditionBounds(expr, source, &begin, &end);
  if (offset != nullptr) *offset = begin;
  return BoundedText(source, begin, end);
}

// ---------------------------------------------------------------------------
// mentions().

}  // namespace lantern
