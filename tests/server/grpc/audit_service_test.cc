// Tests of server/grpc/audit_service.h in process: an Audit server on port 0
// over a scratch ledger that RequestAssessor + DecisionRecorder fill as the
// real service does, with the registry on tests/testdata/rulesets/service.
// Replay (identical; different, with key-named paths), WhatIf and Backtest
// under a version only the ledger holds, candidates as files, the proofs
// checked against the signed head, and the errors.
#include "server/grpc/audit_service.h"

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_replace.h"
#include "absl/synchronization/notification.h"
#include "engine/proto/proto_fact_types.h"
#include "engine/ruleset/ruleset_digest.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "lantern/v1/episode.pb.h"
#include "server/app/activation_ledger.h"
#include "server/app/assessment_proto.h"
#include "server/app/decision_recorder.h"
#include "server/app/request_assessor.h"
#include "tests/testing/ledger_records.h"
#include "tests/testing/test_data.h"

namespace lantern {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

// The service ruleset with rule test.gifts scoring `score`, as version
// `version`.
std::vector<SourceFile> GiftsScored(int score, const std::string& version) {
  std::vector<SourceFile> files =
      testing::ReadTree(testing::TestDataPath("rulesets/service"));
  for (SourceFile& f : files) {
    f.content = absl::StrReplaceAll(
        f.content,
        {{"score: 20", absl::StrCat("score: ", score)},
         {"version: \"1\"", absl::StrCat("version: \"", version, "\"")}});
  }
  return files;
}

// A Backtest of `files` as the candidate.
v1::BacktestRequest CandidateFiles(const std::vector<SourceFile>& files) {
  v1::BacktestRequest request;
  request.set_purpose("test: rule change review");
  for (const SourceFile& f : files) {
    v1::RuleSetFile* file = request.mutable_files()->add_files();
    file->set_path(f.path);
    file->set_content(f.content);
  }
  return request;
}

class AuditServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ledger::LedgerOptions options;
    options.path = dir_.File("ledger.db");
    absl::StatusOr<std::unique_ptr<ledger::Ledger>> opened =
        ledger::Ledger::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.status();
    ledger_ = *std::move(opened);
    recorder_ = std::make_unique<DecisionRecorder>(ledger_.get());
    activations_ = std::make_unique<ActivationLedger>(
        ledger_.get(), [] { return absl::FromUnixSeconds(1714820000); });
    registry_.set_before_activate(
        [this](const RuleSetVersion& next, absl::string_view by) {
          return activations_->Record(next, by);
        });
    absl::StatusOr<Candidate> c =
        registry_.ActivateDirectory(testing::TestDataPath("rulesets/service"));
    ASSERT_TRUE(c.ok() && c->passed());
    StartServer(ledger_.get());
  }

  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown();
  }

  void StartServer(ledger::Ledger* ledger,
                   int max_backtests = AuditService::kMaxBacktests) {
    service_ = std::make_unique<AuditService>(ledger, &registry_, &types_,
                                              max_backtests);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    stub_ = v1::Audit::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  }

  // Assesses and records as the service does; returns the decision id.
  std::string Record(int age, bool gifts, int64_t received_seconds) {
    v1::AssessRequest request;
    request.mutable_facts()->mutable_child()->set_age_years(age);
    // Asked either way: without the code, "checked, none".
    v1::Checklist* indicators =
        request.mutable_facts()->mutable_episode()->mutable_indicators();
    if (gifts) indicators->add_recorded("UNEXPLAINED_MONEY_OR_GIFTS");
    v1::Assessment answer;
    EXPECT_TRUE(assessor_
                    .Assess(request,
                            absl::FromUnixSeconds(received_seconds) +
                                absl::Nanoseconds(123456789),
                            &answer)
                    .ok());
    absl::Notification done;
    absl::Status status;
    recorder_->Record(request, &answer, [&](absl::Status s) {
      status = s;
      done.Notify();
    });
    done.WaitForNotification();
    EXPECT_TRUE(status.ok()) << status;
    return answer.decision_id();
  }

  // Appends an activation of `files` to the ledger only.
  void LedgerOnly(const std::vector<SourceFile>& files,
                  const std::string& version) {
    v1::ActivationRecord record;
    record.set_ruleset_digest(RulesetDigest(files));
    record.set_ruleset_id("lantern.service_test");
    record.set_ruleset_version(version);
    *record.mutable_activated_at() = testing::Stamp(1714820001);
    ASSERT_TRUE(ledger_->AppendActivation(record, files).ok());
  }

  // The whole stream: changed ids, and the summary.
  grpc::Status Backtest(const v1::BacktestRequest& request,
                        std::vector<std::string>* changed,
                        v1::BacktestSummary* summary) {
    grpc::ClientContext context;
    auto reader = stub_->Backtest(&context, request);
    v1::BacktestItem item;
    while (reader->Read(&item)) {
      if (item.has_change()) changed->push_back(item.change().decision_id());
      if (item.has_summary()) *summary = item.summary();
    }
    return reader->Finish();
  }

  testing::ScratchDir dir_;
  std::unique_ptr<ledger::Ledger> ledger_;
  std::unique_ptr<ActivationLedger> activations_;
  ProtoFactTypes types_;
  RuleSetRegistry registry_{&types_, &AssessmentVocabulary(),
                            v1::EpisodeFacts::descriptor()->full_name()};
  RequestAssessor assessor_{&registry_, RequestLimits(), "t"};
  std::unique_ptr<DecisionRecorder> recorder_;
  std::unique_ptr<AuditService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::Audit::Stub> stub_;
};

