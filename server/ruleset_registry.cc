// RuleSetRegistry: entry points Validate, Activate, ActivateDirectory,
// Active, Find, List. Candidates are built with no lock held (loading and
// testing can take a while); the lock guards only the pointer swap and the
// history.
#include "server/ruleset_registry.h"

#include <utility>

#include "engine/loader.h"
#include "server/ruleset_digest.h"

namespace lantern {

namespace {

// Tests a loaded candidate; it passes when it loaded cleanly and every one
// of its own test cases passed.
Candidate Evaluate(LoadResult loaded) {
  Candidate candidate;
  candidate.diagnostics = std::move(loaded.diagnostics);
  if (loaded.ruleset == nullptr) return candidate;
  candidate.tests = RunRuleTests(*loaded.ruleset);
  if (candidate.tests.failed > 0) return candidate;
  auto version = std::make_shared<RuleSetVersion>();
  version->digest = RulesetDigest(loaded.ruleset->files);
  version->ruleset = std::move(loaded.ruleset);
  candidate.version = std::move(version);
  return candidate;
}

}  // namespace

Candidate RuleSetRegistry::Validate(std::vector<SourceFile> files,
                                    const std::string& display_dir) const {
  return Evaluate(LoadRuleSetFromFiles(std::move(files), *types_, display_dir));
}

Candidate RuleSetRegistry::Activate(std::vector<SourceFile> files,
                                    const std::string& display_dir) {
  return Install(Validate(std::move(files), display_dir));
}

absl::StatusOr<Candidate> RuleSetRegistry::ActivateDirectory(
    const std::string& dir) {
  absl::StatusOr<LoadResult> loaded = LoadRuleSet(dir, *types_);
  if (!loaded.ok()) return loaded.status();
  return Install(Evaluate(*std::move(loaded)));
}

Candidate RuleSetRegistry::Install(Candidate candidate) {
  if (!candidate.passed()) return candidate;
  absl::MutexLock lock(&mu_);
  // The same files again keep their first version object, so pinned
  // readers and the history see one entry per digest.
  bool known = false;
  for (const auto& version : history_) {
    if (version->digest != candidate.version->digest) continue;
    candidate.version = version;
    known = true;
  }
  if (!known) history_.push_back(candidate.version);
  active_ = candidate.version;
  return candidate;
}

std::shared_ptr<const RuleSetVersion> RuleSetRegistry::Active() const {
  absl::MutexLock lock(&mu_);
  return active_;
}

std::shared_ptr<const RuleSetVersion> RuleSetRegistry::Find(
    absl::string_view version_or_digest) const {
  absl::MutexLock lock(&mu_);
  for (auto it = history_.rbegin(); it != history_.rend(); ++it) {
    if ((*it)->digest == version_or_digest ||
        (*it)->ruleset->manifest.version == version_or_digest) {
      return *it;
    }
  }
  return nullptr;
}

std::vector<std::shared_ptr<const RuleSetVersion>> RuleSetRegistry::List()
    const {
  absl::MutexLock lock(&mu_);
  return history_;
}

}  // namespace lantern
