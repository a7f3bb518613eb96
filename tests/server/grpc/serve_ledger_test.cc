// `lantern serve` with its audit ledger, end to end: answers are in the
// ledger (whole, verifiable) once the server stops; a retry by
// client_request_id survives a restart; rulesets and their activations are
// recorded and held again after their files changed or went away; a
// restart on unchanged rules records no new activation; a DECISION call is
// recorded as sent and Replay works its FULL answer out again.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "engine/ruleset/ruleset_digest.h"
#include "engine/version.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "server/ledger/ledger.h"
#include "server/ledger/verifier.h"
#include "tests/testing/serve_fixture.h"

namespace lantern::testing {
namespace {

using ::google::protobuf::util::MessageDifferencer;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

class ServeLedgerTest : public ServeTest {
 protected:
  // Closes the test's channel first: gRPC's shutdown waits some seconds
  // for an idle client connection to go away.
  void StopServer() {
    assess_.reset();
    rulesets_.reset();
    channel_.reset();
    server_->Signal(SIGTERM);
    EXPECT_EQ(server_->Wait(), 0) << server_->log();
  }

  // The ledger as the stopped server left it.
  std::unique_ptr<ledger::Ledger> OpenLedger() {
    ledger::LedgerOptions options;
    options.path = ledger_path();
    absl::StatusOr<std::unique_ptr<ledger::Ledger>> ledger =
        ledger::Ledger::Open(options);
    EXPECT_TRUE(ledger.ok()) << ledger.status();
    return ledger.ok() ? *std::move(ledger) : nullptr;
  }

