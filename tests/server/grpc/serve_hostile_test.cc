// `lantern serve` probed as an attacker or a buggy client would: raw
// request bytes that do not parse, unknown fields, impossible values, long
// echoed values, rulesets that point outside their directory, the files the
// server leaves on the host, and repeated activations. Every test talks to
// the real binary on port 0; the raw-byte calls go through gRPC's own
// ByteBuffer serialization, so the server sees exactly the bytes written
// here.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/unknown_field_set.h"
#include "grpcpp/impl/codegen/client_unary_call.h"
#include "grpcpp/impl/codegen/sync_stream.h"
#include "gtest/gtest.h"
#include "server/ledger/ledger.h"
#include "tests/testing/serve_fixture.h"

namespace lantern::testing {
namespace {

using ::google::protobuf::Descriptor;
using ::google::protobuf::FieldDescriptor;
using ::google::protobuf::MethodDescriptor;
using ::google::protobuf::ServiceDescriptor;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;

grpc::ByteBuffer Bytes(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

std::string Serialized(const google::protobuf::Message& message) {
  std::string out;
  message.SerializeToString(&out);
  return out;
}

// Bodies no request type parses: a truncated varint tag, a length-delimited
// field whose length runs past the end, and a string field holding invalid
// UTF-8 (empty when `type` has no top-level string field).
std::vector<std::pair<std::string, std::string>> MalformedBodies(
    const Descriptor& type) {
  std::vector<std::pair<std::string, std::string>> bodies = {
      {"garbage", "\xff\xff\xff\xff"},
      {"truncated", std::string("\x0a\x40\x01\x02", 4)},
  };
  for (int i = 0; i < type.field_count(); ++i) {
    const FieldDescriptor* f = type.field(i);
    if (f->type() != FieldDescriptor::TYPE_STRING) continue;
    std::string body;
    body.push_back(static_cast<char>((f->number() << 3) | 2));
    body += std::string("\x02\xc3\x28", 3);  // 0xc3 0x28: not UTF-8
    bodies.push_back({"invalid UTF-8", body});
    break;
  }
  return bodies;
}

class ServeHostileTest : public ServeTest {
 protected:
  grpc::Status RawUnary(const std::string& method, const std::string& body,
                        grpc::ByteBuffer* response) {
    auto context = Context();
    return grpc::internal::BlockingUnaryCall<grpc::ByteBuffer,
                                             grpc::ByteBuffer>(
        channel_.get(),
        grpc::internal::RpcMethod(method.c_str(),
                                  grpc::internal::RpcMethod::NORMAL_RPC),
        context.get(), Bytes(body), response);
  }

  // Sends each body on one AssessStream, then the responses and the end
  // status.
  grpc::Status RawStream(const std::vector<std::string>& bodies,
                         std::vector<v1::AssessStreamResponse>* responses) {
    auto context = Context();
    const grpc::internal::RpcMethod method(
        "/lantern.v1.RiskAssessment/AssessStream",
        grpc::internal::RpcMethod::BIDI_STREAMING);
    std::unique_ptr<
        grpc::ClientReaderWriter<grpc::ByteBuffer, grpc::ByteBuffer>>
        stream(grpc::internal::ClientReaderWriterFactory<
               grpc::ByteBuffer, grpc::ByteBuffer>::Create(channel_.get(),
                                                           method,
                                                           context.get()));
    for (const std::string& body : bodies) {
      if (!stream->Write(Bytes(body))) break;
    }
    stream->WritesDone();
    grpc::ByteBuffer raw;
    while (stream->Read(&raw)) {
      v1::AssessStreamResponse response;
      std::vector<grpc::Slice> slices;
      EXPECT_TRUE(raw.Dump(&slices).ok());
      std::string bytes;
      for (const grpc::Slice& s : slices) {
        bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
      }
      EXPECT_TRUE(response.ParseFromString(bytes));
      responses->push_back(response);
    }
    return stream->Finish();
  }

  grpc::Status RawBacktest(const std::string& body) {
    auto context = Context();
    const grpc::internal::RpcMethod method(
        "/lantern.v1.Audit/Backtest",
        grpc::internal::RpcMethod::SERVER_STREAMING);
    std::unique_ptr<grpc::ClientReader<grpc::ByteBuffer>> reader(
        grpc::internal::ClientReaderFactory<grpc::ByteBuffer>::Create(
            channel_.get(), method, context.get(), Bytes(body)));
    grpc::ByteBuffer item;
    while (reader->Read(&item)) {
    }
    return reader->Finish();
  }

  int Count(const std::string& text, const std::string& what) {
    int n = 0;
    for (size_t at = text.find(what); at != std::string::npos;
         at = text.find(what, at + 1)) {
      ++n;
    }
    return n;
  }
};

TEST_F(ServeHostileTest, AnUnparseableStreamItemGetsItsOwnErrorResponse) {
  StartServer();
  v1::AssessRequest first = GiftsRequest();
  first.set_client_request_id("first");
  v1::AssessRequest last = GiftsRequest();
  last.set_client_request_id("last");
  std::vector<v1::AssessStreamResponse> responses;
  grpc::Status status = RawStream(
      {Serialized(first), "\xff\xff\xff\xff", Serialized(last)}, &responses);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_THAT(responses, SizeIs(3));
  EXPECT_EQ(responses[0].client_request_id(), "first");
  EXPECT_TRUE(responses[0].has_assessment());
  ASSERT_TRUE(responses[1].has_error());
  EXPECT_EQ(responses[1].error().code(),
            static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_THAT(responses[1].error().message(),
              AllOf(HasSubstr("request 1 "), HasSubstr("AssessRequest")));
  EXPECT_EQ(responses[2].client_request_id(), "last");
  EXPECT_TRUE(responses[2].has_assessment());
}

TEST_F(ServeHostileTest, MalformedBodiesAreInvalidArgumentOnEveryMethod) {
  StartServer();
  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  int checked = 0;
  for (const char* name : {"lantern.v1.RiskAssessment", "lantern.v1.RuleSets",
                           "lantern.v1.Audit"}) {
    const ServiceDescriptor* service = pool->FindServiceByName(name);
    ASSERT_NE(service, nullptr) << name;
    for (int m = 0; m < service->method_count(); ++m) {
      const MethodDescriptor* method = service->method(m);
      const std::string path =
          absl::StrCat("/", service->full_name(), "/", method->name());
      for (const auto& [kind, body] : MalformedBodies(*method->input_type())) {
        SCOPED_TRACE(absl::StrCat(path, " ", kind));
        ++checked;
        if (method->client_streaming()) {
          std::vector<v1::AssessStreamResponse> responses;
          ASSERT_TRUE(RawStream({body}, &responses).ok());
          ASSERT_THAT(responses, SizeIs(1));
          EXPECT_EQ(responses[0].error().code(),
                    static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
          EXPECT_THAT(responses[0].error().message(),
                      HasSubstr(method->input_type()->full_name()));
          continue;
        }
        grpc::Status status;
        if (method->server_streaming()) {
          status = RawBacktest(body);
        } else {
          grpc::ByteBuffer response;
          status = RawUnary(path, body, &response);
        }
        EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
            << status.error_message();
        EXPECT_THAT(status.error_message(),
                    HasSubstr(method->input_type()->full_name()));
        if (kind == "invalid UTF-8") {
          EXPECT_THAT(status.error_message(), HasSubstr("UTF-8"));
        }
      }
    }
  }
  EXPECT_GT(checked, 30);
  // protobuf logs each invalid UTF-8 string it meets; the server lets one
  // line of each kind through.
  EXPECT_LE(Count(server_->log(), "invalid UTF-8 data"), 1) << server_->log();
}

TEST_F(ServeHostileTest, UnknownFieldsAreRefusedAndNeverReachTheLedger) {
  StartServer();
  const std::string marker =
      "UNCHECKED-BYTES-0123456789-SHOULD-NEVER-BE-STORED";
  std::string payload;
  while (payload.size() < 1000000) payload += marker;
  v1::AssessRequest request = GiftsRequest();
  request.set_client_request_id("unknown-fields");
  request.mutable_facts()
      ->GetReflection()
      ->MutableUnknownFields(request.mutable_facts())
      ->AddLengthDelimited(1000, payload);
  request.mutable_facts()
      ->mutable_child()
      ->GetReflection()
      ->MutableUnknownFields(request.mutable_facts()->mutable_child())
      ->AddVarint(77, 1);
  v1::Assessment answer;
  grpc::Status status = assess_->Assess(Context().get(), request, &answer);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(),
              AllOf(HasSubstr("facts: unknown field 1000"),
                    HasSubstr("facts.child: unknown field 77"),
                    Not(HasSubstr(marker))));
  // A good request afterwards is recorded; the refused one is nowhere.
  ASSERT_TRUE(assess_->Assess(Context().get(), GiftsRequest(), &answer).ok());
  std::string stored;
  for (const char* suffix : {"", "-wal"}) {
    std::ifstream in(ledger_path() + suffix, std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    stored += bytes.str();
  }
  ASSERT_FALSE(stored.empty());
  EXPECT_EQ(stored.find(marker), std::string::npos);
  EXPECT_EQ(stored.find("unknown-fields"), std::string::npos);
}

TEST_F(ServeHostileTest, ValuesThatCannotBeTrueAreRefused) {
  StartServer();
  v1::AssessRequest request = GiftsRequest();
  v1::EpisodeFacts* facts = request.mutable_facts();
  facts->mutable_episode()->mutable_reported_at()->set_seconds(1714820000);
  facts->mutable_child()->mutable_date_of_birth()->set_seconds(1714900000);
  v1::Assessment answer;
  grpc::Status status = assess_->Assess(Context().get(), request, &answer);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(),
              HasSubstr("facts.child.date_of_birth: 2024-05-05T09:06:40Z is "
                        "after facts.episode.reported_at"));

  request = GiftsRequest();
  request.mutable_facts()->mutable_child()->set_care_status(
      static_cast<v1::Child::CareStatus>(999));
  status = assess_->Assess(Context().get(), request, &answer);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(),
              AllOf(HasSubstr("facts.child.care_status: 999 is not a value of "
                              "lantern.v1.Child.CareStatus"),
                    Not(HasSubstr("facts.facts"))));

  request = GiftsRequest();
  request.mutable_facts()
      ->mutable_episode()
      ->mutable_last_seen_at()
      ->set_seconds(int64_t{1} << 40);
  status = assess_->Assess(Context().get(), request, &answer);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(),
              AllOf(HasSubstr("facts.episode.last_seen_at: "),
                    HasSubstr("0001-01-01"), Not(HasSubstr("facts.facts"))));
}

TEST_F(ServeHostileTest, EchoedValuesAreBounded) {
  StartServer();
  v1::AssessRequest request = GiftsRequest();
  request.set_ruleset_version(std::string(8000, 'v'));
  v1::Assessment answer;
  grpc::Status status = assess_->Assess(Context().get(), request, &answer);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_LT(status.error_message().size(), 400u) << status.error_message();
  EXPECT_THAT(status.error_message(), HasSubstr("8000 bytes"));

  v1::GetRuleSetRequest get;
  get.set_version(std::string(8000, 'g'));
  v1::GetRuleSetResponse got;
  status = rulesets_->Get(Context().get(), get, &got);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_LT(status.error_message().size(), 400u);

  v1::ValidateRuleSetRequest validate;
  for (int i = 0; i < 100; ++i) {
    validate.add_files()->set_path(std::string(1000, '.') + "/..");
  }
  v1::ValidateRuleSetResponse validated;
  status = rulesets_->Validate(Context().get(), validate, &validated);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_LT(status.error_message().size(), 4096u);

  v1::GetDecisionRequest decision;
  decision.set_purpose("test");
  decision.set_decision_id(std::string(8000, 'd'));
  v1::GetDecisionResponse decided;
  status = AuditStub(server_->address())
               ->GetDecision(Context().get(), decision, &decided);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_LT(status.error_message().size(), 400u);
}

TEST_F(ServeHostileTest, RulesetsNeverReadOutsideTheirDirectory) {
  const std::string outside = dir_ + "/secret.yaml";
  std::ofstream(outside) << "# not part of the ruleset: SECRET-CONTENT\n";
  StartServer();
  const std::string first = ActiveDigest();
  std::filesystem::create_symlink(outside, rules_dir_ + "/rules/secret.yaml");
  v1::ActivateRuleSetResponse activated;
  ASSERT_TRUE(rulesets_->Activate(Context().get(), {}, &activated).ok());
  EXPECT_EQ(activated.outcome(), v1::ActivateRuleSetResponse::REJECTED);
  ASSERT_FALSE(activated.diagnostics().empty());
  EXPECT_THAT(activated.diagnostics(0).text(),
              AllOf(HasSubstr("rules/secret.yaml"),
                    HasSubstr("symbolic link leaving the ruleset directory")));
  EXPECT_EQ(ActiveDigest(), first);
  v1::ListRuleSetsResponse list;
  ASSERT_TRUE(rulesets_->List(Context().get(), {}, &list).ok());
  for (const v1::RuleSetInfo& info : list.rulesets()) {
    v1::GetRuleSetRequest get;
    get.set_version(info.digest());
    v1::GetRuleSetResponse got;
    ASSERT_TRUE(rulesets_->Get(Context().get(), get, &got).ok());
    for (const v1::RuleSetFile& file : got.files()) {
      EXPECT_THAT(file.content(), Not(HasSubstr("SECRET-CONTENT")));
    }
  }

  // A special file is refused too (a FIFO would block a reader forever).
  std::filesystem::remove(rules_dir_ + "/rules/secret.yaml");
  ASSERT_EQ(mkfifo((rules_dir_ + "/rules/pipe.yaml").c_str(), 0600), 0);
  ASSERT_TRUE(rulesets_->Activate(Context().get(), {}, &activated).ok());
  EXPECT_EQ(activated.outcome(), v1::ActivateRuleSetResponse::REJECTED);
  ASSERT_FALSE(activated.diagnostics().empty());
  EXPECT_THAT(
      activated.diagnostics(0).text(),
      AllOf(HasSubstr("rules/pipe.yaml"), HasSubstr("not a regular file")));
}

TEST_F(ServeHostileTest, BacktestCandidatePathsAreCheckedLikeValidates) {
  StartServer();
  v1::BacktestRequest request;
  v1::RuleSetFile* file = request.mutable_files()->add_files();
  file->set_path("../../etc/passwd");
  file->set_content("x");
  grpc::Status status = RawBacktest(Serialized(request));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("files.files[0].path"));
}

TEST_F(ServeHostileTest, CallsAtOnceOnAConnectionAreBounded) {
  StartServer({"--max_concurrent_streams=1"});
  auto held = Context();
  auto stream = assess_->AssessStream(held.get());
  ASSERT_TRUE(stream->Write(GiftsRequest()));
  v1::AssessStreamResponse first;
  ASSERT_TRUE(stream->Read(&first));  // the stream holds the only slot
  // A second call on the same connection waits for a slot, which the open
  // stream never gives up: it cannot be answered before its deadline.
  v1::Assessment answer;
  grpc::Status waited =
      assess_->Assess(Context(2).get(), GiftsRequest(), &answer);
  EXPECT_EQ(waited.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED)
      << waited.error_message();
  stream->WritesDone();
  ASSERT_TRUE(stream->Finish().ok());
  EXPECT_TRUE(assess_->Assess(Context().get(), GiftsRequest(), &answer).ok());
}

TEST_F(ServeHostileTest, AStreamThatSendsNothingIsEndedWhenIdle) {
  StartServer({"--stream_idle_timeout=300ms"});
  auto context = Context();
  auto stream = assess_->AssessStream(context.get());
  v1::AssessStreamResponse response;
  // The server ends the stream; the client's own deadline is a minute.
  EXPECT_FALSE(stream->Read(&response));
  const grpc::Status status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_THAT(status.error_message(),
              AllOf(HasSubstr("sent no request for 300ms"),
                    HasSubstr("--stream_idle_timeout")));
  // The server goes on serving.
  v1::Assessment answer;
  EXPECT_TRUE(assess_->Assess(Context().get(), GiftsRequest(), &answer).ok());
}

TEST_F(ServeHostileTest, AConnectionWithNoCallIsClosedWhenIdle) {
  StartServer({"--max_connection_idle_seconds=1"});
  v1::Assessment answer;
  ASSERT_TRUE(assess_->Assess(Context().get(), GiftsRequest(), &answer).ok());
  ASSERT_EQ(channel_->GetState(false), GRPC_CHANNEL_READY);
  // With no call for a second the server closes the connection (GOAWAY),
  // so the channel leaves READY; a minute is the test's patience, not
  // the server's bound.
  EXPECT_TRUE(channel_->WaitForStateChange(
      GRPC_CHANNEL_READY,
      std::chrono::system_clock::now() + std::chrono::seconds(60)));
  EXPECT_NE(channel_->GetState(false), GRPC_CHANNEL_READY);
  // A new call reconnects.
  EXPECT_TRUE(assess_->Assess(Context().get(), GiftsRequest(), &answer).ok());
}

// A bare HTTP/2 peer over TCP: it sends the connection preface and
// acknowledges the server's SETTINGS, then only reads — it never answers a
// PING, as a vanished client would not.
class SilentHttp2Peer {
 public:
  explicit SilentHttp2Peer(const std::string& address) {
    const size_t colon = address.rfind(':');
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(std::stoi(address.substr(colon + 1)));
    inet_pton(AF_INET, address.substr(0, colon).c_str(), &to.sin_addr);
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0;
    Send(std::string("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") + Frame(kSettings, 0));
  }
  ~SilentHttp2Peer() { close(fd_); }

