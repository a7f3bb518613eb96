// Views and ledger records on the shipped ruleset and every example
// episode, through the service's own path (RequestAssessor answering in the
// request's view, then DecisionRecorder with a DecisionCodec), over a
// SQLite and a PostgreSQL ledger (SKIPPED only when PostgreSQL is not
// installed):
//   - the record (format 3) keeps exactly the answer sent, compact, and at
//     most 2 KiB a decision; the FULL answer worked out again from it is
//     byte for byte the FULL answer a FULL call gives; Replay finds it
//     IDENTICAL for every view and gives that FULL answer;
//   - a retry gets the sent answer again, byte for byte, and in another
//     view the FULL answer cut to it;
//   - GetDecision gives the record with the answer as sent;
//   - a record whose sent answer was altered replays DIFFERENT, naming
//     the field;
//   - records of the earlier formats (0: the answer as sent; 1: the FULL
//     answer inline; 2: the FULL answer compact, written through the
//     codec as the previous build did) and of format 4 (no codec) still
//     read, retry and replay, and `lantern ledger verify`'s check passes
//     over a ledger holding all five;
//   - cutting an answer already cut gives the same answer (the recorder
//     relies on it);
//   - a view number the enum does not name is INVALID_ARGUMENT;
//   - a compact record read against another string table, a bad
//     reference, or bytes that do not inflate are DATA_LOSS, and verify
//     names a compact record that does not inflate.
#include "server/app/decision_codec.h"

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/notification.h"
#include "engine/proto/proto_fact_types.h"
#include "engine/ruleset/ruleset_digest.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "server/app/assessment_proto.h"
#include "server/app/assessment_view.h"
#include "server/app/audit_rulesets.h"
#include "server/app/auditor.h"
#include "server/app/decision_recorder.h"
#include "server/app/request_assessor.h"
#include "server/app/ruleset_registry.h"
#include "server/ledger/record_codec.h"
#include "server/ledger/verifier.h"
#include "tests/testing/ledger_records.h"
#include "tests/testing/store_factories.h"
#include "tests/testing/test_data.h"

namespace lantern {
namespace {

using ::lantern::testing::ScratchDir;
using ::lantern::testing::SourcePath;

std::string Bytes(const v1::Assessment& a) {
  return ledger::EncodeCanonical(a);
}

class DecisionCodecTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    factory_ = testing::MakeStoreFactory(GetParam());
    if (const std::string why = factory_->Unavailable(); !why.empty()) {
      GTEST_SKIP() << why;
    }
    // A new, empty ledger of this store, opened by the Ledger.
    {
      absl::StatusOr<std::unique_ptr<ledger::LedgerStore>> made =
          factory_->NewLedger();
      ASSERT_TRUE(made.ok()) << made.status();
    }
    assessor_.set_answer_views(true);
    retry_assessor_.set_answer_views(true);
    absl::StatusOr<Candidate> rules =
        registry_.ActivateDirectory(SourcePath("rules"));
    ASSERT_TRUE(rules.ok()) << rules.status();
    ASSERT_TRUE(rules->passed());
    version_ = rules->version;
    ledger::LedgerOptions options;
    options.path = factory_->location();
    options.key_path = dir_.File("ledger.key");
    absl::StatusOr<std::unique_ptr<ledger::Ledger>> opened =
        ledger::Ledger::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.status();
    ledger_ = *std::move(opened);
    // The ruleset's files in the ledger, as an activation stores them.
    v1::ActivationRecord activation;
    activation.set_ruleset_digest(version_->digest);
    activation.set_ruleset_id(version_->ruleset->manifest.id);
    activation.set_ruleset_version(version_->ruleset->manifest.version);
    *activation.mutable_activated_at() = testing::Stamp(1714820001);
    activation.set_activated_by("startup");
    ASSERT_TRUE(
        ledger_->AppendActivation(activation, version_->ruleset->files).ok());
    rulesets_ =
        std::make_unique<AuditRuleSets>(&registry_, ledger_.get(), &types_);
    codec_ = std::make_unique<DecisionCodec>(
        [this](const std::string& digest) { return rulesets_->Find(digest); });
    recorder_ = std::make_unique<DecisionRecorder>(ledger_.get(), nullptr,
                                                   nullptr, codec_.get());
    auditor_ = std::make_unique<Auditor>(ledger_.get(), &registry_, &types_);
    for (const auto& entry :
         std::filesystem::directory_iterator(SourcePath("rules/examples"))) {
      examples_.push_back(entry.path().stem().string());
    }
    std::sort(examples_.begin(), examples_.end());
    ASSERT_FALSE(examples_.empty());
  }

