// Integration tests of `lantern serve`: the real binary on port 0, called
// with the generated C++ stubs (and a generic stub for health checking).
// Every RPC and every error path the service promises.
#include <signal.h>

#include <future>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/unknown_field_set.h"
#include "grpcpp/generic/generic_stub.h"
#include "gtest/gtest.h"
#include "tests/testing/serve_fixture.h"

namespace lantern::testing {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::SizeIs;

TEST_F(ServeTest, AssessNamesTheActiveDigestAndFiresRules) {
  StartServer();
  v1::Assessment answer;
  grpc::Status status =
      assess_->Assess(Context().get(), GiftsRequest(), &answer);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(answer.ruleset().digest(), ActiveDigest());
  EXPECT_EQ(answer.ruleset().id(), "lantern.service_test");
  EXPECT_EQ(answer.ruleset().version(), "1");
  EXPECT_FALSE(answer.decision_id().empty());
  ASSERT_THAT(answer.fired_rules(), SizeIs(1));
  EXPECT_EQ(answer.fired_rules(0).id(), "test.gifts");
  EXPECT_EQ(answer.grade().total_score(), 20);
  EXPECT_EQ(answer.as_of().seconds(), 1714824000);
}

TEST_F(ServeTest, DecisionIdsDiffer) {
  StartServer();
  v1::Assessment a, b;
  ASSERT_TRUE(assess_->Assess(Context().get(), GiftsRequest(), &a).ok());
  ASSERT_TRUE(assess_->Assess(Context().get(), GiftsRequest(), &b).ok());
  EXPECT_NE(a.decision_id(), b.decision_id());
}

TEST_F(ServeTest, InvalidFactsNameEveryBadFieldPath) {
  StartServer({"--max_narrative_bytes=100", "--max_repeated=5"});
  v1::AssessRequest request = GiftsRequest();
  v1::EpisodeFacts* facts = request.mutable_facts();
  facts->mutable_child()->set_age_years(212);
  facts->mutable_episode()->mutable_reported_at()->set_seconds(1714820000);
  facts->mutable_episode()->mutable_found_at()->set_seconds(1714810000);
  facts->mutable_episode()
      ->mutable_found()
      ->mutable_with()
      ->add_people()
      ->set_age_years(-4);
  facts->add_narratives()->set_text(std::string(101, 'x'));
  for (int i = 0; i < 6; ++i) {
    facts->mutable_episode()->mutable_push_factors()->add_recorded("P");
  }
  v1::Assessment answer;
  grpc::Status status = assess_->Assess(Context().get(), request, &answer);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(
      status.error_message(),
      AllOf(HasSubstr("facts.child.age_years: 212 is out of range"),
            HasSubstr("facts.episode.found_at: 2024-05-04T08:06:40Z "
                      "is before facts.episode.reported_at"),
            HasSubstr("facts.episode.found.with.people[0].age_years: -4"),
            HasSubstr("facts.narratives[0].text: 101 bytes, at most "
                      "100"),
            HasSubstr("facts.episode.push_factors.recorded: 6 elements, at "
                      "most 5")));
}

TEST_F(ServeTest, UnknownIndicatorCodeIsInvalid) {
  StartServer();
  v1::AssessRequest request = GiftsRequest();
  request.mutable_facts()
      ->mutable_episode()
      ->mutable_indicators()
      ->add_recorded("NOT_A_CODE");
  v1::Assessment answer;
  grpc::Status status = assess_->Assess(Context().get(), request, &answer);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(
      status.error_message(),
      HasSubstr("facts.episode.indicators.recorded[1]: 'NOT_A_CODE' is not a "
                "code of TEST_INDICATORS"));
}

TEST_F(ServeTest, MissingFactsAndLongRequestIdAreInvalid) {
  StartServer();
  v1::AssessRequest request;
  request.set_client_request_id(std::string(129, 'r'));
  v1::Assessment answer;
  grpc::Status status = assess_->Assess(Context().get(), request, &answer);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(),
              AllOf(HasSubstr("facts: required"),
                    HasSubstr("client_request_id: 129 bytes")));
}

TEST_F(ServeTest, OversizedMessageIsResourceExhausted) {
  StartServer({"--max_message_bytes=4096"});
  v1::AssessRequest request = GiftsRequest();
  request.mutable_facts()->add_narratives()->set_text(std::string(8192, 'x'));
  v1::Assessment answer;
  grpc::Status status = assess_->Assess(Context().get(), request, &answer);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
}

