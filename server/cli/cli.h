// The `lantern` subcommands, as functions the executable wires to flags.
//
// Each takes its inputs and two streams and returns the process exit code:
// 0 success, 1 the ruleset or facts are wrong (diagnostics, failing tests),
// 2 the command itself could not run (missing file, bad argument). Errors
// are one clear line each on `err`; nothing here aborts. Tests call these
// directly; lantern_main.cc only parses flags. Every command loads rulesets
// with AssessmentVocabulary(), so a ruleset whose names the answer cannot
// express fails to check.
//
// Thread-safety: stateless.
#ifndef LANTERN_SERVER_CLI_CLI_H_
#define LANTERN_SERVER_CLI_CLI_H_

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

#include "absl/time/time.h"
#include "engine/facts/fact_types.h"

namespace lantern {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;

// `lantern check DIR`: every diagnostic, then a summary line, then the
// compiler's report: how many rules the matcher indexes, evaluates always
// or serves with compiled atoms (CompileReport::ToString).
int RunCheck(const std::string& dir, const FactTypes& types, std::ostream& out,
             std::ostream& err);

struct TestOptions {
  bool coverage = false;
  int64_t generated = 100000;  // episodes to check the invariants on
  uint64_t seed = 1;           // of the episode generator
};

// `lantern test DIR [--coverage] [--generated N] [--seed S]`: each failing
// case with what differed, then "N passed, N failed". Every case is
// assessed by the compiled ruleset (the matcher and the policy stage); a
// case whose answer differs from its expectations, or violates one of the
// ruleset's invariants, fails, naming what differed. With `coverage`, also the
// rules no case fired, the rules no passing case expects not to fire
// (`not_fires`), and the actions no case emitted; any such is a failure.
// Then, when the ruleset states invariants, they are checked on `generated`
// episodes from the seeded generator (engine/decide/invariant_runner.h): per
// invariant the counts, per rule the episodes that fired it, and for each
// violated invariant a shrunk counterexample as protobuf JSON of the fact
// message (FactsToJson); a violation, an invariant that fails to evaluate
// or an episode the engine refuses is a failure.
int RunTest(const std::string& dir, const TestOptions& options,
            const FactTypes& types, std::ostream& out, std::ostream& err);

// `lantern eval --rules DIR --facts FILE [--as_of T]`: the matcher's
// answer (engine/match/matcher.h) as the
// protobuf JSON of lantern.v1.Assessment (server/app/assessment_proto.h), with
// `now` (read once by the caller, at the edge) as its evaluated_at and,
// without `as_of`, as its as-of time. The decision id and ruleset digest are
// left empty: only the service records decisions. Facts the service would
// refuse are refused (exit 1, "FILE: <path>: <problem>"): enum numbers
// their enum lacks, times Timestamp cannot hold, and for
// lantern.v1.EpisodeFacts values that cannot be true, with the service's
// own lines (server/app/facts_values.h).
int RunEval(const std::string& rules_dir, const std::string& facts_path,
            const std::optional<std::string>& as_of, absl::Time now,
            const FactTypes& types, std::ostream& out, std::ostream& err);

}  // namespace lantern

#endif  // LANTERN_SERVER_CLI_CLI_H_