  bool connected() const { return connected_; }

  // Reads frames until one of `type` arrives (true) or the connection
  // closes or stays silent for `patience` (false). Acknowledges SETTINGS.
  bool ReadUntil(uint8_t type, std::chrono::seconds patience) {
    for (;;) {
      std::string header;
      if (!Read(9, patience, &header)) return false;
      const uint32_t length = (uint8_t(header[0]) << 16) |
                              (uint8_t(header[1]) << 8) | uint8_t(header[2]);
      const uint8_t frame_type = header[3];
      const uint8_t flags = header[4];
      std::string payload;
      if (!Read(length, patience, &payload)) return false;
      if (frame_type == kSettings && (flags & 1) == 0) {
        Send(Frame(kSettings, 1));
      }
      if (frame_type == type && (flags & 1) == 0) return true;
    }
  }

  // Whether the server closed the connection within `patience`, reading
  // (and ignoring) whatever it sends first.
  bool ClosedWithin(std::chrono::seconds patience) {
    for (;;) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(patience.count() * 1000)) <= 0) {
        return false;
      }
      char buffer[4096];
      const ssize_t n = recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) return true;
    }
  }

  static constexpr uint8_t kSettings = 4;
  static constexpr uint8_t kPing = 6;

 private:
  static std::string Frame(uint8_t type, uint8_t flags) {
    return std::string({0, 0, 0, static_cast<char>(type),
                        static_cast<char>(flags), 0, 0, 0, 0});
  }
  void Send(const std::string& bytes) {
    if (connected_) {
      EXPECT_EQ(send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL),
                static_cast<ssize_t>(bytes.size()));
    }
  }
  bool Read(size_t n, std::chrono::seconds patience, std::string* out) {
    while (out->size() < n) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(patience.count() * 1000)) <= 0) {
        return false;
      }
      char buffer[4096];
      const ssize_t got =
          recv(fd_, buffer, std::min(sizeof buffer, n - out->size()), 0);
      if (got <= 0) return false;
      out->append(buffer, got);
    }
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
};

