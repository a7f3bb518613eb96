// Tests engine/decide/decide.h's three-valued policy stage rule by rule:
// fired() of blocked and errored rules, bounded scores and levels, prompts
// answered "consider" with the facts that would settle them, and actions to
// consider. Each test hands Decide a MatchResult directly (which rules
// fired, which are blocked on which facts, which errored), so the policy
// stage is tested apart from any matcher. The answer checked is the
// production one (Decide over the compiled program); the reference path
// (DecideWithReference) must give the same, field for field.
#include <map>
#include <string>
#include <vector>

#include "engine/compile/compiler.h"
#include "engine/decide/decide.h"
#include "engine/lang/checker.h"
#include "engine/lang/parser.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/oracle/oracle.h"
#include "tests/testing/assessment_text.h"
#include "tests/testing/random_facts.h"

namespace lantern {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class ThreeValuedPolicyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ruleset_ = std::make_shared<RuleSet>();
    ruleset_->manifest.id = "t";
    ruleset_->manifest.version = "1";
    ruleset_->schema = testing::RandomFactsSchema();
    Policy& p = ruleset_->policy;
    p.grades = {"LOW", "MEDIUM", "HIGH"};
    p.grade_bands = {{"MEDIUM", 10}, {"HIGH", 30}};
    p.levels = {"NONE", "AT_RISK", "MEDIUM", "HIGH"};
    p.concerns = {{"CCE", {{"AT_RISK", 10}, {"MEDIUM", 30}, {"HIGH", 60}}},
                  {"CSE", {{"AT_RISK", 10}, {"MEDIUM", 30}, {"HIGH", 60}}}};
    for (int i = 0; i < 4; ++i) {
      p.constants.push_back(ConstantDef{
          p.levels[i], {}, Type::Int(), {LiteralValue(int64_t{i})}});
    }
    for (const char* code : {"REFER", "VISIT", "ALERT"}) {
      p.actions.push_back(ActionDef{code, code, "police", "cite", {}});
    }
  }

  // Rules must be added in id order.
  void AddRule(const std::string& id, const std::string& concern, int64_t score,
               std::vector<std::string> actions = {},
               const std::string& floor = "") {
    Rule r;
    r.id = id;
    r.title = id;
    r.concern = concern;
    r.score = score;
    r.grade_floor = floor;
    r.actions = std::move(actions);
    // The condition is never evaluated here (the tests give the match),
    // but the compiler wants every rule checked.
    Diagnostics diagnostics;
    r.when.source = SourceText::FromString("rules.yaml", "true");
    r.when.expr = ParseExpression(r.when.source, &diagnostics);
    CheckEnv env;
    env.schema = ruleset_->schema.get();
    CheckExpression(env, r.when.source, Type::Bool(), r.when.expr.get(),
                    &diagnostics);
    ASSERT_FALSE(diagnostics.has_errors()) << diagnostics.ToString();
    ruleset_->rules.push_back(std::move(r));
  }

  void AddPrompt(const std::string& name, const std::string& when,
                 std::vector<std::string> actions = {}) {
    std::vector<std::string> ids, concerns = {"CCE", "CSE"};
    for (const Rule& r : ruleset_->rules) ids.push_back(r.id);
    CheckEnv env;
    env.schema = ruleset_->schema.get();
    env.constants = &ruleset_->policy.constants;
    env.policy_stage = true;
    env.rule_ids = &ids;
    env.concerns = &concerns;
    PromptDef def;
    def.name = name;
    def.title = name;
    Diagnostics diagnostics;
    def.when.source = SourceText::FromString("policy.yaml", when);
    def.when.expr = ParseExpression(def.when.source, &diagnostics);
    ASSERT_NE(def.when.expr, nullptr) << diagnostics.ToString();
    CheckExpression(env, def.when.source, Type::Bool(), def.when.expr.get(),
                    &diagnostics);
    ASSERT_FALSE(diagnostics.has_errors()) << diagnostics.ToString();
    def.actions = std::move(actions);
    ruleset_->policy.prompts.push_back(std::move(def));
  }

  int32_t Index(const std::string& id) const {
    for (size_t i = 0; i < ruleset_->rules.size(); ++i) {
      if (ruleset_->rules[i].id == id) return static_cast<int32_t>(i);
    }
    ADD_FAILURE() << "no rule " << id;
    return 0;
  }

  // `blocked`: rule id → the facts it waits on; `errored`: rule id → error.
  Assessment Decide(
      const std::vector<std::string>& fired,
      const std::map<std::string, std::vector<std::string>>& blocked = {},
      const std::map<std::string, std::string>& errored = {}) {
    MatchResult match;
    for (const std::string& id : fired) {
      match.fired.push_back({Index(id), {}, {}, ""});
    }
    for (const auto& [id, paths] : blocked) {
      match.blocked.push_back({Index(id), {}, paths, ""});
    }
    for (const auto& [id, error] : errored) {
      match.errored.push_back({Index(id), {}, {}, error});
    }
    const FactSchema& schema = *ruleset_->schema;
    FactRecord facts(
        schema.root(),
        static_cast<int32_t>(schema.message_type(schema.root()).fields.size()));
    absl::StatusOr<std::shared_ptr<const CompiledRuleSet>> program =
        CompileRuleSet(ruleset_);
    EXPECT_TRUE(program.ok()) << program.status();
    if (!program.ok()) return Assessment();
    const absl::StatusOr<Assessment> want = lantern::DecideWithReference(
        *ruleset_, facts, match, testing::BaseTime());
    absl::StatusOr<Assessment> a = lantern::Decide(
        **program, facts, std::move(match), testing::BaseTime());
    EXPECT_EQ(testing::FirstDifference(testing::AssessmentText(want),
                                       testing::AssessmentText(a)),
              "");
    EXPECT_TRUE(a.ok()) << a.status();
    return a.ok() ? *a : Assessment();
  }

  static const PromptOutcome& Prompt(const Assessment& a,
                                     const std::string& name) {
    for (const PromptOutcome& p : a.prompts) {
      if (p.name == name) return p;
    }
    static const PromptOutcome kNone;
    ADD_FAILURE() << "no prompt " << name;
    return kNone;
  }
  static std::vector<std::string> Codes(const std::vector<ActionOutcome>& v) {
    std::vector<std::string> out;
    for (const ActionOutcome& a : v) out.push_back(a.code);
    return out;
  }

  std::shared_ptr<RuleSet> ruleset_;
};

