// `lantern backtest` (server/cli/backtest_command.h) as a user runs it: the
// real binary against a real server (serve_fixture.h) holding recorded
// decisions, with a candidate that changes test.gifts' score. Its summary
// is checked against what Audit.Backtest itself returns for the same
// candidate; progress in both modes (plain lines when stderr is not a
// terminal; one redrawn line on a terminal, run under script(1)'s pty);
// the exit codes.
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/serve_fixture.h"

namespace lantern {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

struct CommandRun {
  int code = -1;
  std::string out, err;
};

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string Quote(const std::string& s) { return "'" + s + "'"; }

class BacktestCommandTest : public testing::ServeTest {
 protected:
  // Records four decisions: age 15 and 9, each with and without gifts.
  // Under Good("2", 40), 15-with-gifts changes grade and CSE level,
  // 9-with-gifts the CSE level only.
  void RecordFour() {
    for (int age : {15, 9}) {
      for (bool gifts : {true, false}) {
        v1::AssessRequest request = GiftsRequest();
        request.mutable_facts()->mutable_child()->set_age_years(age);
        if (!gifts) {
          request.mutable_facts()
              ->mutable_episode()
              ->mutable_indicators()
              ->clear_recorded();
        }
        v1::Assessment answer;
        ASSERT_TRUE(assess_->Assess(Context().get(), request, &answer).ok());
      }
    }
  }

  // `lantern backtest` with `flags`, stdout and stderr kept apart.
  CommandRun Backtest(const std::vector<std::string>& flags) {
    std::string command = Quote(LANTERN_BINARY) + " backtest";
    for (const std::string& f : flags) command += " " + Quote(f);
    const std::string out = dir_ + "/backtest.out",
                      err = dir_ + "/backtest.err";
    CommandRun run;
    const int status = std::system(
        (command + " >" + Quote(out) + " 2>" + Quote(err) + " </dev/null")
            .c_str());
    run.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    run.out = Slurp(out);
    run.err = Slurp(err);
    return run;
  }

  // The same, on a terminal: script(1) runs it on a pty; its output
  // (stdout and stderr alike) comes back in `out`.
  CommandRun BacktestOnTerminal(const std::vector<std::string>& flags) {
    std::string command = Quote(LANTERN_BINARY) + " backtest";
    for (const std::string& f : flags) command += " " + Quote(f);
    const std::string out = dir_ + "/script.out";
    const std::string script = dir_ + "/backtest.sh";
    std::ofstream(script) << command << "\n";
    CommandRun run;
    const int status =
        std::system(("script -qec " + Quote("sh " + script) + " /dev/null >" +
                     Quote(out) + " 2>&1 </dev/null")
                        .c_str());
    run.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    run.out = Slurp(out);
    return run;
  }

  // What Audit.Backtest gives for the files of `dir` over every decision.
  v1::BacktestSummary ServerSummary(const std::string& dir) {
    v1::BacktestRequest request;
    request.set_purpose("test: the command's expected summary");
    for (const auto& entry :
         std::filesystem::recursive_directory_iterator(dir)) {
      if (!entry.is_regular_file()) continue;
      v1::RuleSetFile* file = request.mutable_files()->add_files();
      file->set_path(std::filesystem::relative(entry.path(), dir).string());
      file->set_content(Slurp(entry.path().string()));
    }
    auto audit = AuditStub(server_->address());
    grpc::ClientContext context;
    auto reader = audit->Backtest(&context, request);
    v1::BacktestItem item;
    v1::BacktestSummary summary;
    while (reader->Read(&item)) {
      if (item.has_summary()) summary = item.summary();
    }
    EXPECT_TRUE(reader->Finish().ok());
    return summary;
  }

  std::vector<std::string> Flags() {
    return {"--target=" + server_->address(), "--purpose=test: rule review",
            "--rules=" + rules_dir_};
  }

