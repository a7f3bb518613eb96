// ServeTest: a fixture for tests of `lantern serve` — a temporary copy of
// the service test ruleset (tests/testdata/rulesets/service) that tests
// can rewrite into other versions, the real server started on it, and
// stubs for every service.
//
// Variants of the ruleset: Good(version, gifts_score) changes the manifest
// version and the score of rule test.gifts (so versions answer
// differently); BrokenSyntax() adds a rule over an unknown field;
// BrokenTests() makes one of its own test cases fail.
//
// TearDown replays every decision the test recorded (Audit.Replay) and
// expects each to be IDENTICAL.
//
// Thread-safety: the stubs may be used from many threads; the rest from the
// test thread.
#ifndef LANTERN_TESTS_TESTING_SERVE_FIXTURE_H_
#define LANTERN_TESTS_TESTING_SERVE_FIXTURE_H_

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "lantern/v1/audit.grpc.pb.h"
#include "lantern/v1/service.grpc.pb.h"
#include "tests/testing/server_process.h"
#include "tests/testing/test_data.h"

namespace lantern::testing {

class ServeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = ::testing::TempDir() + "/lantern_serve_XXXXXX";
    ASSERT_NE(mkdtemp(templ.data()), nullptr);
    dir_ = templ;
    rules_dir_ = dir_ + "/rules";
    std::filesystem::copy(TestDataPath("rulesets/service"), rules_dir_,
                          std::filesystem::copy_options::recursive);
  }

  void TearDown() override {
    ReplayEveryDecision();
    server_.reset();
    std::filesystem::remove_all(dir_);
  }

  // The promise that every decision recorded during the
  // integration tests replays identically: Audit.Replay of each decision in
  // the test's ledger, on the test's server while it runs; when the test
  // stopped it, on a fresh server over the same ledger (which holds every
  // ruleset again from the ledger).
  void ReplayEveryDecision() {
    if (!std::filesystem::exists(ledger_path())) return;  // never recorded
    std::unique_ptr<ServerProcess> replayer;
    std::unique_ptr<v1::Audit::Stub> audit =
        AuditStub(server_ != nullptr ? server_->address() : "127.0.0.1:1");
    v1::ListDecisionsRequest list;
    list.set_purpose("test: replay check");
    list.set_page_size(100);
    v1::ListDecisionsResponse page;
    grpc::Status status = audit->ListDecisions(Context(10).get(), list, &page);
    if (status.error_code() == grpc::StatusCode::FAILED_PRECONDITION) return;
    if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
      std::string error;
      replayer =
          ServerProcess::Start(LANTERN_BINARY,
                               {"--rules=" + TestDataPath("rulesets/service"),
                                "--ledger=" + ledger_path()},
                               dir_ + "/replayer.log", &error);
      ASSERT_NE(replayer, nullptr) << error;
      audit = AuditStub(replayer->address());
      status = audit->ListDecisions(Context().get(), list, &page);
    }
    for (;;) {
      ASSERT_TRUE(status.ok()) << status.error_message();
      for (const v1::DecisionRecord& d : page.decisions()) {
        v1::ReplayRequest request;
        request.set_purpose("test: replay check");
        request.set_decision_id(d.decision_id());
        v1::ReplayResponse replay;
        status = audit->Replay(Context().get(), request, &replay);
        ASSERT_TRUE(status.ok())
            << d.decision_id() << ": " << status.error_message();
        EXPECT_EQ(replay.outcome(), v1::ReplayResponse::IDENTICAL)
            << d.decision_id() << ": " << replay.DebugString();
      }
      if (page.next_page_token().empty()) break;
      list.set_page_token(page.next_page_token());
      status = audit->ListDecisions(Context().get(), list, &page);
    }
  }

  // (Not a member stub: a test that stops the server resets the channel
  // it knows of, and a stub left holding it would delay the stop.)
  static std::unique_ptr<v1::Audit::Stub> AuditStub(
      const std::string& address) {
    return v1::Audit::NewStub(
        grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  }

  // Starts the server on the rules directory and the test's own ledger
  // with `flags` added.
  void StartServer(const std::vector<std::string>& flags = {}) {
    std::vector<std::string> all = {"--rules=" + rules_dir_,
                                    "--ledger=" + ledger_path()};
    all.insert(all.end(), flags.begin(), flags.end());
    std::string error;
    server_ =
        ServerProcess::Start(LANTERN_BINARY, all, dir_ + "/server.log", &error);
    EXPECT_NE(server_, nullptr) << error;
    // Without a server the stubs point nowhere, so calls fail, not crash.
    channel_ = grpc::CreateChannel(
        server_ != nullptr ? server_->address() : "127.0.0.1:1",
        grpc::InsecureChannelCredentials());
    assess_ = v1::RiskAssessment::NewStub(channel_);
    rulesets_ = v1::RuleSets::NewStub(channel_);
  }

  std::string ledger_path() const { return dir_ + "/ledger.db"; }

  void WriteFile(const std::string& path, const std::string& content) {
    std::ofstream(rules_dir_ + "/" + path, std::ios::binary | std::ios::trunc)
        << content;
  }

  std::string Original(const std::string& path) const {
    return ReadFileOrDie(TestDataPath("rulesets/service/" + path));
  }

  void Good(const std::string& version, int gifts_score) {
    WriteFile(
        "manifest.yaml",
        absl::StrReplaceAll(
            Original("manifest.yaml"),
            {{"version: \"1\"", absl::StrCat("version: \"", version, "\"")}}));
    WriteFile("rules/rules.yaml",
              absl::StrReplaceAll(
                  Original("rules/rules.yaml"),
                  {{"score: 20", absl::StrCat("score: ", gifts_score)}}));
    WriteFile("tests/cases.yaml", Original("tests/cases.yaml"));
  }

  void BrokenSyntax() {
    WriteFile("rules/rules.yaml",
              Original("rules/rules.yaml") +
                  "\n  - id: test.broken\n    title: Broken\n    cite: x\n"
                  "    when: episode.no_such_field > 3\n");
  }

  void BrokenTests() {
    WriteFile("rules/rules.yaml", Original("rules/rules.yaml"));
    WriteFile("tests/cases.yaml",
              absl::StrReplaceAll(Original("tests/cases.yaml"),
                                  {{"grade: MEDIUM", "grade: HIGH"}}));
  }

  // Facts that fire test.gifts: the answer's score is the rule's score.
  static v1::AssessRequest GiftsRequest() {
    v1::AssessRequest request;
    request.mutable_facts()->mutable_child()->set_age_years(15);
    request.mutable_facts()
        ->mutable_episode()
        ->mutable_indicators()
        ->add_recorded("UNEXPLAINED_MONEY_OR_GIFTS");
    request.mutable_as_of()->set_seconds(1714824000);  // 2024-05-04T12:00Z
    return request;
  }

  std::unique_ptr<grpc::ClientContext> Context(int seconds = 60) const {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() +
                          std::chrono::seconds(seconds));
    return context;
  }

  std::string ActiveDigest() {
    v1::ListRuleSetsResponse list;
    EXPECT_TRUE(rulesets_->List(Context().get(), {}, &list).ok());
    return list.active_digest();
  }

  std::string dir_, rules_dir_;
  std::unique_ptr<ServerProcess> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::RiskAssessment::Stub> assess_;
  std::unique_ptr<v1::RuleSets::Stub> rulesets_;
};

}  // namespace lantern::testing

#endif  // LANTERN_TESTS_TESTING_SERVE_FIXTURE_H_
