// Tests engine/decide/invariants.h, engine/decide/episode_generator.h and
// engine/decide/invariant_runner.h, and the loading of invariants
// (engine/ruleset/invariant_loader.cc): the answer stage's functions are
// checked with file:line:col diagnostics, an invariant is violated exactly when
// its premise is TRUE and its conclusion FALSE, the generator is deterministic
// for a seed, and the runner finds the planted violation in
// tests/testdata/rulesets/planted_violation with a shrunk counterexample.
#include "engine/decide/invariants.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/decide/decide.h"
#include "engine/decide/episode_generator.h"
#include "engine/decide/invariant_runner.h"
#include "engine/proto/proto_adapter.h"
#include "engine/proto/proto_fact_types.h"
#include "engine/ruleset/loader.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/oracle/oracle.h"
#include "tests/testing/compiled.h"
#include "tests/testing/test_data.h"

namespace lantern {
namespace {

using ::lantern::testing::Overlay;
using ::lantern::testing::ReadTree;
using ::lantern::testing::TestDataPath;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kPlanted[] = "rulesets/planted_violation";

class InvariantsTest : public ::testing::Test {
 protected:
  LoadResult LoadPlantedWith(const std::string& invariants) {
    std::vector<SourceFile> files = ReadTree(TestDataPath(kPlanted));
    Overlay(&files, "invariants.yaml", invariants);
    return LoadRuleSetFromFiles(std::move(files), types_, "planted");
  }
  std::shared_ptr<const RuleSet> LoadPlanted() {
    absl::StatusOr<LoadResult> loaded =
        LoadRuleSet(TestDataPath(kPlanted), types_);
    EXPECT_TRUE(loaded.ok()) << loaded.status();
    EXPECT_EQ(loaded->diagnostics.ToString(), "");
    return loaded->ruleset;
  }
  std::string JsonOf(const RuleSet& rs, const FactRecord& facts) {
    absl::StatusOr<std::string> json = FactsToJson(
        *rs.schema, FindFactMessage(rs.manifest.fact_message), facts);
    EXPECT_TRUE(json.ok()) << json.status();
    return json.ok() ? *json : "";
  }
  FactRecord Facts(const RuleSet& rs, const std::string& json) {
    absl::StatusOr<FactRecord> facts =
        types_.DecodeJson(*rs.schema, rs.manifest.fact_message, json);
    EXPECT_TRUE(facts.ok()) << facts.status();
    return std::move(facts).value();
  }
  static AssessFn Reference() {
    return [](const RuleSet& rs, const FactRecord& facts, absl::Time as_of) {
      return AssessWithReference(rs, facts, as_of);
    };
  }
  ProtoFactTypes types_;
  const absl::Time as_of_ = absl::FromUnixSeconds(1714824000);
};

std::string Invariant(const std::string& holds, const std::string& extra = "") {
  return absl::StrCat("invariants:\n  - id: x\n    title: t\n    cite: c\n",
                      extra, "    holds: ", holds, "\n");
}

TEST_F(InvariantsTest, LoadsInvariantsNamedByTheManifest) {
  std::shared_ptr<const RuleSet> rs = LoadPlanted();
  ASSERT_NE(rs, nullptr);
  ASSERT_EQ(rs->invariants.size(), 3u);
  EXPECT_EQ(rs->invariants[0].id, "young.at_least_medium");
  EXPECT_TRUE(rs->invariants[0].when.has_value());
  EXPECT_EQ(rs->invariants[1].location.line, 8);
}

TEST_F(InvariantsTest, ReportsUnknownFunctionAtItsPlace) {
  const std::string out = LoadPlantedWith(Invariant("grade_of() >= \"HIGH\""))
                              .diagnostics.ToString();
  EXPECT_THAT(out, HasSubstr("planted/invariants.yaml:5:12: error: unknown "
                             "function 'grade_of'"));
}

TEST_F(InvariantsTest, ReportsAnswerFunctionsOutsideTheAnswerStage) {
  std::vector<SourceFile> files = ReadTree(TestDataPath(kPlanted));
  Overlay(&files, "rules/extra.yaml",
          "rules:\n  - id: extra.high\n    title: t\n    cite: c\n"
          "    when: grade() >= \"HIGH\"\n");
  const std::string out =
      LoadRuleSetFromFiles(std::move(files), types_, "planted")
          .diagnostics.ToString();
  EXPECT_THAT(out, HasSubstr("planted/rules/extra.yaml:5:11: error: grade() "
                             "reads the final answer and is only available in "
                             "invariants"));
}

TEST_F(InvariantsTest, ReportsAConditionThatIsNotBool) {
  const std::string out =
      LoadPlantedWith(Invariant("concern_score(\"CSE\") + 1"))
          .diagnostics.ToString();
  EXPECT_THAT(out, HasSubstr("planted/invariants.yaml:5:"));
  EXPECT_THAT(out, HasSubstr("bool"));
}

TEST_F(InvariantsTest, ReportsBadRankNamesPromptsActionsAndKeys) {
  const std::string out =
      LoadPlantedWith(
          "invariants:\n"
          "  - id: a\n    title: t\n    cite: c\n"
          "    holds: grade() >= \"SEVERE\"\n"  // line 5
          "  - id: b\n    title: t\n    cite: c\n"
          "    holds: grade() >= MEDIUM\n"  // line 9
          "  - id: c\n    title: t\n    cite: c\n"
          "    holds: prompt(\"nrn\") == \"RAISE\"\n"  // line 13
          "  - id: d\n    title: t\n    cite: c\n"
          "    holds: action(\"NRM_REFERAL\")\n"  // line 17
          "  - id: d\n    title: t\n    cite: c\n    colour: blue\n"
          "    holds: prompt(\"nrm\") == \"RAISED\"\n")  // line 22
          .diagnostics.ToString();
  EXPECT_THAT(out, HasSubstr("invariants.yaml:5:23: error: unknown grade "
                             "'SEVERE'; expected one of VERY_LOW, LOW, "
                             "MEDIUM, HIGH"));
  EXPECT_THAT(out, HasSubstr("invariants.yaml:9:23: error: compare grade() "
                             "with a grade name in quotes"));
  EXPECT_THAT(out, HasSubstr("invariants.yaml:13:19: error: unknown prompt "
                             "'nrn'; did you mean 'nrm'?"));
  EXPECT_THAT(out, HasSubstr("invariants.yaml:17:19: error: unknown action "
                             "'NRM_REFERAL'; did you mean 'NRM_REFERRAL'?"));
  EXPECT_THAT(out, HasSubstr("invariants.yaml:18:9: error: duplicate "
                             "invariant id 'd'"));
  EXPECT_THAT(out, HasSubstr("invariants.yaml:21:5: error: unknown key "
                             "'colour' in invariant"));
  EXPECT_THAT(out, HasSubstr("invariants.yaml:22:29: error: unknown prompt "
                             "answer 'RAISED'; expected one of NOT_RAISED, "
                             "CONSIDER, RAISE"));
}

TEST_F(InvariantsTest, ReportsAnInvariantsFileTheRulesetLacks) {
  std::vector<SourceFile> files = ReadTree(TestDataPath(kPlanted));
  std::vector<SourceFile> kept;
  for (SourceFile& f : files) {
    if (f.path != "invariants.yaml") kept.push_back(std::move(f));
  }
  const std::string out =
      LoadRuleSetFromFiles(std::move(kept), types_, "planted")
          .diagnostics.ToString();
  EXPECT_THAT(out, HasSubstr("planted/manifest.yaml:10:13: error: invariants "
                             "file 'invariants.yaml' is not in the ruleset"));
}

// Violated iff the premise is TRUE and the conclusion FALSE; UNKNOWN when
// a fact either reads is unset and nothing else decides it.
TEST_F(InvariantsTest, ViolatedOnlyWhenPremiseHoldsAndConclusionFails) {
  std::shared_ptr<const RuleSet> rs = LoadPlanted();
  ASSERT_NE(rs, nullptr);
  struct Case {
    std::string facts;
    Truth medium, high;
    bool premise;
  } cases[] = {
      {R"({"child": {"ageYears": 10}})", Truth::kTrue, Truth::kFalse, true},
      {R"({"child": {"ageYears": 15}})", Truth::kTrue, Truth::kTrue, false},
      {R"({"child": {}})", Truth::kUnknown, Truth::kUnknown, false},
  };
  for (const Case& c : cases) {
    FactRecord facts = Facts(*rs, c.facts);
    absl::StatusOr<Assessment> a = AssessWithReference(*rs, facts, as_of_);
    ASSERT_TRUE(a.ok()) << a.status();
    std::vector<InvariantOutcome> out =
        CheckInvariants(*MustCompile(rs), facts, *a);
    ASSERT_EQ(out.size(), 3u);
    EXPECT_EQ(out[0].truth, c.medium) << c.facts;
    EXPECT_EQ(out[1].truth, c.high) << c.facts;
    EXPECT_EQ(out[1].premise, c.premise) << c.facts;
    if (c.high == Truth::kFalse) {
      EXPECT_THAT(DescribeOutcome(out[1]), HasSubstr("grade()=MEDIUM"));
    }
    if (c.high == Truth::kUnknown) {
      EXPECT_EQ(out[1].unknown_paths,
                std::vector<std::string>{"child.age_years"});
    }
  }
}

TEST_F(InvariantsTest, PromptAndActionReadTheFinalAnswer) {
  std::shared_ptr<const RuleSet> rs = LoadPlanted();
  ASSERT_NE(rs, nullptr);
  FactRecord facts = Facts(*rs, R"({"episode": {"found": {"with": [
      {"ageYears": 15, "alsoMissing": true},
      {"ageYears": 16, "alsoMissing": true}]}}})");
  absl::StatusOr<Assessment> a = AssessWithReference(*rs, facts, as_of_);
  ASSERT_TRUE(a.ok()) << a.status();
  const PolicyInputs in = AnswerInputs(*rs, *a);
  ASSERT_TRUE(in.answer.has_value());
  EXPECT_EQ(in.answer->grade_name, a->grade.grade);
  std::vector<InvariantOutcome> out =
      CheckInvariants(*MustCompile(rs), facts, *a);
  EXPECT_EQ(out[2].truth, Truth::kTrue);
  EXPECT_TRUE(out[2].premise) << DescribeOutcome(out[2]);
}

