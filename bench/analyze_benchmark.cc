// `lantern analyze`'s cost on a neutral workload (bench/README.md): the
// workload's rules through the real loader and checker, then
// AnalyzeRuleSet (engine/analyze/analyzer.h) with every witness decoded by
// the workload's FactTypes and confirmed by the reference engine.
//
// Usage: analyze_benchmark WORKLOAD.json [--no_witnesses] [--no_outputs]
//        [--shadowed]
// (--shadowed: also the shadowed-rule checks, off by default: on this
// workload each needs the engine over every rule, quadratic in the rules.)
// Prints one `workload` line, one `analyze` line with the wall-clock and
// process CPU seconds of the analysis, and the counts it found.
#include <ctime>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/neutral_workload.h"
#include "engine/analyze/analyzer.h"
#include "engine/ruleset/loader.h"

namespace {

[[noreturn]] void Die(const std::string& message) {
  std::cerr << "analyze_benchmark: " << message << "\n";
  std::exit(2);
}

double CpuSeconds() {
  return static_cast<double>(std::clock()) / CLOCKS_PER_SEC;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace lantern;
  if (argc < 2) Die("usage: analyze_benchmark WORKLOAD.json [--no_witnesses]");
  AnalysisOptions opt;
  opt.json_camel_case = false;  // the workload's own field names
  opt.shadowed = false;
  for (int i = 2; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--no_witnesses") {
      opt.rule_witnesses = false;
    } else if (flag == "--no_outputs") {
      opt.outputs = false;
    } else if (flag == "--shadowed") {
      opt.shadowed = true;
    } else {
      Die("unknown flag " + flag);
    }
  }
  std::ifstream in(argv[1], std::ios::binary);
  if (!in) Die(absl::StrCat("cannot read ", argv[1]));
  std::ostringstream text;
  text << in.rdbuf();
  absl::StatusOr<bench::NeutralWorkload> workload =
      bench::NeutralWorkload::Parse(text.str());
  if (!workload.ok()) Die(workload.status().ToString());
  absl::StatusOr<std::vector<SourceFile>> files = workload->RulesetFiles();
  if (!files.ok()) Die(files.status().ToString());
  absl::Time start = absl::Now();
  LoadResult loaded = LoadRuleSetFromFiles(*std::move(files),
                                           workload->fact_types(), "neutral");
  const double load_s = absl::ToDoubleSeconds(absl::Now() - start);
  if (loaded.ruleset == nullptr) Die(loaded.diagnostics.ToString());
  const RuleSet& rs = *loaded.ruleset;
  std::cout << "workload: " << argv[1] << ": " << rs.rules.size()
            << " rules, loaded in " << load_s << " s\n";
  opt.as_of = rs.manifest.effective.from + absl::Hours(24);
  start = absl::Now();
  const double cpu_start = CpuSeconds();
  absl::StatusOr<AnalysisReport> report =
      AnalyzeRuleSet(rs, opt, [&](const std::string& json) {
        return workload->fact_types().DecodeJson(
            *rs.schema, rs.manifest.fact_message, json);
      });
  const double wall = absl::ToDoubleSeconds(absl::Now() - start);
  const double cpu = CpuSeconds() - cpu_start;
  if (!report.ok()) Die(report.status().ToString());
  int can = 0, never = 0, unsupported = 0, witnessed = 0;
  for (const RuleFinding& r : report->rules) {
    can += r.kind == RuleFinding::kCanFire;
    never += r.kind == RuleFinding::kNeverFires;
    unsupported += r.kind == RuleFinding::kUnsupported;
    witnessed += !r.witness_json.empty();
  }
  int reachable = 0;
  for (const OutputFinding& o : report->outputs) reachable += o.reachable;
  std::cout << "analyze: " << wall << " s wall, " << cpu << " s CPU; "
            << report->solver_checks << " solver checks; rules: " << can
            << " can fire (" << witnessed << " with a confirmed witness), "
            << never << " never, " << unsupported << " unsupported; outputs "
            << reachable << "/" << report->outputs.size()
            << " reachable; invariants " << report->invariants.size()
            << "; analysis bugs " << report->disagreements.size() << "\n";
  for (const std::string& d : report->disagreements) {
    std::cout << "ANALYSIS BUG: " << d.substr(0, 400) << "\n";
  }
  return report->disagreements.empty() ? 0 : 1;
}
