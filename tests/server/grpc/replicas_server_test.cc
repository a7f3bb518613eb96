// Replicas on PostgreSQL (issue 13): three real `lantern serve` processes
// share one ledger in a throw-away PostgreSQL 15 (tests/testing/
// postgres_server.h) and sign with one key. Client threads call Assess on
// all three at once; after a random number of answers plus a random
// sub-millisecond pause one replica is SIGKILLed — the one holding the
// sequencer's lock at that moment (inside its commit) when one does, as
// PostgreSQL's pg_locks says, else one chosen at random. The other two must go
// on answering (their next commits wait only until PostgreSQL drops the dead
// replica's transaction); the time from the kill to their next answers is
// printed. Then every answered decision is on record exactly as answered, the
// ledger verifies, and the killed replica is restarted for the next round.
// Requests whose answer the kill lost are retried on another replica: one
// decision, the same on a second retry; answered ones retried on another
// replica get their own decision back. At the end every client_request_id is on
// record once and `lantern ledger verify postgresql://...` passes.
//
// SKIPPED only when PostgreSQL 15 is not installed. LANTERN_CRASH_SEED
// replays the kill points and facts (the interleaving is the machine's).
#include <signal.h>
#include <stdio.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/message_differencer.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "lantern/v1/service.grpc.pb.h"
#include "server/ledger/ledger.h"
#include "server/ledger/postgres.h"
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
constexpr int kRounds = 10;
constexpr int kClientsPerReplica = 2;
constexpr int kMaxAnswersBeforeKill = 80;
constexpr int kAnswersAfterKill = 20;
constexpr int kMaxPauseMicros = 800;
constexpr int kRetriesPerRound = 6;
// Safety nets for a hung server, never timing conditions.
constexpr auto kCallDeadline = std::chrono::seconds(60);
constexpr absl::Duration kLoadTimeout = absl::Seconds(120);

struct Sent {
  v1::AssessRequest request;
  v1::Assessment answer;  // only for an answered call
  int replica = 0;
};

std::unique_ptr<grpc::ClientContext> Context() {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + kCallDeadline);
  return context;
}

std::unique_ptr<v1::RiskAssessment::Stub> Stub(const std::string& address,
                                               int n) {
  grpc::ChannelArguments args;
  args.SetInt("lantern_replica_channel", n);  // one connection per client
  return v1::RiskAssessment::NewStub(grpc::CreateCustomChannel(
      address, grpc::InsecureChannelCredentials(), args));
}

std::string Difference(const google::protobuf::Message& a,
                       const google::protobuf::Message& b) {
  std::string report;
  MessageDifferencer differencer;
  differencer.ReportDifferencesToString(&report);
  return differencer.Compare(a, b) ? "" : report;
}

// Client threads, kClientsPerReplica on each replica, calling Assess back
// to back until told to stop or a call fails. A failure on a replica that
// was not killed is the test's failure.
class Load {
 public:
  Load(const std::vector<std::string>& addresses,
       const ExampleRequests& requests, int round, unsigned seed) {
    for (int c = 0; c < kReplicas * kClientsPerReplica; ++c) {
      const int replica = c % kReplicas;
      threads_.emplace_back([this, address = addresses[replica], &requests,
                             round, seed, c, replica] {
        Run(Stub(address, c), requests, round, seed, c, replica);
      });
    }
  }

  // Waits until `answers` calls were answered (false on the safety timeout
  // or a failure).
  bool AwaitAnswers(size_t answers) {
    absl::MutexLock lock(&mu_);
    target_ = answers;
    return mu_.AwaitWithTimeout(absl::Condition(this, &Load::Reached),
                                kLoadTimeout) &&
           failures_.empty();
  }

  // From now on, calls to `replica` may fail.
  void MarkKilled(int replica) {
    absl::MutexLock lock(&mu_);
    killed_ = replica;
  }

  // Answers by replicas other than the killed one, so far.
  size_t SurvivorAnswers() {
    absl::MutexLock lock(&mu_);
    return Survivors();
  }

  // Waits until the replicas not killed have given `answers` answers
  // (false on the safety timeout or a failure).
  bool AwaitSurvivorAnswers(size_t answers) {
    absl::MutexLock lock(&mu_);
    target_ = answers;
    return mu_.AwaitWithTimeout(absl::Condition(this, &Load::SurvivorsReached),
                                kLoadTimeout) &&
           failures_.empty();
  }

  void StopAndJoin() {
    {
      absl::MutexLock lock(&mu_);
      stop_ = true;
    }
    for (std::thread& t : threads_) t.join();
  }

