// libFuzzer target for the service's handling of request bytes. The first
// byte picks a method of lantern.v1.RiskAssessment, RuleSets or Audit (in
// the .proto's order); the rest are that request's bytes, handled as the
// server handles them, in process and without gRPC's transport: parsed and
// checked for unknown fields (ParseRequest), then the method's own work —
// for Assess and AssessStream validation, evaluation with the shipped
// ruleset and building the answer; for RuleSets the registry; for Audit the
// Auditor over a small ledger of decisions made at start-up from the
// example episodes. Nothing may crash, hang or leak, and an answer that is
// given must serialize.
#include <stdlib.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "engine/proto/proto_fact_types.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/json_util.h"
#include "lantern/v1/audit.pb.h"
#include "lantern/v1/service.pb.h"
#include "server/app/assessment_proto.h"
#include "server/app/auditor.h"
#include "server/app/decision_recorder.h"
#include "server/app/memory_episode_index.h"
#include "server/app/request_assessor.h"
#include "server/app/ruleset_registry.h"
#include "server/grpc/request_parsing.h"
#include "server/grpc/ruleset_proto.h"
#include "server/ledger/ledger.h"

namespace lantern {
namespace {

const absl::Time kReceived = absl::FromUnixSeconds(1714824000);

// Everything the methods work on, made once.
struct World {
  ProtoFactTypes types;
  RuleSetRegistry registry{&types, &AssessmentVocabulary(),
                           v1::EpisodeFacts::descriptor()->full_name()};
  RequestAssessor assessor{&registry, RequestLimits{}, "fuzz"};
  std::unique_ptr<ledger::Ledger> ledger;
  std::unique_ptr<Auditor> auditor;

  World() {
    absl::StatusOr<Candidate> active = registry.ActivateDirectory(
        std::string(LANTERN_SOURCE_DIR) + "/rules", "fuzz");
    if (!active.ok() || !active->passed()) abort();
    std::string dir = "/tmp/lantern_request_fuzzer_XXXXXX";
    if (mkdtemp(dir.data()) == nullptr) abort();
    ledger::LedgerOptions options;
    options.path = dir + "/ledger.db";
    absl::StatusOr<std::unique_ptr<ledger::Ledger>> opened =
        ledger::Ledger::Open(options);
    if (!opened.ok()) abort();
    ledger = *std::move(opened);
    RecordExamples();
    auditor = std::make_unique<Auditor>(ledger.get(), &registry, &types);
  }

