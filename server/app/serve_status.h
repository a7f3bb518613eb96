// ServeStatus: what `lantern serve` tells an operator about its own state
// beyond health's SERVING / NOT_SERVING, as one JSON document (served at
// GET /status on the metrics listener: server/http/metrics_endpoint.h).
// No children's data: only the transport, warnings, the active ruleset and
// how the last reloads went.
//
// The document (keys always present; `null` where nothing is known yet):
//   {
//     "transport": "mutual_tls" | "plaintext",
//     "active_ruleset": {"id": ..., "version": ..., "digest": ...} | null,
//     "warnings": ["...", ...],           // standing conditions, oldest first
//     "reloads": {                        // the last SIGHUP's outcome, per
//     part
//       "rules":        {"at": RFC 3339 UTC, "ok": bool, "detail": "..."} |
//       null, "certificates": ... | null,       // null also without TLS
//       "access_file":  ... | null,
//       "console_certificates": ... | null  // the web console's HTTPS files
//     }
//   }
// `detail` says what was loaded when ok, and why it was refused when not
// (the same text serve logs; the previous configuration then keeps
// serving).
//
// Thread-safety: every method may be called from any thread (one mutex).
#ifndef LANTERN_SERVER_APP_SERVE_STATUS_H_
#define LANTERN_SERVER_APP_SERVE_STATUS_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/app/serve_metrics.h"

namespace lantern {

class ServeStatus {
 public:
  // What a reload re-reads.
  enum class Part { kRules, kCertificates, kAccessFile, kConsoleCertificates };

  // `active` is asked at every Json() for the active ruleset (nullopt:
  // none; may be null); `now` stamps reloads. REQUIRES: `now` non-null.
  ServeStatus(std::function<std::optional<ActiveRuleSetLabels>()> active,
              std::function<absl::Time()> now);

  // "mutual_tls" or "plaintext" (default).
  void SetTransport(std::string transport);
  // A standing condition an operator should see (kept until restart).
  void AddWarning(std::string text);
  // The outcome of re-reading `part` just now.
  void RecordReload(Part part, bool ok, std::string detail);

  // The document above, pretty-printed.
  std::string Json() const;

 private:
  struct Reload {
    absl::Time at;
    bool ok = false;
    std::string detail;
  };

  const std::function<std::optional<ActiveRuleSetLabels>()> active_;
  const std::function<absl::Time()> now_;
  mutable absl::Mutex mu_;
  std::string transport_ ABSL_GUARDED_BY(mu_) = "plaintext";
  std::vector<std::string> warnings_ ABSL_GUARDED_BY(mu_);
  std::optional<Reload> reloads_[4] ABSL_GUARDED_BY(mu_);
};

}  // namespace lantern

#endif  // LANTERN_SERVER_APP_SERVE_STATUS_H_
