// Integration tests of the Audit service on the real `lantern serve`: a
// Backtest of a deliberately changed ruleset reports exactly the decisions
// that change, by comparison with an expected set computed independently
// (each recorded decision's facts evaluated under both rulesets by the
// engine's reference evaluator, in this process, with no server code); and
// Replay/WhatIf over the wire. (Every test of the fixture also replays all
// its decisions at TearDown.)
#include <set>
#include <string>
#include <vector>

#include "engine/decide/decide.h"
#include "engine/proto/proto_adapter.h"
#include "engine/proto/proto_fact_types.h"
#include "engine/ruleset/loader.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/app/assessment_proto.h"
#include "tests/oracle/oracle.h"
#include "tests/testing/serve_fixture.h"

namespace lantern::testing {
namespace {

using ::testing::IsEmpty;
using ::testing::Not;

constexpr int64_t kAsOf = 1714824000;  // 2024-05-04T12:00Z

// What a case system acts on, from the reference evaluator's answer.
struct Outcome {
  std::string grade;
  std::vector<std::string> levels;  // "<concern>=<level>", policy order
  bool nrm = false;
  std::set<std::string> actions;

  bool operator==(const Outcome& o) const {
    return grade == o.grade && levels == o.levels && nrm == o.nrm &&
           actions == o.actions;
  }
};

class ReferenceRules {
 public:
  explicit ReferenceRules(const std::string& dir) {
    absl::StatusOr<LoadResult> loaded =
        LoadRuleSet(dir, types_, "", &AssessmentVocabulary());
    EXPECT_TRUE(loaded.ok() && loaded->ruleset != nullptr)
        << (loaded.ok() ? loaded->diagnostics.ToString() : "unreadable");
    if (loaded.ok()) ruleset_ = loaded->ruleset;
  }

  Outcome Evaluate(const v1::EpisodeFacts& message) const {
    Outcome out;
    absl::StatusOr<FactRecord> facts =
        FactsFromMessage(*ruleset_->schema, message);
    EXPECT_TRUE(facts.ok()) << facts.status();
    if (!facts.ok()) return out;
    absl::StatusOr<Assessment> a =
        AssessWithReference(*ruleset_, *facts, absl::FromUnixSeconds(kAsOf));
    EXPECT_TRUE(a.ok()) << a.status();
    if (!a.ok()) return out;
    out.grade = a->grade.grade;
    for (const ConcernOutcome& c : a->concerns) {
      out.levels.push_back(c.name + "=" + c.level);
    }
    for (const PromptOutcome& p : a->prompts) {
      if (p.name == "nrm") out.nrm = p.raised;
    }
    for (const ActionOutcome& action : a->actions) {
      out.actions.insert(action.code);
    }
    return out;
  }

 private:
  ProtoFactTypes types_;
  std::shared_ptr<const RuleSet> ruleset_;
};

class ServeAuditTest : public ServeTest {
 protected:
  std::unique_ptr<v1::Audit::Stub> Audit() const {
    return AuditStub(server_->address());
  }

  // A mix of episodes: some the gifts rule fires on, some not, of ages on
  // both sides of the young-child floor and unknown.
  static std::vector<v1::AssessRequest> Mix() {
    std::vector<v1::AssessRequest> mix;
    for (int age : {-1, 8, 12, 13, 15, 17}) {
      for (bool gifts : {false, true}) {
        v1::AssessRequest request;
        request.mutable_as_of()->set_seconds(kAsOf);
        v1::EpisodeFacts* facts = request.mutable_facts();
        if (age >= 0) facts->mutable_child()->set_age_years(age);
        // Asked either way: without the code, "checked, none".
        v1::Checklist* indicators =
            facts->mutable_episode()->mutable_indicators();
        if (gifts) indicators->add_recorded("UNEXPLAINED_MONEY_OR_GIFTS");
        mix.push_back(request);
      }
    }
    return mix;
  }

