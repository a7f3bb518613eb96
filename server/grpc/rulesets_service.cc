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
#include "google/protobuf/util/time_util.h"
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
constexpr char kShadow[] = "/lantern.v1.RuleSets/Shadow";

google::protobuf::Timestamp TimestampOf(absl::Time t) {
  return google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(
      absl::ToUnixMicros(t));
}

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

absl::StatusOr<v1::GetRuleSetResponse> RuleSetsService::GetVersion(
    const std::string& wanted) const {
  v1::GetRuleSetResponse response;
  std::shared_ptr<const RuleSetVersion> active = registry_->Active();
  std::shared_ptr<const RuleSetVersion> version =
      wanted.empty() ? active : registry_->Find(wanted);
  if (version == nullptr) {
    if (wanted.empty()) {
      return absl::FailedPreconditionError("no ruleset is active");
    }
    if (absl::Status s = GetFromLedger(wanted, &response); !s.ok()) return s;
    return response;
  }
  *response.mutable_info() = RuleSetInfoProto(*version, version == active);
  AddFiles(version->ruleset->files, &response);
  return response;
}

grpc::ServerUnaryReactor* RuleSetsService::Get(
    grpc::CallbackServerContext* context, const v1::GetRuleSetRequest* request,
    v1::GetRuleSetResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<v1::GetRuleSetResponse> answer =
      GetVersion(request->version());
  if (answer.ok()) *response = *std::move(answer);
  reactor->Finish(ToGrpcStatus(answer.status()));
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
  if (std::optional<Proposal> proposal = FindProposal(request->version());
      proposal.has_value()) {
    worker_->Post([this, response, proposal = *std::move(proposal),
                   by = caller.principal, finish = std::move(finish)] {
      if (governance_.two_person && by == proposal.proposed_by) {
        const absl::Status refused = absl::FailedPreconditionError(
            absl::StrCat("two-person activation: ", by, " proposed ",
                         proposal.version->digest,
                         " and may not also activate it; another "
                         "ruleset_admin must"));
        absl::Status recorded = registry_->Refuse(
            {proposal.version->digest, {std::string(refused.message())}}, by);
        FillActive(*registry_, response);
        finish(recorded.ok() ? refused : recorded);
        return;
      }
      absl::StatusOr<std::shared_ptr<const RuleSetVersion>> version =
          registry_->ActivateVersion(proposal.version, by);
      if (version.ok()) {
        {
          absl::MutexLock lock(&proposals_mu_);
          proposals_.erase(proposal.version->digest);
        }
        response->set_outcome(v1::ActivateRuleSetResponse::ACTIVATED);
        FillActive(*registry_, response);
      }
      finish(version.status());
    });
    return reactor;
  }
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

std::optional<RuleSetsService::Proposal> RuleSetsService::FindProposal(
    const std::string& digest) {
  if (digest.empty()) return std::nullopt;
  absl::MutexLock lock(&proposals_mu_);
  auto it = proposals_.find(digest);
  if (it == proposals_.end()) return std::nullopt;
  return it->second;
}

grpc::ServerUnaryReactor* RuleSetsService::Propose(
    grpc::CallbackServerContext* context,
    const v1::ProposeRuleSetRequest* request,
    v1::ProposeRuleSetResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (governance_.analysis == nullptr) {
    reactor->Finish(ToGrpcStatus(
        absl::FailedPreconditionError("this server takes no proposals")));
    return reactor;
  }
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
  worker_->Post([this, reactor, response, files = std::move(files),
                 by = CallerOf(*context).principal]() mutable {
    Candidate candidate = registry_->Validate(std::move(files), "");
    response->set_digest(candidate.digest);
    response->set_proposed_by(by);
    DiagnosticsToProto(candidate.diagnostics, response->mutable_diagnostics());
    *response->mutable_tests() = RuleTestSummaryProto(candidate.tests);
    *response->mutable_analysis() =
        RuleSetAnalysisProto(candidate.analysis.get());
    if (!candidate.passed()) {
      reactor->Finish(grpc::Status::OK);
      return;
    }
    std::vector<std::string> lines;
    std::shared_ptr<const RuleSetVersion> active = registry_->Active();
    if (active != nullptr) {
      response->set_active_digest(active->digest);
      absl::StatusOr<DiffReport> diff =
          governance_.analysis->Diff(*active, *candidate.version);
      if (!diff.ok()) {
        reactor->Finish(ToGrpcStatus(absl::FailedPreconditionError(
            absl::StrCat("cannot compare the candidate with the active "
                         "version: ",
                         diff.status().message()))));
        return;
      }
      response->set_outputs_compared(
          static_cast<int32_t>(diff->outputs.size()));
      for (const DiffFinding& d : diff->outputs) {
        if (!d.differs) continue;
        v1::OutputDifference* o = response->add_differences();
        o->set_output(absl::StrCat(d.kind, " ", d.name));
        o->set_witness_json(d.witness_json);
        o->set_active_says(d.old_says);
        o->set_proposed_says(d.new_says);
        for (const std::string& r : d.rules) o->add_rules(r);
        lines.push_back(absl::StrCat(
            "differs: ", d.kind, " ", d.name, ": active ", d.old_says,
            ", proposed ", d.new_says, "; rules ", absl::StrJoin(d.rules, " "),
            "; episode ", d.witness_json));
      }
      for (const std::string& bug : diff->disagreements) {
        lines.push_back(absl::StrCat("ANALYSIS BUG: ", bug));
      }
    }
    if (governance_.activations != nullptr) {
      absl::Status recorded = governance_.activations->RecordProposal(
          *candidate.version, by, lines);
      if (!recorded.ok()) {
        reactor->Finish(ToGrpcStatus(recorded));
        return;
      }
    }
    {
      absl::MutexLock lock(&proposals_mu_);
      proposals_[candidate.digest] = {candidate.version, by};
    }
    response->set_proposed(true);
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

void RuleSetsService::AddProposal(std::shared_ptr<const RuleSetVersion> version,
                                  std::string proposed_by) {
  absl::MutexLock lock(&proposals_mu_);
  const std::string digest = version->digest;
  proposals_[digest] = {std::move(version), std::move(proposed_by)};
}

grpc::ServerUnaryReactor* RuleSetsService::Shadow(
    grpc::CallbackServerContext* context,
    const v1::ShadowRuleSetRequest* request,
    v1::ShadowRuleSetResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const Caller caller = CallerOf(*context);
  // Logs the call with `subject` and `status`, then (when `status` is OK
  // and the record durable) runs `effect`, then answers.
  auto finish = [this, reactor, caller](std::string subject,
                                        absl::Status status,
                                        std::function<void()> effect) {
    if (access_control() == nullptr) {
      if (status.ok()) effect();
      reactor->Finish(ToGrpcStatus(status));
      return;
    }
    v1::AccessRecord record = access_control()->NewRecord(caller, kShadow);
    record.set_subject(std::move(subject));
    access_control()->Record(
        std::move(record), status,
        [reactor, status, effect = std::move(effect)](absl::Status recorded) {
          if (!recorded.ok()) {
            reactor->Finish(ToGrpcStatus(recorded));
            return;
          }
          if (status.ok()) effect();
          reactor->Finish(ToGrpcStatus(status));
        });
  };
  if (shadow_ == nullptr) {
    reactor->Finish(ToGrpcStatus(
        absl::FailedPreconditionError("this server runs no shadows")));
    return reactor;
  }
  if (request->stop()) {
    if (!shadow_->on()) {
      finish("stop shadow",
             absl::FailedPreconditionError("no shadow run is on"), [] {});
      return reactor;
    }
    finish("stop shadow", absl::OkStatus(), [this, response] {
      absl::StatusOr<std::shared_ptr<const RuleSetVersion>> stopped =
          shadow_->Stop();
      if (stopped.ok()) {
        response->set_candidate_digest((*stopped)->digest);
        response->set_candidate_version((*stopped)->ruleset->manifest.version);
      }
      response->set_shadowing(shadow_->on());
    });
    return reactor;
  }
  if (request->version().empty()) {
    finish("start shadow",
           absl::InvalidArgumentError(
               "invalid request: version: required (a version or digest "
               "RuleSets.List shows, or a pending proposal's digest), or "
               "stop"),
           [] {});
    return reactor;
  }
  std::shared_ptr<const RuleSetVersion> candidate;
  if (std::optional<Proposal> proposal = FindProposal(request->version());
      proposal.has_value()) {
    candidate = proposal->version;
  } else {
    candidate = registry_->Find(request->version());
  }
  if (candidate == nullptr) {
    finish(
        absl::StrCat("start shadow of version=", EchoValue(request->version())),
        absl::NotFoundError(
            absl::StrCat("no ruleset version or pending proposal ",
                         EchoValue(request->version()))),
        [] {});
    return reactor;
  }
  finish(
      absl::StrCat("start shadow of ", candidate->digest, " (version ",
                   candidate->ruleset->manifest.version, ")"),
      absl::OkStatus(), [this, response, candidate] {
        const absl::Time started = shadow_->Start(candidate);
        response->set_shadowing(true);
        response->set_candidate_digest(candidate->digest);
        response->set_candidate_version(candidate->ruleset->manifest.version);
        *response->mutable_started_at() = TimestampOf(started);
      });
  return reactor;
}

}  // namespace lantern
