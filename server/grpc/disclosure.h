// Disclosure of recorded decisions: the one path by which a read of
// recorded decisions (Audit.GetDecision, ListDecisions, Replay, WhatIf,
// GetInclusionProof, ListLinkedDecisions) reaches its caller, whatever the
// edge (the gRPC AuditService, the web console).
//
// CheckPurposeLogged: the read's purpose is checked
// (AccessControl::CheckPurpose) and a refusal is logged.
//
// Disclose: the answer is fitted to what the caller's roles let it see —
// a data_officer everything; an auditor the answer with personal data
// removed (personal_data.h), the access record saying so; anyone else
// (an assessor) only decisions it made itself, PERMISSION_DENIED
// otherwise — then the access record (the decision ids disclosed, the
// subject and purpose, the outcome) is appended, and `done` is called
// with the fitted answer once the record is durable, or with UNAVAILABLE
// when it could not be recorded. With a null `access` (no access control)
// `done` is called at once with the answer fitted to the caller.
//
// Thread-safety: stateless; `done` may run on the ledger's thread.
#ifndef LANTERN_SERVER_GRPC_DISCLOSURE_H_
#define LANTERN_SERVER_GRPC_DISCLOSURE_H_

#include <functional>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "lantern/v1/audit.pb.h"
#include "server/app/personal_data.h"
#include "server/grpc/access_control.h"

namespace lantern {

// What the caller's roles let it see of recorded decisions.
enum class DecisionView { kFull, kWithoutPersonalData, kOwnOnly };

DecisionView DecisionViewOf(const Caller& caller);

// OK when `purpose` is acceptable; otherwise the refusal, logged (when
// `access` is not null) with `subject` and the purpose as given.
absl::Status CheckPurposeLogged(AccessControl* access, const Caller& caller,
                                const char* method, const std::string& subject,
                                const std::string& purpose);

// The decisions an answer carries.
void AddDecisionIds(const v1::GetDecisionResponse& r, v1::AccessRecord* a);
void AddDecisionIds(const v1::ListDecisionsResponse& r, v1::AccessRecord* a);
void AddDecisionIds(const v1::ListLinkedDecisionsResponse& r,
                    v1::AccessRecord* a);
void AddDecisionIds(const v1::ReplayResponse& r, v1::AccessRecord* a);
void AddDecisionIds(const v1::WhatIfResponse& r, v1::AccessRecord* a);
void AddDecisionIds(const v1::GetInclusionProofResponse& r,
                    v1::AccessRecord* a);

// Whether every decision in the answer was made by `principal` (only a
// GetDecision answer can be).
inline bool MadeBy(const v1::GetDecisionResponse& r,
                   const std::string& principal) {
  return r.decision().principal() == principal;
}
template <typename Response>
bool MadeBy(const Response&, const std::string&) {
  return false;
}

template <typename Response>
void Disclose(AccessControl* access, const Caller& caller, const char* method,
              const std::string& subject, const std::string& purpose,
              absl::StatusOr<Response> result,
              std::function<void(absl::StatusOr<Response>)> done) {
  const DecisionView view = DecisionViewOf(caller);
  v1::AccessRecord record;
  if (access != nullptr) record = access->NewRecord(caller, method);
  record.set_subject(subject);
  record.set_purpose(purpose);
  if (result.ok() && view == DecisionView::kOwnOnly &&
      !MadeBy(*result, caller.principal)) {
    result = absl::PermissionDeniedError(
        "an assessor may read only the decisions it made itself; reading "
        "others' needs the role auditor or data_officer");
  }
  if (result.ok()) {
    AddDecisionIds(*result, &record);
    if (view == DecisionView::kWithoutPersonalData) {
      RemovePersonalData(*result);
      record.set_personal_data_removed(true);
    }
  }
  if (access == nullptr) {
    done(std::move(result));
    return;
  }
  const absl::Status outcome = result.status();
  access->Record(std::move(record), outcome,
                 [done = std::move(done),
                  result = std::move(result)](absl::Status recorded) mutable {
                   if (!recorded.ok()) {
                     done(recorded);
                     return;
                   }
                   done(std::move(result));
                 });
}

}  // namespace lantern

#endif  // LANTERN_SERVER_GRPC_DISCLOSURE_H_