TEST_F(ServeTest, PinnedVersionsByVersionAndDigest) {
  StartServer();
  const std::string first = ActiveDigest();
  Good("2", 40);
  v1::ActivateRuleSetResponse activated;
  ASSERT_TRUE(rulesets_->Activate(Context().get(), {}, &activated).ok());
  ASSERT_EQ(activated.outcome(), v1::ActivateRuleSetResponse::ACTIVATED);
  for (const std::string& pin : {std::string("1"), first}) {
    v1::AssessRequest request = GiftsRequest();
    request.set_ruleset_version(pin);
    v1::Assessment answer;
    ASSERT_TRUE(assess_->Assess(Context().get(), request, &answer).ok());
    EXPECT_EQ(answer.ruleset().digest(), first);
    EXPECT_EQ(answer.grade().total_score(), 20);
  }
  v1::Assessment unpinned;
  ASSERT_TRUE(assess_->Assess(Context().get(), GiftsRequest(), &unpinned).ok());
  EXPECT_EQ(unpinned.grade().total_score(), 40);
}

TEST_F(ServeTest, UnknownPinnedVersionIsNotFound) {
  StartServer();
  v1::AssessRequest request = GiftsRequest();
  request.set_ruleset_version("sha256:0000");
  v1::Assessment answer;
  grpc::Status status = assess_->Assess(Context().get(), request, &answer);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr("sha256:0000"));
}

TEST_F(ServeTest, ExpiredDeadlineIsDeadlineExceeded) {
  StartServer();
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() -
                       std::chrono::seconds(1));
  v1::Assessment answer;
  EXPECT_EQ(assess_->Assess(&context, GiftsRequest(), &answer).error_code(),
            grpc::StatusCode::DEADLINE_EXCEEDED);
}

TEST_F(ServeTest, AssessStreamAnswersInOrderAndCarriesErrors) {
  StartServer();
  auto context = Context();
  auto stream = assess_->AssessStream(context.get());
  std::vector<v1::AssessRequest> requests(3, GiftsRequest());
  requests[1].set_ruleset_version("no-such-version");
  for (int i = 0; i < 3; ++i) {
    requests[i].set_client_request_id(absl::StrCat("r", i));
    ASSERT_TRUE(stream->Write(requests[i]));
  }
  stream->WritesDone();
  std::vector<v1::AssessStreamResponse> responses;
  v1::AssessStreamResponse response;
  while (stream->Read(&response)) responses.push_back(response);
  ASSERT_TRUE(stream->Finish().ok());
  ASSERT_THAT(responses, SizeIs(3));
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(responses[i].client_request_id(), absl::StrCat("r", i));
    // Progress: the error response counts like an answer.
    EXPECT_EQ(responses[i].requests_answered(), i + 1);
  }
  EXPECT_TRUE(responses[0].has_assessment());
  EXPECT_EQ(responses[1].error().code(),
            static_cast<int>(grpc::StatusCode::NOT_FOUND));
  EXPECT_EQ(responses[2].assessment().fired_rules(0).id(), "test.gifts");
}

