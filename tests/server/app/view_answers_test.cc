// The answer in each view (AssessRequest.view), which RequestAssessor
// builds without working out what the view leaves out, is exactly the FULL
// answer cut to that view (assessment_view.h CutToView), byte for byte,
// for every request of the answer corpus (tests/testing/answer_corpus.h:
// the example episodes and the case library) through the service's own
// path with rules/ active; and the answers of the views differ as the views say
// (so the comparison is not of empty answers).
#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "lantern/v1/assessment.pb.h"
#include "lantern/v1/service.pb.h"
#include "server/app/assessment_view.h"
#include "server/ledger/record_codec.h"
#include "tests/testing/answer_corpus.h"
#include "tests/testing/shipped_rules_assessor.h"

namespace lantern {
namespace {

using testing::AnswerCorpus;
using testing::NamedRequest;

// Every request's answer in `view` from a fresh assessor (decision ids
// from 1): built in the view, or built FULL and cut.
std::vector<std::string> AnswerAll(const std::vector<NamedRequest>& requests,
                                   v1::View view, bool cut_from_full) {
  testing::ShippedRulesAssessor service("views", /*views=*/true);
  const absl::Status activated = service.Activate();
  EXPECT_TRUE(activated.ok()) << activated;
  std::vector<std::string> out;
  for (const NamedRequest& n : requests) {
    v1::AssessRequest request = n.request;
    request.set_view(cut_from_full ? v1::FULL : view);
    absl::StatusOr<v1::Assessment> answer = service.Assess(request);
    if (!answer.ok()) {
      ADD_FAILURE() << n.name << ": " << answer.status();
      out.emplace_back();
      continue;
    }
    if (cut_from_full) CutToView(view, &*answer);
    out.push_back(ledger::EncodeCanonical(*answer));
  }
  return out;
}

TEST(ViewAnswers, EachViewIsTheFullAnswerCut) {
  const std::vector<NamedRequest> requests = AnswerCorpus();
  ASSERT_GT(requests.size(), 60u);
  std::vector<std::vector<std::string>> by_view;
  for (v1::View view : {v1::DECISION, v1::EXPLAINED, v1::FULL}) {
    const std::vector<std::string> built = AnswerAll(requests, view, false);
    const std::vector<std::string> cut = AnswerAll(requests, view, true);
    ASSERT_EQ(built.size(), requests.size());
    ASSERT_EQ(cut.size(), requests.size());
    for (size_t i = 0; i < requests.size(); ++i) {
      EXPECT_EQ(built[i], cut[i])
          << requests[i].name << " in view " << v1::View_Name(view);
    }
    by_view.push_back(built);
  }
  // DECISION < EXPLAINED < FULL in size on the whole, and each smaller
  // somewhere: the views are not all the same answer.
  size_t decision = 0, explained = 0, full = 0;
  for (size_t i = 0; i < requests.size(); ++i) {
    decision += by_view[0][i].size();
    explained += by_view[1][i].size();
    full += by_view[2][i].size();
    EXPECT_LE(by_view[0][i].size(), by_view[1][i].size()) << requests[i].name;
    EXPECT_LE(by_view[1][i].size(), by_view[2][i].size()) << requests[i].name;
  }
  EXPECT_LT(decision, explained);
  EXPECT_LT(explained, full);
}

// What a caller acting on the decision needs, and not the prose: checked
// field by field against the FULL answer of the same request.
TEST(ViewAnswers, TheDecisionIsLean) {
  const std::vector<NamedRequest> requests = AnswerCorpus();
  ASSERT_GT(requests.size(), 60u);
  const std::vector<std::string> full = AnswerAll(requests, v1::FULL, false);
  const std::vector<std::string> decision =
      AnswerAll(requests, v1::DECISION, false);
  int raising = 0, titles = 0;
  size_t full_bytes = 0, decision_bytes = 0;
  for (size_t i = 0; i < requests.size(); ++i) {
    SCOPED_TRACE(requests[i].name);
    v1::Assessment f, d;
    ASSERT_TRUE(f.ParseFromString(full[i]));
    ASSERT_TRUE(d.ParseFromString(decision[i]));
    full_bytes += full[i].size();
    decision_bytes += decision[i].size();
    v1::GradeOutcome grade = f.grade();
    grade.clear_raising_rules();
    EXPECT_EQ(d.grade().SerializeAsString(), grade.SerializeAsString());
    ASSERT_EQ(d.concerns_size(), f.concerns_size());
    for (int k = 0; k < d.concerns_size(); ++k) {
      EXPECT_EQ(d.concerns(k).level(), f.concerns(k).level());
      EXPECT_EQ(d.concerns(k).highest_possible_level(),
                f.concerns(k).highest_possible_level());
      EXPECT_EQ(d.concerns(k).rules_size(), 0);
      EXPECT_EQ(d.concerns(k).raising_rules_size(), 0);
    }
    EXPECT_EQ(d.nrm().prompt().answer(), f.nrm().prompt().answer());
    EXPECT_EQ(d.nrm().consent(), f.nrm().consent());
    EXPECT_EQ(d.nrm().prompt().title(), "");
    EXPECT_EQ(d.nrm().consent_basis(), "");
    EXPECT_EQ(d.nrm().referral_route(), "");
    ASSERT_EQ(d.prompts_size(), f.prompts_size());
    for (int k = 0; k < d.prompts_size(); ++k) {
      EXPECT_EQ(d.prompts(k).name(), f.prompts(k).name());
      EXPECT_EQ(d.prompts(k).answer(), f.prompts(k).answer());
      EXPECT_EQ(d.prompts(k).title(), "");
      titles += !f.prompts(k).title().empty();
      EXPECT_EQ(absl::StrJoin(d.prompts(k).unknown_facts(), ","),
                absl::StrJoin(f.prompts(k).unknown_facts(), ","));
    }
    ASSERT_EQ(d.actions_size(), f.actions_size());
    for (int k = 0; k < d.actions_size(); ++k) {
      EXPECT_EQ(d.actions(k).code(), f.actions(k).code());
      EXPECT_EQ(d.actions(k).due_by().seconds(),
                f.actions(k).due_by().seconds());
      EXPECT_EQ(d.actions(k).overdue(), f.actions(k).overdue());
      EXPECT_EQ(d.actions(k).owner_agency(), "");
      EXPECT_EQ(d.actions(k).title(), "");
    }
    ASSERT_EQ(d.fired_rules_size(), f.fired_rules_size());
    for (int k = 0; k < d.fired_rules_size(); ++k) {
      EXPECT_EQ(d.fired_rules(k).id(), f.fired_rules(k).id());
      EXPECT_EQ(d.fired_rules(k).title(), f.fired_rules(k).title());
      EXPECT_EQ(d.fired_rules(k).evidence_size(), 0);
    }
    // FULL's unknown facts that could raise the grade or a level, with only
    // those entries, in FULL's order.
    std::vector<std::string> expected;
    for (const v1::UnknownFact& fact : f.unknown_facts()) {
      std::vector<std::string> decides;
      for (const std::string& what : fact.decides()) {
        if (what == "grade" || what.rfind("concern:", 0) == 0) {
          decides.push_back(what);
        }
      }
      if (decides.empty()) continue;
      expected.push_back(
          absl::StrCat(fact.path(), ": ", absl::StrJoin(decides, ",")));
    }
    std::vector<std::string> got;
    for (const v1::UnknownFact& fact : d.unknown_facts()) {
      got.push_back(
          absl::StrCat(fact.path(), ": ", absl::StrJoin(fact.decides(), ",")));
    }
    EXPECT_EQ(got, expected);
    raising += static_cast<int>(got.size());
  }
  // The comparison is of answers that have these parts.
  EXPECT_GT(raising, 0);
  EXPECT_GT(titles, 0);
  std::cout << requests.size() << " answers: FULL " << full_bytes
            << " B, DECISION " << decision_bytes << " B\n";
}

}  // namespace
}  // namespace lantern
