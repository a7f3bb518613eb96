// Reference evaluator: what a checked expression means
// (engine/reference/evaluator.h).
//
// Entry points: ReferenceEvaluator::EvaluateCondition and EvaluateValue.
// A condition is walked in two layers. The logical layer descends through
// `&&`, `||` and `!` only, always evaluating both operands, and combines
// three-valued truths (ERROR above UNKNOWN) together with the *reasons*
// (the deciding atoms) per the table in evaluator.h. Every other bool node
// is an atom, handed whole to the value layer (ValueInterpreter in
// evaluator_interp.cc, operators in evaluator_values.cc), which records the
// facts the atom reads. EvaluateValue hands the whole expression to the
// value layer. ConditionText gives an atom's quoted source text.
#include "engine/reference/evaluator.h"

#include <algorithm>
#include <climits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "engine/reference/internal/evaluator_value.h"

namespace lantern {

using evaluator_internal::ReadTrace;
using evaluator_internal::TruthOf;
using evaluator_internal::Value;
using evaluator_internal::ValueInterpreter;
using evaluator_internal::ValueKind;

// ---------------------------------------------------------------------------
// Source text of a subtree.

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

namespace {

std::vector<std::string> Words(absl::string_view text) {
  std::vector<std::string> words;
  std::string word;
  for (char c : text) {
    const char lower = absl::ascii_tolower(static_cast<unsigned char>(c));
    if ((lower >= 'a' && lower <= 'z') || (lower >= '0' && lower <= '9')) {
      word += lower;
    } else if (!word.empty()) {
      words.push_back(std::move(word));
      word.clear();
    }
  }
  if (!word.empty()) words.push_back(std::move(word));
  return words;
}

}  // namespace

bool TextMentions(absl::string_view text, absl::string_view phrase) {
  const std::vector<std::string> needle = Words(phrase);
  if (needle.empty()) return false;
  const std::vector<std::string> haystack = Words(text);
  return std::search(haystack.begin(), haystack.end(), needle.begin(),
                     needle.end()) != haystack.end();
}

// ---------------------------------------------------------------------------
// The logical layer.

namespace {

// An atom's result: in `own`, or (with a memo) in the memo's entry. Its
// quoted text is made only if it is a reason: [offset, text_end) of the
// source.
struct AtomRecord {
  int32_t offset = 0;
  int32_t text_end = 0;
  AtomMemo::Entry own;
  const AtomMemo::Entry* shared = nullptr;  // owned by the memo
  const AtomMemo::Entry& entry() const {
    return shared != nullptr ? *shared : own;
  }
};

// A node's truth and the atoms (indices into the walker's list) deciding it.
struct Outcome {
  Truth truth = Truth::kFalse;
  std::vector<int> reasons;
};

bool IsLogical(const Expr& expr) {
  return (expr.kind == ExprKind::kUnary && expr.op == Op::kNot &&
          expr.args.size() == 1) ||
         (expr.kind == ExprKind::kBinary &&
          (expr.op == Op::kAnd || expr.op == Op::kOr) && expr.args.size() == 2);
}

void Append(std::vector<int>* to, const std::vector<int>& from) {
  to->insert(to->end(), from.begin(), from.end());
}

// `&&` (decisive FALSE) or `||` (decisive TRUE) over two outcomes.
Outcome Combine(Op op, const Outcome& a, const Outcome& b) {
  const Truth decisive = op == Op::kAnd ? Truth::kFalse : Truth::kTrue;
  const Truth other = op == Op::kAnd ? Truth::kTrue : Truth::kFalse;
  Outcome out;
  if (a.truth == decisive || b.truth == decisive) {
    out.truth = decisive;
    if (a.truth == decisive) Append(&out.reasons, a.reasons);
    if (b.truth == decisive) Append(&out.reasons, b.reasons);
    return out;
  }
  if (a.truth == other && b.truth == other) {
    out.truth = other;
    Append(&out.reasons, a.reasons);
    Append(&out.reasons, b.reasons);
    return out;
  }
  const bool error = a.truth == Truth::kError || b.truth == Truth::kError;
  out.truth = error ? Truth::kError : Truth::kUnknown;
  if (a.truth != other) Append(&out.reasons, a.reasons);
  if (b.truth != other) Append(&out.reasons, b.reasons);
  return out;
}

Truth Negate(Truth truth) {
  if (truth == Truth::kTrue) return Truth::kFalse;
  if (truth == Truth::kFalse) return Truth::kTrue;
  return truth;
}

class ConditionWalker {
 public:
  ConditionWalker(const FactSchema* schema,
                  const std::vector<ConstantDef>* constants,
                  const SourceText* source, const FactRecord* facts,
                  const PolicyInputs* policy, absl::Time as_of, AtomMemo* memo)
      : schema_(schema),
        constants_(constants),
        source_(source),
        facts_(facts),
        policy_(policy),
        as_of_(as_of),
        memo_(memo) {}

  Outcome Walk(const Expr& expr) {
    if (!IsLogical(expr)) return Atom(expr);
    if (expr.op == Op::kNot) {
      Outcome out = Walk(*expr.args[0]);
      out.truth = Negate(out.truth);
      return out;
    }
    const Outcome left = Walk(*expr.args[0]);
    const Outcome right = Walk(*expr.args[1]);
    return Combine(expr.op, left, right);
  }

  // Moves the reasons' evidence out: call once.
  ConditionResult Finish(const Outcome& outcome);

