// ShadowRun: a bounded queue in front of one worker thread, the
// evaluation of request_assessor.h and the comparison of decision_diff.h.
#include "server/app/shadow_run.h"

#include <pthread.h>

#include <limits>
#include <utility>

#include "google/protobuf/util/time_util.h"
#include "server/app/request_assessor.h"

namespace lantern {
namespace {

using google::protobuf::util::TimeUtil;

absl::Time TimeOf(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

google::protobuf::Timestamp Stamp(absl::Time t) {
  return TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
}

// The facts passed the server's limits when they were assessed.
const RequestLimits& NoLimits() {
  static const RequestLimits limits{std::numeric_limits<int>::max(),
                                    std::numeric_limits<int64_t>::max(),
                                    std::numeric_limits<int64_t>::max()};
  return limits;
}

}  // namespace

ShadowRun::ShadowRun(std::function<absl::Time()> clock, int capacity)
    : clock_(std::move(clock)), capacity_(capacity) {
  worker_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "shadow");
    Run();
  });
}

ShadowRun::~ShadowRun() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  worker_.join();
}

absl::Time ShadowRun::Start(std::shared_ptr<const RuleSetVersion> candidate) {
  const absl::Time now = clock_();
  absl::MutexLock lock(&mu_);
  ++generation_;
  candidate_ = std::move(candidate);
  started_at_ = now;
  stopped_at_.reset();
  queue_.clear();
  tally_ = OutputTally(kMaxExamples);
  skipped_ = 0;
  errors_ = 0;
  on_.store(true, std::memory_order_release);
  return now;
}

absl::StatusOr<std::shared_ptr<const RuleSetVersion>> ShadowRun::Stop() {
  const absl::Time now = clock_();
  absl::MutexLock lock(&mu_);
  if (!on_.load(std::memory_order_acquire)) {
    return absl::FailedPreconditionError("no shadow run is on");
  }
  on_.store(false, std::memory_order_release);
  ++generation_;  // what is queued or being evaluated is not counted
  queue_.clear();
  stopped_at_ = now;
  return candidate_;
}

void ShadowRun::Offer(const v1::AssessRequest& request,
                      const v1::Assessment& answer) {
  if (!on()) return;
  Item item;
  *item.request.mutable_facts() = request.facts();
  if (answer.has_derived()) {
    *item.request.mutable_facts()->mutable_derived() = answer.derived();
  }
  item.outputs.set_decision_id(answer.decision_id());
  *item.outputs.mutable_grade() = answer.grade();
  *item.outputs.mutable_concerns() = answer.concerns();
  if (answer.has_nrm()) *item.outputs.mutable_nrm() = answer.nrm();
  *item.outputs.mutable_prompts() = answer.prompts();
  *item.outputs.mutable_actions() = answer.actions();
  item.as_of = TimeOf(answer.as_of());
  item.received = TimeOf(answer.evaluated_at());
  absl::MutexLock lock(&mu_);
  if (!on_.load(std::memory_order_acquire)) return;
  if (static_cast<int>(queue_.size()) >= capacity_) {
    ++skipped_;
    return;
  }
  item.generation = generation_;
  queue_.push_back(std::move(item));
}

absl::StatusOr<v1::ChangeSummary> ShadowRun::Compare(
    const RuleSetVersion& candidate, const Item& item) {
  const DecisionStamp stamp{item.outputs.decision_id(), candidate.digest,
                            item.received};
  v1::Assessment answer;
  absl::Status status = EvaluateFacts(candidate, item.request, NoLimits(),
                                      item.as_of, stamp, &answer);
  if (!status.ok()) return status;
  return SummarizeChanges(item.outputs, answer);
}

void ShadowRun::Run() {
  for (;;) {
    Item item;
    std::shared_ptr<const RuleSetVersion> candidate;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](ShadowRun* s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(s->mu_) {
            return s->stopping_ || !s->queue_.empty();
          },
          this));
      if (stopping_) return;
      item = std::move(queue_.front());
      queue_.pop_front();
      if (item.generation != generation_) continue;
      candidate = candidate_;
      in_flight_ = 1;
    }
    absl::StatusOr<v1::ChangeSummary> changes = Compare(*candidate, item);
    absl::MutexLock lock(&mu_);
    in_flight_ = 0;
    if (item.generation != generation_) continue;
    if (!changes.ok()) {
      ++errors_;
    } else {
      tally_.Add(item.outputs.decision_id(), *changes);
    }
  }
}

absl::StatusOr<v1::ShadowReport> ShadowRun::Report(int max_examples) const {
  if (max_examples > kMaxExamples) max_examples = kMaxExamples;
  absl::MutexLock lock(&mu_);
  if (candidate_ == nullptr) {
    return absl::FailedPreconditionError(
        "no shadow has run since the server started (RuleSets.Shadow starts "
        "one)");
  }
  v1::ShadowReport report;
  report.set_candidate_digest(candidate_->digest);
  report.set_candidate_version(candidate_->ruleset->manifest.version);
  *report.mutable_started_at() = Stamp(started_at_);
  if (stopped_at_.has_value())
    *report.mutable_stopped_at() = Stamp(*stopped_at_);
  report.set_shadowing(on_.load(std::memory_order_acquire));
  report.set_compared(tally_.compared());
  report.set_differing(tally_.differing());
  report.set_skipped(skipped_);
  report.set_errors(errors_);
  uint64_t pending = in_flight_;
  for (const Item& item : queue_) pending += item.generation == generation_;
  report.set_pending(pending);
  for (const auto& [name, output] : tally_.outputs()) {
    v1::ShadowOutputCount* o = report.add_outputs();
    o->set_output(name);
    o->set_decisions(output.decisions);
    for (int i = 0;
         i < max_examples && i < static_cast<int>(output.examples.size());
         ++i) {
      o->add_example_decision_ids(output.examples[i]);
    }
  }
  return report;
}

}  // namespace lantern
