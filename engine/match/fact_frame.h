// FactFrame: one request's facts, decoded once into a flat array of slots.
//
// The compiler resolves every root-based field path a ruleset reads
// ("child.age_years", "episode.found.with") into a dense slot number and
// records how to reach it (a FrameLayout). Per request, DecodeFrame walks
// each path once from the FactRecord and leaves one FrameValue per slot;
// everything later (the predicate index, the phrase automaton, compiled
// atoms) reads slots by number and never looks at names or walks records.
//
// A slot is read with the reference evaluator's semantics
// (doc/language.md): a path through an unset message, an unset
// field with presence and an enum at a `zero_is_unknown` zero read UNKNOWN
// (kUnknown); an unset field without presence reads its type's zero; a stored
// value of the wrong kind is an ERROR (kError). A kPresence slot answers
// has(path) instead: kBool, or kError when the path runs through a malformed
// value.
//
// FrameValue is also the value type of compiled atoms (engine/match/atom_vm.h).
// It never owns memory: strings and lists point into the facts, the compiled
// program's constants or a ScratchStrings / value arena owned by the caller.
//
// Thread-safety: FrameLayout is immutable once built; DecodeFrame writes only
// the caller's output and scratch.
#ifndef LANTERN_ENGINE_MATCH_FACT_FRAME_H_
#define LANTERN_ENGINE_MATCH_FACT_FRAME_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "engine/facts/facts.h"
#include "engine/facts/schema.h"
#include "engine/facts/types.h"

namespace lantern {

enum class VKind : uint8_t {
  kUnknown,  // an unset read (or computed from one)
  kError,    // a runtime error; `error` says which (when traced)
  kAbsent,   // an unset message reached while navigating a path
  kBool,
  kInt,
  kDouble,
  kString,
  kTime,
  kDuration,
  kEnum,     // number in `i`, enum type in `ref`
  kMessage,  // `record` of message type `ref`
  kList,     // `size` elements of `elem`: `fact_list` or `elems`
};

struct FrameValue {
  VKind kind = VKind::kUnknown;
  bool b = false;
  // kUnknown from a policy function left open by undecided rules
  // (PolicyBound): every value it could take lies in [i, high], ints or
  // (`ref` >= 0) ordinals of enum `ref`. `bound_failed`: an errored rule
  // leaves it open (the message in `error` when traced).
  bool bounded = false;
  bool bound_failed = false;
  int64_t high = 0;
  int32_t ref = -1;  // enum or message type
  int32_t size = 0;  // kList: element count
  Type elem;         // kList: element type
  union {            // kInt and kEnum; kDouble
    int64_t i = 0;
    double d;
  };
  absl::Time t;        // kTime
  absl::Duration dur;  // kDuration
  absl::string_view s;
  const FactRecord* record = nullptr;   // kMessage
  const FactSlot* fact_list = nullptr;  // kList read from the facts
  const FrameValue* elems = nullptr;    // kList of constants or a literal
  absl::string_view path;   // where it was read ("" for computed values)
  absl::string_view error;  // kError: the message, when traced

  bool known() const {
    return kind != VKind::kUnknown && kind != VKind::kError &&
           kind != VKind::kAbsent;
  }
};

// Strings a request computes (concatenations, traced paths and messages).
// Storage is kept between requests, so a warmed-up pool does not allocate
// for strings no longer than before. References stay valid until Reset.
class ScratchStrings {
 public:
  std::string* Next();  // an empty string
  absl::string_view Save(absl::string_view text);
  void Reset() { used_ = 0; }

 private:
  std::vector<std::unique_ptr<std::string>> strings_;
  size_t used_ = 0;
};

// How to reach one slot from the root record. A kAsOf slot is not a fact:
// it holds the request's as-of time (as_of() in a condition), has no steps
// and the path "as_of()".
struct SlotDef {
  enum class Mode : uint8_t { kValue, kPresence, kAsOf };
  Mode mode = Mode::kValue;
  std::vector<FieldDef> steps;           // root field first
  std::vector<std::string> step_paths;   // "episode", "episode.found", ...
  std::vector<std::string> step_errors;  // step's value of the wrong kind
  bool zero_is_unknown = false;          // the leaf is such an enum
  const std::string& path() const { return step_paths.back(); }
  const FieldDef& leaf() const { return steps.back(); }  // REQUIRES: a fact
};

class FrameLayout {
 public:
  // The slot for `fields` (field indices from the root) in `mode`, added on
  // first use. REQUIRES: the path is valid in `schema` and every step but
  // the last is a singular message field.
  int32_t SlotFor(const FactSchema& schema, const std::vector<int32_t>& fields,
                  SlotDef::Mode mode);
  // The kAsOf slot, added on first use.
  int32_t AsOfSlot();

  int32_t size() const { return static_cast<int32_t>(slots_.size()); }
  const SlotDef& slot(int32_t i) const { return slots_[i]; }
  size_t MemoryBytes() const;

 private:
  friend void DecodeFrame(const FrameLayout& layout, const FactSchema& schema,
                          const FactRecord& facts, absl::Time as_of,
                          ScratchStrings* strings, FrameValue* out);

  // The decode plan of one slot: what DecodeFrame's common case (a value
  // read from a field of the root record) needs, in one flat entry.
  struct SlotPlan {
    int32_t field = -1;  // the leaf's field index when `direct`
    int32_t ref = -1;    // the leaf type's enum or message type
    // `direct`: a kValue slot of a singular, non-message field of the root
    // record, decoded inline when its stored scalar is FactScalar
    // alternative `scalar` (the leaf type's); everything else takes the
    // general path.
    bool direct = false;
    bool zero_is_unknown = false;
    uint8_t scalar = 0;
  };

  std::vector<SlotDef> slots_;
  std::vector<SlotPlan> plan_;  // by slot
  std::vector<std::pair<std::vector<int32_t>, SlotDef::Mode>> keys_;
};

// Decodes every slot of `layout` from `facts` into `out[0..layout.size())`,
// the kAsOf slot (if any) as `as_of`. `strings` receives the messages of
// malformed list elements (rare).
// REQUIRES: `facts` is a record of the schema's root type.
void DecodeFrame(const FrameLayout& layout, const FactSchema& schema,
                 const FactRecord& facts, absl::Time as_of,
                 ScratchStrings* strings, FrameValue* out);

// Converts one stored scalar of a field of `type` (element type for lists);
// false when it does not hold that kind (the reference's "does not hold").
// Sets `kind` and the members that kind uses; leaves the others as they
// were (the hot path decodes into reused values without clearing them).
bool ScalarToValue(const FactScalar& scalar, const Type& type, FrameValue* out);

// The reference's zero value of a non-message scalar type.
FrameValue ZeroValue(const Type& type);
// Whether a known scalar is its type's zero (has() of a field without
// presence).
bool IsZeroValue(const FrameValue& v);

// "fact '<path>' does not hold a <type>".
std::string NotHoldingMessage(absl::string_view path, const Type& type);

// The display form a reading records (engine/facts/fact_display.h); lists as
// "[a, b]", messages as "{...}", unknowns as "unset".
std::string DisplayFrameValue(const FrameValue& value,
                              const FactSchema& schema);

}  // namespace lantern

#endif  // LANTERN_ENGINE_MATCH_FACT_FRAME_H_
