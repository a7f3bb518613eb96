// Tests of server/app/decision_diff.h: key-named field paths for the
// differences between two assessments, and the change summary.
#include "server/app/decision_diff.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lantern {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// "path: recorded -> replayed" per difference.
std::vector<std::string> Lines(const v1::Assessment& a,
                               const v1::Assessment& b) {
  std::vector<std::string> lines;
  for (const v1::FieldDifference& d : DiffAssessments(a, b)) {
    lines.push_back(d.path() + ": " + d.recorded() + " -> " + d.replayed());
  }
  return lines;
}

v1::Assessment Sample() {
  v1::Assessment a;
  a.set_decision_id("d-1");
  a.mutable_grade()->set_grade(v1::LOW);
  a.mutable_grade()->set_total_score(20);
  for (v1::Concern c : {v1::CSE, v1::CCE}) {
    v1::ConcernOutcome* o = a.add_concerns();
    o->set_concern(c);
    o->set_level(v1::ConcernOutcome::NONE);
  }
  a.add_actions()->set_code("RHI_OFFER");
  v1::FiredRule* r = a.add_fired_rules();
  r->set_id("test.gifts");
  r->set_score(20);
  a.add_flags("x");
  return a;
}

TEST(DiffAssessmentsTest, EqualAnswersHaveNoDifferences) {
  EXPECT_THAT(DiffAssessments(Sample(), Sample()), IsEmpty());
}

TEST(DiffAssessmentsTest, ReorderedKeyedEntriesAreNoDifference) {
  v1::Assessment b = Sample();
  b.mutable_concerns()->SwapElements(0, 1);
  EXPECT_THAT(DiffAssessments(Sample(), b), IsEmpty());
}

TEST(DiffAssessmentsTest, PathsNameEntriesByTheirKey) {
  v1::Assessment b = Sample();
  b.mutable_grade()->set_grade(v1::MEDIUM);
  b.mutable_concerns(0)->set_level(v1::ConcernOutcome::AT_RISK);
  b.mutable_fired_rules(0)->set_score(40);
  b.clear_actions();
  b.add_actions()->set_code("STRATEGY_MEETING");
  b.set_flags(0, "y");
  EXPECT_THAT(
      Lines(Sample(), b),
      ElementsAre("actions[code=RHI_OFFER]: code: \"RHI_OFFER\" -> ",
                  "actions[code=STRATEGY_MEETING]:  -> code: "
                  "\"STRATEGY_MEETING\"",
                  "concerns[CSE].level: NONE -> AT_RISK",
                  "fired_rules[id=test.gifts].score: 20 -> 40",
                  "flags[0]: \"x\" -> \"y\"", "grade.grade: LOW -> MEDIUM"));
}

TEST(DiffAssessmentsTest, AStampDifferenceIsNamed) {
  v1::Assessment b = Sample();
  b.set_decision_id("d-2");
  b.mutable_ruleset()->set_digest("sha256:ab");
  EXPECT_THAT(Lines(Sample(), b),
              ElementsAre("decision_id: \"d-1\" -> \"d-2\"",
                          "ruleset:  -> digest: \"sha256:ab\""));
}

TEST(SummarizeChangesTest, NoChange) {
  const v1::ChangeSummary s = SummarizeChanges(Sample(), Sample());
  EXPECT_FALSE(AnyChange(s));
  EXPECT_EQ(s.grade_from(), v1::LOW);
  EXPECT_EQ(s.grade_to(), v1::LOW);
}