TEST_F(ServeHostileTest, AQuietConnectionIsPingedAndClosedWhenThePeerIsGone) {
  StartServer({"--keepalive_seconds=1", "--keepalive_timeout_seconds=1",
               "--max_connection_idle_seconds=3600"});
  SilentHttp2Peer peer(server_->address());
  ASSERT_TRUE(peer.connected());
  // No call on the connection: the server pings it after a quiet second
  // (the minute is the test's patience) ...
  EXPECT_TRUE(peer.ReadUntil(SilentHttp2Peer::kPing, std::chrono::seconds(60)));
  // ... and, the ping unanswered, closes it.
  EXPECT_TRUE(peer.ClosedWithin(std::chrono::seconds(60)));
}

mode_t Mode(const std::string& path) {
  struct stat st;
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

TEST_F(ServeHostileTest, TheLedgerIsReadableByTheServiceUserOnly) {
  const std::string ledger = dir_ + "/data/deeper/ledger.db";
  std::vector<std::string> flags = {"--ledger=" + ledger};
  std::string error;
  server_ = ServerProcess::Start(
      LANTERN_BINARY, {"--rules=" + rules_dir_, "--ledger=" + ledger},
      dir_ + "/server.log", &error);
  ASSERT_NE(server_, nullptr) << error;
  channel_ = grpc::CreateChannel(server_->address(),
                                 grpc::InsecureChannelCredentials());
  assess_ = v1::RiskAssessment::NewStub(channel_);
  v1::Assessment answer;
  ASSERT_TRUE(assess_->Assess(Context().get(), GiftsRequest(), &answer).ok());
  EXPECT_EQ(Mode(dir_ + "/data"), 0700u);
  EXPECT_EQ(Mode(dir_ + "/data/deeper"), 0700u);
  EXPECT_EQ(Mode(ledger), 0600u);
  EXPECT_EQ(Mode(ledger + "-wal"), 0600u);
  EXPECT_EQ(Mode(ledger + "-shm"), 0600u);
  EXPECT_EQ(Mode(ledger + ".key"), 0600u);
  server_.reset();
}

// Runs `lantern ledger verify PATH`, returning its exit code and output.
int Verify(const std::string& path, std::string* output) {
  const std::string command =
      absl::StrCat(LANTERN_BINARY, " ledger verify '", path, "' 2>&1");
  FILE* pipe = popen(command.c_str(), "r");
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) {
    output->append(buffer, n);
  }
  const int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST_F(ServeHostileTest, VerifyOpensReadOnlyAndFailsACorruptPage) {
  StartServer();
  v1::Assessment answer;
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(assess_->Assess(Context().get(), GiftsRequest(), &answer).ok());
  }
  assess_.reset();
  rulesets_.reset();
  channel_.reset();
  server_->Signal(SIGTERM);
  ASSERT_EQ(server_->Wait(), 0) << server_->log();
  server_.reset();
  ASSERT_FALSE(std::filesystem::exists(ledger_path() + "-wal"));
  std::string output;
  EXPECT_EQ(Verify(ledger_path(), &output), 0) << output;
  EXPECT_FALSE(std::filesystem::exists(ledger_path() + "-wal"));
  EXPECT_FALSE(std::filesystem::exists(ledger_path() + "-shm"));

  // Overwrite one page at a time with garbage: the file header, the first
  // pages (the schema and meta tables), one in the middle, the last.
  const std::string pristine = dir_ + "/pristine.db";
  std::filesystem::copy_file(ledger_path(), pristine);
  const auto pages = std::filesystem::file_size(ledger_path()) / 4096;
  ASSERT_GT(pages, 6u);
  for (const uint64_t page : {uint64_t{0}, uint64_t{1}, uint64_t{2},
                              uint64_t{3}, pages / 2, pages - 1}) {
    SCOPED_TRACE(absl::StrCat("page ", page));
    std::filesystem::copy_file(
        pristine, ledger_path(),
        std::filesystem::copy_options::overwrite_existing);
    {
      std::fstream file(ledger_path(),
                        std::ios::in | std::ios::out | std::ios::binary);
      file.seekp(static_cast<std::streamoff>(page * 4096));
      file << std::string(4096, '\xa5');
    }
    output.clear();
    EXPECT_EQ(Verify(ledger_path(), &output), 1) << output;
    EXPECT_THAT(output, HasSubstr("FAIL: ")) << output;
  }
  // The fixture replays every decision of an intact ledger at the end.
  std::filesystem::copy_file(pristine, ledger_path(),
                             std::filesystem::copy_options::overwrite_existing);
}