  v1::AssessRequest Request(const std::string& example, v1::View view,
                            const std::string& id) {
    v1::AssessRequest request;
    const std::string json = testing::ReadFileOrDie(
        SourcePath(absl::StrCat("rules/examples/", example, ".json")));
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(
                    json, request.mutable_facts())
                    .ok());
    request.mutable_as_of()->set_seconds(1714824000);
    request.set_client_request_id(id);
    request.set_view(view);
    return request;
  }

  // The answer `assessor` makes for `request`.
  static v1::Assessment Answer(RequestAssessor& assessor,
                               const v1::AssessRequest& request) {
    v1::Assessment answer;
    absl::Status s =
        assessor.Assess(request, absl::FromUnixSeconds(1714824100), &answer);
    EXPECT_TRUE(s.ok()) << s;
    return answer;
  }
  // The FULL answer (full_assessor_).
  v1::Assessment Full(const v1::AssessRequest& request) {
    return Answer(full_assessor_, request);
  }

  // The verifier reads a SQLite file (the other stores: not checked here).
  void Verify(uint64_t decisions) {
    if (GetParam() != "sqlite") return;
    ledger_.reset();  // closed, as `lantern ledger verify` finds it
    absl::StatusOr<ledger::VerifyReport> report =
        ledger::VerifyLedger(factory_->location());
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_TRUE(report->ok()) << absl::StrJoin(report->problems, "\n");
    EXPECT_EQ(report->decisions, decisions);
  }

  absl::StatusOr<v1::ReplayResponse> Replay(const std::string& id) {
    v1::ReplayRequest replay;
    replay.set_decision_id(id);
    return auditor_->Replay(replay);
  }

  v1::DecisionRecord Stored(const std::string& id) {
    absl::StatusOr<ledger::StoredDecision> stored = ledger_->GetDecision(id);
    EXPECT_TRUE(stored.ok()) << stored.status();
    return stored.ok() ? stored->record : v1::DecisionRecord();
  }

  absl::Status Record(DecisionRecorder& recorder,
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

  std::unique_ptr<testing::StoreFactory> factory_;
  ScratchDir dir_;
  ProtoFactTypes types_;
  RuleSetRegistry registry_{&types_, &AssessmentVocabulary()};
  // As a server: answers in the request's view.
  RequestAssessor assessor_{&registry_, RequestLimits(), "codec"};
  // FULL answers with the same decision ids, called once per assessor_
  // call, in step.
  RequestAssessor full_assessor_{&registry_, RequestLimits(), "codec"};
  // Retries (their own decision ids).
  RequestAssessor retry_assessor_{&registry_, RequestLimits(), "retry"};
  std::shared_ptr<const RuleSetVersion> version_;
  std::unique_ptr<ledger::Ledger> ledger_;
  std::unique_ptr<AuditRuleSets> rulesets_;
  std::unique_ptr<DecisionCodec> codec_;
  std::unique_ptr<DecisionRecorder> recorder_;
  std::unique_ptr<Auditor> auditor_;
  std::vector<std::string> examples_;
};

