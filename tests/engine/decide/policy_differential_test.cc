// The compiled policy stage (Decide: concern floors, prompts, findings and
// due times run by the atom VM from CompiledRuleSet::policy) against the
// test oracle (DecideWithReference: the same conditions evaluated by the
// independent evaluator of tests/oracle/) on the same match: the two
// Assessments must be equal in every field (tests/testing/assessment_text.h).
// The ruleset's invariants on the answer likewise: CheckInvariants (compiled)
// against CheckInvariantsWithReference, outcome for outcome.
//
// Decide is also run without policy evidence (AssessDetail, as for the
// DECISION view) and must give the same answer less the prompts' and
// findings' conditions.
//
// Inputs: the shipped ruleset (rules/) over its example episodes, the case
// library (tests/cases/) and generated episodes (EpisodeGenerator); and
// random rulesets with random policies (as decide_oracle_test), to which
// this test adds concern floors, findings and due times. Each part asserts
// how many policy conditions came out TRUE, FALSE, UNKNOWN and ERROR, and
// how many rules fired, were blocked and errored, so that a run that
// stopped exercising one of them fails instead of passing vacuously.
//
// Replay one random seed: LANTERN_POLICY_SEED=1234
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/compile/compiler.h"
#include "engine/decide/decide.h"
#include "engine/decide/episode_generator.h"
#include "engine/lang/checker.h"
#include "engine/lang/parser.h"
#include "engine/match/matcher.h"
#include "engine/match/policy_run.h"
#include "engine/proto/proto_adapter.h"
#include "engine/proto/proto_fact_types.h"
#include "engine/ruleset/loader.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "lantern/v1/service.pb.h"
#include "tests/oracle/oracle.h"
#include "tests/testing/assessment_text.h"
#include "tests/testing/case_file.h"
#include "tests/testing/policy_oracle.h"
#include "tests/testing/random_facts.h"
#include "tests/testing/random_rules.h"
#include "tests/testing/test_data.h"

namespace lantern {
namespace {

using testing::AssessmentText;
using testing::FirstDifference;
using testing::Rng;

// What the reference answers said, to show the comparison was not vacuous.
struct Tally {
  int64_t episodes = 0;
  int64_t fired = 0, blocked = 0, errored = 0;  // rules
  std::map<Truth, int64_t> conditions;          // prompts and findings
  int64_t floors_applied = 0;
  int64_t due_known = 0, due_unknown = 0, due_error = 0;
  std::map<Truth, int64_t> invariants;  // outcomes

  void Count(const MatchResult& match, const Assessment& a) {
    ++episodes;
    fired += match.fired.size();
    blocked += match.blocked.size();
    errored += match.errored.size();
    for (const PromptOutcome& p : a.prompts) {
      ++conditions[p.truth];
      for (const FindingOutcome& f : p.findings) ++conditions[f.truth];
    }
    for (const ConcernOutcome& c : a.concerns) {
      floors_applied += c.floor_ids.size();
    }
    for (const auto* list : {&a.actions, &a.actions_to_consider}) {
      for (const ActionOutcome& x : *list) {
        due_known += x.due_by.has_value();
        due_unknown += !x.due_unknown_paths.empty();
        due_error += !x.due_error.empty();
      }
    }
  }