TEST_F(ServeHostileTest, EveryActivationIsRecordedEvenOfTheActiveVersion) {
  StartServer();
  const std::string digest = ActiveDigest();
  v1::ActivateRuleSetResponse activated;
  ASSERT_TRUE(rulesets_->Activate(Context().get(), {}, &activated).ok());
  v1::ActivateRuleSetRequest by_version;
  by_version.set_version(digest);
  ASSERT_TRUE(
      rulesets_->Activate(Context().get(), by_version, &activated).ok());
  ASSERT_TRUE(
      rulesets_->Activate(Context().get(), by_version, &activated).ok());
  assess_.reset();
  rulesets_.reset();
  channel_.reset();
  server_->Signal(SIGTERM);
  ASSERT_EQ(server_->Wait(), 0) << server_->log();
  server_.reset();
  ledger::LedgerOptions options;
  options.path = ledger_path();
  absl::StatusOr<std::unique_ptr<ledger::Ledger>> opened =
      ledger::Ledger::Open(options);
  ASSERT_TRUE(opened.ok()) << opened.status();
  absl::StatusOr<std::vector<ledger::StoredActivation>> activations =
      (*opened)->ListActivations();
  ASSERT_TRUE(activations.ok());
  ASSERT_THAT(*activations, SizeIs(4));
  for (int i = 1; i < 4; ++i) {
    const v1::ActivationRecord& a = (*activations)[i].record;
    EXPECT_EQ(a.ruleset_digest(), digest);
    EXPECT_EQ(a.previous_digest(), digest);
    EXPECT_EQ(a.activated_by(), "local");  // the plain-text principal
    EXPECT_GT(a.activated_at().seconds(), 0);
  }
}

