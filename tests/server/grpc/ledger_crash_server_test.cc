// Crash safety of the real `lantern serve` with its audit ledger (issue 6
// §4): client threads call Assess concurrently (real gRPC stubs, the shipped
// rules, the shipped example episodes with varied facts, a unique
// client_request_id per call); the server is killed with SIGKILL after a
// random number of answers plus a random sub-millisecond pause (so at a
// random point of a commit); then, with the server dead, the ledger file
// verifies and holds every decision a client was answered with — the facts
// it sent and the assessment it received. The server is restarted on the
// same ledger and the next round begins, for kRounds rounds and a final
// restart. After each restart some requests whose answer was lost in the
// kill are retried with their client_request_id: each gets one decision
// (the stored one if the record was durable, else a new one), the same on a
// second retry; a retry of an answered request gets its decision back. At
// the end every client_request_id is in the ledger at most once.
//
// The seed is printed; LANTERN_CRASH_SEED=<seed> replays the same kill
// points and facts (the interleaving of threads is the machine's).
//
// Thread-safety: the client threads share only a Load's mutex-guarded
// state; everything else runs on the test thread.
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "lantern/v1/service.grpc.pb.h"
#include "server/ledger/ledger.h"
#include "server/ledger/verifier.h"
#include "tests/testing/example_requests.h"
#include "tests/testing/ledger_records.h"
#include "tests/testing/sent_answer.h"
#include "tests/testing/server_process.h"
#include "tests/testing/test_data.h"

namespace lantern::testing {
namespace {

using ::google::protobuf::util::MessageDifferencer;

constexpr int kRounds = 10;
constexpr int kClients = 4;
constexpr int kMaxAnswersBeforeKill = 120;
constexpr int kMaxPauseMicros = 800;
constexpr int kRetriesPerRound = 6;
// Safety nets for a hung server, never timing conditions.
constexpr auto kCallDeadline = std::chrono::seconds(30);
constexpr absl::Duration kLoadTimeout = absl::Seconds(60);

// A call and what came of it.
struct Sent {
  v1::AssessRequest request;
  v1::Assessment answer;  // only for an answered call
};

using Episodes = ExampleRequests;

std::unique_ptr<grpc::ClientContext> Context() {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + kCallDeadline);
  return context;
}

std::unique_ptr<v1::RiskAssessment::Stub> Stub(const std::string& address,
                                               int n) {
  grpc::ChannelArguments args;
  args.SetInt("lantern_crash_channel", n);  // one connection per client
  return v1::RiskAssessment::NewStub(grpc::CreateCustomChannel(
      address, grpc::InsecureChannelCredentials(), args));
}

// Client threads calling Assess back to back until a call fails (after the
// kill). A failure before the kill is the test's failure.
class Load {
 public:
  Load(const std::string& address, const Episodes& episodes, int round,
       unsigned seed) {
    for (int c = 0; c < kClients; ++c) {
      threads_.emplace_back([this, address, &episodes, round, seed, c] {
        Run(Stub(address, c), episodes, round, seed, c);
      });
    }
  }

  // Waits until `answers` calls were answered (false on the safety
  // timeout or a failure), then marks the kill: failures from now on are
  // expected.
  bool AwaitAnswersThenMarkKill(size_t answers) {
    absl::MutexLock lock(&mu_);
    target_ = answers;
    const bool reached =
        mu_.AwaitWithTimeout(absl::Condition(this, &Load::Reached),
                             kLoadTimeout) &&
        early_failures_.empty();
    killed_ = true;
    return reached;
  }

  // REQUIRES: the server is dead (every thread's last call fails).
  void Join() {
    for (std::thread& t : threads_) t.join();
  }
  // REQUIRES: Join() has returned.
  std::vector<Sent>& answered() { return answered_; }
  std::vector<Sent>& lost() { return lost_; }
  const std::vector<std::string>& early_failures() { return early_failures_; }

 private:
  bool Reached() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return answered_.size() >= target_ || !early_failures_.empty();
  }

  void Run(std::unique_ptr<v1::RiskAssessment::Stub> stub,
           const Episodes& episodes, int round, unsigned seed, int client) {
    std::mt19937 random(seed + 7919 * round + 104729 * client);
    for (int i = 0;; ++i) {
      Sent sent{episodes.Request(absl::StrCat("r", round, "-c", client, "-", i),
                                 random),
                {}};
      const grpc::Status status =
          stub->Assess(Context().get(), sent.request, &sent.answer);
      absl::MutexLock lock(&mu_);
      if (status.ok()) {
        answered_.push_back(std::move(sent));
        continue;
      }
      if (!killed_) {
        early_failures_.push_back(absl::StrCat(sent.request.client_request_id(),
                                               ": ", status.error_code(), " ",
                                               status.error_message()));
      }
      lost_.push_back(std::move(sent));
      return;
    }
  }

