// Load benchmark: the time to turn a large ruleset into a compiled program,
// stage by stage, on a neutral workload file (bench/README.md).
//
//   load_benchmark WORKLOAD.json [--repeat=K] [--write_dir=DIR]
//
// The workload's rules become ruleset files (NeutralWorkload::RulesetFiles,
// untimed); then, K times (default 3), on one thread:
//   yaml     YamlFile::Parse of every file (the YAML layer alone);
//   parse    ParseExpression of every rule's condition (the rule language
//            parser alone, on the sources the loader kept);
//   check    CheckExpression of those parsed conditions;
//   load     LoadRuleSetFromFiles: all of the above and the rest of the
//            loader (manifest, policy, ids, sorting) — the figure that counts;
//   compile  CompileRuleSet of the loaded ruleset;
// and prints, per stage, the thread's CPU seconds (minimum and median of the
// K runs) and the heap allocations of one run. "load + compile" is the
// issue's figure. The parts (yaml, parse, check) are timed apart from the
// load, so they need not add up to it exactly.
//
// --write_dir also writes the ruleset files under DIR (for profiling the
// loader elsewhere); the fact schema stays the workload's.
//
// Exits non-zero when the ruleset does not load or compile, or when the
// stages disagree on the number of rules.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <new>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "bench/neutral_workload.h"
#include "engine/compile/compiler.h"
#include "engine/lang/checker.h"
#include "engine/lang/parser.h"
#include "engine/ruleset/loader.h"
#include "engine/ruleset/yaml_source.h"

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

void Die(const std::string& message) {
  std::fprintf(stderr, "load_benchmark: %s\n", message.c_str());
  std::exit(1);
}

double ThreadSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) +
         1e-9 * static_cast<double>(ts.tv_nsec);
}

struct Stage {
  std::string name;
  std::vector<double> seconds;
  int64_t allocations = 0;
};

// Runs `body` once, adding its CPU seconds and allocations to `stage`.
void Time(Stage* stage, const std::function<void()>& body) {
  const int64_t allocs = g_allocations.load();
  const double start = ThreadSeconds();
  body();
  stage->seconds.push_back(ThreadSeconds() - start);
  stage->allocations = g_allocations.load() - allocs;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

int Main(int argc, char** argv) {
  std::string path;
  int repeat = 3;
  std::string write_dir;
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (absl::ConsumePrefix(&arg, "--repeat=")) {
      if (!absl::SimpleAtoi(arg, &repeat) || repeat < 1) Die("bad --repeat");
    } else if (absl::ConsumePrefix(&arg, "--write_dir=")) {
      write_dir = std::string(arg);
    } else if (!absl::StartsWith(arg, "--") && path.empty()) {
      path = std::string(arg);
    } else {
      Die(absl::StrCat("unknown argument ", arg,
                       "; usage: load_benchmark WORKLOAD.json [--repeat=K] "
                       "[--write_dir=DIR]"));
    }
  }
  if (path.empty()) Die("usage: load_benchmark WORKLOAD.json [--repeat=K]");
  std::ifstream in(path, std::ios::binary);
  if (!in) Die(absl::StrCat("cannot read ", path));
  std::ostringstream text;
  text << in.rdbuf();
  absl::StatusOr<NeutralWorkload> workload = NeutralWorkload::Parse(text.str());
  if (!workload.ok()) Die(workload.status().ToString());
  absl::StatusOr<std::vector<SourceFile>> files = workload->RulesetFiles();
  if (!files.ok()) Die(files.status().ToString());
  size_t bytes = 0;
  for (const SourceFile& f : *files) {
    bytes += f.content.size();
    if (write_dir.empty()) continue;
    const std::filesystem::path out = std::filesystem::path(write_dir) / f.path;
    std::filesystem::create_directories(out.parent_path());
    std::ofstream(out, std::ios::binary) << f.content;
  }

  Stage yaml, parse, check, load, compile;
  yaml.name = "yaml", parse.name = "parse", check.name = "check";
  load.name = "load", compile.name = "compile";
  for (int run = 0; run < repeat; ++run) {
    Time(&yaml, [&] {
      Diagnostics diagnostics;
      for (const SourceFile& f : *files) {
        if (!YamlFile::Parse(f.path, f.content, &diagnostics).has_value()) {
          Die(diagnostics.ToString());
        }
      }
    });
    LoadResult loaded;
    Time(&load, [&] {
      loaded = LoadRuleSetFromFiles(*files, workload->fact_types(), "neutral");
    });
    if (loaded.ruleset == nullptr) Die(loaded.diagnostics.ToString());
    const RuleSet& ruleset = *loaded.ruleset;
    std::vector<std::unique_ptr<Expr>> exprs(ruleset.rules.size());
    Diagnostics diagnostics;
    Time(&parse, [&] {
      for (size_t i = 0; i < ruleset.rules.size(); ++i) {
        exprs[i] = ParseExpression(ruleset.rules[i].when.source, &diagnostics);
      }
    });
    CheckEnv env;
    env.schema = ruleset.schema.get();
    env.constants = &ruleset.constants;
    Time(&check, [&] {
      for (size_t i = 0; i < ruleset.rules.size(); ++i) {
        if (exprs[i] == nullptr) continue;
        CheckExpression(env, ruleset.rules[i].when.source, Type::Bool(),
                        exprs[i].get(), &diagnostics);
      }
    });
    if (diagnostics.has_errors()) Die(diagnostics.ToString());
    absl::StatusOr<std::shared_ptr<const CompiledRuleSet>> program;
    Time(&compile, [&] { program = CompileRuleSet(loaded.ruleset); });
    if (!program.ok()) Die(program.status().ToString());
    if (static_cast<int64_t>(ruleset.rules.size()) != workload->rule_count()) {
      Die(absl::StrCat("loaded ", ruleset.rules.size(), " rules of ",
                       workload->rule_count()));
    }
  }
  std::printf(
      "workload %s: %lld rules, %zu files, %zu bytes of YAML, %d runs\n",
      path.c_str(), static_cast<long long>(workload->rule_count()),
      files->size(), bytes, repeat);
  std::printf("%-16s %10s %10s %14s\n", "stage", "min s", "median s",
              "allocations");
  for (const Stage* s : {&yaml, &parse, &check, &load, &compile}) {
    std::printf("%-16s %10.3f %10.3f %14lld\n", s->name.c_str(),
                *std::min_element(s->seconds.begin(), s->seconds.end()),
                Median(s->seconds), static_cast<long long>(s->allocations));
  }
  std::vector<double> total;
  for (int run = 0; run < repeat; ++run) {
    total.push_back(load.seconds[run] + compile.seconds[run]);
  }
  std::printf("%-16s %10.3f %10.3f %14lld\n", "load + compile",
              *std::min_element(total.begin(), total.end()), Median(total),
              static_cast<long long>(load.allocations + compile.allocations));
  return 0;
}

}  // namespace
}  // namespace lantern::bench

int main(int argc, char** argv) { return lantern::bench::Main(argc, argv); }