TEST_F(ServeHostileTest, RejectedActivationsAreRecordedWithWhoWhenAndWhy) {
  StartServer();
  const std::string digest = ActiveDigest();
  v1::ActivateRuleSetRequest unknown;
  unknown.set_version("9.9.9-never-held");
  v1::ActivateRuleSetResponse activated;
  EXPECT_EQ(
      rulesets_->Activate(Context().get(), unknown, &activated).error_code(),
      grpc::StatusCode::NOT_FOUND);
  std::ofstream(rules_dir_ + "/rules/broken.yaml")
      << "rules:\n"
         "  - id: test.broken\n"
         "    title: Reads a fact the schema lacks\n"
         "    cite: \"Test citation\"\n"
         "    when: child.no_such_fact == 1\n";
  ASSERT_TRUE(rulesets_->Activate(Context().get(), {}, &activated).ok());
  ASSERT_EQ(activated.outcome(), v1::ActivateRuleSetResponse::REJECTED);
  EXPECT_EQ(ActiveDigest(), digest);
  assess_.reset();
  rulesets_.reset();
  channel_.reset();
  server_->Signal(SIGTERM);
  ASSERT_EQ(server_->Wait(), 0) << server_->log();
  server_.reset();

  {
    ledger::LedgerOptions options;
    options.path = ledger_path();
    absl::StatusOr<std::unique_ptr<ledger::Ledger>> opened =
        ledger::Ledger::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.status();
    absl::StatusOr<std::vector<ledger::StoredActivation>> all =
        (*opened)->ListActivations(/*include_rejected=*/true);
    ASSERT_TRUE(all.ok());
    ASSERT_THAT(*all, SizeIs(3));  // the start, then the two refused
    EXPECT_EQ((*all)[0].record.outcome(), v1::ActivationRecord::ACTIVATED);
    for (int i = 1; i < 3; ++i) {
      const v1::ActivationRecord& a = (*all)[i].record;
      EXPECT_EQ(a.outcome(), v1::ActivationRecord::REJECTED);
      EXPECT_EQ(a.previous_digest(), digest);
      EXPECT_EQ(a.activated_by(), "local");  // the plain-text principal
      EXPECT_GT(a.activated_at().seconds(), 0);
      ASSERT_GT(a.reasons_size(), 0);
    }
    EXPECT_EQ((*all)[1].record.ruleset_digest(), "");
    EXPECT_THAT((*all)[1].record.reasons(0), HasSubstr("9.9.9-never-held"));
    // The candidate did not load, so it has no digest; its reasons say why.
    EXPECT_EQ((*all)[2].record.ruleset_digest(), "");
    EXPECT_THAT(
        (*all)[2].record.reasons(0),
        AllOf(HasSubstr("rules/broken.yaml:5:"), HasSubstr("no_such_fact")));
    // What was active is what the server restores and lists.
    absl::StatusOr<std::vector<ledger::StoredActivation>> took_effect =
        (*opened)->ListActivations();
    ASSERT_TRUE(took_effect.ok());
    ASSERT_THAT(*took_effect, SizeIs(1));
  }
  std::string output;
  EXPECT_EQ(Verify(ledger_path(), &output), 0) << output;
  std::filesystem::remove(rules_dir_ + "/rules/broken.yaml");
}