TEST_F(InvariantsTest, GeneratorIsDeterministicForASeed) {
  std::shared_ptr<const RuleSet> rs = LoadPlanted();
  ASSERT_NE(rs, nullptr);
  EpisodeGenerator a(*rs, 7), b(*rs, 7), c(*rs, 8);
  std::vector<std::string> first, second, other;
  for (int i = 0; i < 50; ++i) {
    first.push_back(JsonOf(*rs, a.Next().facts));
    second.push_back(JsonOf(*rs, b.Next().facts));
    other.push_back(JsonOf(*rs, c.Next().facts));
  }
  EXPECT_EQ(first, second);
  EXPECT_NE(first, other);
}

TEST_F(InvariantsTest, GeneratedFactsSurviveAJsonRoundTrip) {
  std::shared_ptr<const RuleSet> rs = LoadPlanted();
  ASSERT_NE(rs, nullptr);
  EpisodeGenerator generator(*rs, 3);
  for (int i = 0; i < 200; ++i) {
    GeneratedEpisode e = generator.Next();
    const std::string json = JsonOf(*rs, e.facts);
    FactRecord again = Facts(*rs, json);
    EXPECT_EQ(JsonOf(*rs, again), json);
    absl::StatusOr<Assessment> x = AssessWithReference(*rs, e.facts, e.as_of);
    absl::StatusOr<Assessment> y = AssessWithReference(*rs, again, e.as_of);
    ASSERT_TRUE(x.ok() && y.ok());
    EXPECT_EQ(x->grade.grade, y->grade.grade) << json;
    EXPECT_EQ(x->fired.size(), y->fired.size()) << json;
  }
}

