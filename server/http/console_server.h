// ConsoleServer: the web console (`lantern serve --console_listen`), served
// with Debian's cpp-httplib on its own small thread pool.
//
// Pages: the files of server/http/console/ (embedded at build time,
// console_assets.h) at their names, and "/" for index.html. A JSON API
// under /api/ calls the application in-process, the same code the Audit
// gRPC service calls (the Auditor it shares; disclosure.h for every read
// of recorded decisions), and prints messages with protobuf's JSON printer
// (lowerCamelCase field names, enums by name, bytes in base64):
//
//   GET  /api/whoami                      {"principal", "roles"}
//   GET  /api/decision?id=&purpose=       GetDecisionResponse
//   GET  /api/search?child=&purpose=      ListDecisionsResponse: the
//                                         decisions whose facts carry that
//                                         child.reference, newest first (at
//                                         most 100; every recorded decision
//                                         is read to find them)
//   POST /api/replay?id=&purpose=         ReplayResponse
//   GET  /api/proof?id=&purpose=          {"head": GetTreeHeadResponse,
//                                         "proof": GetInclusionProofResponse}
//                                         (the proof against that head)
//   GET  /api/rulesets                    the registry's versions
//   GET  /api/live?hours=                 decisions recorded per hour by
//                                         grade (counts only: no purpose)
//   GET  /api/ruleset?version=            GetRuleSetResponse (RuleSets.Get)
//   GET  /api/ruleset_diff?old=&new=      {"old", "new": RuleSetInfo,
//                                         "differs", "text"}: `lantern diff`
//                                         of two versions the server holds
//                                         (ActivationAnalysis::Diff)
//
// Access is that of gRPC: each API call is admitted as the Audit method it
// stands for (AccessControl::AdmitCaller and its method table; the access
// log records that method), reads of recorded decisions need a purpose and
// are logged before they are answered, and an auditor's answers have the
// personal data removed (disclosure.h). Over HTTPS (ConsoleTls) the caller
// is the principal its client certificate names — first SAN URI, else
// first SAN DNS name, else subject CN, as for gRPC — with the roles the
// access policy gives it; in plain text it is "local" with every role
// (plain text is accepted only on loopback, as for gRPC's port; the
// caller of a plain-text listener is whoever can reach it). Errors are
// {"error": message, "code": "INVALID_ARGUMENT"} with the HTTP status
// for the code (400, 401, 403, 404, 409 for FAILED_PRECONDITION, 503, 500).
//
// Browser-side defences: every answer carries a Content-Security-Policy
// allowing only this origin (no inline script, no remote origins, no
// framing), nosniff and no-referrer; API calls must carry the header
// "X-Lantern-Console: 1" (which a cross-site page cannot send without a
// CORS preflight this server never grants); a console bound to loopback
// answers only requests whose Host is a loopback name with its port (no
// DNS rebinding).
//
// Thread-safety: Bind and Start from one thread, then Stop (also from the
// destructor) from any; requests are served on the console's own threads.
#ifndef LANTERN_SERVER_HTTP_CONSOLE_SERVER_H_
#define LANTERN_SERVER_HTTP_CONSOLE_SERVER_H_

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/app/auditor.h"
#include "server/app/ruleset_analysis.h"
#include "server/app/ruleset_registry.h"
#include "server/grpc/access_control.h"
#include "server/grpc/rulesets_service.h"

namespace httplib {
class Server;
}  // namespace httplib

namespace lantern {

// The console's HTTPS: PEM files, as serve's mutual TLS (the same three).
struct ConsoleTls {
  std::string cert;
  std::string key;
  std::string client_ca;
};

class ConsoleServer {
 public:
  // REQUIRES: `access`, `registry` and `rulesets` outlive the server;
  // `auditor` and `analysis` too when not null (null auditor: the ledger is
  // off, and decision reads answer FAILED_PRECONDITION; null analysis:
  // ruleset differences do). With `tls`, HTTPS with client certificates
  // required and verified against tls->client_ca (TLS 1.2 or later, no
  // session resumption); the files are read here and again by ReloadTls.
  ConsoleServer(Auditor* auditor, AccessControl* access,
                const RuleSetRegistry* registry,
                const RuleSetsService* rulesets,
                const ActivationAnalysis* analysis,
                std::optional<ConsoleTls> tls = std::nullopt);
  ~ConsoleServer();
  ConsoleServer(const ConsoleServer&) = delete;
  ConsoleServer& operator=(const ConsoleServer&) = delete;

  // Binds `address` ("HOST:PORT", "[V6]:PORT"; port 0 picks a free one)
  // and returns "HOST:PORT" with the port actually bound; INVALID_ARGUMENT
  // for an address without a port, UNAVAILABLE when it cannot be bound.
  absl::StatusOr<std::string> Bind(const std::string& address);
  // Serves on a thread of its own; returns once it serves. REQUIRES: Bind
  // succeeded.
  void Start();
  // Stops serving and joins the thread; idempotent.
  void Stop();

  // Re-reads the TLS files given at construction (serve calls it on
  // SIGHUP): when all of them can be used, every connection made after it
  // returns gets the new certificate and key and is verified against the
  // new client CA (connections already open keep what they had); otherwise
  // nothing changes and INVALID_ARGUMENT names the file that cannot be
  // used. OK, doing nothing, without TLS. May be called from any thread,
  // while serving.
  absl::Status ReloadTls();

 private:
  struct Handlers;

  std::unique_ptr<Handlers> handlers_;
  std::unique_ptr<httplib::Server> server_;
  std::atomic<bool> finished_{false};  // listen_after_bind returned
  std::thread thread_;
};

}  // namespace lantern

#endif  // LANTERN_SERVER_HTTP_CONSOLE_SERVER_H_
