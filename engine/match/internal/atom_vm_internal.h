// Internal to the compiled-atom VM (engine/match/atom_vm.h): the operators over
// FrameValues, with the reference evaluator's semantics
// (doc/language.md). Not a seam: only engine/atom_*.cc
// include it.
//
// Thread-safety: pure functions, except that results needing storage
// (concatenated strings, traced messages) go to the caller's ScratchStrings.
#ifndef LANTERN_ENGINE_MATCH_INTERNAL_ATOM_VM_INTERNAL_H_
#define LANTERN_ENGINE_MATCH_INTERNAL_ATOM_VM_INTERNAL_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "engine/facts/schema.h"
#include "engine/lang/ast.h"
#include "engine/lang/condition_text.h"
#include "engine/lang/policy_inputs.h"
#include "engine/lang/truth.h"
#include "engine/match/fact_frame.h"

namespace lantern {
namespace atom_vm_internal {

// Where an operator's results may keep text. Messages are built only when
// `trace` is set: the fast mode needs a result's kind, never its message.
struct OpContext {
  bool trace = false;
  const std::string* text = nullptr;  // the operator's ConditionText
  ScratchStrings* strings = nullptr;
  const FactSchema* schema = nullptr;
};

FrameValue BoolValue(bool b);
FrameValue IntValue(int64_t i);
FrameValue UnknownValue();
// ERROR with `message` (copied) when tracing.
FrameValue ErrorValue(const OpContext& ctx, absl::string_view message);
// ERROR "<what> in '<operator text>'".
FrameValue QuotedError(const OpContext& ctx, absl::string_view what);

inline bool IsUnknown(const FrameValue& v) {
  return v.kind == VKind::kUnknown || v.kind == VKind::kAbsent;
}

Truth TruthOf(const FrameValue& v);

// Element `i` of a list value; a fact element's path is "<list>[i]" when
// tracing.
FrameValue ElementAt(const FrameValue& list, int32_t i, const OpContext& ctx);
// ElementAt into `out`, which holds a default FrameValue or an earlier
// element of the same list (a fact list's elements share a type, so
// converting one sets the same members every time).
void ElementInto(const FrameValue& list, int32_t i, const OpContext& ctx,
                 FrameValue* out);

FrameValue ApplyUnary(Op op, const FrameValue& operand, const OpContext& ctx);
FrameValue ApplyBinary(Op op, const FrameValue& left, const FrameValue& right,
                       const OpContext& ctx);
FrameValue KleeneAnd(const FrameValue& left, const FrameValue& right,
                     const OpContext& ctx);
FrameValue KleeneOr(const FrameValue& left, const FrameValue& right,
                    const OpContext& ctx);

// Bounded unknowns (FrameValue::bounded), as PolicyInputs states them:
// OpenResult is ERROR (the bound's message) when an errored rule leaves the
// bound open, else UNKNOWN; ApplyBounded is `op` with at least one bounded
// operand — a comparison with a known value is decided when every value in
// the bound gives one answer, anything else is OpenResult.
FrameValue OpenResult(const FrameValue& open, const OpContext& ctx);
FrameValue ApplyBounded(Op op, const FrameValue& left, const FrameValue& right,
                        const OpContext& ctx);

// TextMentions (doc/language.md) without allocating.
bool Mentions(absl::string_view text, absl::string_view phrase);
// Whether word `a` (ASCII letters and digits) is `lower`, a lower-cased
// word, ignoring ASCII case.
bool SameLowerWord(absl::string_view a, absl::string_view lower);

// Unicode code points in UTF-8 text.
int64_t CodePoints(absl::string_view s);

}  // namespace atom_vm_internal
}  // namespace lantern

#endif  // LANTERN_ENGINE_MATCH_INTERNAL_ATOM_VM_INTERNAL_H_