// fired(p): TRUE if a matching rule fired, whatever else is blocked.
TEST_F(ThreeValuedPolicyTest, FiredIsTrueWhenAnyMatchingRuleFired) {
  AddRule("nrm.a", "", 0);
  AddRule("nrm.b", "", 0);
  AddPrompt("p", R"(fired("nrm.*"))");
  const Assessment a = Decide({"nrm.b"}, {{"nrm.a", {"x.y"}}}, {});
  EXPECT_EQ(Prompt(a, "p").truth, Truth::kTrue);
  EXPECT_EQ(Prompt(a, "p").answer, PromptAnswer::kRaise);
  EXPECT_TRUE(Prompt(a, "p").raised);
}

// fired(p): ERROR over UNKNOWN when nothing matching fired.
TEST_F(ThreeValuedPolicyTest, FiredIsErrorWhenAMatchingRuleErrored) {
  AddRule("nrm.a", "", 0);
  AddRule("nrm.b", "", 0);
  AddPrompt("p", R"(fired("nrm.*"))");
  const Assessment a =
      Decide({}, {{"nrm.a", {"x.y"}}}, {{"nrm.b", "division by zero"}});
  const PromptOutcome& p = Prompt(a, "p");
  EXPECT_EQ(p.truth, Truth::kError);
  EXPECT_EQ(p.answer, PromptAnswer::kConsider);
  EXPECT_FALSE(p.raised);
  EXPECT_THAT(p.error, HasSubstr("rule 'nrm.b' failed: division by zero"));
  ASSERT_EQ(p.conditions.size(), 1u);
  EXPECT_EQ(p.conditions[0].readings[0].value, "error");
}

// fired(p): UNKNOWN when a matching rule is blocked; it names the union of
// the blocked rules' facts and reads "unknown".
TEST_F(ThreeValuedPolicyTest, FiredIsUnknownNamingTheBlockedRulesFacts) {
  AddRule("nrm.a", "", 0);
  AddRule("nrm.b", "", 0);
  AddRule("other", "", 0);
  AddPrompt("p", R"(fired("nrm.*"))");
  const Assessment a = Decide({}, {{"nrm.a", {"f.one"}},
                                   {"nrm.b", {"f.two", "f.one"}},
                                   {"other", {"f.three"}}});
  const PromptOutcome& p = Prompt(a, "p");
  EXPECT_EQ(p.truth, Truth::kUnknown);
  EXPECT_EQ(p.answer, PromptAnswer::kConsider);
  EXPECT_FALSE(p.raised);
  EXPECT_THAT(p.unknown_paths, ElementsAre("f.one", "f.two"));
  ASSERT_EQ(p.conditions.size(), 1u);
  EXPECT_EQ(p.conditions[0].readings[0].path, "fired(\"nrm.*\")");
  EXPECT_EQ(p.conditions[0].readings[0].value, "unknown");
}

