// ActivationLedger: ruleset activations in the audit ledger.
//
// Every time a ruleset becomes active — at startup, on SIGHUP, through
// RuleSets.Activate, including a rollback to a version already held — an
// ActivationRecord is appended with all of the ruleset's files (stored once
// per digest) before the switch: Record() is the registry's BeforeActivate
// hook, so if the ledger cannot write, the activation does not happen.
// Every activation someone asked for is recorded with who asked (the
// caller's principal, or "SIGHUP") and when, even
// of the version already active; only a restart on the digest last
// recorded (activated_by kStartup) appends nothing. An activation that is
// rejected (RecordRejected: a failing candidate, an unknown version, an
// unreadable directory) changes nothing but is recorded too, REJECTED,
// with who asked, when and why, and no files.
//
// At startup, PendingProposals() gives the proposals recorded and not yet
// activated, with their files from the ledger, so that they survive a
// restart; Restore() holds in the registry every ruleset the ledger
// says was ever active, with its files from the ledger: a version pinned
// by a caller, RuleSets.List and RuleSets.Get keep working after its files
// on disk changed or were deleted.
//
// Replicas sharing a ledger (PostgreSQL) keep one active ruleset: Follow()
// makes the ledger's latest activation — whichever replica recorded it —
// the active version here too (holding its files from the ledger if need
// be), without recording it again. A version that does not load or pass
// its tests here is not activated: Follow says so, and the server turns
// its health NOT_SERVING rather than go on answering under another
// version unnoticed.
//
// Thread-safety: Record, RecordRejected and Follow may be called from any
// thread (the registry calls Record and RecordRejected one activation at a
// time); Restore once, before
// serving.
#ifndef LANTERN_SERVER_APP_ACTIVATION_LEDGER_H_
#define LANTERN_SERVER_APP_ACTIVATION_LEDGER_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/app/ruleset_registry.h"
#include "server/ledger/ledger.h"

namespace lantern {

// activated_by of the activation a server makes of its rules directory as
// it starts.
inline constexpr char kStartup[] = "startup";
// activated_by when a replica takes up an activation another one recorded:
// Record appends nothing for it.
inline constexpr char kFollowed[] = "ledger";

class ActivationLedger {
 public:
  // REQUIRES: `ledger` outlives this.
  ActivationLedger(ledger::Ledger* ledger, std::function<absl::Time()> clock)
      : ledger_(ledger), clock_(std::move(clock)) {}

  // Holds every ruleset ever activated in `registry`, oldest first, and
  // remembers the last one recorded. Returns one line per ruleset that
  // could not be held (its files missing, or it no longer loads or passes
  // its own tests under this engine); an error when the ledger cannot be
  // read.
  absl::StatusOr<std::vector<std::string>> Restore(RuleSetRegistry& registry);

  // RuleSetRegistry::BeforeActivate: records `next` as activated by
  // `activated_by`, unless that is kStartup and `next` is the last
  // activation recorded. UNAVAILABLE
  // when the ledger cannot write.
  absl::Status Record(const RuleSetVersion& next,
                      absl::string_view activated_by);

  // Records a proposal (RuleSets.Propose): `candidate` with its files,
  // PROPOSED, by `proposed_by`, with the semantic difference from the
  // active version one line each. An activation of the same digest
  // recorded later names `proposed_by` (ActivationRecord.proposed_by).
  // UNAVAILABLE when the ledger cannot write.
  absl::Status RecordProposal(const RuleSetVersion& candidate,
                              absl::string_view proposed_by,
                              const std::vector<std::string>& differences);

  // A proposal recorded (PROPOSED) and not activated since.
  struct PendingProposal {
    std::string digest;
    std::string proposed_by;
    std::vector<SourceFile> files;  // as recorded with the proposal
  };
  // Every pending proposal in the ledger, oldest first (a digest proposed
  // again: its latest proposer), with its files from the ledger, so a
  // restarted server holds them again (RuleSetsService::AddProposal); an
  // activation of one recorded later names its proposer. The ledger's
  // error when it cannot be read, or a proposal's files are missing.
  absl::StatusOr<std::vector<PendingProposal>> PendingProposals();

  // Makes the ledger's latest activation active in `registry` when it is
  // not (activated_by kFollowed). OK when it is active (or there is none);
  // FAILED_PRECONDITION when its files are missing or it does not load or
  // pass its tests here (repeated, not retried, until the ledger records
  // another activation); the ledger's error when it cannot be read.
  absl::Status Follow(RuleSetRegistry& registry);

  // RuleSetRegistry::OnRejected: records a REJECTED activation (the active
  // version stays the last one recorded). UNAVAILABLE when the ledger
  // cannot write.
  absl::Status RecordRejected(const RuleSetRegistry::Rejection& rejection,
                              absl::string_view activated_by);

 private:
  ledger::Ledger* const ledger_;
  const std::function<absl::Time()> clock_;
  absl::Mutex mu_;
  std::string last_digest_ ABSL_GUARDED_BY(mu_);
  // Digest -> who proposed it, for the proposals recorded by this process.
  std::map<std::string, std::string> proposed_by_ ABSL_GUARDED_BY(mu_);

  // Follow's last look: the leaf of the activation it took up (or failed
  // to), and that failure.
  absl::Mutex follow_mu_;
  uint64_t followed_leaf_ ABSL_GUARDED_BY(follow_mu_) = UINT64_MAX;
  absl::Status follow_failure_ ABSL_GUARDED_BY(follow_mu_);
};

}  // namespace lantern

#endif  // LANTERN_SERVER_APP_ACTIVATION_LEDGER_H_