  absl::Mutex mu_;
  std::vector<Sent> answered_ ABSL_GUARDED_BY(mu_);
  std::vector<Sent> lost_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> early_failures_ ABSL_GUARDED_BY(mu_);
  bool killed_ ABSL_GUARDED_BY(mu_) = false;
  size_t target_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::thread> threads_;
};

std::string Difference(const google::protobuf::Message& a,
                       const google::protobuf::Message& b) {
  std::string report;
  MessageDifferencer differencer;
  differencer.ReportDifferencesToString(&report);
  return differencer.Compare(a, b) ? "" : report;
}

// With the server dead: the whole ledger verifies, and every answered call
// is on record with the facts sent and the assessment received.
void ExpectAnsweredOnRecord(const std::string& path,
                            const std::vector<Sent>& answered) {
  absl::StatusOr<ledger::VerifyReport> report = ledger::VerifyLedger(path);
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_TRUE(report->ok()) << report->problems.front();
  ledger::LedgerOptions options;
  options.path = path;
  absl::StatusOr<std::unique_ptr<ledger::Ledger>> ledger =
      ledger::Ledger::Open(options);
  ASSERT_TRUE(ledger.ok()) << ledger.status();
  SentAnswers sent_answers(ledger->get());
  for (const Sent& sent : answered) {
    const std::string& id = sent.answer.decision_id();
    absl::StatusOr<ledger::StoredDecision> stored = (*ledger)->GetDecision(id);
    ASSERT_TRUE(stored.ok())
        << "answered decision " << id << " ("
        << sent.request.client_request_id() << ") is lost: " << stored.status();
    const v1::DecisionRecord& record = stored->record;
    EXPECT_EQ(record.client_request_id(), sent.request.client_request_id());
    EXPECT_EQ(Difference(record.facts(), sent.request.facts()), "") << id;
    absl::StatusOr<v1::Assessment> sent_answer = sent_answers.Of(record);
    ASSERT_TRUE(sent_answer.ok()) << id << ": " << sent_answer.status();
    EXPECT_EQ(Difference(*sent_answer, sent.answer), "") << id;
    EXPECT_EQ(Difference(record.as_of(), sent.request.as_of()), "") << id;
  }
}

// Retries of requests the kill left unanswered, and of answered ones.
class Retries {
 public:
  // Retries up to kRetriesPerRound of `lost` twice each: one decision, the
  // same both times. Those answered go into `answered` (to be checked on
  // record after the next kill).
  void RetryLost(v1::RiskAssessment::Stub& stub, const std::vector<Sent>& lost,
                 std::vector<Sent>& answered) {
    const absl::Time restarted = absl::Now();
    for (size_t i = 0; i < lost.size() && i < kRetriesPerRound; ++i) {
      Sent first{lost[i].request, {}}, second{lost[i].request, {}};
      ASSERT_TRUE(
          stub.Assess(Context().get(), first.request, &first.answer).ok());
      ASSERT_TRUE(
          stub.Assess(Context().get(), second.request, &second.answer).ok());
      EXPECT_EQ(Difference(first.answer, second.answer), "");
      const absl::Time evaluated =
          absl::FromUnixSeconds(first.answer.evaluated_at().seconds()) +
          absl::Nanoseconds(first.answer.evaluated_at().nanos());
      const bool stored = evaluated < restarted;
      ++(stored ? lost_stored_ : lost_new_);
      decision_of_[first.request.client_request_id()] =
          first.answer.decision_id();
      answered.push_back(std::move(first));
    }
  }

  // Retries up to kRetriesPerRound of `answered`: the same decision back.
  void RetryAnswered(v1::RiskAssessment::Stub& stub,
                     const std::vector<Sent>& previous) {
    for (size_t i = 0; i < previous.size() && i < kRetriesPerRound; ++i) {
      const Sent& sent = previous[previous.size() - 1 - i];
      v1::Assessment again;
      ASSERT_TRUE(stub.Assess(Context().get(), sent.request, &again).ok());
      EXPECT_EQ(Difference(again, sent.answer), "");
      ++answered_retried_;
    }
  }

