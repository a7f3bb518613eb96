// Tests server/cli/cli.h: the check, test and eval subcommands — their output
// and exit codes — called in-process. tests/CMakeLists.txt also runs the
// real `lantern` binary on the same rulesets.
#include "server/cli/cli.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_replace.h"
#include "engine/proto/proto_fact_types.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "lantern/v1/assessment.pb.h"
#include "tests/testing/test_data.h"

namespace lantern {
namespace {

using ::lantern::testing::ReadFileOrDie;
using ::lantern::testing::ReadTree;
using ::lantern::testing::TestDataPath;
using ::testing::HasSubstr;
using ::testing::StartsWith;

absl::Time Noon() {
  return absl::FromUnixSeconds(1714824000);
}  // 2024-05-04T12:00Z

class CliTest : public ::testing::Test {
 protected:
  ProtoFactTypes types_;
  std::ostringstream out_, err_;
};

TEST_F(CliTest, CheckAcceptsTheExample) {
  EXPECT_EQ(RunCheck(TestDataPath("rulesets/example"), types_, out_, err_),
            kExitOk);
  EXPECT_THAT(
      out_.str(),
      HasSubstr(": ok: ruleset lantern.example version 1.0.0, 10 rules"));
  EXPECT_THAT(out_.str(), HasSubstr(": compiled: 10 rules: "));
  EXPECT_EQ(err_.str(), "");
}

TEST_F(CliTest, CheckPrintsEveryDiagnosticAndFails) {
  const std::string dir = TestDataPath("rulesets/broken");
  EXPECT_EQ(RunCheck(dir, types_, out_, err_), kExitFailed);
  // The golden diagnostics, with the directory as given, then a count.
  const std::string golden = absl::StrReplaceAll(
      ReadFileOrDie(TestDataPath("rulesets/broken.expected")),
      {{"broken/", dir + "/"}});
  const auto lines = std::count(golden.begin(), golden.end(), '\n');
  EXPECT_GE(lines, 8);
  EXPECT_EQ(err_.str(),
            golden + dir + ": " + std::to_string(lines) + " error(s)\n");
}

TEST_F(CliTest, CheckOfAMissingDirectoryIsAUsageError) {
  EXPECT_EQ(RunCheck("/nonexistent/rules", types_, out_, err_), kExitUsage);
  EXPECT_EQ(err_.str(),
            "lantern: ruleset directory '/nonexistent/rules' not found\n");
}

TEST_F(CliTest, TestEndsWithPassedFailedLine) {
  TestOptions options;
  options.coverage = true;
  EXPECT_EQ(
      RunTest(TestDataPath("rulesets/example"), options, types_, out_, err_),
      kExitOk);
  EXPECT_THAT(out_.str(),
              HasSubstr("coverage: 10/10 rules fired, 10/10 rules shown not to "
                        "fire, 3/3 actions emitted\n"));
  EXPECT_THAT(out_.str(), ::testing::EndsWith("\n5 passed, 0 failed\n"));
}

TEST_F(CliTest, EvalPrintsTheAssessmentAsProtobufJson) {
  EXPECT_EQ(
      RunEval(TestDataPath("rulesets/example"),
              TestDataPath("rulesets/example/episodes/runner_at_station.json"),
              std::nullopt, Noon(), types_, out_, err_),
      kExitOk)
      << err_.str();
  const std::string json = out_.str();
  v1::Assessment parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, &parsed).ok())
      << json;
  EXPECT_EQ(parsed.ruleset().id(), "lantern.example");
  EXPECT_EQ(parsed.decision_id(), "");
  EXPECT_EQ(parsed.as_of().seconds(), absl::ToUnixSeconds(Noon()));
  EXPECT_EQ(parsed.evaluated_at().seconds(), absl::ToUnixSeconds(Noon()));
  EXPECT_EQ(parsed.grade().grade(), v1::HIGH);
  EXPECT_TRUE(parsed.nrm().prompt().raised());
  EXPECT_THAT(json, HasSubstr("\"id\": \"cce.far_from_home_with_indicators\""));
  EXPECT_THAT(json, HasSubstr("\"path\": \"episode.found.distance_km\""));
  EXPECT_THAT(json,
              HasSubstr("\"cite\": \"Example citation: county lines guidance"));
  EXPECT_THAT(json, HasSubstr("\"code\": \"RHI_OFFER\""));
  EXPECT_THAT(json, HasSubstr("\"dueBy\": \"2024-05-06T09:30:00Z\""));
  // Defaults are printed, not left out.
  EXPECT_THAT(json, HasSubstr("\"decisionId\": \"\""));
  EXPECT_THAT(json, HasSubstr("\"overdue\": false"));
}

