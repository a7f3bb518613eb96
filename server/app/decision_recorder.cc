// DecisionRecorder::Record: build the DecisionRecord, append it without
// blocking, and turn the ledger's answer into the call's status.
#include "server/app/decision_recorder.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/version.h"
#include "google/protobuf/util/message_differencer.h"
#include "server/app/assessment_view.h"

namespace lantern {
namespace {

using google::protobuf::util::MessageDifferencer;

// Whether `request` is the request `stored` recorded (see the header);
// `version` is the manifest version its answer names.
bool SameRequest(const v1::AssessRequest& request,
                 const v1::DecisionRecord& stored, const std::string& version,
                 const std::string& principal) {
  const std::string& pin = request.ruleset_version();
  return principal == stored.principal() &&
         MessageDifferencer::Equals(request.facts(), stored.facts()) &&
         (!request.has_as_of() ||
          MessageDifferencer::Equals(request.as_of(), stored.as_of())) &&
         (pin.empty() || pin == stored.ruleset_digest() || pin == version);
}

absl::Status Unreadable(const absl::Status& why) {
  return absl::InternalError(
      absl::StrCat("the recorded answer cannot be read: ", why.message()));
}

// The answer a retry of `stored` gets, in `view`: the answer as sent when
// the view is the recorded one (or the record was made before views);
// else the FULL answer (held, or worked out again) cut to `view`.
absl::Status StoredAnswer(const v1::DecisionRecord& stored, v1::View view,
                          DecisionCodec* codec, v1::Assessment* answer) {
  const bool inline_sent = stored.format() == kRecordFormatSent ||
                           stored.format() == kRecordFormatSentInline;
  if (codec == nullptr && !inline_sent &&
      stored.format() != kRecordFormatInline) {
    return absl::InternalError(
        "a compact ledger record, and no codec to read it");
  }
  if (stored.format() == kRecordFormatSent ||
      (KeepsOnlySent(stored) && view == stored.view())) {
    if (inline_sent) {
      *answer = stored.assessment();
      return absl::OkStatus();
    }
    absl::StatusOr<v1::Assessment> sent = codec->Sent(stored);
    if (!sent.ok()) return Unreadable(sent.status());
    *answer = *std::move(sent);
    return absl::OkStatus();
  }
  if (codec == nullptr && stored.format() != kRecordFormatInline) {
    return absl::InternalError(
        "a record that keeps only the answer sent in another view, and no "
        "codec to work the FULL answer out");
  }
  absl::StatusOr<v1::Assessment> full =
      codec == nullptr ? stored.assessment() : codec->Full(stored);
  if (!full.ok()) return Unreadable(full.status());
  *answer = *std::move(full);
  // As the engine that made the record cut it (assessment_view.h).
  CutToView(view, answer, stored.engine_version());
  return absl::OkStatus();
}

absl::Status Outcome(const v1::AssessRequest& request,
                     const std::string& principal, DecisionCodec* codec,
                     absl::StatusOr<ledger::AppendedDecision> appended,
                     v1::Assessment* answer) {
  if (!appended.ok()) {
    if (absl::IsUnavailable(appended.status())) {
      return absl::UnavailableError(absl::StrCat(
          "the decision could not be recorded in the audit ledger, so it "
          "is not given; retry later (",
          appended.status().message(), ")"));
    }
    return absl::InternalError(absl::StrCat("the ledger refused the decision: ",
                                            appended.status().message()));
  }
  if (!appended->duplicate) return absl::OkStatus();
  const v1::DecisionRecord& stored = appended->record;
  v1::Assessment stored_answer;
  if (absl::Status s =
          StoredAnswer(stored, request.view(), codec, &stored_answer);
      !s.ok()) {
    return s;
  }
  // Every view names the ruleset (RuleSetRef), so the stored answer in
  // any view gives the manifest version a pin may name.
  if (!SameRequest(request, stored, stored_answer.ruleset().version(),
                   principal)) {
    return absl::AlreadyExistsError(absl::StrCat(
        "client_request_id '", request.client_request_id(),
        "' was already used for a request with other facts, as_of, "
        "ruleset_version or principal; use a new id for a new request"));
  }
  *answer = std::move(stored_answer);
  return absl::OkStatus();
}

}  // namespace

void DecisionRecorder::CheckLedgerHealth() {
  const absl::Status health = ledger_->health();
  if (!health.ok() && on_ledger_down_ != nullptr) on_ledger_down_(health);
}

void DecisionRecorder::Record(const v1::AssessRequest& request,
                              v1::Assessment* answer, Done done,
                              const std::string& principal) {
  if (ledger_ == nullptr) {
    CutToView(request.view(), answer);
    if (on_decision_) on_decision_(request, *answer);
    done(absl::OkStatus());
    return;
  }
  // What is sent: a no-op when the assessor answered in the view.
  CutToView(request.view(), answer);
  v1::DecisionRecord record;
  record.set_decision_id(answer->decision_id());
  record.set_client_request_id(request.client_request_id());
  *record.mutable_received_at() = answer->evaluated_at();
  *record.mutable_as_of() = answer->as_of();
  record.set_ruleset_digest(answer->ruleset().digest());
  record.set_engine_version(kEngineVersion);
  record.set_principal(principal);
  record.set_view(request.view());
  // Compact when a codec can (it reads the answer's ruleset, which the
  // registry holds); else inline.
  const bool compact =
      codec_ != nullptr && codec_->CompactSent(*answer, &record).ok();
  if (!compact) record.set_format(kRecordFormatSentInline);
  // The record borrows the facts and the answer (kilobytes) for the ledger
  // to encode them, rather than copying them; it gives them back before
  // it goes away. Nothing is written through these pointers.
  record.unsafe_arena_set_allocated_facts(
      const_cast<v1::EpisodeFacts*>(&request.facts()));
  if (!compact) record.unsafe_arena_set_allocated_assessment(answer);
  ledger_->AppendDecisionAsync(
      record, [this, &request, principal, answer, done = std::move(done)](
                  absl::StatusOr<ledger::AppendedDecision> appended) {
        if (!appended.ok()) CheckLedgerHealth();
        if (appended.ok() && !appended->duplicate && on_decision_) {
          on_decision_(request, *answer);
        }
        if (appended.ok() && !appended->duplicate && index_ != nullptr) {
          index_->Add(request.facts(), answer->decision_id(),
                      appended->leaf_index);
        }
        done(Outcome(request, principal, codec_, std::move(appended), answer));
      });
  record.unsafe_arena_release_facts();
  if (!compact) record.unsafe_arena_release_assessment();
}

}  // namespace lantern
