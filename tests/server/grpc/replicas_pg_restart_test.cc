// PostgreSQL restarted under load (issue 13): three real `lantern serve`
// replicas share one ledger in a throw-away PostgreSQL 15 (tests/testing/
// postgres_server.h) while client threads call Assess on all three. Twice
// (first an immediate stop, as a crash would; then a fast one) PostgreSQL is
// stopped mid-load and started again on the same socket and data directory.
//
// While it is down every call ends before its deadline with UNAVAILABLE
// (no other code, never OK: a call that began after the stop and ended
// before the start cannot have a durable row), and each replica's health
// turns NOT_SERVING. Once it is back every replica, by itself, turns health
// SERVING and answers Assess OK within kRecoveryBound of the start; no
// replica exits. At the end every OK answer is on record exactly as
// answered, each request unanswered during an outage retried once on
// another replica gets one decision (its row if the commit did land), no
// client_request_id has two records, and `lantern ledger verify
// postgresql://...` passes (every stored head signed and consistent with
// the one tree), and each replica's own latest head (Audit.GetTreeHead) is
// signed and a prefix of the ledger's latest tree.
//
// SKIPPED only when PostgreSQL 15 is not installed.
#include <stdio.h>
#include <sys/wait.h>

#include <chrono>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "google/protobuf/unknown_field_set.h"
#include "google/protobuf/util/message_differencer.h"
#include "google/protobuf/util/time_util.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "lantern/v1/audit.grpc.pb.h"
#include "lantern/v1/service.grpc.pb.h"
#include "server/ledger/ledger.h"
#include "server/ledger/merkle.h"
#include "server/ledger/tree_head.h"
#include "server/ledger/verifier.h"
#include "tests/testing/example_requests.h"
#include "tests/testing/ledger_records.h"
#include "tests/testing/postgres_server.h"
#include "tests/testing/sent_answer.h"
#include "tests/testing/server_process.h"
#include "tests/testing/test_data.h"

namespace lantern::testing {
namespace {

using ::google::protobuf::util::MessageDifferencer;

constexpr int kReplicas = 3;
constexpr int kClientsPerReplica = 2;
constexpr int kAnswersBeforeStop = 40;
constexpr int kUnavailablePerReplica = 20;  // begun after the stop
constexpr int kAnswersAfterStart = 10;      // per replica
// Every call must end by then; DEADLINE_EXCEEDED fails the test.
constexpr auto kCallDeadline = std::chrono::seconds(20);
// The stated recovery bound: from PostgreSQL accepting connections again
// to every replica SERVING and answering OK. A replica looks at the
// ledger every second (the activation follower's poll); the rest is
// slack for a loaded machine.
constexpr absl::Duration kRecoveryBound = absl::Seconds(30);
// Safety net for waits that are not the bound above.
constexpr absl::Duration kSafety = absl::Seconds(120);
// Pacing after a failed call, so clients do not spin during an outage.
constexpr absl::Duration kPauseAfterFailure = absl::Milliseconds(20);

enum Health { kRpcFailed = -1, kServing = 1, kNotServing = 2 };

struct Call {
  v1::AssessRequest request;
  v1::Assessment answer;
  grpc::StatusCode code = grpc::StatusCode::OK;
  std::string message;
  int replica = 0;
  absl::Time started, ended;
};

std::unique_ptr<grpc::ClientContext> Context() {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + kCallDeadline);
  return context;
}

std::shared_ptr<grpc::Channel> Channel(const std::string& address, int n) {
  grpc::ChannelArguments args;
  args.SetInt("lantern_restart_channel", n);  // one connection per client
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(),
                                   args);
}

std::string Difference(const google::protobuf::Message& a,
                       const google::protobuf::Message& b) {
  std::string report;
  MessageDifferencer differencer;
  differencer.ReportDifferencesToString(&report);
  return differencer.Compare(a, b) ? "" : report;
}

