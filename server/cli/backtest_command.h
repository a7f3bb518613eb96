// `lantern backtest`: a client of a running server's Audit.Backtest.
//
// Sends the candidate (a ruleset directory's files, read and loaded here
// first so a broken candidate is reported as file:line:col before any
// call, or a version the server holds) with the caller's purpose and
// range, asking for progress items, and shows them as it goes: on a
// terminal one line redrawn with '\r' (a bar, done/total, differing,
// failed) at each progress item the server sends (at most one a second);
// otherwise a plain line when the total is known, then at most one every
// `plain_interval` on `clock`, then one at the end. Progress goes to
// `progress`, the summary to `out`: the candidate's digest and the counts,
// then a table with a row per output that differs (decisions, examples),
// then the ids of decisions the candidate could not evaluate.
//
// Exit codes (cli.h's convention, as `lantern diff`): 0 no decision
// changes and none failed; 1 some decision's answer changes or could not
// be evaluated under the candidate; 2 the backtest could not run (bad
// flags, a candidate that does not load, the server unreachable or
// refusing: its status printed on `err`).
//
// Thread-safety: one call at a time per set of streams.
#ifndef LANTERN_SERVER_CLI_BACKTEST_COMMAND_H_
#define LANTERN_SERVER_CLI_BACKTEST_COMMAND_H_

#include <functional>
#include <optional>
#include <ostream>
#include <string>

#include "absl/time/time.h"
#include "engine/facts/fact_types.h"

namespace lantern {

struct BacktestCommandOptions {
  std::string target;                   // host:port; required
  std::string purpose;                  // required, 1..500 bytes
  std::string rules_dir;                // the candidate's files; or
  std::string ruleset_version;          // a version or digest the server holds
  std::optional<std::string> from, to;  // RFC 3339; unset: open
  // Mutual TLS, all three or none (as scripts/grpc_call.py takes them):
  // the CA that signed the server's certificate, the client's certificate
  // chain and key (PEM files); `server_name` overrides the name checked in
  // the server's certificate.
  std::string ca, cert, key, server_name;
  bool terminal = false;  // redraw one progress line with '\r'
  absl::Duration plain_interval = absl::Seconds(5);
};

int RunBacktestCommand(const BacktestCommandOptions& options,
                       const FactTypes& types,
                       const std::function<absl::Time()>& clock,
                       std::ostream& out, std::ostream& progress,
                       std::ostream& err);

}  // namespace lantern

#endif  // LANTERN_SERVER_CLI_BACKTEST_COMMAND_H_
