// RunServe: block the signals, open the ledger and hold the rulesets it
// records, activate the rules directory, build the server (callback
// services, health, reflection, message-size limit), print the bound port,
// then wait for signals on this thread with sigwait: SIGHUP posts a reload
// to the ruleset worker, SIGTERM/SIGINT drain and stop. Destruction order
// matters: the server is shut down before the worker, the registry and the
// ledger it uses go away (calls waiting for a commit finish first).
#include "server/grpc/serve.h"

#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <memory>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "lantern/v1/episode.pb.h"
#include "server/app/access_policy.h"
#include "server/app/activation_follower.h"
#include "server/app/activation_ledger.h"
#include "server/app/assessment_proto.h"
#include "server/app/audit_rulesets.h"
#include "server/app/decision_codec.h"
#include "server/app/decision_recorder.h"
#include "server/app/request_assessor.h"
#include "server/app/ruleset_analysis.h"
#include "server/app/ruleset_registry.h"
#include "server/app/ruleset_worker.h"
#include "server/app/serve_metrics.h"
#include "server/app/serve_status.h"
#include "server/app/shadow_run.h"
#include "server/app/stored_episode_index.h"
#include "server/grpc/access_control.h"
#include "server/grpc/audit_service.h"
#include "server/grpc/metrics_interceptor.h"
#include "server/grpc/request_parsing.h"
#include "server/grpc/risk_assessment_service.h"
#include "server/grpc/rulesets_service.h"
#include "server/grpc/stream_idle_watch.h"
#include "server/grpc/transport_security.h"
#include "server/http/console_server.h"
#include "server/http/metrics_endpoint.h"
#include "server/ledger/ledger.h"
#include "server/ledger/ledger_store.h"

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
    err << "lantern serve: activation failed: " << result.status().message()
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

// A SIGHUP's rules reload for /status: whether it activated, and what (or
// why not: the service's message, or the first diagnostics and failed
// tests).
void RecordRulesReload(
    const absl::StatusOr<v1::ActivateRuleSetResponse>& result,
    ServeStatus& status) {
  if (!result.ok()) {
    status.RecordReload(ServeStatus::Part::kRules, false,
                        std::string(result.status().message()));
    return;
  }
  const bool ok = result->outcome() == v1::ActivateRuleSetResponse::ACTIVATED;
  std::string detail = ok ? "activated" : "rejected; the previous stays active";
  if (result->has_active()) {
    absl::StrAppend(&detail, "; active: ", result->active().id(), " ",
                    result->active().version(), " (", result->active().digest(),
                    ")");
  }
  constexpr int kMaxReasons = 10;
  int reasons = 0;
  for (const v1::Diagnostic& d : result->diagnostics()) {
    if (++reasons > kMaxReasons) break;
    absl::StrAppend(&detail, "\n", d.text());
  }
  for (const v1::RuleTestFailure& f : result->tests().failures()) {
    if (++reasons > kMaxReasons) break;
    absl::StrAppend(&detail, "\n", f.location(), ": test failed: ", f.name());
  }
  status.RecordReload(ServeStatus::Part::kRules, ok, std::move(detail));
}

// The listener's security: mutual TLS with an access policy, or plain
// text where every caller is "local".
struct Transport {
  std::unique_ptr<ServerTls> tls;              // null: plain text
  std::shared_ptr<const AccessPolicy> policy;  // null: plain text
};

