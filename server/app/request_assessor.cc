// RequestAssessor::Assess: choose the version (once), resolve as_of, then
// EvaluateFacts: validate and decode the facts, match with the version's
// compiled program, decide, and convert to the protobuf answer stamped with a
// decision id and the version's digest.
#include "server/app/request_assessor.h"

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/decide/assess.h"
#include "google/protobuf/util/time_util.h"
#include "lantern/v1/episode.pb.h"
#include "server/app/assessment_proto.h"
#include "server/app/assessment_view.h"
#include "server/app/echo_value.h"

namespace lantern {

absl::StatusOr<absl::Time> RequestAsOf(const v1::AssessRequest& request,
                                       absl::Time received) {
  if (!request.has_as_of()) return received;
  const google::protobuf::Timestamp& t = request.as_of();
  if (t.seconds() < google::protobuf::util::TimeUtil::kTimestampMinSeconds ||
      t.seconds() > google::protobuf::util::TimeUtil::kTimestampMaxSeconds ||
      t.nanos() < 0 || t.nanos() > 999999999) {
    return absl::InvalidArgumentError(
        "invalid request: as_of: not a time between 0001-01-01 and "
        "9999-12-31");
  }
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

absl::Status EvaluateFacts(const RuleSetVersion& version,
                           const v1::AssessRequest& request,
                           const RequestLimits& limits, absl::Time as_of,
                           const DecisionStamp& stamp, v1::Assessment* answer,
                           v1::View view) {
  std::vector<RecordedCode> codes;
  absl::StatusOr<FactRecord> facts =
      ValidateAndDecodeFacts(request, *version.ruleset, limits, &codes);
  if (!facts.ok()) return facts.status();
  AssessDetail detail;
  detail.fired_evidence = view != v1::DECISION;
  detail.policy_evidence = view != v1::DECISION;
  absl::StatusOr<Assessment> assessment =
      AssessWithMatcher(*version.program, *facts, as_of, &codes, detail);
  if (!assessment.ok()) {
    if (assessment.status().code() == absl::StatusCode::kFailedPrecondition) {
      return assessment.status();  // as_of outside the effective dates
    }
    return absl::InternalError(
        absl::StrCat("assessment failed: ", assessment.status().message()));
  }
  absl::Status converted = AssessmentToProto(
      *std::move(assessment), stamp, answer, view, version.unknown_facts.get());
  if (!converted.ok()) {
    return absl::InternalError(
        absl::StrCat("cannot express the answer: ", converted.message()));
  }
  if (request.facts().has_derived()) {
    *answer->mutable_derived() = request.facts().derived();
  }
  // Built without what the view leaves out; the cut drops anything else
  // the view does not send, so the answer is the FULL one cut by
  // construction.
  if (view != v1::FULL) CutToView(view, answer);
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const RuleSetVersion>>
RequestAssessor::ChooseVersion(const v1::AssessRequest& request) const {
  std::shared_ptr<const RuleSetVersion> version;
  if (!request.ruleset_version().empty()) {
    version = registry_->Find(request.ruleset_version());
    if (version == nullptr) {
      return absl::NotFoundError(absl::StrCat(
          "no ruleset version ", EchoValue(request.ruleset_version()),
          " (pin a manifest version or digest that "
          "RuleSets.List shows)"));
    }
  } else {
    version = registry_->Active();
    if (version == nullptr) {
      return absl::FailedPreconditionError("no ruleset is active");
    }
  }
  const std::string& message = version->ruleset->manifest.fact_message;
  if (message != v1::EpisodeFacts::descriptor()->full_name()) {
    return absl::FailedPreconditionError(
        absl::StrCat("ruleset ", version->digest, " assesses ", message,
                     ", not lantern.v1.EpisodeFacts"));
  }
  return version;
}

void RequestAssessor::Hold(absl::Status why) {
  absl::MutexLock lock(&hold_mu_);
  held_ = std::move(why);
}

absl::Status RequestAssessor::Assess(const v1::AssessRequest& request,
                                     absl::Time received,
                                     v1::Assessment* answer) {
  {
    absl::MutexLock lock(&hold_mu_);
    if (!held_.ok()) {
      return absl::UnavailableError(absl::StrCat(
          "this replica is not on the deployment's active ruleset, so it "
          "answers nothing: ",
          held_.message()));
    }
  }
  absl::StatusOr<std::shared_ptr<const RuleSetVersion>> version =
      ChooseVersion(request);
  if (!version.ok()) return version.status();
  absl::StatusOr<absl::Time> as_of = RequestAsOf(request, received);
  if (!as_of.ok()) return as_of.status();
  if (!v1::View_IsValid(request.view())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid request: view: ", request.view(),
        " is not a value of lantern.v1.View (DECISION, EXPLAINED, FULL)"));
  }
  if (request.facts().has_derived()) {
    return absl::InvalidArgumentError(
        "invalid request: facts.derived: filled by Lantern from its episode "
        "index; a caller may not send it (send history for your own "
        "records)");
  }
  const v1::View view = answer_views_ ? request.view() : v1::FULL;
  const DecisionStamp stamp{
      absl::StrCat(id_prefix_, "-", next_id_.fetch_add(1)), (*version)->digest,
      received};
  // Without a child reference nothing is derived, so nothing is read.
  if (index_ != nullptr && !request.facts().child().reference().empty()) {
    if (absl::Status synced = index_->Sync(); !synced.ok()) {
      return absl::UnavailableError(absl::StrCat(
          "the episode index cannot read the ledger's latest decisions, so "
          "derived facts would miss episodes: ",
          synced.message()));
    }
  }
  std::optional<v1::Derived> derived =
      index_ == nullptr ? std::nullopt
                        : index_->Derive(request.facts(), *as_of);
  if (!derived.has_value()) {
    return EvaluateFacts(**version, request, limits_, *as_of, stamp, answer,
                         view);
  }
  v1::AssessRequest with_derived = request;
  *with_derived.mutable_facts()->mutable_derived() = *std::move(derived);
  return EvaluateFacts(**version, with_derived, limits_, *as_of, stamp, answer,
                       view);
}

}  // namespace lantern