TEST_P(DecisionCodecTest, EveryViewIsRecordedAsSentAndReplayed) {
  int n = 0;
  size_t largest = 0;
  for (const std::string& example : examples_) {
    for (v1::View view : {v1::DECISION, v1::EXPLAINED, v1::FULL}) {
      SCOPED_TRACE(absl::StrCat(example, " ", v1::View_Name(view)));
      const v1::AssessRequest request =
          Request(example, view, absl::StrCat("req-", n++));
      v1::Assessment answer = Answer(assessor_, request);
      const v1::Assessment full = Full(request);
      ASSERT_EQ(answer.decision_id(), full.decision_id());
      v1::Assessment expected = full;
      CutToView(view, &expected);
      ASSERT_EQ(Bytes(answer), Bytes(expected));
      ASSERT_TRUE(Record(*recorder_, request, &answer).ok());
      EXPECT_EQ(Bytes(answer), Bytes(expected));

      const v1::DecisionRecord record = Stored(full.decision_id());
      EXPECT_EQ(record.format(), kRecordFormatSentCompact);
      EXPECT_EQ(record.view(), view);
      EXPECT_FALSE(record.has_assessment());
      v1::LedgerRecord leaf;
      *leaf.mutable_decision() = record;
      const size_t leaf_bytes = ledger::EncodeCanonical(leaf).size();
      largest = std::max(largest, leaf_bytes);
      // Issue 15 aims at 2 KiB a decision: DECISION's records are 1.0-1.8
      // KiB; EXPLAINED and FULL keep the evidence they sent, 1.7-3.3 KiB
      // (bench/README.md "Ledger on vs off"): at most 4 KiB, and a tenth
      // of the FULL answer.
      EXPECT_LE(leaf_bytes, view == v1::DECISION ? 2048u : 4096u);
      EXPECT_LE(leaf_bytes * 10, Bytes(full).size());
      std::cout << example << " " << v1::View_Name(view) << ": record "
                << leaf_bytes << " B, facts "
                << ledger::EncodeCanonical(record.facts()).size()
                << " B, answer sent " << Bytes(answer).size() << " B (FULL "
                << Bytes(full).size() << " B)\n";

      absl::StatusOr<v1::Assessment> sent = codec_->Sent(record);
      ASSERT_TRUE(sent.ok()) << sent.status();
      EXPECT_EQ(Bytes(*sent), Bytes(answer));
      // FULL, worked out again from the record: the FULL call's bytes.
      absl::StatusOr<v1::Assessment> recomputed = codec_->Full(record);
      ASSERT_TRUE(recomputed.ok()) << recomputed.status();
      EXPECT_EQ(Bytes(*recomputed), Bytes(full));

      // A retry: evaluated again (another decision id), answered with the
      // recorded one, byte for byte; in FULL, the FULL answer.
      v1::Assessment retry = Answer(retry_assessor_, request);
      ASSERT_TRUE(Record(*recorder_, request, &retry).ok());
      EXPECT_EQ(Bytes(retry), Bytes(answer));
      v1::AssessRequest full_request = request;
      full_request.set_view(v1::FULL);
      v1::Assessment full_retry = Answer(retry_assessor_, full_request);
      ASSERT_TRUE(Record(*recorder_, full_request, &full_retry).ok());
      EXPECT_EQ(Bytes(full_retry), Bytes(full));

      absl::StatusOr<v1::ReplayResponse> replayed = Replay(full.decision_id());
      ASSERT_TRUE(replayed.ok()) << replayed.status();
      EXPECT_EQ(replayed->outcome(), v1::ReplayResponse::IDENTICAL);
      EXPECT_EQ(Bytes(replayed->recorded()), Bytes(full));

      v1::GetDecisionRequest get;
      get.set_decision_id(full.decision_id());
      absl::StatusOr<v1::GetDecisionResponse> got = auditor_->GetDecision(get);
      ASSERT_TRUE(got.ok()) << got.status();
      EXPECT_EQ(Bytes(got->decision().assessment()), Bytes(answer));
    }
  }
  std::cout << "largest record: " << largest << " B\n";
}

