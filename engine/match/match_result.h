// MatchResult: the first stage's output — which rules in force at the
// request's as-of time are TRUE (with evidence), UNKNOWN (with the unset
// fact paths that blocked them) or ERROR (with the message). The matcher
// (engine/match/matcher.h) makes it; the policy stage
// (engine/decide/decide.h) reads it.
//
// Thread-safety: plain values.
#ifndef LANTERN_ENGINE_MATCH_MATCH_RESULT_H_
#define LANTERN_ENGINE_MATCH_MATCH_RESULT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "engine/lang/truth.h"

namespace lantern {

struct RuleMatch {
  int32_t rule = 0;                        // index in RuleSet::rules
  std::vector<AtomEvidence> evidence;      // fired: the conditions that held
  std::vector<std::string> unknown_paths;  // blocked: the facts it needs
  std::string error;                       // errored: what went wrong
};

// Each list ascending by rule index.
struct MatchResult {
  std::vector<RuleMatch> fired;    // TRUE
  std::vector<RuleMatch> blocked;  // UNKNOWN
  std::vector<RuleMatch> errored;  // ERROR
};

}  // namespace lantern

#endif  // LANTERN_ENGINE_MATCH_MATCH_RESULT_H_
