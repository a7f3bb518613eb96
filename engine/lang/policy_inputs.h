// PolicyInputs: what the policy-stage functions (fired(), concern_score(),
// concern_level(), total_score(), and at the answer stage grade(),
// prompt(), action()) read — the first stage's outcome, three-valued. The
// policy stage (engine/decide/decide.h) builds it; every evaluator of
// policy-stage conditions (the atom VM, the reference evaluator) reads it
// by the contract below.
//
// Ownership: a PolicyRule views its id, unknown paths and error; whoever
// builds the inputs keeps those strings (the ruleset, the Assessment) alive
// and unchanged while the inputs are read. Everything else is owned.
//
// Thread-safety: plain values.
#ifndef LANTERN_ENGINE_LANG_POLICY_INPUTS_H_
#define LANTERN_ENGINE_LANG_POLICY_INPUTS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "engine/lang/truth.h"

namespace lantern {

// An integer the policy stage reads (a score, or a level's ordinal) that
// rules the first stage could not decide may leave open: every value the
// rules could give lies in [low, high]. Known iff low == high.
struct PolicyBound {
  int64_t low = 0;
  int64_t high = 0;
  // When open: the unknown paths of the blocked rules that leave it open,
  // sorted and unique.
  std::vector<std::string> unknown_paths;
  // When open and an errored rule leaves it open too: that rule's failure
  // ("rule 'x' failed: ..."); a comparison the bounds do not decide is then
  // ERROR, not UNKNOWN (ERROR outranks UNKNOWN, as in fired()).
  std::string error;

  bool known() const { return low == high; }
  static PolicyBound Known(int64_t value) { return {value, value, {}, ""}; }
};

// A path list owned elsewhere, read in place: empty by default, else the
// vector it was made from, which must outlive it.
class PathsView {
 public:
  PathsView() = default;
  PathsView(const std::vector<std::string>& paths)  // NOLINT: implicit
      : paths_(&paths) {}
  operator const std::vector<std::string>&() const {  // NOLINT: implicit
    return paths_ != nullptr ? *paths_ : Empty();
  }
  std::vector<std::string>::const_iterator begin() const {
    return static_cast<const std::vector<std::string>&>(*this).begin();
  }
  std::vector<std::string>::const_iterator end() const {
    return static_cast<const std::vector<std::string>&>(*this).end();
  }
  bool empty() const { return paths_ == nullptr || paths_->empty(); }
  size_t size() const { return paths_ == nullptr ? 0 : paths_->size(); }

 private:
  static const std::vector<std::string>& Empty() {
    static const std::vector<std::string> empty;
    return empty;
  }
  const std::vector<std::string>* paths_ = nullptr;
};

// One rule the first stage did not find FALSE (views; see Ownership).
struct PolicyRule {
  absl::string_view id;
  Truth truth = Truth::kTrue;  // kTrue fired, kUnknown blocked, kError errored
  PathsView unknown_paths;     // kUnknown: what it needs
  absl::string_view error;     // kError: what went wrong
};

// What the policy-stage functions read: the first stage's outcome, three-
// valued. Decide builds it from a MatchResult (engine/decide/decide.h); it
// states the policy functions' contract:
//  * fired(p) — p is a rule id or "prefix.*". TRUE if a rule matching p
//    fired; else ERROR ("fired(\"p\"): rule 'x' failed: <error>") if one
//    errored; else UNKNOWN if one is blocked, its unknown paths the union of
//    the matching blocked rules' paths; else FALSE. Reading: ("fired(\"p\")",
//    "true" / "false" / "unknown" / "error").
//  * concern_score(c), concern_level(c), total_score() — known (reading the
//    value) when the bound is known; otherwise a *bounded unknown*, reading
//    "unknown in [low, high]" (levels by name). A comparison (< <= > >= ==
//    !=) of a bounded unknown with a known value is TRUE/FALSE when every
//    value in [low, high] gives that answer; otherwise, and in every other
//    operation (arithmetic, `in`, two bounded unknowns compared), it is
//    UNKNOWN with the bound's unknown paths — or ERROR with the bound's error
//    when an errored rule leaves it open.
//  A concern or rule the inputs do not name reads as 0 / not fired.
struct PolicyInputs {
  std::vector<PolicyRule> rules;  // sorted by id
  struct Concern {
    std::string name;
    PolicyBound score;
    PolicyBound level;  // ordinals in the policy's `levels`
  };
  std::vector<Concern> concerns;
  PolicyBound total_score;

  // Answer stage only (invariants); grade(), prompt() and action() are
  // ERROR without it.
  struct Answer {
    int64_t grade = 0;       // rank in Policy::grades
    std::string grade_name;  // for the reading
    // Prompt name → rank in kPromptAnswers.
    std::vector<std::pair<std::string, int64_t>> prompts;
    std::vector<std::string> actions;  // codes, sorted
  };
  std::optional<Answer> answer;
};

}  // namespace lantern

#endif  // LANTERN_ENGINE_LANG_POLICY_INPUTS_H_
