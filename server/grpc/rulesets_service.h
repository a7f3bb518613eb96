// RuleSetsService: the lantern.v1.RuleSets gRPC service on the callback
// API, a thin edge over RuleSetRegistry.
//
// List and Get only read and answer inline; so does Shadow, once its access
// record is durable. Validate and Activate load,
// compile and test a candidate (milliseconds to seconds) or wait for the
// ledger to record an activation (a commit), so they run on the
// RuleSetWorker and finish their reactor from there: no gRPC thread waits.
//
// Requests are parsed by ParsedRequests (INVALID_ARGUMENT when they do not
// parse or carry unknown fields).
//
// Thread-safety: handlers run on many threads; all shared state is in the
// registry and the worker, both thread-safe.
#ifndef LANTERN_SERVER_GRPC_RULESETS_SERVICE_H_
#define LANTERN_SERVER_GRPC_RULESETS_SERVICE_H_

#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "lantern/v1/service.grpc.pb.h"
#include "server/app/activation_ledger.h"
#include "server/app/ruleset_analysis.h"
#include "server/app/ruleset_registry.h"
#include "server/app/ruleset_worker.h"
#include "server/app/shadow_run.h"
#include "server/grpc/parsed_requests.h"
#include "server/ledger/ledger.h"

namespace lantern {

// Loads `dir` as a candidate and activates it if it passes: the work of
// Activate without a version and of SIGHUP. FAILED_PRECONDITION when `dir`
// cannot be read or the activation gate's analysis refuses the candidate
// (naming the rules that can never fire and the invariants not proven),
// UNAVAILABLE when the activation cannot be recorded; a candidate that
// otherwise fails is an OK response with outcome REJECTED. Either way the
// rejection is recorded (RuleSetRegistry's OnRejected hook).
absl::StatusOr<v1::ActivateRuleSetResponse> ActivateFromDirectory(
    RuleSetRegistry& registry, const std::string& dir,
    absl::string_view activated_by);

class RuleSetsService final
    : public ParsedRequests<v1::RuleSets::CallbackService> {
 public:
  // REQUIRES: `registry`, `worker` and `ledger` (which may be null: no
  // ledger) outlive the service; the worker outlives the server's
  // shutdown. Get answers from the ledger a version that was active once
  // but is not held (it no longer loads under this engine): its files and
  // what the activation recorded of it.
  RuleSetsService(RuleSetRegistry* registry, RuleSetWorker* worker,
                  std::string rules_dir, ledger::Ledger* ledger = nullptr)
      : registry_(registry),
        worker_(worker),
        rules_dir_(std::move(rules_dir)),
        ledger_(ledger) {
    const std::string name = v1::RuleSets::service_full_name();
    ParseUnary(name, "List", &RuleSetsService::List);
    ParseUnary(name, "Get", &RuleSetsService::Get);
    ParseUnary(name, "Validate", &RuleSetsService::Validate);
    ParseUnary(name, "Activate", &RuleSetsService::Activate);
    ParseUnary(name, "Propose", &RuleSetsService::Propose);
    ParseUnary(name, "Shadow", &RuleSetsService::Shadow);
  }

  // Proposals and who may activate them (two-person activation).
  struct Governance {
    ActivationAnalysis* analysis = nullptr;   // the semantic diff; required
    ActivationLedger* activations = nullptr;  // null: no ledger
    // The proposer of a proposal may not activate it.
    bool two_person = false;
  };
  // REQUIRES: before serving; `governance`'s pointers outlive the service.
  // Without it Propose is FAILED_PRECONDITION.
  void set_governance(Governance governance) { governance_ = governance; }
  // The shadow run Shadow starts and stops; null (the default): Shadow is
  // FAILED_PRECONDITION. REQUIRES: before serving; outlives the service.
  void set_shadow(ShadowRun* shadow) { shadow_ = shadow; }
  // Holds `version` as a pending proposal by `proposed_by`, as Propose
  // does once it has recorded one: for proposals rebuilt from the ledger
  // at startup (ActivationLedger::PendingProposals).
  void AddProposal(std::shared_ptr<const RuleSetVersion> version,
                   std::string proposed_by);

  grpc::ServerUnaryReactor* List(grpc::CallbackServerContext* context,
                                 const v1::ListRuleSetsRequest* request,
                                 v1::ListRuleSetsResponse* response) override;
  grpc::ServerUnaryReactor* Get(grpc::CallbackServerContext* context,
                                const v1::GetRuleSetRequest* request,
                                v1::GetRuleSetResponse* response) override;
  grpc::ServerUnaryReactor* Validate(
      grpc::CallbackServerContext* context,
      const v1::ValidateRuleSetRequest* request,
      v1::ValidateRuleSetResponse* response) override;
  grpc::ServerUnaryReactor* Activate(
      grpc::CallbackServerContext* context,
      const v1::ActivateRuleSetRequest* request,
      v1::ActivateRuleSetResponse* response) override;
  grpc::ServerUnaryReactor* Propose(
      grpc::CallbackServerContext* context,
      const v1::ProposeRuleSetRequest* request,
      v1::ProposeRuleSetResponse* response) override;
  // Starts or stops the shadow run (service.proto). The start or stop is
  // in the access log before it takes effect and before the answer.
  grpc::ServerUnaryReactor* Shadow(
      grpc::CallbackServerContext* context,
      const v1::ShadowRuleSetRequest* request,
      v1::ShadowRuleSetResponse* response) override;

  // Get's answer for `version` (empty: the active one), for another edge
  // to share (the web console). Thread-safe.
  absl::StatusOr<v1::GetRuleSetResponse> GetVersion(
      const std::string& version) const;

 private:
  // The files of a version only the ledger has; NOT_FOUND otherwise.
  absl::Status GetFromLedger(const std::string& version,
                             v1::GetRuleSetResponse* response) const;

  RuleSetRegistry* registry_;
  RuleSetWorker* worker_;
  const std::string rules_dir_;
  ledger::Ledger* const ledger_;
  Governance governance_;
  ShadowRun* shadow_ = nullptr;
  struct Proposal {
    std::shared_ptr<const RuleSetVersion> version;
    std::string proposed_by;
  };
  // Pending proposals by digest: this process's, and those rebuilt from
  // the ledger at startup (AddProposal).
  absl::Mutex proposals_mu_;
  std::map<std::string, Proposal> proposals_ ABSL_GUARDED_BY(proposals_mu_);
  // The pending proposal with this digest, if any.
  std::optional<Proposal> FindProposal(const std::string& digest);
};

}  // namespace lantern

#endif  // LANTERN_SERVER_GRPC_RULESETS_SERVICE_H_