  static v1::AssessRequest WithId(v1::AssessRequest request,
                                  const std::string& id) {
    request.set_client_request_id(id);
    return request;
  }
};

TEST_F(ServeLedgerTest, EveryAnswerIsInTheLedgerWholeAndVerifiable) {
  StartServer();
  std::vector<v1::Assessment> answers(3);
  for (v1::Assessment& answer : answers) {
    ASSERT_TRUE(assess_->Assess(Context().get(), GiftsRequest(), &answer).ok());
  }
  {  // and one through the stream
    auto context = Context();
    auto stream = assess_->AssessStream(context.get());
    ASSERT_TRUE(stream->Write(WithId(GiftsRequest(), "stream-1")));
    v1::AssessStreamResponse response;
    ASSERT_TRUE(stream->Read(&response));
    ASSERT_TRUE(response.has_assessment()) << response.error().message();
    answers.push_back(response.assessment());
    stream->WritesDone();
    EXPECT_TRUE(stream->Finish().ok());
  }
  StopServer();
  EXPECT_THAT(server_->log(), HasSubstr("ledger: 5 records appended"));

  std::unique_ptr<ledger::Ledger> ledger = OpenLedger();
  ASSERT_NE(ledger, nullptr);
  for (const v1::Assessment& answer : answers) {
    absl::StatusOr<ledger::StoredDecision> stored =
        ledger->GetDecision(answer.decision_id());
    ASSERT_TRUE(stored.ok()) << stored.status();
    const v1::DecisionRecord& r = stored->record;
    // The answer as sent, compact (decision_codec_test checks that it
    // expands to what was sent); it went out in the default view.
    EXPECT_EQ(r.format(), 3u);
    EXPECT_EQ(r.view(), v1::EXPLAINED);
    EXPECT_FALSE(r.has_assessment());
    EXPECT_FALSE(r.compact_assessment().empty());
    EXPECT_EQ(answer.blocked_rules_size(), 0);
    EXPECT_TRUE(MessageDifferencer::Equals(r.facts(), GiftsRequest().facts()));
    EXPECT_EQ(r.ruleset_digest(), answer.ruleset().digest());
    EXPECT_EQ(r.engine_version(), kEngineVersion);
    EXPECT_TRUE(
        MessageDifferencer::Equals(r.received_at(), answer.evaluated_at()));
  }
  ledger.reset();
  absl::StatusOr<ledger::VerifyReport> report =
      ledger::VerifyLedger(ledger_path());
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->ok()) << report->problems.front();
  EXPECT_EQ(report->decisions, 4u);
  EXPECT_EQ(report->activations, 1u);
}

TEST_F(ServeLedgerTest, ADecisionCallIsRecordedAsSentAndReplaysToFull) {
  StartServer();
  v1::AssessRequest request = WithId(GiftsRequest(), "decision-1");
  request.set_view(v1::DECISION);
  v1::Assessment sent;
  ASSERT_TRUE(assess_->Assess(Context().get(), request, &sent).ok());
  v1::AssessRequest full_request = WithId(GiftsRequest(), "full-1");
  full_request.set_view(v1::FULL);
  v1::Assessment full;
  ASSERT_TRUE(assess_->Assess(Context().get(), full_request, &full).ok());
  // FULL sends what DECISION does not (evidence, cites).
  ASSERT_GT(full.ByteSizeLong(), sent.ByteSizeLong());

  std::unique_ptr<v1::Audit::Stub> audit = AuditStub(server_->address());
  v1::GetDecisionRequest get;
  get.set_purpose("test");
  get.set_decision_id(sent.decision_id());
  v1::GetDecisionResponse got;
  ASSERT_TRUE(audit->GetDecision(Context().get(), get, &got).ok());
  EXPECT_EQ(got.decision().format(), 3u);
  EXPECT_EQ(got.decision().view(), v1::DECISION);
  // Exactly the bytes sent.
  EXPECT_EQ(got.decision().assessment().SerializeAsString(),
            sent.SerializeAsString());

  v1::ReplayRequest replay;
  replay.set_purpose("test");
  replay.set_decision_id(sent.decision_id());
  v1::ReplayResponse replayed;
  ASSERT_TRUE(audit->Replay(Context().get(), replay, &replayed).ok());
  EXPECT_EQ(replayed.outcome(), v1::ReplayResponse::IDENTICAL);
  // The FULL answer worked out again is the FULL call's, but for the
  // decision's own id and time.
  v1::Assessment expected = full;
  expected.set_decision_id(sent.decision_id());
  *expected.mutable_evaluated_at() = sent.evaluated_at();
  EXPECT_TRUE(MessageDifferencer::Equals(replayed.recorded(), expected))
      << replayed.recorded().DebugString();
}

TEST_F(ServeLedgerTest, ARetryAfterARestartGetsTheRecordedDecision) {
  StartServer();
  v1::Assessment first;
  ASSERT_TRUE(
      assess_->Assess(Context().get(), WithId(GiftsRequest(), "case-7"), &first)
          .ok());
  StopServer();
  StartServer();
  v1::Assessment retry;
  grpc::Status status = assess_->Assess(
      Context().get(), WithId(GiftsRequest(), "case-7"), &retry);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(MessageDifferencer::Equals(retry, first));

  v1::AssessRequest other = WithId(GiftsRequest(), "case-7");
  other.mutable_facts()->mutable_child()->set_age_years(12);
  v1::Assessment refused;
  status = assess_->Assess(Context().get(), other, &refused);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_THAT(status.error_message(),
              HasSubstr("'case-7' was already used for a request with other "
                        "facts"));
  StopServer();
  absl::StatusOr<ledger::VerifyReport> report =
      ledger::VerifyLedger(ledger_path());
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->decisions, 1u);
}