TEST_F(AuditServiceTest, ReplayOfRecordedDecisionsIsIdentical) {
  for (const std::string& id :
       {Record(15, true, 1714824000), Record(9, false, 1714824001)}) {
    grpc::ClientContext context;
    v1::ReplayRequest request;
    request.set_purpose("test");
    request.set_decision_id(id);
    v1::ReplayResponse response;
    ASSERT_TRUE(stub_->Replay(&context, request, &response).ok());
    EXPECT_EQ(response.outcome(), v1::ReplayResponse::IDENTICAL) << id;
    EXPECT_EQ(response.recorded().decision_id(), id);
    EXPECT_FALSE(response.has_replayed());
    EXPECT_TRUE(response.differences().empty());
    EXPECT_EQ(response.engine_version(), response.recorded_engine_version());
  }
}

TEST_F(AuditServiceTest, ReplayUnderARulesetOnlyTheLedgerHolds) {
  const std::string id = Record(15, true, 1714824000);
  // A server whose registry has never held the ruleset.
  RuleSetRegistry empty(&types_, &AssessmentVocabulary());
  Auditor auditor(ledger_.get(), &empty, &types_);
  v1::ReplayRequest request;
  request.set_purpose("test");
  request.set_decision_id(id);
  absl::StatusOr<v1::ReplayResponse> response = auditor.Replay(request);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->outcome(), v1::ReplayResponse::IDENTICAL);
}

TEST_F(AuditServiceTest, ReplayOfAnAlteredRecordNamesTheDifferences) {
  const std::string id = Record(15, true, 1714824000);
  absl::StatusOr<ledger::StoredDecision> stored = ledger_->GetDecision(id);
  ASSERT_TRUE(stored.ok());
  v1::DecisionRecord altered = stored->record;
  altered.set_decision_id("altered");
  altered.set_client_request_id("");
  altered.mutable_assessment()->set_decision_id("altered");
  altered.mutable_assessment()->mutable_grade()->set_total_score(99);
  altered.mutable_assessment()->mutable_concerns(0)->set_level(
      v1::ConcernOutcome::HIGH);
  ASSERT_TRUE(ledger_->AppendDecision(altered).ok());
  grpc::ClientContext context;
  v1::ReplayRequest request;
  request.set_purpose("test");
  request.set_decision_id("altered");
  v1::ReplayResponse response;
  ASSERT_TRUE(stub_->Replay(&context, request, &response).ok());
  EXPECT_EQ(response.outcome(), v1::ReplayResponse::DIFFERENT);
  ASSERT_EQ(response.differences_size(), 2);
  EXPECT_EQ(response.differences(0).path(), "concerns[CSE].level");
  EXPECT_EQ(response.differences(0).recorded(), "HIGH");
  EXPECT_EQ(response.differences(0).replayed(), "AT_RISK");
  EXPECT_EQ(response.differences(1).path(), "grade.total_score");
  EXPECT_EQ(response.differences(1).replayed(), "20");
  EXPECT_EQ(response.replayed().grade().total_score(), 20);
}

