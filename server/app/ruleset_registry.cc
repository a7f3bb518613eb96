// RuleSetRegistry: entry points Validate, Activate, ActivateDirectory,
// Hold, Reactivate, Active, Find, List. Candidates are built with no lock held
// (loading, compiling and testing can take a while); the lock guards only
// the pointer swap and the history.
#include "server/app/ruleset_registry.h"

#include <type_traits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/decide/assess.h"
#include "server/app/echo_value.h"

namespace lantern {

namespace {

// Why a candidate failed, for the record: its first errors and failed
// tests, each line bounded, and how many more there were.
std::vector<std::string> RejectionReasons(const Candidate& candidate) {
  constexpr size_t kMaxReasons = 10;
  constexpr size_t kMaxLine = 512;
  std::vector<std::string> all;
  for (const Diagnostic& d : candidate.diagnostics.list()) {
    if (d.severity == Severity::kError) all.push_back(d.ToString());
  }
  for (const RuleTestFailure& f : candidate.tests.failures) {
    all.push_back(absl::StrCat(f.location.file, ":", f.location.line,
                               ": test failed: ", f.name));
  }
  for (const std::string& refusal : candidate.refusals) {
    all.push_back(absl::StrCat("analysis: ", refusal));
  }
  std::vector<std::string> reasons;
  for (const std::string& line : all) {
    if (reasons.size() == kMaxReasons) {
      reasons.push_back(
          absl::StrCat("... and ", all.size() - kMaxReasons, " more"));
      break;
    }
    reasons.push_back(ValidUtf8(Utf8Prefix(line, kMaxLine)));
  }
  if (reasons.empty()) reasons.push_back("the candidate did not pass");
  return reasons;
}

}  // namespace

// Builds a candidate with the engine's factory (engine/build/ruleset_build.h)
// and runs its own tests through the compiled program; it passes when it
// built cleanly, every one of its test cases passed and (with `gate`) the
// gate does not refuse it.
Candidate RuleSetRegistry::Evaluate(RuleSetBuild build, bool gate) const {
  Candidate candidate;
  candidate.digest = std::move(build.digest);
  candidate.diagnostics = std::move(build.diagnostics);
  if (!build.ok()) return candidate;
  candidate.tests = RunRuleTests(*build.program);
  if (candidate.tests.failed > 0) return candidate;
  auto version = std::make_shared<RuleSetVersion>();
  version->digest = candidate.digest;
  version->ruleset = std::move(build.ruleset);
  version->program = std::move(build.program);
  version->tests_passed = candidate.tests.passed;
  version->unknown_facts =
      std::make_shared<const UnknownFactsIndex>(*version->ruleset);
  if (gate && gate_) {
    GateVerdict verdict = gate_(*version);
    candidate.analysis = std::move(verdict.analysis);
    candidate.refusals = std::move(verdict.refusals);
    if (!candidate.refusals.empty()) return candidate;
  }
  candidate.version = std::move(version);
  return candidate;
}

BuildOptions RuleSetRegistry::Options(const std::string& display_dir) const {
  BuildOptions options;
  options.display_dir = display_dir;
  options.vocabulary = vocabulary_;
  options.fact_message = fact_message_;
  return options;
}

Candidate RuleSetRegistry::Validate(std::vector<SourceFile> files,
                                    const std::string& display_dir) const {
  return Evaluate(BuildRuleSet(std::move(files), *types_, Options(display_dir)),
                  /*gate=*/true);
}

template <typename T>
T RuleSetRegistry::Report(T result, absl::string_view activated_by) const {
  if (!after_activation_) return result;
  ActivationOutcome outcome = ActivationOutcome::kActivated;
  if (!result.ok()) {
    outcome = ActivationOutcome::kFailed;
  } else if constexpr (std::is_same_v<T, absl::StatusOr<Candidate>>) {
    if (!result->passed()) outcome = ActivationOutcome::kRejected;
  }
  after_activation_(activated_by, outcome);
  return result;
}

absl::StatusOr<Candidate> RuleSetRegistry::Activate(
    std::vector<SourceFile> files, const std::string& display_dir,
    absl::string_view activated_by) {
  return Report(Install(Validate(std::move(files), display_dir), activated_by),
                activated_by);
}

absl::StatusOr<Candidate> RuleSetRegistry::ActivateDirectory(
    const std::string& dir, absl::string_view activated_by) {
  absl::StatusOr<RuleSetBuild> build =
      BuildRuleSetDirectory(dir, *types_, Options(""));
  if (!build.ok()) {
    const absl::Status unreadable = absl::FailedPreconditionError(absl::StrCat(
        "cannot read the rules directory: ", build.status().message()));
    absl::Status recorded;
    {
      absl::MutexLock activating(&activate_mu_);
      recorded =
          Reject({"", {std::string(unreadable.message())}}, activated_by);
    }
    return Report(
        absl::StatusOr<Candidate>(recorded.ok() ? unreadable : recorded),
        activated_by);
  }
  return Report(
      Install(Evaluate(*std::move(build), /*gate=*/true), activated_by),
      activated_by);
}

Candidate RuleSetRegistry::Hold(std::vector<SourceFile> files,
                                const std::string& display_dir) {
  Candidate candidate =
      Evaluate(BuildRuleSet(std::move(files), *types_, Options(display_dir)),
               /*gate=*/false);
  if (!candidate.passed()) return candidate;
  absl::MutexLock lock(&mu_);
  candidate.version = Keep(std::move(candidate.version));
  return candidate;
}

absl::StatusOr<std::shared_ptr<const RuleSetVersion>>
RuleSetRegistry::Reactivate(absl::string_view version_or_digest,
                            absl::string_view activated_by) {
  return Report(ReactivateUnreported(version_or_digest, activated_by),
                activated_by);
}

absl::StatusOr<std::shared_ptr<const RuleSetVersion>>
RuleSetRegistry::ReactivateUnreported(absl::string_view version_or_digest,
                                      absl::string_view activated_by) {
  std::shared_ptr<const RuleSetVersion> version = Find(version_or_digest);
  absl::MutexLock activating(&activate_mu_);
  if (version == nullptr) {
    const absl::Status not_found = absl::NotFoundError(absl::StrCat(
        "no ruleset version ", EchoValue(version_or_digest), " is held"));
    absl::Status recorded =
        Reject({"", {std::string(not_found.message())}}, activated_by);
    return recorded.ok() ? not_found : recorded;
  }
  if (before_activate_) {
    if (absl::Status s = before_activate_(*version, activated_by); !s.ok()) {
      return s;
    }
  }
  absl::MutexLock lock(&mu_);
  active_ = version;
  return version;
}

absl::StatusOr<std::shared_ptr<const RuleSetVersion>>
RuleSetRegistry::ActivateVersion(std::shared_ptr<const RuleSetVersion> version,
                                 absl::string_view activated_by) {
  Candidate candidate;
  candidate.digest = version->digest;
  candidate.version = std::move(version);
  absl::StatusOr<Candidate> installed =
      Report(Install(std::move(candidate), activated_by), activated_by);
  if (!installed.ok()) return installed.status();
  return installed->version;
}

absl::Status RuleSetRegistry::Refuse(const Rejection& rejection,
                                     absl::string_view activated_by) {
  absl::Status recorded;
  {
    absl::MutexLock activating(&activate_mu_);
    recorded = Reject(rejection, activated_by);
  }
  if (after_activation_) {
    after_activation_(activated_by, ActivationOutcome::kRejected);
  }
  return recorded;
}

absl::Status RuleSetRegistry::Reject(const Rejection& rejection,
                                     absl::string_view activated_by) {
  if (!on_rejected_) return absl::OkStatus();
  return on_rejected_(rejection, activated_by);
}

std::shared_ptr<const RuleSetVersion> RuleSetRegistry::Keep(
    std::shared_ptr<const RuleSetVersion> version) {
  // The same files again keep their first version object, so pinned
  // readers and the history see one entry per digest.
  for (const auto& held : history_) {
    if (held->digest == version->digest) return held;
  }
  history_.push_back(version);
  return version;
}

absl::StatusOr<Candidate> RuleSetRegistry::Install(
    Candidate candidate, absl::string_view activated_by) {
  absl::MutexLock activating(&activate_mu_);
  if (!candidate.passed()) {
    absl::Status recorded =
        Reject({candidate.digest, RejectionReasons(candidate)}, activated_by);
    if (!recorded.ok()) return recorded;
    return candidate;
  }
  if (before_activate_) {
    if (absl::Status s = before_activate_(*candidate.version, activated_by);
        !s.ok()) {
      return s;
    }
  }
  absl::MutexLock lock(&mu_);
  candidate.version = Keep(std::move(candidate.version));
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