  std::string ToString() const {
    return absl::StrCat(
        episodes, " episodes; rules fired ", fired, ", blocked ", blocked,
        ", errored ", errored, "; prompt and finding conditions TRUE ",
        At(Truth::kTrue), ", FALSE ", At(Truth::kFalse), ", UNKNOWN ",
        At(Truth::kUnknown), ", ERROR ", At(Truth::kError),
        "; concern floors applied ", floors_applied, "; due times known ",
        due_known, ", unknown ", due_unknown, ", failed ", due_error,
        "; invariants TRUE ", Invariants(Truth::kTrue), ", UNKNOWN ",
        Invariants(Truth::kUnknown), ", FALSE ", Invariants(Truth::kFalse),
        ", ERROR ", Invariants(Truth::kError));
  }
  int64_t At(Truth t) const {
    auto it = conditions.find(t);
    return it == conditions.end() ? 0 : it->second;
  }
  int64_t Invariants(Truth t) const {
    auto it = invariants.find(t);
    return it == invariants.end() ? 0 : it->second;
  }
};

// The first difference between two invariant outcome lists, or "".
std::string CompareInvariants(const std::vector<InvariantOutcome>& want,
                              const std::vector<InvariantOutcome>& got) {
  if (want.size() != got.size()) return "invariant count differs";
  for (size_t i = 0; i < want.size(); ++i) {
    const InvariantOutcome& w = want[i];
    const InvariantOutcome& g = got[i];
    const std::string id = w.invariant->id;
    if (w.truth != g.truth) {
      return absl::StrCat("invariant ", id, ": oracle ", TruthName(w.truth),
                          ", compiled ", TruthName(g.truth));
    }
    if (w.premise != g.premise)
      return absl::StrCat("invariant ", id, ": premise");
    if (DescribeOutcome(w) != DescribeOutcome(g)) {
      return absl::StrCat("invariant ", id,
                          ":\n  oracle:   ", DescribeOutcome(w),
                          "\n  compiled: ", DescribeOutcome(g));
    }
    if (!(w.reasons == g.reasons)) {
      return absl::StrCat("invariant ", id, ": reasons (offsets) differ");
    }
  }
  return "";
}

std::string ResultText(const ConditionResult& r) {
  std::string out = TruthName(r.truth);
  for (const AtomEvidence& e : r.reasons) {
    absl::StrAppend(&out, "\n      ", e.condition, " @", e.offset, " ",
                    TruthName(e.truth), " [");
    for (const FactReading& x : e.readings) {
      absl::StrAppend(&out, x.path, "=", x.value, "; ");
    }
    absl::StrAppend(&out, "]");
  }
  if (!r.unknown_paths.empty()) {
    absl::StrAppend(&out, "\n      unknown: ");
    for (const std::string& p : r.unknown_paths) absl::StrAppend(&out, p, " ");
  }
  if (!r.error.empty()) absl::StrAppend(&out, "\n      error: ", r.error);
  return out;
}

// Evaluates every policy condition with both the oracle and the compiled
// policy, answering with the oracle's, and keeps the first condition on
// which they differ: what a failure names.
class CrossCheck : public PolicyEvaluator {
 public:
  CrossCheck(const CompiledRuleSet& program, const FactRecord& facts,
             absl::Time as_of)
      : policy_(program.ruleset->policy),
        compiled_(program.policy),
        oracle_(program.ruleset->schema.get(),
                &program.ruleset->policy.constants, as_of),
        run_(program, facts, as_of),
        facts_(facts) {}

  void ConcernLevelsRaised() override { run_.LevelsChanged(); }
  ConditionResult Floor(size_t i, const PolicyInputs& in) override {
    return Both(policy_.concern_floors[i].when, compiled_.concern_floors[i],
                in);
  }
  ConditionResult Prompt(size_t i, const PolicyInputs& in) override {
    return Both(policy_.prompts[i].when, compiled_.prompts[i], in);
  }
  ConditionResult Finding(size_t p, size_t f, const PolicyInputs& in) override {
    return Both(*policy_.prompts[p].findings[f].when, compiled_.findings[p][f],
                in);
  }
  ValueResult Due(size_t i, const PolicyInputs& in) override {
    const Condition& c = *policy_.actions[i].due;
    return oracle_.EvaluateValue(*c.expr, c.source, facts_, &in);
  }
  const std::string& difference() const { return difference_; }

 private:
  ConditionResult Both(const Condition& c, const PolicyCondition& code,
                       const PolicyInputs& in) {
    ConditionResult want =
        oracle_.EvaluateCondition(*c.expr, c.source, facts_, &in);
    if (run_.inputs() != &in) run_.SetInputs(in);
    const ConditionResult got = run_.Evaluate(code);
    const std::string w = ResultText(want), g = ResultText(got);
    if (difference_.empty() && w != g) {
      difference_ =
          absl::StrCat("condition `", c.source.text(), "`:\n    oracle:   ", w,
                       "\n    compiled: ", g);
    }
    return want;
  }

