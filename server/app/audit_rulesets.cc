// AuditRuleSets: registry first, then the cache, then the ledger's files
// loaded with the service's vocabulary and fact message and compiled.
#include "server/app/audit_rulesets.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "engine/build/ruleset_build.h"
#include "lantern/v1/episode.pb.h"
#include "server/app/assessment_proto.h"
#include "server/app/echo_value.h"

namespace lantern {

absl::StatusOr<std::shared_ptr<const RuleSetVersion>>
AuditRuleSets::LoadCandidate(std::vector<SourceFile> files) const {
  BuildOptions options;
  options.vocabulary = &AssessmentVocabulary();
  options.fact_message = v1::EpisodeFacts::descriptor()->full_name();
  RuleSetBuild build = BuildRuleSet(std::move(files), *types_, options);
  if (!build.ok() || build.diagnostics.has_errors()) {
    std::string text = build.diagnostics.ToString();
    if (text.empty()) text = "the ruleset did not load\n";
    return absl::InvalidArgumentError(absl::StrCat(
        "the ruleset does not load: ", absl::StripSuffix(text, "\n")));
  }
  auto version = std::make_shared<RuleSetVersion>();
  version->digest = std::move(build.digest);
  version->ruleset = std::move(build.ruleset);
  version->program = std::move(build.program);
  version->unknown_facts =
      std::make_shared<const UnknownFactsIndex>(*version->ruleset);
  return version;
}

absl::StatusOr<std::string> AuditRuleSets::DigestOfVersion(
    const std::string& version) {
  absl::StatusOr<std::vector<ledger::StoredActivation>> activations =
      ledger_->ListActivations();
  if (!activations.ok()) return activations.status();
  for (auto it = activations->rbegin(); it != activations->rend(); ++it) {
    if (it->record.ruleset_version() == version) {
      return it->record.ruleset_digest();
    }
  }
  return absl::NotFoundError(absl::StrCat(
      "no ruleset version ", EchoValue(version),
      " is held by the service or was ever activated in its ledger"));
}

absl::StatusOr<std::shared_ptr<const RuleSetVersion>> AuditRuleSets::Find(
    const std::string& version_or_digest) {
  if (version_or_digest.empty()) {
    return absl::InvalidArgumentError(
        "a ruleset version or digest is required");
  }
  if (auto held = registry_->Find(version_or_digest); held != nullptr) {
    return held;
  }
  std::string digest = version_or_digest;
  if (!absl::StartsWith(digest, "sha256:")) {
    absl::StatusOr<std::string> d = DigestOfVersion(version_or_digest);
    if (!d.ok()) return d.status();
    digest = *std::move(d);
    if (auto held = registry_->Find(digest); held != nullptr) return held;
  }
  {
    absl::MutexLock lock(&mu_);
    auto it = loaded_.find(digest);
    if (it != loaded_.end()) return it->second;
  }
  absl::StatusOr<std::vector<SourceFile>> files =
      ledger_->GetRuleSetFiles(digest);
  if (!files.ok()) {
    if (files.status().code() != absl::StatusCode::kNotFound) {
      return files.status();
    }
    return absl::NotFoundError(
        absl::StrCat("no ruleset ", EchoValue(digest),
                     " is held by the service or its ledger"));
  }
  absl::StatusOr<std::shared_ptr<const RuleSetVersion>> version =
      LoadCandidate(*std::move(files));
  if (!version.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the ledger's copy of ", digest, ": ", version.status().message()));
  }
  absl::MutexLock lock(&mu_);
  return loaded_.emplace(digest, *std::move(version)).first->second;
}

}  // namespace lantern
