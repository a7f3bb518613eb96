// Tests engine/analyze/analyzer.h: on tests/testdata/rulesets/analyze_planted
// the analysis finds each planted fault — the rule that can never fire (with
// its two conflicting conditions), the action only that rule calls for, the
// violated invariant — and every other rule, output and invariant gets a
// witness or a proof; each witness, re-evaluated here with the reference
// engine, does what the report says. Small rulesets made with Overlay pin
// the three-valued encoding: a rule that fires only on a TRUE condition, a
// prompt that reads UNKNOWN as "consider", not "raise".
#include "engine/analyze/analyzer.h"

#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "engine/decide/decide.h"
#include "engine/decide/invariants.h"
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

constexpr char kPlanted[] = "rulesets/analyze_planted";

class AnalyzerTest : public ::testing::Test {
 protected:
  std::shared_ptr<const RuleSet> Load(
      const std::vector<std::pair<std::string, std::string>>& overlays = {}) {
    std::vector<SourceFile> files = ReadTree(TestDataPath(kPlanted));
    for (const auto& [path, text] : overlays) Overlay(&files, path, text);
    LoadResult loaded =
        LoadRuleSetFromFiles(std::move(files), types_, "planted");
    EXPECT_EQ(loaded.diagnostics.ToString(), "");
    return loaded.ruleset;
  }
  AnalysisReport Analyze(const RuleSet& rs) {
    AnalysisOptions opt;
    opt.as_of = absl::FromUnixSeconds(1714824000);  // 2024-05-04T12:00:00Z
    absl::StatusOr<AnalysisReport> report =
        AnalyzeRuleSet(rs, opt, [&](const std::string& json) {
          return types_.DecodeJson(*rs.schema, rs.manifest.fact_message, json);
        });
    EXPECT_TRUE(report.ok()) << report.status();
    return report.ok() ? *report : AnalysisReport{};
  }
  Assessment Assess(const RuleSet& rs, const std::string& json) {
    absl::StatusOr<FactRecord> facts =
        types_.DecodeJson(*rs.schema, rs.manifest.fact_message, json);
    EXPECT_TRUE(facts.ok()) << facts.status() << " in " << json;
    absl::StatusOr<Assessment> a =
        AssessWithReference(rs, *facts, absl::FromUnixSeconds(1714824000));
    EXPECT_TRUE(a.ok()) << a.status();
    return *a;
  }
  ProtoFactTypes types_;
};

