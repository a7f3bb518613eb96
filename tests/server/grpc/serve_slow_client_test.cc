// `lantern serve` against a real client that stops reading (issue 18,
// item 8): the server's answers fill the call's HTTP/2 flow-control window
// (made small here: no BDP probe, a 1 KiB stream window), so each further
// write of the server waits on the client. The server must cancel such a
// call after its --stream_idle_timeout rather than hold it (and, for a
// Backtest, the backtest worker) until the client's own deadline; it must
// stop taking requests it cannot answer; and other clients must be
// answered meanwhile.
//
// The server's side is observed through its metrics: a call ends on the
// server when lantern_rpc_handled_total counts it. The client cannot see
// it before it reads (gRPC hands the status over only after the messages
// already received), so the test waits — boundedly, 20 s, a safety net far
// below the client's own 60 s deadline, not a timing assertion — for the
// server to count the call CANCELLED, and only then reads what it was sent
// and its status. Without the cancellation the server ends the call only
// at the client's deadline, and the test fails.
#include <atomic>
#include <chrono>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "grpc/grpc.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "tests/testing/serve_fixture.h"
#include "tests/testing/test_data.h"

namespace lantern::testing {
namespace {

constexpr int kClientDeadlineSeconds = 60;

class ServeSlowClientTest : public ServeTest {
 protected:
  // Starts the server with `flags` and finds its metrics port.
  void Start(const std::vector<std::string>& flags) {
    StartServer(flags);
    ASSERT_NE(server_, nullptr);
    const std::string line = server_->ReadLine();
    const std::string prefix = "lantern serve: metrics on 127.0.0.1:";
    ASSERT_EQ(line.rfind(prefix, 0), 0u) << line;
    ASSERT_TRUE(absl::SimpleAtoi(line.substr(prefix.size()), &metrics_port_))
        << line;
  }

  // How many calls of `method` the server has ended CANCELLED.
  int Cancelled(const std::string& method) {
    httplib::Client client("127.0.0.1", metrics_port_);
    client.set_read_timeout(30, 0);
    httplib::Result result = client.Get("/metrics");
    if (!result || result->status != 200) return -1;
    const std::string series =
        absl::StrCat("lantern_rpc_handled_total{method=\"", method,
                     "\",code=\"CANCELLED\"} ");
    const size_t at = result->body.find(series);
    if (at == std::string::npos) return 0;
    int count = 0;
    const size_t start = at + series.size();
    const size_t end = result->body.find('\n', start);
    if (!absl::SimpleAtoi(result->body.substr(start, end - start), &count)) {
      return -1;
    }
    return count;
  }