  const Policy& policy_;
  const CompiledPolicy& compiled_;
  ReferenceEvaluator oracle_;
  PolicyRun run_;
  const FactRecord& facts_;
  std::string difference_;
};

// Compares the two policy stages on one episode; the difference, or "".
std::string CompareOne(const CompiledRuleSet& program, const FactRecord& facts,
                       const MatchResult& match, absl::Time as_of,
                       Tally* tally) {
  const absl::StatusOr<Assessment> want =
      DecideWithReference(*program.ruleset, facts, match, as_of);
  const absl::StatusOr<Assessment> got = Decide(program, facts, match, as_of);
  std::string diff = FirstDifference(AssessmentText(want), AssessmentText(got));
  if (!diff.empty()) {
    CrossCheck both(program, facts, as_of);
    (void)DecideWith(*program.ruleset, facts, match, as_of, both);
    if (!both.difference().empty()) {
      absl::StrAppend(&diff,
                      "\n  first condition that differs: ", both.difference());
    }
  }
  if (want.ok()) tally->Count(match, *want);
  if (diff.empty() && want.ok()) {
    // As the DECISION view decides (no policy evidence: conditions traced
    // only for undecided truths): the same answer without the prompts' and
    // findings' conditions.
    Assessment bare = *want;
    for (PromptOutcome& p : bare.prompts) {
      p.conditions.clear();
      for (FindingOutcome& f : p.findings) f.conditions.clear();
    }
    AssessDetail detail;
    detail.policy_evidence = false;
    diff = FirstDifference(
        AssessmentText(bare),
        AssessmentText(Decide(program, facts, match, as_of, nullptr, detail)));
    if (!diff.empty()) diff = "without policy evidence: " + diff;
  }
  if (diff.empty() && want.ok() && got.ok()) {
    const std::vector<InvariantOutcome> oracle =
        CheckInvariantsWithReference(*program.ruleset, facts, *want);
    for (const InvariantOutcome& o : oracle) ++tally->invariants[o.truth];
    diff = CompareInvariants(oracle, CheckInvariants(program, facts, *got));
  }
  return diff;
}

// ---------------------------------------------------------------------------
// The shipped ruleset.

class ShippedPolicyTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    static ProtoFactTypes types;
    absl::StatusOr<LoadResult> loaded =
        LoadRuleSet(testing::SourcePath("rules"), types);
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    ASSERT_NE(loaded->ruleset, nullptr) << loaded->diagnostics.ToString();
    absl::StatusOr<std::shared_ptr<const CompiledRuleSet>> program =
        CompileRuleSet(loaded->ruleset);
    ASSERT_TRUE(program.ok()) << program.status();
    program_ = new std::shared_ptr<const CompiledRuleSet>(*program);
  }
  static const CompiledRuleSet& program() { return **program_; }
  static const RuleSet& ruleset() { return *program().ruleset; }

  // The match of the shipped rules, by the matcher (the reference matcher
  // agrees with it: matcher_differential_test).
  std::string Check(const FactRecord& facts, absl::Time as_of) {
    return CompareOne(program(), facts,
                      MatchWithMatcher(program(), facts, as_of), as_of,
                      &tally_);
  }

  static std::shared_ptr<const CompiledRuleSet>* program_;
  Tally tally_;
};

std::shared_ptr<const CompiledRuleSet>* ShippedPolicyTest::program_ = nullptr;

std::vector<std::string> FilesIn(const std::string& dir,
                                 const std::string& ext) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() == ext) out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST_F(ShippedPolicyTest, ExamplesAndCaseLibraryGiveTheReferenceAnswer) {
  const google::protobuf::Descriptor* root =
      FindFactMessage(ruleset().manifest.fact_message);
  ASSERT_NE(root, nullptr);
  absl::Time as_of;
  ASSERT_TRUE(ParseTimestampText("2024-05-04T12:00:00Z", &as_of));
  int examples = 0, cases = 0;
  for (const std::string& path :
       FilesIn(testing::SourcePath("rules/examples"), ".json")) {
    absl::StatusOr<FactRecord> facts =
        FactsFromJson(*ruleset().schema, root, testing::ReadFileOrDie(path));
    ASSERT_TRUE(facts.ok()) << path << ": " << facts.status();
    EXPECT_EQ(Check(*facts, as_of), "") << path;
    ++examples;
  }
  for (const std::string& path :
       FilesIn(testing::SourcePath("tests/cases"), ".yaml")) {
    absl::StatusOr<testing::CaseFile> c = testing::ReadCaseFile(path);
    ASSERT_TRUE(c.ok()) << c.status();
    v1::AssessRequest request;
    ASSERT_TRUE(
        google::protobuf::util::JsonStringToMessage(c->request_json, &request)
            .ok())
        << path;
    absl::StatusOr<FactRecord> facts =
        FactsFromMessage(*ruleset().schema, request.facts());
    ASSERT_TRUE(facts.ok()) << path << ": " << facts.status();
    const absl::Time case_as_of =
        absl::FromUnixSeconds(request.as_of().seconds());
    EXPECT_EQ(Check(*facts, case_as_of), "") << path;
    ++cases;
  }
  std::printf("%d examples, %d cases: %s\n", examples, cases,
              tally_.ToString().c_str());
  EXPECT_GE(examples, 9);
  EXPECT_GE(cases, 40);
  EXPECT_GT(tally_.fired, 0);
  EXPECT_GT(tally_.blocked, 0);
  EXPECT_GT(tally_.At(Truth::kTrue), 0);
  EXPECT_GT(tally_.At(Truth::kFalse), 0);
  EXPECT_GT(tally_.At(Truth::kUnknown), 0);
  EXPECT_GT(tally_.due_known, 0);
  EXPECT_GT(tally_.Invariants(Truth::kTrue), 0);
  EXPECT_GT(tally_.Invariants(Truth::kUnknown), 0);
}

