// Matcher benchmark: the optimised matcher against the reference evaluator
// on a neutral workload file (bench/README.md), single thread.
//
//   matcher_benchmark WORKLOAD.json [--fired_out=FILE] [--check_episodes=K]
//                     [Google Benchmark flags]
//
// The workload goes through the real pipeline — NeutralWorkload's ruleset
// files → LoadRuleSetFromFiles (parser, checker) → CompileRuleSet — and its
// episodes become FactRecords (the "parsed episode"). Then:
//   1. the fired ids of every episode are written (one JSON array a line,
//      ascending workload ids) for any checker of the neutral format, and the
//      reference evaluator's fired ids are compared on K episodes;
//   2. heap allocations per evaluation are counted (a replaced global
//      operator new) over a pass of all episodes after a warm-up pass;
//   3. Google Benchmark times, per episode from FactRecord to sorted fired
//      rule ids: BM_Match (the matcher), BM_MatchExplained (the matcher with
//      every fired and blocked rule's evidence) and BM_Reference
//      (MatchWithReference) on the same episodes in the same run, each by
//      the thread's CPU time over batches of 16 episodes (manual time), so
//      that other processes on a shared machine do not inflate it;
//   4. a summary line: compile time, compiled memory, median µs per episode,
//      episodes per second, allocations, the reference's µs and the ratio.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <new>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "bench/neutral_workload.h"
#include "benchmark/benchmark.h"
#include "engine/compile/compiler.h"
#include "engine/decide/decide.h"
#include "engine/match/matcher.h"
#include "engine/ruleset/loader.h"
#include "tests/oracle/oracle.h"

// Every heap allocation of the process is counted.
namespace {
std::atomic<int64_t> g_allocations{0};
}  // namespace

void* operator new(size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t size) { return operator new(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }

namespace lantern::bench {
namespace {

struct Setup {
  std::shared_ptr<const RuleSet> ruleset;
  std::shared_ptr<const CompiledRuleSet> program;
  std::vector<FactRecord> episodes;
  absl::Time as_of =
      absl::FromCivil(absl::CivilDay(2024, 1, 1), absl::UTCTimeZone());
  double load_s = 0, compile_s = 0, compile_cpu_s = 0;
};

Setup* g_setup = nullptr;

double ThreadSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) +
         1e-9 * static_cast<double>(ts.tv_nsec);
}

double Seconds(absl::Time since) {
  return absl::ToDoubleSeconds(absl::Now() - since);
}

void Die(const std::string& message) {
  std::fprintf(stderr, "matcher_benchmark: %s\n", message.c_str());
  std::exit(1);
}

Setup Prepare(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) Die(absl::StrCat("cannot read ", path));
  std::ostringstream text;
  text << in.rdbuf();
  absl::StatusOr<NeutralWorkload> workload = NeutralWorkload::Parse(text.str());
  if (!workload.ok()) Die(workload.status().ToString());
  absl::StatusOr<std::vector<SourceFile>> files = workload->RulesetFiles();
  if (!files.ok()) Die(files.status().ToString());
  Setup s;
  absl::Time start = absl::Now();
  LoadResult loaded = LoadRuleSetFromFiles(*std::move(files),
                                           workload->fact_types(), "neutral");
  s.load_s = Seconds(start);
  if (loaded.ruleset == nullptr) Die(loaded.diagnostics.ToString());
  s.ruleset = loaded.ruleset;
  start = absl::Now();
  const double cpu_start = ThreadSeconds();
  absl::StatusOr<std::shared_ptr<const CompiledRuleSet>> program =
      CompileRuleSet(s.ruleset);
  s.compile_s = Seconds(start);
  s.compile_cpu_s = ThreadSeconds() - cpu_start;
  if (!program.ok()) Die(program.status().ToString());
  s.program = *program;
  absl::StatusOr<std::vector<FactRecord>> episodes = workload->Episodes();
  if (!episodes.ok()) Die(episodes.status().ToString());
  s.episodes = *std::move(episodes);
  return s;
}

std::string IdsLine(const RuleSet& ruleset, const std::vector<int32_t>& rules) {
  std::vector<int64_t> ids;
  for (int32_t r : rules) {
    ids.push_back(NeutralWorkload::WorkloadId(ruleset.rules[r].id));
  }
  return absl::StrCat("[", absl::StrJoin(ids, ","), "]");
}

std::vector<int32_t> ReferenceFired(const Setup& s, const FactRecord& facts) {
  const MatchResult m = MatchWithReference(*s.ruleset, facts, s.as_of);
  std::vector<int32_t> fired;
  for (const RuleMatch& r : m.fired) fired.push_back(r.rule);
  return fired;
}

