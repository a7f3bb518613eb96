// Rule governance on the real server (issue 14): Validate and Activate
// return the solver's analysis of the candidate; a candidate with a rule
// that can never fire or an invariant that is violated is refused
// (FAILED_PRECONDITION naming them, the previous version still serving)
// and the refusal is in the ledger.
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/ledger/ledger.h"
#include "tests/testing/serve_fixture.h"

namespace lantern {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

class GovernanceTest : public ::lantern::testing::ServeTest {
 protected:
  v1::ValidateRuleSetRequest Files() const {
    v1::ValidateRuleSetRequest request;
    for (const SourceFile& file : ::lantern::testing::ReadTree(rules_dir_)) {
      v1::RuleSetFile* f = request.add_files();
      f->set_path(file.path);
      f->set_content(file.content);
    }
    return request;
  }
  // A rule no child can satisfy (under 5 and over 10), at
  // rules/rules.yaml's end.
  void NeverFiringRule() {
    WriteFile("rules/rules.yaml",
              Original("rules/rules.yaml") +
                  "\n  - id: test.contradiction\n"
                  "    title: Under 5 and over 10\n"
                  "    cite: \"Test citation\"\n"
                  "    score: 5\n"
                  "    when: child.age_years < 5 && child.age_years > 10\n");
  }
  // An invariant the rules break (scores 10 + 20 and a MEDIUM floor make
  // MEDIUM, not HIGH) on no episode of the ruleset's own tests, so the
  // tests pass and only the solver finds it.
  void ViolatedInvariant() {
    WriteInvariants(
        "invariants:\n"
        "  - id: young.at_least_medium\n"
        "    title: A child under 13 is at least MEDIUM (holds)\n"
        "    cite: \"Test citation\"\n"
        "    when: child.age_years < 13\n"
        "    holds: grade() >= \"MEDIUM\"\n"
        "  - id: young_with_gifts.graded_high\n"
        "    title: A child under 13 with gifts is HIGH (the rules say "
        "MEDIUM)\n"
        "    cite: \"Test citation\"\n"
        "    when: child.age_years < 13 && \"UNEXPLAINED_MONEY_OR_GIFTS\" in "
        "episode.indicators.recorded\n"
        "    holds: grade() >= \"HIGH\"\n");
  }
  // `text` as invariants.yaml, named by the manifest.
  void WriteInvariants(const std::string& text) {
    std::ifstream in(rules_dir_ + "/manifest.yaml");
    std::stringstream manifest;
    manifest << in.rdbuf();
    WriteFile("manifest.yaml",
              manifest.str() + "\ninvariants: invariants.yaml\n");
    WriteFile("invariants.yaml", text);
  }
  std::vector<ledger::StoredActivation> Activations() {
    ledger::LedgerOptions options;
    options.path = ledger_path();
    absl::StatusOr<std::unique_ptr<ledger::Ledger>> opened =
        ledger::Ledger::Open(options);
    EXPECT_TRUE(opened.ok()) << opened.status();
    if (!opened.ok()) return {};
    absl::StatusOr<std::vector<ledger::StoredActivation>> all =
        (*opened)->ListActivations(/*include_rejected=*/true);
    EXPECT_TRUE(all.ok()) << all.status();
    return all.ok() ? *all : std::vector<ledger::StoredActivation>{};
  }
  void Stop() {
    assess_.reset();
    rulesets_.reset();
    channel_.reset();
    server_->Signal(SIGTERM);
    ASSERT_EQ(server_->Wait(), 0) << server_->log();
    server_.reset();
  }
};

TEST_F(GovernanceTest, ValidateAndActivateReturnTheAnalysis) {
  StartServer();
  Good("2", 40);
  WriteInvariants(
      "invariants:\n"
      "  - id: young.at_least_medium\n"
      "    title: A child under 13 is at least "
      "MEDIUM (holds)\n"
      "    cite: \"Test citation\"\n"
      "    when: child.age_years < 13\n"
      "    holds: grade() >= \"MEDIUM\"\n");
  v1::ValidateRuleSetResponse validated;
  ASSERT_TRUE(rulesets_->Validate(Context().get(), Files(), &validated).ok());
  EXPECT_TRUE(validated.passed());
  const v1::RuleSetAnalysis& a = validated.analysis();
  EXPECT_TRUE(a.analysed());
  EXPECT_THAT(a.never_firing(), IsEmpty());
  ASSERT_THAT(a.invariants(), SizeIs(1));
  EXPECT_EQ(a.invariants(0).id(), "young.at_least_medium");
  EXPECT_EQ(a.invariants(0).verdict(), v1::InvariantVerdict::PROVEN);
  EXPECT_THAT(a.invariants(0).location(), HasSubstr("invariants.yaml:2:"));
  EXPECT_GT(a.solver_checks(), 0);
  EXPECT_THAT(a.scope(), HasSubstr("as_of"));

  v1::ActivateRuleSetResponse activated;
  ASSERT_TRUE(rulesets_->Activate(Context().get(), {}, &activated).ok());
  EXPECT_EQ(activated.outcome(), v1::ActivateRuleSetResponse::ACTIVATED);
  EXPECT_EQ(activated.active().digest(), validated.digest());
  EXPECT_TRUE(activated.analysis().analysed());
  ASSERT_THAT(activated.analysis().invariants(), SizeIs(1));
  EXPECT_EQ(activated.analysis().invariants(0).verdict(),
            v1::InvariantVerdict::PROVEN);
}

TEST_F(GovernanceTest, ARuleThatCanNeverFireIsRefusedAndRecorded) {
  StartServer();
  const std::string first = ActiveDigest();
  NeverFiringRule();
  v1::ValidateRuleSetResponse validated;
  ASSERT_TRUE(rulesets_->Validate(Context().get(), Files(), &validated).ok());
  EXPECT_FALSE(validated.passed());
  ASSERT_THAT(validated.analysis().never_firing(), SizeIs(1));
  const v1::NeverFiringRule& never = validated.analysis().never_firing(0);
  EXPECT_EQ(never.rule_id(), "test.contradiction");
  EXPECT_THAT(never.location(), HasSubstr("rules/rules.yaml:"));
  EXPECT_THAT(never.conflicts(), SizeIs(2));

  v1::ActivateRuleSetResponse response;
  const grpc::Status status =
      rulesets_->Activate(Context().get(), {}, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), AllOf(HasSubstr("test.contradiction"),
                                            HasSubstr("can never fire"),
                                            HasSubstr("child.age_years < 5")));
  EXPECT_EQ(ActiveDigest(), first);
  Stop();
  const std::vector<ledger::StoredActivation> all = Activations();
  ASSERT_THAT(all, SizeIs(2));  // the start, then the refusal
  const v1::ActivationRecord& refused = all[1].record;
  EXPECT_EQ(refused.outcome(), v1::ActivationRecord::REJECTED);
  EXPECT_EQ(refused.ruleset_digest(), validated.digest());
  ASSERT_GT(refused.reasons_size(), 0);
  EXPECT_THAT(refused.reasons(0), AllOf(HasSubstr("analysis: rule "
                                                  "test.contradiction"),
                                        HasSubstr("can never fire")));
}