  void RecordExamples() {
    DecisionRecorder recorder(ledger.get());
    for (const auto& entry : std::filesystem::directory_iterator(
             std::string(LANTERN_SOURCE_DIR) + "/rules/examples")) {
      std::ifstream in(entry.path());
      std::stringstream json;
      json << in.rdbuf();
      v1::AssessRequest request;
      if (!google::protobuf::util::JsonStringToMessage(json.str(),
                                                       request.mutable_facts())
               .ok()) {
        continue;
      }
      v1::Assessment answer;
      if (!assessor.Assess(request, kReceived, &answer).ok()) continue;
      absl::Notification recorded;
      recorder.Record(request, &answer,
                      [&recorded](absl::Status) { recorded.Notify(); });
      recorded.WaitForNotification();
    }
  }
};

grpc::ByteBuffer Bytes(const uint8_t* data, size_t size) {
  grpc::Slice slice(data, size);
  return grpc::ByteBuffer(&slice, 1);
}

template <typename Request>
bool Parse(const grpc::ByteBuffer& raw, Request* request) {
  return ParseRequest(raw, request).ok();
}

// An answer that is given must be a message the client can read back.
template <typename Response>
void Answer(const absl::StatusOr<Response>& response) {
  if (!response.ok()) return;
  std::string bytes;
  if (!response->SerializeToString(&bytes)) abort();
  Response back;
  if (!back.ParseFromString(bytes)) abort();
}

void Assess(World& w, const grpc::ByteBuffer& raw) {
  v1::AssessRequest request;
  if (!Parse(raw, &request)) return;
  v1::Assessment answer;
  if (w.assessor.Assess(request, kReceived, &answer).ok()) {
    Answer(absl::StatusOr<v1::Assessment>(answer));
  }
}

void RuleSets(World& w, const std::string& method,
              const grpc::ByteBuffer& raw) {
  if (method == "List") {
    v1::ListRuleSetsRequest request;
    if (!Parse(raw, &request)) return;
    for (const auto& version : w.registry.List()) {
      Answer(absl::StatusOr<v1::RuleSetInfo>(RuleSetInfoProto(*version, true)));
    }
  } else if (method == "Get") {
    v1::GetRuleSetRequest request;
    if (!Parse(raw, &request)) return;
    (void)w.registry.Find(request.version());
  } else if (method == "Validate") {
    v1::ValidateRuleSetRequest request;
    if (!Parse(raw, &request)) return;
    if (!CandidatePathProblems(request.files(), "files").empty()) return;
    std::vector<SourceFile> files;
    for (const v1::RuleSetFile& f : request.files()) {
      files.push_back({f.path(), f.content()});
    }
    Candidate candidate = w.registry.Validate(std::move(files), "");
    v1::ValidateRuleSetResponse response;
    DiagnosticsToProto(candidate.diagnostics, response.mutable_diagnostics());
    *response.mutable_tests() = RuleTestSummaryProto(candidate.tests);
    Answer(absl::StatusOr<v1::ValidateRuleSetResponse>(response));
  } else if (method == "Activate") {
    v1::ActivateRuleSetRequest request;
    if (!Parse(raw, &request)) return;
    if (!request.version().empty()) {
      (void)w.registry.Reactivate(request.version(), "fuzz");
    }
  }
}

void Audit(World& w, const std::string& method, const grpc::ByteBuffer& raw) {
  Auditor& a = *w.auditor;
  if (method == "GetDecision") {
    v1::GetDecisionRequest r;
    if (Parse(raw, &r)) Answer(a.GetDecision(r));
  } else if (method == "ListDecisions") {
    v1::ListDecisionsRequest r;
    if (Parse(raw, &r)) Answer(a.ListDecisions(r));
  } else if (method == "Replay") {
    v1::ReplayRequest r;
    if (Parse(raw, &r)) Answer(a.Replay(r));
  } else if (method == "WhatIf") {
    v1::WhatIfRequest r;
    if (Parse(raw, &r)) Answer(a.WhatIf(r));
  } else if (method == "Backtest") {
    v1::BacktestRequest r;
    if (!Parse(raw, &r)) return;
    if (r.has_files() &&
        !CandidatePathProblems(r.files().files(), "files.files").empty()) {
      return;
    }
    absl::StatusOr<std::shared_ptr<const RuleSetVersion>> candidate =
        a.BacktestCandidate(r);
    if (!candidate.ok()) return;
    (void)a.Backtest(
        **candidate, r,
        [](const v1::BacktestItem& item) {
          Answer(absl::StatusOr<v1::BacktestItem>(item));
          return true;
        },
        [] { return false; });
  } else if (method == "GetTreeHead") {
    v1::GetTreeHeadRequest r;
    if (Parse(raw, &r)) {
      Answer(absl::StatusOr<v1::GetTreeHeadResponse>(a.GetTreeHead()));
    }
  } else if (method == "GetInclusionProof") {
    v1::GetInclusionProofRequest r;
    if (Parse(raw, &r)) Answer(a.GetInclusionProof(r));
  } else if (method == "GetConsistencyProof") {
    v1::GetConsistencyProofRequest r;
    if (Parse(raw, &r)) Answer(a.GetConsistencyProof(r));
  } else if (method == "ListActivations") {
    v1::ListActivationsRequest r;
    if (Parse(raw, &r)) Answer(a.ListActivations(r));
  } else if (method == "ListLinkedDecisions") {
    static const MemoryEpisodeIndex* const empty = new MemoryEpisodeIndex();
    v1::ListLinkedDecisionsRequest r;
    if (Parse(raw, &r)) {
      Answer(
          a.ListLinkedDecisions(r, empty, absl::FromUnixSeconds(1714824000)));
    }
  }
}

// Every method of the three services, in order.
std::vector<const google::protobuf::MethodDescriptor*> Methods() {
  std::vector<const google::protobuf::MethodDescriptor*> methods;
  for (const char* name : {"lantern.v1.RiskAssessment", "lantern.v1.RuleSets",
                           "lantern.v1.Audit"}) {
    const google::protobuf::ServiceDescriptor* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
            name);
    if (service == nullptr) abort();
    for (int i = 0; i < service->method_count(); ++i) {
      methods.push_back(service->method(i));
    }
  }
  return methods;
}

}  // namespace
}  // namespace lantern

namespace {
// Made once in LLVMFuzzerInitialize, before fuzzing starts, so that the
// per-input timeout measures inputs, not activating the shipped ruleset
// (which runs its rule tests).
lantern::World* world = nullptr;
const std::vector<const google::protobuf::MethodDescriptor*>* methods = nullptr;
}  // namespace

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  lantern::InstallProtobufLogLimiter();
  world = new lantern::World;
  methods = new std::vector<const google::protobuf::MethodDescriptor*>(
      lantern::Methods());
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const google::protobuf::MethodDescriptor& method =
      *(*methods)[data[0] % methods->size()];
  const grpc::ByteBuffer raw = lantern::Bytes(data + 1, size - 1);
  const std::string& service = method.service()->name();
  if (service == "RiskAssessment") {
    lantern::Assess(*world, raw);
  } else if (service == "RuleSets") {
    lantern::RuleSets(*world, method.name(), raw);
  } else {
    lantern::Audit(*world, method.name(), raw);
  }
  return 0;
}
