// Integration tests of `lantern serve`'s operability: the Prometheus
// metrics endpoint of the real binary (a scrape checked by Debian's
// `promtool check metrics`, counts that move as known calls are made) and
// the configuration file (read, overridden by flags).
#include <stdio.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "tests/testing/serve_fixture.h"

namespace lantern::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// Every sample line of an exposition: "name{labels}" -> value.
std::map<std::string, double> Samples(const std::string& text) {
  std::map<std::string, double> samples;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    const size_t space = line.rfind(' ');
    double value = 0;
    if (space == absl::string_view::npos ||
        !absl::SimpleAtod(line.substr(space + 1), &value)) {
      ADD_FAILURE() << "not a sample line: " << line;
      continue;
    }
    samples[std::string(line.substr(0, space))] = value;
  }
  return samples;
}

class ServeMetricsTest : public ServeTest {
 protected:
  // Starts the server and reads the metrics line after the listening line.
  void StartWithMetrics(const std::vector<std::string>& flags = {}) {
    StartServer(flags);
    ASSERT_NE(server_, nullptr);
    const std::string line = server_->ReadLine();
    const std::string prefix = "lantern serve: metrics on 127.0.0.1:";
    ASSERT_THAT(line, StartsWith(prefix));
    ASSERT_TRUE(absl::SimpleAtoi(line.substr(prefix.size()), &metrics_port_))
        << line;
  }

  std::string Scrape() {
    httplib::Client client("127.0.0.1", metrics_port_);
    client.set_read_timeout(60, 0);
    httplib::Result result = client.Get("/metrics");
    EXPECT_TRUE(result) << httplib::to_string(result.error());
    if (!result) return "";
    EXPECT_EQ(result->status, 200);
    EXPECT_THAT(result->get_header_value("Content-Type"),
                StartsWith("text/plain; version=0.0.4"));
    return result->body;
  }

  // `promtool check metrics` on `text`: its exit code and output.
  int Promtool(const std::string& text, std::string* output) {
    const std::string path = dir_ + "/scrape.txt";
    std::ofstream(path, std::ios::trunc) << text;
    FILE* pipe =
        popen(("promtool check metrics < " + path + " 2>&1").c_str(), "r");
    if (pipe == nullptr) return -1;
    char buffer[4096];
    size_t n;
    while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) {
      output->append(buffer, n);
    }
    const int status = pclose(pipe);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  int metrics_port_ = 0;
};

constexpr char kAssess[] = "method=\"/lantern.v1.RiskAssessment/Assess\"";

TEST_F(ServeMetricsTest, ScrapePassesPromtool) {
  StartWithMetrics();
  v1::Assessment answer;
  ASSERT_TRUE(assess_->Assess(Context().get(), GiftsRequest(), &answer).ok());
  const std::string text = Scrape();
  std::string output;
  EXPECT_EQ(Promtool(text, &output), 0) << output << "\n--- scrape:\n" << text;
  EXPECT_EQ(output, "") << text;
  // Every family the brief names is there.
  for (const char* family :
       {"lantern_decisions_total", "lantern_decision_concerns_total",
        "lantern_rpc_duration_seconds", "lantern_rpc_handled_total",
        "lantern_ledger_commit_duration_seconds",
        "lantern_ledger_commit_batch_size", "lantern_ruleset_activations_total",
        "lantern_ruleset_active_info"}) {
    EXPECT_THAT(text, HasSubstr(absl::StrCat("# TYPE ", family, " ")))
        << family;
  }
}

TEST_F(ServeMetricsTest, PromtoolRejectsABrokenExposition) {
  // The check above can fail: promtool finds a counter without _total.
  StartWithMetrics();
  std::string text = Scrape();
  text +=
      "# HELP lantern_bad A counter.\n# TYPE lantern_bad counter\n"
      "lantern_bad 1\n";
  std::string output;
  Promtool(text, &output);
  EXPECT_THAT(output, HasSubstr("lantern_bad"));
}

