// `lantern serve`: the gRPC server, wired from its parts.
//
// Serves lantern.v1.RiskAssessment, lantern.v1.RuleSets and lantern.v1.Audit
// (audit.proto; FAILED_PRECONDITION throughout with --ledger_off), plus the
// standard grpc.health.v1.Health service and server reflection, on
// `listen`. Startup activates
// `rules_dir`; if it does not load, check, compile and pass its own tests,
// serve prints the diagnostics and exits 1 without listening.
//
// Once listening it prints on `out` the line
//   lantern serve: listening on <host>:<port>
// with the port actually bound (so `--listen 127.0.0.1:0` tells a test
// which port it got) and then, when `metrics_listen` is set, the line
//   lantern serve: metrics on <host>:<port>
// with the metrics endpoint's bound port (Prometheus text at /metrics:
// server/app/serve_metrics.h; JSON at /status: server/app/serve_status.h,
// the transport, warnings, the active ruleset and each SIGHUP's outcome).
// Then, when `console_listen` is set, the line
//   lantern serve: console on http://<host>:<port>/
// for the web console (server/http/console_server.h): https:// with mutual
// TLS, which the console serves with the same certificates and access
// file; plain text only on loopback, as `listen`.
// Every address is bound before any line is printed; any failing is
// exit 2.
//
// Transport and access (transport_security.h, access_control.h): with
// `tls_cert`, `tls_key` and `client_ca` (all three, and `access_file`
// with them) the listener is mutual TLS — client certificates required
// and verified — and each caller's roles come from the access file. Without
// them the listener is plain text, every caller the principal "local"
// with every role, and only a loopback `listen` is accepted unless
// `allow_plaintext_non_loopback` (for a sidecar that terminates TLS; then
// a warning at start and in /status). Flags given in a combination that does
// not make sense, or plain text on a non-loopback address, exit 2 naming the
// flags; certificate or access files that do not check out exit 1 saying why.
//
// Signals: SIGHUP re-reads `rules_dir` (activated only if it passes; the
// outcome is logged on `err`), and the certificates and the access file:
// each is replaced only if it checks out, else the previous one keeps
// serving and `err` and /status say why. SIGTERM or SIGINT stops accepting
// calls, marks health NOT_SERVING, lets calls in flight finish for at most
// `drain_timeout` (then cancels them) and returns 0. A Validate or Activate
// already loading a candidate on the ruleset worker is let finish (its
// reactor must be finished before gRPC can shut down), so the bound is
// `drain_timeout` plus at most one candidate's load-and-test time.
//
// Resources: at most `max_concurrent_streams` calls at once per
// connection, idle connections closed after `max_connection_idle`, quiet
// ones pinged every `keepalive_time`, streams waiting on their client for
// `stream_idle_timeout` ended (AssessStream waiting for a request with
// DEADLINE_EXCEEDED; a client not reading its AssessStream or Backtest
// answers is cancelled); every 5 s freed heap memory is given
// back to the system (malloc_trim), so a burst does not leave the server at
// its peak. Files are created with umask 077 (they hold children's data).
//
// Only rulesets over lantern.v1.EpisodeFacts are accepted (the registry
// rejects others at activation).
//
// The audit ledger (server/ledger/ledger.h) is opened at `ledger_path`
// (created with its directory and signing key on first start) before
// anything is activated; if it cannot be opened or does not check out,
// serve exits 1. Every ruleset ever activated is held again from the
// ledger (ActivationLedger), every activation is recorded before it takes
// effect, and every answer is recorded before it is sent
// (DecisionRecorder). At stop, serve prints how many records it appended.
// `ledger_off` serves without recording (for benchmarks only; it says so
// on `err` at start).
//
// The episode index (server/app/stored_episode_index.h) is opened in the
// ledger's store (the SQLite file or the PostgreSQL database) after the
// ledger, catching up with any decisions it has not indexed; Assess
// derives facts from it (on PostgreSQL after reading the decisions other
// replicas recorded) and every recorded decision is added to it. Off with
// `ledger_off` or without `episode_index` (for measuring its cost): nothing is
// derived.
//
// Thread-safety: RunServe is called once per process, from the main thread
// before any other thread exists (it blocks the signals it waits for, and
// threads inherit the mask).
#ifndef LANTERN_SERVER_GRPC_SERVE_H_
#define LANTERN_SERVER_GRPC_SERVE_H_

#include <ostream>
#include <string>

#include "absl/time/time.h"
#include "engine/facts/fact_types.h"
#include "server/app/facts_validation.h"

namespace lantern {

struct ServeOptions {
  std::string listen = "127.0.0.1:50051";
  std::string rules_dir = "rules";
  // Larger requests are refused with RESOURCE_EXHAUSTED by gRPC itself.
  int max_message_bytes = 1 << 20;
  RequestLimits limits;
  absl::Duration drain_timeout = absl::Seconds(10);
  // Calls at once on one client connection (HTTP/2 SETTINGS); more wait.
  int max_concurrent_streams = 100;
  // A connection with no call for this long is closed.
  absl::Duration max_connection_idle = absl::Minutes(5);
  // The server pings a connection quiet for this long, with or without a
  // call on it, and closes it if the ping is not answered within
  // `keepalive_timeout` (a vanished client).
  absl::Duration keepalive_time = absl::Minutes(1);
  absl::Duration keepalive_timeout = absl::Seconds(20);
  // A streaming call that waits this long on its client (for a request, or
  // for the client to read a response) is ended (StreamIdleWatch).
  absl::Duration stream_idle_timeout = absl::Minutes(1);
  // Prometheus metrics over HTTP (server/http/metrics_endpoint.h) on this
  // address; port 0 picks a free one; empty: no metrics endpoint, and no
  // per-call or per-decision counting (no interceptor).
  std::string metrics_listen = "127.0.0.1:9464";
  // The web console (server/http/console_server.h) on this address; port 0
  // picks a free one; empty: no console.
  std::string console_listen;
  std::string ledger_path = "lantern-data/ledger.db";
  // Empty: ledger_path + ".key".
  std::string ledger_key_path;
  bool ledger_off = false;
  bool episode_index = true;
  // The activation gate (server/app/ruleset_analysis.h) on every candidate.
  bool activation_analysis = true;
  // The proposer of a ruleset may activate it too (RuleSets.Propose).
  // Implied with plain text, where every caller is "local".
  bool single_person_activation = false;
  // Mutual TLS: PEM files, all three or none.
  std::string tls_cert;
  std::string tls_key;
  std::string client_ca;
  // Principals and their roles (access_policy.h); required with TLS.
  std::string access_file;
  bool allow_plaintext_non_loopback = false;
};

// Returns the exit code: 0 after a clean stop, 1 when the ledger cannot be
// opened, the rules do not activate or the TLS or access files do not
// check out, 2 when an address cannot be bound or the transport flags do
// not fit together.
int RunServe(const ServeOptions& options, const FactTypes& types,
             std::ostream& out, std::ostream& err);

}  // namespace lantern

#endif  // LANTERN_SERVER_GRPC_SERVE_H_
