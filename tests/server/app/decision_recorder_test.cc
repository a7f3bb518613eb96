// DecisionRecorder over a real ledger in a scratch directory: what a
// decision's record holds, retries by client_request_id (the same request,
// and a different one under a used id), recording off, and an answer the
// ledger cannot make durable (UNAVAILABLE, in a child process whose file
// size limit makes the ledger's commit fail, and the server is told that
// its ledger is down).
#include "server/app/decision_recorder.h"

#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "engine/version.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/testing/ledger_records.h"

namespace lantern {
namespace {

using ::google::protobuf::util::MessageDifferencer;
using ::lantern::testing::ScratchDir;
using ::lantern::testing::Stamp;

std::unique_ptr<ledger::Ledger> OpenLedger(const ScratchDir& dir) {
  ledger::LedgerOptions options;
  options.path = dir.File("ledger.db");
  absl::StatusOr<std::unique_ptr<ledger::Ledger>> ledger =
      ledger::Ledger::Open(options);
  EXPECT_TRUE(ledger.ok()) << ledger.status();
  return ledger.ok() ? *std::move(ledger) : nullptr;
}

v1::AssessRequest Request(const std::string& child, const std::string& id) {
  v1::AssessRequest request;
  request.mutable_facts()->mutable_child()->set_reference(child);
  request.mutable_facts()->mutable_child()->set_age_years(15);
  request.set_client_request_id(id);
  return request;
}

// The answer the assessor would have given, stamped `decision_id`.
v1::Assessment Answer(const std::string& decision_id, v1::RiskGrade grade) {
  v1::Assessment a;
  a.set_decision_id(decision_id);
  a.mutable_ruleset()->set_id("lantern.test");
  a.mutable_ruleset()->set_version("1");
  a.mutable_ruleset()->set_digest("sha256:01");
  *a.mutable_evaluated_at() = Stamp(1714824000);
  *a.mutable_as_of() = Stamp(1714820000);
  a.mutable_grade()->set_grade(grade);
  return a;
}

// Records and waits for the outcome.
absl::Status RecordAndWait(DecisionRecorder& recorder,
                           const v1::AssessRequest& request,
                           v1::Assessment* answer) {
  absl::Notification done;
  absl::Status outcome;
  recorder.Record(request, answer, [&](absl::Status s) {
    outcome = s;
    done.Notify();
  });
  done.WaitForNotification();
  return outcome;
}

TEST(DecisionRecorderTest, RecordsTheRequestAndTheWholeAnswer) {
  ScratchDir dir;
  std::unique_ptr<ledger::Ledger> ledger = OpenLedger(dir);
  DecisionRecorder recorder(ledger.get());
  const v1::AssessRequest request = Request("C1", "req-1");
  v1::Assessment answer = Answer("run-1", v1::HIGH);
  ASSERT_TRUE(RecordAndWait(recorder, request, &answer).ok());

  absl::StatusOr<ledger::StoredDecision> stored = ledger->GetDecision("run-1");
  ASSERT_TRUE(stored.ok()) << stored.status();
  const v1::DecisionRecord& r = stored->record;
  EXPECT_EQ(r.client_request_id(), "req-1");
  EXPECT_EQ(r.ruleset_digest(), "sha256:01");
  EXPECT_EQ(r.engine_version(), kEngineVersion);
  EXPECT_TRUE(MessageDifferencer::Equals(r.received_at(), Stamp(1714824000)));
  EXPECT_TRUE(MessageDifferencer::Equals(r.as_of(), Stamp(1714820000)));
  EXPECT_TRUE(MessageDifferencer::Equals(r.facts(), request.facts()));
  EXPECT_TRUE(MessageDifferencer::Equals(r.assessment(), answer));
}

TEST(DecisionRecorderTest,
     ARetryGetsTheStoredAnswerAndAnotherRequestIsRefused) {
  ScratchDir dir;
  std::unique_ptr<ledger::Ledger> ledger = OpenLedger(dir);
  DecisionRecorder recorder(ledger.get());
  const v1::AssessRequest request = Request("C1", "req-1");
  v1::Assessment first = Answer("run-1", v1::HIGH);
  ASSERT_TRUE(RecordAndWait(recorder, request, &first).ok());

  // The retry was evaluated again (a new id, here even another grade): the
  // caller gets the stored answer back.
  v1::Assessment retry = Answer("run-2", v1::LOW);
  ASSERT_TRUE(RecordAndWait(recorder, request, &retry).ok());
  EXPECT_EQ(retry.decision_id(), "run-1");
  EXPECT_EQ(retry.grade().grade(), v1::HIGH);

  v1::AssessRequest other = Request("C2", "req-1");
  v1::Assessment other_answer = Answer("run-3", v1::LOW);
  absl::Status refused = RecordAndWait(recorder, other, &other_answer);
  EXPECT_EQ(refused.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(refused.message().find("'req-1' was already used"),
            std::string::npos)
      << refused;

  v1::AssessRequest later = request;  // same facts, another as_of
  *later.mutable_as_of() = Stamp(1714900000);
  v1::Assessment later_answer = Answer("run-4", v1::LOW);
  EXPECT_EQ(RecordAndWait(recorder, later, &later_answer).code(),
            absl::StatusCode::kAlreadyExists);

  // Pinned to the recorded ruleset (by version or digest): the same
  // request; pinned to another: not.
  for (const std::string pin : {"1", "sha256:01", "2"}) {
    v1::AssessRequest pinned = request;
    pinned.set_ruleset_version(pin);
    v1::Assessment pinned_answer = Answer("run-5", v1::LOW);
    EXPECT_EQ(
        RecordAndWait(recorder, pinned, &pinned_answer).code(),
        pin == "2" ? absl::StatusCode::kAlreadyExists : absl::StatusCode::kOk)
        << pin;
  }

  EXPECT_EQ(ledger->stats().appended, 1u);
  EXPECT_EQ(ledger->GetDecision("run-2").status().code(),
            absl::StatusCode::kNotFound);
}

TEST(DecisionRecorderTest, OffAnswersAtOnceAndRecordsNothing) {
  DecisionRecorder recorder(nullptr);
  EXPECT_FALSE(recorder.recording());
  const v1::AssessRequest request = Request("C1", "");
  v1::Assessment answer = Answer("run-1", v1::HIGH);
  bool called = false;
  recorder.Record(request, &answer, [&](absl::Status s) {
    EXPECT_TRUE(s.ok());
    called = true;
  });
  EXPECT_TRUE(called);
  EXPECT_EQ(answer.decision_id(), "run-1");
}

// In a child process: a ledger whose file may not grow (RLIMIT_FSIZE) and a
// decision too big for the space its files already have.
void RecordWithoutSpace(const std::string& dir_path) {
  signal(SIGXFSZ, SIG_IGN);  // a write past the limit fails with EFBIG
  ledger::LedgerOptions options;
  options.path = dir_path + "/ledger.db";
  absl::StatusOr<std::unique_ptr<ledger::Ledger>> ledger =
      ledger::Ledger::Open(options);
  if (!ledger.ok()) _exit(2);
  rlimit limit;
  if (getrlimit(RLIMIT_FSIZE, &limit) != 0) _exit(3);
  const rlimit unlimited = limit;
  limit.rlim_cur = 1;  // the death test's stderr file is limited too
  if (setrlimit(RLIMIT_FSIZE, &limit) != 0) _exit(3);
  std::atomic<int> down_reports{0};
  DecisionRecorder recorder(ledger->get(), [&](const absl::Status& why) {
    if (absl::IsUnavailable(why)) ++down_reports;
  });
  v1::AssessRequest request = Request("C1", "");
  request.mutable_facts()->add_narratives()->set_text(
      std::string(1 << 20, 'x'));
  absl::Status outcomes[2];
  for (absl::Status& outcome : outcomes) {  // the second finds it stopped
    v1::Assessment answer =
        Answer(absl::StrCat("run-", &outcome - outcomes), v1::HIGH);
    outcome = RecordAndWait(recorder, request, &answer);
  }
  setrlimit(RLIMIT_FSIZE, &unlimited);
  for (const absl::Status& outcome : outcomes) {
    fprintf(stderr, "%s\n", outcome.ToString().c_str());
    if (!absl::IsUnavailable(outcome)) _exit(4);
  }
  // The first failed commit stops the ledger; both calls find it down.
  if (down_reports.load() != 2) _exit(5);
  _exit(0);
}

TEST(DecisionRecorderDeathTest, AnAnswerTheLedgerCannotKeepIsUnavailable) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  ScratchDir dir;
  EXPECT_EXIT(RecordWithoutSpace(dir.path()), ::testing::ExitedWithCode(0),
              "UNAVAILABLE: the decision could not be recorded in the audit "
              "ledger, so it is not given");
}

}  // namespace
}  // namespace lantern