TEST_F(AuditServiceTest, WhatIfUnderALedgerVersionByManifestVersion) {
  LedgerOnly(GiftsScored(40, "2"), "2");
  const std::string id = Record(15, true, 1714824000);
  grpc::ClientContext context;
  v1::WhatIfRequest request;
  request.set_purpose("test");
  request.set_decision_id(id);
  request.set_ruleset_version("2");
  v1::WhatIfResponse response;
  grpc::Status status = stub_->WhatIf(&context, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.what_if().decision_id(), id);
  EXPECT_EQ(response.what_if().ruleset().version(), "2");
  EXPECT_EQ(response.changes().grade_from(), v1::LOW);
  EXPECT_EQ(response.changes().grade_to(), v1::MEDIUM);
  ASSERT_EQ(response.changes().concern_levels_size(), 1);
  EXPECT_EQ(response.changes().concern_levels(0).to(),
            v1::ConcernOutcome::MEDIUM);
}

TEST_F(AuditServiceTest, BacktestReportsExactlyTheDecisionsThatChange) {
  const std::string a = Record(15, true, 1714824000);     // LOW → MEDIUM
  Record(15, false, 1714824001);                          // no gifts
  const std::string c = Record(9, true, 1714824002);      // CSE level only
  Record(9, false, 1714824003);                           // no gifts
  const std::string late = Record(15, true, 1714824100);  // out of range
  v1::BacktestRequest request = CandidateFiles(GiftsScored(40, "2"));
  *request.mutable_to() = testing::Stamp(1714824050);
  std::vector<std::string> changed;
  v1::BacktestSummary summary;
  grpc::Status status = Backtest(request, &changed, &summary);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_THAT(changed, ElementsAre(a, c));
  EXPECT_EQ(summary.decisions_examined(), 4);
  EXPECT_EQ(summary.decisions_changed(), 2);
  EXPECT_EQ(summary.grade_changes(), 1);
  EXPECT_EQ(summary.concern_level_changes(), 2);
  EXPECT_EQ(summary.nrm_changes(), 0);
  EXPECT_EQ(summary.action_changes(), 0);
  EXPECT_EQ(summary.candidate_digest(), RulesetDigest(GiftsScored(40, "2")));
}

TEST_F(AuditServiceTest, BacktestWithoutReportProgressSendsNoProgress) {
  Record(15, true, 1714824000);
  grpc::ClientContext context;
  auto reader = stub_->Backtest(&context, CandidateFiles(GiftsScored(40, "2")));
  v1::BacktestItem item;
  std::vector<v1::BacktestItem::ItemCase> kinds;
  while (reader->Read(&item)) kinds.push_back(item.item_case());
  ASSERT_TRUE(reader->Finish().ok());
  EXPECT_THAT(kinds, ElementsAre(v1::BacktestItem::kChange,
                                 v1::BacktestItem::kSummary));
}

