// `lantern serve` flags → ServeOptions → RunServe. The flags live here, not
// in lantern_main.cc, so that the serve command is one unit; `--rules` is
// shared with `eval` and declared here.
#include <iostream>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "server/cli/cli.h"
#include "server/grpc/serve.h"

ABSL_DECLARE_FLAG(std::string, rules);
ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
          "serve: the address to listen on; port 0 picks a free port, "
          "printed as 'lantern serve: listening on HOST:PORT'");
ABSL_FLAG(int, max_message_bytes, 1 << 20,
          "serve: the largest request accepted (RESOURCE_EXHAUSTED beyond)");
ABSL_FLAG(int, max_repeated, 100,
          "serve: the most elements any repeated fact field may hold");
ABSL_FLAG(int64_t, max_narrative_bytes, 64 * 1024,
          "serve: the longest narrative text accepted");
ABSL_FLAG(int64_t, max_string_bytes, 1024,
          "serve: the longest other string fact accepted");
ABSL_FLAG(std::string, ledger, "lantern-data/ledger.db",
          "serve: the audit ledger (SQLite), created with its directory on "
          "first start");
ABSL_FLAG(std::string, ledger_key, "",
          "serve: the Ed25519 key (PEM) that signs the ledger's tree heads, "
          "created if absent; default: the ledger path + '.key'");
ABSL_FLAG(bool, ledger_off, false,
          "serve: do NOT record decisions (for benchmarks only)");
ABSL_FLAG(int, drain_seconds, 10,
          "serve: on SIGTERM, how long calls in flight may take to finish");
ABSL_FLAG(int, max_concurrent_streams, 100,
          "serve: calls at once on one client connection (more wait)");
ABSL_FLAG(int, max_connection_idle_seconds, 300,
          "serve: a connection with no call for this long is closed");
ABSL_FLAG(int, keepalive_seconds, 60,
          "serve: ping a quiet connection after this long; close it if "
          "the ping is not answered in 20 s");

ABSL_FLAG(std::string, tls_cert, "",
          "serve: the server's certificate chain (PEM); with --tls_key, "
          "--client_ca and --access: mutual TLS");
ABSL_FLAG(std::string, tls_key, "", "serve: the server's private key (PEM)");
ABSL_FLAG(std::string, client_ca, "",
          "serve: the CA certificate(s) (PEM) client certificates must be "
          "signed by");
ABSL_FLAG(std::string, access, "",
          "serve: the access file (YAML): principals and their roles");
ABSL_FLAG(bool, allow_plaintext_non_loopback, false,
          "serve: allow plain text on a non-loopback address (a sidecar "
          "terminates TLS); every caller is then 'local' with every role");

namespace lantern {

int RunServeCommand(const FactTypes& types) {
  ServeOptions options;
  options.listen = absl::GetFlag(FLAGS_listen);
  if (!absl::GetFlag(FLAGS_rules).empty()) {
    options.rules_dir = absl::GetFlag(FLAGS_rules);
  }
  options.max_message_bytes = absl::GetFlag(FLAGS_max_message_bytes);
  options.limits.max_repeated = absl::GetFlag(FLAGS_max_repeated);
  options.limits.max_narrative_bytes = absl::GetFlag(FLAGS_max_narrative_bytes);
  options.limits.max_string_bytes = absl::GetFlag(FLAGS_max_string_bytes);
  options.drain_timeout = absl::Seconds(absl::GetFlag(FLAGS_drain_seconds));
  options.ledger_path = absl::GetFlag(FLAGS_ledger);
  options.ledger_key_path = absl::GetFlag(FLAGS_ledger_key);
  options.ledger_off = absl::GetFlag(FLAGS_ledger_off);
  options.tls_cert = absl::GetFlag(FLAGS_tls_cert);
  options.tls_key = absl::GetFlag(FLAGS_tls_key);
  options.client_ca = absl::GetFlag(FLAGS_client_ca);
  options.access_file = absl::GetFlag(FLAGS_access);
  options.allow_plaintext_non_loopback =
      absl::GetFlag(FLAGS_allow_plaintext_non_loopback);
  options.max_concurrent_streams = absl::GetFlag(FLAGS_max_concurrent_streams);
  options.max_connection_idle =
      absl::Seconds(absl::GetFlag(FLAGS_max_connection_idle_seconds));
  options.keepalive_time =
      absl::Seconds(absl::GetFlag(FLAGS_keepalive_seconds));
  if (options.ledger_path.empty() && !options.ledger_off) {
    std::cerr << "lantern: serve needs --ledger=PATH\n";
    return kExitUsage;
  }
  if (options.max_message_bytes <= 0 || options.limits.max_repeated <= 0 ||
      options.limits.max_narrative_bytes <= 0 ||
      options.limits.max_string_bytes <= 0 ||
      options.drain_timeout < absl::ZeroDuration() ||
      options.max_concurrent_streams <= 0 ||
      options.max_connection_idle <= absl::ZeroDuration() ||
      options.keepalive_time <= absl::ZeroDuration()) {
    std::cerr << "lantern: serve limits must be positive\n";
    return kExitUsage;
  }
  return RunServe(options, types, std::cout, std::cerr);
}

}  // namespace lantern