TEST_P(DecisionCodecTest, AnAlteredSentAnswerReplaysDifferent) {
  const v1::AssessRequest request =
      Request(examples_[0], v1::DECISION, "tamper-1");
  v1::Assessment answer = Answer(assessor_, request);
  Full(request);  // in step
  ASSERT_TRUE(Record(*recorder_, request, &answer).ok());
  const v1::DecisionRecord record = Stored(answer.decision_id());
  ASSERT_EQ(record.format(), kRecordFormatSentCompact);

  // The same record under another id, its sent answer's grade altered
  // (as a writer with access to the store, not the ledger's API, might):
  // compact, and inline (format 4).
  absl::StatusOr<v1::Assessment> sent = codec_->Sent(record);
  ASSERT_TRUE(sent.ok()) << sent.status();
  v1::Assessment altered = *sent;
  altered.mutable_grade()->set_grade(
      altered.grade().grade() == v1::HIGH ? v1::MEDIUM : v1::HIGH);
  v1::DecisionRecord compact = record;
  compact.set_decision_id(absl::StrCat(record.decision_id(), "-altered"));
  compact.set_client_request_id("tamper-2");
  altered.set_decision_id(compact.decision_id());
  CompactAssessment(altered, RecordStrings(*version_), &compact);
  v1::DecisionRecord inline_record = compact;
  inline_record.set_decision_id(absl::StrCat(record.decision_id(), "-inline"));
  inline_record.set_client_request_id("tamper-3");
  inline_record.set_format(kRecordFormatSentInline);
  inline_record.clear_compact_assessment();
  inline_record.clear_strings_fingerprint();
  *inline_record.mutable_assessment() = altered;
  inline_record.mutable_assessment()->set_decision_id(
      inline_record.decision_id());
  ASSERT_TRUE(ledger_->AppendDecision(compact).ok());
  const absl::Status appended = ledger_->AppendDecision(inline_record).status();
  ASSERT_TRUE(appended.ok()) << appended;

  absl::StatusOr<v1::ReplayResponse> honest = Replay(record.decision_id());
  ASSERT_TRUE(honest.ok()) << honest.status();
  EXPECT_EQ(honest->outcome(), v1::ReplayResponse::IDENTICAL);
  for (const std::string& id :
       {compact.decision_id(), inline_record.decision_id()}) {
    SCOPED_TRACE(id);
    absl::StatusOr<v1::ReplayResponse> replayed = Replay(id);
    ASSERT_TRUE(replayed.ok()) << replayed.status();
    EXPECT_EQ(replayed->outcome(), v1::ReplayResponse::DIFFERENT);
    ASSERT_FALSE(replayed->differences().empty());
    EXPECT_EQ(replayed->differences(0).path(), "grade.grade");
    // Both in the recorded view: what was sent, what the engine sends now.
    EXPECT_EQ(replayed->recorded().decision_id(), id);
    EXPECT_EQ(replayed->differences_size(), 1);
    EXPECT_EQ(replayed->recorded().grade().grade(), altered.grade().grade());
    EXPECT_EQ(replayed->replayed().grade().grade(), sent->grade().grade());
    EXPECT_EQ(replayed->replayed().blocked_rules_size(), 0);
  }
}

TEST_P(DecisionCodecTest, CuttingACutAnswerChangesNothing) {
  for (const std::string& example : examples_) {
    for (v1::View view : {v1::DECISION, v1::EXPLAINED, v1::FULL}) {
      SCOPED_TRACE(absl::StrCat(example, " ", v1::View_Name(view)));
      v1::Assessment once = Full(Request(example, view, "cut"));
      CutToView(view, &once);
      v1::Assessment twice = once;
      CutToView(view, &twice);
      EXPECT_EQ(Bytes(twice), Bytes(once));
    }
  }
}

TEST_P(DecisionCodecTest, AViewTheEnumDoesNotNameIsRefused) {
  v1::AssessRequest request = Request(examples_[0], v1::FULL, "bad-view");
  request.set_view(static_cast<v1::View>(7));
  v1::Assessment answer;
  const absl::Status s =
      assessor_.Assess(request, absl::FromUnixSeconds(1714824100), &answer);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("view: 7 is not a value of lantern.v1.View"),
            std::string::npos)
      << s;
}