  // REQUIRES: StopAndJoin() has returned.
  std::vector<Sent>& answered() { return answered_; }
  std::vector<Sent>& lost() { return lost_; }
  const std::vector<std::string>& failures() { return failures_; }

 private:
  bool Reached() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return answered_.size() >= target_ || !failures_.empty();
  }
  size_t Survivors() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    size_t n = 0;
    for (const Sent& s : answered_) n += s.replica != killed_ ? 1 : 0;
    return n;
  }
  bool SurvivorsReached() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return Survivors() >= target_ || !failures_.empty();
  }

  void Run(std::unique_ptr<v1::RiskAssessment::Stub> stub,
           const ExampleRequests& requests, int round, unsigned seed,
           int client, int replica) {
    std::mt19937 random(seed + 7919 * round + 104729 * client);
    for (int i = 0;; ++i) {
      {
        absl::MutexLock lock(&mu_);
        if (stop_) return;
      }
      Sent sent{requests.Request(absl::StrCat("r", round, "-c", client, "-", i),
                                 random),
                {},
                replica};
      const grpc::Status status =
          stub->Assess(Context().get(), sent.request, &sent.answer);
      absl::MutexLock lock(&mu_);
      if (status.ok()) {
        answered_.push_back(std::move(sent));
        continue;
      }
      if (killed_ != replica) {
        failures_.push_back(absl::StrCat(
            "replica ", replica, ": ", sent.request.client_request_id(), ": ",
            status.error_code(), " ", status.error_message()));
      }
      lost_.push_back(std::move(sent));
      return;
    }
  }

  absl::Mutex mu_;
  std::vector<Sent> answered_ ABSL_GUARDED_BY(mu_);
  std::vector<Sent> lost_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> failures_ ABSL_GUARDED_BY(mu_);
  int killed_ ABSL_GUARDED_BY(mu_) = -1;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  size_t target_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::thread> threads_;
};