TEST_F(ServeHostileTest, AuditListsEveryActivationRejectedOnesIncluded) {
  StartServer();
  const std::string digest = ActiveDigest();
  v1::ActivateRuleSetRequest unknown;
  unknown.set_version("9.9.9-never-held");
  v1::ActivateRuleSetResponse activated;
  EXPECT_EQ(
      rulesets_->Activate(Context().get(), unknown, &activated).error_code(),
      grpc::StatusCode::NOT_FOUND);
  std::ofstream(rules_dir_ + "/rules/broken.yaml")
      << "rules:\n"
         "  - id: test.broken\n"
         "    title: Reads a fact the schema lacks\n"
         "    cite: \"Test citation\"\n"
         "    when: child.no_such_fact == 1\n";
  ASSERT_TRUE(rulesets_->Activate(Context().get(), {}, &activated).ok());
  ASSERT_EQ(activated.outcome(), v1::ActivateRuleSetResponse::REJECTED);
  std::filesystem::remove(rules_dir_ + "/rules/broken.yaml");
  ASSERT_TRUE(rulesets_->Activate(Context().get(), {}, &activated).ok());
  ASSERT_EQ(activated.outcome(), v1::ActivateRuleSetResponse::ACTIVATED);

  // Pages of two: the start, the two refused, the re-activation.
  std::unique_ptr<v1::Audit::Stub> audit = AuditStub(server_->address());
  v1::ListActivationsRequest request;
  request.set_page_size(2);
  std::vector<v1::ActivationRecord> all;
  std::vector<uint64_t> leaves;
  int pages = 0;
  for (;;) {
    v1::ListActivationsResponse page;
    grpc::Status status =
        audit->ListActivations(Context().get(), request, &page);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ++pages;
    ASSERT_LE(page.activations_size(), 2);
    ASSERT_EQ(page.leaf_indexes_size(), page.activations_size());
    for (int i = 0; i < page.activations_size(); ++i) {
      all.push_back(page.activations(i));
      leaves.push_back(page.leaf_indexes(i));
    }
    if (page.next_page_token().empty()) break;
    request.set_page_token(page.next_page_token());
  }
  EXPECT_EQ(pages, 2);
  ASSERT_THAT(all, SizeIs(4));
  EXPECT_TRUE(std::is_sorted(leaves.begin(), leaves.end()));
  EXPECT_EQ(all[0].outcome(), v1::ActivationRecord::ACTIVATED);
  EXPECT_EQ(all[0].ruleset_digest(), digest);
  for (int i = 1; i < 3; ++i) {
    EXPECT_EQ(all[i].outcome(), v1::ActivationRecord::REJECTED);
    EXPECT_EQ(all[i].activated_by(), "local");
    EXPECT_GT(all[i].activated_at().seconds(), 0);
    EXPECT_EQ(all[i].previous_digest(), digest);
    ASSERT_GT(all[i].reasons_size(), 0);
  }
  EXPECT_THAT(all[1].reasons(0), HasSubstr("9.9.9-never-held"));
  EXPECT_THAT(all[2].reasons(0), AllOf(HasSubstr("rules/broken.yaml:5:"),
                                       HasSubstr("no_such_fact")));
  EXPECT_EQ(all[3].outcome(), v1::ActivationRecord::ACTIVATED);
  EXPECT_EQ(all[3].ruleset_digest(), digest);
  EXPECT_EQ(all[3].ruleset_version(), "1");
  EXPECT_EQ(all[3].activated_by(), "local");

  request.set_page_token("not-a-token");
  v1::ListActivationsResponse page;
  EXPECT_EQ(
      audit->ListActivations(Context().get(), request, &page).error_code(),
      grpc::StatusCode::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace lantern::testing
