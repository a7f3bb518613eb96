// The server's CPU per Assess on the shipped example episodes, in process,
// stage by stage (bench/README.md, "Where the time goes (Assess)").
//
// rules/ is activated as `lantern serve --rules=rules` would; the examples
// (rules/examples/*.json) are answered in turn, as lantern_load sends them,
// with as_of fixed at 2024-05-04T12:00:00Z. Each benchmark is one stage of
// the path from the request message to the serialized answer, in the order
// the server runs them; BM_Assess is all of them but the serialization
// (RequestAssessor::Assess), BM_AssessAndSerialize adds it. Times are the
// thread's CPU time per request.
//
//   build/bench/assess_benchmark [Google Benchmark flags]
//   (from the repository root, or with LANTERN_RULES=DIR)
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "engine/decide/assess.h"
#include "engine/match/matcher.h"
#include "engine/proto/proto_fact_types.h"
#include "google/protobuf/util/json_util.h"
#include "server/app/assessment_proto.h"
#include "server/app/assessment_view.h"
#include "server/app/decision_codec.h"
#include "server/app/decision_recorder.h"
#include "server/app/facts_validation.h"
#include "server/app/request_assessor.h"
#include "server/app/ruleset_registry.h"
#include "server/ledger/ledger.h"

namespace lantern {
namespace {

constexpr int64_t kAsOf = 1714824000;  // 2024-05-04T12:00:00Z

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "assess_benchmark: %s\n", message.c_str());
  std::exit(1);
}

std::string RulesDir() {
  const char* dir = std::getenv("LANTERN_RULES");
  return dir != nullptr ? dir : "rules";
}

struct Setup {
  ProtoFactTypes types;
  RuleSetRegistry registry{&types, &AssessmentVocabulary()};
  std::shared_ptr<const RuleSetVersion> version;
  std::vector<v1::AssessRequest> requests;
  std::vector<FactRecord> facts;  // decoded, by request
};

Setup& TheSetup() {
  static Setup* setup = [] {
    auto* s = new Setup();
    absl::StatusOr<Candidate> active =
        s->registry.ActivateDirectory(RulesDir());
    if (!active.ok() || !active->passed()) {
      Die("cannot activate the rules (run from the repository root or set "
          "LANTERN_RULES)");
    }
    s->version = s->registry.Active();
    std::vector<std::filesystem::path> paths;
    for (const auto& e :
         std::filesystem::directory_iterator(RulesDir() + "/examples")) {
      if (e.path().extension() == ".json") paths.push_back(e.path());
    }
    std::sort(paths.begin(), paths.end());
    for (const auto& path : paths) {
      std::ifstream in(path);
      const std::string json((std::istreambuf_iterator<char>(in)), {});
      v1::AssessRequest request;
      if (!google::protobuf::util::JsonStringToMessage(json,
                                                       request.mutable_facts())
               .ok()) {
        Die("cannot parse " + path.string());
      }
      request.mutable_as_of()->set_seconds(kAsOf);
      absl::StatusOr<FactRecord> facts = ValidateAndDecodeFacts(
          request, *s->version->ruleset, RequestLimits());
      if (!facts.ok()) Die(std::string(facts.status().message()));
      s->requests.push_back(std::move(request));
      s->facts.push_back(*std::move(facts));
    }
    if (s->requests.empty()) Die("no examples");
    return s;
  }();
  return *setup;
}

void Report(benchmark::State& state) {
  state.SetItemsProcessed(state.iterations());
}

// Report, and the mean size of the `bytes` serialized over the iterations.
void ReportWithAnswerBytes(benchmark::State& state, size_t bytes) {
  Report(state);
  state.counters["answer_bytes"] = benchmark::Counter(
      static_cast<double>(bytes) / std::max<int64_t>(1, state.iterations()));
}

// The view named by the benchmark's argument (a v1::View number), set as
// its label, and the examples' requests in that view.
std::vector<v1::AssessRequest> RequestsInView(benchmark::State& state,
                                              v1::View* view) {
  *view = static_cast<v1::View>(state.range(0));
  state.SetLabel(v1::View_Name(*view));
  std::vector<v1::AssessRequest> requests = TheSetup().requests;
  for (v1::AssessRequest& r : requests) r.set_view(*view);
  return requests;
}