TEST_F(AnalyzerTest, FindsEveryPlantedFaultAndNothingElse) {
  std::shared_ptr<const RuleSet> rs = Load();
  ASSERT_NE(rs, nullptr);
  const AnalysisReport report = Analyze(*rs);
  EXPECT_THAT(report.disagreements, ::testing::IsEmpty());
  EXPECT_THAT(report.unsupported, ::testing::IsEmpty());
  ASSERT_EQ(report.rules.size(), rs->rules.size());
  for (const RuleFinding& r : report.rules) {
    if (r.rule_id == "general.planted_contradiction") {
      EXPECT_EQ(r.kind, RuleFinding::kNeverFires);
      // The core: the two age conditions, not the status.
      ASSERT_EQ(r.conflicts.size(), 2u)
          << ::testing::PrintToString(r.conflicts);
      EXPECT_THAT(r.conflicts[0], HasSubstr("child.age_years < 5"));
      EXPECT_THAT(r.conflicts[1], HasSubstr("child.age_years > 10"));
      continue;
    }
    EXPECT_EQ(r.kind, RuleFinding::kCanFire) << r.rule_id;
    ASSERT_FALSE(r.witness_json.empty()) << r.rule_id;
    const Assessment a = Assess(*rs, r.witness_json);
    bool fired = false;
    for (const FiredRule& f : a.fired) fired |= f.id == r.rule_id;
    EXPECT_TRUE(fired) << r.rule_id << " on " << r.witness_json;
  }
  // Unreachable: the planted action, and three concern levels the example
  // rules' scores cannot make (CCE rules sum to 40, below HIGH's 60; the
  // one TRAFFICKING rule scores 30: MEDIUM or NONE).
  const std::set<std::string> unreachable = {
      "action CAWN_REVIEW", "concern CCE=HIGH", "concern TRAFFICKING=AT_RISK",
      "concern TRAFFICKING=HIGH"};
  for (const OutputFinding& o : report.outputs) {
    const std::string name = o.kind + " " + o.name;
    EXPECT_EQ(o.reachable, unreachable.count(name) == 0) << name;
    if (!o.reachable) continue;
    ASSERT_FALSE(o.witness_json.empty()) << o.kind << " " << o.name;
    const Assessment a = Assess(*rs, o.witness_json);
    if (o.kind == "grade") EXPECT_EQ(a.grade.grade, o.name);
    if (o.kind == "prompt")
      EXPECT_EQ(a.prompts[0].answer, PromptAnswer::kRaise);
    if (o.kind == "concern") {
      bool level = false;
      for (const ConcernOutcome& c : a.concerns) {
        level |= o.name == c.name + "=" + c.level;
      }
      EXPECT_TRUE(level) << o.name << " on " << o.witness_json;
    }
    if (o.kind == "action") {
      bool listed = false;
      for (const ActionOutcome& x : a.actions) listed |= x.code == o.name;
      EXPECT_TRUE(listed) << o.name << " on " << o.witness_json;
    }
  }
  ASSERT_EQ(report.invariants.size(), rs->invariants.size());
  for (size_t k = 0; k < report.invariants.size(); ++k) {
    const InvariantFinding& i = report.invariants[k];
    if (i.id != "young.graded_high") {
      EXPECT_TRUE(i.proven) << i.id << ": " << i.counterexample_json;
      continue;
    }
    EXPECT_FALSE(i.proven);
    ASSERT_FALSE(i.counterexample_json.empty());
    FactRecord facts = *types_.DecodeJson(
        *rs->schema, rs->manifest.fact_message, i.counterexample_json);
    const Assessment a = Assess(*rs, i.counterexample_json);
    EXPECT_EQ(CheckInvariants(*MustCompile(rs), facts, a)[k].truth,
              Truth::kFalse);
  }
  // Shadowed: only the planted rule (general.under_13's MEDIUM floor
  // covers its LOW floor); its witness fires it, and the engine gives the
  // same grade, levels, prompts and actions with its match removed.
  ASSERT_EQ(report.shadowed.size(), 1u);
  EXPECT_EQ(report.shadowed[0].rule_id, "general.planted_shadowed");
  EXPECT_EQ(report.shadowed[0].location.line, 37);
  ASSERT_FALSE(report.shadowed[0].witness_json.empty());
  {
    const std::string& json = report.shadowed[0].witness_json;
    FactRecord facts =
        *types_.DecodeJson(*rs->schema, rs->manifest.fact_message, json);
    const absl::Time as_of = absl::FromUnixSeconds(1714824000);
    MatchResult match = MatchWithReference(*rs, facts, as_of);
    MatchResult without = match;
    size_t before = without.fired.size();
    without.fired.erase(
        std::remove_if(without.fired.begin(), without.fired.end(),
                       [&](const RuleMatch& m) {
                         return rs->rules[m.rule].id ==
                                "general.planted_shadowed";
                       }),
        without.fired.end());
    ASSERT_EQ(without.fired.size() + 1, before) << "it fires on " << json;
    const Assessment with_rule =
        *DecideWithReference(*rs, facts, std::move(match), as_of);
    const Assessment without_rule =
        *DecideWithReference(*rs, facts, std::move(without), as_of);
    EXPECT_EQ(with_rule.grade.grade, without_rule.grade.grade);
    ASSERT_EQ(with_rule.concerns.size(), without_rule.concerns.size());
    for (size_t c = 0; c < with_rule.concerns.size(); ++c) {
      EXPECT_EQ(with_rule.concerns[c].level, without_rule.concerns[c].level);
    }
    EXPECT_EQ(with_rule.actions.size(), without_rule.actions.size());
  }
  EXPECT_TRUE(report.HasFindings());
  const std::string text = FormatReport(*rs, report);
  EXPECT_THAT(text,
              HasSubstr("WARNING SHADOWED rule general.planted_shadowed"));
  EXPECT_THAT(text,
              HasSubstr("NEVER FIRES rule general.planted_contradiction"));
  EXPECT_THAT(text, HasSubstr("UNREACHABLE action CAWN_REVIEW"));
  EXPECT_THAT(text, HasSubstr("VIOLATED invariant young.graded_high"));
}

