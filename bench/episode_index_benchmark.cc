// The episode index's cost: BM_Derive is one Derive over an index of
// --episodes generated episodes (default 1,000,000), the server time an
// Assess spends on derived facts; BM_Assess is the whole in-process Assess
// (validate, derive, match, decide, build the answer; no RPC, no ledger) on
// the shipped ruleset, with the same index (with_index:1) and without one
// (with_index:0), in the same run, so the ratio is the index's share.
//
// The generated population: children with 1-9 episodes each over two
// years, a place per episode from a pool of places (a few popular, most
// rare), and a person with a reference in half the episodes, from a pool
// of adults and the other children. Deterministic (--seed).
//
// --store=memory (default) measures the MemoryEpisodeIndex. --store=sqlite
// or --store=postgresql measure the StoredEpisodeIndex as `lantern serve`
// runs it: the episodes are written to the index's tables of a new ledger
// (a SQLite file in a temporary directory, or a database in a throw-away
// PostgreSQL 15 from tests/testing/postgres_server.h; the directory is
// left behind, under /tmp/lantern-bench-*), the index is opened
// on it (loading them), and every Derive and Assess is preceded by Sync, as
// the server's are (on PostgreSQL, one query for decisions other replicas
// recorded).
//
//   build/bench/episode_index_benchmark [--episodes=N] [--seed=S]
//       [--store=memory|sqlite|postgresql] [Google Benchmark flags]
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "engine/proto/proto_fact_types.h"
#include "server/app/assessment_proto.h"
#include "server/app/memory_episode_index.h"
#include "server/app/request_assessor.h"
#include "server/app/ruleset_registry.h"
#include "server/app/stored_episode_index.h"
#include "server/ledger/episode_store.h"
#include "server/ledger/ledger.h"
#include "tests/testing/postgres_server.h"

