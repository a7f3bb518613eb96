// The policy stage (engine/decide/decide.h) against an independent oracle
// (tests/testing/policy_oracle.h) on random rulesets, policies and facts,
// and a soundness property of its three-valued answers.
//
// Every seed builds a random ruleset (random_rules.h) with a random policy
// (prompts over fired(), scores, levels, total score and fact conditions;
// actions on rules and prompts), then for random fact records compares
// Decide over MatchWithReference with the oracle: grade, band, highest
// possible grade, concern levels and their ceilings, every prompt's truth
// and answer (and its unknown facts when UNKNOWN, which must not be empty),
// and which actions are taken and which only to consider.
//
// Soundness: when at most kMaxOpen rules are blocked or errored, every
// completion (each of them fired or not) is decided again; a prompt Decide
// answered TRUE (FALSE) must be TRUE (FALSE) in every completion, and an
// action Decide took must be taken in every completion.
//
// Replay a failing seed (printed on failure):
//   LANTERN_ORACLE_SEED=1234 build/tests/engine_decide_decide_oracle_test
#include <cstdint>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/decide/decide.h"
#include "gtest/gtest.h"
#include "tests/oracle/oracle.h"
#include "tests/testing/policy_oracle.h"
#include "tests/testing/random_facts.h"
#include "tests/testing/random_rules.h"

