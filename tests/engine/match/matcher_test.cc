// Tests of the optimised matcher (engine/match/matcher.h,
// engine/compile/compiler.h) on real rulesets — every test case of the example
// ruleset and of the shipped safeguarding ruleset (rules/) through both paths,
// with identical matches, assessments and rule-test reports — and on small
// cases that pin the compiler's path report, the index's handling of UNKNOWN
// and negation, and the phrase automaton's whole-word semantics.
#include "engine/match/matcher.h"

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "engine/compile/compiler.h"
#include "engine/decide/assess.h"
#include "engine/match/phrase_index.h"
#include "engine/proto/proto_adapter.h"
#include "engine/proto/proto_fact_types.h"
#include "engine/ruleset/loader.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lantern/v1/episode.pb.h"
#include "tests/oracle/oracle.h"
#include "tests/testing/match_diff.h"
#include "tests/testing/random_facts.h"
#include "tests/testing/random_rules.h"
#include "tests/testing/test_data.h"

namespace lantern {
namespace {

std::shared_ptr<const CompiledRuleSet> CompileOrDie(
    std::shared_ptr<const RuleSet> ruleset) {
  absl::StatusOr<std::shared_ptr<const CompiledRuleSet>> program =
      CompileRuleSet(std::move(ruleset));
  EXPECT_TRUE(program.ok()) << program.status();
  return program.ok() ? *program : nullptr;
}

// Runs every test case of `dir` through both paths and compares.
void ExpectBothPathsAgree(const std::string& dir) {
  ProtoFactTypes types;
  absl::StatusOr<LoadResult> loaded = LoadRuleSet(dir, types);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_NE(loaded->ruleset, nullptr) << loaded->diagnostics.ToString();
  const RuleSet& ruleset = *loaded->ruleset;
  std::shared_ptr<const CompiledRuleSet> program =
      CompileOrDie(loaded->ruleset);
  ASSERT_NE(program, nullptr);
  std::printf("%s: %s\n", dir.c_str(), program->report.ToString().c_str());
  for (const RuleTestCase& test : ruleset.tests) {
    ASSERT_NE(test.facts, nullptr) << test.name;
    const MatchResult want =
        MatchWithReference(ruleset, *test.facts, test.as_of);
    const MatchResult got = MatchWithMatcher(*program, *test.facts, test.as_of);
    EXPECT_EQ(testing::DiffMatchResults(ruleset, want, got), "") << test.name;
    absl::StatusOr<Assessment> a =
        AssessWithReference(ruleset, *test.facts, test.as_of);
    absl::StatusOr<Assessment> b =
        AssessWithMatcher(*program, *test.facts, test.as_of);
    ASSERT_EQ(a.ok(), b.ok()) << test.name;
    if (a.ok()) {
      EXPECT_EQ(testing::DiffAssessments(*a, *b), "") << test.name;
    }
  }
  const RuleTestReport reference = RunRuleTests(
      *program,
      [](const RuleSet& rs, const FactRecord& facts, absl::Time as_of) {
        return AssessWithReference(rs, facts, as_of);
      });
  const RuleTestReport matcher = RunRuleTests(*program);
  EXPECT_EQ(matcher.passed, reference.passed);
  EXPECT_EQ(matcher.failed, reference.failed);
  EXPECT_EQ(matcher.rules_fired, reference.rules_fired);
  for (const RuleTestFailure& f : matcher.failures) {
    ADD_FAILURE() << "through the matcher: " << f.name << ": "
                  << ::testing::PrintToString(f.differences);
  }
}

TEST(MatcherRulesets, ExampleRulesetAgreesWithReference) {
  ExpectBothPathsAgree(testing::TestDataPath("rulesets/example"));
}

TEST(MatcherRulesets, ShippedRulesetAgreesWithReference) {
  const std::string dir = testing::SourcePath("rules");
  if (!std::filesystem::exists(dir + "/manifest.yaml")) {
    GTEST_SKIP() << "no shipped ruleset yet";
  }
  ExpectBothPathsAgree(dir);
}

TEST(MatcherRulesets, AssessFnRefusesAnotherRuleset) {
  ProtoFactTypes types;
  absl::StatusOr<LoadResult> a =
      LoadRuleSet(testing::TestDataPath("rulesets/example"), types);
  absl::StatusOr<LoadResult> b =
      LoadRuleSet(testing::TestDataPath("rulesets/example"), types);
  ASSERT_TRUE(a.ok() && b.ok() && a->ruleset && b->ruleset);
  AssessFn assess = MatcherAssessFn(CompileOrDie(a->ruleset));
  FactRecord facts(
      b->ruleset->schema->root(),
      static_cast<int32_t>(b->ruleset->schema->root_type().fields.size()));
  EXPECT_EQ(assess(*b->ruleset, facts, absl::Now()).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

// A ruleset of the given conditions over the random-facts schema.
std::shared_ptr<RuleSet> RulesOf(const std::vector<std::string>& conditions) {
  auto ruleset = std::make_shared<RuleSet>();
  ruleset->schema = testing::RandomFactsSchema();
  ruleset->constants = testing::RandomRuleConstants();
  for (size_t i = 0; i < conditions.size(); ++i) {
    Rule rule;
    rule.id = absl::StrCat("r", i);
    std::string problems;
    EXPECT_TRUE(testing::CheckCondition(conditions[i], *ruleset->schema,
                                        ruleset->constants, &rule.when,
                                        &problems))
        << conditions[i] << "\n"
        << problems;
    ruleset->rules.push_back(std::move(rule));
  }
  return ruleset;
}

TEST(MatcherCompiler, ReportsWhichPathEachRuleTook) {
  auto program = CompileOrDie(RulesOf({
      "i1 > 3 && b1",                            // indexed
      "e1 == \"A\" || text.mentions(\"cash\")",  // indexed, two alternatives
      "items.exists(v, v.n > 2) && i2 == 1",     // indexed, one compiled atom
      "!(\"a\" in tags)",                        // no index key: always
  }));
  ASSERT_NE(program, nullptr);
  const CompileReport& r = program->report;
  EXPECT_EQ(r.rules, 4);
  EXPECT_EQ(r.rules_indexed, 3);
  EXPECT_EQ(r.rules_always, 1);
  EXPECT_EQ(r.rules_compiled, 1);
  EXPECT_EQ(r.atoms_ordered, 4);
  EXPECT_EQ(r.atoms_text, 1);
  EXPECT_EQ(r.atoms_set, 1);
  EXPECT_EQ(r.atoms_compiled, 1);
  EXPECT_EQ(r.lead_entries, 4);
}

TEST(MatcherCompiler, DeduplicatesAtomsAcrossRules) {
  auto program = CompileOrDie(
      RulesOf({"i1 > 3 && b1", "b1 == true && 3 < i1", "i1 > 3 || b1"}));
  ASSERT_NE(program, nullptr);
  EXPECT_EQ(program->report.atoms_ordered, 2);
  EXPECT_EQ(program->report.occurrences, 6);
}

TEST(Matcher, ReportsUnknownRulesItHasNoLeadFor) {
  // The lead of rule 0 is `i2 == 7`; with i2 unset the rule is UNKNOWN, and
  // is found through the unknown source, not the index.
  auto ruleset = RulesOf({"i1 > 3 && i2 == 7", "!(i1 > 3)"});
  auto program = CompileOrDie(ruleset);
  FactRecord facts(
      ruleset->schema->root(),
      static_cast<int32_t>(ruleset->schema->root_type().fields.size()));
  facts.Set(0, FactScalar(int64_t{5}));  // i1
  MatchScratch scratch;
  Match(*program, facts, absl::Now(), &scratch);
  EXPECT_EQ(scratch.fired(), std::vector<int32_t>{});
  EXPECT_EQ(scratch.blocked(), std::vector<int32_t>{0});
  const RuleMatch blocked = Explain(*program, 0, &scratch);
  EXPECT_EQ(blocked.unknown_paths, std::vector<std::string>{"i2"});
  facts.Set(0, FactScalar(int64_t{2}));
  Match(*program, facts, absl::Now(), &scratch);
  EXPECT_EQ(scratch.fired(), std::vector<int32_t>{1});
  EXPECT_EQ(scratch.blocked(), std::vector<int32_t>{});
}

// Rules over the service's own facts (lantern.v1.EpisodeFacts), matched
// by both paths: wrapped checklists and windowed counts over dated entries.
class EpisodeFactsRules : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::shared_ptr<const FactSchema>> schema =
        SchemaFromDescriptor(v1::EpisodeFacts::descriptor());
    ASSERT_TRUE(schema.ok()) << schema.status();
    schema_ = *std::move(schema);
  }

  // Compiles `conditions` as rules r0, r1, ... and matches `json` facts by
  // both paths, which must agree; returns the reference's result.
  MatchResult MatchBoth(const std::vector<std::string>& conditions,
                        const std::string& json) {
    auto ruleset = std::make_shared<RuleSet>();
    ruleset->schema = schema_;
    for (size_t i = 0; i < conditions.size(); ++i) {
      Rule rule;
      rule.id = absl::StrCat("r", i);
      std::string problems;
      EXPECT_TRUE(testing::CheckCondition(conditions[i], *schema_, {},
                                          &rule.when, &problems))
          << conditions[i] << "\n"
          << problems;
      ruleset->rules.push_back(std::move(rule));
    }
    std::shared_ptr<const CompiledRuleSet> program = CompileOrDie(ruleset);
    absl::StatusOr<FactRecord> facts =
        FactsFromJson(*schema_, v1::EpisodeFacts::descriptor(), json);
    EXPECT_TRUE(facts.ok()) << facts.status();
    if (program == nullptr || !facts.ok()) return {};
    const absl::Time as_of = absl::FromUnixSeconds(1714824000);
    MatchResult want = MatchWithReference(*ruleset, *facts, as_of);
    const MatchResult got = MatchWithMatcher(*program, *facts, as_of);
    EXPECT_EQ(testing::DiffMatchResults(*ruleset, want, got), "") << json;
    return want;
  }

  static std::vector<int32_t> Rules(const std::vector<RuleMatch>& matches) {
    std::vector<int32_t> out;
    for (const RuleMatch& m : matches) out.push_back(m.rule);
    return out;
  }

  std::shared_ptr<const FactSchema> schema_;
};

TEST_F(EpisodeFactsRules, AnUnaskedChecklistBlocksAndIsNamed) {
  const std::vector<std::string> rules = {
      R"("GIFTS" in episode.indicators.recorded)",
      "episode.indicators.recorded.exists(i, i == \"GIFTS\")",
      "episode.indicators.recorded.size() > 0"};
  const MatchResult unasked = MatchBoth(rules, R"({"episode": {}})");
  EXPECT_THAT(Rules(unasked.fired), ::testing::IsEmpty());
  ASSERT_THAT(Rules(unasked.blocked), ::testing::ElementsAre(0, 1, 2));
  for (const RuleMatch& m : unasked.blocked) {
    EXPECT_THAT(m.unknown_paths,
                ::testing::ElementsAre("episode.indicators.recorded"));
  }
  // Asked, none: every rule is decided, none fires.
  const MatchResult none =
      MatchBoth(rules, R"({"episode": {"indicators": {}}})");
  EXPECT_THAT(Rules(none.fired), ::testing::IsEmpty());
  EXPECT_THAT(Rules(none.blocked), ::testing::IsEmpty());
  const MatchResult gifts = MatchBoth(
      rules, R"({"episode": {"indicators": {"recorded": ["GIFTS"]}}})");
  EXPECT_THAT(Rules(gifts.fired), ::testing::ElementsAre(0, 1, 2));
}

TEST_F(EpisodeFactsRules, CountsDatedEpisodesInAWindow) {
  const std::vector<std::string> rules = {
      "history.episodes.recorded.count(e, e.reported_at >= "
      "episode.reported_at - duration(\"90d\")) >= 2",
      "history.episodes.recorded.count(e, e.reported_at >= "
      "episode.reported_at - duration(\"30d\")) >= 2"};
  // 10, 50 and 200 days before the report of 2024-05-01.
  const std::string three = R"({
    "episode": {"reportedAt": "2024-05-01T00:00:00Z"},
    "history": {"episodes": {"recorded": [
      {"reportedAt": "2024-04-21T00:00:00Z"},
      {"reportedAt": "2024-03-12T00:00:00Z"},
      {"reportedAt": "2023-10-14T00:00:00Z"}]}}})";
  const MatchResult counted = MatchBoth(rules, three);
  EXPECT_THAT(Rules(counted.fired), ::testing::ElementsAre(0));
  EXPECT_THAT(Rules(counted.blocked), ::testing::IsEmpty());
  // Entries not checked: UNKNOWN, naming the list.
  const MatchResult unchecked = MatchBoth(
      rules, R"({"episode": {"reportedAt": "2024-05-01T00:00:00Z"}})");
  ASSERT_THAT(Rules(unchecked.blocked), ::testing::ElementsAre(0, 1));
  EXPECT_THAT(unchecked.blocked[0].unknown_paths,
              ::testing::Contains("history.episodes.recorded"));
  // An entry without its date may or may not be in the window.
  const MatchResult undated = MatchBoth(rules, R"({
    "episode": {"reportedAt": "2024-05-01T00:00:00Z"},
    "history": {"episodes": {"recorded": [
      {"reportedAt": "2024-04-21T00:00:00Z"}, {}]}}})");
  EXPECT_THAT(Rules(undated.fired), ::testing::IsEmpty());
  EXPECT_THAT(Rules(undated.blocked), ::testing::ElementsAre(0, 1));
}