// Writes the matcher's fired ids of every episode; compares the first
// `check` episodes with the reference. Returns the number of mismatches.
int WriteAndCheck(const Setup& s, const std::string& out_path, int check) {
  std::ofstream out(out_path);
  if (!out) Die(absl::StrCat("cannot write ", out_path));
  MatchScratch scratch;
  int mismatches = 0;
  for (size_t i = 0; i < s.episodes.size(); ++i) {
    Match(*s.program, s.episodes[i], s.as_of, &scratch);
    out << IdsLine(*s.ruleset, scratch.fired()) << "\n";
    if (static_cast<int>(i) < check &&
        ReferenceFired(s, s.episodes[i]) != scratch.fired()) {
      if (++mismatches <= 5) {
        std::fprintf(
            stderr, "episode %zu: reference %s, matcher %s\n", i,
            IdsLine(*s.ruleset, ReferenceFired(s, s.episodes[i])).c_str(),
            IdsLine(*s.ruleset, scratch.fired()).c_str());
      }
    }
  }
  return mismatches;
}

struct Allocations {
  double match = 0, explained = 0;
  double mean_fired = 0, mean_candidates = 0, mean_lead_groups_tested = 0;
};

Allocations CountAllocations(const Setup& s) {
  Allocations a;
  MatchScratch scratch;
  for (const FactRecord& e : s.episodes)
    Match(*s.program, e, s.as_of, &scratch);
  const double n = static_cast<double>(s.episodes.size());
  int64_t before = g_allocations.load();
  int64_t fired = 0, candidates = 0, scanned = 0;
  for (const FactRecord& e : s.episodes) {
    Match(*s.program, e, s.as_of, &scratch);
    fired += static_cast<int64_t>(scratch.fired().size());
    candidates += scratch.candidates();
    scanned += scratch.lead_groups_tested();
  }
  a.match = static_cast<double>(g_allocations.load() - before) / n;
  a.mean_fired = static_cast<double>(fired) / n;
  a.mean_candidates = static_cast<double>(candidates) / n;
  a.mean_lead_groups_tested = static_cast<double>(scanned) / n;
  before = g_allocations.load();
  for (const FactRecord& e : s.episodes) {
    benchmark::DoNotOptimize(MatchWithMatcher(*s.program, e, s.as_of));
  }
  a.explained = static_cast<double>(g_allocations.load() - before) / n;
  return a;
}

int64_t Touch(const FactRecord& record);

// Per-episode latency of Match over every episode (its facts in cache, as in
// BM_Match): p50 and p99 in µs.
std::pair<double, double> Latencies(const Setup& s) {
  MatchScratch scratch;
  std::vector<double> us;
  int64_t touched = 0;
  for (int pass = 0; pass < 3; ++pass) {
    for (const FactRecord& e : s.episodes) {
      touched += Touch(e);
      const auto start = std::chrono::steady_clock::now();
      Match(*s.program, e, s.as_of, &scratch);
      benchmark::DoNotOptimize(scratch.fired().data());
      us.push_back(std::chrono::duration<double, std::micro>(
                       std::chrono::steady_clock::now() - start)
                       .count());
    }
  }
  benchmark::DoNotOptimize(touched);
  std::sort(us.begin(), us.end());
  return {us[us.size() / 2], us[us.size() * 99 / 100]};
}

// Episodes are visited in a fixed stride so that short runs still sample
// the whole file.
size_t NextEpisode(size_t i) { return (i + 1) % g_setup->episodes.size(); }

// Reads every byte of a record, as parsing it would have left it: in cache.
int64_t Touch(const FactRecord& record) {
  int64_t sum = 0;
  for (int32_t f = 0; f < record.field_count(); ++f) {
    for (const FactScalar& v : record.slot(f).values) {
      sum += static_cast<int64_t>(v.index());
      if (const auto* s = std::get_if<std::string>(&v)) {
        for (char c : *s) sum += c;
      } else if (const auto* m = std::get_if<std::unique_ptr<FactRecord>>(&v)) {
        if (*m != nullptr) sum += Touch(**m);
      }
    }
  }
  return sum;
}

constexpr int kBatch = 16;