TEST_F(ThreeValuedPolicyTest, FiredIsFalseWhenNoMatchingRuleIsOpen) {
  AddRule("nrm.a", "", 0);
  AddRule("other", "", 0);
  AddPrompt("p", R"(fired("nrm.*"))");
  const Assessment a = Decide({}, {{"other", {"f.three"}}});
  EXPECT_EQ(Prompt(a, "p").truth, Truth::kFalse);
  EXPECT_EQ(Prompt(a, "p").answer, PromptAnswer::kNotRaised);
  EXPECT_THAT(Prompt(a, "p").unknown_paths, IsEmpty());
}

// Kleene logic carries UNKNOWN through the prompt: TRUE || UNKNOWN is TRUE,
// FALSE && UNKNOWN is FALSE, !UNKNOWN is UNKNOWN.
TEST_F(ThreeValuedPolicyTest, PromptsAreKleeneOverTheMatch) {
  AddRule("a.fired", "", 0);
  AddRule("b.blocked", "", 0);
  AddRule("c.false", "", 0);
  AddPrompt("or_true", R"(fired("a.*") || fired("b.*"))");
  AddPrompt("and_false", R"(fired("c.*") && fired("b.*"))");
  AddPrompt("not_unknown", R"(!fired("b.*"))");
  AddPrompt("and_unknown", R"(fired("a.*") && fired("b.*"))");
  const Assessment a = Decide({"a.fired"}, {{"b.blocked", {"f"}}});
  EXPECT_EQ(Prompt(a, "or_true").truth, Truth::kTrue);
  EXPECT_EQ(Prompt(a, "and_false").truth, Truth::kFalse);
  EXPECT_EQ(Prompt(a, "not_unknown").truth, Truth::kUnknown);
  EXPECT_THAT(Prompt(a, "not_unknown").unknown_paths, ElementsAre("f"));
  EXPECT_EQ(Prompt(a, "and_unknown").truth, Truth::kUnknown);
}

// A score with a blocked nonzero rule is bounded; comparisons every value
// in the bounds decides alike are decided.
TEST_F(ThreeValuedPolicyTest, BoundedScoreDecidesComparisonsItCan) {
  AddRule("cce.a", "CCE", 20);
  AddRule("cce.b", "CCE", 15);
  AddRule("cce.c", "CCE", -5);
  AddPrompt("ge10", R"(concern_score("CCE") >= 10)");      // [15, 35]: TRUE
  AddPrompt("lt10", R"(concern_score("CCE") < 10)");       // FALSE
  AddPrompt("ge30", R"(concern_score("CCE") >= 30)");      // UNKNOWN
  AddPrompt("eq40", R"(concern_score("CCE") == 40)");      // FALSE
  AddPrompt("ne40", R"(40 != concern_score("CCE"))");      // TRUE
  AddPrompt("eq20", R"(concern_score("CCE") == 20)");      // UNKNOWN
  AddPrompt("plus", R"(concern_score("CCE") + 0 >= 10)");  // other op
  const Assessment a =
      Decide({"cce.a"}, {{"cce.b", {"f.b"}}, {"cce.c", {"f.c"}}});
  EXPECT_EQ(Prompt(a, "ge10").truth, Truth::kTrue);
  EXPECT_EQ(Prompt(a, "lt10").truth, Truth::kFalse);
  EXPECT_EQ(Prompt(a, "ge30").truth, Truth::kUnknown);
  EXPECT_THAT(Prompt(a, "ge30").unknown_paths, ElementsAre("f.b", "f.c"));
  EXPECT_EQ(Prompt(a, "eq40").truth, Truth::kFalse);
  EXPECT_EQ(Prompt(a, "ne40").truth, Truth::kTrue);
  EXPECT_EQ(Prompt(a, "eq20").truth, Truth::kUnknown);
  EXPECT_EQ(Prompt(a, "plus").truth, Truth::kUnknown);
  ASSERT_EQ(Prompt(a, "ge30").conditions.size(), 1u);
  EXPECT_EQ(Prompt(a, "ge30").conditions[0].readings[0].value,
            "unknown in [15, 35]");
  // The score itself stays that of the fired rules.
  EXPECT_EQ(a.concerns[0].score, 20);
}

