// Ledger append throughput: group commit against one commit (one fsync) per
// record, from 1, 16 and 64 threads, in the same run. Each append is durable
// before it returns in both modes. Counters: records per commit.
//
// The ledger file is made in a fresh directory under $LANTERN_BENCH_DIR
// (default: the current directory), which should be on the disk the service
// would use: on tmpfs an fsync costs nothing and the comparison means little.
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "server/ledger/ledger.h"

namespace lantern::ledger {
namespace {

std::unique_ptr<Ledger> bench_ledger;
std::string bench_dir;

v1::DecisionRecord Record(int64_t n) {
  v1::DecisionRecord d;
  d.set_decision_id(absl::StrCat("d-", n));
  d.set_client_request_id(absl::StrCat("req-", n));
  d.mutable_received_at()->set_seconds(1714824000 + n);
  d.set_ruleset_digest("sha256:0123456789abcdef");
  d.set_engine_version("bench");
  d.mutable_facts()->mutable_child()->set_reference(absl::StrCat("C", n));
  d.mutable_facts()->mutable_child()->set_age_years(14);
  d.mutable_assessment()->set_decision_id(d.decision_id());
  d.mutable_assessment()->mutable_grade()->set_grade(v1::HIGH);
  for (int i = 0; i < 8; ++i) {
    v1::FiredRule* rule = d.mutable_assessment()->add_fired_rules();
    rule->set_id(absl::StrCat("rule.", i));
    rule->set_title("A rule title of ordinary length for the benchmark");
    rule->set_cite("Guidance document, section 1.2");
  }
  return d;
}

void BM_Append(benchmark::State& state) {
  const bool group_commit = state.range(0) != 0;
  if (state.thread_index() == 0) {
    const char* base = getenv("LANTERN_BENCH_DIR");
    std::string pattern =
        std::string(base ? base : ".") + "/ledger-benchXXXXXX";
    bench_dir = mkdtemp(pattern.data()) ? pattern : "";
    LedgerOptions options;
    options.path = bench_dir + "/bench.db";
    options.group_commit = group_commit;
    absl::StatusOr<std::unique_ptr<Ledger>> ledger = Ledger::Open(options);
    if (!ledger.ok()) {
      state.SkipWithError(std::string(ledger.status().message()).c_str());
    } else {
      bench_ledger = *std::move(ledger);
    }
  }
  int64_t n = int64_t{state.thread_index()} << 32;
  for (auto _ : state) {
    if (!bench_ledger->AppendDecision(Record(n++)).ok()) {
      state.SkipWithError("append failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    const LedgerStats stats = bench_ledger->stats();
    state.counters["records_per_commit"] = static_cast<double>(stats.appended) /
                                           std::max<uint64_t>(1, stats.commits);
    bench_ledger.reset();
    std::error_code ec;
    std::filesystem::remove_all(bench_dir, ec);
  }
}
BENCHMARK(BM_Append)
    ->ArgName("group_commit")
    ->Arg(0)
    ->Arg(1)
    ->Threads(1)
    ->Threads(16)
    ->Threads(64)
    ->UseRealTime()
    ->MinTime(2.0);

}  // namespace
}  // namespace lantern::ledger

BENCHMARK_MAIN();
