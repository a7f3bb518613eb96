// Disclosure (disclosure.h): the non-template parts.
#include "server/grpc/disclosure.h"

#include "server/app/echo_value.h"

namespace lantern {

DecisionView DecisionViewOf(const Caller& caller) {
  if (caller.roles.Has(Role::kDataOfficer)) return DecisionView::kFull;
  if (caller.roles.Has(Role::kAuditor)) {
    return DecisionView::kWithoutPersonalData;
  }
  return DecisionView::kOwnOnly;  // an assessor (GetDecision only, by the
                                  // table)
}

absl::Status CheckPurposeLogged(AccessControl* access, const Caller& caller,
                                const char* method, const std::string& subject,
                                const std::string& purpose) {
  absl::Status s = AccessControl::CheckPurpose(purpose);
  if (!s.ok() && access != nullptr) {
    v1::AccessRecord record = access->NewRecord(caller, method);
    record.set_subject(subject);
    record.set_purpose(std::string(Utf8Prefix(purpose, kMaxPurposeBytes)));
    access->RecordRefusal(std::move(record), s);
  }
  return s;
}

void AddDecisionIds(const v1::GetDecisionResponse& r, v1::AccessRecord* a) {
  a->add_decision_ids(r.decision().decision_id());
}
void AddDecisionIds(const v1::ListDecisionsResponse& r, v1::AccessRecord* a) {
  for (const v1::DecisionRecord& d : r.decisions()) {
    a->add_decision_ids(d.decision_id());
  }
}
void AddDecisionIds(const v1::ListLinkedDecisionsResponse& r,
                    v1::AccessRecord* a) {
  for (const v1::DecisionRecord& d : r.decisions()) {
    a->add_decision_ids(d.decision_id());
  }
}
void AddDecisionIds(const v1::ReplayResponse& r, v1::AccessRecord* a) {
  a->add_decision_ids(r.recorded().decision_id());
}
void AddDecisionIds(const v1::WhatIfResponse& r, v1::AccessRecord* a) {
  a->add_decision_ids(r.recorded().decision_id());
}
void AddDecisionIds(const v1::GetInclusionProofResponse& r,
                    v1::AccessRecord* a) {
  v1::LedgerRecord leaf;
  if (leaf.ParseFromString(r.leaf()) && leaf.has_decision()) {
    a->add_decision_ids(leaf.decision().decision_id());
  }
}

}  // namespace lantern
