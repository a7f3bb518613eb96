// RuleSetRegistry: the ruleset versions a server can evaluate with, and the
// one that is active.
//
// A version is immutable once made: the loaded, checked RuleSet, the
// program compiled from it for the matcher, and the digest of its exact
// files. Activation makes a candidate aside — load, check, compile, run the
// ruleset's own tests through the compiled program (the same code path that
// will answer requests) — and only if all of that passes does
// it swap the active pointer; otherwise it returns every diagnostic and
// failing case and the previous version keeps serving. Every version that
// was ever active stays available by version name or digest, so callers
// that pin one keep getting answers from it.
//
// Before a version becomes active, the registry calls its BeforeActivate
// hook (the server records the activation and the ruleset's files in the
// audit ledger there); if the hook fails, nothing changes and its error is
// returned. An activation that does not happen (a failing candidate, an
// unknown version, an unreadable directory) goes to the OnRejected hook
// (recorded in the ledger too). Versions restored from the ledger at
// startup are held without being activated (Hold).
//
// Thread-safety: all methods may be called concurrently. Readers copy a
// shared_ptr under a short lock and then evaluate without it; a version
// they hold stays alive however often the active one changes. Activations
// are serialised with each other (the hook runs under their own lock, not
// the readers').
#ifndef LANTERN_SERVER_APP_RULESET_REGISTRY_H_
#define LANTERN_SERVER_APP_RULESET_REGISTRY_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "engine/analyze/analyzer.h"
#include "engine/build/ruleset_build.h"
#include "engine/decide/rule_test_runner.h"
#include "engine/facts/fact_types.h"
#include "engine/match/program.h"
#include "engine/ruleset/loader.h"
#include "engine/ruleset/ruleset.h"
#include "server/app/assessment_proto.h"

namespace lantern {

struct RuleSetVersion {
  std::shared_ptr<const RuleSet> ruleset;
  std::shared_ptr<const CompiledRuleSet> program;  // compiled from `ruleset`
  std::string digest;    // "sha256:..." of the exact files (ruleset_digest.h)
  int tests_passed = 0;  // its own test cases, all of which passed
  // What its answers' unknown facts can decide (AssessmentToProto).
  std::shared_ptr<const UnknownFactsIndex> unknown_facts;
};

// What the activation gate (RuleSetRegistry::set_gate) made of a candidate
// that built and passed its own tests.
struct GateVerdict {
  std::shared_ptr<const AnalysisReport> analysis;  // null: not analysed
  // Why the candidate may not become active, one line each; empty: it may.
  std::vector<std::string> refusals;
};

// What a candidate came to: diagnostics and test results, the gate's
// analysis, and the version when it passed. `digest` is the candidate's
// files' digest: always set by Validate and Activate, which are given the
// files; set by ActivateDirectory only when the candidate loaded.
struct Candidate {
  std::string digest;
  std::shared_ptr<const RuleSetVersion> version;  // null unless it passed
  Diagnostics diagnostics;
  RuleTestReport tests;
  // The gate's verdict (GateVerdict); a candidate with refusals did not
  // pass.
  std::shared_ptr<const AnalysisReport> analysis;
  std::vector<std::string> refusals;

  bool passed() const { return version != nullptr; }
};

class RuleSetRegistry {
 public:
  // Called with the version about to become active and who asked for it
  // (free text: "startup", "SIGHUP", a peer); an error cancels.
  using BeforeActivate = std::function<absl::Status(
      const RuleSetVersion& next, absl::string_view activated_by)>;

  // REQUIRES: `types` (and `vocabulary`, when given) outlive the registry.
  // Candidates are loaded with `vocabulary` (engine/ruleset/loader.h), so a
  // server passes the names its answer can express. With `fact_message`, a
  // candidate whose manifest names another fact message fails (an error
  // at manifest.yaml), since the server could answer no request with it.
  explicit RuleSetRegistry(const FactTypes* types,
                           const PolicyVocabulary* vocabulary = nullptr,
                           std::string fact_message = "")
      : types_(types),
        vocabulary_(vocabulary),
        fact_message_(std::move(fact_message)) {}

  // An activation asked for that did not happen: the candidate's digest
  // when it is known (Candidate::digest), and why, one line each (its first
  // errors and failed tests, bounded; or the request's problem).
  struct Rejection {
    std::string digest;
    std::vector<std::string> reasons;
  };
  // Called with each rejected activation and who asked for it; an error
  // is returned to the caller instead of the rejection.
  using OnRejected = std::function<absl::Status(
      const Rejection& rejection, absl::string_view activated_by)>;

  // REQUIRES: before the first activation.
  void set_before_activate(BeforeActivate hook) {
    before_activate_ = std::move(hook);
  }
  // REQUIRES: before the first activation.
  void set_on_rejected(OnRejected hook) { on_rejected_ = std::move(hook); }

  // Called (concurrently, with no registry lock held) on every candidate
  // that built and passed its own tests, in Validate, Activate and
  // ActivateDirectory (not Hold, not Reactivate of a held version); a
  // verdict with refusals fails the candidate like a failing test.
  using Gate = std::function<GateVerdict(const RuleSetVersion& candidate)>;
  // REQUIRES: before the first Validate or activation.
  void set_gate(Gate gate) { gate_ = std::move(gate); }