// grpc.health.v1.Health/Check for the whole server, without the health
// proto's stubs: the request is empty, the response's field 1 the status.
Health HealthOf(const std::shared_ptr<grpc::Channel>& channel) {
  grpc::GenericStub stub(channel);
  grpc::Slice empty(std::string(""));
  grpc::ByteBuffer request(&empty, 1);
  grpc::ByteBuffer response;
  absl::Mutex mu;
  bool done = false;
  grpc::Status status;
  auto context = Context();
  stub.UnaryCall(context.get(), "/grpc.health.v1.Health/Check", {}, &request,
                 &response, [&](grpc::Status s) {
                   absl::MutexLock lock(&mu);
                   status = std::move(s);
                   done = true;
                 });
  {
    absl::MutexLock lock(&mu);
    mu.Await(absl::Condition(&done));
  }
  if (!status.ok()) return kRpcFailed;
  std::vector<grpc::Slice> slices;
  if (!response.Dump(&slices).ok()) return kRpcFailed;
  std::string bytes;
  for (const grpc::Slice& s : slices) {
    bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  google::protobuf::UnknownFieldSet fields;
  if (!fields.ParseFromString(bytes) || fields.field_count() != 1) {
    return kRpcFailed;
  }
  return static_cast<Health>(fields.field(0).varint());
}

// Client threads, kClientsPerReplica on each replica, calling Assess back
// to back until stopped, keeping every call's outcome.
class Load {
 public:
  Load(const std::vector<std::string>& addresses,
       const ExampleRequests& requests, int round) {
    for (int c = 0; c < kReplicas * kClientsPerReplica; ++c) {
      threads_.emplace_back(
          [this, address = addresses[c % kReplicas], &requests, round, c] {
            Run(address, requests, round, c, c % kReplicas);
          });
    }
  }

  // Waits until `n` calls ended with `code`, on `replica` (-1: any) and
  // having started at or after `since` (false on the safety timeout).
  bool Await(grpc::StatusCode code, int replica, size_t n, absl::Time since) {
    absl::MutexLock lock(&mu_);
    auto reached = [&] { return Count(code, replica, since) >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&reached), kSafety);
  }

  void StopAndJoin() {
    {
      absl::MutexLock lock(&mu_);
      stop_ = true;
    }
    for (std::thread& t : threads_) t.join();
  }

  // REQUIRES: StopAndJoin() has returned.
  const std::vector<Call>& calls() const { return calls_; }

 private:
  size_t Count(grpc::StatusCode code, int replica, absl::Time since) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    size_t n = 0;
    for (const Call& c : calls_) {
      n += c.code == code && (replica < 0 || c.replica == replica) &&
                   c.started >= since
               ? 1
               : 0;
    }
    return n;
  }

  void Run(const std::string& address, const ExampleRequests& requests,
           int round, int client, int replica) {
    auto stub = v1::RiskAssessment::NewStub(Channel(address, client));
    std::mt19937 random(7919 * round + client);
    for (int i = 0;; ++i) {
      {
        absl::MutexLock lock(&mu_);
        if (stop_) return;
      }
      Call call;
      call.request = requests.Request(
          absl::StrCat("pgr", round, "-c", client, "-", i), random);
      call.replica = replica;
      call.started = absl::Now();
      const grpc::Status status =
          stub->Assess(Context().get(), call.request, &call.answer);
      call.ended = absl::Now();
      call.code = status.error_code();
      call.message = status.error_message();
      const bool ok = status.ok();
      {
        absl::MutexLock lock(&mu_);
        calls_.push_back(std::move(call));
      }
      if (!ok) absl::SleepFor(kPauseAfterFailure);
    }
  }

  absl::Mutex mu_;
  std::vector<Call> calls_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

class PostgresRestartTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string why = PostgresServer::Unavailable(); !why.empty()) {
      GTEST_SKIP() << why;
    }
    std::string error;
    pg_ = PostgresServer::Start(&error);
    ASSERT_NE(pg_, nullptr) << error;
    uri_ = pg_->NewDatabase();
    ASSERT_FALSE(uri_.empty());
    for (int i = 0; i < kReplicas; ++i) {
      replicas_.push_back(ServerProcess::Start(
          LANTERN_BINARY,
          {"--rules=" + SourcePath("rules"), "--ledger=" + uri_,
           "--ledger_key=" + dir_.File("ledger.key")},
          dir_.File(absl::StrCat("replica", i, ".log")), &error));
      ASSERT_NE(replicas_.back(), nullptr) << error;
      channels_.push_back(Channel(replicas_.back()->address(), 100 + i));
    }
  }

  // Polls replica `i`'s health until it is `want` (false on `limit`).
  bool AwaitHealth(int i, Health want, absl::Time limit) {
    while (HealthOf(channels_[i]) != want) {
      if (absl::Now() > limit) return false;
      absl::SleepFor(absl::Milliseconds(50));
    }
    return true;
  }

  // True while replica `i`'s process has not exited.
  bool Running(int i) {
    int status = 0;
    return waitpid(replicas_[i]->pid(), &status, WNOHANG) == 0;
  }

  std::string Logs() {
    std::string text;
    for (int i = 0; i < kReplicas; ++i) {
      absl::StrAppend(&text, "--- replica ", i, "\n", replicas_[i]->log());
    }
    return absl::StrCat(text, "--- postgresql\n", pg_->log());
  }

  std::unique_ptr<PostgresServer> pg_;
  std::string uri_;
  ScratchDir dir_;
  std::vector<std::unique_ptr<ServerProcess>> replicas_;
  std::vector<std::shared_ptr<grpc::Channel>> channels_;
};