 private:
  Outcome Atom(const Expr& expr) {
    AtomRecord atom;
    ConditionBounds(expr, *source_, &atom.offset, &atom.text_end);
    const absl::string_view text =
        absl::string_view(source_->text())
            .substr(atom.offset, atom.text_end - atom.offset);
    if (memo_ == nullptr || text.empty()) {
      atom.own = Evaluate(expr);
    } else {
      auto it = memo_->atoms.find(text);
      if (it == memo_->atoms.end()) {
        it = memo_->atoms
                 .emplace(std::string(text),
                          std::make_unique<AtomMemo::Entry>(Evaluate(expr)))
                 .first;
      }
      atom.shared = it->second.get();
    }
    Outcome out{atom.entry().truth, {static_cast<int>(atoms_.size())}};
    atoms_.push_back(std::move(atom));
    return out;
  }

  AtomMemo::Entry Evaluate(const Expr& expr) const {
    ReadTrace trace;
    ValueInterpreter interpreter(schema_, constants_, source_, facts_, policy_,
                                 as_of_, &trace);
    const Value value = interpreter.Eval(expr);
    AtomMemo::Entry entry;
    entry.truth = TruthOf(value);
    entry.readings = std::move(trace.readings);
    entry.unknown_paths = std::move(trace.unknown_paths);
    if (value.kind == ValueKind::kError) entry.error = value.error;
    if (entry.truth == Truth::kError && entry.error.empty()) {
      entry.error = "condition is not bool";
    }
    return entry;
  }

  const FactSchema* schema_;
  const std::vector<ConstantDef>* constants_;
  const SourceText* source_;
  const FactRecord* facts_;
  const PolicyInputs* policy_;
  absl::Time as_of_;
  AtomMemo* memo_;
  std::vector<AtomRecord> atoms_;  // in evaluation (= source) order
};

ConditionResult ConditionWalker::Finish(const Outcome& outcome) {
  std::vector<int> reasons = outcome.reasons;
  std::sort(reasons.begin(), reasons.end(), [this](int a, int b) {
    const int32_t oa = atoms_[a].offset;
    const int32_t ob = atoms_[b].offset;
    return oa != ob ? oa < ob : a < b;
  });
  reasons.erase(std::unique(reasons.begin(), reasons.end()), reasons.end());
  ConditionResult result;
  result.truth = outcome.truth;
  for (int i : reasons) {
    AtomRecord& atom = atoms_[i];
    AtomEvidence evidence;
    evidence.condition = BoundedText(*source_, atom.offset, atom.text_end);
    evidence.offset = atom.offset;
    evidence.truth = atom.entry().truth;
    if (atom.shared == nullptr) {
      evidence.readings = std::move(atom.own.readings);
    } else {
      evidence.readings = atom.shared->readings;
    }
    result.reasons.push_back(std::move(evidence));
    const AtomMemo::Entry& entry = atom.entry();
    if (outcome.truth == Truth::kUnknown) {
      result.unknown_paths.insert(result.unknown_paths.end(),
                                  entry.unknown_paths.begin(),
                                  entry.unknown_paths.end());
    }
    if (outcome.truth == Truth::kError && result.error.empty()) {
      result.error = entry.error;
    }
  }
  std::sort(result.unknown_paths.begin(), result.unknown_paths.end());
  result.unknown_paths.erase(
      std::unique(result.unknown_paths.begin(), result.unknown_paths.end()),
      result.unknown_paths.end());
  return result;
}

// A known scalar as a literal; false for lists and messages.
bool ToLiteral(const Value& value, LiteralValue* out) {
  switch (value.kind) {
    case ValueKind::kBool:
      *out = value.b;
      return true;
    case ValueKind::kInt:
      *out = value.i;
      return true;
    case ValueKind::kDouble:
      *out = value.d;
      return true;
    case ValueKind::kString:
      *out = value.s;
      return true;
    case ValueKind::kTime:
      *out = value.t;
      return true;
    case ValueKind::kDuration:
      *out = value.dur;
      return true;
    case ValueKind::kEnum:
      *out = EnumLiteral{static_cast<int32_t>(value.i)};
      return true;
    default:
      return false;
  }
}

}  // namespace

ConditionResult ReferenceEvaluator::EvaluateCondition(
    const Expr& expr, const SourceText& source, const FactRecord& facts,
    const PolicyInputs* policy, AtomMemo* memo) const {
  ConditionWalker walker(schema_, constants_, &source, &facts, policy, as_of_,
                         memo);
  const Outcome outcome = walker.Walk(expr);
  return walker.Finish(outcome);
}

ValueResult ReferenceEvaluator::EvaluateValue(
    const Expr& expr, const SourceText& source, const FactRecord& facts,
    const PolicyInputs* policy) const {
  ReadTrace trace;
  ValueInterpreter interpreter(schema_, constants_, &source, &facts, policy,
                               as_of_, &trace);
  const Value value = interpreter.Eval(expr);
  ValueResult result;
  if (value.kind == ValueKind::kError) {
    result.truth = Truth::kError;
    result.error = value.error;
  } else if (!value.known()) {
    result.truth = Truth::kUnknown;
    result.unknown_paths = std::move(trace.unknown_paths);
    std::sort(result.unknown_paths.begin(), result.unknown_paths.end());
  } else if (ToLiteral(value, &result.value)) {
    result.truth = Truth::kTrue;
  } else {
    result.truth = Truth::kError;
    result.error = "the expression's value is not a scalar";
  }
  return result;
}

}  // namespace lantern
