// ActivationLedger: Restore reads the ledger's activations and holds each
// distinct digest once; Record appends an ActivationRecord with the
// version's files, RecordRejected one marked REJECTED without files.
#include "server/app/activation_ledger.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"

namespace lantern {

absl::StatusOr<std::vector<std::string>> ActivationLedger::Restore(
    RuleSetRegistry& registry) {
  absl::StatusOr<std::vector<ledger::StoredActivation>> activations =
      ledger_->ListActivations();
  if (!activations.ok()) return activations.status();
  std::vector<std::string> problems;
  absl::flat_hash_set<std::string> seen;
  for (const ledger::StoredActivation& a : *activations) {
    const std::string& digest = a.record.ruleset_digest();
    if (!seen.insert(digest).second) continue;
    absl::StatusOr<std::vector<SourceFile>> files =
        ledger_->GetRuleSetFiles(digest);
    if (!files.ok()) {
      problems.push_back(absl::StrCat(
          digest, ": files not in the ledger: ", files.status().message()));
      continue;
    }
    const std::string display = absl::StrCat("ledger:", digest);
    Candidate held = registry.Hold(*std::move(files), display);
    if (!held.passed()) {
      problems.push_back(absl::StrCat(
          digest, " (", a.record.ruleset_id(), " ", a.record.ruleset_version(),
          "): no longer loads or passes its own tests under this engine (",
          held.diagnostics.error_count(), " errors, ", held.tests.failed,
          " failed tests); not held"));
    }
  }
  absl::MutexLock lock(&mu_);
  if (!activations->empty()) {
    last_digest_ = activations->back().record.ruleset_digest();
  }
  return problems;
}

absl::Status ActivationLedger::Record(const RuleSetVersion& next,
                                      absl::string_view activated_by) {
  absl::MutexLock lock(&mu_);
  if (activated_by == kFollowed) {  // recorded by another replica
    last_digest_ = next.digest;
    return absl::OkStatus();
  }
  // A restart on unchanged files is not an activation anyone asked for;
  // every request (RuleSets.Activate, SIGHUP) is recorded, even of the
  // version already active.
  if (activated_by == kStartup && next.digest == last_digest_) {
    return absl::OkStatus();
  }
  v1::ActivationRecord record;
  record.set_ruleset_digest(next.digest);
  record.set_ruleset_id(next.ruleset->manifest.id);
  record.set_ruleset_version(next.ruleset->manifest.version);
  *record.mutable_activated_at() =
      google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(
          absl::ToUnixMicros(clock_()));
  record.set_activated_by(std::string(activated_by));
  record.set_previous_digest(last_digest_);
  if (auto it = proposed_by_.find(next.digest); it != proposed_by_.end()) {
    record.set_proposed_by(it->second);
  }
  absl::StatusOr<uint64_t> appended =
      ledger_->AppendActivation(std::move(record), next.ruleset->files);
  if (!appended.ok()) {
    return absl::UnavailableError(
        absl::StrCat("the activation of ", next.digest,
                     " could not be recorded in the ledger, so it was not "
                     "made: ",
                     appended.status().message()));
  }
  last_digest_ = next.digest;
  return absl::OkStatus();
}

absl::Status ActivationLedger::RecordProposal(
    const RuleSetVersion& candidate, absl::string_view proposed_by,
    const std::vector<std::string>& differences) {
  absl::MutexLock lock(&mu_);
  v1::ActivationRecord record;
  record.set_outcome(v1::ActivationRecord::PROPOSED);
  record.set_ruleset_digest(candidate.digest);
  record.set_ruleset_id(candidate.ruleset->manifest.id);
  record.set_ruleset_version(candidate.ruleset->manifest.version);
  *record.mutable_activated_at() =
      google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(
          absl::ToUnixMicros(clock_()));
  record.set_activated_by(std::string(proposed_by));
  record.set_previous_digest(last_digest_);
  for (const std::string& d : differences) record.add_reasons(d);
  absl::StatusOr<uint64_t> appended =
      ledger_->AppendActivation(std::move(record), candidate.ruleset->files);
  if (!appended.ok()) {
    return absl::UnavailableError(absl::StrCat(
        "the proposal of ", candidate.digest,
        " could not be recorded in the ledger: ", appended.status().message()));
  }
  proposed_by_[candidate.digest] = std::string(proposed_by);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<ActivationLedger::PendingProposal>>
ActivationLedger::PendingProposals() {
  absl::StatusOr<std::vector<ledger::StoredActivation>> all =
      ledger_->ListActivations(/*include_rejected=*/true);
  if (!all.ok()) return all.status();
  std::vector<std::pair<std::string, std::string>> pending;  // digest, by
  for (const ledger::StoredActivation& a : *all) {
    const std::string& digest = a.record.ruleset_digest();
    const auto outcome = a.record.outcome();
    if (outcome != v1::ActivationRecord::PROPOSED &&
        outcome != v1::ActivationRecord::ACTIVATED) {
      continue;
    }
    pending.erase(
        std::remove_if(pending.begin(), pending.end(),
                       [&](const auto& p) { return p.first == digest; }),
        pending.end());
    if (outcome == v1::ActivationRecord::PROPOSED) {
      pending.emplace_back(digest, a.record.activated_by());
    }
  }
  std::vector<PendingProposal> out;
  for (auto& [digest, by] : pending) {
    absl::StatusOr<std::vector<SourceFile>> files =
        ledger_->GetRuleSetFiles(digest);
    if (!files.ok()) {
      return absl::Status(files.status().code(),
                          absl::StrCat("the files of proposal ", digest, ": ",
                                       files.status().message()));
    }
    out.push_back({digest, by, *std::move(files)});
  }
  absl::MutexLock lock(&mu_);
  for (const PendingProposal& p : out) proposed_by_[p.digest] = p.proposed_by;
  return out;
}

absl::Status ActivationLedger::Follow(RuleSetRegistry& registry) {
  absl::MutexLock follow_lock(&follow_mu_);
  absl::StatusOr<std::vector<ledger::StoredActivation>> activations =
      ledger_->ListActivations();
  if (!activations.ok()) return activations.status();
  if (activations->empty()) return absl::OkStatus();
  const ledger::StoredActivation& latest = activations->back();
  const std::string& digest = latest.record.ruleset_digest();
  if (latest.leaf_index == followed_leaf_ && !follow_failure_.ok()) {
    return follow_failure_;
  }
  followed_leaf_ = latest.leaf_index;
  follow_failure_ = absl::OkStatus();
  std::shared_ptr<const RuleSetVersion> active = registry.Active();
  if (active != nullptr && active->digest == digest) return absl::OkStatus();
  if (registry.Find(digest) == nullptr) {
    absl::StatusOr<std::vector<SourceFile>> files =
        ledger_->GetRuleSetFiles(digest);
    if (absl::IsUnavailable(files.status())) {
      followed_leaf_ = UINT64_MAX;  // the ledger is away: try again later
      return files.status();
    }
    if (!files.ok()) {
      follow_failure_ = absl::FailedPreconditionError(absl::StrCat(
          "ruleset ", digest, " activated by ", latest.record.activated_by(),
          " has no files in the ledger: ", files.status().message()));
      return follow_failure_;
    }
    Candidate held =
        registry.Hold(*std::move(files), absl::StrCat("ledger:", digest));
    if (!held.passed()) {
      follow_failure_ = absl::FailedPreconditionError(
          absl::StrCat("ruleset ", digest, " (", latest.record.ruleset_id(),
                       " ", latest.record.ruleset_version(), "), activated by ",
                       latest.record.activated_by(),
                       ", does not load or pass its tests here (",
                       held.diagnostics.error_count(), " errors, ",
                       held.tests.failed, " failed tests)"));
      return follow_failure_;
    }
  }
  absl::StatusOr<std::shared_ptr<const RuleSetVersion>> made =
      registry.Reactivate(digest, kFollowed);
  if (!made.ok()) {
    follow_failure_ = made.status();
    return follow_failure_;
  }
  return absl::OkStatus();
}

absl::Status ActivationLedger::RecordRejected(
    const RuleSetRegistry::Rejection& rejection,
    absl::string_view activated_by) {
  absl::MutexLock lock(&mu_);
  v1::ActivationRecord record;
  record.set_outcome(v1::ActivationRecord::REJECTED);
  record.set_ruleset_digest(rejection.digest);
  *record.mutable_activated_at() =
      google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(
          absl::ToUnixMicros(clock_()));
  record.set_activated_by(std::string(activated_by));
  record.set_previous_digest(last_digest_);
  for (const std::string& reason : rejection.reasons) {
    record.add_reasons(reason);
  }
  absl::StatusOr<uint64_t> appended =
      ledger_->AppendActivation(std::move(record), {});
  if (!appended.ok()) {
    return absl::UnavailableError(
        absl::StrCat("the rejected activation could not be recorded in the "
                     "ledger: ",
                     appended.status().message()));
  }
  return absl::OkStatus();
}

}  // namespace lantern
