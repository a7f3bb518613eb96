// `lantern serve` over mutual TLS with roles (issue 12), against the real
// binary: certificates made at test time (tests/testing/test_certificates.h),
// an access file, and clients with each role's certificate.
#include <signal.h>

#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "lantern/v1/audit.grpc.pb.h"
#include "lantern/v1/service.grpc.pb.h"
#include "nlohmann/json.hpp"
#include "server/ledger/verifier.h"
#include "tests/testing/server_process.h"
#include "tests/testing/test_certificates.h"
#include "tests/testing/test_data.h"

namespace lantern::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// The port of the metrics listener, from serve's line after the listening
// line (0 when it is not there).
int MetricsPort(ServerProcess& server) {
  const std::string line = server.ReadLine();
  const std::string prefix = "lantern serve: metrics on 127.0.0.1:";
  int port = 0;
  if (line.rfind(prefix, 0) != 0 ||
      !absl::SimpleAtoi(line.substr(prefix.size()), &port)) {
    ADD_FAILURE() << "no metrics line: '" << line << "'";
  }
  return port;
}

// GET /status on the metrics listener, parsed (null on any failure).
nlohmann::json Status(int port) {
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(60, 0);
  httplib::Result result = client.Get("/status");
  EXPECT_TRUE(result) << httplib::to_string(result.error());
  if (!result) return nullptr;
  EXPECT_EQ(result->status, 200);
  EXPECT_THAT(result->get_header_value("Content-Type"),
              StartsWith("application/json"));
  return nlohmann::json::parse(result->body, nullptr, false);
}