  // What an activation attempt (ActivateDirectory, Activate, Reactivate)
  // came to: made active; rejected (the candidate failed its checks or
  // tests); failed (unreadable directory, unknown version, or the
  // BeforeActivate hook's error).
  enum class ActivationOutcome { kActivated, kRejected, kFailed };
  // Called after every activation attempt, on the attempting thread, with
  // who asked and the outcome. REQUIRES: before the first activation.
  using AfterActivation = std::function<void(absl::string_view activated_by,
                                             ActivationOutcome outcome)>;
  void set_after_activation(AfterActivation hook) {
    after_activation_ = std::move(hook);
  }

  // Loads, checks and tests `files` without activating them.
  Candidate Validate(std::vector<SourceFile> files,
                     const std::string& display_dir) const;

  // Validate, then (if it passed) make it the active version. A status
  // error when `dir` cannot be read (FAILED_PRECONDITION) or a hook fails
  // (its error); a failing candidate is returned with its diagnostics and
  // changes nothing. Every outcome goes to a hook: BeforeActivate before a
  // version becomes active, OnRejected for a failing candidate or an
  // unreadable directory (Activate and Reactivate alike).
  absl::StatusOr<Candidate> ActivateDirectory(
      const std::string& dir, absl::string_view activated_by = "");

  // Validate `files`, then make them active if they passed. A status error
  // only when the BeforeActivate hook fails.
  absl::StatusOr<Candidate> Activate(std::vector<SourceFile> files,
                                     const std::string& display_dir,
                                     absl::string_view activated_by = "");

  // Makes a version the registry already holds (by version or digest)
  // active again. NOT_FOUND when it holds none such; the hook's error if it
  // fails.
  absl::StatusOr<std::shared_ptr<const RuleSetVersion>> Reactivate(
      absl::string_view version_or_digest, absl::string_view activated_by = "");

  // Makes `version` (a candidate that passed, e.g. a proposal's) active:
  // the BeforeActivate hook, then the swap. The hook's error if it fails.
  absl::StatusOr<std::shared_ptr<const RuleSetVersion>> ActivateVersion(
      std::shared_ptr<const RuleSetVersion> version,
      absl::string_view activated_by);

  // Records an activation refused outside the registry (the two-person
  // rule): the OnRejected hook and the after-activation report. Returns
  // the hook's error, else OK.
  absl::Status Refuse(const Rejection& rejection,
                      absl::string_view activated_by);

  // Validate `files` and, if they pass, hold them as a version (pinnable,
  // listed) without activating them or calling the hook: a ruleset that
  // was active before a restart.
  Candidate Hold(std::vector<SourceFile> files, const std::string& display_dir);

  // Null when nothing was ever activated.
  std::shared_ptr<const RuleSetVersion> Active() const;

  // A version by its manifest version string or its digest; null if none.
  // When one manifest version was activated with different files, the most
  // recently activated one is returned (its digest tells them apart).
  std::shared_ptr<const RuleSetVersion> Find(
      absl::string_view version_or_digest) const;

  // Every version ever active, oldest first.
  std::vector<std::shared_ptr<const RuleSetVersion>> List() const;

 private:
  // Reactivate without telling after_activation_.
  absl::StatusOr<std::shared_ptr<const RuleSetVersion>> ReactivateUnreported(
      absl::string_view version_or_digest, absl::string_view activated_by);
  // Makes a passed candidate the active version (no-op otherwise).
  absl::StatusOr<Candidate> Install(Candidate candidate,
                                    absl::string_view activated_by);
  // The held version with `version`'s digest, or `version` newly added to
  // the history.
  std::shared_ptr<const RuleSetVersion> Keep(
      std::shared_ptr<const RuleSetVersion> version)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // `gate`: ask gate_ (if set) about a candidate that passed its tests.
  Candidate Evaluate(RuleSetBuild build, bool gate) const;
  BuildOptions Options(const std::string& display_dir) const;
  // Calls the OnRejected hook, if any.
  absl::Status Reject(const Rejection& rejection,
                      absl::string_view activated_by)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(activate_mu_);

  const FactTypes* types_;
  const PolicyVocabulary* vocabulary_;
  const std::string fact_message_;
  BeforeActivate before_activate_;
  AfterActivation after_activation_;
  // Tells after_activation_ what `result` came to; returns `result`.
  template <typename T>
  T Report(T result, absl::string_view activated_by) const;
  OnRejected on_rejected_;
  Gate gate_;
  // Serialises activations (hook and swap); taken before mu_.
  absl::Mutex activate_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  mutable absl::Mutex mu_;
  std::shared_ptr<const RuleSetVersion> active_ ABSL_GUARDED_BY(mu_);
  std::vector<std::shared_ptr<const RuleSetVersion>> history_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace lantern

#endif  // LANTERN_SERVER_APP_RULESET_REGISTRY_H_