namespace lantern {
namespace {

int64_t g_episodes = 1000000;
uint64_t g_seed = 1;
std::string g_store = "memory";
constexpr int64_t kEnd = 1714590000;  // 2024-05-01T19:00:00Z
constexpr int64_t kSpan = int64_t{2} * 365 * 86400;

struct Population {
  int64_t children = 0, places = 0, adults = 0;
};

Population Sizes() {
  return {std::max<int64_t>(1, g_episodes / 5),
          std::max<int64_t>(1, g_episodes / 20),
          std::max<int64_t>(1, g_episodes / 10)};
}

// A returned episode of a random child, as a caller would send it.
v1::EpisodeFacts RandomEpisode(std::mt19937_64& rng, const Population& p) {
  v1::EpisodeFacts f;
  std::uniform_int_distribution<int64_t> child(0, p.children - 1);
  // Popular places: the square of a uniform number skews to low ids.
  std::uniform_real_distribution<double> u(0, 1);
  std::uniform_int_distribution<int64_t> adult(0, p.adults - 1);
  std::uniform_int_distribution<int64_t> when(kEnd - kSpan, kEnd);
  const int64_t c = child(rng);
  f.mutable_child()->set_reference(absl::StrCat("child-", c));
  f.mutable_child()->set_age_years(14);
  v1::Episode& e = *f.mutable_episode();
  e.set_status(v1::Episode::RETURNED);
  const int64_t t = when(rng);
  e.mutable_reported_at()->set_seconds(t);
  e.mutable_found_at()->set_seconds(t + 6 * 3600);
  e.mutable_missing_from_place()->set_reference(absl::StrCat("home-", c));
  const double r = u(rng);
  e.mutable_found()->mutable_place()->set_reference(
      absl::StrCat("place-", static_cast<int64_t>(r * r * p.places)));
  if (u(rng) < 0.5) {
    v1::Associate* a = e.mutable_found()->mutable_with()->add_people();
    if (u(rng) < 0.5) {
      a->set_reference(absl::StrCat("adult-", adult(rng)));
      a->set_relationship(v1::Associate::UNKNOWN_ADULT);
    } else {
      a->set_reference(absl::StrCat("child-", child(rng)));
      a->set_relationship(v1::Associate::PEER);
    }
  }
  return f;
}

void Fail(const std::string& what, const absl::Status& why) {
  std::fprintf(stderr, "%s: %s\n", what.c_str(),
               std::string(why.message()).c_str());
  std::exit(1);
}

// The stored index's ledger and where it is; kept for the whole run.
struct Stored {
  static Stored& Get() {
    static Stored* stored = new Stored;
    return *stored;
  }
  std::string dir;
  std::unique_ptr<testing::PostgresServer> pg;
  std::string location;
  std::unique_ptr<ledger::Ledger> ledger;
};

// A new ledger of `g_store` whose index's tables hold the generated
// episodes, and the index opened on it.
const EpisodeIndex* OpenStored() {
  Stored* stored = &Stored::Get();
  char dir[] = "/tmp/lantern-bench-XXXXXX";
  if (mkdtemp(dir) == nullptr) Fail("mkdtemp", absl::UnknownError(dir));
  stored->dir = dir;
  if (g_store == "postgresql") {
    std::string error;
    stored->pg = testing::PostgresServer::Start(&error);
    if (stored->pg == nullptr) Fail("postgresql", absl::UnknownError(error));
    stored->location = stored->pg->NewDatabase();
  } else {
    stored->location = stored->dir + "/ledger.db";
  }
  ledger::LedgerOptions options;
  options.path = stored->location;
  options.key_path = stored->dir + "/ledger.key";
  absl::StatusOr<std::unique_ptr<ledger::Ledger>> ledger =
      ledger::Ledger::Open(options);
  if (!ledger.ok()) Fail("ledger", ledger.status());
  stored->ledger = *std::move(ledger);
  {
    absl::StatusOr<std::unique_ptr<ledger::EpisodeStore>> store =
        ledger::EpisodeStore::Open(stored->location);
    if (!store.ok()) Fail("episode store", store.status());
    std::mt19937_64 rng(g_seed);
    const Population p = Sizes();
    std::vector<ledger::EpisodeRow> rows;
    for (int64_t i = 0; i < g_episodes; ++i) {
      const v1::EpisodeFacts f = RandomEpisode(rng, p);
      std::optional<std::string> key = EpisodeKey(f);
      rows.push_back({*key, static_cast<uint64_t>(i),
                      absl::StrCat("lantern-bench-", i), ""});
      IndexedPart(f).SerializeToString(&rows.back().facts);
      if (rows.size() == 10000 || i + 1 == g_episodes) {
        // The mark stays 0: these rows stand for no ledger record, and
        // the ledger has none to catch up with.
        if (absl::Status s = (*store)->Write(rows, 0); !s.ok()) {
          Fail("writing the index", s);
        }
        rows.clear();
      }
    }
  }
  absl::StatusOr<std::unique_ptr<StoredEpisodeIndex>> index =
      StoredEpisodeIndex::Open(stored->location, stored->ledger.get());
  if (!index.ok()) Fail("opening the index", index.status());
  return index->release();
}

const EpisodeIndex& Index() {
  static const EpisodeIndex* index = []() -> const EpisodeIndex* {
    if (g_store != "memory") return OpenStored();
    auto* built = new MemoryEpisodeIndex();
    std::mt19937_64 rng(g_seed);
    const Population p = Sizes();
    for (int64_t i = 0; i < g_episodes; ++i) {
      built->Add(RandomEpisode(rng, p), absl::StrCat("lantern-bench-", i), i);
    }
    return built;
  }();
  return *index;
}

// Queries: new episodes of known children, drawn after the index's.
std::vector<v1::EpisodeFacts> Queries() {
  std::mt19937_64 rng(g_seed + 1);
  std::vector<v1::EpisodeFacts> queries;
  const Population p = Sizes();
  for (int i = 0; i < 4096; ++i) queries.push_back(RandomEpisode(rng, p));
  return queries;
}

// CPU seconds used so far by the throw-away PostgreSQL's processes (the
// postmaster and its children: the backends that answer Sync), or 0 when
// the store is not PostgreSQL. The benchmark's own CPU column does not
// include them.
double PostgresCpuSeconds() {
  if (g_store != "postgresql" || Stored::Get().pg == nullptr) return 0;
  const std::string& uri = Stored::Get().location;
  const size_t host = uri.find("host=") + 5;
  const std::string dir = uri.substr(host, uri.find('&', host) - host);
  std::ifstream pidfile(dir + "/data/postmaster.pid");
  long postmaster = 0;
  pidfile >> postmaster;
  const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  double seconds = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    // Fields after the command's closing parenthesis: state(3) ppid(4) ...
    // utime(14) stime(15).
    std::istringstream rest(line.substr(line.rfind(')') + 2));
    std::string field;
    std::vector<std::string> f;
    while (rest >> field && f.size() < 13) f.push_back(field);
    if (f.size() < 13) continue;
    const long pid = std::atol(name.c_str());
    if (pid != postmaster && std::atol(f[1].c_str()) != postmaster) continue;
    seconds += (std::atof(f[11].c_str()) + std::atof(f[12].c_str())) / tick;
  }
  return seconds;
}

void BM_Derive(benchmark::State& state) {
  const EpisodeIndex& index = Index();
  const std::vector<v1::EpisodeFacts> queries = Queries();
  const absl::Time as_of = absl::FromUnixSeconds(kEnd + 86400);
  size_t i = 0, linked = 0, earlier = 0;
  const double pg_before = PostgresCpuSeconds();
  for (auto _ : state) {
    if (absl::Status s = index.Sync(); !s.ok()) {
      state.SkipWithError(std::string(s.message()).c_str());
      break;
    }
    std::optional<v1::Derived> d =
        index.Derive(queries[i++ % queries.size()], as_of);
    linked += d->linked_children_size();
    earlier += d->earlier_episodes_size();
    benchmark::DoNotOptimize(d);
  }
  state.counters["indexed"] = static_cast<double>(g_episodes);
  state.counters["postgres_cpu_us"] = (PostgresCpuSeconds() - pg_before) * 1e6 /
                                      static_cast<double>(state.iterations());
  state.counters["linked_per_derive"] =
      static_cast<double>(linked) / static_cast<double>(state.iterations());
  state.counters["earlier_per_derive"] =
      static_cast<double>(earlier) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_Derive)->Unit(benchmark::kMicrosecond);

void BM_Assess(benchmark::State& state) {
  const bool with_index = state.range(0) != 0;
  static ProtoFactTypes* types = new ProtoFactTypes();
  static RuleSetRegistry* registry = [] {
    auto* r = new RuleSetRegistry(types, &AssessmentVocabulary());
    const char* dir = std::getenv("LANTERN_RULES");
    absl::StatusOr<Candidate> active =
        r->ActivateDirectory(dir != nullptr ? dir : "rules");
    if (!active.ok() || !active->passed()) {
      std::fprintf(stderr,
                   "cannot activate the rules (run from the "
                   "repository root or set LANTERN_RULES)\n");
      std::exit(1);
    }
    return r;
  }();
  RequestAssessor assessor(registry, RequestLimits(), "bench",
                           with_index ? &Index() : nullptr);
  std::vector<v1::AssessRequest> requests;
  for (v1::EpisodeFacts& f : Queries()) {
    v1::AssessRequest r;
    *r.mutable_facts() = std::move(f);
    r.mutable_as_of()->set_seconds(kEnd + 86400);
    requests.push_back(std::move(r));
  }
  size_t i = 0;
  const double pg_before = PostgresCpuSeconds();
  for (auto _ : state) {
    v1::Assessment answer;
    absl::Status s = assessor.Assess(requests[i++ % requests.size()],
                                     absl::FromUnixSeconds(kEnd), &answer);
    if (!s.ok()) {
      state.SkipWithError(std::string(s.message()).c_str());
      break;
    }
    benchmark::DoNotOptimize(answer);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["postgres_cpu_us"] = (PostgresCpuSeconds() - pg_before) * 1e6 /
                                      static_cast<double>(state.iterations());
}
BENCHMARK(BM_Assess)
    ->ArgName("with_index")
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace lantern

int main(int argc, char** argv) {
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--episodes=", 0) == 0) {
      lantern::g_episodes = std::atoll(arg.c_str() + 11);
    } else if (arg.rfind("--store=", 0) == 0) {
      lantern::g_store = arg.substr(8);
    } else if (arg.rfind("--seed=", 0) == 0) {
      lantern::g_seed = std::strtoull(arg.c_str() + 7, nullptr, 10);
    } else {
      rest.push_back(argv[i]);
    }
  }
  int n = static_cast<int>(rest.size());
  benchmark::Initialize(&n, rest.data());
  benchmark::RunSpecifiedBenchmarks();
  return 0;
}
