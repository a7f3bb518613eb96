// Shadow runs on the real server (issue 14): RuleSets.Shadow evaluates
// every new decision under a candidate off the answer's path, and
// Audit.GetShadowReport counts per output the decisions it answers
// differently — the same counts, and the same decisions, as a Backtest of
// those decisions against the same candidate.
#include <stdio.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/serve_fixture.h"

namespace lantern {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

// Per output: the decision ids that differ in it.
using OutputIds = std::map<std::string, std::set<std::string>>;

class ServeShadowTest : public ::lantern::testing::ServeTest {
 protected:
  std::unique_ptr<v1::Audit::Stub> Audit() {
    return v1::Audit::NewStub(channel_);
  }

  void Stop() {
    assess_.reset();
    rulesets_.reset();
    channel_.reset();
    server_->Signal(SIGTERM);
    ASSERT_EQ(server_->Wait(), 0) << server_->log();
    server_.reset();
  }

  // Runs `lantern ARGS` and returns its exit code; *output gets its
  // standard output and error.
  static int Lantern(const std::string& args, std::string* output) {
    FILE* pipe =
        popen(absl::StrCat(LANTERN_BINARY, " ", args, " 2>&1").c_str(), "r");
    if (pipe == nullptr) return -1;
    char buffer[4096];
    size_t n;
    while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) {
      output->append(buffer, n);
    }
    const int status = pclose(pipe);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  // The rules directory's files as candidate files.
  template <typename Request>
  void AddFiles(Request* request) {
    for (const SourceFile& f : ::lantern::testing::ReadTree(rules_dir_)) {
      v1::RuleSetFile* file = request->add_files();
      file->set_path(f.path);
      file->set_content(f.content);
    }
  }

  // Proposes the rules directory's files; returns the proposal's digest.
  std::string ProposeRulesDir() {
    v1::ProposeRuleSetRequest request;
    AddFiles(&request);
    v1::ProposeRuleSetResponse proposed;
    grpc::Status status =
        rulesets_->Propose(Context().get(), request, &proposed);
    EXPECT_TRUE(status.ok()) << status.error_message();
    EXPECT_TRUE(proposed.proposed()) << proposed.DebugString();
    return proposed.digest();
  }

  grpc::Status Shadow(const std::string& version, bool stop,
                      v1::ShadowRuleSetResponse* response) {
    v1::ShadowRuleSetRequest request;
    request.set_version(version);
    request.set_stop(stop);
    return rulesets_->Shadow(Context().get(), request, response);
  }

  // Traffic with a known mix: gifts at 15 (grade and CSE change when
  // test.gifts scores 40), gifts under 13 (only CSE: the MEDIUM floor
  // holds the grade), and episodes without gifts (nothing changes).
  std::vector<v1::AssessRequest> Traffic() {
    std::vector<v1::AssessRequest> mix;
    auto add = [&](int age, bool gifts, bool returned) {
      v1::AssessRequest r;
      r.mutable_facts()->mutable_child()->set_age_years(age);
      r.mutable_facts()->mutable_child()->set_reference(
          absl::StrCat("CHILD-", mix.size()));
      if (gifts) {
        r.mutable_facts()
            ->mutable_episode()
            ->mutable_indicators()
            ->add_recorded("UNEXPLAINED_MONEY_OR_GIFTS");
      }
      if (returned) {
        v1::Episode& e = *r.mutable_facts()->mutable_episode();
        e.set_status(v1::Episode::RETURNED);
        e.mutable_reported_at()->set_seconds(1714586400);
        e.mutable_found_at()->set_seconds(1714636800);
      }
      r.mutable_as_of()->set_seconds(1714824000);
      r.set_client_request_id(absl::StrCat("shadow-", mix.size()));
      mix.push_back(r);
    };
    for (int i = 0; i < 3; ++i) add(15, true, false);
    for (int i = 0; i < 2; ++i) add(9, true, false);
    for (int i = 0; i < 2; ++i) add(9, false, false);
    for (int i = 0; i < 2; ++i) add(15, false, true);
    return mix;
  }