  // Whether the server ended a call of `method` CANCELLED within 20 s.
  bool ServerCancelled(const std::string& method) {
    for (int i = 0; i < 200; ++i) {
      if (Cancelled(method) > 0) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  int metrics_port_ = 0;
  // A channel of its own whose calls announce a 1 KiB receive window that
  // never grows unless the client reads.
  std::shared_ptr<grpc::Channel> SmallWindowChannel() {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
    args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 1024);
    return grpc::CreateCustomChannel(server_->address(),
                                     grpc::InsecureChannelCredentials(), args);
  }

  // Decisions in the ledger, counted through ListDecisions.
  int RecordedDecisions() {
    std::unique_ptr<v1::Audit::Stub> audit = AuditStub(server_->address());
    v1::ListDecisionsRequest list;
    list.set_purpose("test: count the decisions");
    list.set_page_size(1000);
    int count = 0;
    for (;;) {
      v1::ListDecisionsResponse page;
      grpc::Status status = audit->ListDecisions(Context().get(), list, &page);
      EXPECT_TRUE(status.ok()) << status.error_message();
      if (!status.ok()) return -1;
      count += page.decisions_size();
      if (page.next_page_token().empty()) return count;
      list.set_page_token(page.next_page_token());
    }
  }

  // The server's resident memory in KiB (VmRSS), for the log.
  long ServerRssKib() {
    std::ifstream status(absl::StrCat("/proc/", server_->pid(), "/status"));
    std::string line;
    while (std::getline(status, line)) {
      if (line.rfind("VmRSS:", 0) == 0) {
        std::istringstream fields(line.substr(6));
        long kib = 0;
        fields >> kib;
        return kib;
      }
    }
    return -1;
  }

  // Assess on the fixture's own channel (another connection).
  bool OtherClientAnswered() {
    v1::Assessment answer;
    grpc::Status status =
        assess_->Assess(Context(10).get(), GiftsRequest(), &answer);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return status.ok();
  }
};

TEST_F(ServeSlowClientTest, AnAssessStreamWhoseClientDoesNotReadIsCancelled) {
  Start({"--stream_idle_timeout=1s"});
  const long rss_before = ServerRssKib();
  std::shared_ptr<grpc::Channel> channel = SmallWindowChannel();
  std::unique_ptr<v1::RiskAssessment::Stub> stub =
      v1::RiskAssessment::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(kClientDeadlineSeconds));
  auto stream = stub->AssessStream(&context);
  // Far more requests than a 1 KiB window of answers; the client reads
  // none while it writes. Its writes may block once the server stops
  // reading, and fail once the server cancels the call.
  constexpr int kSent = 5000;
  std::atomic<int> written{0};
  std::thread writer([&] {
    v1::AssessRequest request = GiftsRequest();
    for (int i = 0; i < kSent; ++i) {
      request.set_client_request_id(absl::StrCat("unread-", i));
      if (!stream->Write(request)) return;
      ++written;
    }
  });
  // Another client is answered while the stream is stuck.
  EXPECT_TRUE(OtherClientAnswered());
  EXPECT_TRUE(ServerCancelled("/lantern.v1.RiskAssessment/AssessStream"));
  writer.join();
  const long rss_after = ServerRssKib();
  // What reached the client before the cancellation, then the status.
  int answered = 0;
  v1::AssessStreamResponse response;
  while (stream->Read(&response)) ++answered;
  const grpc::Status status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::CANCELLED)
      << status.error_code() << ": " << status.error_message();
  EXPECT_LT(answered, kSent);
  // The server took only the requests it could answer, not every request
  // sent: it did not buffer the stream.
  const int recorded = RecordedDecisions() - 1;  // less the other client's
  EXPECT_GT(recorded, 0);
  EXPECT_LT(recorded, kSent);
  std::cout << "AssessStream not read: " << written << " of " << kSent
            << " requests written, " << recorded << " assessed, " << answered
            << " answers reached the client; server VmRSS " << rss_before
            << " KiB -> " << rss_after << " KiB\n";
  EXPECT_TRUE(OtherClientAnswered());
}

TEST_F(ServeSlowClientTest, ABacktestWhoseClientDoesNotReadIsCancelled) {
  Start({"--stream_idle_timeout=1s"});
  // Decisions that the candidate answers differently (test.gifts scored 40
  // instead of 20): one Backtest item each (about 100 bytes), more than
  // even the default 64 KiB window.
  constexpr int kDecisions = 1500;
  {
    auto context = Context();
    auto stream = assess_->AssessStream(context.get());
    for (int i = 0; i < kDecisions; ++i) {
      v1::AssessRequest request = GiftsRequest();
      request.mutable_as_of()->set_seconds(1714824000 + i);
      ASSERT_TRUE(stream->Write(request));
      v1::AssessStreamResponse response;
      ASSERT_TRUE(stream->Read(&response));
      ASSERT_TRUE(response.has_assessment()) << response.DebugString();
    }
    stream->WritesDone();
    ASSERT_TRUE(stream->Finish().ok());
  }
  v1::BacktestRequest request;
  request.set_purpose("test: rule change review");
  for (const SourceFile& f : ReadTree(rules_dir_)) {
    v1::RuleSetFile* file = request.mutable_files()->add_files();
    file->set_path(f.path);
    file->set_content(absl::StrReplaceAll(
        f.content,
        {{"score: 20", "score: 40"}, {"version: \"1\"", "version: \"2\""}}));
  }
  const long rss_before = ServerRssKib();
  std::shared_ptr<grpc::Channel> channel = SmallWindowChannel();
  std::unique_ptr<v1::Audit::Stub> audit = v1::Audit::NewStub(channel);
  grpc::ClientContext unread;
  unread.set_deadline(std::chrono::system_clock::now() +
                      std::chrono::seconds(kClientDeadlineSeconds));
  auto reader = audit->Backtest(&unread, request);
  // Another client is answered while the backtest is stuck.
  EXPECT_TRUE(OtherClientAnswered());
  EXPECT_TRUE(ServerCancelled("/lantern.v1.Audit/Backtest"));
  const long rss_after = ServerRssKib();
  // The backtest worker is free again (one backtest runs at a time): a
  // client that reads gets every item, long before the first client's
  // deadline.
  std::unique_ptr<v1::Audit::Stub> reading = AuditStub(server_->address());
  {
    auto context = Context(20);
    auto items = reading->Backtest(context.get(), request);
    v1::BacktestItem item;
    int changes = 0;
    v1::BacktestSummary summary;
    while (items->Read(&item)) {
      if (item.has_change()) ++changes;
      if (item.has_summary()) summary = item.summary();
    }
    const grpc::Status read_all = items->Finish();
    ASSERT_TRUE(read_all.ok()) << read_all.error_message();
    // Every decision changes, the other client's too.
    EXPECT_EQ(changes, kDecisions + 1);
    EXPECT_EQ(summary.decisions_changed(),
              static_cast<uint64_t>(kDecisions + 1));
  }
  // The first client, reading at last, gets what was sent before the
  // cancellation, then the status.
  int items_before = 0;
  v1::BacktestItem item;
  while (reader->Read(&item)) ++items_before;
  const grpc::Status status = reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::CANCELLED)
      << status.error_code() << ": " << status.error_message();
  EXPECT_LT(items_before, kDecisions);
  std::cout << "Backtest not read: " << items_before
            << " items reached the client; server VmRSS " << rss_before
            << " KiB -> " << rss_after << " KiB\n";
}

}  // namespace
}  // namespace lantern::testing