// Times `run(episode)` over batches of kBatch episodes by the thread's CPU
// time, which a shared machine's other processes do not inflate (Google
// Benchmark's manual time). With `warm`, each batch's episodes are first
// touched outside the timed region, as parsing a request leaves them: in
// cache.
template <typename Run>
void TimeBatches(benchmark::State& state, bool warm, Run run) {
  const Setup& s = *g_setup;
  size_t i = 0;
  int64_t touched = 0;
  for (auto _ : state) {
    size_t batch[kBatch];
    for (int k = 0; k < kBatch; ++k) {
      batch[k] = i;
      if (warm) touched += Touch(s.episodes[i]);
      i = NextEpisode(i);
    }
    const double start = ThreadSeconds();
    for (size_t e : batch) run(s.episodes[e]);
    state.SetIterationTime((ThreadSeconds() - start) / kBatch);
  }
  benchmark::DoNotOptimize(touched);
  state.SetItemsProcessed(state.iterations());
}

// The matcher as a request runs it, from FactRecord to the sorted fired
// rules.
void BM_Match(benchmark::State& state) {
  MatchScratch scratch;
  TimeBatches(state, true, [&](const FactRecord& e) {
    Match(*g_setup->program, e, g_setup->as_of, &scratch);
    benchmark::DoNotOptimize(scratch.fired().data());
  });
}

// The same without touching: the episodes stream from memory, cold.
void BM_MatchCold(benchmark::State& state) {
  MatchScratch scratch;
  TimeBatches(state, false, [&](const FactRecord& e) {
    Match(*g_setup->program, e, g_setup->as_of, &scratch);
    benchmark::DoNotOptimize(scratch.fired().data());
  });
}

// The matcher with every fired, blocked and errored rule's evidence.
void BM_MatchExplained(benchmark::State& state) {
  TimeBatches(state, true, [&](const FactRecord& e) {
    benchmark::DoNotOptimize(
        MatchWithMatcher(*g_setup->program, e, g_setup->as_of));
  });
}

// The reference evaluator's fired rules, on the same episodes.
void BM_Reference(benchmark::State& state) {
  TimeBatches(state, true, [&](const FactRecord& e) {
    benchmark::DoNotOptimize(ReferenceFired(*g_setup, e));
  });
}

// Parts of BM_Match, for the breakdown: decoding the frame only, and the
// phrase automaton's pass over every text source only.
void BM_DecodeFrame(benchmark::State& state) {
  const Setup& s = *g_setup;
  std::vector<FrameValue> frame(s.program->layout.size());
  ScratchStrings strings;
  size_t i = 0;
  for (auto _ : state) {
    strings.Reset();
    DecodeFrame(s.program->layout, *s.program->schema, s.episodes[i], s.as_of,
                &strings, frame.data());
    benchmark::DoNotOptimize(frame.data());
    i = NextEpisode(i);
  }
}

void BM_PhraseScan(benchmark::State& state) {
  const Setup& s = *g_setup;
  std::vector<FrameValue> frame(s.program->layout.size());
  ScratchStrings strings;
  std::vector<std::vector<std::string>> texts(s.episodes.size());
  for (size_t i = 0; i < s.episodes.size(); ++i) {
    DecodeFrame(s.program->layout, *s.program->schema, s.episodes[i], s.as_of,
                &strings, frame.data());
    for (const SourceDef& source : s.program->sources) {
      const FrameValue& v = frame[source.slot];
      if (source.kind == SourceKind::kText && v.kind == VKind::kString) {
        texts[i].emplace_back(v.s);
      }
    }
  }
  size_t i = 0;
  int64_t hits = 0;
  for (auto _ : state) {
    for (const std::string& text : texts[i]) {
      s.program->phrases.Scan(text, [&](int32_t) { ++hits; });
    }
    i = NextEpisode(i);
  }
  benchmark::DoNotOptimize(hits);
}

// Remembers each benchmark's median (or only) real time per iteration, µs.
class Recorder : public benchmark::ConsoleReporter {
 public:
  Recorder() : ConsoleReporter(OO_None) {}
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      const bool median =
          run.run_type == Run::RT_Aggregate && run.aggregate_name == "median";
      if (median || run.run_type == Run::RT_Iteration) {
        const double us =
            run.GetAdjustedRealTime() *
            benchmark::GetTimeUnitMultiplier(benchmark::kMicrosecond) /
            benchmark::GetTimeUnitMultiplier(run.time_unit);
        double& slot = median_us[run.run_name.function_name];
        if (median || slot == 0) slot = us;
      }
    }
    ConsoleReporter::ReportRuns(runs);
  }
  std::map<std::string, double> median_us;
};

std::string Flag(std::vector<std::string>* args, const std::string& name,
                 const std::string& fallback) {
  const std::string prefix = absl::StrCat("--", name, "=");
  for (auto it = args->begin(); it != args->end(); ++it) {
    if (absl::StartsWith(*it, prefix)) {
      std::string value = it->substr(prefix.size());
      args->erase(it);
      return value;
    }
  }
  return fallback;
}

