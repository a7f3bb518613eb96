// RuleSetsService: List and Get answer inline from the registry (Get falls
// back to the ledger); Validate and Activate post their work to the
// worker, which fills the response and finishes the reactor. Candidate
// files sent to Validate must have relative, '/'-separated paths without
// ".." (INVALID_ARGUMENT naming each bad one).
#include "server/grpc/rulesets_service.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "server/app/echo_value.h"
#include "server/grpc/ruleset_proto.h"
#include "server/grpc/status_map.h"

namespace lantern {
namespace {

void FillActive(const RuleSetRegistry& registry,
                v1::ActivateRuleSetResponse* response) {
  std::shared_ptr<const RuleSetVersion> active = registry.Active();
  if (active != nullptr) {
    *response->mutable_active() = RuleSetInfoProto(*active, true);
  }
}

constexpr char kActivate[] = "/lantern.v1.RuleSets/Activate";

// What an Activate call asked for and what came of it, for its access
// record.
std::string ActivateSubject(const v1::ActivateRuleSetRequest& request,
                            const v1::ActivateRuleSetResponse& response) {
  return absl::StrCat(
      request.version().empty() ? "the rules directory"
                                : "version=" + EchoValue(request.version()),
      ": ", v1::ActivateRuleSetResponse::Outcome_Name(response.outcome()),
      "; active ", response.active().digest());
}

// Files sorted by path into the response.
void AddFiles(std::vector<SourceFile> files, v1::GetRuleSetResponse* response) {
  std::sort(
      files.begin(), files.end(),
      [](const SourceFile& a, const SourceFile& b) { return a.path < b.path; });
  for (SourceFile& file : files) {
    v1::RuleSetFile* f = response->add_files();
    f->set_path(std::move(file.path));
    f->set_content(std::move(file.content));
  }
}

}  // namespace

absl::StatusOr<v1::ActivateRuleSetResponse> ActivateFromDirectory(
    RuleSetRegistry& registry, const std::string& dir,
    absl::string_view activated_by) {
  absl::StatusOr<Candidate> candidate =
      registry.ActivateDirectory(dir, activated_by);
  if (!candidate.ok()) return candidate.status();
  if (!candidate->refusals.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the analysis refuses ruleset ", candidate->digest, ": ",
                     absl::StrJoin(candidate->refusals, "; ")));
  }
  v1::ActivateRuleSetResponse response;
  response.set_outcome(candidate->passed()
                           ? v1::ActivateRuleSetResponse::ACTIVATED
                           : v1::ActivateRuleSetResponse::REJECTED);
  DiagnosticsToProto(candidate->diagnostics, response.mutable_diagnostics());
  *response.mutable_tests() = RuleTestSummaryProto(candidate->tests);
  *response.mutable_analysis() =
      RuleSetAnalysisProto(candidate->analysis.get());
  FillActive(registry, &response);
  return response;
}