TEST_F(GovernanceTest, AViolatedInvariantIsRefusedWithItsCounterexample) {
  StartServer();
  const std::string first = ActiveDigest();
  ViolatedInvariant();
  v1::ValidateRuleSetResponse validated;
  ASSERT_TRUE(rulesets_->Validate(Context().get(), Files(), &validated).ok());
  EXPECT_FALSE(validated.passed());
  ASSERT_THAT(validated.analysis().invariants(), SizeIs(2))
      << validated.DebugString();
  const v1::InvariantVerdict& holds = validated.analysis().invariants(0);
  const v1::InvariantVerdict& broken = validated.analysis().invariants(1);
  EXPECT_EQ(holds.verdict(), v1::InvariantVerdict::PROVEN);
  EXPECT_EQ(broken.id(), "young_with_gifts.graded_high");
  EXPECT_EQ(broken.verdict(), v1::InvariantVerdict::VIOLATED);
  // The counterexample is an episode of a child under 13 (in JSON).
  EXPECT_THAT(broken.counterexample_json(), HasSubstr("ageYears"));

  v1::ActivateRuleSetResponse response;
  const grpc::Status status =
      rulesets_->Activate(Context().get(), {}, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(),
              AllOf(HasSubstr("young_with_gifts.graded_high"),
                    HasSubstr("VIOLATED"), HasSubstr("ageYears")));
  EXPECT_THAT(status.error_message(),
              ::testing::Not(HasSubstr("young.at_least_medium")));
  EXPECT_EQ(ActiveDigest(), first);
}