TEST(Matcher, ReadsTheRequestsAsOfAndQuotesIt) {
  auto ruleset = RulesOf({"as_of() - t1 > duration(\"24h\")"});
  auto program = CompileOrDie(ruleset);
  ASSERT_NE(program, nullptr);
  FactRecord facts(
      ruleset->schema->root(),
      static_cast<int32_t>(ruleset->schema->root_type().fields.size()));
  int32_t t1 = -1;
  const auto& fields = ruleset->schema->root_type().fields;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].name == "t1") t1 = static_cast<int32_t>(i);
  }
  ASSERT_GE(t1, 0);
  const absl::Time seen = testing::BaseTime();
  facts.Set(t1, FactScalar(seen));
  MatchScratch scratch;
  Match(*program, facts, seen + absl::Hours(24), &scratch);
  EXPECT_EQ(scratch.fired(), std::vector<int32_t>{});
  Match(*program, facts, seen + absl::Hours(25), &scratch);
  ASSERT_EQ(scratch.fired(), std::vector<int32_t>{0});
  const RuleMatch fired = Explain(*program, 0, &scratch);
  ASSERT_EQ(fired.evidence.size(), 1u);
  EXPECT_EQ(fired.evidence[0].readings,
            (std::vector<FactReading>{{"as_of()", "2024-01-02T01:00:00Z"},
                                      {"t1", "2024-01-01T00:00:00Z"}}));
  EXPECT_EQ(fired.evidence,
            MatchWithReference(*ruleset, facts, seen + absl::Hours(25))
                .fired[0]
                .evidence);
}