// Validate and decode the facts (size limits, impossible values, decode,
// catalogue codes).
void BM_Validate(benchmark::State& state) {
  Setup& s = TheSetup();
  size_t i = 0;
  for (auto _ : state) {
    absl::StatusOr<FactRecord> facts =
        ValidateAndDecodeFacts(s.requests[i++ % s.requests.size()],
                               *s.version->ruleset, RequestLimits());
    benchmark::DoNotOptimize(facts);
  }
  Report(state);
}

// The matcher alone (Match, warm scratch): frame decode, atoms, candidates.
void BM_Match(benchmark::State& state) {
  Setup& s = TheSetup();
  MatchScratch scratch;
  size_t i = 0;
  for (auto _ : state) {
    Match(*s.version->program, s.facts[i++ % s.facts.size()],
          absl::FromUnixSeconds(kAsOf), &scratch);
    benchmark::DoNotOptimize(scratch.fired().data());
  }
  Report(state);
}

// Match and the evidence of every fired, blocked and errored rule.
void BM_MatchExplained(benchmark::State& state) {
  Setup& s = TheSetup();
  size_t i = 0;
  for (auto _ : state) {
    MatchResult match =
        MatchWithMatcher(*s.version->program, s.facts[i++ % s.facts.size()],
                         absl::FromUnixSeconds(kAsOf));
    benchmark::DoNotOptimize(match);
  }
  Report(state);
}

// The above and the policy stage (Decide): the engine's Assessment.
void BM_MatchAndDecide(benchmark::State& state) {
  Setup& s = TheSetup();
  size_t i = 0;
  for (auto _ : state) {
    absl::StatusOr<Assessment> a =
        AssessWithMatcher(*s.version->program, s.facts[i++ % s.facts.size()],
                          absl::FromUnixSeconds(kAsOf));
    benchmark::DoNotOptimize(a);
  }
  Report(state);
}

// The whole in-process Assess (RequestAssessor::Assess): choose the
// version, validate and decode, match, decide, build the protobuf answer.
void BM_Assess(benchmark::State& state) {
  Setup& s = TheSetup();
  RequestAssessor assessor(&s.registry, RequestLimits(), "bench");
  size_t i = 0;
  for (auto _ : state) {
    v1::Assessment answer;
    absl::Status st = assessor.Assess(s.requests[i++ % s.requests.size()],
                                      absl::FromUnixSeconds(kAsOf), &answer);
    if (!st.ok()) {
      state.SkipWithError(std::string(st.message()).c_str());
      break;
    }
    benchmark::DoNotOptimize(answer);
  }
  Report(state);
}

// BM_Assess and the answer serialized, as the gRPC edge sends it.
void BM_AssessAndSerialize(benchmark::State& state) {
  Setup& s = TheSetup();
  RequestAssessor assessor(&s.registry, RequestLimits(), "bench");
  size_t i = 0;
  size_t bytes = 0;
  std::string wire;
  for (auto _ : state) {
    v1::Assessment answer;
    absl::Status st = assessor.Assess(s.requests[i++ % s.requests.size()],
                                      absl::FromUnixSeconds(kAsOf), &answer);
    if (!st.ok()) {
      state.SkipWithError(std::string(st.message()).c_str());
      break;
    }
    answer.SerializeToString(&wire);
    bytes += wire.size();
  }
  ReportWithAnswerBytes(state, bytes);
}

// What a server without a ledger does per Assess in one view
// (AssessRequest.view: the argument, a v1::View number):
// RequestAssessor::Assess in the view, the cut to it (DecisionRecorder),
// the answer serialized and destroyed.
void BM_AssessView(benchmark::State& state) {
  Setup& s = TheSetup();
  v1::View view;
  std::vector<v1::AssessRequest> requests = RequestsInView(state, &view);
  RequestAssessor assessor(&s.registry, RequestLimits(), "bench");
  assessor.set_answer_views(true);  // as a server without a ledger
  size_t i = 0;
  size_t bytes = 0;
  std::string wire;
  for (auto _ : state) {
    v1::Assessment answer;
    absl::Status st = assessor.Assess(requests[i++ % requests.size()],
                                      absl::FromUnixSeconds(kAsOf), &answer);
    if (!st.ok()) {
      state.SkipWithError(std::string(st.message()).c_str());
      break;
    }
    CutToView(view, &answer);
    answer.SerializeToString(&wire);
    bytes += wire.size();
  }
  ReportWithAnswerBytes(state, bytes);
}

