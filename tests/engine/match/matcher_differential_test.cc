// The randomized differential test of the optimised matcher
// (engine/match/matcher.h) against the reference evaluator
// (engine/reference/evaluator.h).
//
// Every seed builds a random ruleset over a schema with every kind of field
// (tests/testing/random_rules.h: every operator, nesting, comprehensions,
// phrases, constants, effective periods) through the real parser, checker
// and compiler, then matches random fact records (tests/testing/
// random_facts.h: unset fields and messages, extremes, malformed values) at
// random as-of times (which as_of() atoms read) with both MatchWithReference
// and MatchWithMatcher. The fired, UNKNOWN and ERROR sets with all evidence,
// unknown paths and error messages must be identical, and so must the
// Assessments Decide makes of them.
//
// One *evaluation* is one fact record matched against one whole ruleset by
// both paths. The shards below run 4 x 25,000 = 100,000 evaluations in the
// test command. For a longer run multiply them:
//   LANTERN_DIFF_SCALE=20 build/tests/engine_match_matcher_differential_test
// and to replay one failing seed (printed on failure):
//   LANTERN_DIFF_SEED=1234 build/tests/engine_match_matcher_differential_test
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/compile/compiler.h"
#include "engine/decide/assess.h"
#include "engine/decide/decide.h"
#include "engine/match/matcher.h"
#include "gtest/gtest.h"
#include "tests/oracle/oracle.h"
#include "tests/testing/match_diff.h"
#include "tests/testing/random_facts.h"
#include "tests/testing/random_rules.h"

namespace lantern {
namespace {

using testing::RandomFactsGenerator;
using testing::Rng;

constexpr int kShards = 4;
constexpr int kEvaluationsPerShard = 25000;
constexpr int kRulesPerSeed = 32;
constexpr int kRecordsPerSeed = 125;

int64_t EnvInt(const char* name, int64_t fallback) {
  const char* value = std::getenv(name);
  return value == nullptr ? fallback : std::strtoll(value, nullptr, 10);
}

struct Stats {
  int64_t evaluations = 0;
  int64_t rules = 0;
  int64_t fired = 0, blocked = 0, errored = 0;
  int64_t compiled_rules = 0, always_rules = 0;
  int64_t ordered = 0, presence = 0, set = 0, text = 0, compiled = 0;
  int64_t as_of_rules = 0;  // rules that read as_of()

