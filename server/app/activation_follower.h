// ActivationFollower: keeps a replica on the ruleset last activated in the
// shared ledger, whichever replica activated it. A thread calls
// ActivationLedger::Follow when the ledger announces an activation
// (Ledger::AwaitActivation: PostgreSQL's NOTIFY) and at least every `poll`
// in any case, so a lost notice delays the take-up by one poll at most.
// Each change of Follow's outcome (a version that cannot be taken up, then
// one that can; UNAVAILABLE while the ledger cannot be reached, then
// whatever follows once it can) goes to `on_change`, which the server uses
// for its health.
//
// Thread-safety: construct and destroy on one thread; `on_change` is
// called on the follower's thread.
#ifndef LANTERN_SERVER_APP_ACTIVATION_FOLLOWER_H_
#define LANTERN_SERVER_APP_ACTIVATION_FOLLOWER_H_

#include <functional>
#include <thread>

#include "absl/status/status.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "server/app/activation_ledger.h"
#include "server/app/ruleset_registry.h"
#include "server/ledger/ledger.h"

namespace lantern {

class ActivationFollower {
 public:
  using OnChange = std::function<void(const absl::Status& followed)>;

  // Starts the thread. REQUIRES: the arguments outlive this.
  ActivationFollower(ledger::Ledger* ledger, ActivationLedger* activations,
                     RuleSetRegistry* registry, absl::Duration poll,
                     OnChange on_change);
  // Stops the thread (within one `poll`).
  ~ActivationFollower();
  ActivationFollower(const ActivationFollower&) = delete;
  ActivationFollower& operator=(const ActivationFollower&) = delete;

 private:
  void Run();

  ledger::Ledger* const ledger_;
  ActivationLedger* const activations_;
  RuleSetRegistry* const registry_;
  const absl::Duration poll_;
  const OnChange on_change_;
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace lantern

#endif  // LANTERN_SERVER_APP_ACTIVATION_FOLLOWER_H_