class ReplicasTest : public ::testing::Test {
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
    replicas_.resize(kReplicas);
  }

  // Starts replica `i` unless it is running.
  void StartReplica(int i, const std::string& rules = SourcePath("rules")) {
    if (replicas_[i] != nullptr) return;
    std::string error;
    replicas_[i] = ServerProcess::Start(
        LANTERN_BINARY,
        {"--rules=" + rules, "--ledger=" + uri_,
         "--ledger_key=" + dir_.File("ledger.key")},
        dir_.File(absl::StrCat("replica", i, "-", ++starts_, ".log")), &error);
    ASSERT_NE(replicas_[i], nullptr) << error;
  }

  // The replica whose transaction holds the sequencer's lock now, if any
  // (its connections are named "lantern PID"); else -1.
  int SequencerNow() {
    if (watcher_ == nullptr) {
      absl::StatusOr<std::unique_ptr<ledger::PgConnection>> c =
          ledger::PgConnection::Connect(uri_);
      if (!c.ok()) return -1;
      watcher_ = *std::move(c);
    }
    absl::StatusOr<ledger::PgResult> r = watcher_->Exec(
        "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a "
        "ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted");
    if (!r.ok() || r->rows() == 0) return -1;
    const std::string name = r->Bytes(0, 0);
    for (int i = 0; i < kReplicas; ++i) {
      if (replicas_[i] != nullptr &&
          name == absl::StrCat("lantern ", replicas_[i]->pid())) {
        return i;
      }
    }
    return -1;
  }

  std::unique_ptr<ledger::Ledger> OpenLedger() {
    ledger::LedgerOptions options;
    options.path = uri_;
    options.key_path = dir_.File("ledger.key");
    absl::StatusOr<std::unique_ptr<ledger::Ledger>> ledger =
        ledger::Ledger::Open(options);
    EXPECT_TRUE(ledger.ok()) << ledger.status();
    return ledger.ok() ? *std::move(ledger) : nullptr;
  }

  // The ledger verifies, and every answered call is on record with the
  // facts sent and the assessment received.
  void ExpectAnsweredOnRecord(const std::vector<Sent>& answered) {
    absl::StatusOr<ledger::VerifyReport> report = ledger::VerifyLedger(uri_);
    ASSERT_TRUE(report.ok()) << report.status();
    ASSERT_TRUE(report->ok()) << report->problems.front();
    std::unique_ptr<ledger::Ledger> ledger = OpenLedger();
    ASSERT_NE(ledger, nullptr);
    SentAnswers sent_answers(ledger.get());
    for (const Sent& sent : answered) {
      const std::string& id = sent.answer.decision_id();
      absl::StatusOr<ledger::StoredDecision> stored = ledger->GetDecision(id);
      ASSERT_TRUE(stored.ok()) << "answered decision " << id << " ("
                               << sent.request.client_request_id()
                               << ") is lost: " << stored.status();
      const v1::DecisionRecord& record = stored->record;
      EXPECT_EQ(record.client_request_id(), sent.request.client_request_id());
      EXPECT_EQ(Difference(record.facts(), sent.request.facts()), "") << id;
      absl::StatusOr<v1::Assessment> sent_answer = sent_answers.Of(record);
      ASSERT_TRUE(sent_answer.ok()) << id << ": " << sent_answer.status();
      EXPECT_EQ(Difference(*sent_answer, sent.answer), "") << id;
    }
  }

  // Retries lost requests (twice each, on a replica other than their own):
  // one decision, the same both times; and answered ones: their decision.
  void Retry(const std::vector<Sent>& lost, const std::vector<Sent>& answered,
             std::vector<Sent>& retried) {
    for (size_t i = 0; i < lost.size() && i < kRetriesPerRound; ++i) {
      const int other = (lost[i].replica + 1 + i % 2) % kReplicas;
      auto stub = Stub(replicas_[other]->address(), 100 + other);
      Sent first{lost[i].request, {}, other}, second{lost[i].request, {}, 0};
      ASSERT_TRUE(
          stub->Assess(Context().get(), first.request, &first.answer).ok());
      ASSERT_TRUE(
          stub->Assess(Context().get(), second.request, &second.answer).ok());
      EXPECT_EQ(Difference(first.answer, second.answer), "");
      decision_of_[first.request.client_request_id()] =
          first.answer.decision_id();
      retried.push_back(std::move(first));
    }
    for (size_t i = 0; i < answered.size() && i < kRetriesPerRound; ++i) {
      const Sent& sent = answered[answered.size() - 1 - i];
      const int other = (sent.replica + 1) % kReplicas;
      auto stub = Stub(replicas_[other]->address(), 200 + other);
      v1::Assessment again;
      ASSERT_TRUE(stub->Assess(Context().get(), sent.request, &again).ok());
      EXPECT_EQ(Difference(again, sent.answer), "");
    }
  }

  void ExpectOneRecordPerRequest() {
    std::unique_ptr<ledger::Ledger> ledger = OpenLedger();
    ASSERT_NE(ledger, nullptr);
    std::map<std::string, std::vector<std::string>> decisions_of;
    std::string token;
    do {
      absl::StatusOr<ledger::DecisionPage> page = ledger->ListDecisions(
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
    std::printf("%zu decisions on record, each request once\n",
                decisions_of.size());
  }

  std::unique_ptr<PostgresServer> pg_;
  std::unique_ptr<ledger::PgConnection> watcher_;
  std::string uri_;
  ScratchDir dir_;
  std::vector<std::unique_ptr<ServerProcess>> replicas_;
  std::map<std::string, std::string> decision_of_;
  int starts_ = 0;
};

unsigned Seed() {
  const char* fixed = std::getenv("LANTERN_CRASH_SEED");
  const unsigned seed = fixed != nullptr ? std::strtoul(fixed, nullptr, 10)
                                         : std::random_device{}();
  std::printf("seed %u (LANTERN_CRASH_SEED=%u replays it)\n", seed, seed);
  return seed;
}

TEST_F(ReplicasTest, EveryAnswerOnceWhileReplicasAreKilled) {
  const unsigned seed = Seed();
  std::mt19937 random(seed);
  const ExampleRequests requests;
  std::vector<Sent> previous_answered, previous_lost;
  int sequencers_killed = 0;
  for (int round = 0; round <= kRounds; ++round) {
    for (int i = 0; i < kReplicas; ++i) {
      StartReplica(i);
      ASSERT_FALSE(HasFatalFailure()) << "round " << round;
    }
    std::vector<Sent> retried;
    Retry(previous_lost, previous_answered, retried);
    if (HasFatalFailure()) return;
    if (round == kRounds) {
      ExpectAnsweredOnRecord(retried);
      break;
    }
    std::vector<std::string> addresses;
    for (const auto& r : replicas_) addresses.push_back(r->address());
    const int kill_after =
        std::uniform_int_distribution<int>(1, kMaxAnswersBeforeKill)(random);
    const int pause_us =
        std::uniform_int_distribution<int>(0, kMaxPauseMicros)(random);
    Load load(addresses, requests, round, seed);
    const bool reached = load.AwaitAnswers(kill_after);
    std::this_thread::sleep_for(std::chrono::microseconds(pause_us));
    // The replica sequencing at this moment, when one is; else any.
    const int sequencer = SequencerNow();
    const int victim = sequencer >= 0
                           ? sequencer
                           : std::uniform_int_distribution<int>(0, 2)(random);
    sequencers_killed += sequencer >= 0 ? 1 : 0;
    load.MarkKilled(victim);
    const size_t before = load.SurvivorAnswers();
    const absl::Time killed_at = absl::Now();
    replicas_[victim]->Signal(SIGKILL);
    EXPECT_EQ(replicas_[victim]->Wait(), -1);
    const bool survived = load.AwaitSurvivorAnswers(before + kAnswersAfterKill);
    const absl::Duration failover = absl::Now() - killed_at;
    load.StopAndJoin();
    replicas_[victim] = nullptr;
    ASSERT_TRUE(reached && survived)
        << "round " << round << ": "
        << (load.failures().empty() ? "no answers before the safety timeout"
                                    : load.failures().front());
    std::vector<Sent>& answered = load.answered();
    answered.insert(answered.end(), retried.begin(), retried.end());
    ExpectAnsweredOnRecord(answered);
    if (HasFatalFailure()) return;
    std::printf(
        "round %d: replica %d%s killed after %d answers (+%d us); the others "
        "answered %d more within %s; %zu calls unanswered; all %zu answers "
        "on record, ledger verifies\n",
        round, victim,
        sequencer >= 0 ? " (holding the sequencer's lock just before)" : "",
        kill_after, pause_us, kAnswersAfterKill,
        absl::FormatDuration(failover).c_str(), load.lost().size(),
        answered.size());
    previous_answered = std::move(answered);
    previous_lost = std::move(load.lost());
  }
  std::printf("%d of %d kills hit the replica holding the sequencer's lock\n",
              sequencers_killed, kRounds);
  ExpectOneRecordPerRequest();
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

// An Activate on one replica (its rules directory changed) is recorded,
// then taken up by the others, whose answers name the new digest.
TEST_F(ReplicasTest, AnActivationOnOneReplicaIsTakenUpByTheOthers) {
  const std::string rules = dir_.File("rules");
  std::filesystem::copy(SourcePath("rules"), rules,
                        std::filesystem::copy_options::recursive);
  for (int i = 0; i < kReplicas; ++i) {
    StartReplica(i, i == 0 ? rules : SourcePath("rules"));
    ASSERT_FALSE(HasFatalFailure());
  }
  const ExampleRequests requests;
  std::mt19937 random(1);
  auto digest_at = [&](int replica) {
    auto stub = Stub(replicas_[replica]->address(), 300 + replica);
    v1::Assessment answer;
    const grpc::Status status = stub->Assess(
        Context().get(),
        requests.Request(absl::StrCat("activation-", random()), random),
        &answer);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return answer.ruleset().digest();
  };
  const std::string before = digest_at(1);
  ASSERT_FALSE(before.empty());
  {
    std::ofstream manifest(rules + "/manifest.yaml", std::ios::app);
    manifest << "\n# changed on replica 0 by replicas_server_test\n";
  }
  auto stub = v1::RuleSets::NewStub(grpc::CreateChannel(
      replicas_[0]->address(), grpc::InsecureChannelCredentials()));
  v1::ActivateRuleSetResponse activated;
  const grpc::Status status =
      stub->Activate(Context().get(), v1::ActivateRuleSetRequest(), &activated);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(activated.outcome(), v1::ActivateRuleSetResponse::ACTIVATED);
  const std::string after = activated.active().digest();
  ASSERT_NE(after, before);
  EXPECT_EQ(digest_at(0), after);
  // The others take it up when told (or at their next poll): ask until
  // they do, within the safety net.
  for (int i = 1; i < kReplicas; ++i) {
    const absl::Time give_up = absl::Now() + kLoadTimeout;
    std::string digest = digest_at(i);
    while (digest != after && absl::Now() < give_up) {
      absl::SleepFor(absl::Milliseconds(50));
      digest = digest_at(i);
    }
    EXPECT_EQ(digest, after) << "replica " << i << "\n" << replicas_[i]->log();
  }
  // Recorded once, by replica 0: the others' take-up appends nothing.
  std::unique_ptr<ledger::Ledger> ledger = OpenLedger();
  ASSERT_NE(ledger, nullptr);
  absl::StatusOr<std::vector<ledger::StoredActivation>> activations =
      ledger->ListActivations();
  ASSERT_TRUE(activations.ok()) << activations.status();
  ASSERT_EQ(activations->size(), 2u);
  EXPECT_EQ(activations->back().record.ruleset_digest(), after);
}

}  // namespace
}  // namespace lantern::testing