TEST_F(ThreeValuedPolicyTest, ZeroScoreBlockedRulesLeaveScoresKnown) {
  AddRule("cce.a", "CCE", 20);
  AddRule("cce.b", "CCE", 0);
  AddRule("cse.a", "CSE", 50);
  AddPrompt("p", R"(concern_score("CCE") == 20)");
  const Assessment a = Decide({"cce.a"}, {{"cce.b", {"f"}}, {"cse.a", {"g"}}});
  EXPECT_EQ(Prompt(a, "p").truth, Truth::kTrue);
  ASSERT_EQ(Prompt(a, "p").conditions.size(), 1u);
  EXPECT_EQ(Prompt(a, "p").conditions[0].readings[0].value, "20");
}

// The issue's note: a level the fired rules already reach is reached,
// whatever is blocked.
TEST_F(ThreeValuedPolicyTest, LevelReachedByFiredRulesIsTrueWhateverIsBlocked) {
  AddRule("cce.a", "CCE", 60);
  AddRule("cce.b", "CCE", 30);
  AddPrompt("high", R"(concern_level("CCE") >= HIGH)");
  AddPrompt("medium_only", R"(concern_level("CCE") == MEDIUM)");
  const Assessment a = Decide({"cce.a"}, {{"cce.b", {"f"}}});
  EXPECT_EQ(Prompt(a, "high").truth, Truth::kTrue);
  EXPECT_EQ(Prompt(a, "medium_only").truth, Truth::kFalse);
}

// Levels are bounded by the levels of the score's bounds; a level known at
// both bounds is known.
TEST_F(ThreeValuedPolicyTest, LevelBoundsAreTheLevelsOfTheScoreBounds) {
  AddRule("cce.a", "CCE", 35);  // MEDIUM
  AddRule("cce.b", "CCE", 30);  // could make 65: HIGH
  AddRule("cse.a", "CSE", 12);  // AT_RISK
  AddRule("cse.b", "CSE", 5);   // 17: still AT_RISK
  AddPrompt("cce_high", R"(concern_level("CCE") >= HIGH)");
  AddPrompt("cce_medium", R"(concern_level("CCE") >= MEDIUM)");
  AddPrompt("cse_at_risk", R"(concern_level("CSE") == AT_RISK)");
  const Assessment a =
      Decide({"cce.a", "cse.a"}, {{"cce.b", {"f.cce"}}, {"cse.b", {"f.cse"}}});
  EXPECT_EQ(Prompt(a, "cce_high").truth, Truth::kUnknown);
  EXPECT_THAT(Prompt(a, "cce_high").unknown_paths, ElementsAre("f.cce"));
  EXPECT_EQ(Prompt(a, "cce_medium").truth, Truth::kTrue);
  EXPECT_EQ(Prompt(a, "cse_at_risk").truth, Truth::kTrue);
  EXPECT_EQ(Prompt(a, "cse_at_risk").conditions[0].readings[0].value, "1");
  EXPECT_EQ(a.concerns[0].highest_possible_level, "HIGH");
  EXPECT_THAT(a.concerns[0].raising_rule_ids, ElementsAre("cce.b"));
  EXPECT_THAT(a.concerns[1].raising_rule_ids, IsEmpty());
}

// A negative blocked score lowers the lower bound: a level the fired rules
// reach is then not certain.
TEST_F(ThreeValuedPolicyTest, NegativeBlockedScoresLowerTheLowerBound) {
  AddRule("cce.a", "CCE", 60);
  AddRule("cce.mitigating", "CCE", -40);
  AddPrompt("high", R"(concern_level("CCE") >= HIGH)");
  const Assessment a = Decide({"cce.a"}, {{"cce.mitigating", {"f"}}});
  EXPECT_EQ(Prompt(a, "high").truth, Truth::kUnknown);
  EXPECT_THAT(Prompt(a, "high").unknown_paths, ElementsAre("f"));
}