TEST_F(AuditServiceTest, BacktestReportsProgressAndPerOutputCounts) {
  const std::string a = Record(15, true, 1714824000);  // grade and CSE level
  Record(15, false, 1714824001);                       // no change
  const std::string c = Record(9, true, 1714824002);   // CSE level only
  Auditor auditor(ledger_.get(), &registry_, &types_);
  // Each reading of the clock is a second after the last: a progress item
  // after every decision.
  absl::Time now = absl::FromUnixSeconds(1714900000);
  auditor.set_clock([&now] { return now += absl::Seconds(1); });
  v1::BacktestRequest request = CandidateFiles(GiftsScored(40, "2"));
  request.set_report_progress(true);
  absl::StatusOr<std::shared_ptr<const RuleSetVersion>> candidate =
      auditor.BacktestCandidate(request);
  ASSERT_TRUE(candidate.ok()) << candidate.status();
  std::vector<std::string> trace;
  v1::BacktestSummary summary;
  std::string late;
  absl::Status status = auditor.Backtest(
      **candidate, request,
      [&](const v1::BacktestItem& item) {
        if (item.has_progress()) {
          const v1::BacktestProgress& p = item.progress();
          trace.push_back(absl::StrCat("progress ", p.done(), "/", p.total(),
                                       " changed ", p.changed(), " failed ",
                                       p.failed()));
          // Recorded once the backtest counted: in the range, not replayed.
          if (late.empty()) late = Record(15, true, 1714824003);
        } else if (item.has_change()) {
          trace.push_back("change " + item.change().decision_id());
        } else if (item.has_summary()) {
          trace.push_back("summary");
          summary = item.summary();
        }
        return true;
      },
      [] { return false; });
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_THAT(trace,
              ElementsAre("progress 0/3 changed 0 failed 0", "change " + a,
                          "progress 1/3 changed 1 failed 0",
                          "progress 2/3 changed 1 failed 0", "change " + c,
                          "progress 3/3 changed 2 failed 0", "summary"));
  EXPECT_EQ(summary.decisions_total(), 3);
  EXPECT_EQ(summary.decisions_examined(), 3);
  ASSERT_EQ(summary.outputs_size(), 2);
  EXPECT_EQ(summary.outputs(0).output(), "grade");
  EXPECT_EQ(summary.outputs(0).decisions(), 1);
  EXPECT_THAT(summary.outputs(0).example_decision_ids(), ElementsAre(a));
  EXPECT_EQ(summary.outputs(1).output(), "concern CSE");
  EXPECT_EQ(summary.outputs(1).decisions(), 2);
  EXPECT_THAT(summary.outputs(1).example_decision_ids(), ElementsAre(a, c));
  EXPECT_TRUE(summary.failed_decision_ids().empty());
}

TEST_F(AuditServiceTest, BacktestNamesTheDecisionsItCouldNotEvaluate) {
  const std::string a = Record(15, true, 1714824000);
  const std::string b = Record(9, false, 1714824001);
  // In force only from 2025: the recorded as_of (2024) is outside it.
  std::vector<SourceFile> files = GiftsScored(40, "2");
  for (SourceFile& f : files) {
    if (f.path == "manifest.yaml") {
      f.content = absl::StrReplaceAll(f.content, {{"effective_from: 2020-01-01",
                                                   "effective_from: "
                                                   "2025-01-01"}});
    }
  }
  v1::BacktestRequest request = CandidateFiles(files);
  request.set_report_progress(true);
  grpc::ClientContext context;
  auto reader = stub_->Backtest(&context, request);
  v1::BacktestItem item;
  std::vector<v1::BacktestItem> items;
  while (reader->Read(&item)) items.push_back(item);
  ASSERT_TRUE(reader->Finish().ok());
  ASSERT_GE(items.size(), 2u);
  EXPECT_EQ(items.front().progress().total(), 2);
  const v1::BacktestSummary& summary = items.back().summary();
  EXPECT_EQ(summary.decisions_failed(), 2);
  EXPECT_EQ(summary.decisions_changed(), 0);
  EXPECT_THAT(summary.failed_decision_ids(), ElementsAre(a, b));
  EXPECT_TRUE(summary.outputs().empty());
}

TEST_F(AuditServiceTest, BacktestProgressIsAtMostOneASecond) {
  for (int i = 0; i < 5; ++i) Record(15, false, 1714824000 + i);
  Auditor auditor(ledger_.get(), &registry_, &types_);
  absl::Time now = absl::FromUnixSeconds(1714900000);
  // Half a second a reading: a progress item every other decision, never
  // two within a second.
  auditor.set_clock([&now] { return now += absl::Milliseconds(500); });
  v1::BacktestRequest request = CandidateFiles(GiftsScored(40, "2"));
  request.set_report_progress(true);
  absl::StatusOr<std::shared_ptr<const RuleSetVersion>> candidate =
      auditor.BacktestCandidate(request);
  ASSERT_TRUE(candidate.ok()) << candidate.status();
  std::vector<uint64_t> done;
  std::vector<absl::Time> at;
  ASSERT_TRUE(auditor
                  .Backtest(
                      **candidate, request,
                      [&](const v1::BacktestItem& item) {
                        if (item.has_progress()) {
                          done.push_back(item.progress().done());
                          at.push_back(now);
                        }
                        return true;
                      },
                      [] { return false; })
                  .ok());
  EXPECT_THAT(done, ElementsAre(0, 2, 4));
  for (size_t i = 1; i < at.size(); ++i) {
    EXPECT_GE(at[i] - at[i - 1], absl::Seconds(1));
  }
}