namespace lantern {
namespace {

using testing::OracleRange;
using testing::OracleValue;
using testing::PolicyOracle;
using testing::PromptTree;
using testing::RandomFactsGenerator;
using testing::Rng;

constexpr int kSeeds = 120;
constexpr int kRulesPerSeed = 24;
constexpr int kRecordsPerSeed = 40;
constexpr int kPrompts = 8;
constexpr int kMaxOpen = 8;

struct Counts {
  std::map<Truth, int64_t> prompts;  // by truth
  int64_t evaluations = 0, completions_checked = 0, decided_in_open = 0;
  int64_t to_consider = 0, negative_open = 0;
};

std::string Describe(const RuleSet& ruleset, const MatchResult& match,
                     uint64_t seed, int record) {
  std::string out = absl::StrCat("seed ", seed, " record ", record,
                                 " (replay: LANTERN_ORACLE_SEED=", seed, ")\n");
  auto list = [&](const char* what, const std::vector<RuleMatch>& ms) {
    absl::StrAppend(&out, what, ":");
    for (const RuleMatch& m : ms) {
      const Rule& r = ruleset.rules[m.rule];
      absl::StrAppend(&out, " ", r.id, "(", r.concern, ",", r.score, ")");
    }
    absl::StrAppend(&out, "\n");
  };
  list("fired", match.fired);
  list("blocked", match.blocked);
  list("errored", match.errored);
  for (const PromptDef& p : ruleset.policy.prompts) {
    absl::StrAppend(&out, p.name, ": ", p.when.source.text(), "\n");
  }
  return out;
}

// The oracle's actions: code → TRUE triggers and undecided ones.
struct OracleActions {
  std::set<std::string> taken, to_consider;
  std::map<std::string, std::set<std::string>> paths;  // to consider
};

OracleActions ActionsOf(const RuleSet& ruleset, const MatchResult& match,
                        const std::vector<OracleValue>& prompts) {
  std::map<std::string, int> best;  // 2 taken, 1 to consider
  OracleActions out;
  auto add = [&](const std::string& code, bool known,
                 const std::set<std::string>& paths) {
    best[code] = std::max(best[code], known ? 2 : 1);
    if (!known) out.paths[code].insert(paths.begin(), paths.end());
  };
  for (const RuleMatch& m : match.fired) {
    for (const std::string& c : ruleset.rules[m.rule].actions) add(c, true, {});
  }
  for (const RuleMatch& m : match.blocked) {
    const std::set<std::string> paths(m.unknown_paths.begin(),
                                      m.unknown_paths.end());
    for (const std::string& c : ruleset.rules[m.rule].actions) {
      add(c, false, paths);
    }
  }
  for (const RuleMatch& m : match.errored) {
    for (const std::string& c : ruleset.rules[m.rule].actions) {
      add(c, false, {});
    }
  }
  for (size_t i = 0; i < prompts.size(); ++i) {
    if (prompts[i].truth == Truth::kFalse) continue;
    for (const std::string& c : ruleset.policy.prompts[i].actions) {
      add(c, prompts[i].truth == Truth::kTrue, prompts[i].unknown_paths);
    }
  }
  for (const auto& [code, level] : best) {
    (level == 2 ? out.taken : out.to_consider).insert(code);
  }
  for (const std::string& code : out.taken) out.paths.erase(code);
  return out;
}

std::set<std::string> Codes(const std::vector<ActionOutcome>& actions) {
  std::set<std::string> out;
  for (const ActionOutcome& a : actions) out.insert(a.code);
  return out;
}

// Differences between Decide's answer and the oracle's; empty if none.
std::string Compare(const RuleSet& ruleset, const MatchResult& match,
                    const FactRecord& facts, absl::Time as_of,
                    const std::vector<PromptTree>& trees, const Assessment& a,
                    Counts* counts) {
  const PolicyOracle oracle(ruleset, match, facts, as_of);
  const Policy& policy = ruleset.policy;
  std::string diff;
  auto check = [&](bool ok, const std::string& what) {
    if (!ok) absl::StrAppend(&diff, what, "\n");
  };
  std::vector<const Rule*> fired, ceiling_rules;
  for (const RuleMatch& m : match.fired)
    fired.push_back(&ruleset.rules[m.rule]);
  ceiling_rules = fired;
  for (const RuleMatch& m : match.blocked) {
    ceiling_rules.push_back(&ruleset.rules[m.rule]);
  }
  const OracleRange total = oracle.Score(nullptr);
  int64_t fired_total = 0, ceiling_total = 0;
  for (const Rule* r : fired) fired_total += r->score;
  ceiling_total = fired_total;
  for (const RuleMatch& m : match.blocked) {
    ceiling_total += std::max<int64_t>(ruleset.rules[m.rule].score, 0);
  }
  check(a.grade.total_score == fired_total, "total score");
  check(a.grade.grade == policy.grades[oracle.Grade(fired_total, fired)],
        absl::StrCat("grade ", a.grade.grade));
  check(a.grade.band_grade == policy.grades[oracle.Grade(fired_total, {})],
        "band grade");
  check(a.grade.highest_possible ==
            policy.grades[oracle.Grade(ceiling_total, ceiling_rules)],
        absl::StrCat("highest possible grade ", a.grade.highest_possible));
  counts->negative_open += total.low < fired_total;
  for (size_t c = 0; c < policy.concerns.size(); ++c) {
    const std::string& name = policy.concerns[c].name;
    int64_t score = 0, ceiling = 0;
    for (const RuleMatch& m : match.fired) {
      if (ruleset.rules[m.rule].concern == name) {
        score += ruleset.rules[m.rule].score;
      }
    }
    ceiling = score;
    for (const RuleMatch& m : match.blocked) {
      const Rule& r = ruleset.rules[m.rule];
      if (r.concern == name) ceiling += std::max<int64_t>(r.score, 0);
    }
    const ConcernOutcome& got = a.concerns[c];
    check(got.score == score, absl::StrCat(name, " score"));
    check(got.level == policy.levels[oracle.Level(name, score)],
          absl::StrCat(name, " level ", got.level));
    check(got.highest_possible_level ==
              policy.levels[oracle.Level(name, ceiling)],
          absl::StrCat(name, " highest possible level"));
  }
  std::vector<OracleValue> want;
  for (size_t i = 0; i < trees.size(); ++i) {
    want.push_back(oracle.Prompt(trees[i]));
    const OracleValue& w = want.back();
    const PromptOutcome& p = a.prompts[i];
    ++counts->prompts[p.truth];
    check(p.truth == w.truth,
          absl::StrCat(p.name, ": Decide ", TruthName(p.truth), ", oracle ",
                       TruthName(w.truth)));
    check(p.answer == PromptAnswerFor(w.truth),
          absl::StrCat(p.name, " answer"));
    check(p.raised == (w.truth == Truth::kTrue),
          absl::StrCat(p.name, " raised"));
    if (p.truth == Truth::kUnknown && w.truth == Truth::kUnknown) {
      const std::set<std::string> got(p.unknown_paths.begin(),
                                      p.unknown_paths.end());
      check(got == w.unknown_paths,
            absl::StrCat(p.name, " unknown facts [",
                         absl::StrJoin(p.unknown_paths, ", "), "], oracle [",
                         absl::StrJoin(w.unknown_paths, ", "), "]"));
      check(!p.unknown_paths.empty(), absl::StrCat(p.name, " names no facts"));
    }
    if (p.truth == Truth::kError) {
      check(!p.error.empty(), absl::StrCat(p.name, " error without a message"));
    }
  }
  const OracleActions actions = ActionsOf(ruleset, match, want);
  check(Codes(a.actions) == actions.taken, "actions");
  check(Codes(a.actions_to_consider) == actions.to_consider,
        "actions to consider");
  for (const ActionOutcome& action : a.actions_to_consider) {
    const std::set<std::string> got(action.unknown_paths.begin(),
                                    action.unknown_paths.end());
    auto it = actions.paths.find(action.code);
    check(it != actions.paths.end() && got == it->second,
          absl::StrCat("unknown facts of action to consider ", action.code));
  }
  counts->to_consider += static_cast<int64_t>(a.actions_to_consider.size());
  return diff;
}

// Every completion of the open (blocked or errored) rules: TRUE and FALSE
// prompts and taken actions stay so.
std::string CheckSoundness(const RuleSet& ruleset, const MatchResult& match,
                           const FactRecord& facts, absl::Time as_of,
                           const Assessment& a, Counts* counts) {
  std::vector<int32_t> open;
  for (const RuleMatch& m : match.blocked) open.push_back(m.rule);
  for (const RuleMatch& m : match.errored) open.push_back(m.rule);
  if (open.empty() || open.size() > kMaxOpen) return "";
  for (const PromptOutcome& p : a.prompts) {
    counts->decided_in_open +=
        p.truth == Truth::kTrue || p.truth == Truth::kFalse;
  }
  const std::set<std::string> taken = Codes(a.actions);
  for (uint32_t mask = 0; mask < (1u << open.size()); ++mask) {
    MatchResult completion;
    completion.fired = match.fired;
    for (size_t k = 0; k < open.size(); ++k) {
      if (mask & (1u << k)) completion.fired.push_back({open[k], {}, {}, ""});
    }
    std::sort(
        completion.fired.begin(), completion.fired.end(),
        [](const RuleMatch& x, const RuleMatch& y) { return x.rule < y.rule; });
    absl::StatusOr<Assessment> b =
        DecideWithReference(ruleset, facts, completion, as_of);
    if (!b.ok()) return b.status().ToString();
    ++counts->completions_checked;
    for (size_t i = 0; i < a.prompts.size(); ++i) {
      const Truth was = a.prompts[i].truth;
      if ((was == Truth::kTrue || was == Truth::kFalse) &&
          b->prompts[i].truth != was) {
        return absl::StrCat(a.prompts[i].name, " was ", TruthName(was),
                            " but is ", TruthName(b->prompts[i].truth),
                            " in completion mask ", mask);
      }
    }
    for (const std::string& code : taken) {
      if (Codes(b->actions).count(code) == 0) {
        return absl::StrCat("action ", code, " taken but not in completion ",
                            mask);
      }
    }
    const std::set<std::string> now = Codes(b->actions);
    for (const std::string& code : now) {
      if (taken.count(code) == 0 &&
          Codes(a.actions_to_consider).count(code) == 0) {
        return absl::StrCat("action ", code, " in completion ", mask,
                            " was neither taken nor to consider");
      }
    }
  }
  return "";
}

bool RunSeed(uint64_t seed, Counts* counts, std::string* failure) {
  Rng rng(seed);
  static const auto schema = testing::RandomFactsSchema();
  std::string problems;
  std::shared_ptr<RuleSet> ruleset =
      testing::RandomRuleSet(&rng, schema, kRulesPerSeed, &problems);
  std::vector<PromptTree> trees;
  testing::RandomPolicyGenerator policy(&rng, schema.get());
  policy.AddPolicy(ruleset.get(), kPrompts, &trees, &problems);
  if (!problems.empty()) {
    *failure = absl::StrCat("seed ", seed, ": generated text does not check:\n",
                            problems);
    return false;
  }
  RandomFactsGenerator facts_generator(*schema, &rng);
  for (int i = 0; i < kRecordsPerSeed; ++i) {
    const FactRecord facts = facts_generator.Record();
    const absl::Time as_of =
        testing::BaseTime() + absl::Hours(rng.Below(9) - 3);
    const MatchResult match = MatchWithReference(*ruleset, facts, as_of);
    absl::StatusOr<Assessment> a =
        DecideWithReference(*ruleset, facts, match, as_of);
    std::string diff =
        a.ok() ? Compare(*ruleset, match, facts, as_of, trees, *a, counts)
               : a.status().ToString();
    if (diff.empty()) {
      diff = CheckSoundness(*ruleset, match, facts, as_of, *a, counts);
    }
    if (!diff.empty()) {
      *failure = absl::StrCat(Describe(*ruleset, match, seed, i), diff);
      return false;
    }
    ++counts->evaluations;
  }
  return true;
}

TEST(DecideOracle, AgreesWithNaivePolicyStageAndIsSound) {
  const char* replay = std::getenv("LANTERN_ORACLE_SEED");
  Counts counts;
  std::string failure;
  if (replay != nullptr) {
    EXPECT_TRUE(RunSeed(std::strtoull(replay, nullptr, 10), &counts, &failure))
        << failure;
    return;
  }
  for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
    if (!RunSeed(seed, &counts, &failure)) {
      ADD_FAILURE() << failure;
      break;
    }
  }
  std::printf(
      "%lld evaluations; prompts TRUE %lld, FALSE %lld, UNKNOWN %lld, ERROR "
      "%lld; %lld completions checked (%lld decided prompts with open rules); "
      "%lld actions to consider; %lld with negative open scores\n",
      static_cast<long long>(counts.evaluations),
      static_cast<long long>(counts.prompts[Truth::kTrue]),
      static_cast<long long>(counts.prompts[Truth::kFalse]),
      static_cast<long long>(counts.prompts[Truth::kUnknown]),
      static_cast<long long>(counts.prompts[Truth::kError]),
      static_cast<long long>(counts.completions_checked),
      static_cast<long long>(counts.decided_in_open),
      static_cast<long long>(counts.to_consider),
      static_cast<long long>(counts.negative_open));
  // The run covered every outcome.
  EXPECT_EQ(counts.evaluations, kSeeds * kRecordsPerSeed);
  EXPECT_GT(counts.prompts[Truth::kTrue], 0);
  EXPECT_GT(counts.prompts[Truth::kFalse], 0);
  EXPECT_GT(counts.prompts[Truth::kUnknown], 0);
  EXPECT_GT(counts.prompts[Truth::kError], 0);
  EXPECT_GT(counts.completions_checked, 0);
  EXPECT_GT(counts.decided_in_open, 0);
  EXPECT_GT(counts.to_consider, 0);
  EXPECT_GT(counts.negative_open, 0);
}

}  // namespace
}  // namespace lantern