TEST_F(CliTest, EvalListsUnknownsForAnEmptyEpisode) {
  const std::string facts = ::testing::TempDir() + "/empty.json";
  std::ofstream(facts) << "{}";
  EXPECT_EQ(RunEval(TestDataPath("rulesets/example"), facts,
                    "2024-05-04T12:00:00Z", Noon(), types_, out_, err_),
            kExitOk);
  v1::Assessment parsed;
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage(out_.str(), &parsed).ok());
  ASSERT_GT(parsed.unknown_facts_size(), 0);
  EXPECT_EQ(parsed.unknown_facts(0).path(), "child.age_years");
  // Two blocked rules need it; one of them could raise the grade and the
  // CSE level, and one calls for an action now only to consider.
  EXPECT_THAT(parsed.unknown_facts(0).decides(),
              ::testing::ElementsAre("cse.older_associate", "general.under_13",
                                     "action:STRATEGY_DISCUSSION", "grade",
                                     "concern:CSE"));
  // The NRM prompt's rule may yet fire: "consider", not "no".
  const v1::Prompt& nrm = parsed.nrm().prompt();
  EXPECT_EQ(nrm.answer(), v1::Prompt::CONSIDER);
  EXPECT_EQ(nrm.truth(), v1::TRUTH_UNKNOWN);
  EXPECT_FALSE(nrm.raised());
  EXPECT_THAT(nrm.unknown_facts(), ::testing::Contains("episode.found.with"));
  EXPECT_EQ(parsed.actions_size(), 0);
  std::vector<std::string> to_consider;
  for (const v1::Action& a : parsed.actions_to_consider()) {
    to_consider.push_back(a.code());
    EXPECT_GT(a.unknown_facts_size(), 0) << a.code();
  }
  EXPECT_THAT(to_consider,
              ::testing::ElementsAre("NRM_REFERRAL", "STRATEGY_DISCUSSION"));
  ASSERT_EQ(parsed.concerns_size(), 3);
  EXPECT_THAT(parsed.concerns(0).raising_rules(),
              ::testing::ElementsAre("cse.hotel_or_linked_address",
                                     "cse.marker_and_narrative",
                                     "cse.older_associate"));
}

TEST_F(CliTest, ANameTheAnswerCannotExpressFailsTheCheck) {
  const std::string dir = ::testing::TempDir() + "/odd_levels";
  std::filesystem::remove_all(dir);
  for (const SourceFile& f : ReadTree(TestDataPath("rulesets/example"))) {
    std::filesystem::create_directories(
        std::filesystem::path(dir + "/" + f.path).parent_path());
    std::string content = f.content;
    if (f.path == "policy.yaml") {
      content = absl::StrReplaceAll(content, {{"MEDIUM", "SIGNIFICANT"}});
    }
    std::ofstream(dir + "/" + f.path) << content;
  }
  EXPECT_EQ(RunCheck(dir, types_, out_, err_), kExitFailed);
  EXPECT_THAT(err_.str(),
              HasSubstr("policy.yaml:3:9: error: level 'SIGNIFICANT' cannot be "
                        "expressed in the answer; use one of NONE, AT_RISK, "
                        "MEDIUM, HIGH"));
}

TEST_F(CliTest, EvalRejectsBadInputsWithOneLine) {
  const std::string rules = TestDataPath("rulesets/example");
  EXPECT_EQ(RunEval(rules, "/nonexistent.json", std::nullopt, Noon(), types_,
                    out_, err_),
            kExitUsage);
  EXPECT_EQ(err_.str(),
            "lantern: cannot read facts file '/nonexistent.json'\n");

  err_.str("");
  const std::string facts = ::testing::TempDir() + "/bad.json";
  std::ofstream(facts) << R"({"child": {"ageYears": "fifteen"}})";
  EXPECT_EQ(RunEval(rules, facts, std::nullopt, Noon(), types_, out_, err_),
            kExitFailed);
  EXPECT_THAT(err_.str(), StartsWith(facts + ": "));
  const std::string err = err_.str();
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;

  err_.str("");
  EXPECT_EQ(RunEval(rules, facts, "yesterday", Noon(), types_, out_, err_),
            kExitUsage);
  EXPECT_THAT(err_.str(), HasSubstr("--as_of must be an RFC 3339 time"));
}

TEST_F(CliTest, EvalRefusesAnEnumNumberItsEnumLacks) {
  const std::string facts = ::testing::TempDir() + "/enum.json";
  std::ofstream(facts) << R"({"child": {"ageYears": 15, "careStatus": 999}})";
  EXPECT_EQ(RunEval(TestDataPath("rulesets/service"), facts, std::nullopt,
                    Noon(), types_, out_, err_),
            kExitFailed);
  EXPECT_EQ(err_.str(), facts +
                            ": facts.child.care_status: 999 is not a value of "
                            "lantern.v1.Child.CareStatus\n");
}

TEST_F(CliTest, EvalRefusesADateOfBirthAfterTheReportAsTheServiceDoes) {
  const std::string facts = ::testing::TempDir() + "/born_after.json";
  std::ofstream(facts) << R"({"child": {"ageYears": 12,
    "dateOfBirth": "2024-05-05T09:06:40Z"},
    "episode": {"reportedAt": "2024-05-04T10:53:20Z",
                "foundAt": "2024-05-03T00:00:00Z"}})";
  EXPECT_EQ(RunEval(TestDataPath("rulesets/service"), facts, std::nullopt,
                    Noon(), types_, out_, err_),
            kExitFailed);
  EXPECT_EQ(out_.str(), "");
  // The service's lines for the same facts (facts_values.h), every one.
  EXPECT_EQ(err_.str(),
            facts +
                ": facts.episode.found_at: 2024-05-03T00:00:00Z is before "
                "facts.episode.reported_at (2024-05-04T10:53:20Z); "
                "facts.child.date_of_birth: 2024-05-05T09:06:40Z is after "
                "facts.episode.reported_at (2024-05-04T10:53:20Z)\n");
}

}  // namespace
}  // namespace lantern