TEST_F(ShippedPolicyTest, GeneratedEpisodesGiveTheReferenceAnswer) {
  constexpr int kEpisodes = 10000;
  EpisodeGenerator generator(ruleset(), /*seed=*/1);
  int failures = 0;
  for (int i = 0; i < kEpisodes && failures < 3; ++i) {
    const GeneratedEpisode e = generator.Next();
    const std::string diff = Check(e.facts, e.as_of);
    if (!diff.empty()) {
      ++failures;
      ADD_FAILURE() << "generated episode " << i << ": " << diff;
    }
  }
  std::printf("%s\n", tally_.ToString().c_str());
  EXPECT_EQ(tally_.episodes, kEpisodes);
  EXPECT_GT(tally_.fired, 0);
  EXPECT_GT(tally_.blocked, 0);
  EXPECT_GT(tally_.At(Truth::kTrue), 0);
  EXPECT_GT(tally_.At(Truth::kFalse), 0);
  EXPECT_GT(tally_.At(Truth::kUnknown), 0);
  EXPECT_GT(tally_.floors_applied, 0);
  EXPECT_GT(tally_.due_known, 0);
  EXPECT_GT(tally_.Invariants(Truth::kTrue), 0);
  EXPECT_GT(tally_.Invariants(Truth::kUnknown), 0);
  EXPECT_GT(tally_.due_unknown, 0);
}

// ---------------------------------------------------------------------------
// Random rulesets.

constexpr int kSeeds = 150;
constexpr int kRulesPerSeed = 24;
constexpr int kRecordsPerSeed = 40;
constexpr int kPrompts = 8;

// A policy-stage condition or value of `text`, checked as `type`; false
// (with the diagnostics in *problems) when it does not check.
bool PolicyCondition(const RuleSet& ruleset, const std::string& text,
                     const Type& type, Condition* out, std::string* problems) {
  std::vector<std::string> ids;
  for (const Rule& r : ruleset.rules) ids.push_back(r.id);
  std::vector<std::string> concerns = {"C", "D"};
  CheckEnv env;
  env.schema = ruleset.schema.get();
  env.constants = &ruleset.policy.constants;
  env.policy_stage = true;
  env.rule_ids = &ids;
  env.concerns = &concerns;
  Diagnostics diagnostics;
  out->source = SourceText::FromString("policy.yaml", text);
  out->expr = ParseExpression(out->source, &diagnostics);
  if (out->expr != nullptr) {
    CheckExpression(env, out->source, type, out->expr.get(), &diagnostics);
  }
  if (out->expr == nullptr || diagnostics.has_errors()) {
    absl::StrAppend(problems, text, "\n", diagnostics.ToString());
    return false;
  }
  return true;
}