TEST(SummarizeChangesTest, GradeLevelsNrmAndActions) {
  v1::Assessment b = Sample();
  b.mutable_grade()->set_grade(v1::HIGH);
  b.mutable_concerns(1)->set_level(v1::ConcernOutcome::MEDIUM);
  b.mutable_nrm()->mutable_prompt()->set_raised(true);
  b.clear_actions();
  b.add_actions()->set_code("STRATEGY_MEETING");
  const v1::ChangeSummary s = SummarizeChanges(Sample(), b);
  EXPECT_TRUE(AnyChange(s));
  EXPECT_TRUE(GradeChanged(s));
  EXPECT_TRUE(NrmChanged(s));
  EXPECT_TRUE(ActionsChanged(s));
  EXPECT_EQ(s.grade_to(), v1::HIGH);
  ASSERT_EQ(s.concern_levels_size(), 1);
  EXPECT_EQ(s.concern_levels(0).concern(), v1::CCE);
  EXPECT_EQ(s.concern_levels(0).from(), v1::ConcernOutcome::NONE);
  EXPECT_EQ(s.concern_levels(0).to(), v1::ConcernOutcome::MEDIUM);
  EXPECT_FALSE(s.nrm_raised_from());
  EXPECT_TRUE(s.nrm_raised_to());
  EXPECT_THAT(s.actions_added(), ElementsAre("STRATEGY_MEETING"));
  EXPECT_THAT(s.actions_removed(), ElementsAre("RHI_OFFER"));
}

TEST(SummarizeChangesTest, APromptsAnswerIsAChange) {
  v1::Assessment a = Sample();
  v1::Prompt* p = a.add_prompts();
  p->set_name("significant_harm");
  p->set_answer(v1::Prompt::NOT_RAISED);
  v1::Assessment b = a;
  b.mutable_prompts(0)->set_answer(v1::Prompt::CONSIDER);
  v1::Prompt* only = b.add_prompts();  // in one answer only
  only->set_name("seraf");
  only->set_answer(v1::Prompt::RAISE);
  const v1::ChangeSummary s = SummarizeChanges(a, b);
  EXPECT_TRUE(AnyChange(s));
  EXPECT_THAT(s.prompts_changed(), ElementsAre("seraf", "significant_harm"));
  EXPECT_FALSE(AnyChange(SummarizeChanges(a, a)));
}

TEST(ChangedOutputsTest, NamesEveryChangedOutputOnce) {
  v1::Assessment b = Sample();
  b.mutable_grade()->set_grade(v1::HIGH);
  b.mutable_concerns(0)->set_level(v1::ConcernOutcome::AT_RISK);
  b.mutable_nrm()->mutable_prompt()->set_raised(true);
  v1::Prompt* p = b.add_prompts();
  p->set_name("seraf");
  p->set_answer(v1::Prompt::RAISE);
  b.clear_actions();
  b.add_actions()->set_code("STRATEGY_MEETING");
  EXPECT_THAT(ChangedOutputs(SummarizeChanges(Sample(), b)),
              ElementsAre("grade", "concern CSE", "prompt nrm", "prompt seraf",
                          "action RHI_OFFER", "action STRATEGY_MEETING"));
  EXPECT_THAT(ChangedOutputs(SummarizeChanges(Sample(), Sample())), IsEmpty());
}

TEST(OutputTallyTest, CountsDecisionsPerOutputWithBoundedExamples) {
  v1::Assessment graded = Sample();
  graded.mutable_grade()->set_grade(v1::HIGH);
  OutputTally tally(2);
  for (const char* id : {"d-1", "d-2", "d-3"}) {
    tally.Add(id, SummarizeChanges(Sample(), graded));
  }
  tally.Add("d-4", SummarizeChanges(Sample(), Sample()));
  EXPECT_EQ(tally.compared(), 4u);
  EXPECT_EQ(tally.differing(), 3u);
  ASSERT_EQ(tally.outputs().size(), 1u);
  const OutputTally::Output& grade = tally.outputs().at("grade");
  EXPECT_EQ(grade.decisions, 3u);
  EXPECT_THAT(grade.examples, ElementsAre("d-1", "d-2"));
}

TEST(SummarizeChangesTest, OnlyAFieldOutsideTheSummaryIsNoChange) {
  v1::Assessment b = Sample();
  b.mutable_fired_rules(0)->set_score(21);
  EXPECT_FALSE(AnyChange(SummarizeChanges(Sample(), b)));
}

}  // namespace
}  // namespace lantern