// 0 when the transport flags fit together, else 2 (having said why).
int CheckTransportFlags(const ServeOptions& options, std::ostream& err) {
  const int tls_files = !options.tls_cert.empty() + !options.tls_key.empty() +
                        !options.client_ca.empty();
  if (tls_files != 0 && tls_files != 3) {
    err << "lantern serve: --tls_cert, --tls_key and --client_ca go "
           "together: give all three for mutual TLS, or none\n";
    return 2;
  }
  if (tls_files == 3 && options.access_file.empty()) {
    err << "lantern serve: TLS needs --access FILE, the principals and "
           "their roles\n";
    return 2;
  }
  if (tls_files == 0 && !options.access_file.empty()) {
    err << "lantern serve: --access needs --tls_cert, --tls_key and "
           "--client_ca: without TLS there are no principals\n";
    return 2;
  }
  if (tls_files == 0 && !IsLoopbackListen(options.listen) &&
      !options.allow_plaintext_non_loopback) {
    err << "lantern serve: refusing to serve plain text on '" << options.listen
        << "', which is not a loopback address: give --tls_cert, --tls_key, "
           "--client_ca and --access for mutual TLS, or "
           "--allow_plaintext_non_loopback when a sidecar terminates TLS\n";
    return 2;
  }
  // The web console: HTTPS with the same certificates, or plain text
  // under the same rule as the gRPC port.
  if (!options.console_listen.empty() && tls_files == 0 &&
      !IsLoopbackListen(options.console_listen) &&
      !options.allow_plaintext_non_loopback) {
    err << "lantern serve: refusing to serve the console in plain text on '"
        << options.console_listen
        << "', which is not a loopback address (--allow_plaintext_non_loopback "
           "when a sidecar terminates TLS)\n";
    return 2;
  }
  return 0;
}

// The warning a plain-text listener on a non-loopback address carries.
std::string PlaintextWarning(const ServeOptions& options) {
  return absl::StrCat(
      "--allow_plaintext_non_loopback: plain text on ", options.listen,
      " with every caller the principal 'local' with every role; only safe "
      "behind a sidecar that terminates TLS and authorises callers");
}

absl::StatusOr<Transport> OpenTransport(const ServeOptions& options) {
  Transport transport;
  if (options.tls_cert.empty()) return transport;
  absl::StatusOr<std::unique_ptr<ServerTls>> tls =
      ServerTls::Create({options.tls_cert, options.tls_key, options.client_ca});
  if (!tls.ok()) return tls.status();
  absl::StatusOr<std::shared_ptr<const AccessPolicy>> policy =
      AccessPolicy::Load(options.access_file);
  if (!policy.ok()) return policy.status();
  transport.tls = *std::move(tls);
  transport.policy = *std::move(policy);
  return transport;
}

// SIGHUP for the transport: new certificates and a new access policy,
// each only if it checks out.
void ReloadTransport(const ServeOptions& options, Transport& transport,
                     AccessControl& access, ServeStatus& status,
                     std::ostream& err) {
  if (transport.tls == nullptr) return;
  if (absl::Status s = transport.tls->Reload(); !s.ok()) {
    err << "lantern serve: reload: certificates kept as they were: "
        << s.message() << std::endl;
    status.RecordReload(ServeStatus::Part::kCertificates, false,
                        absl::StrCat("kept as they were: ", s.message()));
  } else {
    err << "lantern serve: reload: certificates re-read; new connections "
           "use them"
        << std::endl;
    status.RecordReload(ServeStatus::Part::kCertificates, true,
                        "re-read; new connections use them");
  }
  absl::StatusOr<std::shared_ptr<const AccessPolicy>> policy =
      AccessPolicy::Load(options.access_file);
  if (!policy.ok()) {
    err << "lantern serve: reload: access file kept as it was, because:\n"
        << policy.status().message() << std::endl;
    status.RecordReload(
        ServeStatus::Part::kAccessFile, false,
        absl::StrCat("kept as it was, because:\n", policy.status().message()));
    return;
  }
  access.SetPolicy(*policy);
  err << "lantern serve: reload: access file " << options.access_file << ": "
      << (*policy)->size() << " principals" << std::endl;
  status.RecordReload(ServeStatus::Part::kAccessFile, true,
                      absl::StrCat(options.access_file, ": ", (*policy)->size(),
                                   " principals"));
}

// SIGHUP for the console's HTTPS: its certificate, key and client CA.
void ReloadConsoleTls(ConsoleServer& console, ServeStatus& status,
                      std::ostream& err) {
  if (absl::Status s = console.ReloadTls(); !s.ok()) {
    err << "lantern serve: reload: console certificates kept as they were: "
        << s.message() << std::endl;
    status.RecordReload(ServeStatus::Part::kConsoleCertificates, false,
                        absl::StrCat("kept as they were: ", s.message()));
    return;
  }
  err << "lantern serve: reload: console certificates re-read; new "
         "connections use them"
      << std::endl;
  status.RecordReload(ServeStatus::Part::kConsoleCertificates, true,
                      "re-read; new connections use them");
}