// Concern floors, findings and due times over the prompts' conditions
// (recombined) and the schema's times, which the random policies lack.
void AddPolicyStageRest(Rng* rng, RuleSet* ruleset, std::string* problems) {
  Policy& policy = ruleset->policy;
  std::vector<std::string> texts;
  for (const PromptDef& p : policy.prompts) {
    texts.push_back(p.when.source.text());
  }
  if (texts.empty()) return;
  const auto any = [&] { return rng->Pick(texts); };
  for (int i = 0; i < 3; ++i) {
    ConcernFloor floor;
    floor.id = absl::StrCat("floor", i);
    floor.concern = rng->Chance(0.5) ? "C" : "D";
    floor.level = rng->Chance(0.5) ? "SOME" : "MORE";
    const std::string text =
        rng->Chance(0.5) ? any()
                         : absl::StrCat("(", any(), ") || (", any(), ")");
    if (PolicyCondition(*ruleset, text, Type::Bool(), &floor.when, problems)) {
      policy.concern_floors.push_back(std::move(floor));
    }
  }
  for (PromptDef& p : policy.prompts) {
    PromptFinding fixed;
    fixed.name = "always";
    fixed.title = "a note";
    p.findings.push_back(std::move(fixed));
    PromptFinding f;
    f.name = "f";
    f.title = "a finding";
    f.when.emplace();
    if (PolicyCondition(*ruleset, absl::StrCat("!(", any(), ")"), Type::Bool(),
                        &*f.when, problems)) {
      p.findings.push_back(std::move(f));
    }
  }
  const std::vector<std::string> dues = {"t1 + duration(\"24h\")", "t2 + u1",
                                         "as_of() + duration(\"2h\")",
                                         "t1 - u1"};
  for (ActionDef& a : policy.actions) {
    if (rng->Chance(0.3)) continue;
    a.due.emplace();
    if (!PolicyCondition(*ruleset, rng->Pick(dues), Type::Timestamp(), &*a.due,
                         problems)) {
      a.due.reset();
    }
  }
}

bool RunSeed(uint64_t seed, Tally* tally, std::string* failure) {
  Rng rng(seed);
  static const auto schema = testing::RandomFactsSchema();
  std::string problems;
  std::shared_ptr<RuleSet> ruleset =
      testing::RandomRuleSet(&rng, schema, kRulesPerSeed, &problems);
  std::vector<testing::PromptTree> trees;
  testing::RandomPolicyGenerator policy(&rng, schema.get());
  policy.AddPolicy(ruleset.get(), kPrompts, &trees, &problems);
  AddPolicyStageRest(&rng, ruleset.get(), &problems);
  if (!problems.empty()) {
    *failure = absl::StrCat("seed ", seed, ": generated text does not check:\n",
                            problems);
    return false;
  }
  absl::StatusOr<std::shared_ptr<const CompiledRuleSet>> program =
      CompileRuleSet(ruleset);
  if (!program.ok()) {
    *failure = absl::StrCat("seed ", seed, ": ", program.status().ToString());
    return false;
  }
  testing::RandomFactsGenerator facts_generator(*schema, &rng);
  for (int i = 0; i < kRecordsPerSeed; ++i) {
    const FactRecord facts = facts_generator.Record();
    const absl::Time as_of =
        testing::BaseTime() + absl::Hours(rng.Below(9) - 3);
    const MatchResult match = MatchWithReference(*ruleset, facts, as_of);
    const std::string diff = CompareOne(**program, facts, match, as_of, tally);
    if (!diff.empty()) {
      *failure =
          absl::StrCat("seed ", seed, " record ", i,
                       " (replay: LANTERN_POLICY_SEED=", seed, "): ", diff);
      return false;
    }
  }
  return true;
}

TEST(RandomPolicyTest, CompiledPolicyGivesTheReferenceAnswer) {
  Tally tally;
  std::string failure;
  if (const char* replay = std::getenv("LANTERN_POLICY_SEED")) {
    EXPECT_TRUE(RunSeed(std::strtoull(replay, nullptr, 10), &tally, &failure))
        << failure;
    return;
  }
  for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
    if (!RunSeed(seed, &tally, &failure)) {
      ADD_FAILURE() << failure;
      break;
    }
  }
  std::printf("%s\n", tally.ToString().c_str());
  EXPECT_EQ(tally.episodes, kSeeds * kRecordsPerSeed);
  EXPECT_GT(tally.fired, 0);
  EXPECT_GT(tally.blocked, 0);
  EXPECT_GT(tally.errored, 0);
  EXPECT_GT(tally.At(Truth::kTrue), 0);
  EXPECT_GT(tally.At(Truth::kFalse), 0);
  EXPECT_GT(tally.At(Truth::kUnknown), 0);
  EXPECT_GT(tally.At(Truth::kError), 0);
  EXPECT_GT(tally.floors_applied, 0);
  EXPECT_GT(tally.due_known, 0);
  EXPECT_GT(tally.due_unknown, 0);
}

}  // namespace
}  // namespace lantern