int Main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  std::vector<std::string> args(argv + 1, argv + argc);
  const std::string out_flag = Flag(&args, "fired_out", "");
  const std::string check_flag = Flag(&args, "check_episodes", "");
  if (args.size() != 1) {
    Die("usage: matcher_benchmark WORKLOAD.json [--fired_out=FILE] "
        "[--check_episodes=K] [benchmark flags]");
  }
  const std::string workload_path = args[0];
  std::string base = workload_path.substr(workload_path.rfind('/') + 1);
  if (absl::EndsWith(base, ".json")) base.resize(base.size() - 5);
  const std::string out_path =
      out_flag.empty() ? absl::StrCat("/tmp/lantern.", base, ".jsonl")
                       : out_flag;
  static Setup setup = Prepare(workload_path);
  g_setup = &setup;
  const int64_t rules = setup.program->rule_count();
  const int check =
      check_flag.empty()
          ? static_cast<int>(std::min<int64_t>(
                setup.episodes.size(),
                std::max<int64_t>(20, 2000000 / std::max<int64_t>(rules, 1))))
          : std::atoi(check_flag.c_str());
  std::printf(
      "workload %s: %lld rules, %zu episodes; load %.3f s, compile "
      "%.3f s\ncompiler: %s\n",
      workload_path.c_str(), static_cast<long long>(rules),
      setup.episodes.size(), setup.load_s, setup.compile_s,
      setup.program->report.ToString().c_str());
  const int mismatches = WriteAndCheck(setup, out_path, check);
  std::printf("fired ids: %s; reference agrees on %d of %d episodes checked\n",
              out_path.c_str(), check - mismatches, check);
  const Allocations allocations = CountAllocations(setup);
  const auto [p50, p99] = Latencies(setup);
  for (auto [name, fn] : {std::pair{"BM_Match", BM_Match},
                          {"BM_MatchCold", BM_MatchCold},
                          {"BM_MatchExplained", BM_MatchExplained}}) {
    // Manual time counts one episode of each batch of kBatch: 0.05 s of it
    // is about a second of running.
    benchmark::RegisterBenchmark(name, fn)
        ->UseManualTime()
        ->MinTime(0.05)
        ->Repetitions(5)
        ->ReportAggregatesOnly(true);
  }
  benchmark::RegisterBenchmark("BM_DecodeFrame", BM_DecodeFrame)
      ->Repetitions(5)
      ->ReportAggregatesOnly(true);
  benchmark::RegisterBenchmark("BM_PhraseScan", BM_PhraseScan)
      ->Repetitions(5)
      ->ReportAggregatesOnly(true);
  benchmark::RegisterBenchmark("BM_Reference", BM_Reference)
      ->UseManualTime()
      ->Repetitions(3)
      ->ReportAggregatesOnly(true)
      ->MinTime(0.05);
  Recorder recorder;
  benchmark::RunSpecifiedBenchmarks(&recorder);
  const double match_us = recorder.median_us["BM_Match"];
  const double explained_us = recorder.median_us["BM_MatchExplained"];
  const double reference_us = recorder.median_us["BM_Reference"];
  std::printf(
      "\nsummary: N=%lld episodes=%zu compile_s=%.3f compile_cpu_s=%.3f "
      "load_s=%.3f "
      "memory_mib=%.1f match_us=%.3f episodes_per_s=%.0f p50_us=%.3f "
      "p99_us=%.3f explained_us=%.3f allocs_per_eval=%.2f "
      "allocs_per_explained_eval=%.1f reference_us=%.1f ratio=%.0f "
      "mean_fired=%.2f mean_candidates=%.1f mean_lead_groups_tested=%.0f "
      "mismatches=%d\n",
      static_cast<long long>(rules), setup.episodes.size(), setup.compile_s,
      setup.compile_cpu_s, setup.load_s,
      setup.program->MemoryBytes() / 1048576.0, match_us,
      match_us > 0 ? 1e6 / match_us : 0, p50, p99, explained_us,
      allocations.match, allocations.explained, reference_us,
      match_us > 0 ? reference_us / match_us : 0, allocations.mean_fired,
      allocations.mean_candidates, allocations.mean_lead_groups_tested,
      mismatches);
  return mismatches == 0 ? 0 : 1;
}

}  // namespace
}  // namespace lantern::bench

int main(int argc, char** argv) { return lantern::bench::Main(argc, argv); }