// Kleene, not two-valued: `!(age >= 13)` is TRUE only for a known age
// under 13, when general.under_13 fires and floors the grade at MEDIUM (a
// two-valued encoding would read an unset age as "not >= 13" and offer a
// counterexample the engine refuses). And a prompt
// left UNKNOWN by a blocked rule reads CONSIDER: the solver must find such
// an episode, and the engine must agree.
TEST_F(AnalyzerTest, UnknownIsNeitherTrueNorFalse) {
  std::shared_ptr<const RuleSet> rs = Load({{"invariants.yaml", R"(invariants:
  - id: kleene.negation
    title: a known age under 13 is graded at least MEDIUM (the rule's floor)
    cite: test
    when: '!(child.age_years >= 13)'
    holds: grade() >= "MEDIUM"
  - id: nrm.never_consider
    title: the NRM prompt is never left to consider (false)
    cite: test
    holds: prompt("nrm") != "CONSIDER"
)"}});
  ASSERT_NE(rs, nullptr);
  const AnalysisReport report = Analyze(*rs);
  EXPECT_THAT(report.disagreements, ::testing::IsEmpty());
  ASSERT_EQ(report.invariants.size(), 2u);
  EXPECT_TRUE(report.invariants[0].proven)
      << report.invariants[0].counterexample_json;
  EXPECT_FALSE(report.invariants[1].proven);
  ASSERT_FALSE(report.invariants[1].counterexample_json.empty());
  const Assessment a = Assess(*rs, report.invariants[1].counterexample_json);
  EXPECT_EQ(a.prompts[0].answer, PromptAnswer::kConsider);
}

// lantern diff: a ruleset against itself differs nowhere; against a copy
// whose under-13 rule reads `< 12`, the grade MEDIUM (the rule's floor)
// differs, with a witness both engines confirm naming the rule that fired
// only under OLD.
TEST_F(AnalyzerTest, DiffFindsAKnownChangeAndNothingInAnUnchangedCopy) {
  std::shared_ptr<const RuleSet> old_rs = Load();
  ASSERT_NE(old_rs, nullptr);
  std::vector<SourceFile> files = ReadTree(TestDataPath(kPlanted));
  for (SourceFile& f : files) {
    if (f.path != "rules/general.yaml") continue;
    const std::string from = "when: child.age_years < 13";
    const size_t at = f.content.find(from);
    ASSERT_NE(at, std::string::npos);
    f.content.replace(at, from.size(), "when: child.age_years < 12");
  }
  LoadResult changed = LoadRuleSetFromFiles(std::move(files), types_, "new");
  ASSERT_NE(changed.ruleset, nullptr) << changed.diagnostics.ToString();
  AnalysisOptions opt;
  opt.as_of = absl::FromUnixSeconds(1714824000);
  auto decoder = [&](const RuleSet& rs) -> FactsDecoder {
    return [&rs, this](const std::string& json) {
      return types_.DecodeJson(*rs.schema, rs.manifest.fact_message, json);
    };
  };
  absl::StatusOr<DiffReport> same =
      DiffRuleSets(*old_rs, *old_rs, opt, decoder(*old_rs), decoder(*old_rs));
  ASSERT_TRUE(same.ok()) << same.status();
  EXPECT_FALSE(same->HasDifferences()) << FormatDiff(*old_rs, *old_rs, *same);

  const RuleSet& new_rs = *changed.ruleset;
  absl::StatusOr<DiffReport> diff =
      DiffRuleSets(*old_rs, new_rs, opt, decoder(*old_rs), decoder(new_rs));
  ASSERT_TRUE(diff.ok()) << diff.status();
  EXPECT_THAT(diff->disagreements, ::testing::IsEmpty());
  bool medium = false;
  for (const DiffFinding& d : diff->outputs) {
    if (!(d.kind == "grade" && d.name == "MEDIUM")) continue;
    medium = true;
    ASSERT_TRUE(d.differs);
    ASSERT_FALSE(d.witness_json.empty());
    EXPECT_THAT(d.rules, ::testing::Contains("-general.under_13"));
    EXPECT_EQ(Assess(*old_rs, d.witness_json).grade.grade == "MEDIUM",
              Assess(new_rs, d.witness_json).grade.grade != "MEDIUM");
  }
  EXPECT_TRUE(medium);
  EXPECT_THAT(FormatDiff(*old_rs, new_rs, *diff),
              HasSubstr("DIFFERS grade MEDIUM: OLD "));
}

TEST_F(AnalyzerTest, RefusesAnAsOfOutsideTheEffectivePeriod) {
  std::shared_ptr<const RuleSet> rs = Load();
  ASSERT_NE(rs, nullptr);
  AnalysisOptions opt;
  opt.as_of = absl::FromUnixSeconds(0);  // 1970, before 2020-01-01
  absl::StatusOr<AnalysisReport> report = AnalyzeRuleSet(
      *rs, opt, [](const std::string&) -> absl::StatusOr<FactRecord> {
        return absl::InternalError("not called");
      });
  EXPECT_EQ(report.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace lantern