// Waits for SIGTERM or SIGINT; on each SIGHUP meanwhile reloads the rules
// (on the worker) and calls `on_hup` (on this thread).
void WaitForStop(const sigset_t& signals, RuleSetRegistry& registry,
                 RuleSetWorker& worker, const std::string& rules_dir,
                 const std::function<void()>& on_hup, ServeStatus& status,
                 std::ostream& err) {
  for (;;) {
    int signal = 0;
    if (sigwait(&signals, &signal) != 0) continue;
    if (signal != SIGHUP) return;
    on_hup();
    worker.Post([&registry, &rules_dir, &status, &err] {
      const absl::StatusOr<v1::ActivateRuleSetResponse> result =
          ActivateFromDirectory(registry, rules_dir, "SIGHUP");
      LogActivation(result, rules_dir, err);
      RecordRulesReload(result, status);
    });
  }
}

// How often a replica looks for activations it was not told of.
constexpr absl::Duration kFollowPoll = absl::Seconds(1);

// Says, once, that the ledger stopped accepting records (a failed commit:
// every later append fails until restart) and turns health NOT_SERVING,
// now or as soon as the server exists. Checked after any failed append,
// a decision's or an activation's, and when the server starts.
class LedgerDownReporter {
 public:
  LedgerDownReporter(ServeStatus& status, std::ostream& err)
      : status_(status), err_(err) {}

  void Check(const ledger::Ledger& ledger) {
    const absl::Status health = ledger.health();
    if (health.ok()) return;
    absl::MutexLock lock(&mu_);
    if (!reported_) {
      const std::string why =
          absl::StrCat(health.message(),
                       "; health is NOT_SERVING until the server is restarted");
      err_ << "lantern serve: " << why << std::endl;
      status_.AddWarning(why);
      reported_ = true;
    }
    if (server_ != nullptr && !marked_) {
      server_->GetHealthCheckService()->SetServingStatus(false);
      marked_ = true;
    }
  }

  void SetServer(grpc::Server* server, const ledger::Ledger* ledger) {
    {
      absl::MutexLock lock(&mu_);
      server_ = server;
    }
    if (ledger != nullptr) Check(*ledger);
  }

 private:
  ServeStatus& status_;
  std::ostream& err_;
  absl::Mutex mu_;
  grpc::Server* server_ ABSL_GUARDED_BY(mu_) = nullptr;
  bool reported_ ABSL_GUARDED_BY(mu_) = false;
  bool marked_ ABSL_GUARDED_BY(mu_) = false;
};

// Opens the ledger (null with `ledger_off`) and, through `activations`,
// holds every ruleset it records and records every activation from now
// on. False (having said why on `err`) when the ledger cannot be used.
bool OpenLedger(const ServeOptions& options, RuleSetRegistry& registry,
                ServeMetrics& metrics, std::unique_ptr<ledger::Ledger>& ledger,
                std::unique_ptr<ActivationLedger>& activations,
                LedgerDownReporter& down, std::ostream& err) {
  if (options.ledger_off) {
    err << "lantern serve: WARNING: --ledger_off: decisions and activations "
           "are NOT recorded; for benchmarks only"
        << std::endl;
    return true;
  }
  ledger::LedgerOptions ledger_options;
  ledger_options.path = options.ledger_path;
  ledger_options.key_path = options.ledger_key_path;
  ledger_options.on_commit = [&metrics](absl::Duration elapsed, int records,
                                        bool committed) {
    metrics.CountLedgerCommit(elapsed, records, committed);
  };
  absl::StatusOr<std::unique_ptr<ledger::Ledger>> opened =
      ledger::Ledger::Open(ledger_options);
  if (!opened.ok()) {
    err << "lantern serve: cannot open the ledger "
        << ledger::LocationForDisplay(options.ledger_path) << ": "
        << opened.status().message() << std::endl;
    return false;
  }
  ledger = *std::move(opened);
  activations = std::make_unique<ActivationLedger>(ledger.get(),
                                                   [] { return absl::Now(); });
  absl::StatusOr<std::vector<std::string>> problems =
      activations->Restore(registry);
  if (!problems.ok()) {
    err << "lantern serve: cannot read the ledger "
        << ledger::LocationForDisplay(options.ledger_path) << ": "
        << problems.status().message() << std::endl;
    return false;
  }
  for (const std::string& problem : *problems) {
    err << "lantern serve: warning: ruleset " << problem << std::endl;
  }
  registry.set_before_activate(
      [a = activations.get(), l = ledger.get(), &down](
          const RuleSetVersion& next, absl::string_view by) {
        absl::Status recorded = a->Record(next, by);
        if (!recorded.ok()) down.Check(*l);
        return recorded;
      });
  registry.set_on_rejected(
      [a = activations.get(), l = ledger.get(), &down](
          const RuleSetRegistry::Rejection& rejection, absl::string_view by) {
        absl::Status recorded = a->RecordRejected(rejection, by);
        if (!recorded.ok()) down.Check(*l);
        return recorded;
      });
  err << "lantern serve: ledger "
      << ledger::LocationForDisplay(options.ledger_path) << ": "
      << ledger->LatestTreeHead().head.tree_size << " records, "
      << registry.List().size() << " ruleset versions held" << std::endl;
  return true;
}

