// Auditor: reads from the ledger, re-evaluation through EvaluateFacts, and
// the change summaries and differences of decision_diff.h.
#include "server/app/auditor.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "engine/version.h"
#include "google/protobuf/util/time_util.h"
#include "server/app/assessment_proto.h"
#include "server/app/assessment_view.h"
#include "server/app/decision_diff.h"
#include "server/app/request_assessor.h"
#include "server/ledger/record_codec.h"

namespace lantern {
namespace {

using google::protobuf::Timestamp;
using google::protobuf::util::TimeUtil;

constexpr int kBacktestPage = 200;
constexpr int kBacktestExamples = 3;        // per output, in the summary
constexpr int kBacktestFailedExamples = 5;  // failed decision ids

absl::Time TimeOf(const Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

bool ValidTime(const Timestamp& t) {
  return t.seconds() >= TimeUtil::kTimestampMinSeconds &&
         t.seconds() <= TimeUtil::kTimestampMaxSeconds && t.nanos() >= 0 &&
         t.nanos() <= 999999999;
}

// [from, to) of a request; unset ends are open. INVALID_ARGUMENT naming
// the bad field.
absl::Status Range(bool has_from, const Timestamp& from, bool has_to,
                   const Timestamp& to, absl::Time* begin, absl::Time* end) {
  if (has_from && !ValidTime(from)) {
    return absl::InvalidArgumentError(
        "invalid request: from: not a time between 0001-01-01 and 9999-12-31");
  }
  if (has_to && !ValidTime(to)) {
    return absl::InvalidArgumentError(
        "invalid request: to: not a time between 0001-01-01 and 9999-12-31");
  }
  *begin = has_from ? TimeOf(from) : absl::InfinitePast();
  *end = has_to ? TimeOf(to) : absl::InfiniteFuture();
  if (*end < *begin) {
    return absl::InvalidArgumentError("invalid request: to: before from");
  }
  return absl::OkStatus();
}

void Count(const v1::ChangeSummary& s, v1::BacktestSummary* totals) {
  totals->set_decisions_changed(totals->decisions_changed() + 1);
  if (GradeChanged(s)) totals->set_grade_changes(totals->grade_changes() + 1);
  if (!s.concern_levels().empty()) {
    totals->set_concern_level_changes(totals->concern_level_changes() + 1);
  }
  if (NrmChanged(s)) totals->set_nrm_changes(totals->nrm_changes() + 1);
  if (ActionsChanged(s)) {
    totals->set_action_changes(totals->action_changes() + 1);
  }
}

}  // namespace

absl::StatusOr<ledger::StoredDecision> Auditor::Lookup(
    const std::string& decision_id) {
  if (decision_id.empty()) {
    return absl::InvalidArgumentError("invalid request: decision_id: required");
  }
  return ledger_->GetDecision(decision_id);
}

absl::StatusOr<v1::GetDecisionResponse> Auditor::GetDecision(
    const v1::GetDecisionRequest& request) {
  absl::StatusOr<ledger::StoredDecision> stored = Lookup(request.decision_id());
  if (!stored.ok()) return stored.status();
  if (absl::Status s = codec_.FillSent(&stored->record); !s.ok()) return s;
  v1::GetDecisionResponse response;
  *response.mutable_decision() = std::move(stored->record);
  response.set_leaf_index(stored->leaf_index);
  return response;
}

absl::StatusOr<v1::ListDecisionsResponse> Auditor::ListDecisions(
    const v1::ListDecisionsRequest& request) {
  absl::Time from, to;
  if (absl::Status s = Range(request.has_from(), request.from(),
                             request.has_to(), request.to(), &from, &to);
      !s.ok()) {
    return s;
  }
  const int page_size = request.page_size() == 0 ? 100 : request.page_size();
  absl::StatusOr<ledger::DecisionPage> page = ledger_->ListDecisions(
      from, to, page_size, request.page_token(), kListDecisionsMaxBytes);
  if (!page.ok()) return page.status();
  v1::ListDecisionsResponse response;
  // The ledger bounds the page by stored bytes; a compact record grows
  // when its answer is filled in, so the bound is applied again here.
  int64_t bytes = 0;
  for (ledger::StoredDecision& d : page->decisions) {
    if (absl::Status s = codec_.FillSent(&d.record); !s.ok()) return s;
    const int64_t size = static_cast<int64_t>(d.record.ByteSizeLong());
    if (response.decisions_size() > 0 &&
        bytes + size > kListDecisionsMaxBytes) {
      response.set_next_page_token(
          ledger::PageTokenAfter(ledger::StoredDecision{
              response.decisions(response.decisions_size() - 1),
              response.leaf_indexes(response.leaf_indexes_size() - 1)}));
      return response;
    }
    bytes += size;
    *response.add_decisions() = std::move(d.record);
    response.add_leaf_indexes(d.leaf_index);
  }
  response.set_next_page_token(page->next_page_token);
  return response;
}

absl::StatusOr<v1::ListAccessResponse> Auditor::ListAccess(
    const v1::ListAccessRequest& request) {
  const int page_size = request.page_size() == 0 ? 100 : request.page_size();
  absl::StatusOr<ledger::AccessPage> page =
      ledger_->ListAccess(page_size, request.page_token());
  if (!page.ok()) return page.status();
  v1::ListAccessResponse response;
  for (ledger::StoredAccess& a : page->records) {
    *response.add_records() = std::move(a.record);
    response.add_leaf_indexes(a.leaf_index);
  }
  response.set_next_page_token(page->next_page_token);
  return response;
}

absl::StatusOr<v1::ListLinkedDecisionsResponse> Auditor::ListLinkedDecisions(
    const v1::ListLinkedDecisionsRequest& request, const EpisodeIndex* index,
    absl::Time now) {
  if (index == nullptr) {
    return absl::FailedPreconditionError(
        "the episode index is off (--episode_index=false), so no "
        "decisions are linked");
  }
  if (absl::Status synced = index->Sync(); !synced.ok()) {
    return absl::UnavailableError(absl::StrCat(
        "the episode index cannot read the ledger's latest decisions: ",
        synced.message()));
  }
  const int page_size = request.page_size() == 0 ? 100 : request.page_size();
  if (page_size < 1 || page_size > 1000) {
    return absl::InvalidArgumentError(
        "invalid request: page_size: must be 1 to 1000");
  }
  int64_t after = -1;
  if (!request.page_token().empty() &&
      (!absl::SimpleAtoi(request.page_token(), &after) || after < 0)) {
    return absl::InvalidArgumentError(
        "invalid request: page_token: not one this ledger gave");
  }
  using LinkKind = EpisodeIndex::LinkKind;
  std::vector<EpisodeIndex::LinkedDecision> linked;
  switch (request.link_case()) {
    case v1::ListLinkedDecisionsRequest::kPlaceReference:
    case v1::ListLinkedDecisionsRequest::kAssociateReference: {
      const bool place = request.link_case() ==
                         v1::ListLinkedDecisionsRequest::kPlaceReference;
      const std::string& reference =
          place ? request.place_reference() : request.associate_reference();
      if (reference.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat("invalid request: ",
                         place ? "place_reference" : "associate_reference",
                         ": must not be empty"));
      }
      linked = index->LinkedTo(place ? LinkKind::kPlace : LinkKind::kPerson,
                               reference);
      break;
    }
    case v1::ListLinkedDecisionsRequest::kDecisionId: {
      absl::StatusOr<ledger::StoredDecision> stored =
          Lookup(request.decision_id());
      if (!stored.ok()) return stored.status();
      linked.push_back({stored->leaf_index, request.decision_id()});
      std::optional<v1::Derived> derived =
          index->Derive(stored->record.facts(), now);
      if (derived.has_value()) {
        for (const v1::LinkedChild& child : derived->linked_children()) {
          absl::StatusOr<ledger::StoredDecision> other =
              ledger_->GetDecision(child.decision_id());
          if (!other.ok()) return other.status();
          linked.push_back({other->leaf_index, child.decision_id()});
        }
      }
      std::sort(linked.begin(), linked.end(), [](const auto& a, const auto& b) {
        return a.leaf_index < b.leaf_index;
      });
      break;
    }
    case v1::ListLinkedDecisionsRequest::LINK_NOT_SET:
      return absl::InvalidArgumentError(
          "invalid request: link: required — place_reference, "
          "associate_reference or decision_id");
  }
  v1::ListLinkedDecisionsResponse response;
  int64_t bytes = 0;
  for (const EpisodeIndex::LinkedDecision& d : linked) {
    if (static_cast<int64_t>(d.leaf_index) <= after) continue;
    if (response.decisions_size() == page_size) {
      response.set_next_page_token(absl::StrCat(
          response.leaf_indexes(response.leaf_indexes_size() - 1)));
      break;
    }
    absl::StatusOr<ledger::StoredDecision> stored =
        ledger_->GetDecision(d.decision_id);
    if (!stored.ok()) return stored.status();
    // As ListDecisions: the answer as it was sent, filled in from a compact
    // record before the page's byte bound is applied.
    if (absl::Status s = codec_.FillSent(&stored->record); !s.ok()) return s;
    const int64_t size = static_cast<int64_t>(stored->record.ByteSizeLong());
    if (response.decisions_size() > 0 &&
        bytes + size > kListDecisionsMaxBytes) {
      response.set_next_page_token(absl::StrCat(
          response.leaf_indexes(response.leaf_indexes_size() - 1)));
      break;
    }
    bytes += size;
    *response.add_decisions() = std::move(stored->record);
    response.add_leaf_indexes(d.leaf_index);
  }
  return response;
}

absl::StatusOr<v1::ListActivationsResponse> Auditor::ListActivations(
    const v1::ListActivationsRequest& request) {
  const int page_size = request.page_size() == 0 ? 100 : request.page_size();
  if (page_size < 1 || page_size > 1000) {
    return absl::InvalidArgumentError("page_size: must be 1 to 1000");
  }
  int64_t after = -1;
  if (!request.page_token().empty() &&
      (!absl::SimpleAtoi(request.page_token(), &after) || after < 0)) {
    return absl::InvalidArgumentError("page_token: not one this ledger gave");
  }
  // Activations are asked for by people (a few a day), so the ledger's
  // whole list is read and the page cut from it.
  absl::StatusOr<std::vector<ledger::StoredActivation>> all =
      ledger_->ListActivations(/*include_rejected=*/true);
  if (!all.ok()) return all.status();
  v1::ListActivationsResponse response;
  for (ledger::StoredActivation& a : *all) {
    if (static_cast<int64_t>(a.leaf_index) <= after) continue;
    if (response.activations_size() == page_size) {
      response.set_next_page_token(absl::StrCat(
          response.leaf_indexes(response.leaf_indexes_size() - 1)));
      break;
    }
    *response.add_activations() = std::move(a.record);
    response.add_leaf_indexes(a.leaf_index);
  }
  return response;
}

absl::StatusOr<v1::ReplayResponse> Auditor::Replay(
    const v1::ReplayRequest& request) {
  absl::StatusOr<ledger::StoredDecision> stored = Lookup(request.decision_id());
  if (!stored.ok()) return stored.status();
  const v1::DecisionRecord& record = stored->record;
  absl::StatusOr<std::shared_ptr<const RuleSetVersion>> version =
      rulesets_.Find(record.ruleset_digest());
  if (!version.ok()) return version.status();
  v1::ReplayResponse response;
  response.set_recorded_engine_version(record.engine_version());
  response.set_engine_version(kEngineVersion);
  if (KeepsOnlySent(record)) {
    // The record keeps what was sent: FULL worked out again, cut to the
    // recorded view, must be those bytes.
    absl::StatusOr<v1::Assessment> sent = codec_.Sent(record);
    if (!sent.ok()) return sent.status();
    absl::StatusOr<v1::Assessment> replayed =
        Reevaluate(record, *sent, **version);
    if (!replayed.ok()) return replayed.status();
    v1::Assessment cut = *replayed;
    CutToView(record.view(), &cut, record.engine_version());
    if (ledger::EncodeCanonical(cut) == ledger::EncodeCanonical(*sent)) {
      *response.mutable_recorded() = *std::move(replayed);
      response.set_outcome(v1::ReplayResponse::IDENTICAL);
      return response;
    }
    response.set_outcome(v1::ReplayResponse::DIFFERENT);
    for (v1::FieldDifference& d : DiffAssessments(*sent, cut)) {
      *response.add_differences() = std::move(d);
    }
    *response.mutable_recorded() = *std::move(sent);
    *response.mutable_replayed() = std::move(cut);
    return response;
  }
  absl::StatusOr<v1::Assessment> full = codec_.Full(record);
  if (!full.ok()) return full.status();
  absl::StatusOr<v1::Assessment> replayed =
      Reevaluate(record, *full, **version);
  if (!replayed.ok()) return replayed.status();
  if (ledger::EncodeCanonical(*replayed) == ledger::EncodeCanonical(*full)) {
    *response.mutable_recorded() = *std::move(full);
    response.set_outcome(v1::ReplayResponse::IDENTICAL);
    return response;
  }
  response.set_outcome(v1::ReplayResponse::DIFFERENT);
  for (v1::FieldDifference& d : DiffAssessments(*full, *replayed)) {
    *response.add_differences() = std::move(d);
  }
  *response.mutable_recorded() = *std::move(full);
  *response.mutable_replayed() = *std::move(replayed);
  return response;
}

absl::StatusOr<v1::WhatIfResponse> Auditor::WhatIf(
    const v1::WhatIfRequest& request) {
  absl::StatusOr<ledger::StoredDecision> stored = Lookup(request.decision_id());
  if (!stored.ok()) return stored.status();
  absl::StatusOr<std::shared_ptr<const RuleSetVersion>> version =
      rulesets_.Find(request.ruleset_version());
  if (!version.ok()) return version.status();
  absl::StatusOr<v1::Assessment> full = codec_.Full(stored->record);
  if (!full.ok()) return full.status();
  absl::StatusOr<v1::Assessment> what_if =
      Reevaluate(stored->record, *full, **version);
  if (!what_if.ok()) return what_if.status();
  v1::WhatIfResponse response;
  const v1::Assessment& recorded = *full;
  *response.mutable_changes() = SummarizeChanges(recorded, *what_if);
  for (v1::FieldDifference& d : DiffAssessments(recorded, *what_if)) {
    *response.add_differences() = std::move(d);
  }
  *response.mutable_recorded() = recorded;
  *response.mutable_what_if() = *std::move(what_if);
  return response;
}

absl::StatusOr<std::shared_ptr<const RuleSetVersion>>
Auditor::BacktestCandidate(const v1::BacktestRequest& request) {
  switch (request.candidate_case()) {
    case v1::BacktestRequest::kRulesetVersion:
      return rulesets_.Find(request.ruleset_version());
    case v1::BacktestRequest::kFiles: {
      std::vector<SourceFile> files;
      for (const v1::RuleSetFile& f : request.files().files()) {
        files.push_back({f.path(), f.content()});
      }
      return rulesets_.LoadCandidate(std::move(files));
    }
    default:
      return absl::InvalidArgumentError(
          "invalid request: candidate: required (files or ruleset_version)");
  }
}

absl::Status Auditor::Backtest(
    const RuleSetVersion& candidate, const v1::BacktestRequest& request,
    const std::function<bool(const v1::BacktestItem&)>& emit,
    const std::function<bool()>& cancelled) {
  absl::Time from, to;
  if (absl::Status s = Range(request.has_from(), request.from(),
                             request.has_to(), request.to(), &from, &to);
      !s.ok()) {
    return s;
  }
  // The decisions committed now are the ones replayed: an exact total.
  absl::StatusOr<ledger::DecisionCount> counted =
      ledger_->CountDecisions(from, to);
  if (!counted.ok()) return counted.status();
  const absl::Status stopped =
      absl::CancelledError("the backtest was cancelled");
  v1::BacktestItem summary_item;
  v1::BacktestSummary& totals = *summary_item.mutable_summary();
  totals.set_candidate_digest(candidate.digest);
  totals.set_decisions_total(counted->count);
  OutputTally outputs(kBacktestExamples);
  const bool report = request.report_progress();
  auto progress = [&] {
    v1::BacktestItem item;
    v1::BacktestProgress& p = *item.mutable_progress();
    p.set_total(counted->count);
    p.set_done(totals.decisions_examined());
    p.set_changed(totals.decisions_changed());
    p.set_failed(totals.decisions_failed());
    return item;
  };
  absl::Time last_progress = clock_();
  if (report && !emit(progress())) return stopped;
  std::string token;
  do {
    absl::StatusOr<ledger::DecisionPage> page =
        ledger_->ListDecisions(from, to, kBacktestPage, token);
    if (!page.ok()) return page.status();
    for (const ledger::StoredDecision& d : page->decisions) {
      if (static_cast<int64_t>(d.leaf_index) > counted->last_leaf_index) {
        continue;  // recorded after the backtest started
      }
      if (cancelled()) return stopped;
      if (!ReplayOne(candidate, d, emit, &totals, &outputs)) return stopped;
      if (!report) continue;
      const absl::Time now = clock_();
      if (now - last_progress >= kBacktestProgressInterval) {
        if (!emit(progress())) return stopped;
        last_progress = now;
      }
    }
    token = std::move(page->next_page_token);
  } while (!token.empty());
  for (const auto& [name, output] : outputs.outputs()) {
    v1::BacktestOutputChanges& entry = *totals.add_outputs();
    entry.set_output(name);
    entry.set_decisions(output.decisions);
    for (const std::string& id : output.examples) {
      entry.add_example_decision_ids(id);
    }
  }
  if (!emit(summary_item)) return stopped;
  return absl::OkStatus();
}

bool Auditor::ReplayOne(
    const RuleSetVersion& candidate, const ledger::StoredDecision& d,
    const std::function<bool(const v1::BacktestItem&)>& emit,
    v1::BacktestSummary* totals, OutputTally* outputs) {
  totals->set_decisions_examined(totals->decisions_examined() + 1);
  absl::StatusOr<v1::Assessment> full = codec_.Full(d.record);
  absl::StatusOr<v1::Assessment> answer =
      full.ok() ? Reevaluate(d.record, *full, candidate) : full.status();
  if (!answer.ok()) {
    totals->set_decisions_failed(totals->decisions_failed() + 1);
    if (totals->failed_decision_ids_size() < kBacktestFailedExamples) {
      totals->add_failed_decision_ids(d.record.decision_id());
    }
    return true;
  }
  v1::BacktestItem item;
  v1::BacktestChange& change = *item.mutable_change();
  *change.mutable_changes() = SummarizeChanges(*full, *answer);
  if (!AnyChange(change.changes())) return true;
  change.set_decision_id(d.record.decision_id());
  Count(change.changes(), totals);
  outputs->Add(change.decision_id(), change.changes());
  return emit(item);
}

absl::Status Auditor::CompareVersions(const RuleSetVersion& before,
                                      const RuleSetVersion& after,
                                      absl::Time from, absl::Time to,
                                      const VersionsVisit& visit) {
  std::string token;
  do {
    absl::StatusOr<ledger::DecisionPage> page =
        ledger_->ListDecisions(from, to, kBacktestPage, token);
    if (!page.ok()) return page.status();
    for (const ledger::StoredDecision& d : page->decisions) {
      absl::StatusOr<v1::Assessment> full = codec_.Full(d.record);
      if (!full.ok()) {
        visit(d.record.decision_id(), full.status());
        continue;
      }
      absl::StatusOr<v1::Assessment> old_answer =
          Reevaluate(d.record, *full, before);
      absl::StatusOr<v1::Assessment> new_answer =
          Reevaluate(d.record, *full, after);
      if (!old_answer.ok()) {
        visit(d.record.decision_id(), old_answer.status());
      } else if (!new_answer.ok()) {
        visit(d.record.decision_id(), new_answer.status());
      } else {
        visit(d.record.decision_id(),
              SummarizeChanges(*old_answer, *new_answer));
      }
    }
    token = std::move(page->next_page_token);
  } while (!token.empty());
  return absl::OkStatus();
}

v1::GetTreeHeadResponse Auditor::GetTreeHead() const {
  const ledger::SignedTreeHead sth = ledger_->LatestTreeHead();
  v1::GetTreeHeadResponse response;
  response.set_tree_size(sth.head.tree_size);
  response.set_root_hash(std::string(ledger::HashBytes(sth.head.root)));
  *response.mutable_timestamp() =
      TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(sth.head.timestamp));
  response.set_signature(sth.signature);
  response.set_public_key(ledger_->public_key());
  return response;
}