TEST_F(ServeLedgerTest, RulesetsOutliveTheirFilesAndEachActivationIsRecorded) {
  StartServer();
  const std::string v1_digest = ActiveDigest();
  Good("2", 30);
  v1::ActivateRuleSetResponse activated;
  ASSERT_TRUE(rulesets_->Activate(Context().get(), {}, &activated).ok());
  ASSERT_EQ(activated.outcome(), v1::ActivateRuleSetResponse::ACTIVATED);
  StopServer();

  // The files of versions 1 and 2 are gone; the directory now holds 3.
  std::filesystem::remove_all(rules_dir_);
  std::filesystem::copy(TestDataPath("rulesets/service"), rules_dir_,
                        std::filesystem::copy_options::recursive);
  Good("3", 40);
  StartServer();
  EXPECT_THAT(server_->log(), HasSubstr("2 ruleset versions held"));
  v1::ListRuleSetsResponse list;
  ASSERT_TRUE(rulesets_->List(Context().get(), {}, &list).ok());
  std::vector<std::string> versions;
  for (const v1::RuleSetInfo& info : list.rulesets()) {
    versions.push_back(info.version());
  }
  EXPECT_THAT(versions, ElementsAre("1", "2", "3"));

  v1::GetRuleSetRequest get;
  get.set_version("1");
  v1::GetRuleSetResponse got;
  ASSERT_TRUE(rulesets_->Get(Context().get(), get, &got).ok());
  EXPECT_EQ(got.info().digest(), v1_digest);
  for (const v1::RuleSetFile& file : got.files()) {
    EXPECT_EQ(file.content(), Original(file.path())) << file.path();
  }
  for (const auto& [version, score] :
       std::vector<std::pair<std::string, int>>{{"1", 20}, {"2", 30}}) {
    v1::AssessRequest pinned = GiftsRequest();
    pinned.set_ruleset_version(version);
    v1::Assessment answer;
    ASSERT_TRUE(assess_->Assess(Context().get(), pinned, &answer).ok());
    EXPECT_EQ(answer.grade().total_score(), score) << version;
  }
  StopServer();

  absl::StatusOr<std::vector<ledger::StoredActivation>> activations =
      OpenLedger()->ListActivations();
  ASSERT_TRUE(activations.ok());
  ASSERT_EQ(activations->size(), 3u);
  const v1::ActivationRecord& a0 = (*activations)[0].record;
  const v1::ActivationRecord& a1 = (*activations)[1].record;
  const v1::ActivationRecord& a2 = (*activations)[2].record;
  EXPECT_EQ(a0.ruleset_digest(), v1_digest);
  EXPECT_EQ(a0.activated_by(), "startup");
  EXPECT_EQ(a0.previous_digest(), "");
  EXPECT_EQ(a1.ruleset_version(), "2");
  EXPECT_EQ(a1.activated_by(), "local");
  EXPECT_EQ(a1.previous_digest(), v1_digest);
  EXPECT_EQ(a2.ruleset_version(), "3");
  EXPECT_EQ(a2.activated_by(), "startup");
  EXPECT_EQ(a2.previous_digest(), a1.ruleset_digest());
}

TEST_F(ServeLedgerTest, ARestartOnUnchangedRulesRecordsNoActivation) {
  StartServer();
  StopServer();
  StartServer();
  // A call asking to activate the active version is recorded, though: every
  // activation someone asked for is (issue 18).
  v1::ActivateRuleSetRequest same;
  same.set_version("1");
  v1::ActivateRuleSetResponse response;
  ASSERT_TRUE(rulesets_->Activate(Context().get(), same, &response).ok());
  StopServer();
  absl::StatusOr<std::vector<ledger::StoredActivation>> activations =
      OpenLedger()->ListActivations();
  ASSERT_TRUE(activations.ok());
  ASSERT_EQ(activations->size(), 2u);
  EXPECT_EQ((*activations)[0].record.activated_by(), "startup");
  // On a plain-text loopback listener every caller is the principal
  // "local".
  EXPECT_EQ((*activations)[1].record.activated_by(), "local");
}

TEST_F(ServeLedgerTest, GetAnswersFromTheLedgerAVersionThatNoLongerLoads) {
  // A ruleset once active whose rules this engine no longer accepts.
  BrokenSyntax();
  std::vector<SourceFile> files;
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(rules_dir_)) {
    if (!entry.is_regular_file()) continue;
    files.push_back(
        {std::filesystem::relative(entry.path(), rules_dir_).string(),
         ReadFileOrDie(entry.path().string())});
  }
  v1::ActivationRecord old;
  old.set_ruleset_digest(RulesetDigest(files));
  old.set_ruleset_id("lantern.service_test");
  old.set_ruleset_version("0.9");
  old.set_activated_by("startup");
  ASSERT_TRUE(OpenLedger()->AppendActivation(old, files).ok());

  WriteFile("rules/rules.yaml", Original("rules/rules.yaml"));
  StartServer();
  EXPECT_THAT(server_->log(),
              HasSubstr("no longer loads or passes its own tests"));
  v1::GetRuleSetRequest get;
  get.set_version("0.9");
  v1::GetRuleSetResponse got;
  grpc::Status status = rulesets_->Get(Context().get(), get, &got);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(got.info().digest(), old.ruleset_digest());
  EXPECT_FALSE(got.info().active());
  ASSERT_EQ(got.files_size(), static_cast<int>(files.size()));
  for (const v1::RuleSetFile& file : got.files()) {
    if (file.path() != "rules/rules.yaml") continue;
    EXPECT_THAT(file.content(), HasSubstr("episode.no_such_field"));
  }
  get.set_version("0.8");
  EXPECT_EQ(rulesets_->Get(Context().get(), get, &got).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

}  // namespace
}  // namespace lantern::testing