TEST_F(AuditServiceTest, BacktestStopsWhenItsConsumerDoes) {
  for (int i = 0; i < 3; ++i) Record(15, true, 1714824000 + i);
  Auditor auditor(ledger_.get(), &registry_, &types_);
  const v1::BacktestRequest request = CandidateFiles(GiftsScored(40, "2"));
  absl::StatusOr<std::shared_ptr<const RuleSetVersion>> candidate =
      auditor.BacktestCandidate(request);
  ASSERT_TRUE(candidate.ok()) << candidate.status();
  // The consumer takes one item and then refuses.
  int items = 0;
  absl::Status status = auditor.Backtest(
      **candidate, request,
      [&](const v1::BacktestItem& item) {
        EXPECT_TRUE(item.has_change());
        return ++items < 2;
      },
      [] { return false; });
  EXPECT_EQ(status.code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(items, 2);
  // The call is cancelled before the first decision: nothing is emitted.
  items = 0;
  status = auditor.Backtest(
      **candidate, request,
      [&](const v1::BacktestItem&) { return ++items > 0; },
      [] { return true; });
  EXPECT_EQ(status.code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(items, 0);
}

TEST_F(AuditServiceTest, BacktestsBeyondTheBoundAreResourceExhausted) {
  server_->Shutdown();
  StartServer(ledger_.get(), /*max_backtests=*/0);
  Record(15, true, 1714824000);
  std::vector<std::string> changed;
  v1::BacktestSummary summary;
  grpc::Status status =
      Backtest(CandidateFiles(GiftsScored(40, "2")), &changed, &summary);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(status.error_message(), HasSubstr("too many backtests: 0"));
}

TEST_F(AuditServiceTest, BacktestOfABrokenCandidateIsInvalidWithDiagnostics) {
  std::vector<SourceFile> files = GiftsScored(20, "1");
  for (SourceFile& f : files) {
    if (f.path == "rules/rules.yaml") f.content += "  - id: b\n    when: (\n";
  }
  const v1::BacktestRequest request = CandidateFiles(files);
  std::vector<std::string> changed;
  v1::BacktestSummary summary;
  grpc::Status status = Backtest(request, &changed, &summary);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("rules/rules.yaml:"));
  EXPECT_TRUE(changed.empty());
}

TEST_F(AuditServiceTest, ProofsVerifyUnderTheSignedHead) {
  const std::string id = Record(15, true, 1714824000);
  Record(9, false, 1714824001);
  grpc::ClientContext c1;
  v1::GetTreeHeadResponse head;
  ASSERT_TRUE(stub_->GetTreeHead(&c1, {}, &head).ok());
  ledger::SignedTreeHead sth;
  sth.head.tree_size = head.tree_size();
  ASSERT_TRUE(ledger::HashFromBytes(head.root_hash()).ok());
  sth.head.root = *ledger::HashFromBytes(head.root_hash());
  sth.head.timestamp = absl::FromUnixSeconds(head.timestamp().seconds()) +
                       absl::Nanoseconds(head.timestamp().nanos());
  sth.signature = head.signature();
  EXPECT_TRUE(ledger::VerifyTreeHead(sth, head.public_key()));
  EXPECT_EQ(head.tree_size(), 3);  // an activation and two decisions

  grpc::ClientContext c2;
  v1::GetInclusionProofRequest inclusion;
  inclusion.set_purpose("test");
  inclusion.set_decision_id(id);
  v1::GetInclusionProofResponse proof;
  ASSERT_TRUE(stub_->GetInclusionProof(&c2, inclusion, &proof).ok());
  std::vector<ledger::Hash> path;
  for (const std::string& h : proof.hashes()) {
    path.push_back(*ledger::HashFromBytes(h));
  }
  EXPECT_EQ(proof.tree_size(), 3);
  EXPECT_TRUE(ledger::VerifyInclusion(proof.leaf_index(), 3,
                                      ledger::LeafHash(proof.leaf()), path,
                                      sth.head.root));

  grpc::ClientContext c3;
  v1::GetConsistencyProofRequest consistency;
  consistency.set_first(1);
  consistency.set_second(3);
  v1::GetConsistencyProofResponse hashes;
  ASSERT_TRUE(stub_->GetConsistencyProof(&c3, consistency, &hashes).ok());
  EXPECT_FALSE(hashes.hashes().empty());
  grpc::ClientContext c4;
  consistency.set_second(4);
  EXPECT_EQ(stub_->GetConsistencyProof(&c4, consistency, &hashes).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(AuditServiceTest, GetAndListDecisions) {
  const std::string a = Record(15, true, 1714824000);
  const std::string b = Record(9, false, 1714824001);
  grpc::ClientContext c1;
  v1::GetDecisionRequest get;
  get.set_purpose("test");
  get.set_decision_id(b);
  v1::GetDecisionResponse got;
  ASSERT_TRUE(stub_->GetDecision(&c1, get, &got).ok());
  EXPECT_EQ(got.decision().assessment().decision_id(), b);
  EXPECT_EQ(got.leaf_index(), 2);

  std::vector<std::string> ids;
  v1::ListDecisionsRequest list;
  list.set_purpose("test");
  list.set_page_size(1);
  do {
    grpc::ClientContext c;
    v1::ListDecisionsResponse page;
    ASSERT_TRUE(stub_->ListDecisions(&c, list, &page).ok());
    for (const auto& d : page.decisions()) ids.push_back(d.decision_id());
    list.set_page_token(page.next_page_token());
  } while (!list.page_token().empty());
  EXPECT_THAT(ids, ElementsAre(a, b));
}

TEST_F(AuditServiceTest, UnknownDecisionAndVersionAreNotFound) {
  const std::string id = Record(15, true, 1714824000);
  grpc::ClientContext c1;
  v1::ReplayRequest replay;
  replay.set_purpose("test");
  replay.set_decision_id("no-such");
  v1::ReplayResponse r;
  EXPECT_EQ(stub_->Replay(&c1, replay, &r).error_code(),
            grpc::StatusCode::NOT_FOUND);
  grpc::ClientContext c2;
  v1::WhatIfRequest what_if;
  what_if.set_purpose("test");
  what_if.set_decision_id(id);
  what_if.set_ruleset_version("9.9");
  v1::WhatIfResponse w;
  EXPECT_EQ(stub_->WhatIf(&c2, what_if, &w).error_code(),
            grpc::StatusCode::NOT_FOUND);
  grpc::ClientContext c3;
  v1::GetDecisionRequest get;
  get.set_purpose("test");
  v1::GetDecisionResponse g;
  EXPECT_EQ(stub_->GetDecision(&c3, get, &g).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(AuditServiceTest, WithTheLedgerOffEveryRpcIsFailedPrecondition) {
  server_->Shutdown();
  StartServer(nullptr);
  grpc::ClientContext c1;
  v1::GetTreeHeadResponse head;
  grpc::Status status = stub_->GetTreeHead(&c1, {}, &head);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(status.error_message(), "the ledger is off");
  grpc::ClientContext c2;
  v1::ReplayRequest replay;
  replay.set_purpose("test");
  replay.set_decision_id("x");
  v1::ReplayResponse r;
  EXPECT_EQ(stub_->Replay(&c2, replay, &r).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  std::vector<std::string> changed;
  v1::BacktestSummary summary;
  EXPECT_EQ(Backtest(v1::BacktestRequest(), &changed, &summary).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

}  // namespace
}  // namespace lantern
