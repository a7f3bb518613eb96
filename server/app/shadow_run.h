// ShadowRun: a candidate ruleset version evaluated beside the active one on
// live traffic (RuleSets.Shadow, Audit.GetShadowReport), off the answer's
// path.
//
// While a shadow is on, Offer takes each new decision (the request's facts
// and the FULL answer, DecisionRecorder's on_decision hook) and queues
// what the comparison needs: the facts with the answer's derived facts,
// as_of, decision id, time received, and the answer's outputs (grade,
// concerns, NRM, prompts, actions). It never waits: when the queue holds
// `capacity` items the decision is counted as skipped. A worker thread of
// its own takes each item, evaluates the facts under the candidate with
// EvaluateFacts (the path of Assess and of the audit's replays: the same
// inputs and stamp a Backtest gives a recorded decision), and compares the
// two answers with SummarizeChanges (decision_diff.h, as Backtest does),
// counting per output (OutputTally). A candidate that cannot evaluate the
// facts counts an error.
//
// One shadow at a time: Start ends the shadow on (its report is dropped)
// and starts counting afresh; items queued for the old one are not
// counted. Stop ends it; its report stays readable until the next Start.
// Nothing is persisted: the run and its report end with the process.
//
// Thread-safety: every method may be called from any thread.
#ifndef LANTERN_SERVER_APP_SHADOW_RUN_H_
#define LANTERN_SERVER_APP_SHADOW_RUN_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "lantern/v1/assessment.pb.h"
#include "lantern/v1/audit.pb.h"
#include "lantern/v1/service.pb.h"
#include "server/app/decision_diff.h"
#include "server/app/ruleset_registry.h"

namespace lantern {

class ShadowRun {
 public:
  // Items waiting to be evaluated, at most.
  static constexpr int kDefaultCapacity = 1024;
  // Example decision ids kept per output (a report shows up to this many).
  static constexpr int kMaxExamples = 100;

  // `clock` stamps starts and stops.
  explicit ShadowRun(std::function<absl::Time()> clock,
                     int capacity = kDefaultCapacity);
  // Drops what is queued and joins the worker.
  ~ShadowRun();
  ShadowRun(const ShadowRun&) = delete;
  ShadowRun& operator=(const ShadowRun&) = delete;

  // Starts shadowing `candidate` (REQUIRES: not null), ending the shadow
  // on, if any. Returns the start time.
  absl::Time Start(std::shared_ptr<const RuleSetVersion> candidate);
  // Stops the shadow on and returns its candidate; FAILED_PRECONDITION
  // when none is on.
  absl::StatusOr<std::shared_ptr<const RuleSetVersion>> Stop();
  bool on() const { return on_.load(std::memory_order_acquire); }

  // A new decision: `answer` (FULL) made for `request`. Queued for the
  // worker when a shadow is on and the queue has room, else (on) counted
  // as skipped. Copies what it needs; never evaluates.
  void Offer(const v1::AssessRequest& request, const v1::Assessment& answer);

  // The report of the shadow on, or of the last one stopped, with up to
  // `max_examples` (clamped to kMaxExamples) decision ids per output;
  // FAILED_PRECONDITION when no shadow has run.
  absl::StatusOr<v1::ShadowReport> Report(int max_examples) const;

 private:
  struct Item {
    uint64_t generation = 0;
    v1::AssessRequest request;  // facts, with the answer's derived facts
    v1::Assessment outputs;     // grade, concerns, nrm, prompts, actions
    absl::Time as_of;
    absl::Time received;
  };

  void Run();
  // Evaluates `item` under `candidate`; its change summary, or the error.
  static absl::StatusOr<v1::ChangeSummary> Compare(
      const RuleSetVersion& candidate, const Item& item);

  const std::function<absl::Time()> clock_;
  const int capacity_;
  std::atomic<bool> on_{false};

  mutable absl::Mutex mu_;
  // Counts every Start; an item of an earlier generation is not counted.
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  std::shared_ptr<const RuleSetVersion> candidate_ ABSL_GUARDED_BY(mu_);
  absl::Time started_at_ ABSL_GUARDED_BY(mu_);
  std::optional<absl::Time> stopped_at_ ABSL_GUARDED_BY(mu_);
  std::deque<Item> queue_ ABSL_GUARDED_BY(mu_);
  // Items taken by the worker and not yet counted (0 or 1).
  uint64_t in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  OutputTally tally_ ABSL_GUARDED_BY(mu_){kMaxExamples};
  uint64_t skipped_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t errors_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread worker_;
};

}  // namespace lantern

#endif  // LANTERN_SERVER_APP_SHADOW_RUN_H_
