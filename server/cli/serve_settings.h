// The settings of `lantern serve`: one table that defines both the
// command-line flags (`--listen=...`) and the keys of the configuration file
// (`listen: ...`), and the resolution of the two into ServeOptions.
//
// The table is the X-macro LANTERN_SERVE_SETTINGS below: one line per
// setting. serve_command.cc expands it into the Abseil flags, serve_settings.cc
// into the rows that read the file and the command line. Adding a setting is
// adding one line there (and its field in ServeOptions); nothing else lists
// the settings.
//
// Resolution, for every setting: the table's default, replaced by the
// configuration file's value when the file has the key, replaced by the
// command line's value when the flag was given. Every value goes through
// the flag's own parser (absl::ParseFlag) and the row's check, whichever
// source it came from.
//
// The configuration file is YAML: one mapping from setting names to scalar
// values; comments allowed; an empty file sets nothing. An unknown key, a
// key given twice, a value that is not a scalar, does not parse as the
// setting's type or fails its check is refused as
// `FILE:LINE:COL: error: ...` (every problem, sorted, one a line).
// Relative paths in it are relative to the working directory, as on the
// command line.
//
// Thread-safety: stateless; the table is immutable.
#ifndef LANTERN_SERVER_CLI_SERVE_SETTINGS_H_
#define LANTERN_SERVER_CLI_SERVE_SETTINGS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/grpc/serve.h"

