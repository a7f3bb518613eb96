// CutToView: clears what a view leaves out (see assessment.proto View).
#include "server/app/assessment_view.h"

#include <string>

#include "engine/version.h"

namespace lantern {
namespace {

// The engine whose DECISION view was the first (assessment_view.h).
constexpr absl::string_view kFirstViewsEngine = "lantern-engine 0.8.0";

// `lean`: the DECISION view since engine 0.9.0; without, the first one
// (engine 0.8.0), which also kept the grade's and concerns' raising rules,
// the concerns' rules, prompt titles, action owners, the NRM's consent
// basis and route, and everything each unknown fact decides.

// A prompt by name, answer and what would decide it: no title (when
// `lean`), reasons, evidence, findings or cite.
void CutPrompt(v1::Prompt* prompt, bool lean) {
  if (lean) prompt->clear_title();
  prompt->clear_reasons();
  prompt->clear_evidence();
  prompt->clear_findings();
  prompt->clear_cite();
}

// An action by code and deadline: no title, owner (when `lean`), cite or
// triggers.
void CutAction(v1::Action* action, bool lean) {
  action->clear_title();
  if (lean) action->clear_owner_agency();
  action->clear_cite();
  action->clear_triggered_by();
}

bool RaisesGradeOrLevel(const std::string& decides) {
  return decides == "grade" || decides.rfind("concern:", 0) == 0;
}

bool RaisesGradeOrLevel(const v1::UnknownFact& fact) {
  for (const std::string& d : fact.decides()) {
    if (RaisesGradeOrLevel(d)) return true;
  }
  return false;
}

// Keeps the elements of `list` for which `keep` holds, in order.
template <typename T, typename Keep>
void KeepOnly(google::protobuf::RepeatedPtrField<T>* list, Keep keep) {
  int kept = 0;
  for (int i = 0; i < list->size(); ++i) {
    if (!keep(list->Get(i))) continue;
    if (kept != i) list->SwapElements(kept, i);
    ++kept;
  }
  list->DeleteSubrange(kept, list->size() - kept);
}

void CutToDecision(v1::Assessment* answer, bool lean) {
  if (lean) {
    answer->mutable_grade()->clear_raising_rules();
    for (v1::ConcernOutcome& c : *answer->mutable_concerns()) {
      c.clear_rules();
      c.clear_raising_rules();
    }
  }
  answer->clear_blocked_rules();
  answer->clear_push_factors();
  answer->clear_pull_factors();
  answer->clear_indicators();
  if (answer->has_nrm()) {
    v1::NrmPrompt* nrm = answer->mutable_nrm();
    CutPrompt(nrm->mutable_prompt(), lean);
    if (lean) {
      nrm->clear_consent_basis();
      nrm->clear_referral_route();
    }
  }
  for (v1::Prompt& prompt : *answer->mutable_prompts()) {
    CutPrompt(&prompt, lean);
  }
  for (v1::Action& action : *answer->mutable_actions()) {
    CutAction(&action, lean);
  }
  for (v1::Action& action : *answer->mutable_actions_to_consider()) {
    CutAction(&action, lean);
  }
  for (v1::FiredRule& rule : *answer->mutable_fired_rules()) {
    rule.clear_evidence();
    rule.clear_cite();
  }
  // The facts that could raise the grade or a level (when `lean`, with
  // only that).
  auto* unknown = answer->mutable_unknown_facts();
  KeepOnly(unknown,
           [](const v1::UnknownFact& f) { return RaisesGradeOrLevel(f); });
  if (!lean) return;
  for (v1::UnknownFact& fact : *unknown) {
    KeepOnly(fact.mutable_decides(),
             [](const std::string& d) { return RaisesGradeOrLevel(d); });
  }
}

}  // namespace

void CutToView(v1::View view, v1::Assessment* answer,
               absl::string_view engine_version) {
  switch (view) {
    case v1::FULL:
      return;
    case v1::DECISION:
      CutToDecision(answer, engine_version != kFirstViewsEngine);
      return;
    case v1::EXPLAINED:
    default:
      answer->clear_blocked_rules();
      return;
  }
}

}  // namespace lantern