  // Assesses `traffic` (and a retry of its first request, which makes no
  // new decision); returns the decision ids.
  std::vector<std::string> Send(const std::vector<v1::AssessRequest>& traffic) {
    std::vector<std::string> ids;
    for (const v1::AssessRequest& request : traffic) {
      v1::Assessment answer;
      grpc::Status status = assess_->Assess(Context().get(), request, &answer);
      EXPECT_TRUE(status.ok()) << status.error_message();
      ids.push_back(answer.decision_id());
    }
    v1::Assessment again;
    EXPECT_TRUE(assess_->Assess(Context().get(), traffic[0], &again).ok());
    EXPECT_EQ(again.decision_id(), ids[0]);
    return ids;
  }

  // The report once the shadow has dealt with `decisions` decisions and
  // has nothing pending (waiting boundedly: a safety net, not a timing
  // assertion).
  v1::ShadowReport ReportAfter(uint64_t decisions) {
    v1::GetShadowReportRequest request;
    request.set_max_examples(100);
    v1::ShadowReport report;
    for (int i = 0; i < 1200; ++i) {
      grpc::Status status =
          Audit()->GetShadowReport(Context().get(), request, &report);
      EXPECT_TRUE(status.ok()) << status.error_message();
      if (!status.ok()) return report;
      if (report.pending() == 0 &&
          report.compared() + report.errors() + report.skipped() >= decisions) {
        return report;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ADD_FAILURE() << "the shadow never caught up: " << report.DebugString();
    return report;
  }

  static OutputIds FromReport(const v1::ShadowReport& report) {
    OutputIds out;
    for (const v1::ShadowOutputCount& o : report.outputs()) {
      EXPECT_EQ(o.decisions(), o.example_decision_ids_size()) << o.output();
      out[o.output()].insert(o.example_decision_ids().begin(),
                             o.example_decision_ids().end());
    }
    return out;
  }

  // Backtests the rules directory's files over decisions received from
  // `from` on: the decisions changed per output, named here from each
  // change summary's fields (not with the server's ChangedOutputs).
  OutputIds Backtest(const google::protobuf::Timestamp& from,
                     v1::BacktestSummary* summary) {
    v1::BacktestRequest request;
    request.set_purpose("test: shadow against backtest");
    AddFiles(request.mutable_files());
    *request.mutable_from() = from;
    auto context = Context();
    auto reader = Audit()->Backtest(context.get(), request);
    OutputIds out;
    v1::BacktestItem item;
    while (reader->Read(&item)) {
      if (!item.has_change()) {
        *summary = item.summary();
        continue;
      }
      const std::string& id = item.change().decision_id();
      const v1::ChangeSummary& c = item.change().changes();
      if (c.grade_from() != c.grade_to()) out["grade"].insert(id);
      for (const v1::ConcernLevelChange& l : c.concern_levels()) {
        out["concern " + v1::Concern_Name(l.concern())].insert(id);
      }
      if (c.nrm_raised_from() != c.nrm_raised_to()) {
        out["prompt nrm"].insert(id);
      }
      for (const std::string& p : c.prompts_changed()) {
        out["prompt " + p].insert(id);
      }
      for (const std::string& a : c.actions_added()) {
        out["action " + a].insert(id);
      }
      for (const std::string& a : c.actions_removed()) {
        out["action " + a].insert(id);
      }
    }
    grpc::Status status = reader->Finish();
    EXPECT_TRUE(status.ok()) << status.error_message();
    return out;
  }
};

TEST_F(ServeShadowTest, ShadowCountsEqualABacktestOfTheSameDecisions) {
  StartServer();
  Good("2", 40);  // test.gifts scores 40 instead of 20
  const std::string candidate = ProposeRulesDir();
  ASSERT_FALSE(candidate.empty());
  v1::ShadowRuleSetResponse started;
  grpc::Status status = Shadow(candidate, false, &started);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(started.shadowing());
  EXPECT_EQ(started.candidate_digest(), candidate);
  EXPECT_EQ(started.candidate_version(), "2");

  const std::vector<v1::AssessRequest> traffic = Traffic();
  const std::vector<std::string> ids = Send(traffic);
  const v1::ShadowReport report = ReportAfter(ids.size());
  EXPECT_EQ(report.candidate_digest(), candidate);
  EXPECT_EQ(report.started_at().seconds(), started.started_at().seconds());
  EXPECT_TRUE(report.shadowing());
  EXPECT_EQ(report.compared(), ids.size());  // the retry is no new decision
  EXPECT_EQ(report.skipped(), 0u);
  EXPECT_EQ(report.errors(), 0u);

  v1::BacktestSummary summary;
  const OutputIds backtest = Backtest(started.started_at(), &summary);
  const OutputIds shadow = FromReport(report);
  EXPECT_EQ(shadow, backtest);
  EXPECT_EQ(report.compared(), summary.decisions_examined());
  EXPECT_EQ(report.differing(), summary.decisions_changed());
  // The known change: gifts at 15 change grade and CSE, gifts under 13
  // only CSE, the rest nothing.
  const std::set<std::string> graded(ids.begin(), ids.begin() + 3);
  const std::set<std::string> cse(ids.begin(), ids.begin() + 5);
  EXPECT_EQ(shadow.at("grade"), graded);
  EXPECT_EQ(shadow.at("concern CSE"), cse);
  EXPECT_EQ(shadow.size(), 2u);
  EXPECT_EQ(report.differing(), 5u);

  // Examples are bounded by max_examples.
  v1::GetShadowReportRequest two;
  two.set_max_examples(2);
  v1::ShadowReport short_report;
  ASSERT_TRUE(
      Audit()->GetShadowReport(Context().get(), two, &short_report).ok());
  for (const v1::ShadowOutputCount& o : short_report.outputs()) {
    EXPECT_LE(o.example_decision_ids_size(), 2) << o.output();
  }

  // Stopped: the report stays, and later decisions are not compared.
  v1::ShadowRuleSetResponse stopped;
  status = Shadow("", true, &stopped);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(stopped.shadowing());
  EXPECT_EQ(stopped.candidate_digest(), candidate);
  v1::AssessRequest later = traffic[0];
  later.set_client_request_id("after-stop");
  v1::Assessment answer;
  ASSERT_TRUE(assess_->Assess(Context().get(), later, &answer).ok());
  v1::ShadowReport after;
  ASSERT_TRUE(Audit()->GetShadowReport(Context().get(), {}, &after).ok());
  EXPECT_FALSE(after.shadowing());
  EXPECT_TRUE(after.has_stopped_at());
  EXPECT_EQ(after.compared(), report.compared());
}

TEST_F(ServeShadowTest, AShadowOfTheActiveVersionReportsNoDifference) {
  StartServer();
  v1::ShadowRuleSetResponse started;
  grpc::Status status = Shadow(ActiveDigest(), false, &started);
  ASSERT_TRUE(status.ok()) << status.error_message();
  const std::vector<v1::AssessRequest> traffic = Traffic();
  const std::vector<std::string> ids = Send(traffic);
  // AssessStream's decisions are shadowed too.
  auto context = Context();
  auto stream = assess_->AssessStream(context.get());
  for (int i = 0; i < 2; ++i) {
    v1::AssessRequest request = traffic[i];
    request.set_client_request_id(absl::StrCat("stream-", i));
    ASSERT_TRUE(stream->Write(request));
    v1::AssessStreamResponse response;
    ASSERT_TRUE(stream->Read(&response));
    EXPECT_TRUE(response.has_assessment()) << response.DebugString();
  }
  stream->WritesDone();
  ASSERT_TRUE(stream->Finish().ok());
  const v1::ShadowReport report = ReportAfter(ids.size() + 2);
  EXPECT_EQ(report.compared(), ids.size() + 2);
  EXPECT_EQ(report.differing(), 0u);
  EXPECT_THAT(report.outputs(), IsEmpty());
  EXPECT_EQ(report.errors(), 0u);
}

TEST_F(ServeShadowTest, StartsAndStopsAreLoggedAndBadRequestsRefused) {
  StartServer();
  v1::ShadowReport report;
  EXPECT_EQ(Audit()->GetShadowReport(Context().get(), {}, &report).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  v1::ShadowRuleSetResponse response;
  EXPECT_EQ(Shadow("", false, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Shadow("sha256:nope", false, &response).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Shadow("", true, &response).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  const std::string active = ActiveDigest();
  ASSERT_TRUE(Shadow("1", false, &response).ok());  // by manifest version
  EXPECT_EQ(response.candidate_digest(), active);
  ASSERT_TRUE(Shadow("", true, &response).ok());

  v1::ListAccessRequest list;
  list.set_page_size(1000);
  v1::ListAccessResponse log;
  ASSERT_TRUE(Audit()->ListAccess(Context().get(), list, &log).ok());
  std::vector<std::string> shadow_calls;
  for (const v1::AccessRecord& r : log.records()) {
    if (r.method() == "/lantern.v1.RuleSets/Shadow") {
      shadow_calls.push_back(absl::StrCat(r.subject(), " -> ", r.code()));
    }
  }
  ASSERT_EQ(shadow_calls.size(), 5u) << ::testing::PrintToString(shadow_calls);
  EXPECT_THAT(shadow_calls[1], HasSubstr("sha256:nope"));
  EXPECT_THAT(
      shadow_calls[3],
      HasSubstr(absl::StrCat("start shadow of ", active, " (version 1) -> 0")));
  EXPECT_THAT(shadow_calls[4], HasSubstr("stop shadow -> 0"));
}

TEST_F(ServeShadowTest, DiffOverTheLedgerCountsTheRecordedDecisionsThatChange) {
  StartServer();
  const std::vector<std::string> ids = Send(Traffic());
  Stop();
  const std::string old_dir = dir_ + "/old";
  std::filesystem::copy(rules_dir_, old_dir,
                        std::filesystem::copy_options::recursive);
  Good("2", 40);  // test.gifts scores 40 instead of 20

  const std::string as_of = "--as_of=2024-05-04T12:00:00Z";
  std::string output;
  EXPECT_EQ(Lantern(absl::StrCat("diff ", as_of, " --ledger=", ledger_path(),
                                 " ", old_dir, " ", rules_dir_),
                    &output),
            1)
      << output;
  EXPECT_THAT(output, HasSubstr("9 recorded decisions, 9 re-evaluated under "
                                "both, 5 answered differently, 0 not "
                                "evaluated"));
  EXPECT_THAT(output, HasSubstr(absl::StrCat("  concern CSE: 5 decisions (",
                                             ids[0], ", ", ids[1], ", ", ids[2],
                                             ", ", ids[3], ", ", ids[4], ")")));
  EXPECT_THAT(output,
              HasSubstr(absl::StrCat("  grade: 3 decisions (", ids[0], ", ",
                                     ids[1], ", ", ids[2], ")\n")));

  // A ruleset against itself: the recorded decisions differ nowhere.
  output.clear();
  EXPECT_EQ(Lantern(absl::StrCat("diff ", as_of, " --ledger ", ledger_path(),
                                 " ", old_dir, " ", old_dir),
                    &output),
            0)
      << output;
  EXPECT_THAT(output, HasSubstr("9 re-evaluated under both, 0 answered "
                                "differently"));

  output.clear();
  EXPECT_EQ(Lantern(absl::StrCat("diff ", as_of, " --ledger=", dir_,
                                 "/no-such.db ", old_dir, " ", old_dir),
                    &output),
            2);
  EXPECT_THAT(output, HasSubstr("no ledger at"));
}

}  // namespace
}  // namespace lantern