BENCHMARK(BM_Validate)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Match)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_MatchExplained)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_MatchAndDecide)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Assess)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_AssessAndSerialize)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_AssessView)
    ->Arg(v1::DECISION)
    ->Arg(v1::EXPLAINED)
    ->Arg(v1::FULL)
    ->Unit(benchmark::kMicrosecond);

// BM_AssessView with the audit ledger on, as a server with --ledger does
// per Assess: RequestAssessor::Assess in the view, DecisionRecorder::Record
// (a compact record of the answer as sent, appended to a SQLite ledger in a
// temporary directory, with a client_request_id), waiting for it to be
// durable, then the answer serialized. CPU time is this thread's only: the
// ledger's committer and notifier threads do the writing. For instructions
// per call, profile with --toggle-collect on this function, the committer
// (Ledger::CommitBatch) and the notifier's callback (DecisionRecorder).
void BM_AssessViewRecorded(benchmark::State& state) {
  Setup& s = TheSetup();
  v1::View view;
  std::vector<v1::AssessRequest> requests = RequestsInView(state, &view);
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() /
      absl::StrCat("assess_benchmark-", getpid(), "-", state.range(0));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  ledger::LedgerOptions options;
  options.path = (dir / "ledger.db").string();
  absl::StatusOr<std::unique_ptr<ledger::Ledger>> ledger =
      ledger::Ledger::Open(options);
  if (!ledger.ok()) Die(std::string(ledger.status().message()));
  DecisionCodec codec(
      [&s](const std::string& digest)
          -> absl::StatusOr<std::shared_ptr<const RuleSetVersion>> {
        std::shared_ptr<const RuleSetVersion> v = s.registry.Find(digest);
        if (v == nullptr) return absl::NotFoundError(digest);
        return v;
      });
  DecisionRecorder recorder(ledger->get(), nullptr, nullptr, &codec);
  RequestAssessor assessor(&s.registry, RequestLimits(), "bench");
  assessor.set_answer_views(true);  // as every server
  size_t i = 0;
  size_t bytes = 0;
  std::string wire;
  for (auto _ : state) {
    v1::AssessRequest& request = requests[i % requests.size()];
    request.set_client_request_id(absl::StrCat("bench-", i++));
    v1::Assessment answer;
    absl::Status st =
        assessor.Assess(request, absl::FromUnixSeconds(kAsOf), &answer);
    if (st.ok()) {
      absl::Notification done;
      recorder.Record(request, &answer, [&](absl::Status recorded) {
        st = recorded;
        done.Notify();
      });
      done.WaitForNotification();
    }
    if (!st.ok()) {
      state.SkipWithError(std::string(st.message()).c_str());
      break;
    }
    answer.SerializeToString(&wire);
    bytes += wire.size();
  }
  ReportWithAnswerBytes(state, bytes);
  ledger->reset();
  std::filesystem::remove_all(dir);
}

BENCHMARK(BM_AssessViewRecorded)
    ->Arg(v1::DECISION)
    ->Arg(v1::EXPLAINED)
    ->Arg(v1::FULL)
    ->Unit(benchmark::kMicrosecond);

// Match (warm scratch) over every example in turn: one iteration is one
// round of all of them, so that an instruction count per iteration
// (callgrind's total over the iterations) does not depend on which examples
// a run happened to end on (bench/README.md, "Matcher on the shipped
// rules").
void BM_MatchEveryExample(benchmark::State& state) {
  Setup& s = TheSetup();
  MatchScratch scratch;
  for (const FactRecord& facts : s.facts) {
    Match(*s.version->program, facts, absl::FromUnixSeconds(kAsOf), &scratch);
  }
  for (auto _ : state) {
    for (const FactRecord& facts : s.facts) {
      Match(*s.version->program, facts, absl::FromUnixSeconds(kAsOf), &scratch);
      benchmark::DoNotOptimize(scratch.fired().data());
    }
  }
  state.SetItemsProcessed(state.iterations() *
                          static_cast<int64_t>(s.facts.size()));
}
BENCHMARK(BM_MatchEveryExample)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace lantern

// The setup (activating the rules, decoding the examples) runs before any
// benchmark, so that a profile of the benchmarks alone
// (valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*BM_*')
// holds only the per-request work.
int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  lantern::TheSetup();
  benchmark::RunSpecifiedBenchmarks();
  return 0;
}
