// AuditRuleSets: the ruleset versions the Audit service evaluates with —
// any version the registry holds, any ruleset ever stored in the ledger,
// and candidates sent as files.
//
// A version the registry does not hold is loaded from the ledger's copy of
// its files (Ledger::GetRuleSetFiles), checked and compiled, and kept by
// digest so later replays do not load it again. Unlike activation, its own
// tests are not run: a recorded decision must be replayable under the
// exact rules that made it, whatever those rules' tests say now. Loading
// uses the same fact types and vocabulary as the registry, so the compiled
// program is the one Assess would have built from the same files.
//
// Thread-safety: all methods may be called concurrently; loading runs with
// no lock held (two callers may load the same digest once each; the first
// stored wins).
#ifndef LANTERN_SERVER_APP_AUDIT_RULESETS_H_
#define LANTERN_SERVER_APP_AUDIT_RULESETS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "engine/facts/fact_types.h"
#include "server/app/ruleset_registry.h"
#include "server/ledger/ledger.h"

namespace lantern {

class AuditRuleSets {
 public:
  // REQUIRES: all three outlive this; `ledger` is not null.
  AuditRuleSets(const RuleSetRegistry* registry, ledger::Ledger* ledger,
                const FactTypes* types)
      : registry_(registry), ledger_(ledger), types_(types) {}

  // By digest ("sha256:...") or manifest version: the registry's, else the
  // ledger's (for a version: the ruleset of the latest activation with that
  // manifest version). NOT_FOUND when neither holds it; FAILED_PRECONDITION
  // when the stored files no longer load or compile (with diagnostics).
  absl::StatusOr<std::shared_ptr<const RuleSetVersion>> Find(
      const std::string& version_or_digest);

  // Loads and compiles candidate files (not cached). INVALID_ARGUMENT with
  // every diagnostic ("file:line:col: error: ...") when they do not.
  absl::StatusOr<std::shared_ptr<const RuleSetVersion>> LoadCandidate(
      std::vector<SourceFile> files) const;

 private:
  absl::StatusOr<std::string> DigestOfVersion(const std::string& version);

  const RuleSetRegistry* registry_;
  ledger::Ledger* ledger_;
  const FactTypes* types_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<const RuleSetVersion>>
      loaded_ ABSL_GUARDED_BY(mu_);
};

}  // namespace lantern

#endif  // LANTERN_SERVER_APP_AUDIT_RULESETS_H_
