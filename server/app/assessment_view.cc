// CutToView: clears what a view leaves out (see assessment.proto View).
#include "server/app/assessment_view.h"

#include <string>

namespace lantern {
namespace {

// A prompt without its reasons, evidence, findings and cite.
void CutPrompt(v1::Prompt* prompt) {
  prompt->clear_reasons();
  prompt->clear_evidence();
  prompt->clear_findings();
  prompt->clear_cite();
}

// An action by code, owner and deadline: no title, cite or triggers.
void CutAction(v1::Action* action) {
  action->clear_title();
  action->clear_cite();
  action->clear_triggered_by();
}

bool RaisesGradeOrLevel(const v1::UnknownFact& fact) {
  for (const std::string& d : fact.decides()) {
    if (d == "grade" || d.rfind("concern:", 0) == 0) return true;
  }
  return false;
}

void CutToDecision(v1::Assessment* answer) {
  answer->clear_blocked_rules();
  answer->clear_push_factors();
  answer->clear_pull_factors();
  answer->clear_indicators();
  if (answer->has_nrm()) CutPrompt(answer->mutable_nrm()->mutable_prompt());
  for (v1::Prompt& prompt : *answer->mutable_prompts()) CutPrompt(&prompt);
  for (v1::Action& action : *answer->mutable_actions()) CutAction(&action);
  for (v1::Action& action : *answer->mutable_actions_to_consider()) {
    CutAction(&action);
  }
  for (v1::FiredRule& rule : *answer->mutable_fired_rules()) {
    rule.clear_evidence();
    rule.clear_cite();
  }
  auto* unknown = answer->mutable_unknown_facts();
  int kept = 0;
  for (int i = 0; i < unknown->size(); ++i) {
    if (!RaisesGradeOrLevel(unknown->Get(i))) continue;
    if (kept != i) unknown->SwapElements(kept, i);
    ++kept;
  }
  unknown->DeleteSubrange(kept, unknown->size() - kept);
}

}  // namespace

void CutToView(v1::View view, v1::Assessment* answer) {
  switch (view) {
    case v1::FULL:
      return;
    case v1::DECISION:
      CutToDecision(answer);
      return;
    case v1::EXPLAINED:
    default:
      answer->clear_blocked_rules();
      return;
  }
}

}  // namespace lantern