TEST_F(ThreeValuedPolicyTest, TotalScoreIsBoundedOverEveryRule) {
  AddRule("a", "", 10);
  AddRule("b", "CSE", 25);
  AddPrompt("p", R"(total_score() >= 30)");
  AddPrompt("q", R"(total_score() >= 5)");
  const Assessment a = Decide({"a"}, {{"b", {"f"}}});
  EXPECT_EQ(Prompt(a, "p").truth, Truth::kUnknown);
  EXPECT_EQ(Prompt(a, "q").truth, Truth::kTrue);
}

// An errored rule leaves a score open too; a comparison the bounds do not
// decide is then ERROR (ERROR outranks UNKNOWN), one they decide is not.
TEST_F(ThreeValuedPolicyTest, ErroredRulesLeaveScoresOpenAsError) {
  AddRule("cce.a", "CCE", 20);
  AddRule("cce.b", "CCE", 15);
  AddPrompt("decided", R"(concern_score("CCE") >= 20)");
  AddPrompt("open", R"(concern_score("CCE") >= 30)");
  const Assessment a = Decide({"cce.a"}, {}, {{"cce.b", "integer overflow"}});
  EXPECT_EQ(Prompt(a, "decided").truth, Truth::kTrue);
  EXPECT_EQ(Prompt(a, "open").truth, Truth::kError);
  EXPECT_EQ(Prompt(a, "open").answer, PromptAnswer::kConsider);
  EXPECT_THAT(Prompt(a, "open").error,
              HasSubstr("rule 'cce.b' failed: integer overflow"));
}

// Actions: a TRUE trigger puts the action in `actions`; only undecided
// triggers put it in `actions_to_consider` with the facts that settle it.
TEST_F(ThreeValuedPolicyTest, ActionsWithOnlyUndecidedTriggersAreToConsider) {
  AddRule("nrm.a", "", 0, {"REFER"});
  AddRule("visit.a", "", 0, {"VISIT"});
  AddRule("visit.b", "", 0, {"VISIT"});
  AddRule("z.errored", "", 0, {"ALERT"});
  AddPrompt("nrm", R"(fired("nrm.*"))", {"REFER"});
  const Assessment a =
      Decide({"visit.a"}, {{"nrm.a", {"f.link"}}, {"visit.b", {"f.visit"}}},
             {{"z.errored", "division by zero"}});
  EXPECT_THAT(Codes(a.actions), ElementsAre("VISIT"));
  EXPECT_THAT(a.actions[0].triggered_by, ElementsAre("visit.a"));
  EXPECT_THAT(a.actions[0].unknown_paths, IsEmpty());
  EXPECT_THAT(Codes(a.actions_to_consider), ElementsAre("ALERT", "REFER"));
  EXPECT_THAT(a.actions_to_consider[0].triggered_by, ElementsAre("z.errored"));
  EXPECT_THAT(a.actions_to_consider[1].triggered_by,
              ElementsAre("nrm.a", "prompt:nrm"));
  EXPECT_THAT(a.actions_to_consider[1].unknown_paths, ElementsAre("f.link"));
}

TEST_F(ThreeValuedPolicyTest, ARaisedPromptTakesItsActionOverUndecidedOnes) {
  AddRule("nrm.a", "", 0, {"REFER"});
  AddRule("nrm.b", "", 0);
  AddPrompt("nrm", R"(fired("nrm.*"))", {"REFER"});
  const Assessment a = Decide({"nrm.b"}, {{"nrm.a", {"f.link"}}});
  EXPECT_THAT(Codes(a.actions), ElementsAre("REFER"));
  EXPECT_THAT(a.actions[0].triggered_by, ElementsAre("prompt:nrm"));
  EXPECT_THAT(a.actions_to_consider, IsEmpty());
}

// The grade is the fired rules'; the blocked rules' positive scores and
// floors give the highest possible grade and name the raising rules.
TEST_F(ThreeValuedPolicyTest, GradeIsFromFiredRulesWithACeilingFromBlocked) {
  AddRule("a", "", 12);
  AddRule("b", "", -5);
  AddRule("c", "", 0, {}, "HIGH");
  const Assessment a = Decide({"a"}, {{"b", {"f.b"}}, {"c", {"f.c"}}});
  EXPECT_EQ(a.grade.grade, "MEDIUM");
  EXPECT_EQ(a.grade.highest_possible, "HIGH");
  EXPECT_THAT(a.grade.raising_rule_ids, ElementsAre("c"));
}

}  // namespace
}  // namespace lantern
