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
// Thread-safety: all methods may be called concurrently. Readers copy a
// shared_ptr under a short lock and then evaluate without it; a version
// they hold stays alive however often the active one changes.
#ifndef LANTERN_SERVER_RULESET_REGISTRY_H_
#define LANTERN_SERVER_RULESET_REGISTRY_H_

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "engine/fact_types.h"
#include "engine/loader.h"
#include "engine/program.h"
#include "engine/rule_test_runner.h"
#include "engine/ruleset.h"

namespace lantern {

struct RuleSetVersion {
  std::shared_ptr<const RuleSet> ruleset;
  std::shared_ptr<const CompiledRuleSet> program;  // compiled from `ruleset`
  std::string digest;    // "sha256:..." of the exact files (ruleset_digest.h)
  int tests_passed = 0;  // its own test cases, all of which passed
};

// What a candidate came to: diagnostics and test results, and the version
// when it passed. `digest` is the candidate's files' digest: always set by
// Validate and Activate, which are given the files; set by
// ActivateDirectory only when the candidate loaded.
struct Candidate {
  std::string digest;
  std::shared_ptr<const RuleSetVersion> version;  // null unless it passed
  Diagnostics diagnostics;
  RuleTestReport tests;

  bool passed() const { return version != nullptr; }
};

class RuleSetRegistry {
 public:
  // REQUIRES: `types` (and `vocabulary`, when given) outlive the registry.
  // Candidates are loaded with `vocabulary` (engine/loader.h), so a server
  // passes the names its answer can express. With `fact_message`, a
  // candidate whose manifest names another fact message fails (an error
  // at manifest.yaml), since the server could answer no request with it.
  explicit RuleSetRegistry(const FactTypes* types,
                           const PolicyVocabulary* vocabulary = nullptr,
                           std::string fact_message = "")
      : types_(types),
        vocabulary_(vocabulary),
        fact_message_(std::move(fact_message)) {}

  // Loads, checks and tests `files` without activating them.
  Candidate Validate(std::vector<SourceFile> files,
                     const std::string& display_dir) const;

  // Validate, then (if it passed) make it the active version. A status
  // error only when `dir` cannot be read; a failing candidate is returned
  // with its diagnostics and changes nothing.
  absl::StatusOr<Candidate> ActivateDirectory(const std::string& dir);

  // Validate `files`, then make them active if they passed.
  Candidate Activate(std::vector<SourceFile> files,
                     const std::string& display_dir);

  // Makes a version the registry already holds (by version or digest)
  // active again. NOT_FOUND when it holds none such.
  absl::StatusOr<std::shared_ptr<const RuleSetVersion>> Reactivate(
      absl::string_view version_or_digest);

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
  // Makes a passed candidate the active version (no-op otherwise).
  Candidate Install(Candidate candidate);

  Candidate Evaluate(LoadResult loaded, std::string digest) const;

  const FactTypes* types_;
  const PolicyVocabulary* vocabulary_;
  const std::string fact_message_;
  mutable absl::Mutex mu_;
  std::shared_ptr<const RuleSetVersion> active_ ABSL_GUARDED_BY(mu_);
  std::vector<std::shared_ptr<const RuleSetVersion>> history_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace lantern

#endif  // LANTERN_SERVER_RULESET_REGISTRY_H_
