// AccessControl (access_control.h): the method table, Admit (identity,
// then roles), the purpose rule, and access records into the ledger.
#include "server/grpc/access_control.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "server/app/echo_value.h"
#include "server/grpc/transport_security.h"

namespace lantern {
namespace {

constexpr RoleSet kAuditors = {Role::kAuditor, Role::kDataOfficer};
constexpr RoleSet kRuleReaders = {Role::kRuleAuthor, Role::kRulesetAdmin};

constexpr MethodAccess kMethods[] = {
    {"/lantern.v1.RiskAssessment/Assess", {Role::kAssessor}, false, false},
    {"/lantern.v1.RiskAssessment/AssessStream",
     {Role::kAssessor},
     false,
     false},
    {"/lantern.v1.RuleSets/List", kRuleReaders, false, false},
    {"/lantern.v1.RuleSets/Get", kRuleReaders, false, false},
    {"/lantern.v1.RuleSets/Validate", kRuleReaders, false, false},
    {"/lantern.v1.RuleSets/Activate", {Role::kRulesetAdmin}, false, true},
    {"/lantern.v1.RuleSets/Propose", kRuleReaders, false, false},
    {"/lantern.v1.Audit/GetDecision",
     {Role::kAuditor, Role::kDataOfficer, Role::kAssessor},
     true,
     true},
    {"/lantern.v1.Audit/ListDecisions", kAuditors, true, true},
    {"/lantern.v1.Audit/Replay", kAuditors, true, true},
    {"/lantern.v1.Audit/WhatIf", kAuditors, true, true},
    {"/lantern.v1.Audit/GetInclusionProof", kAuditors, true, true},
    {"/lantern.v1.Audit/Backtest", kAuditors, false, false},
    {"/lantern.v1.Audit/GetTreeHead", kAuditors, false, false},
    {"/lantern.v1.Audit/GetConsistencyProof", kAuditors, false, false},
    {"/lantern.v1.Audit/ListAccess", {Role::kDataOfficer}, false, false},
};

constexpr char kLocal[] = "local";

}  // namespace

absl::Span<const MethodAccess> MethodTable() { return kMethods; }

const MethodAccess* FindMethod(absl::string_view method) {
  for (const MethodAccess& m : kMethods) {
    if (m.method == method) return &m;
  }
  return nullptr;
}

bool AccessControl::local() const { return policy() == nullptr; }

std::shared_ptr<const AccessPolicy> AccessControl::policy() const {
  absl::MutexLock lock(&mu_);
  return policy_;
}

void AccessControl::SetPolicy(std::shared_ptr<const AccessPolicy> policy) {
  absl::MutexLock lock(&mu_);
  if (policy_ != nullptr && policy != nullptr) policy_ = std::move(policy);
}

Caller AccessControl::Identify(const grpc::ServerContextBase& context) const {
  std::shared_ptr<const AccessPolicy> current = policy();
  if (current == nullptr) return {kLocal, RoleSet::All()};
  Caller caller;
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth != nullptr) caller.principal = PrincipalFromAuthContext(*auth);
  if (!caller.principal.empty()) {
    caller.roles = current->RolesOf(caller.principal);
  }
  return caller;
}

absl::StatusOr<Caller> AccessControl::Admit(
    const grpc::ServerContextBase& context, absl::string_view method) {
  Caller caller = Identify(context);
  const MethodAccess* access = FindMethod(method);
  absl::Status refusal;
  if (caller.principal.empty()) {
    refusal = absl::UnauthenticatedError(
        "the call carries no client identity: a client certificate with a "
        "SAN URI, SAN DNS name or CN is needed");
  } else if (access == nullptr) {
    refusal = absl::PermissionDeniedError(
        absl::StrCat(method, " is not open to any role"));
  } else if (!caller.roles.Intersects(access->roles)) {
    refusal = absl::PermissionDeniedError(absl::StrCat(
        method, " needs the role ", access->roles.Describe(), "; principal ",
        EchoValue(caller.principal), " has ",
        caller.roles.empty() ? "no role" : caller.roles.Describe()));
  }
  if (refusal.ok()) return caller;
  RecordRefusal(NewRecord(caller, method), refusal);
  return refusal;
}

absl::Status AccessControl::CheckPurpose(absl::string_view purpose) {
  if (absl::StripAsciiWhitespace(purpose).empty()) {
    return absl::InvalidArgumentError(
        "invalid request: purpose: required — say why these children's "
        "records are read (it is kept in the access log)");
  }
  if (purpose.size() > kMaxPurposeBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid request: purpose: ", purpose.size(),
                     " bytes; at most ", kMaxPurposeBytes));
  }
  return absl::OkStatus();
}

v1::AccessRecord AccessControl::NewRecord(const Caller& caller,
                                          absl::string_view method) const {
  v1::AccessRecord record;
  record.set_principal(caller.principal);
  *record.mutable_accessed_at() =
      google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(
          absl::ToUnixMicros(clock_()));
  record.set_method(std::string(method));
  for (const std::string& role : caller.roles.Names()) record.add_roles(role);
  return record;
}

void AccessControl::Record(v1::AccessRecord record, const absl::Status& outcome,
                           std::function<void(absl::Status)> done) {
  record.set_code(static_cast<int>(outcome.code()));
  record.set_message(std::string(outcome.message()));
  if (ledger_ == nullptr) {
    done(absl::OkStatus());
    return;
  }
  ledger_->AppendAccessAsync(
      record, [done = std::move(done)](absl::StatusOr<uint64_t> appended) {
        if (appended.ok()) {
          done(absl::OkStatus());
          return;
        }
        done(absl::UnavailableError(absl::StrCat(
            "the access could not be recorded in the audit ledger, so "
            "nothing is disclosed; retry later (",
            appended.status().message(), ")")));
      });
}

void AccessControl::RecordRefusal(v1::AccessRecord record,
                                  const absl::Status& refusal) {
  Record(std::move(record), refusal, [](absl::Status) {});
}

}  // namespace lantern