// One line per setting:
//   X(TYPE, NAME, DEFAULT, CHECK, APPLY, HELP)
// TYPE is the flag's type; DEFAULT a TYPE expression; CHECK one of
// lantern::SettingCheck; APPLY a statement storing `v` (const TYPE&) into
// `o` (ServeOptions&); HELP the flag's help text. SHARED rows are flags
// that another command also reads, defined elsewhere (lantern_main.cc).
// Keep APPLY free of top-level commas (wrap them in parentheses).
#define LANTERN_SERVE_SETTINGS(X, SHARED)                                      \
  SHARED(std::string, rules, "rules", kNotEmpty, o.rules_dir = v,              \
         "eval, serve: the ruleset directory (serve: default rules)")          \
  X(std::string, listen, "127.0.0.1:50051", kNotEmpty, o.listen = v,           \
    "serve: the address to listen on; port 0 picks a free port, printed as "   \
    "'lantern serve: listening on HOST:PORT'")                                 \
  X(std::string, tls_cert, "", kAny, o.tls_cert = v,                           \
    "serve: the server's certificate chain (PEM); with --tls_key, "            \
    "--client_ca and --access: mutual TLS")                                    \
  X(std::string, tls_key, "", kAny, o.tls_key = v,                             \
    "serve: the server's private key (PEM)")                                   \
  X(std::string, client_ca, "", kAny, o.client_ca = v,                         \
    "serve: the CA certificate(s) (PEM) client certificates must be "          \
    "signed by")                                                               \
  X(std::string, access, "", kAny, o.access_file = v,                          \
    "serve: the access file (YAML): principals and their roles")               \
  X(bool, allow_plaintext_non_loopback, false, kAny,                           \
    o.allow_plaintext_non_loopback = v,                                        \
    "serve: allow plain text on a non-loopback address (a sidecar "            \
    "terminates TLS); every caller is then 'local' with every role")           \
  X(int, max_message_bytes, 1 << 20, kPositive, o.max_message_bytes = v,       \
    "serve: the largest request accepted (RESOURCE_EXHAUSTED beyond)")         \
  X(int, max_repeated, 100, kPositive, o.limits.max_repeated = v,              \
    "serve: the most elements any repeated fact field may hold")               \
  X(int64_t, max_narrative_bytes, 64 * 1024, kPositive,                        \
    o.limits.max_narrative_bytes = v,                                          \
    "serve: the longest narrative text accepted")                              \
  X(int64_t, max_string_bytes, 1024, kPositive, o.limits.max_string_bytes = v, \
    "serve: the longest other string fact accepted")                           \
  X(std::string, metrics_listen, "127.0.0.1:9464", kAny, o.metrics_listen = v, \
    "serve: where Prometheus scrapes /metrics (HTTP); port 0 picks a free "    \
    "port, printed as 'lantern serve: metrics on HOST:PORT'; empty: none")     \
  X(std::string, console_listen, "", kAny, o.console_listen = v,               \
    "serve: where the web console serves: HTTPS with the TLS flags, else "     \
    "plain HTTP on loopback only (as --listen); port 0 picks a free port, "    \
    "printed as 'lantern serve: console on URL'; empty (the default): none")   \
  X(std::string, ledger, "lantern-data/ledger.db", kAny, o.ledger_path = v,    \
    "serve: the audit ledger: a SQLite file, created with its directory on "   \
    "first start, or a PostgreSQL database shared by replicas, as a libpq "    \
    "URI (postgresql://...)")                                                  \
  X(std::string, ledger_key, "", kAny, o.ledger_key_path = v,                  \
    "serve: the Ed25519 key (PEM) that signs the ledger's tree heads, "        \
    "created if absent; default: the ledger path + '.key'; required with "     \
    "PostgreSQL (every replica signs with the same key)")                      \
  X(bool, ledger_off, false, kAny, o.ledger_off = v,                           \
    "serve: do NOT record decisions (for benchmarks only)")                    \
  X(bool, episode_index, true, kAny, o.episode_index = v,                      \
    "serve: derive facts from Lantern's episode index (false: for "            \
    "measuring its cost)")                                                     \
  X(bool, activation_analysis, true, kAny, o.activation_analysis = v,          \
    "serve: analyse every candidate ruleset with the solver before it can "    \
    "become active, and refuse one with a rule that can never fire or an "     \
    "invariant not proven (false: for development only)")                      \
  X(bool, single_person_activation, false, kAny,                               \
    o.single_person_activation = v,                                            \
    "serve: let the principal that proposed a ruleset (RuleSets.Propose) "     \
    "activate it too (for development; implied with plain text, where "        \
    "every caller is 'local')")                                                \
  X(int, drain_seconds, 10, kNotNegative, o.drain_timeout = absl::Seconds(v),  \
    "serve: on SIGTERM, how long calls in flight may take to finish")          \
  X(int, max_concurrent_streams, 100, kPositive, o.max_concurrent_streams = v, \
    "serve: calls at once on one client connection (more wait)")               \
  X(int, max_connection_idle_seconds, 300, kPositive,                          \
    o.max_connection_idle = absl::Seconds(v),                                  \
    "serve: a connection with no call for this long is closed")                \
  X(int, keepalive_seconds, 60, kPositive,                                     \
    o.keepalive_time = absl::Seconds(v),                                       \
    "serve: ping a quiet connection after this long; close it if the ping "    \
    "is not answered in --keepalive_timeout_seconds")                          \
  X(int, keepalive_timeout_seconds, 20, kPositive,                             \
    o.keepalive_timeout = absl::Seconds(v),                                    \
    "serve: how long a keepalive ping may go unanswered before the "           \
    "connection is closed")                                                    \
  X(absl::Duration, stream_idle_timeout, absl::Minutes(1), kPositive,          \
    o.stream_idle_timeout = v,                                                 \
    "serve: end a stream that waits this long on its client (no request on "   \
    "AssessStream: DEADLINE_EXCEEDED; answers not read: cancelled), e.g. "     \
    "60s, 500ms")

namespace lantern {

// What a setting's value must satisfy besides parsing as its type.
enum class SettingCheck { kAny, kNotEmpty, kPositive, kNotNegative };

// A setting given on the command line: its name and the flag's value as
// text (absl::CommandLineFlag::CurrentValue).
struct CommandLineSetting {
  std::string name;
  std::string value;
};

// The names of every setting, in table order.
std::vector<std::string> ServeSettingNames();

// Whether `name` is a setting whose type is bool (so `--noNAME` sets it).
bool IsBoolServeSetting(absl::string_view name);

// ServeOptions from the table's defaults, then the configuration file at
// `config_path` (none when empty), then `command_line` in order. An
// INVALID_ARGUMENT status lists every problem: the file's as
// `FILE:LINE:COL: error: ...`, the command line's as `--NAME=VALUE: ...`;
// a file that cannot be read is NOT_FOUND or FAILED_PRECONDITION naming it.
absl::StatusOr<ServeOptions> ResolveServeOptions(
    const std::string& config_path,
    const std::vector<CommandLineSetting>& command_line);

}  // namespace lantern

#endif  // LANTERN_SERVER_CLI_SERVE_SETTINGS_H_
