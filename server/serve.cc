// RunServe: block the signals, activate the rules directory, build the
// server (callback services, health, reflection, message-size limit),
// print the bound port, then wait for signals on this thread with sigwait:
// SIGHUP posts a reload to the ruleset worker, SIGTERM/SIGINT drain and
// stop. Destruction order matters: the server is shut down before the
// worker and the registry it uses go away.
#include "server/serve.h"

#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <memory>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "lantern/v1/episode.pb.h"
#include "server/assessment_proto.h"
#include "server/request_assessor.h"
#include "server/risk_assessment_service.h"
#include "server/ruleset_registry.h"
#include "server/ruleset_worker.h"
#include "server/rulesets_service.h"

namespace lantern {
namespace {

sigset_t ServeSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

// Unique to this run, so decision ids from two runs never collide.
std::string DecisionIdPrefix() {
  std::random_device random;
  return absl::StrFormat("%08x%08x", random(), random());
}

void LogActivation(const absl::StatusOr<v1::ActivateRuleSetResponse>& result,
                   const std::string& dir, std::ostream& err) {
  if (!result.ok()) {
    err << "lantern serve: reload failed: " << result.status().message()
        << "\n";
    return;
  }
  for (const v1::Diagnostic& d : result->diagnostics()) err << d.text() << "\n";
  for (const v1::RuleTestFailure& f : result->tests().failures()) {
    err << f.location() << ": test failed: " << f.name() << "\n";
  }
  err << "lantern serve: " << dir << ": "
      << (result->outcome() == v1::ActivateRuleSetResponse::ACTIVATED
              ? "activated; "
              : "rejected; ");
  if (result->has_active()) {
    err << "active: " << result->active().id() << " "
        << result->active().version() << " (" << result->active().digest()
        << ")" << std::endl;
  } else {
    err << "nothing active" << std::endl;
  }
}

// Waits for SIGTERM or SIGINT; reloads on each SIGHUP meanwhile.
void WaitForStop(const sigset_t& signals, RuleSetRegistry& registry,
                 RuleSetWorker& worker, const std::string& rules_dir,
                 std::ostream& err) {
  for (;;) {
    int signal = 0;
    if (sigwait(&signals, &signal) != 0) continue;
    if (signal != SIGHUP) return;
    worker.Post([&registry, &rules_dir, &err] {
      LogActivation(ActivateFromDirectory(registry, rules_dir), rules_dir, err);
    });
  }
}

}  // namespace

int RunServe(const ServeOptions& options, const FactTypes& types,
             std::ostream& out, std::ostream& err) {
  const sigset_t signals = ServeSignals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  // Debian's Abseil is built with Mutex deadlock detection on, which keeps
  // a global lock-order graph on every acquisition: a measurable share of
  // an Assess call. The server's few locks are leaves; detection stays on
  // in the tests.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  RuleSetRegistry registry(&types, &AssessmentVocabulary(),
                           v1::EpisodeFacts::descriptor()->full_name());
  absl::StatusOr<v1::ActivateRuleSetResponse> first =
      ActivateFromDirectory(registry, options.rules_dir);
  LogActivation(first, options.rules_dir, err);
  if (!first.ok() ||
      first->outcome() != v1::ActivateRuleSetResponse::ACTIVATED) {
    return 1;
  }

  RuleSetWorker worker;
  RequestAssessor assessor(&registry, options.limits, DecisionIdPrefix());
  RiskAssessmentService assess_service(&assessor, [] { return absl::Now(); });
  RuleSetsService rulesets_service(&registry, &worker, options.rules_dir);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(options.listen, grpc::InsecureServerCredentials(),
                           &port);
  builder.SetMaxReceiveMessageSize(options.max_message_bytes);
  builder.RegisterService(&assess_service);
  builder.RegisterService(&rulesets_service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    err << "lantern serve: cannot listen on '" << options.listen << "'\n";
    return 2;
  }
  const std::string host = options.listen.substr(0, options.listen.rfind(':'));
  out << "lantern serve: listening on " << host << ":" << port << std::endl;

  WaitForStop(signals, registry, worker, options.rules_dir, err);
  err << "lantern serve: stopping (draining for at most "
      << absl::FormatDuration(options.drain_timeout) << ")" << std::endl;
  server->GetHealthCheckService()->Shutdown();
  server->Shutdown(absl::ToChronoTime(absl::Now() + options.drain_timeout));
  server->Wait();
  err << "lantern serve: stopped" << std::endl;
  return 0;
}

}  // namespace lantern
