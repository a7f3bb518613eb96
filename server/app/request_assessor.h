// RequestAssessor: one AssessRequest → one lantern.v1.Assessment. The work
// both RiskAssessment RPCs share, with no gRPC in it, so it is tested and
// reused without a server.
//
// The ruleset is the active version, or the pinned one
// (AssessRequest.ruleset_version, a manifest version or a digest); the
// version is taken once per request, so an answer never mixes two versions
// however activation races with it, and it names that version's digest. The
// request is validated before anything is evaluated (facts_validation.h);
// evaluation is the optimised matcher (engine/match/matcher.h).
//
// With an episode index (episode_index.h), the facts Lantern derives from
// it as of the request's as_of are set as the facts' `derived` before
// evaluation and returned in the answer's `derived` (after the index's
// Sync, for a request with a child reference); a request that sends
// `facts.derived` itself is refused.
//
// Errors (absl codes; status_map.h carries them to gRPC):
//   INVALID_ARGUMENT     bad facts or as_of, naming every bad field path;
//                        facts.derived sent by the caller
//   NOT_FOUND            an unknown pinned version
//   FAILED_PRECONDITION  nothing active; the ruleset assesses another fact
//                        message; as_of outside the ruleset's effective dates
//   UNAVAILABLE          the episode index cannot read the ledger's latest
//                        decisions (Sync)
//   INTERNAL             anything else (a bug)
//
// Thread-safety: Assess may be called from many threads at once; it reads
// the registry (which is thread-safe) and a counter for decision ids.
#ifndef LANTERN_SERVER_APP_REQUEST_ASSESSOR_H_
#define LANTERN_SERVER_APP_REQUEST_ASSESSOR_H_

#include <atomic>
#include <cstdint>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "lantern/v1/assessment.pb.h"
#include "lantern/v1/service.pb.h"
#include "server/app/assessment_proto.h"
#include "server/app/episode_index.h"
#include "server/app/facts_validation.h"
#include "server/app/ruleset_registry.h"

namespace lantern {

// The evaluation every answer comes from, Assess's and the audit's replays
// alike: validate and decode `request`'s facts against `version`'s ruleset
// (`limits`), match with its compiled program at `as_of`, decide, and fill
// `answer` (REQUIRES: empty) stamped with `stamp`. The same inputs give the
// same bytes. Errors as Assess's, except that the version and as_of are the
// caller's choice (the request's ruleset_version and as_of are not read).
// The facts' `derived`, when set, is evaluated as given and copied into the
// answer's `derived`: Assess sets it from the index, replays from the
// record. The answer is `view`'s (assessment.proto View): exactly the FULL
// answer cut to `view` (CutToView), with only what that view sends worked
// out (for DECISION no evidence is made at all).
absl::Status EvaluateFacts(const RuleSetVersion& version,
                           const v1::AssessRequest& request,
                           const RequestLimits& limits, absl::Time as_of,
                           const DecisionStamp& stamp, v1::Assessment* answer,
                           v1::View view = v1::FULL);

// The request's as_of, or `received` when it has none; INVALID_ARGUMENT
// when out of range.
absl::StatusOr<absl::Time> RequestAsOf(const v1::AssessRequest& request,
                                       absl::Time received);

class RequestAssessor {
 public:
  // REQUIRES: `registry` outlives the assessor. Decision ids are
  // "<id_prefix>-<n>" with n counting from 1; a server passes a prefix
  // unique to its run. `index` (may be null: nothing is derived) must
  // outlive the assessor too.
  RequestAssessor(const RuleSetRegistry* registry, RequestLimits limits,
                  std::string id_prefix, const EpisodeIndex* index = nullptr)
      : registry_(registry),
        limits_(limits),
        id_prefix_(std::move(id_prefix)),
        index_(index) {}

  // Fills `answer` (REQUIRES: empty; on error its content is unspecified)
  // with the FULL answer, or with answer_views set the answer in the
  // request's view (EvaluateFacts). `received` is the time the edge stamped
  // on the request: the answer's evaluated_at, and its as-of time when the
  // request gives none.
  absl::Status Assess(const v1::AssessRequest& request, absl::Time received,
                      v1::Assessment* answer);

  // Whether Assess answers in the request's view, working out only what
  // that view sends (what a server does, with a ledger or without: the
  // DecisionRecorder records the answer as sent), rather than FULL (for
  // tests and tools that want the FULL answer whatever the view).
  // Default false. Not thread-safe: set before any Assess.
  void set_answer_views(bool views) { answer_views_ = views; }

  // While held (a non-OK `why`), every Assess answers UNAVAILABLE with
  // `why`'s message rather than answer under another ruleset version than
  // the one the deployment activated (a replica that cannot take up the
  // shared active version). OkStatus() releases it. Thread-safe.
  void Hold(absl::Status why) ABSL_LOCKS_EXCLUDED(hold_mu_);

 private:
  absl::StatusOr<std::shared_ptr<const RuleSetVersion>> ChooseVersion(
      const v1::AssessRequest& request) const;

  const RuleSetRegistry* registry_;
  const RequestLimits limits_;
  const std::string id_prefix_;
  const EpisodeIndex* const index_;
  bool answer_views_ = false;
  std::atomic<uint64_t> next_id_{1};
  mutable absl::Mutex hold_mu_;
  absl::Status held_ ABSL_GUARDED_BY(hold_mu_);
};

}  // namespace lantern

#endif  // LANTERN_SERVER_APP_REQUEST_ASSESSOR_H_
