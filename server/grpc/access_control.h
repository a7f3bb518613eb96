// AccessControl: who is calling, what their roles let them call, and the
// access log (ledger AccessRecords) of consultations and refusals.
//
// The table. MethodTable() is the one list of every Lantern RPC (full
// method name) with the roles that may call it, whether it returns
// recorded decisions (then it needs a `purpose` and every call is
// logged) and whether every call of it is logged anyway (Activate):
//
//   RiskAssessment/Assess, AssessStream          assessor
//   RuleSets/List, Get, Validate                 rule_author, ruleset_admin
//   RuleSets/Activate                            ruleset_admin         logged
//   Audit/GetDecision                            auditor, data_officer,
//                                                assessor (own only)  purpose
//   Audit/ListDecisions, Replay, WhatIf,
//         GetInclusionProof                      auditor, data_officer purpose
//   Audit/Backtest, GetTreeHead,
//         GetConsistencyProof                    auditor, data_officer
//   Audit/ListAccess                             data_officer
//
// grpc.health.v1.Health and server reflection are not Lantern's and stay
// open. A method missing from the table is refused to everyone.
//
// The check. Admit() is the one place a call is let in: every handler of
// every Lantern service goes through it before its request is parsed
// (ParsedRequests does it for the unary methods; AssessStream and
// Backtest call it first thing). With certificates, the caller is the
// principal its client certificate names (transport_security.h) with the
// roles the access policy gives it: no principal is UNAUTHENTICATED, a
// role missing PERMISSION_DENIED naming the roles that would do. In local
// mode (plain text) every caller is the principal "local" with every role.
// A refusal is appended to the access log (not waited for: a refused call
// has disclosed nothing).
//
// The log. Record() appends an access record and calls back once it is
// durable; handlers that return recorded decisions send their answer only
// from there (UNAVAILABLE when it could not be recorded). Without a ledger
// (--ledger_off) nothing is recorded and Record() calls back at once.
//
// Thread-safety: every method may be called from any thread; the policy
// is swapped atomically (SetPolicy, on SIGHUP) and calls in flight keep
// the one they started with.
#ifndef LANTERN_SERVER_GRPC_ACCESS_CONTROL_H_
#define LANTERN_SERVER_GRPC_ACCESS_CONTROL_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "grpcpp/grpcpp.h"
#include "lantern/v1/ledger.pb.h"
#include "server/app/access_policy.h"
#include "server/ledger/ledger.h"

namespace lantern {

struct MethodAccess {
  const char* method;  // "/lantern.v1.Audit/GetDecision"
  RoleSet roles;
  bool needs_purpose;  // returns recorded decisions
  bool logged;         // every call is an access record
};

absl::Span<const MethodAccess> MethodTable();
// Null for a method the table does not list.
const MethodAccess* FindMethod(absl::string_view method);

struct Caller {
  std::string principal;
  RoleSet roles;
};

// The longest purpose accepted, in bytes.
inline constexpr size_t kMaxPurposeBytes = 500;

class AccessControl {
 public:
  // Local mode: no policy, every caller "local" with every role.
  // REQUIRES: `ledger` (may be null: nothing is recorded) outlives this.
  AccessControl(ledger::Ledger* ledger, std::function<absl::Time()> clock)
      : ledger_(ledger), clock_(std::move(clock)) {}
  // Certificate mode: principals from client certificates, roles from
  // `policy` (not null).
  AccessControl(std::shared_ptr<const AccessPolicy> policy,
                ledger::Ledger* ledger, std::function<absl::Time()> clock)
      : ledger_(ledger), clock_(std::move(clock)), policy_(std::move(policy)) {}

  bool local() const;

  // The caller of the call `context` belongs to (no roles for a principal
  // the policy does not name; an empty principal without one).
  Caller Identify(const grpc::ServerContextBase& context) const;

  // The call of `method` is let in (the caller) or refused, and the
  // refusal logged: UNAUTHENTICATED, or PERMISSION_DENIED naming the roles
  // the method needs.
  absl::StatusOr<Caller> Admit(const grpc::ServerContextBase& context,
                               absl::string_view method);

  // OK, or INVALID_ARGUMENT: a read of recorded decisions needs a purpose
  // of 1..kMaxPurposeBytes bytes that is not only blanks.
  static absl::Status CheckPurpose(absl::string_view purpose);

  // An access record of `caller` calling `method` now: principal, time,
  // method and roles filled in.
  v1::AccessRecord NewRecord(const Caller& caller,
                             absl::string_view method) const;
  // Sets code and message from `outcome`, appends the record and calls
  // `done` once it is durable: OK, or UNAVAILABLE saying it could not be.
  void Record(v1::AccessRecord record, const absl::Status& outcome,
              std::function<void(absl::Status)> done);
  // The same, not waited for (refusals).
  void RecordRefusal(v1::AccessRecord record, const absl::Status& refusal);

  // Replaces the policy (certificate mode only).
  void SetPolicy(std::shared_ptr<const AccessPolicy> policy);

 private:
  std::shared_ptr<const AccessPolicy> policy() const;

  ledger::Ledger* const ledger_;
  const std::function<absl::Time()> clock_;
  mutable absl::Mutex mu_;
  // Null in local mode.
  std::shared_ptr<const AccessPolicy> policy_ ABSL_GUARDED_BY(mu_);
};

}  // namespace lantern

#endif  // LANTERN_SERVER_GRPC_ACCESS_CONTROL_H_