  // The summary lines the command must print for `s`.
  static void ExpectSummary(const std::string& out,
                            const v1::BacktestSummary& s) {
    EXPECT_THAT(out, HasSubstr("candidate " + s.candidate_digest() + "\n"));
    EXPECT_THAT(out, HasSubstr(absl::StrCat(
                         s.decisions_total(),
                         " decisions in the range: ", s.decisions_examined(),
                         " replayed, ", s.decisions_changed(), " differ, ",
                         s.decisions_failed(), " could not be evaluated\n")));
    for (const v1::BacktestOutputChanges& o : s.outputs()) {
      const std::regex row(absl::StrCat(
          "\n",
          std::regex_replace(o.output(), std::regex(R"([\[\]\.])"), R"(\$&)"),
          " +", o.decisions(), "  ",
          absl::StrJoin(o.example_decision_ids(), " "), "\n"));
      EXPECT_TRUE(std::regex_search(out, row)) << o.output() << "\n" << out;
    }
  }
};

TEST_F(BacktestCommandTest, SummaryEqualsTheServersAndExitsOneOnDifferences) {
  StartServer();
  ASSERT_NE(server_, nullptr);
  RecordFour();
  Good("2", 40);  // the candidate, in the rules directory the server read
  const v1::BacktestSummary expected = ServerSummary(rules_dir_);
  // The known change: two decisions, grade in one, CSE level in both.
  ASSERT_EQ(expected.decisions_total(), 4);
  ASSERT_EQ(expected.decisions_changed(), 2);
  ASSERT_EQ(expected.outputs_size(), 2);
  EXPECT_EQ(expected.outputs(0).output(), "grade");
  EXPECT_EQ(expected.outputs(1).output(), "concern CSE");
  EXPECT_EQ(expected.outputs(1).decisions(), 2);

  const CommandRun run = Backtest(Flags());
  EXPECT_EQ(run.code, 1) << run.err;
  ExpectSummary(run.out, expected);
  // Not a terminal: plain progress lines, the first with the total, the
  // last complete; never a carriage return.
  EXPECT_THAT(run.err,
              HasSubstr("lantern backtest: 0/4 decisions, 0 differ, 0 failed "
                        "(0%)\n"));
  EXPECT_THAT(run.err,
              HasSubstr("lantern backtest: 4/4 decisions, 2 differ, 0 failed "
                        "(100%)\n"));
  EXPECT_THAT(run.err, Not(HasSubstr("\r")));
}

TEST_F(BacktestCommandTest, OnATerminalRedrawsOneLine) {
  StartServer();
  ASSERT_NE(server_, nullptr);
  RecordFour();
  Good("2", 40);
  const v1::BacktestSummary expected = ServerSummary(rules_dir_);
  const CommandRun run = BacktestOnTerminal(Flags());
  EXPECT_EQ(run.code, 1) << run.out;
  EXPECT_THAT(run.out,
              HasSubstr("\r[------------------------------] 0% 0/4 decisions, "
                        "0 differ, 0 failed"));
  EXPECT_THAT(run.out, HasSubstr("\r[##############################] 100% 4/4 "
                                 "decisions, 2 differ, 0 failed"));
  EXPECT_THAT(run.out, Not(HasSubstr("lantern backtest: ")));
  // The pty turns "\n" into "\r\n".
  std::string out = std::regex_replace(run.out, std::regex("\r\n"), "\n");
  ExpectSummary(out, expected);
}

TEST_F(BacktestCommandTest, TheActiveVersionChangesNothingAndExitsZero) {
  StartServer();
  ASSERT_NE(server_, nullptr);
  RecordFour();
  std::vector<std::string> flags = {
      "--target=" + server_->address(), "--purpose=test: no-op review",
      "--ruleset_version=" + ActiveDigest(), "--from=2000-01-01T00:00:00Z"};
  const CommandRun run = Backtest(flags);
  EXPECT_EQ(run.code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("4 decisions in the range: 4 replayed, 0 "
                                 "differ, 0 could not be evaluated\n"));
  EXPECT_THAT(run.out, HasSubstr("no output differs\n"));
  // An empty range.
  flags.push_back("--to=2000-01-02T00:00:00Z");
  const CommandRun empty = Backtest(flags);
  EXPECT_EQ(empty.code, 0) << empty.err;
  EXPECT_THAT(empty.out, HasSubstr("0 decisions in the range"));
}

TEST_F(BacktestCommandTest, DecisionsItCouldNotEvaluateExitOne) {
  StartServer();
  ASSERT_NE(server_, nullptr);
  RecordFour();
  // In force only from 2025: every recorded as_of (2024) is outside it.
  WriteFile("manifest.yaml",
            absl::StrReplaceAll(Original("manifest.yaml"),
                                {{"effective_from: 2020-01-01",
                                  "effective_from: 2025-01-01"}}));
  const v1::BacktestSummary expected = ServerSummary(rules_dir_);
  ASSERT_EQ(expected.decisions_failed(), 4);
  const CommandRun run = Backtest(Flags());
  EXPECT_EQ(run.code, 1) << run.err;
  ExpectSummary(run.out, expected);
  EXPECT_THAT(run.out, HasSubstr("no output differs\n"));
  EXPECT_THAT(
      run.out,
      HasSubstr("could not be evaluated (first 4): " +
                absl::StrJoin(expected.failed_decision_ids(), " ") + "\n"));
}

TEST_F(BacktestCommandTest, UsageAndFailuresExitTwo) {
  StartServer();
  ASSERT_NE(server_, nullptr);
  const std::string target = "--target=" + server_->address();
  CommandRun run = Backtest({target, "--rules=" + rules_dir_});
  EXPECT_EQ(run.code, 2);
  EXPECT_THAT(run.err, HasSubstr("--purpose is required"));
  run = Backtest({target, "--purpose=p"});
  EXPECT_EQ(run.code, 2);
  EXPECT_THAT(run.err, HasSubstr("exactly one of --rules"));
  run = Backtest(
      {target, "--purpose=p", "--rules=" + rules_dir_, "--from=yesterday"});
  EXPECT_EQ(run.code, 2);
  EXPECT_THAT(run.err, HasSubstr("--from: 'yesterday' is not an RFC 3339"));
  run = Backtest({target, "--purpose=p", "--rules=" + rules_dir_,
                  "--ca=" + dir_ + "/ca.pem"});
  EXPECT_EQ(run.code, 2);
  EXPECT_THAT(run.err, HasSubstr("--ca, --cert and --key"));
  // A candidate that does not load: its diagnostics, before any call.
  BrokenSyntax();
  run = Backtest({target, "--purpose=p", "--rules=" + rules_dir_});
  EXPECT_EQ(run.code, 2);
  EXPECT_TRUE(std::regex_search(
      run.err, std::regex(R"(rules/rules\.yaml:[0-9]+:[0-9]+: error: )")))
      << run.err;
  // The server's refusal: a version it does not hold.
  run = Backtest({target, "--purpose=p", "--ruleset_version=no-such"});
  EXPECT_EQ(run.code, 2);
  EXPECT_THAT(run.err, HasSubstr("Backtest failed: NOT_FOUND"));
  // Nobody listening.
  run =
      Backtest({"--target=127.0.0.1:1", "--purpose=p", "--ruleset_version=x"});
  EXPECT_EQ(run.code, 2);
  EXPECT_THAT(run.err, HasSubstr("Backtest failed: UNAVAILABLE"));
}

}  // namespace
}  // namespace lantern
