// `lantern analyze DIR`: the ruleset's rules, outputs and invariants
// analysed with the Z3 SMT solver (engine/analyze/analyzer.h).
//
// Loads and checks DIR like every command, then prints FormatReport: rules
// that can never fire with their conflicting conditions, outputs no
// episode can produce, every invariant PROVEN or VIOLATED with a
// counterexample episode, unsupported conditions, and any solver answer the
// engine did not confirm (an analysis bug). Every episode it prints was
// decoded the way the service decodes a request's facts (for
// lantern.v1.EpisodeFacts: the service's validation, whose ranges and time
// orders are also the analysis's domain) and evaluated by the engine.
// Exit 0 with no findings, 1 with any (or a ruleset that does not load),
// 2 when the command cannot run.
//
// Thread-safety: stateless.
#ifndef LANTERN_SERVER_CLI_ANALYZE_COMMAND_H_
#define LANTERN_SERVER_CLI_ANALYZE_COMMAND_H_

#include <optional>
#include <ostream>
#include <string>

#include "absl/time/time.h"
#include "engine/facts/fact_types.h"

namespace lantern {

struct AnalyzeCommandOptions {
  // RFC 3339; default: `now`, read once by the caller.
  std::optional<std::string> as_of;
  int list_bound = 3;
  bool witnesses = false;  // print a confirmed witness per rule and output
  // diff: an audit ledger (a SQLite file or "postgresql://..."), whose
  // recorded decisions are re-evaluated under OLD and NEW too; and its
  // signing key (default for SQLite: the path + ".key").
  std::optional<std::string> ledger;
  std::string ledger_key;
};

int RunAnalyze(const std::string& dir, const AnalyzeCommandOptions& options,
               absl::Time now, const FactTypes& types, std::ostream& out,
               std::ostream& err);

// `lantern diff OLD NEW`: per output, whether some episode's answer differs
// between the two rulesets (engine/analyze/analyzer.h, DiffRuleSets), each
// difference with a witness episode both rulesets' engines confirm and the
// rules that fired under only one. With `options.ledger`, then the
// empirical difference: every decision recorded in the ledger
// re-evaluated under OLD and NEW (Auditor::CompareVersions, the
// re-evaluation Audit.Backtest uses), counted per output with up to 5
// example decision ids (FormatLedgerDiff). Exit 0 when no output differs
// (either way), 1 when some does (or the analysis disagrees with the
// engine), 2 when it cannot run (a ledger that cannot be opened or read;
// a ruleset that does not load is 1, as for analyze).
int RunDiff(const std::string& old_dir, const std::string& new_dir,
            const AnalyzeCommandOptions& options, absl::Time now,
            const FactTypes& types, std::ostream& out, std::ostream& err);

}  // namespace lantern

#endif  // LANTERN_SERVER_CLI_ANALYZE_COMMAND_H_