  // The rules directory's files as a Backtest candidate.
  v1::BacktestRequest CandidateFromRulesDir() {
    v1::BacktestRequest request;
    request.set_purpose("test: rule change review");
    for (const SourceFile& f : ReadTree(rules_dir_)) {
      v1::RuleSetFile* file = request.mutable_files()->add_files();
      file->set_path(f.path);
      file->set_content(f.content);
    }
    return request;
  }
};

TEST_F(ServeAuditTest, BacktestReportsExactlyTheDecisionsThatChange) {
  StartServer();
  const ReferenceRules before(rules_dir_);
  std::vector<std::pair<std::string, v1::EpisodeFacts>> recorded;
  for (const v1::AssessRequest& request : Mix()) {
    v1::Assessment answer;
    ASSERT_TRUE(assess_->Assess(Context().get(), request, &answer).ok());
    recorded.emplace_back(answer.decision_id(), request.facts());
  }
  Good("2", 40);  // test.gifts scores 40 instead of 20
  const ReferenceRules after(rules_dir_);
  std::set<std::string> expected;
  for (const auto& [id, facts] : recorded) {
    if (!(before.Evaluate(facts) == after.Evaluate(facts))) expected.insert(id);
  }
  ASSERT_THAT(expected, Not(IsEmpty()));
  ASSERT_LT(expected.size(), recorded.size());

  auto context = Context();
  std::unique_ptr<v1::Audit::Stub> audit = Audit();
  auto reader = audit->Backtest(context.get(), CandidateFromRulesDir());
  std::set<std::string> reported;
  v1::BacktestItem item;
  v1::BacktestSummary summary;
  while (reader->Read(&item)) {
    if (item.has_change()) {
      EXPECT_TRUE(reported.insert(item.change().decision_id()).second);
    } else {
      summary = item.summary();
    }
  }
  grpc::Status status = reader->Finish();
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(reported, expected);
  EXPECT_EQ(summary.decisions_examined(), recorded.size());
  EXPECT_EQ(summary.decisions_changed(), expected.size());
  EXPECT_EQ(summary.decisions_failed(), 0);
}

TEST_F(ServeAuditTest, WhatIfUnderALaterVersionAndReplayUnderTheFirst) {
  StartServer();
  v1::Assessment answer;
  ASSERT_TRUE(assess_->Assess(Context().get(), GiftsRequest(), &answer).ok());
  Good("2", 40);
  v1::ActivateRuleSetResponse activated;
  ASSERT_TRUE(rulesets_->Activate(Context().get(), {}, &activated).ok());
  ASSERT_EQ(activated.outcome(), v1::ActivateRuleSetResponse::ACTIVATED);

  v1::WhatIfRequest what_if;
  what_if.set_purpose("test");
  what_if.set_decision_id(answer.decision_id());
  what_if.set_ruleset_version("2");
  v1::WhatIfResponse changed;
  grpc::Status status = Audit()->WhatIf(Context().get(), what_if, &changed);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(changed.what_if().grade().total_score(), 40);
  EXPECT_EQ(changed.changes().grade_from(), v1::LOW);
  EXPECT_EQ(changed.changes().grade_to(), v1::MEDIUM);

  // The active version changed; the replay still uses the recorded one.
  v1::ReplayRequest replay;
  replay.set_purpose("test");
  replay.set_decision_id(answer.decision_id());
  v1::ReplayResponse same;
  ASSERT_TRUE(Audit()->Replay(Context().get(), replay, &same).ok());
  EXPECT_EQ(same.outcome(), v1::ReplayResponse::IDENTICAL);
}

TEST_F(ServeAuditTest, WithTheLedgerOffAuditIsFailedPrecondition) {
  StartServer({"--ledger_off"});
  v1::GetTreeHeadResponse head;
  grpc::Status status = Audit()->GetTreeHead(Context().get(), {}, &head);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(status.error_message(), "the ledger is off");
}

}  // namespace
}  // namespace lantern::testing
