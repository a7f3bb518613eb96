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
//         GetInclusionProof, Backtest,
//         ListLinkedDecisions                    auditor, data_officer purpose
//   Audit/GetTreeHead, GetConsistencyProof,
//         ListActivations                        auditor, data_officer
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
// Refusals are bounded, so that a caller without an identity or a role
// cannot grow the ledger without bound: per caller (its principal; without
// one, its peer's host address) at most `RefusalLimits::per_window`
// refusal records per window; the rest are counted, and the count is
// written as one summary record (AccessRecord.refusals_not_recorded, the
// last refusal's method, code and message) at the first refusal or access
// record after the window closes, or when the AccessControl is destroyed.
// At most `max_callers` callers are tracked at once; beyond that, new
// callers share one window. The refusal answered to the caller is the
// same either way.
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
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
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

// How many refusal records a caller may cause (see above).
struct RefusalLimits {
  int per_window = 10;
  absl::Duration window = absl::Minutes(1);
  size_t max_callers = 10000;
};

class AccessControl {
 public:
  // Local mode: no policy, every caller "local" with every role.
  // REQUIRES: `ledger` (may be null: nothing is recorded) outlives this.
  AccessControl(ledger::Ledger* ledger, std::function<absl::Time()> clock,
                RefusalLimits limits = {})
      : ledger_(ledger), clock_(std::move(clock)), limits_(limits) {}
  // Certificate mode: principals from client certificates, roles from
  // `policy` (not null).
  AccessControl(std::shared_ptr<const AccessPolicy> policy,
                ledger::Ledger* ledger, std::function<absl::Time()> clock,
                RefusalLimits limits = {})
      : ledger_(ledger),
        clock_(std::move(clock)),
        limits_(limits),
        policy_(std::move(policy)) {}
  // Writes the counts of refusals not yet summarised.
  ~AccessControl();
  AccessControl(const AccessControl&) = delete;
  AccessControl& operator=(const AccessControl&) = delete;

  bool local() const;

  // The caller of the call `context` belongs to (no roles for a principal
  // the policy does not name; an empty principal without one).
  Caller Identify(const grpc::ServerContextBase& context) const;

  // The call of `method` is let in (the caller) or refused, and the
  // refusal logged: UNAUTHENTICATED, or PERMISSION_DENIED naming the roles
  // the method needs.
  absl::StatusOr<Caller> Admit(const grpc::ServerContextBase& context,
                               absl::string_view method);
  // The same for a caller identified by another edge (the web console):
  // `peer` names where it called from, for the refusal's record.
  absl::StatusOr<Caller> AdmitCaller(Caller caller, absl::string_view method,
                                     absl::string_view peer);
  // The caller of a call without a client certificate in local mode:
  // "local" with every role.
  static Caller LocalCaller();
  // The caller named `principal` by another edge's certificate check (the
  // web console): its roles from the policy (none for a principal the
  // policy does not name); "local" with every role in local mode.
  Caller IdentifyPrincipal(std::string principal) const;

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
  // The same, not waited for (refusals), within the refusal limits: the
  // caller is record.principal(), else `peer` (a gRPC peer URI such as
  // "ipv4:10.0.0.7:51234"; its host is kept in the record).
  void RecordRefusal(v1::AccessRecord record, const absl::Status& refusal,
                     absl::string_view peer = "");

  // Replaces the policy (certificate mode only).
  void SetPolicy(std::shared_ptr<const AccessPolicy> policy);

 private:
  std::shared_ptr<const AccessPolicy> policy() const;

  // One caller's refusals in its current window.
  struct RefusalWindow {
    absl::Time start;
    int recorded = 0;
    uint64_t not_recorded = 0;
    absl::Time first_not_recorded;
    v1::AccessRecord last;  // the last refusal not recorded
  };
  // Moves the summaries of windows closed by `now` (all when `all`) to
  // `out`, and forgets those windows.
  void TakeClosedWindows(absl::Time now, bool all,
                         std::vector<v1::AccessRecord>& out)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(refusals_mu_);
  // Moves `w`'s count, if any, to `out` as a summary record.
  static void TakeSummary(RefusalWindow& w, std::vector<v1::AccessRecord>& out);
  void Append(v1::AccessRecord record);

  ledger::Ledger* const ledger_;
  const std::function<absl::Time()> clock_;
  const RefusalLimits limits_;
  absl::Mutex refusals_mu_;
  absl::flat_hash_map<std::string, RefusalWindow> refusals_
      ABSL_GUARDED_BY(refusals_mu_);
  absl::Time last_sweep_ ABSL_GUARDED_BY(refusals_mu_) = absl::InfinitePast();
  mutable absl::Mutex mu_;
  // Null in local mode.
  std::shared_ptr<const AccessPolicy> policy_ ABSL_GUARDED_BY(mu_);
};

}  // namespace lantern

#endif  // LANTERN_SERVER_GRPC_ACCESS_CONTROL_H_