TEST_F(InvariantsTest, RunnerFindsThePlantedViolationAndShrinksIt) {
  std::shared_ptr<const RuleSet> rs = LoadPlanted();
  ASSERT_NE(rs, nullptr);
  const GeneratedReport report =
      RunInvariantsOnGenerated(*MustCompile(rs), Reference(), 2000, 1);
  EXPECT_EQ(report.episodes, 2000);
  EXPECT_FALSE(report.ok());
  ASSERT_EQ(report.invariants.size(), 3u);
  EXPECT_EQ(report.invariants[0].violated, 0);
  EXPECT_GT(report.invariants[0].applied, 0);
  EXPECT_EQ(report.invariants[2].violated, 0);
  EXPECT_GT(report.invariants[2].applied, 0);
  const InvariantTally& planted = report.invariants[1];
  EXPECT_GT(planted.violated, 0);
  ASSERT_EQ(planted.counterexamples.size(), 1u);
  const Counterexample& c = planted.counterexamples[0];
  // Shrunk to the one fact that matters: a child under 13.
  const std::string json = JsonOf(*rs, *c.facts);
  EXPECT_THAT(json, HasSubstr("\"ageYears\""));
  EXPECT_THAT(json, Not(HasSubstr("\"episode\"")));
  FactRecord again = Facts(*rs, json);
  absl::StatusOr<Assessment> a = AssessWithReference(*rs, again, c.as_of);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(CheckInvariants(*MustCompile(rs), again, *a)[1].truth,
            Truth::kFalse)
      << json;
  // Every rule fired on some generated episode.
  for (const auto& [id, count] : report.rule_fires) {
    EXPECT_GT(count, 0) << id;
  }
}

TEST_F(InvariantsTest, RunnerIsDeterministicForASeed) {
  std::shared_ptr<const RuleSet> rs = LoadPlanted();
  ASSERT_NE(rs, nullptr);
  const GeneratedReport a =
      RunInvariantsOnGenerated(*MustCompile(rs), Reference(), 300, 5);
  const GeneratedReport b =
      RunInvariantsOnGenerated(*MustCompile(rs), Reference(), 300, 5);
  EXPECT_EQ(a.rule_fires, b.rule_fires);
  for (size_t i = 0; i < a.invariants.size(); ++i) {
    EXPECT_EQ(a.invariants[i].held, b.invariants[i].held);
    EXPECT_EQ(a.invariants[i].violated, b.invariants[i].violated);
    EXPECT_EQ(a.invariants[i].undecided, b.invariants[i].undecided);
  }
}

}  // namespace
}  // namespace lantern
