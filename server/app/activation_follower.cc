// ActivationFollower (see activation_follower.h): wait for a notice or the
// poll interval, follow, report a changed outcome.
#include "server/app/activation_follower.h"

#include <pthread.h>

namespace lantern {

ActivationFollower::ActivationFollower(ledger::Ledger* ledger,
                                       ActivationLedger* activations,
                                       RuleSetRegistry* registry,
                                       absl::Duration poll, OnChange on_change)
    : ledger_(ledger),
      activations_(activations),
      registry_(registry),
      poll_(poll),
      on_change_(std::move(on_change)),
      thread_([this] {
        pthread_setname_np(pthread_self(), "ledger-follow");
        Run();
      }) {}

ActivationFollower::~ActivationFollower() {
  stop_.Notify();
  thread_.join();
}

void ActivationFollower::Run() {
  absl::Status last;
  while (!stop_.HasBeenNotified()) {
    absl::StatusOr<bool> announced = ledger_->AwaitActivation(poll_);
    if (stop_.HasBeenNotified()) return;
    // An error waiting (the database away) leaves the poll to catch up.
    if (!announced.ok() && stop_.WaitForNotificationWithTimeout(poll_)) return;
    const absl::Status followed = activations_->Follow(*registry_);
    // Reported by kind, not message: an outage's messages vary from poll
    // to poll (connection refused, starting up, ...).
    const bool same = absl::IsUnavailable(followed) ? absl::IsUnavailable(last)
                                                    : followed == last;
    if (!same) {
      last = followed;
      on_change_(followed);
    }
  }
}

}  // namespace lantern