  std::string ToString() const {
    return absl::StrCat(
        evaluations, " evaluations over ", rules,
        " random rules; results: ", fired, " fired, ", blocked, " UNKNOWN, ",
        errored, " ERROR; rules with compiled atoms ", compiled_rules,
        ", always evaluated ", always_rules, "; atoms ", ordered, " ordered, ",
        presence, " presence, ", set, " set, ", text, " text, ", compiled,
        " compiled; ", as_of_rules, " rules read as_of()");
  }
};

std::string Explain(const RuleSet& ruleset, const FactRecord& facts,
                    uint64_t seed, int record, absl::Time as_of) {
  std::string out = absl::StrCat(
      "seed ", seed, " record ", record, " as_of ", absl::FormatTime(as_of),
      "\nreplay: LANTERN_DIFF_SEED=", seed,
      " build/tests/engine_match_matcher_differential_test\nfacts: ",
      testing::DescribeFacts(facts, *ruleset.schema), "\nrules:\n");
  for (const Rule& rule : ruleset.rules) {
    absl::StrAppend(&out, "  ", rule.id, ": ", rule.when.source.text(), "\n");
  }
  return out;
}

// Runs one seed; returns false (with the failure described) on the first
// difference.
bool RunSeed(uint64_t seed, int records, Stats* stats, std::string* failure) {
  Rng rng(seed);
  static const auto schema = testing::RandomFactsSchema();
  std::string problems;
  std::shared_ptr<RuleSet> ruleset =
      testing::RandomRuleSet(&rng, schema, kRulesPerSeed, &problems);
  if (!problems.empty()) {
    *failure = absl::StrCat("seed ", seed,
                            ": generated conditions do not "
                            "check:\n",
                            problems);
    return false;
  }
  absl::StatusOr<std::shared_ptr<const CompiledRuleSet>> program =
      CompileRuleSet(ruleset);
  if (!program.ok()) {
    *failure = absl::StrCat("seed ", seed, ": ", program.status().ToString());
    return false;
  }
  const CompileReport& report = (*program)->report;
  stats->rules += report.rules;
  stats->compiled_rules += report.rules_compiled;
  stats->always_rules += report.rules_always;
  stats->ordered += report.atoms_ordered;
  stats->presence += report.atoms_presence;
  stats->set += report.atoms_set;
  stats->text += report.atoms_text;
  stats->compiled += report.atoms_compiled;
  for (const Rule& rule : ruleset->rules) {
    stats->as_of_rules += absl::StrContains(rule.when.source.text(), "as_of()");
  }
  RandomFactsGenerator facts_generator(*schema, &rng);
  for (int i = 0; i < records; ++i) {
    const FactRecord facts = facts_generator.Record();
    const absl::Time as_of =
        testing::BaseTime() + absl::Hours(rng.Below(9) - 3);
    const MatchResult want = MatchWithReference(*ruleset, facts, as_of);
    const MatchResult got = MatchWithMatcher(**program, facts, as_of);
    std::string diff = testing::DiffMatchResults(*ruleset, want, got);
    if (diff.empty()) {
      absl::StatusOr<Assessment> a =
          DecideWithReference(*ruleset, facts, want, as_of);
      absl::StatusOr<Assessment> b = AssessWithMatcher(**program, facts, as_of);
      if (!a.ok() || !b.ok()) {
        diff = absl::StrCat("assessment failed: ", a.status().ToString(), " / ",
                            b.status().ToString(), "\n");
      } else {
        diff = testing::DiffAssessments(*a, *b);
      }
    }
    if (!diff.empty()) {
      *failure = absl::StrCat(Explain(*ruleset, facts, seed, i, as_of), diff);
      return false;
    }
    ++stats->evaluations;
    stats->fired += static_cast<int64_t>(want.fired.size());
    stats->blocked += static_cast<int64_t>(want.blocked.size());
    stats->errored += static_cast<int64_t>(want.errored.size());
  }
  return true;
}

void RunShard(int shard) {
  const int64_t replay = EnvInt("LANTERN_DIFF_SEED", -1);
  Stats stats;
  std::string failure;
  if (replay >= 0) {
    if (shard == 0) {
      EXPECT_TRUE(RunSeed(static_cast<uint64_t>(replay), kRecordsPerSeed,
                          &stats, &failure))
          << failure;
    }
    return;
  }
  const int64_t scale = std::max<int64_t>(1, EnvInt("LANTERN_DIFF_SCALE", 1));
  const int64_t seeds = scale * kEvaluationsPerShard / kRecordsPerSeed;
  for (int64_t k = 0; k < seeds; ++k) {
    const uint64_t seed = static_cast<uint64_t>(k * kShards + shard + 1);
    if (!RunSeed(seed, kRecordsPerSeed, &stats, &failure)) {
      ADD_FAILURE() << failure;
      break;
    }
  }
  std::printf("shard %d: %s\n", shard, stats.ToString().c_str());
  EXPECT_GE(stats.evaluations, scale * kEvaluationsPerShard);
  EXPECT_GT(stats.as_of_rules, 0);  // the request's as-of time is exercised
}

TEST(MatcherDifferential, Shard0) { RunShard(0); }
TEST(MatcherDifferential, Shard1) { RunShard(1); }
TEST(MatcherDifferential, Shard2) { RunShard(2); }
TEST(MatcherDifferential, Shard3) { RunShard(3); }

}  // namespace
}  // namespace lantern