TEST_F(GovernanceTest, WithoutTheGateTheCandidateIsNotAnalysed) {
  StartServer({"--activation_analysis=false"});
  EXPECT_THAT(server_->log(), HasSubstr("--activation_analysis=false"));
  NeverFiringRule();
  v1::ValidateRuleSetResponse validated;
  ASSERT_TRUE(rulesets_->Validate(Context().get(), Files(), &validated).ok());
  EXPECT_TRUE(validated.passed());
  EXPECT_FALSE(validated.analysis().analysed());
}

TEST_F(GovernanceTest, AStartupRulesetTheGateRefusesDoesNotServe) {
  NeverFiringRule();
  std::string error;
  std::unique_ptr<::lantern::testing::ServerProcess> server =
      ::lantern::testing::ServerProcess::Start(
          LANTERN_BINARY,
          {"--rules=" + rules_dir_, "--ledger=" + ledger_path()},
          dir_ + "/server.log", &error);
  EXPECT_EQ(server, nullptr);
  EXPECT_THAT(error, HasSubstr("test.contradiction"));
}

// Plain text: every caller is "local", so activation is single-person
// (said at start); the proposal and its activation are both in the ledger,
// the proposal with its semantic diff and files, the activation naming who
// proposed it.
TEST_F(GovernanceTest, AProposalAndItsActivationAreBothInTheLedger) {
  StartServer();
  EXPECT_THAT(server_->log(), HasSubstr("single-person activation"));
  const std::string first = ActiveDigest();
  Good("2", 40);
  v1::ProposeRuleSetRequest request;
  *request.mutable_files() = Files().files();
  v1::ProposeRuleSetResponse proposed;
  ASSERT_TRUE(rulesets_->Propose(Context().get(), request, &proposed).ok());
  ASSERT_TRUE(proposed.proposed()) << proposed.DebugString();
  EXPECT_EQ(proposed.active_digest(), first);
  EXPECT_GT(proposed.outputs_compared(), 0);
  // test.gifts at 40 instead of 20: CSE MEDIUM instead of AT_RISK.
  bool cse_medium = false;
  for (const v1::OutputDifference& d : proposed.differences()) {
    cse_medium |= d.output() == "concern CSE=MEDIUM";
  }
  EXPECT_TRUE(cse_medium) << proposed.DebugString();
  EXPECT_EQ(ActiveDigest(), first);  // proposed, not active

  v1::ActivateRuleSetRequest activate;
  activate.set_version(proposed.digest());
  v1::ActivateRuleSetResponse activated;
  ASSERT_TRUE(rulesets_->Activate(Context().get(), activate, &activated).ok());
  EXPECT_EQ(activated.active().digest(), proposed.digest());
  Stop();
  const std::vector<ledger::StoredActivation> all = Activations();
  ASSERT_THAT(all, SizeIs(3));  // the start, the proposal, its activation
  const v1::ActivationRecord& proposal = all[1].record;
  EXPECT_EQ(proposal.outcome(), v1::ActivationRecord::PROPOSED);
  EXPECT_EQ(proposal.ruleset_digest(), proposed.digest());
  EXPECT_EQ(proposal.activated_by(), "local");
  EXPECT_EQ(proposal.previous_digest(), first);
  EXPECT_THAT(proposal.reasons(),
              ::testing::Contains(HasSubstr("differs: concern CSE=MEDIUM")));
  const v1::ActivationRecord& activation = all[2].record;
  EXPECT_EQ(activation.outcome(), v1::ActivationRecord::ACTIVATED);
  EXPECT_EQ(activation.ruleset_digest(), proposed.digest());
  EXPECT_EQ(activation.proposed_by(), "local");
}

}  // namespace
}  // namespace lantern