TEST_F(ServeMetricsTest, CountsMoveWithKnownCalls) {
  StartWithMetrics();
  std::map<std::string, double> before = Samples(Scrape());
  EXPECT_EQ(before["lantern_ruleset_activations_total{trigger=\"startup\","
                   "outcome=\"activated\"}"],
            1);
  EXPECT_EQ(before[absl::StrCat(
                "lantern_ruleset_active_info{ruleset_id=\"lantern.service_"
                "test\",version=\"1\",digest=\"",
                ActiveDigest(), "\"}")],
            1);
  // At start the ledger holds one record: the startup activation.
  EXPECT_EQ(before["lantern_ledger_commit_batch_size_sum"], 1);

  v1::Assessment answer;
  ASSERT_TRUE(assess_->Assess(Context().get(), GiftsRequest(), &answer).ok());
  ASSERT_TRUE(assess_->Assess(Context().get(), GiftsRequest(), &answer).ok());
  v1::AssessRequest bad = GiftsRequest();
  bad.mutable_facts()->mutable_child()->set_age_years(212);
  v1::Assessment refused;
  ASSERT_EQ(assess_->Assess(Context().get(), bad, &refused).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  // A retry under a used client_request_id is answered from the ledger and
  // is not a new decision.
  v1::AssessRequest with_id = GiftsRequest();
  with_id.set_client_request_id("metrics-retry");
  ASSERT_TRUE(assess_->Assess(Context().get(), with_id, &answer).ok());
  ASSERT_TRUE(assess_->Assess(Context().get(), with_id, &answer).ok());
  // A rejected activation: the directory's rules no longer check.
  BrokenSyntax();
  v1::ActivateRuleSetResponse activated;
  ASSERT_TRUE(rulesets_->Activate(Context().get(), {}, &activated).ok());
  ASSERT_EQ(activated.outcome(), v1::ActivateRuleSetResponse::REJECTED);

  std::map<std::string, double> after = Samples(Scrape());
  const std::string grade = v1::RiskGrade_Name(answer.grade().grade());
  for (const char* g : {"VERY_LOW", "LOW", "MEDIUM", "HIGH"}) {
    const std::string series =
        absl::StrCat("lantern_decisions_total{grade=\"", g, "\"}");
    EXPECT_EQ(after[series] - before[series], g == grade ? 3 : 0) << series;
  }
  for (const v1::ConcernOutcome& c : answer.concerns()) {
    const std::string series =
        absl::StrCat("lantern_decision_concerns_total{concern=\"",
                     v1::Concern_Name(c.concern()), "\",level=\"",
                     v1::ConcernOutcome::Level_Name(c.level()), "\"}");
    EXPECT_EQ(after[series] - before[series], 3) << series;
  }
  EXPECT_EQ(after[absl::StrCat("lantern_rpc_handled_total{", kAssess,
                               ",code=\"OK\"}")],
            4);
  EXPECT_EQ(after[absl::StrCat("lantern_rpc_handled_total{", kAssess,
                               ",code=\"INVALID_ARGUMENT\"}")],
            1);
  EXPECT_EQ(
      after[absl::StrCat("lantern_rpc_duration_seconds_count{", kAssess, "}")],
      5);
  EXPECT_EQ(after[absl::StrCat("lantern_rpc_duration_seconds_bucket{", kAssess,
                               ",le=\"+Inf\"}")],
            5);
  // Three new decisions were recorded, the retry and the refusal were not;
  // the rejected activation was recorded, and so was the Activate call in
  // the access log.
  EXPECT_EQ(after["lantern_ledger_commit_batch_size_sum"] -
                before["lantern_ledger_commit_batch_size_sum"],
            3 + 1 + 1);
  EXPECT_GE(after["lantern_ledger_commit_duration_seconds_count"], 2);
  EXPECT_EQ(after["lantern_ledger_commit_failures_total"], 0);
  EXPECT_EQ(after["lantern_ruleset_activations_total{trigger=\"rpc\","
                  "outcome=\"rejected\"}"],
            1);
}

TEST_F(ServeMetricsTest, ActiveDigestLabelFollowsActivation) {
  StartWithMetrics();
  const std::string first = ActiveDigest();
  Good("2", 30);
  v1::ActivateRuleSetResponse activated;
  ASSERT_TRUE(rulesets_->Activate(Context().get(), {}, &activated).ok());
  ASSERT_EQ(activated.outcome(), v1::ActivateRuleSetResponse::ACTIVATED);
  const std::string second = ActiveDigest();
  ASSERT_NE(first, second);
  const std::string text = Scrape();
  EXPECT_THAT(text, HasSubstr(absl::StrCat(
                        "lantern_ruleset_active_info{ruleset_id=\"lantern."
                        "service_test\",version=\"2\",digest=\"",
                        second, "\"} 1\n")));
  EXPECT_THAT(text, ::testing::Not(HasSubstr(first)));
  EXPECT_THAT(text, HasSubstr("lantern_ruleset_activations_total{trigger="
                              "\"rpc\",outcome=\"activated\"} 1\n"));
}

TEST_F(ServeMetricsTest, OnlyMetricsPathsAreServed) {
  StartWithMetrics();
  httplib::Client client("127.0.0.1", metrics_port_);
  httplib::Result missing = client.Get("/secrets");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
}

// The configuration file: its settings apply, flags given override it.
TEST_F(ServeMetricsTest, ConfigFileAppliesAndFlagsOverride) {
  const std::string config = dir_ + "/lantern.yaml";
  std::ofstream(config) << "# settings for the test\n"
                        << "listen: 192.0.2.1:1\n"  // overridden below
                        << "rules: " << rules_dir_ << "\n"
                        << "ledger: " << dir_ << "/from_config/ledger.db\n"
                        << "max_repeated: 1\n";
  std::string error;
  // ServerProcess adds --listen=127.0.0.1:0, which wins over the file's.
  server_ = ServerProcess::Start(LANTERN_BINARY, {"--config=" + config},
                                 dir_ + "/server.log", &error);
  ASSERT_NE(server_, nullptr) << error;
  EXPECT_THAT(server_->log(), HasSubstr("settings from " + config));
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/from_config/ledger.db"));
  auto stub = v1::RiskAssessment::NewStub(grpc::CreateChannel(
      server_->address(), grpc::InsecureChannelCredentials()));
  v1::AssessRequest two = GiftsRequest();
  two.mutable_facts()->mutable_episode()->mutable_indicators()->add_recorded(
      "MULTIPLE_PHONES_OR_SIMS");
  v1::Assessment answer;
  grpc::Status status = stub->Assess(Context().get(), two, &answer);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("recorded"));
  server_->Signal(SIGTERM);
  EXPECT_EQ(server_->Wait(), 0);
  server_.reset();
}

}  // namespace
}  // namespace lantern::testing