grpc::ServerUnaryReactor* RuleSetsService::List(
    grpc::CallbackServerContext* context, const v1::ListRuleSetsRequest*,
    v1::ListRuleSetsResponse* response) {
  std::shared_ptr<const RuleSetVersion> active = registry_->Active();
  for (const auto& version : registry_->List()) {
    *response->add_rulesets() = RuleSetInfoProto(*version, version == active);
  }
  if (active != nullptr) response->set_active_digest(active->digest);
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

absl::Status RuleSetsService::GetFromLedger(
    const std::string& version, v1::GetRuleSetResponse* response) const {
  const absl::Status not_found = absl::NotFoundError(
      absl::StrCat("no ruleset version ", EchoValue(version)));
  if (ledger_ == nullptr) return not_found;
  absl::StatusOr<std::vector<ledger::StoredActivation>> activations =
      ledger_->ListActivations();
  if (!activations.ok()) return activations.status();
  for (auto it = activations->rbegin(); it != activations->rend(); ++it) {
    const v1::ActivationRecord& a = it->record;
    if (a.ruleset_digest() != version && a.ruleset_version() != version) {
      continue;
    }
    absl::StatusOr<std::vector<SourceFile>> files =
        ledger_->GetRuleSetFiles(a.ruleset_digest());
    if (!files.ok()) return files.status();
    response->mutable_info()->set_id(a.ruleset_id());
    response->mutable_info()->set_version(a.ruleset_version());
    response->mutable_info()->set_digest(a.ruleset_digest());
    AddFiles(*std::move(files), response);
    return absl::OkStatus();
  }
  return not_found;
}

grpc::ServerUnaryReactor* RuleSetsService::Get(
    grpc::CallbackServerContext* context, const v1::GetRuleSetRequest* request,
    v1::GetRuleSetResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  std::shared_ptr<const RuleSetVersion> active = registry_->Active();
  std::shared_ptr<const RuleSetVersion> version =
      request->version().empty() ? active : registry_->Find(request->version());
  if (version == nullptr) {
    reactor->Finish(
        ToGrpcStatus(request->version().empty()
                         ? absl::FailedPreconditionError("no ruleset is active")
                         : GetFromLedger(request->version(), response)));
    return reactor;
  }
  *response->mutable_info() = RuleSetInfoProto(*version, version == active);
  AddFiles(version->ruleset->files, response);
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* RuleSetsService::Validate(
    grpc::CallbackServerContext* context,
    const v1::ValidateRuleSetRequest* request,
    v1::ValidateRuleSetResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const std::vector<std::string> bad =
      CandidatePathProblems(request->files(), "files");
  if (!bad.empty()) {
    reactor->Finish(ToGrpcStatus(absl::InvalidArgumentError(
        absl::StrCat("invalid request: ", absl::StrJoin(bad, "; ")))));
    return reactor;
  }
  std::vector<SourceFile> files;
  for (const v1::RuleSetFile& f : request->files()) {
    files.push_back({f.path(), f.content()});
  }
  worker_->Post([this, reactor, response, files = std::move(files)]() mutable {
    Candidate candidate = registry_->Validate(std::move(files), "");
    response->set_passed(candidate.passed());
    response->set_digest(candidate.digest);
    DiagnosticsToProto(candidate.diagnostics, response->mutable_diagnostics());
    *response->mutable_tests() = RuleTestSummaryProto(candidate.tests);
    *response->mutable_analysis() =
        RuleSetAnalysisProto(candidate.analysis.get());
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

grpc::ServerUnaryReactor* RuleSetsService::Activate(
    grpc::CallbackServerContext* context,
    const v1::ActivateRuleSetRequest* request,
    v1::ActivateRuleSetResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const Caller caller = CallerOf(*context);
  // Every Activate is in the access log, with its outcome, before the
  // caller hears it.
  auto finish = [this, reactor, request, response,
                 record = access_control() != nullptr
                              ? access_control()->NewRecord(caller, kActivate)
                              : v1::AccessRecord()](absl::Status status) {
    if (access_control() == nullptr) {
      reactor->Finish(ToGrpcStatus(status));
      return;
    }
    v1::AccessRecord logged = record;
    logged.set_subject(ActivateSubject(*request, *response));
    access_control()->Record(
        std::move(logged), status, [reactor, status](absl::Status recorded) {
          reactor->Finish(ToGrpcStatus(recorded.ok() ? status : recorded));
        });
  };
  if (!request->version().empty()) {
    // On the worker too: recording the activation waits for a commit.
    worker_->Post([this, request, response, by = caller.principal,
                   finish = std::move(finish)] {
      absl::StatusOr<std::shared_ptr<const RuleSetVersion>> version =
          registry_->Reactivate(request->version(), by);
      if (version.ok()) {
        response->set_outcome(v1::ActivateRuleSetResponse::ACTIVATED);
        FillActive(*registry_, response);
      }
      finish(version.status());
    });
    return reactor;
  }
  worker_->Post(
      [this, response, by = caller.principal, finish = std::move(finish)] {
        absl::StatusOr<v1::ActivateRuleSetResponse> result =
            ActivateFromDirectory(*registry_, rules_dir_, by);
        if (result.ok()) *response = *std::move(result);
        finish(result.status());
      });
  return reactor;
}

}  // namespace lantern