TEST_F(PostgresRestartTest, ReplicasAnswerUnavailableThenRecoverLosingNothing) {
  const ExampleRequests requests;
  std::vector<std::string> addresses;
  for (const auto& r : replicas_) addresses.push_back(r->address());
  std::vector<Call> calls;
  const std::vector<std::string> modes = {"immediate", "fast"};
  for (int round = 0; round < static_cast<int>(modes.size()); ++round) {
    SCOPED_TRACE(absl::StrCat("round ", round, ", ", modes[round], " stop"));
    Load load(addresses, requests, round);
    ASSERT_TRUE(load.Await(grpc::StatusCode::OK, -1, kAnswersBeforeStop,
                           absl::InfinitePast()))
        << Logs();
    const absl::Time stopping = absl::Now();
    pg_->Stop(modes[round]);  // returns once PostgreSQL has exited
    const absl::Time stopped = absl::Now();
    // Down: every replica answers UNAVAILABLE and says NOT_SERVING.
    for (int i = 0; i < kReplicas; ++i) {
      EXPECT_TRUE(load.Await(grpc::StatusCode::UNAVAILABLE, i,
                             kUnavailablePerReplica, stopped))
          << "replica " << i << " never answered UNAVAILABLE";
      EXPECT_TRUE(AwaitHealth(i, kNotServing, absl::Now() + kSafety))
          << "replica " << i << " never turned NOT_SERVING\n"
          << replicas_[i]->log();
    }
    const absl::Time restarting = absl::Now();
    ASSERT_TRUE(pg_->Restart()) << pg_->log();
    const absl::Time started = absl::Now();
    // Back: each replica SERVING and answering again, by itself.
    absl::Duration recovered;
    for (int i = 0; i < kReplicas; ++i) {
      EXPECT_TRUE(AwaitHealth(i, kServing, started + kRecoveryBound))
          << "replica " << i << " not SERVING within "
          << absl::FormatDuration(kRecoveryBound) << "\n"
          << replicas_[i]->log();
      EXPECT_TRUE(
          load.Await(grpc::StatusCode::OK, i, kAnswersAfterStart, started))
          << "replica " << i;
      recovered = std::max(recovered, absl::Now() - started);
    }
    EXPECT_LE(recovered, kRecoveryBound);
    load.StopAndJoin();
    for (int i = 0; i < kReplicas; ++i) {
      EXPECT_TRUE(Running(i)) << "replica " << i << " exited\n"
                              << replicas_[i]->log();
    }
    if (HasFailure()) {
      ADD_FAILURE() << Logs();
      return;
    }
    size_t ok = 0, unavailable = 0, during = 0;
    for (const Call& c : load.calls()) {
      ASSERT_TRUE(c.code == grpc::StatusCode::OK ||
                  c.code == grpc::StatusCode::UNAVAILABLE)
          << c.request.client_request_id() << " on replica " << c.replica
          << ": " << c.code << " " << c.message;
      if (c.code == grpc::StatusCode::OK) {
        ++ok;
        EXPECT_FALSE(c.started >= stopped && c.ended <= restarting)
            << c.request.client_request_id()
            << " answered OK while PostgreSQL was down";
      } else {
        ++unavailable;
        during += c.started >= stopped && c.ended <= restarting ? 1 : 0;
      }
    }
    std::printf(
        "round %d (%s stop): %zu answered OK, %zu UNAVAILABLE (%zu of them "
        "begun and ended while PostgreSQL was down: %s, after %s stopping); "
        "every replica SERVING and answering within %s of PostgreSQL's "
        "start\n",
        round, modes[round].c_str(), ok, unavailable, during,
        absl::FormatDuration(restarting - stopped).c_str(),
        absl::FormatDuration(stopped - stopping).c_str(),
        absl::FormatDuration(recovered).c_str());
    calls.insert(calls.end(), load.calls().begin(), load.calls().end());
  }

  // Requests left unanswered are retried once on another replica: one
  // decision each (the row if their commit did land before the stop).
  std::vector<Call> answered;
  std::map<std::string, std::string> decision_of;
  int retried = 0, unknown = 0;
  std::map<std::string, const Call*> last_of;
  for (const Call& c : calls) {
    if (c.code == grpc::StatusCode::OK) {
      answered.push_back(c);
      decision_of[c.request.client_request_id()] = c.answer.decision_id();
    } else {
      last_of[c.request.client_request_id()] = &c;
    }
  }
  for (const auto& [id, c] : last_of) {
    const int other = (c->replica + 1) % kReplicas;
    Call again = *c;
    again.replica = other;
    auto stub = v1::RiskAssessment::NewStub(channels_[other]);
    const grpc::Status status =
        stub->Assess(Context().get(), again.request, &again.answer);
    ASSERT_TRUE(status.ok()) << id << ": " << status.error_message();
    again.code = grpc::StatusCode::OK;
    ++retried;
    decision_of[id] = again.answer.decision_id();
    answered.push_back(std::move(again));
  }

  // Every OK answer on record, exactly as answered; one record a request.
  absl::StatusOr<ledger::VerifyReport> report = ledger::VerifyLedger(uri_);
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_TRUE(report->ok()) << report->problems.front();
  ledger::LedgerOptions options;
  options.path = uri_;
  options.key_path = dir_.File("ledger.key");
  absl::StatusOr<std::unique_ptr<ledger::Ledger>> ledger =
      ledger::Ledger::Open(options);
  ASSERT_TRUE(ledger.ok()) << ledger.status();
  SentAnswers sent_answers(ledger->get());
  for (const Call& c : answered) {
    const std::string& id = c.answer.decision_id();
    absl::StatusOr<ledger::StoredDecision> stored = (*ledger)->GetDecision(id);
    ASSERT_TRUE(stored.ok())
        << "answered decision " << id << " (" << c.request.client_request_id()
        << ") is lost: " << stored.status();
    EXPECT_EQ(stored->record.client_request_id(),
              c.request.client_request_id());
    EXPECT_EQ(Difference(stored->record.facts(), c.request.facts()), "") << id;
    absl::StatusOr<v1::Assessment> sent = sent_answers.Of(stored->record);
    ASSERT_TRUE(sent.ok()) << id << ": " << sent.status();
    EXPECT_EQ(Difference(*sent, c.answer), "") << id;
  }
  std::map<std::string, std::vector<std::string>> records_of;
  std::string token;
  do {
    absl::StatusOr<ledger::DecisionPage> page = (*ledger)->ListDecisions(
        absl::UnixEpoch(), absl::Now() + absl::Hours(1), 1000, token);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const ledger::StoredDecision& d : page->decisions) {
      records_of[d.record.client_request_id()].push_back(
          d.record.decision_id());
    }
    token = page->next_page_token;
  } while (!token.empty());
  for (const auto& [request, decisions] : records_of) {
    EXPECT_EQ(decisions.size(), 1u) << request << " has several records";
    unknown += decision_of.count(request) == 0 ? 1 : 0;
  }
  for (const auto& [request, decision] : decision_of) {
    EXPECT_EQ(records_of[request], std::vector<std::string>{decision})
        << request;
  }
  EXPECT_EQ(unknown, 0) << "records of requests never sent";

  // Each replica's latest head after the outages: signed by the ledger's
  // key and a prefix of the ledger's latest tree (a consistency proof).
  const ledger::SignedTreeHead latest = (*ledger)->LatestTreeHead();
  for (int i = 0; i < kReplicas; ++i) {
    auto audit = v1::Audit::NewStub(channels_[i]);
    v1::GetTreeHeadResponse got;
    const grpc::Status status =
        audit->GetTreeHead(Context().get(), v1::GetTreeHeadRequest(), &got);
    ASSERT_TRUE(status.ok())
        << "replica " << i << ": " << status.error_message();
    ledger::SignedTreeHead head;
    head.head.tree_size = got.tree_size();
    absl::StatusOr<ledger::Hash> root = ledger::HashFromBytes(got.root_hash());
    ASSERT_TRUE(root.ok()) << root.status();
    head.head.root = *root;
    head.head.timestamp = absl::FromUnixMicros(
        google::protobuf::util::TimeUtil::TimestampToMicroseconds(
            got.timestamp()));
    head.signature = got.signature();
    EXPECT_TRUE(ledger::VerifyTreeHead(head, (*ledger)->public_key()))
        << "replica " << i;
    ASSERT_LE(head.head.tree_size, latest.head.tree_size) << "replica " << i;
    if (head.head.tree_size == 0) continue;
    absl::StatusOr<std::vector<ledger::Hash>> proof =
        (*ledger)->ConsistencyProof(head.head.tree_size, latest.head.tree_size);
    ASSERT_TRUE(proof.ok()) << proof.status();
    EXPECT_TRUE(ledger::VerifyConsistency(head.head.tree_size,
                                          latest.head.tree_size, head.head.root,
                                          latest.head.root, *proof))
        << "replica " << i << "'s head at " << head.head.tree_size
        << " is not a prefix of the ledger's";
  }
  std::printf(
      "%zu answers on record once each (%d retried after an outage), "
      "%zu decisions in the ledger\n",
      answered.size(), retried, records_of.size());

  // The command line verifies the PostgreSQL ledger too.
  const std::string command =
      absl::StrCat(LANTERN_BINARY, " ledger verify '", uri_, "' 2>&1");
  FILE* out = popen(command.c_str(), "r");
  ASSERT_NE(out, nullptr);
  std::string text;
  char buf[512];
  while (fgets(buf, sizeof buf, out) != nullptr) text += buf;
  EXPECT_EQ(pclose(out), 0) << text;
  EXPECT_NE(text.find("ok: "), std::string::npos) << text;
  std::printf("%s", text.c_str());
}

}  // namespace
}  // namespace lantern::testing