TEST_F(ServeTest, ListAndGetShowTheExactFiles) {
  StartServer();
  v1::ListRuleSetsResponse list;
  ASSERT_TRUE(rulesets_->List(Context().get(), {}, &list).ok());
  ASSERT_THAT(list.rulesets(), SizeIs(1));
  EXPECT_TRUE(list.rulesets(0).active());
  EXPECT_EQ(list.rulesets(0).rule_count(), 3);
  EXPECT_EQ(list.rulesets(0).tests_passed(), 3);
  v1::GetRuleSetRequest get;
  get.set_version(list.active_digest());
  v1::GetRuleSetResponse got;
  ASSERT_TRUE(rulesets_->Get(Context().get(), get, &got).ok());
  EXPECT_EQ(got.info().digest(), list.active_digest());
  ASSERT_THAT(got.files(), SizeIs(5));
  EXPECT_EQ(got.files(1).path(), "manifest.yaml");
  EXPECT_EQ(got.files(1).content(), Original("manifest.yaml"));
  get.set_version("9.9.9");
  EXPECT_EQ(rulesets_->Get(Context().get(), get, &got).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

v1::ValidateRuleSetRequest FilesOf(const std::string& dir) {
  v1::ValidateRuleSetRequest request;
  for (const SourceFile& file : ReadTree(dir)) {
    v1::RuleSetFile* f = request.add_files();
    f->set_path(file.path);
    f->set_content(file.content);
  }
  return request;
}

TEST_F(ServeTest, ValidateReportsWithoutActivating) {
  StartServer();
  const std::string active = ActiveDigest();
  Good("2", 40);
  v1::ValidateRuleSetResponse good;
  ASSERT_TRUE(
      rulesets_->Validate(Context().get(), FilesOf(rules_dir_), &good).ok());
  EXPECT_TRUE(good.passed());
  EXPECT_EQ(good.tests().passed(), 3);
  EXPECT_NE(good.digest(), active);
  BrokenSyntax();
  v1::ValidateRuleSetResponse broken;
  ASSERT_TRUE(
      rulesets_->Validate(Context().get(), FilesOf(rules_dir_), &broken).ok());
  EXPECT_FALSE(broken.passed());
  ASSERT_FALSE(broken.diagnostics().empty());
  EXPECT_THAT(broken.diagnostics(0).text(),
              HasSubstr("rules/rules.yaml:25:19: error: unknown field"));
  EXPECT_EQ(ActiveDigest(), active);
}

TEST_F(ServeTest, ValidateRejectsBadPaths) {
  StartServer();
  v1::ValidateRuleSetRequest request;
  request.add_files()->set_path("../etc/passwd");
  v1::ValidateRuleSetResponse response;
  grpc::Status status =
      rulesets_->Validate(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("files[0].path"));
}

TEST_F(ServeTest, ActivateRejectsBrokenRulesAndKeepsServing) {
  StartServer();
  const std::string first = ActiveDigest();
  BrokenTests();
  v1::ActivateRuleSetResponse rejected;
  ASSERT_TRUE(rulesets_->Activate(Context().get(), {}, &rejected).ok());
  EXPECT_EQ(rejected.outcome(), v1::ActivateRuleSetResponse::REJECTED);
  EXPECT_EQ(rejected.tests().failed(), 1);
  EXPECT_EQ(rejected.active().digest(), first);
  v1::Assessment answer;
  ASSERT_TRUE(assess_->Assess(Context().get(), GiftsRequest(), &answer).ok());
  EXPECT_EQ(answer.ruleset().digest(), first);
}

TEST_F(ServeTest, ActivateAHeldVersionRollsBack) {
  StartServer();
  const std::string first = ActiveDigest();
  Good("2", 40);
  v1::ActivateRuleSetResponse second;
  ASSERT_TRUE(rulesets_->Activate(Context().get(), {}, &second).ok());
  EXPECT_NE(second.active().digest(), first);
  v1::ActivateRuleSetRequest back;
  back.set_version("1");
  v1::ActivateRuleSetResponse rolled;
  ASSERT_TRUE(rulesets_->Activate(Context().get(), back, &rolled).ok());
  EXPECT_EQ(rolled.active().digest(), first);
  back.set_version("7");
  EXPECT_EQ(rulesets_->Activate(Context().get(), back, &rolled).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(ServeTest, ActivateWithoutRulesDirectoryIsFailedPrecondition) {
  StartServer();
  std::filesystem::remove_all(rules_dir_);
  v1::ActivateRuleSetResponse response;
  grpc::Status status = rulesets_->Activate(Context().get(), {}, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(ServeTest, HealthCheckServes) {
  StartServer();
  grpc::GenericStub stub(channel_);
  grpc::Slice empty(std::string(""));  // HealthCheckRequest{} is zero bytes
  grpc::ByteBuffer request(&empty, 1);
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  auto context = Context();
  stub.UnaryCall(context.get(), "/grpc.health.v1.Health/Check", {}, &request,
                 &response, [&done](grpc::Status s) { done.set_value(s); });
  ASSERT_TRUE(done.get_future().get().ok());
  std::vector<grpc::Slice> slices;
  ASSERT_TRUE(response.Dump(&slices).ok());
  std::string bytes;
  for (const grpc::Slice& s : slices)
    bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  google::protobuf::UnknownFieldSet fields;
  ASSERT_TRUE(fields.ParseFromString(bytes));
  ASSERT_EQ(fields.field_count(), 1);
  EXPECT_EQ(fields.field(0).varint(), 1u);  // SERVING
}

TEST_F(ServeTest, SighupReloadsTheRulesDirectory) {
  StartServer();
  const std::string first = ActiveDigest();
  Good("2", 40);
  server_->Signal(SIGHUP);
  // The reload runs in the background; wait (boundedly) for it to land.
  std::string now = first;
  for (int i = 0; i < 600 && now == first; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    now = ActiveDigest();
  }
  EXPECT_NE(now, first) << server_->log();
  EXPECT_THAT(server_->log(),
              HasSubstr("activated; active: lantern.service_test 2"));
}

TEST_F(ServeTest, SigtermDrainsAndExitsZero) {
  StartServer({"--drain_seconds=1"});
  // A stream left open is a call in flight; the drain ends it.
  auto context = Context();
  auto stream = assess_->AssessStream(context.get());
  ASSERT_TRUE(stream->Write(GiftsRequest()));
  v1::AssessStreamResponse response;
  ASSERT_TRUE(stream->Read(&response));
  server_->Signal(SIGTERM);
  EXPECT_EQ(server_->Wait(), 0);
  EXPECT_THAT(server_->log(), HasSubstr("lantern serve: stopped"));
}

TEST_F(ServeTest, BrokenRulesAtStartExitOne) {
  BrokenSyntax();
  std::string error;
  auto server = ServerProcess::Start(
      LANTERN_BINARY, {"--rules=" + rules_dir_, "--ledger=" + ledger_path()},
      dir_ + "/broken.log", &error);
  EXPECT_EQ(server, nullptr);
  EXPECT_THAT(error, HasSubstr("rules/rules.yaml:25:19: error: unknown field"));
}

}  // namespace
}  // namespace lantern::testing