// Gives memory freed after a burst (pages of decisions, large answers) back
// to the system every few seconds: glibc keeps what its per-thread arenas
// freed, so without this the server stays at its peak. malloc_trim walks
// only free memory, a millisecond or so.
class MemoryTrimmer {
 public:
  MemoryTrimmer()
      : thread_([this] {
          while (!stop_.WaitForNotificationWithTimeout(absl::Seconds(5))) {
            malloc_trim(0);
          }
        }) {}
  ~MemoryTrimmer() {
    stop_.Notify();
    thread_.join();
  }

 private:
  absl::Notification stop_;
  std::thread thread_;
};

// The activation metric's trigger label for who asked.
absl::string_view Trigger(absl::string_view activated_by) {
  if (activated_by == kStartup) return "startup";
  if (activated_by == "SIGHUP") return "sighup";
  return "rpc";
}

absl::string_view OutcomeLabel(RuleSetRegistry::ActivationOutcome outcome) {
  switch (outcome) {
    case RuleSetRegistry::ActivationOutcome::kActivated:
      return "activated";
    case RuleSetRegistry::ActivationOutcome::kRejected:
      return "rejected";
    default:
      return "failed";
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
  // Whatever the server creates (the ledger, its -wal and -shm, their
  // directories) holds children's data: readable by this user only. The
  // ledger sets its modes explicitly too; this covers the rest.
  umask(077);
  // A client sending bad bytes must not flood stderr with protobuf's lines.
  InstallProtobufLogLimiter();
  if (int code = CheckTransportFlags(options, err); code != 0) return code;
  absl::StatusOr<Transport> opened_transport = OpenTransport(options);
  if (!opened_transport.ok()) {
    err << "lantern serve: " << opened_transport.status().message()
        << std::endl;
    return 1;
  }
  Transport transport = *std::move(opened_transport);

  RuleSetRegistry registry(&types, &AssessmentVocabulary(),
                           v1::EpisodeFacts::descriptor()->full_name());
  ActivationAnalysis analysis(&types, [] { return absl::Now(); });
  if (options.activation_analysis) {
    registry.set_gate([&analysis](const RuleSetVersion& candidate) {
      return analysis.Analyze(candidate);
    });
  } else {
    err << "lantern serve: WARNING: --activation_analysis=false: candidate "
           "rulesets are activated without the solver's analysis"
        << std::endl;
  }
  // Declared before everything that reports into it (the ledger's
  // committer, the recorder, the server), so destroyed after them.
  auto active_labels = [&registry]() -> std::optional<ActiveRuleSetLabels> {
    std::shared_ptr<const RuleSetVersion> active = registry.Active();
    if (active == nullptr) return std::nullopt;
    return ActiveRuleSetLabels{active->ruleset->manifest.id,
                               active->ruleset->manifest.version,
                               active->digest};
  };
  ServeMetrics metrics(active_labels);
  // What GET /status reports (warnings, reload outcomes); like metrics,
  // outlives everything that reports into it.
  ServeStatus status(active_labels, [] { return absl::Now(); });
  // The shadow run (RuleSets.Shadow); the ledger's notifier offers it
  // decisions, so it outlives the ledger.
  ShadowRun shadow([] { return absl::Now(); });
  if (transport.tls != nullptr) {
    status.SetTransport("mutual_tls");
  } else if (!IsLoopbackListen(options.listen)) {
    status.AddWarning(PlaintextWarning(options));
  }
  registry.set_after_activation(
      [&metrics](absl::string_view by,
                 RuleSetRegistry::ActivationOutcome outcome) {
        metrics.CountActivation(Trigger(by), OutcomeLabel(outcome));
      });
  LedgerDownReporter down(status, err);
  std::unique_ptr<ledger::Ledger> ledger;
  std::unique_ptr<ActivationLedger> activations;
  if (!OpenLedger(options, registry, metrics, ledger, activations, down, err)) {
    return 1;
  }
  if (options.ledger_off) {
    status.AddWarning(
        "--ledger_off: decisions and activations are NOT recorded; for "
        "benchmarks only");
  }
  absl::StatusOr<v1::ActivateRuleSetResponse> first =
      ActivateFromDirectory(registry, options.rules_dir, kStartup);
  LogActivation(first, options.rules_dir, err);
  if (!first.ok() ||
      first->outcome() != v1::ActivateRuleSetResponse::ACTIVATED) {
    return 1;
  }

  std::unique_ptr<StoredEpisodeIndex> index;
  if (ledger != nullptr && options.episode_index) {
    absl::StatusOr<std::unique_ptr<StoredEpisodeIndex>> opened =
        StoredEpisodeIndex::Open(
            options.ledger_path, ledger.get(), [&err](const absl::Status& why) {
              err << "lantern serve: warning: the episode index could not "
                     "be written (it catches up from the ledger at the "
                     "next start): "
                  << why.message() << std::endl;
            });
    if (!opened.ok()) {
      err << "lantern serve: cannot open the episode index in "
          << ledger::LocationForDisplay(options.ledger_path) << ": "
          << opened.status().message() << std::endl;
      return 1;
    }
    index = *std::move(opened);
    err << "lantern serve: episode index: " << index->size() << " episodes"
        << std::endl;
  }

  // Before the services: their workers may still log accesses as they stop.
  std::unique_ptr<AccessControl> access =
      transport.policy != nullptr
          ? std::make_unique<AccessControl>(transport.policy, ledger.get(),
                                            [] { return absl::Now(); })
          : std::make_unique<AccessControl>(ledger.get(),
                                            [] { return absl::Now(); });
  RuleSetWorker worker;
  StreamIdleWatch idle_streams(options.stream_idle_timeout);
  RequestAssessor assessor(&registry, options.limits, DecisionIdPrefix(),
                           index.get());
  // Only what the request's view sends is worked out, ledger or not: the
  // ledger keeps the answer as sent (decision_codec.h).
  assessor.set_answer_views(true);
  // Decisions are recorded compact, by reference to their ruleset's
  // strings (decision_codec.h); a retry may name a version the registry no
  // longer holds, which the ledger's copy of its files then gives.
  std::unique_ptr<AuditRuleSets> record_rulesets;
  std::unique_ptr<DecisionCodec> codec;
  if (ledger != nullptr) {
    record_rulesets =
        std::make_unique<AuditRuleSets>(&registry, ledger.get(), &types);
    codec = std::make_unique<DecisionCodec>(
        [r = record_rulesets.get()](const std::string& digest) {
          return r->Find(digest);
        });
  }
  DecisionRecorder recorder(
      ledger.get(),
      [&down, l = ledger.get()](const absl::Status&) { down.Check(*l); },
      index.get(), codec.get());
  // Without a metrics endpoint nobody reads the per-call series: no
  // interceptor and no per-decision counting (bench/README.md measures
  // their cost this way). The shadow run is offered every decision (it
  // ignores them while no shadow is on).
  const bool count_calls = !options.metrics_listen.empty();
  recorder.set_on_decision(
      [&metrics, &shadow, count_calls](const v1::AssessRequest& request,
                                       const v1::Assessment& answer) {
        if (count_calls) metrics.CountDecision(answer);
        shadow.Offer(request, answer);
      });
  RiskAssessmentService assess_service(
      &assessor, &recorder, [] { return absl::Now(); }, &idle_streams);
  RuleSetsService rulesets_service(&registry, &worker, options.rules_dir,
                                   ledger.get());
  // Two-person activation needs principals that tell people apart: with
  // plain text every caller is "local", so activation is single-person.
  const bool two_person =
      !options.single_person_activation && transport.tls != nullptr;
  rulesets_service.set_governance({&analysis, activations.get(), two_person});
  rulesets_service.set_shadow(&shadow);
  // Proposals made before a restart are pending still: held again from
  // the ledger's copy of their files.
  if (activations != nullptr) {
    absl::StatusOr<std::vector<ActivationLedger::PendingProposal>> pending =
        activations->PendingProposals();
    if (!pending.ok()) {
      err << "lantern serve: cannot read the pending proposals from the "
             "ledger: "
          << pending.status().message() << std::endl;
      return 1;
    }
    for (ActivationLedger::PendingProposal& p : *pending) {
      Candidate held = registry.Validate(std::move(p.files),
                                         absl::StrCat("ledger:", p.digest));
      if (!held.passed() || held.digest != p.digest) {
        err << "lantern serve: warning: the proposal " << p.digest << " by "
            << p.proposed_by
            << " no longer passes under this engine; it is not pending"
            << std::endl;
        continue;
      }
      rulesets_service.AddProposal(held.version, p.proposed_by);
      err << "lantern serve: pending proposal " << p.digest << " by "
          << p.proposed_by << " (from the ledger)" << std::endl;
    }
  }
  if (two_person) {
    err << "lantern serve: two-person activation: a proposal "
           "(RuleSets.Propose) is activated only by a principal other than "
           "its proposer"
        << std::endl;
  } else {
    err << "lantern serve: single-person activation: the proposer of a "
           "ruleset may activate it too ("
        << (options.single_person_activation
                ? "--single_person_activation"
                : "plain text: every caller is 'local'")
        << ")" << std::endl;
  }
  AuditService audit_service(ledger.get(), &registry, &types,
                             AuditService::kMaxBacktests,
                             options.stream_idle_timeout);
  assess_service.set_access_control(access.get());
  rulesets_service.set_access_control(access.get());
  audit_service.set_access_control(access.get());
  audit_service.set_episode_index(index.get());
  audit_service.set_shadow(&shadow);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(options.listen,
                           transport.tls != nullptr
                               ? transport.tls->credentials()
                               : grpc::InsecureServerCredentials(),
                           &port);
  builder.SetMaxReceiveMessageSize(options.max_message_bytes);
  // Bounded resources: streams per connection (advertised in SETTINGS),
  // connections idle with no call closed, dead peers found by keepalive
  // pings.
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS,
                             options.max_concurrent_streams);
  builder.AddChannelArgument(
      GRPC_ARG_MAX_CONNECTION_IDLE_MS,
      static_cast<int>(absl::ToInt64Milliseconds(options.max_connection_idle)));
  builder.AddChannelArgument(
      GRPC_ARG_KEEPALIVE_TIME_MS,
      static_cast<int>(absl::ToInt64Milliseconds(options.keepalive_time)));
  // Ping quiet connections with no call too (gRPC's server default pings
  // only those with a call open), and keep pinging: a ping is not data, and
  // gRPC otherwise stops after two pings without any.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  builder.AddChannelArgument(
      GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
      static_cast<int>(absl::ToInt64Milliseconds(options.keepalive_timeout)));
  builder.RegisterService(&assess_service);
  builder.RegisterService(&rulesets_service);
  builder.RegisterService(&audit_service);
  if (count_calls) {
    std::vector<
        std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
        interceptors;
    interceptors.push_back(
        std::make_unique<MetricsInterceptorFactory>(&metrics));
    builder.experimental().SetInterceptorCreators(std::move(interceptors));
  }
  // Bound before the gRPC port, so that a metrics address in use stops the
  // server before it serves anything.
  MetricsEndpoint metrics_endpoint(&metrics, &status);
  std::string metrics_address;
  if (!options.metrics_listen.empty()) {
    absl::StatusOr<std::string> bound =
        metrics_endpoint.Bind(options.metrics_listen);
    if (!bound.ok()) {
      err << "lantern serve: " << bound.status().message() << "\n";
      return 2;
    }
    metrics_address = *bound;
  }
  ConsoleServer console(
      audit_service.auditor(), access.get(), &registry, &rulesets_service,
      options.activation_analysis ? &analysis : nullptr,
      transport.tls != nullptr
          ? std::optional<ConsoleTls>(ConsoleTls{
                options.tls_cert, options.tls_key, options.client_ca})
          : std::nullopt);
  std::string console_address;
  if (!options.console_listen.empty()) {
    absl::StatusOr<std::string> bound = console.Bind(options.console_listen);
    if (!bound.ok()) {
      err << "lantern serve: " << bound.status().message() << "\n";
      return 2;
    }
    console_address = *bound;
  }
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    err << "lantern serve: cannot listen on '" << options.listen << "'\n";
    return 2;
  }
  down.SetServer(server.get(), ledger.get());
  const std::string host = options.listen.substr(0, options.listen.rfind(':'));
  out << "lantern serve: listening on " << host << ":" << port << std::endl;
  if (!metrics_address.empty()) {
    metrics_endpoint.Start();
    out << "lantern serve: metrics on " << metrics_address << std::endl;
  }
  if (!console_address.empty()) {
    console.Start();
    out << "lantern serve: console on "
        << (transport.tls != nullptr ? "https://" : "http://")
        << console_address << "/" << std::endl;
  }
  if (transport.tls != nullptr) {
    err << "lantern serve: mutual TLS; client certificates verified against "
        << options.client_ca << "; " << transport.policy->size()
        << " principals in " << options.access_file << std::endl;
  } else if (!IsLoopbackListen(options.listen)) {
    err << "lantern serve: WARNING: " << PlaintextWarning(options) << std::endl;
  }

  {
    // Replicas sharing a PostgreSQL ledger take up each other's
    // activations.
    std::unique_ptr<ActivationFollower> follower;
    if (ledger != nullptr && ledger::IsPostgresLocation(options.ledger_path)) {
      follower = std::make_unique<ActivationFollower>(
          ledger.get(), activations.get(), &registry, kFollowPoll,
          [&err, &assessor, s = server.get(),
           l = ledger.get()](const absl::Status& followed) {
            // The database away: health says so at once; Assess goes on
            // trying the ledger (UNAVAILABLE until it is back), so the
            // first commit after it returns needs no help from here.
            if (absl::IsUnavailable(followed)) {
              err << "lantern serve: cannot reach the ledger ("
                  << followed.message()
                  << "); health is NOT_SERVING until it is back" << std::endl;
              s->GetHealthCheckService()->SetServingStatus(false);
              return;
            }
            assessor.Hold(followed);
            if (!followed.ok()) {
              err << "lantern serve: cannot take up the ledger's active "
                     "ruleset: "
                  << followed.message()
                  << "; health is NOT_SERVING and Assess answers "
                     "UNAVAILABLE"
                  << std::endl;
              s->GetHealthCheckService()->SetServingStatus(false);
            } else if (l->health().ok()) {
              err << "lantern serve: the ledger is reachable and on its "
                     "active ruleset; health is SERVING"
                  << std::endl;
              s->GetHealthCheckService()->SetServingStatus(true);
            }
          });
    }
    MemoryTrimmer trimmer;
    WaitForStop(
        signals, registry, worker, options.rules_dir,
        [&] {
          ReloadTransport(options, transport, *access, status, err);
          if (!console_address.empty() && transport.tls != nullptr) {
            ReloadConsoleTls(console, status, err);
          }
        },
        status, err);
  }
  err << "lantern serve: stopping (draining for at most "
      << absl::FormatDuration(options.drain_timeout) << ")" << std::endl;
  server->GetHealthCheckService()->Shutdown();
  server->Shutdown(absl::ToChronoTime(absl::Now() + options.drain_timeout));
  server->Wait();
  metrics_endpoint.Stop();
  console.Stop();
  if (ledger != nullptr) {
    const ledger::LedgerStats stats = ledger->stats();
    err << "lantern serve: ledger: " << stats.appended
        << " records appended in " << stats.commits << " commits, "
        << stats.duplicates << " retries answered from it" << std::endl;
  }
  err << "lantern serve: stopped" << std::endl;
  return 0;
}

}  // namespace lantern