TEST_P(DecisionCodecTest, EarlierFormatsStillReadRetryAndReplay) {
  // Each earlier format, as the build that wrote it made it, for one
  // decision per format: the request, its answer as sent (in `view`) and
  // the FULL answer.
  struct Made {
    v1::AssessRequest request;
    v1::Assessment sent;
    v1::Assessment full;
  };
  auto make = [&](int example, v1::View view, const std::string& id) {
    Made m;
    m.request = Request(examples_[example % examples_.size()], view, id);
    m.sent = Answer(assessor_, m.request);
    m.full = Full(m.request);
    return m;
  };
  auto record_of = [&](const Made& m) {
    v1::DecisionRecord r;
    r.set_decision_id(m.full.decision_id());
    r.set_client_request_id(m.request.client_request_id());
    *r.mutable_received_at() = m.full.evaluated_at();
    *r.mutable_as_of() = m.full.as_of();
    r.set_ruleset_digest(m.full.ruleset().digest());
    *r.mutable_facts() = m.request.facts();
    r.set_principal("local");
    r.set_view(m.request.view());
    return r;
  };
  // Format 0: a record made before views, the (FULL) answer as sent.
  Made zero = make(1, v1::EXPLAINED, "old-0");
  zero.sent = zero.full;
  v1::DecisionRecord r0 = record_of(zero);
  r0.clear_view();
  *r0.mutable_assessment() = zero.full;
  // Format 1: the FULL answer inline (a recorder without a codec).
  Made one = make(0, v1::DECISION, "old-1");
  v1::DecisionRecord r1 = record_of(one);
  r1.set_format(kRecordFormatInline);
  *r1.mutable_assessment() = one.full;
  // Format 2: the FULL answer compact, through the codec as the previous
  // build wrote it.
  Made two = make(2, v1::DECISION, "old-2");
  v1::DecisionRecord r2 = record_of(two);
  ASSERT_TRUE(codec_->Compact(two.full, &r2).ok());
  ASSERT_EQ(r2.format(), kRecordFormatCompact);
  for (const v1::DecisionRecord* r : {&r0, &r1, &r2}) {
    ASSERT_TRUE(ledger_->AppendDecision(*r).ok());
  }
  // Format 4: a recorder without a codec, now.
  DecisionRecorder inline_recorder(ledger_.get());
  Made four = make(3, v1::DECISION, "new-4");
  v1::Assessment four_answer = four.sent;
  ASSERT_TRUE(Record(inline_recorder, four.request, &four_answer).ok());
  const v1::DecisionRecord r4 = Stored(four.full.decision_id());
  EXPECT_EQ(r4.format(), kRecordFormatSentInline);
  EXPECT_EQ(Bytes(r4.assessment()), Bytes(four.sent));
  // Format 3, for the verifier's count.
  Made three = make(4, v1::EXPLAINED, "new-3");
  v1::Assessment three_answer = three.sent;
  ASSERT_TRUE(Record(*recorder_, three.request, &three_answer).ok());

  for (const Made* m :
       std::initializer_list<const Made*>{&zero, &one, &two, &four, &three}) {
    const std::string& id = m->full.decision_id();
    SCOPED_TRACE(id);
    absl::StatusOr<v1::ReplayResponse> replayed = Replay(id);
    ASSERT_TRUE(replayed.ok()) << replayed.status();
    EXPECT_EQ(replayed->outcome(), v1::ReplayResponse::IDENTICAL);
    EXPECT_EQ(Bytes(replayed->recorded()), Bytes(m->full));

    v1::GetDecisionRequest get;
    get.set_decision_id(id);
    absl::StatusOr<v1::GetDecisionResponse> got = auditor_->GetDecision(get);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(Bytes(got->decision().assessment()), Bytes(m->sent));

    absl::StatusOr<v1::Assessment> full = codec_->Full(Stored(id));
    ASSERT_TRUE(full.ok()) << full.status();
    EXPECT_EQ(Bytes(*full), Bytes(m->full));

    // A retry in the recorded view gets the answer as sent.
    v1::Assessment retry = Answer(retry_assessor_, m->request);
    ASSERT_TRUE(Record(*recorder_, m->request, &retry).ok());
    EXPECT_EQ(Bytes(retry), Bytes(m->sent));
  }
  Verify(5);
}