TEST(PhraseIndex, MatchesWholeWordsInAnyCaseLikeMentions) {
  const std::vector<std::string> phrases = {"trap house", "taxi", "x2",
                                            "county lines", "a b a c"};
  PhraseIndexBuilder builder;
  for (const std::string& p : phrases) builder.Add(p);
  const PhraseIndex index = std::move(builder).Build();
  const std::vector<std::string> texts = {
      "Trap-House",     "TRAP  house's", "traphouse",    "trap houses",
      "the taxis",      "(taxi)",        "x2 x22",       "County\nLines",
      "a b a b a c",    "trapped house", "\xc3\xa9taxi", "",
      "trap house taxi"};
  for (const std::string& text : texts) {
    std::vector<bool> found(phrases.size(), false);
    index.Scan(text, [&](int32_t id) { found[id] = true; });
    for (size_t p = 0; p < phrases.size(); ++p) {
      EXPECT_EQ(found[p], TextMentions(text, phrases[p]))
          << "'" << text << "' mentions '" << phrases[p] << "'";
    }
  }
}

// Hundreds of phrase words of 1 to 20 letters (so the word filter spans many
// words and long words are confirmed byte by byte), texts mixing them with
// near misses: the index agrees with TextMentions on every pair.
TEST(PhraseIndex, ManyAndLongWordsAgreeWithMentions) {
  uint64_t seed = 12345;
  auto next = [&seed](uint64_t n) {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    return (seed >> 33) % n;
  };
  auto word = [&] {
    std::string w(1 + next(20), 'a');
    for (char& c : w) c = static_cast<char>('a' + next(26));
    return w;
  };
  std::vector<std::string> vocabulary;
  for (int i = 0; i < 400; ++i) vocabulary.push_back(word());
  std::vector<std::string> phrases;
  for (int i = 0; i < 300; ++i) {
    std::string p = vocabulary[next(vocabulary.size())];
    for (uint64_t k = next(3); k > 0; --k) {
      p += " " + vocabulary[next(vocabulary.size())];
    }
    phrases.push_back(p);
  }
  PhraseIndexBuilder builder;
  std::vector<int32_t> ids;
  for (const std::string& p : phrases) ids.push_back(builder.Add(p));
  const PhraseIndex index = std::move(builder).Build();
  const std::vector<std::string> seps = {" ", "-", ", ", "\n", "'s "};
  for (int t = 0; t < 200; ++t) {
    std::string text;
    for (int k = 0; k < 40; ++k) {
      std::string w = next(3) == 0 ? word() : vocabulary[next(400)];
      if (next(5) == 0) w += "s";  // a near miss
      if (next(4) == 0) w[0] = static_cast<char>(w[0] - 'a' + 'A');
      if (next(6) == 0) w = phrases[next(phrases.size())];  // a whole phrase
      text += w + seps[next(seps.size())];
    }
    std::vector<bool> found(phrases.size(), false);
    index.Scan(text, [&](int32_t id) {
      for (size_t p = 0; p < phrases.size(); ++p) {
        if (ids[p] == id) found[p] = true;
      }
    });
    for (size_t p = 0; p < phrases.size(); ++p) {
      ASSERT_EQ(found[p], TextMentions(text, phrases[p]))
          << "'" << text << "' mentions '" << phrases[p] << "'";
    }
  }
}

TEST(PhraseIndex, PhrasesWithoutWordsMentionNothing) {
  PhraseIndexBuilder builder;
  EXPECT_EQ(builder.Add("_"), -1);
  EXPECT_EQ(builder.Add("--"), -1);
  EXPECT_EQ(builder.Add("Trap House"), builder.Add("trap-house"));
}

}  // namespace
}  // namespace lantern