// Asks /status until `key` of its reloads is not null (a safety net for
// the reload running on the server's threads, not a timing assertion).
nlohmann::json StatusAfterReload(int port, const std::string& key) {
  nlohmann::json status;
  for (int i = 0; i < 600; ++i) {
    status = Status(port);
    if (status.is_object() && !status["reloads"][key].is_null()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return status;
}

constexpr char kAccess[] =
    "principals:\n"
    "  spiffe://lantern.test/assessor: [assessor]\n"
    "  spiffe://lantern.test/assessor2: [assessor]\n"
    "  author.lantern.test: [rule_author]\n"
    "  admin: [ruleset_admin]\n"
    "  spiffe://lantern.test/auditor: [auditor]\n"
    "  spiffe://lantern.test/dpo: [data_officer]\n";

// Who each test client is: how its certificate names it.
struct Client {
  std::string role;  // the one role the access file gives it; "" none
  LeafSpec spec;
};

const std::vector<Client>& Clients() {
  static const auto* clients = new std::vector<Client>{
      {"assessor", {"", "spiffe://lantern.test/assessor"}},
      {"rule_author", {"", "", "author.lantern.test"}},  // SAN DNS only
      {"ruleset_admin", {"admin"}},                      // CN only
      {"auditor", {"auditor-cn", "spiffe://lantern.test/auditor"}},
      {"data_officer", {"", "spiffe://lantern.test/dpo"}},
      {"", {"", "spiffe://lantern.test/nobody"}},
  };
  return *clients;
}

class ServeTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = ::testing::TempDir() + "/lantern_tls_XXXXXX";
    ASSERT_NE(mkdtemp(templ.data()), nullptr);
    dir_ = templ;
    rules_dir_ = dir_ + "/rules";
    std::filesystem::copy(TestDataPath("rulesets/service"), rules_dir_,
                          std::filesystem::copy_options::recursive);
    LeafSpec server{"localhost", "", "localhost", "127.0.0.1"};
    server.server = true;
    const Pem pem = ca_.Issue(server);
    WritePemFile(dir_ + "/server.pem", pem.cert);
    WritePemFile(dir_ + "/server.key", pem.key);
    WritePemFile(dir_ + "/ca.pem", ca_.cert_pem());
    WritePemFile(dir_ + "/access.yaml", kAccess);
    for (const Client& c : Clients()) certs_[Name(c)] = ca_.Issue(c.spec);
  }

  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(dir_);
  }

  static std::string Name(const Client& c) {
    return c.role.empty() ? "nobody" : c.role;
  }

  std::vector<std::string> TlsFlags() const {
    return {"--rules=" + rules_dir_,
            "--ledger=" + dir_ + "/ledger.db",
            "--tls_cert=" + dir_ + "/server.pem",
            "--tls_key=" + dir_ + "/server.key",
            "--client_ca=" + dir_ + "/ca.pem",
            "--access=" + dir_ + "/access.yaml"};
  }

  void Start() {
    std::string error;
    server_ = ServerProcess::Start(LANTERN_BINARY, TlsFlags(),
                                   dir_ + "/server.log", &error);
    ASSERT_NE(server_, nullptr) << error;
  }

  // A channel presenting `client` (no client certificate when null),
  // trusting `ca` for the server.
  std::shared_ptr<grpc::Channel> Channel(const Pem* client,
                                         const std::string& ca_pem) const {
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = ca_pem;
    if (client != nullptr) {
      options.pem_private_key = client->key;
      options.pem_cert_chain = client->cert;
    }
    grpc::ChannelArguments args;
    args.SetSslTargetNameOverride("localhost");
    return grpc::CreateCustomChannel(server_->address(),
                                     grpc::SslCredentials(options), args);
  }
  std::shared_ptr<grpc::Channel> As(const std::string& name) const {
    return Channel(&certs_.at(name), ca_.cert_pem());
  }

  static std::unique_ptr<grpc::ClientContext> Context(int seconds = 30) {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() +
                          std::chrono::seconds(seconds));
    return context;
  }

  static v1::AssessRequest Episode() {
    v1::AssessRequest request;
    request.mutable_facts()->mutable_child()->set_age_years(15);
    request.mutable_facts()->mutable_child()->set_reference("CHILD-REF-9");
    request.mutable_facts()->add_narratives()->set_text(
        "seen getting into a car with an older man");
    request.mutable_facts()
        ->mutable_episode()
        ->mutable_indicators()
        ->add_recorded("UNEXPLAINED_MONEY_OR_GIFTS");
    request.mutable_as_of()->set_seconds(1714824000);
    return request;
  }

  // A decision made by `who`.
  std::string Assess(const std::string& who) {
    v1::Assessment answer;
    grpc::Status status = v1::RiskAssessment::NewStub(As(who))->Assess(
        Context().get(), Episode(), &answer);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return answer.decision_id();
  }

  grpc::Status GetDecision(const std::string& who, const std::string& id,
                           const std::string& purpose,
                           v1::GetDecisionResponse* response) {
    v1::GetDecisionRequest request;
    request.set_decision_id(id);
    request.set_purpose(purpose);
    return v1::Audit::NewStub(As(who))->GetDecision(Context().get(), request,
                                                    response);
  }

  std::vector<v1::AccessRecord> AccessLog() {
    std::vector<v1::AccessRecord> records;
    v1::ListAccessRequest request;
    request.set_page_size(2);  // several pages
    for (;;) {
      v1::ListAccessResponse page;
      grpc::Status status = v1::Audit::NewStub(As("data_officer"))
                                ->ListAccess(Context().get(), request, &page);
      EXPECT_TRUE(status.ok()) << status.error_message();
      if (!status.ok()) return records;
      records.insert(records.end(), page.records().begin(),
                     page.records().end());
      if (page.next_page_token().empty()) return records;
      request.set_page_token(page.next_page_token());
    }
  }

  // Waits (boundedly: a safety net, not a timing assertion) until the
  // server's log contains `text`.
  bool LogSays(const std::string& text) {
    for (int i = 0; i < 600; ++i) {
      if (server_->log().find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  TestCa ca_{"Lantern test CA"};
  std::map<std::string, Pem> certs_;
  std::string dir_, rules_dir_;
  std::unique_ptr<ServerProcess> server_;
};

// The health service answers anyone with a good certificate; used to see
// whether a handshake succeeds.
grpc::Status Ping(const std::shared_ptr<grpc::Channel>& channel) {
  v1::GetTreeHeadRequest request;
  v1::GetTreeHeadResponse response;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(10));
  return v1::Audit::NewStub(channel)->GetTreeHead(&context, request, &response);
}

TEST_F(ServeTlsTest, HandshakeNeedsACertificateFromTheClientCa) {
  Start();
  EXPECT_TRUE(Ping(As("auditor")).ok());  // the control: a good one works
  EXPECT_EQ(Ping(Channel(nullptr, ca_.cert_pem())).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  TestCa other("Another CA");
  const Pem stranger = other.Issue({"", "spiffe://lantern.test/auditor"});
  EXPECT_EQ(Ping(Channel(&stranger, ca_.cert_pem())).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  LeafSpec expired{"", "spiffe://lantern.test/auditor"};
  expired.not_before_seconds = -2 * 86400;
  expired.not_after_seconds = -86400;
  const Pem old = ca_.Issue(expired);
  EXPECT_EQ(Ping(Channel(&old, ca_.cert_pem())).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

// The issue's matrix, written out here independently of the server's table.
const std::map<std::string, std::set<std::string>>& Matrix() {
  static const auto* matrix = new std::map<std::string, std::set<std::string>>{
      {"/lantern.v1.RiskAssessment/Assess", {"assessor"}},
      {"/lantern.v1.RiskAssessment/AssessStream", {"assessor"}},
      {"/lantern.v1.RuleSets/List", {"rule_author", "ruleset_admin"}},
      {"/lantern.v1.RuleSets/Get", {"rule_author", "ruleset_admin"}},
      {"/lantern.v1.RuleSets/Validate", {"rule_author", "ruleset_admin"}},
      {"/lantern.v1.RuleSets/Activate", {"ruleset_admin"}},
      {"/lantern.v1.RuleSets/Propose", {"rule_author", "ruleset_admin"}},
      {"/lantern.v1.RuleSets/Shadow", {"ruleset_admin"}},
      {"/lantern.v1.Audit/GetDecision",
       {"auditor", "data_officer", "assessor"}},
      {"/lantern.v1.Audit/ListDecisions", {"auditor", "data_officer"}},
      {"/lantern.v1.Audit/Replay", {"auditor", "data_officer"}},
      {"/lantern.v1.Audit/WhatIf", {"auditor", "data_officer"}},
      {"/lantern.v1.Audit/Backtest", {"auditor", "data_officer"}},
      {"/lantern.v1.Audit/GetTreeHead", {"auditor", "data_officer"}},
      {"/lantern.v1.Audit/GetInclusionProof", {"auditor", "data_officer"}},
      {"/lantern.v1.Audit/GetConsistencyProof", {"auditor", "data_officer"}},
      {"/lantern.v1.Audit/ListAccess", {"data_officer"}},
      {"/lantern.v1.Audit/ListActivations", {"auditor", "data_officer"}},
      {"/lantern.v1.Audit/ListLinkedDecisions", {"auditor", "data_officer"}},
      {"/lantern.v1.Audit/GetShadowReport",
       {"auditor", "rule_author", "ruleset_admin"}},
  };
  return *matrix;
}

// Calls `method` with an empty request (streams: opens, half-closes and
// reads to the end) and returns the status.
grpc::Status CallEmpty(const std::shared_ptr<grpc::Channel>& channel,
                       const std::string& method, bool client_streams,
                       bool server_streams) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(30));
  grpc::CompletionQueue cq;
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call =
      stub.PrepareCall(&context, method, &cq);
  void* tag = nullptr;
  bool ok = false;
  call->StartCall(reinterpret_cast<void*>(1));
  cq.Next(&tag, &ok);
  if (!client_streams) {
    grpc::ByteBuffer empty;
    grpc::Slice slice("", 0);
    empty = grpc::ByteBuffer(&slice, 1);
    call->Write(empty, reinterpret_cast<void*>(2));
    cq.Next(&tag, &ok);
  }
  call->WritesDone(reinterpret_cast<void*>(3));
  cq.Next(&tag, &ok);
  for (;;) {
    grpc::ByteBuffer reply;
    call->Read(&reply, reinterpret_cast<void*>(4));
    cq.Next(&tag, &ok);
    if (!ok) break;
  }
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(5));
  cq.Next(&tag, &ok);
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  (void)server_streams;
  return status;
}

TEST_F(ServeTlsTest, EveryRpcForEveryRoleIsLetInOrRefusedNamingTheRole) {
  Start();
  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  std::set<std::string> seen;
  for (const char* service_name : {"lantern.v1.RiskAssessment",
                                   "lantern.v1.RuleSets", "lantern.v1.Audit"}) {
    const google::protobuf::ServiceDescriptor* service =
        pool->FindServiceByName(service_name);
    ASSERT_NE(service, nullptr);
    for (int i = 0; i < service->method_count(); ++i) {
      const google::protobuf::MethodDescriptor* m = service->method(i);
      const std::string method =
          absl::StrCat("/", service_name, "/", m->name());
      seen.insert(method);
      ASSERT_EQ(Matrix().count(method), 1u) << method << " not in the matrix";
      const std::set<std::string>& allowed = Matrix().at(method);
      for (const Client& c : Clients()) {
        const grpc::Status status = CallEmpty(
            As(Name(c)), method, m->client_streaming(), m->server_streaming());
        if (allowed.count(c.role) > 0) {
          EXPECT_NE(status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
              << method << " as " << Name(c) << ": " << status.error_message();
          EXPECT_NE(status.error_code(), grpc::StatusCode::UNAUTHENTICATED)
              << method << " as " << Name(c);
        } else {
          EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
              << method << " as " << Name(c);
          EXPECT_THAT(status.error_message(),
                      HasSubstr(absl::StrCat(method, " needs the role ")))
              << method << " as " << Name(c);
          for (const std::string& role : allowed) {
            EXPECT_THAT(status.error_message(), HasSubstr(role))
                << method << " as " << Name(c);
          }
        }
      }
    }
  }
  EXPECT_EQ(seen.size(), Matrix().size());
}

TEST_F(ServeTlsTest, AuditorSeesNoPersonalDataAndDataOfficerSeesIt) {
  Start();
  const std::string id = Assess("assessor");
  v1::GetDecisionResponse stripped, full;
  ASSERT_TRUE(GetDecision("auditor", id, "quality review", &stripped).ok());
  ASSERT_TRUE(
      GetDecision("data_officer", id, "subject access request", &full).ok());
  EXPECT_EQ(full.decision().facts().child().reference(), "CHILD-REF-9");
  EXPECT_FALSE(stripped.decision().has_facts());
  EXPECT_EQ(stripped.decision().decision_id(), id);
  EXPECT_EQ(stripped.decision().assessment().grade().grade(),
            full.decision().assessment().grade().grade());
  const std::string text = stripped.DebugString();
  for (const char* secret : {"CHILD-REF-9", "older man"}) {
    EXPECT_EQ(text.find(secret), std::string::npos) << secret;
  }
  // The codes recorded about the child go; the rule's own condition text
  // (the ruleset's, quoting the code it looks for) stays.
  EXPECT_GT(full.decision().assessment().indicators_size(), 0);
  EXPECT_EQ(stripped.decision().assessment().indicators_size(), 0);
  ASSERT_GT(full.decision().assessment().fired_rules_size(), 0);
  const v1::Evidence& evidence =
      stripped.decision().assessment().fired_rules(0).evidence(0);
  EXPECT_EQ(
      evidence.condition(),
      full.decision().assessment().fired_rules(0).evidence(0).condition());
  ASSERT_GT(evidence.facts_size(), 0);
  EXPECT_EQ(evidence.facts(0).value(), "");
  EXPECT_NE(
      full.decision().assessment().fired_rules(0).evidence(0).facts(0).value(),
      "");
}

TEST_F(ServeTlsTest, LinkedDecisionsAreReadByRoleAndLogged) {
  Start();
  v1::AssessRequest request = Episode();
  v1::Episode& episode = *request.mutable_facts()->mutable_episode();
  episode.set_reference("EPISODE-REF-1");
  episode.mutable_reported_at()->set_seconds(1714800000);
  episode.mutable_found()->mutable_place()->set_reference("PLACE-REF-7");
  v1::Assessment answer;
  ASSERT_TRUE(v1::RiskAssessment::NewStub(As("assessor"))
                  ->Assess(Context().get(), request, &answer)
                  .ok());
  v1::ListLinkedDecisionsRequest linked;
  linked.set_place_reference("PLACE-REF-7");
  linked.set_purpose("disruption planning");
  v1::ListLinkedDecisionsResponse stripped, full;
  ASSERT_TRUE(v1::Audit::NewStub(As("auditor"))
                  ->ListLinkedDecisions(Context().get(), linked, &stripped)
                  .ok());
  ASSERT_TRUE(v1::Audit::NewStub(As("data_officer"))
                  ->ListLinkedDecisions(Context().get(), linked, &full)
                  .ok());
  ASSERT_EQ(full.decisions_size(), 1);
  ASSERT_EQ(stripped.decisions_size(), 1);
  EXPECT_EQ(full.decisions(0).decision_id(), answer.decision_id());
  EXPECT_EQ(full.decisions(0).facts().child().reference(), "CHILD-REF-9");
  EXPECT_EQ(stripped.decisions(0).decision_id(), answer.decision_id());
  EXPECT_FALSE(stripped.decisions(0).has_facts());
  const std::string text = stripped.DebugString();
  for (const char* secret : {"CHILD-REF-9", "older man", "PLACE-REF-7"}) {
    EXPECT_EQ(text.find(secret), std::string::npos) << secret;
  }
  // The assessor may not list them.
  v1::ListLinkedDecisionsResponse refused;
  EXPECT_EQ(v1::Audit::NewStub(As("assessor"))
                ->ListLinkedDecisions(Context().get(), linked, &refused)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  int logged = 0;
  for (const v1::AccessRecord& r : AccessLog()) {
    if (r.method() != "/lantern.v1.Audit/ListLinkedDecisions" ||
        r.code() != 0) {
      continue;
    }
    ++logged;
    EXPECT_EQ(r.purpose(), "disruption planning");
    ASSERT_EQ(r.decision_ids_size(), 1);
    EXPECT_EQ(r.decision_ids(0), answer.decision_id());
    EXPECT_EQ(r.personal_data_removed(),
              r.principal() == "spiffe://lantern.test/auditor")
        << r.principal();
  }
  EXPECT_EQ(logged, 2);
}

TEST_F(ServeTlsTest, ReadsWithoutAPurposeAreRefused) {
  Start();
  const std::string id = Assess("assessor");
  auto audit = v1::Audit::NewStub(As("data_officer"));
  v1::GetDecisionResponse decision;
  EXPECT_EQ(GetDecision("data_officer", id, "", &decision).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(GetDecision("data_officer", id, "   ", &decision).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(GetDecision("data_officer", id, std::string(501, 'x'), &decision)
                .error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  v1::ListDecisionsResponse list;
  EXPECT_EQ(audit->ListDecisions(Context().get(), {}, &list).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  v1::ReplayRequest replay;
  replay.set_decision_id(id);
  v1::ReplayResponse replayed;
  grpc::Status status = audit->Replay(Context().get(), replay, &replayed);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("purpose: required"));
  v1::WhatIfRequest what_if;
  what_if.set_decision_id(id);
  v1::WhatIfResponse what;
  EXPECT_EQ(audit->WhatIf(Context().get(), what_if, &what).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  v1::GetInclusionProofRequest proof;
  proof.set_decision_id(id);
  v1::GetInclusionProofResponse proved;
  EXPECT_EQ(
      audit->GetInclusionProof(Context().get(), proof, &proved).error_code(),
      grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(GetDecision("data_officer", id, "review", &decision).ok());
}

TEST_F(ServeTlsTest, AnAssessorReadsBackOnlyItsOwnDecisions) {
  Start();
  const std::string mine = Assess("assessor");
  certs_["assessor2"] = ca_.Issue({"", "spiffe://lantern.test/assessor2"});
  const std::string theirs = Assess("assessor2");
  v1::GetDecisionResponse response;
  EXPECT_TRUE(GetDecision("assessor", mine, "follow-up", &response).ok());
  EXPECT_EQ(response.decision().principal(), "spiffe://lantern.test/assessor");
  EXPECT_EQ(response.decision().facts().child().reference(), "CHILD-REF-9");
  grpc::Status status = GetDecision("assessor", theirs, "follow-up", &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(), HasSubstr("only the decisions it made"));
}

// Two-person activation over real mTLS principals: the admin may not
// activate its own proposal; the same files proposed by the rule author
// the admin may.
TEST_F(ServeTlsTest, TwoPersonActivationRefusesASelfApproval) {
  Start();
  EXPECT_TRUE(LogSays("two-person activation"));
  v1::ProposeRuleSetRequest proposal;
  for (const SourceFile& f : ReadTree(rules_dir_)) {
    v1::RuleSetFile* file = proposal.add_files();
    file->set_path(f.path);
    file->set_content(
        f.path == "rules/rules.yaml"
            ? absl::StrReplaceAll(f.content, {{"score: 20", "score: 40"}})
            : f.content);
  }
  auto admin = v1::RuleSets::NewStub(As("ruleset_admin"));
  auto author = v1::RuleSets::NewStub(As("rule_author"));
  v1::ProposeRuleSetResponse proposed;
  grpc::Status status = admin->Propose(Context().get(), proposal, &proposed);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_TRUE(proposed.proposed()) << proposed.DebugString();
  EXPECT_EQ(proposed.proposed_by(), "admin");
  // test.gifts at 40 instead of 20 moves CSE from AT_RISK to MEDIUM.
  EXPECT_FALSE(proposed.differences().empty()) << proposed.DebugString();
  const std::string before = [&] {
    v1::ListRuleSetsResponse list;
    EXPECT_TRUE(admin->List(Context().get(), {}, &list).ok());
    return list.active_digest();
  }();

  v1::ActivateRuleSetRequest activate;
  activate.set_version(proposed.digest());
  v1::ActivateRuleSetResponse activated;
  status = admin->Activate(Context().get(), activate, &activated);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(),
              HasSubstr("two-person activation: admin proposed"));
  v1::ListRuleSetsResponse list;
  ASSERT_TRUE(admin->List(Context().get(), {}, &list).ok());
  EXPECT_EQ(list.active_digest(), before);

  status = author->Propose(Context().get(), proposal, &proposed);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(proposed.proposed_by(), "author.lantern.test");
  // The author cannot activate at all (no ruleset_admin role) ...
  EXPECT_EQ(
      author->Activate(Context().get(), activate, &activated).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  // ... and the admin may activate the author's proposal.
  status = admin->Activate(Context().get(), activate, &activated);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(activated.outcome(), v1::ActivateRuleSetResponse::ACTIVATED);
  EXPECT_EQ(activated.active().digest(), proposed.digest());
}

TEST_F(ServeTlsTest, ProposalsSurviveARestart) {
  Start();
  // Two proposals: the author's (test.gifts at 40) and the admin's (30).
  auto propose = [&](const std::string& who, const std::string& score) {
    v1::ProposeRuleSetRequest request;
    for (const SourceFile& f : ReadTree(rules_dir_)) {
      v1::RuleSetFile* file = request.add_files();
      file->set_path(f.path);
      file->set_content(
          f.path == "rules/rules.yaml"
              ? absl::StrReplaceAll(f.content, {{"score: 20", score}})
              : f.content);
    }
    v1::ProposeRuleSetResponse proposed;
    grpc::Status status = v1::RuleSets::NewStub(As(who))->Propose(
        Context().get(), request, &proposed);
    EXPECT_TRUE(status.ok()) << status.error_message();
    EXPECT_TRUE(proposed.proposed()) << proposed.DebugString();
    return proposed.digest();
  };
  const std::string authors = propose("rule_author", "score: 40");
  const std::string admins = propose("ruleset_admin", "score: 30");
  ASSERT_NE(authors, admins);
  server_->Signal(SIGTERM);
  ASSERT_EQ(server_->Wait(), 0) << server_->log();
  Start();
  EXPECT_TRUE(LogSays(
      absl::StrCat("pending proposal ", authors, " by author.lantern.test")));

  auto admin = v1::RuleSets::NewStub(As("ruleset_admin"));
  v1::ActivateRuleSetRequest activate;
  v1::ActivateRuleSetResponse activated;
  // The restarted server still knows who proposed what: the admin may not
  // approve its own proposal ...
  activate.set_version(admins);
  grpc::Status status = admin->Activate(Context().get(), activate, &activated);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(),
              HasSubstr("two-person activation: admin proposed"));
  // ... but activates the author's, made before the restart.
  activate.set_version(authors);
  status = admin->Activate(Context().get(), activate, &activated);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(activated.outcome(), v1::ActivateRuleSetResponse::ACTIVATED);
  EXPECT_EQ(activated.active().digest(), authors);
  v1::ListActivationsResponse list;
  ASSERT_TRUE(v1::Audit::NewStub(As("auditor"))
                  ->ListActivations(Context().get(), {}, &list)
                  .ok());
  ASSERT_GT(list.activations_size(), 0);
  const v1::ActivationRecord& last =
      list.activations(list.activations_size() - 1);
  EXPECT_EQ(last.ruleset_digest(), authors);
  EXPECT_EQ(last.outcome(), v1::ActivationRecord::ACTIVATED);
  EXPECT_EQ(last.activated_by(), "admin");
  EXPECT_EQ(last.proposed_by(), "author.lantern.test");
}

TEST_F(ServeTlsTest, AccessRecordsForReadsActivationsAndRefusalsVerify) {
  Start();
  const std::string id = Assess("assessor");
  v1::GetDecisionResponse response;
  ASSERT_TRUE(GetDecision("auditor", id, "case review 12", &response).ok());
  v1::ActivateRuleSetResponse activated;
  ASSERT_TRUE(v1::RuleSets::NewStub(As("ruleset_admin"))
                  ->Activate(Context().get(), {}, &activated)
                  .ok());
  v1::ListRuleSetsResponse list;
  EXPECT_EQ(v1::RuleSets::NewStub(As("nobody"))
                ->List(Context().get(), {}, &list)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(GetDecision("data_officer", id, "", &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  std::vector<v1::AccessRecord> log;
  auto find = [&](const std::string& method, int code) {
    for (const v1::AccessRecord& r : log) {
      if (r.method() == method && r.code() == code) return &r;
    }
    return static_cast<const v1::AccessRecord*>(nullptr);
  };
  // A refusal's record is appended without the refused call waiting for
  // it (access_control.h), so it may land just after the refusal: read
  // the log again until it is there (bounded; a safety net, not a timing
  // assertion).
  for (int i = 0; i < 600; ++i) {
    log = AccessLog();
    if (find("/lantern.v1.RuleSets/List",
             grpc::StatusCode::PERMISSION_DENIED) != nullptr &&
        find("/lantern.v1.Audit/GetDecision",
             grpc::StatusCode::INVALID_ARGUMENT) != nullptr) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const v1::AccessRecord* read = find("/lantern.v1.Audit/GetDecision", 0);
  ASSERT_NE(read, nullptr);
  EXPECT_EQ(read->principal(), "spiffe://lantern.test/auditor");
  EXPECT_EQ(read->purpose(), "case review 12");
  ASSERT_EQ(read->decision_ids_size(), 1);
  EXPECT_EQ(read->decision_ids(0), id);
  EXPECT_TRUE(read->personal_data_removed());
  EXPECT_TRUE(read->has_accessed_at());
  const v1::AccessRecord* activation = find("/lantern.v1.RuleSets/Activate", 0);
  ASSERT_NE(activation, nullptr);
  EXPECT_EQ(activation->principal(), "admin");
  EXPECT_THAT(activation->subject(), HasSubstr("ACTIVATED"));
  const v1::AccessRecord* refused =
      find("/lantern.v1.RuleSets/List", grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_NE(refused, nullptr);
  EXPECT_EQ(refused->principal(), "spiffe://lantern.test/nobody");
  const v1::AccessRecord* no_purpose =
      find("/lantern.v1.Audit/GetDecision", grpc::StatusCode::INVALID_ARGUMENT);
  ASSERT_NE(no_purpose, nullptr);
  EXPECT_EQ(no_purpose->principal(), "spiffe://lantern.test/dpo");

  server_->Signal(SIGTERM);
  EXPECT_EQ(server_->Wait(), 0);
  absl::StatusOr<ledger::VerifyReport> report =
      ledger::VerifyLedger(dir_ + "/ledger.db", "");
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->ok()) << report->problems.front();
  EXPECT_GE(report->access_records, 4u);
  EXPECT_EQ(report->decisions, 1u);
}

TEST_F(ServeTlsTest, SighupWithABrokenAccessFileKeepsTheOldOne) {
  Start();
  const std::string id = Assess("assessor");
  EXPECT_FALSE(id.empty());
  WritePemFile(dir_ + "/access.yaml",
               "principals:\n  spiffe://lantern.test/nobody: [superuser]\n");
  server_->Signal(SIGHUP);
  ASSERT_TRUE(LogSays("access file kept as it was"));
  EXPECT_THAT(server_->log(),
              HasSubstr("access.yaml:2:34: error: unknown role 'superuser'"));
  EXPECT_FALSE(Assess("assessor").empty());  // still the old policy
  v1::Assessment answer;
  EXPECT_EQ(v1::RiskAssessment::NewStub(As("nobody"))
                ->Assess(Context().get(), Episode(), &answer)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // A good file takes effect.
  WritePemFile(dir_ + "/access.yaml",
               "principals:\n  spiffe://lantern.test/nobody: [assessor]\n");
  server_->Signal(SIGHUP);
  ASSERT_TRUE(LogSays("access file " + dir_ + "/access.yaml: 1 principals"));
  EXPECT_TRUE(v1::RiskAssessment::NewStub(As("nobody"))
                  ->Assess(Context().get(), Episode(), &answer)
                  .ok());
  EXPECT_EQ(v1::RiskAssessment::NewStub(As("assessor"))
                ->Assess(Context().get(), Episode(), &answer)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(ServeTlsTest, StatusSaysWhyAReloadKeptTheOldConfiguration) {
  Start();
  const int port = MetricsPort(*server_);
  nlohmann::json status = Status(port);
  ASSERT_TRUE(status.is_object());
  EXPECT_EQ(status["transport"], "mutual_tls");
  EXPECT_EQ(status["warnings"], nlohmann::json::array());
  EXPECT_TRUE(status["reloads"]["access_file"].is_null());
  // The digest is the one answers carry.
  v1::Assessment answer;
  ASSERT_TRUE(v1::RiskAssessment::NewStub(As("assessor"))
                  ->Assess(Context().get(), Episode(), &answer)
                  .ok());
  EXPECT_EQ(status["active_ruleset"]["digest"], answer.ruleset().digest());
  EXPECT_EQ(status["active_ruleset"]["version"], answer.ruleset().version());

  // A broken access file and a rules directory that no longer loads.
  WritePemFile(dir_ + "/access.yaml",
               "principals:\n  spiffe://lantern.test/nobody: [superuser]\n");
  WritePemFile(rules_dir_ + "/rules/broken.yaml", "rules: [\n");
  server_->Signal(SIGHUP);
  status = StatusAfterReload(port, "rules");
  ASSERT_TRUE(status.is_object());
  const nlohmann::json& access = status["reloads"]["access_file"];
  ASSERT_TRUE(access.is_object()) << status.dump(2);
  EXPECT_EQ(access["ok"], false);
  EXPECT_THAT(access["detail"].get<std::string>(),
              HasSubstr("access.yaml:2:34: error: unknown role 'superuser'"));
  EXPECT_THAT(access["at"].get<std::string>(), StartsWith("20"));
  EXPECT_EQ(status["reloads"]["certificates"]["ok"], true);
  const nlohmann::json& rules = status["reloads"]["rules"];
  EXPECT_EQ(rules["ok"], false) << status.dump(2);
  EXPECT_THAT(rules["detail"].get<std::string>(), HasSubstr("broken.yaml"));
  EXPECT_EQ(status["active_ruleset"]["digest"], answer.ruleset().digest());

  // Mended: the next reload says so.
  WritePemFile(dir_ + "/access.yaml", kAccess);
  std::filesystem::remove(rules_dir_ + "/rules/broken.yaml");
  server_->Signal(SIGHUP);
  for (int i = 0; i < 600; ++i) {
    status = Status(port);
    if (status.is_object() && status["reloads"]["rules"]["ok"] == true &&
        status["reloads"]["access_file"]["ok"] == true) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(status["reloads"]["access_file"]["ok"], true) << status.dump(2);
  EXPECT_THAT(status["reloads"]["access_file"]["detail"].get<std::string>(),
              HasSubstr("6 principals"));
  EXPECT_EQ(status["reloads"]["rules"]["ok"], true) << status.dump(2);
}

// The TLS settings as keys of a configuration file, with no TLS flag.
TEST_F(ServeTlsTest, TlsSettingsFromTheConfigurationFileAlone) {
  WritePemFile(dir_ + "/lantern.yaml",
               absl::StrCat("rules: ", rules_dir_, "\n",          //
                            "ledger: ", dir_, "/ledger.db\n",     //
                            "tls_cert: ", dir_, "/server.pem\n",  //
                            "tls_key: ", dir_, "/server.key\n",   //
                            "client_ca: ", dir_, "/ca.pem\n",     //
                            "access: ", dir_, "/access.yaml\n"));
  std::string error;
  server_ = ServerProcess::Start(LANTERN_BINARY,
                                 {"--config=" + dir_ + "/lantern.yaml"},
                                 dir_ + "/server.log", &error);
  ASSERT_NE(server_, nullptr) << error;
  EXPECT_TRUE(LogSays("mutual TLS; client certificates verified against " +
                      dir_ + "/ca.pem; 6 principals in " + dir_ +
                      "/access.yaml"))
      << server_->log();
  v1::Assessment answer;
  EXPECT_TRUE(v1::RiskAssessment::NewStub(As("assessor"))
                  ->Assess(Context().get(), Episode(), &answer)
                  .ok());
  // The access file's roles apply: a known principal without the role.
  EXPECT_EQ(v1::RiskAssessment::NewStub(As("auditor"))
                ->Assess(Context().get(), Episode(), &answer)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // No client certificate: the handshake fails.
  EXPECT_EQ(v1::RiskAssessment::NewStub(Channel(nullptr, ca_.cert_pem()))
                ->Assess(Context().get(), Episode(), &answer)
                .error_code(),
            grpc::StatusCode::UNAVAILABLE);
  // Nor does a plain-text client get in.
  EXPECT_EQ(v1::RiskAssessment::NewStub(
                grpc::CreateChannel(server_->address(),
                                    grpc::InsecureChannelCredentials()))
                ->Assess(Context().get(), Episode(), &answer)
                .error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_F(ServeTlsTest, SighupSwapsCertificatesAndKeepsThemWhenBroken) {
  Start();
  // A broken key file: refused, and the old certificates keep serving.
  WritePemFile(dir_ + "/server.key", "not a key");
  server_->Signal(SIGHUP);
  ASSERT_TRUE(LogSays("certificates kept as they were: --tls_key"));
  EXPECT_TRUE(Ping(As("auditor")).ok());
  // A new client CA: clients of the new CA get in once it is re-read.
  TestCa next("Next CA");
  LeafSpec server{"localhost", "", "localhost", "127.0.0.1"};
  server.server = true;
  const Pem pem = next.Issue(server);
  WritePemFile(dir_ + "/server.pem", pem.cert);
  WritePemFile(dir_ + "/server.key", pem.key);
  WritePemFile(dir_ + "/ca.pem", next.cert_pem());
  server_->Signal(SIGHUP);
  ASSERT_TRUE(LogSays("certificates re-read"));
  const Pem client = next.Issue({"", "spiffe://lantern.test/auditor"});
  bool in = false;
  for (int i = 0; i < 100 && !in; ++i) {  // the watcher reads every second
    in = Ping(Channel(&client, next.cert_pem())).ok();
    if (!in) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_TRUE(in);
}

TEST(ServeTransportFlags, PlainTextOnANonLoopbackAddressIsWarnedWhenAllowed) {
  std::string templ = ::testing::TempDir() + "/lantern_plain_XXXXXX";
  ASSERT_NE(mkdtemp(templ.data()), nullptr);
  std::string error;
  std::unique_ptr<ServerProcess> server = ServerProcess::Start(
      LANTERN_BINARY,
      {"--listen=0.0.0.0:0", "--allow_plaintext_non_loopback",
       "--rules=" + TestDataPath("rulesets/service"),
       "--ledger=" + templ + "/ledger.db"},
      templ + "/server.log", &error);
  ASSERT_NE(server, nullptr) << error;
  const std::string warning =
      "WARNING: --allow_plaintext_non_loopback: plain text on 0.0.0.0:0";
  for (int i = 0; i < 600 && server->log().find(warning) == std::string::npos;
       ++i) {  // printed just after the listening line
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_THAT(server->log(), HasSubstr(warning));
  const nlohmann::json status = Status(MetricsPort(*server));
  ASSERT_TRUE(status.is_object());
  EXPECT_EQ(status["transport"], "plaintext");
  ASSERT_EQ(status["warnings"].size(), 1u) << status.dump(2);
  EXPECT_THAT(status["warnings"][0].get<std::string>(),
              StartsWith("--allow_plaintext_non_loopback: plain text on "
                         "0.0.0.0:0"));
  server.reset();
  std::filesystem::remove_all(templ);
}

}  // namespace
}  // namespace lantern::testing
