// AccessControl (access_control.h): the method table, Admit (identity,
// then roles), the purpose rule, and access records into the ledger.
#include "server/grpc/access_control.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
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
    {"/lantern.v1.RuleSets/Shadow", {Role::kRulesetAdmin}, false, true},
    {"/lantern.v1.Audit/GetDecision",
     {Role::kAuditor, Role::kDataOfficer, Role::kAssessor},
     true,
     true},
    {"/lantern.v1.Audit/ListDecisions", kAuditors, true, true},
    {"/lantern.v1.Audit/Replay", kAuditors, true, true},
    {"/lantern.v1.Audit/WhatIf", kAuditors, true, true},
    {"/lantern.v1.Audit/GetInclusionProof", kAuditors, true, true},
    {"/lantern.v1.Audit/Backtest", kAuditors, true, true},
    {"/lantern.v1.Audit/GetTreeHead", kAuditors, false, false},
    {"/lantern.v1.Audit/GetConsistencyProof", kAuditors, false, false},
    {"/lantern.v1.Audit/ListAccess", {Role::kDataOfficer}, false, false},
    {"/lantern.v1.Audit/ListActivations", kAuditors, false, false},
    {"/lantern.v1.Audit/ListLinkedDecisions", kAuditors, true, true},
    {"/lantern.v1.Audit/GetShadowReport",
     {Role::kAuditor, Role::kRuleAuthor, Role::kRulesetAdmin},
     false,
     false},
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

Caller AccessControl::LocalCaller() { return {kLocal, RoleSet::All()}; }

Caller AccessControl::IdentifyPrincipal(std::string principal) const {
  std::shared_ptr<const AccessPolicy> current = policy();
  if (current == nullptr) return LocalCaller();
  Caller caller;
  caller.principal = std::move(principal);
  if (!caller.principal.empty()) {
    caller.roles = current->RolesOf(caller.principal);
  }
  return caller;
}

Caller AccessControl::Identify(const grpc::ServerContextBase& context) const {
  std::shared_ptr<const AccessPolicy> current = policy();
  if (current == nullptr) return LocalCaller();
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
  return AdmitCaller(Identify(context), method, context.peer());
}

absl::StatusOr<Caller> AccessControl::AdmitCaller(Caller caller,
                                                  absl::string_view method,
                                                  absl::string_view peer) {
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
  RecordRefusal(NewRecord(caller, method), refusal, peer);
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
  std::vector<v1::AccessRecord> summaries;
  {
    absl::MutexLock lock(&refusals_mu_);
    TakeClosedWindows(clock_(), /*all=*/false, summaries);
  }
  for (v1::AccessRecord& summary : summaries) Append(std::move(summary));
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

AccessControl::~AccessControl() {
  std::vector<v1::AccessRecord> summaries;
  {
    absl::MutexLock lock(&refusals_mu_);
    TakeClosedWindows(absl::InfiniteFuture(), /*all=*/true, summaries);
  }
  for (v1::AccessRecord& summary : summaries) Append(std::move(summary));
}

void AccessControl::Append(v1::AccessRecord record) {
  if (ledger_ == nullptr) return;
  ledger_->AppendAccessAsync(record, [](absl::StatusOr<uint64_t>) {});
}

void AccessControl::TakeSummary(RefusalWindow& w,
                                std::vector<v1::AccessRecord>& out) {
  if (w.not_recorded == 0) return;
  v1::AccessRecord summary = std::move(w.last);
  summary.set_refusals_not_recorded(w.not_recorded);
  *summary.mutable_not_recorded_since() =
      google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(
          absl::ToUnixMicros(w.first_not_recorded));
  out.push_back(std::move(summary));
  w.not_recorded = 0;
}

void AccessControl::TakeClosedWindows(absl::Time now, bool all,
                                      std::vector<v1::AccessRecord>& out) {
  // A full pass at most once a second: its cost is bounded by max_callers.
  if (!all && now - last_sweep_ < absl::Seconds(1) &&
      now - last_sweep_ < limits_.window) {
    return;
  }
  last_sweep_ = now;
  for (auto it = refusals_.begin(); it != refusals_.end();) {
    RefusalWindow& w = it->second;
    if (!all && w.start + limits_.window > now) {
      ++it;
      continue;
    }
    TakeSummary(w, out);
    refusals_.erase(it++);
  }
}

namespace {

// "ipv4:10.0.0.7:51234" → "10.0.0.7"; "ipv6:[::1]:51234" → "::1"; other
// forms (unix sockets) as they are.
std::string PeerHost(absl::string_view peer) {
  absl::string_view rest = peer;
  if (absl::ConsumePrefix(&rest, "ipv6:[")) {
    return std::string(rest.substr(0, rest.find(']')));
  }
  if (absl::ConsumePrefix(&rest, "ipv4:")) {
    return std::string(rest.substr(0, rest.rfind(':')));
  }
  return std::string(peer);
}

}  // namespace

void AccessControl::RecordRefusal(v1::AccessRecord record,
                                  const absl::Status& refusal,
                                  absl::string_view peer) {
  record.set_code(static_cast<int>(refusal.code()));
  record.set_message(std::string(refusal.message()));
  if (record.principal().empty() && !peer.empty()) {
    record.set_peer(PeerHost(peer));
  }
  const absl::Time now = clock_();
  std::vector<v1::AccessRecord> summaries;
  bool write = true;
  {
    absl::MutexLock lock(&refusals_mu_);
    TakeClosedWindows(now, /*all=*/false, summaries);
    std::string key = record.principal().empty()
                          ? absl::StrCat("peer ", record.peer())
                          : absl::StrCat("principal ", record.principal());
    if (refusals_.size() >= limits_.max_callers && !refusals_.contains(key)) {
      key = "(callers beyond the limit)";
    }
    auto [it, added] = refusals_.try_emplace(key);
    RefusalWindow& w = it->second;
    if (!added && w.start + limits_.window <= now) {  // not yet swept
      TakeSummary(w, summaries);
      w = RefusalWindow();
      added = true;
    }
    if (added) w.start = now;
    if (w.recorded < limits_.per_window) {
      ++w.recorded;
    } else {
      write = false;
      if (w.not_recorded++ == 0) w.first_not_recorded = now;
      w.last = record;
    }
  }
  for (v1::AccessRecord& summary : summaries) Append(std::move(summary));
  if (write) Append(std::move(record));
}

}  // namespace lantern