absl::StatusOr<v1::GetInclusionProofResponse> Auditor::GetInclusionProof(
    const v1::GetInclusionProofRequest& request) {
  uint64_t index = request.leaf_index();
  if (request.leaf_case() == v1::GetInclusionProofRequest::kDecisionId) {
    absl::StatusOr<ledger::StoredDecision> stored =
        ledger_->GetDecision(request.decision_id());
    if (!stored.ok()) return stored.status();
    index = stored->leaf_index;
  } else if (request.leaf_case() != v1::GetInclusionProofRequest::kLeafIndex) {
    return absl::InvalidArgumentError(
        "invalid request: leaf: required (leaf_index or decision_id)");
  }
  const uint64_t size = request.tree_size() != 0
                            ? request.tree_size()
                            : ledger_->LatestTreeHead().head.tree_size;
  absl::StatusOr<std::vector<ledger::Hash>> proof =
      ledger_->InclusionProof(index, size);
  if (!proof.ok()) return proof.status();
  absl::StatusOr<ledger::LeafEntry> leaf = ledger_->GetLeaf(index);
  if (!leaf.ok()) return leaf.status();
  v1::GetInclusionProofResponse response;
  response.set_leaf_index(index);
  response.set_tree_size(size);
  response.set_leaf(std::move(leaf->record));
  response.set_leaf_hash(std::string(ledger::HashBytes(leaf->leaf_hash)));
  for (const ledger::Hash& h : *proof) {
    response.add_hashes(std::string(ledger::HashBytes(h)));
  }
  return response;
}

absl::StatusOr<v1::GetConsistencyProofResponse> Auditor::GetConsistencyProof(
    const v1::GetConsistencyProofRequest& request) const {
  absl::StatusOr<std::vector<ledger::Hash>> proof =
      ledger_->ConsistencyProof(request.first(), request.second());
  if (!proof.ok()) return proof.status();
  v1::GetConsistencyProofResponse response;
  for (const ledger::Hash& h : *proof) {
    response.add_hashes(std::string(ledger::HashBytes(h)));
  }
  return response;
}

}  // namespace lantern