  // Every client_request_id is on record at most once; a retried lost
  // request's is the decision the retries got.
  void ExpectOneRecordPerRequest(const std::string& path) const {
    ledger::LedgerOptions options;
    options.path = path;
    absl::StatusOr<std::unique_ptr<ledger::Ledger>> ledger =
        ledger::Ledger::Open(options);
    ASSERT_TRUE(ledger.ok()) << ledger.status();
    std::map<std::string, std::vector<std::string>> decisions_of;
    std::string token;
    do {
      absl::StatusOr<ledger::DecisionPage> page = (*ledger)->ListDecisions(
          absl::UnixEpoch(), absl::Now() + absl::Hours(1), 1000, token);
      ASSERT_TRUE(page.ok()) << page.status();
      for (const ledger::StoredDecision& d : page->decisions) {
        decisions_of[d.record.client_request_id()].push_back(
            d.record.decision_id());
      }
      token = page->next_page_token;
    } while (!token.empty());
    for (const auto& [request, decisions] : decisions_of) {
      EXPECT_EQ(decisions.size(), 1u) << request << " has several records";
    }
    for (const auto& [request, decision] : decision_of_) {
      EXPECT_EQ(decisions_of[request], std::vector<std::string>{decision})
          << request;
    }
    std::printf(
        "%zu decisions on record; lost answers retried: %d were on record, "
        "%d decided anew; %d answered requests retried\n",
        decisions_of.size(), lost_stored_, lost_new_, answered_retried_);
  }

 private:
  std::map<std::string, std::string> decision_of_;
  int lost_stored_ = 0, lost_new_ = 0, answered_retried_ = 0;
};

std::unique_ptr<ServerProcess> StartServer(const ScratchDir& dir) {
  std::string error;
  std::unique_ptr<ServerProcess> server = ServerProcess::Start(
      LANTERN_BINARY,
      {"--rules=" + SourcePath("rules"), "--ledger=" + dir.File("ledger.db")},
      dir.File("server.log"), &error);
  EXPECT_NE(server, nullptr) << error;
  return server;
}

unsigned Seed() {
  const char* fixed = std::getenv("LANTERN_CRASH_SEED");
  const unsigned seed = fixed != nullptr ? std::strtoul(fixed, nullptr, 10)
                                         : std::random_device{}();
  std::printf("seed %u (LANTERN_CRASH_SEED=%u replays it)\n", seed, seed);
  return seed;
}

TEST(LedgerCrashServer, EveryAnswerSurvivesSigkillAndRetriesAreIdempotent) {
  const unsigned seed = Seed();
  std::mt19937 random(seed);
  const Episodes episodes;
  ScratchDir dir;
  Retries retries;
  std::vector<Sent> previous_answered, previous_lost;
  for (int round = 0; round <= kRounds; ++round) {
    std::unique_ptr<ServerProcess> server = StartServer(dir);
    ASSERT_NE(server, nullptr) << "round " << round;
    std::vector<Sent> retried;
    {
      std::unique_ptr<v1::RiskAssessment::Stub> stub =
          Stub(server->address(), kClients);
      retries.RetryLost(*stub, previous_lost, retried);
      retries.RetryAnswered(*stub, previous_answered);
    }
    if (HasFatalFailure()) return;
    if (round == kRounds) {  // the last restart: retries only, clean stop
      server->Signal(SIGTERM);
      EXPECT_EQ(server->Wait(), 0) << server->log();
      ExpectAnsweredOnRecord(dir.File("ledger.db"), retried);
      break;
    }
    const int kill_after =
        std::uniform_int_distribution<int>(1, kMaxAnswersBeforeKill)(random);
    const int pause_us =
        std::uniform_int_distribution<int>(0, kMaxPauseMicros)(random);
    Load load(server->address(), episodes, round, seed);
    const bool reached = load.AwaitAnswersThenMarkKill(kill_after);
    std::this_thread::sleep_for(std::chrono::microseconds(pause_us));
    server->Signal(SIGKILL);
    EXPECT_EQ(server->Wait(), -1);
    load.Join();
    ASSERT_TRUE(reached) << "round " << round << ": "
                         << (load.early_failures().empty()
                                 ? "no answers before the safety timeout"
                                 : load.early_failures().front())
                         << "\n"
                         << server->log();
    std::vector<Sent>& answered = load.answered();
    answered.insert(answered.end(), retried.begin(), retried.end());
    ExpectAnsweredOnRecord(dir.File("ledger.db"), answered);
    if (HasFatalFailure()) return;
    std::printf(
        "round %d: killed after %zu answers (asked %d, +%d us), %zu calls "
        "unanswered; all on record, ledger verifies\n",
        round, answered.size() - retried.size(), kill_after, pause_us,
        load.lost().size());
    previous_answered = std::move(answered);
    previous_lost = std::move(load.lost());
  }
  retries.ExpectOneRecordPerRequest(dir.File("ledger.db"));
}

}  // namespace
}  // namespace lantern::testing
