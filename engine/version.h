// The engine's version: recorded with every decision in the audit ledger,
// so that a replay that differs from the recorded answer can be traced to
// an engine change rather than a ruleset change.
//
// Bump it with any change that can alter an answer for the same facts,
// ruleset and as_of time (evaluation, decision policy, answer conversion),
// and say in the commit what changed. Replay compares answers, not this
// string; it is there to explain a difference.
//
// Thread-safety: a constant.
#ifndef LANTERN_ENGINE_VERSION_H_
#define LANTERN_ENGINE_VERSION_H_

namespace lantern {

inline constexpr char kEngineVersion[] = "lantern-engine 0.9.0";

}  // namespace lantern

#endif  // LANTERN_ENGINE_VERSION_H_