// Engine 0.8.0's DECISION view kept prompt titles, action owners, the NRM's
// prose and all that each unknown fact decides: its records (FULL inline,
// format 1) are read and retried as they were sent, while a new DECISION
// leaves those out.
TEST_P(DecisionCodecTest, AnEngine080DecisionRecordIsReadAsItWasSent) {
  const v1::AssessRequest request =
      Request(examples_[0], v1::DECISION, "engine-0.8.0");
  const v1::Assessment full = Full(request);
  ASSERT_GT(full.actions_size(), 0);
  ASSERT_FALSE(full.actions(0).owner_agency().empty());
  ASSERT_FALSE(full.nrm().prompt().title().empty());
  v1::DecisionRecord old;
  old.set_decision_id(full.decision_id());
  old.set_client_request_id(request.client_request_id());
  *old.mutable_received_at() = full.evaluated_at();
  *old.mutable_as_of() = full.as_of();
  old.set_ruleset_digest(full.ruleset().digest());
  old.set_engine_version("lantern-engine 0.8.0");
  old.set_principal("local");
  old.set_view(v1::DECISION);
  old.set_format(kRecordFormatInline);
  *old.mutable_facts() = request.facts();
  *old.mutable_assessment() = full;
  ASSERT_TRUE(ledger_->AppendDecision(old).ok());

  v1::GetDecisionRequest get;
  get.set_decision_id(full.decision_id());
  absl::StatusOr<v1::GetDecisionResponse> got = auditor_->GetDecision(get);
  ASSERT_TRUE(got.ok()) << got.status();
  const v1::Assessment& sent = got->decision().assessment();
  EXPECT_EQ(sent.blocked_rules_size(), 0);
  EXPECT_EQ(sent.fired_rules(0).evidence_size(), 0);
  EXPECT_EQ(sent.nrm().prompt().title(), full.nrm().prompt().title());
  EXPECT_EQ(sent.nrm().consent_basis(), full.nrm().consent_basis());
  EXPECT_EQ(sent.actions(0).owner_agency(), full.actions(0).owner_agency());
  bool other_decides = false;
  for (const v1::UnknownFact& fact : sent.unknown_facts()) {
    for (const std::string& what : fact.decides()) {
      other_decides |= what != "grade" && what.rfind("concern:", 0) != 0;
    }
  }
  EXPECT_TRUE(other_decides);
  // A retry gets the same.
  v1::Assessment retry = Answer(retry_assessor_, request);
  ASSERT_TRUE(Record(*recorder_, request, &retry).ok());
  EXPECT_EQ(Bytes(retry), Bytes(sent));
  // Replay: FULL against FULL, identical.
  absl::StatusOr<v1::ReplayResponse> replayed = Replay(full.decision_id());
  ASSERT_TRUE(replayed.ok()) << replayed.status();
  EXPECT_EQ(replayed->outcome(), v1::ReplayResponse::IDENTICAL);

  // Today's DECISION of the same facts.
  v1::AssessRequest again = request;
  again.set_client_request_id("engine-now");
  // (retry_assessor_: assessor_'s decision ids are full_assessor_'s.)
  v1::Assessment now = Answer(retry_assessor_, again);
  const absl::Status recorded = Record(*recorder_, again, &now);
  ASSERT_TRUE(recorded.ok()) << recorded;
  EXPECT_EQ(now.nrm().prompt().title(), "");
  EXPECT_EQ(now.nrm().consent_basis(), "");
  EXPECT_EQ(now.actions(0).owner_agency(), "");
  EXPECT_LT(Bytes(now).size(), Bytes(sent).size());
}

TEST_P(DecisionCodecTest, ABadCompactRecordIsDataLossAndVerifyNamesIt) {
  const RecordStrings strings(*version_);
  const v1::AssessRequest request = Request(examples_[0], v1::FULL, "bad-1");
  v1::Assessment full = Full(request);
  // A string that begins like a reference survives as itself.
  full.mutable_fired_rules(0)->mutable_evidence(0)->mutable_facts(0)->set_value(
      "\x01\x02\x03 not a reference");
  v1::DecisionRecord record;
  record.set_ruleset_digest(version_->digest);
  CompactAssessment(full, strings, &record);
  absl::StatusOr<v1::Assessment> back = ExpandAssessment(record, strings);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(Bytes(*back), Bytes(full));

  v1::DecisionRecord other_table = record;
  other_table.set_strings_fingerprint(record.strings_fingerprint() ^ 1);
  EXPECT_EQ(ExpandAssessment(other_table, strings).status().code(),
            absl::StatusCode::kDataLoss);

  v1::Assessment bad_reference;
  bad_reference.add_flags("\x01\x7f\x7f\x7f\x7f");
  v1::DecisionRecord bad = record;
  bad.set_compact_assessment(ledger::Deflate(Bytes(bad_reference)));
  EXPECT_EQ(ExpandAssessment(bad, strings).status().code(),
            absl::StatusCode::kDataLoss);

  v1::DecisionRecord truncated = record;
  truncated.set_compact_assessment(record.compact_assessment().substr(
      0, record.compact_assessment().size() / 2));
  EXPECT_EQ(ExpandAssessment(truncated, strings).status().code(),
            absl::StatusCode::kDataLoss);

  truncated.set_decision_id("bad-compact");
  *truncated.mutable_received_at() = testing::Stamp(1714824000);
  truncated.set_format(kRecordFormatCompact);
  ASSERT_TRUE(ledger_->AppendDecision(truncated).ok());
  if (GetParam() != "sqlite") return;  // the verifier reads a SQLite file
  ledger_.reset();
  absl::StatusOr<ledger::VerifyReport> report =
      ledger::VerifyLedger(factory_->location());
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_EQ(report->problems.size(), 1u)
      << absl::StrJoin(report->problems, "\n");
  EXPECT_NE(report->problems[0].find("decision bad-compact"), std::string::npos)
      << report->problems[0];
  EXPECT_NE(report->problems[0].find("does not inflate"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Stores, DecisionCodecTest,
                         ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace lantern
