// The solver's analysis of a ruleset as the server and `lantern analyze`
// run it: the domains a valid request allows (EpisodeDomain), facts decoded
// as a request's (AnalysisDecoder), and the activation gate
// (ActivationAnalysis) that refuses a candidate with a rule that can never
// fire or an invariant not PROVEN.
#ifndef LANTERN_SERVER_APP_RULESET_ANALYSIS_H_
#define LANTERN_SERVER_APP_RULESET_ANALYSIS_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "engine/analyze/analyzer.h"
#include "engine/facts/fact_types.h"
#include "engine/ruleset/ruleset.h"
#include "server/app/ruleset_registry.h"

namespace lantern {

// What the service's validation allows (server/app/facts_validation.h) for
// lantern.v1.EpisodeFacts, as the analysis's domain, so that its episodes
// are valid requests.
AnalysisDomain EpisodeDomain();

// Facts as a request's: for lantern.v1.EpisodeFacts through the service's
// validation; otherwise `types`' decoding. REQUIRES: `ruleset` and `types`
// outlive the decoder.
FactsDecoder AnalysisDecoder(const RuleSet& ruleset, const FactTypes& types);

// The options `lantern analyze` and the gate use for `ruleset` at `as_of`:
// EpisodeDomain for lantern.v1.EpisodeFacts.
AnalysisOptions AnalysisOptionsFor(const RuleSet& ruleset, absl::Time as_of);

// Why `report` refuses activation, one line each: every rule that can
// never fire (with where and its conflicting conditions) and every
// invariant not PROVEN (with the counterexample when the engine confirmed
// one). Empty: it does not.
std::vector<std::string> AnalysisRefusals(const AnalysisReport& report);

// The activation gate (RuleSetRegistry::set_gate): analyses a candidate at
// the clock's time, without per-rule witnesses and without the shadowed-
// rule queries (the gate needs only what can never fire, what no answer
// produces and the invariants; those two would more than double the cost
// of every server start: `lantern analyze` reports them), and keeps
// each analysis by digest for the life of the process, so the same files
// activated again (SIGHUP, a rollback, Validate then Activate) cost no
// solver time; the analysis of a digest is therefore the one made at its
// first time.
//
// Thread-safety: Analyze may be called concurrently; two first calls for
// one digest may both analyse.
class ActivationAnalysis {
 public:
  // REQUIRES: `types` outlives this.
  ActivationAnalysis(const FactTypes* types, std::function<absl::Time()> clock)
      : types_(types), clock_(std::move(clock)) {}

  GateVerdict Analyze(const RuleSetVersion& candidate);

  // `lantern diff` of `active` and `candidate` at the clock's time.
  absl::StatusOr<DiffReport> Diff(const RuleSetVersion& active,
                                  const RuleSetVersion& candidate) const;

  // Calls of Analyze answered from the cache.
  int64_t cache_hits() const;

 private:
  const FactTypes* types_;
  std::function<absl::Time()> clock_;
  mutable absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<const AnalysisReport>> cache_
      ABSL_GUARDED_BY(mu_);
  int64_t hits_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace lantern

#endif  // LANTERN_SERVER_APP_RULESET_ANALYSIS_H_
