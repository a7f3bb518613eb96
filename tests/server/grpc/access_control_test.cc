// AccessControl's refusal limits (issue 12): a caller refused again and
// again leaves a bounded number of access records per window, and the rest
// are counted in one summary record, never dropped without trace. The
// clock is injected; the ledger is real, in a scratch directory.
#include "server/grpc/access_control.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "server/ledger/ledger.h"
#include "tests/testing/ledger_records.h"

namespace lantern {
namespace {

using ::google::protobuf::util::TimeUtil;
using ::testing::SizeIs;

constexpr char kMethod[] = "/lantern.v1.Audit/GetDecision";

std::unique_ptr<ledger::Ledger> OpenLedger(const testing::ScratchDir& dir) {
  ledger::LedgerOptions options;
  options.path = dir.File("ledger.db");
  absl::StatusOr<std::unique_ptr<ledger::Ledger>> opened =
      ledger::Ledger::Open(options);
  EXPECT_TRUE(opened.ok()) << opened.status();
  return opened.ok() ? *std::move(opened) : nullptr;
}

std::vector<v1::AccessRecord> AccessLog(const testing::ScratchDir& dir) {
  std::unique_ptr<ledger::Ledger> ledger = OpenLedger(dir);
  std::vector<v1::AccessRecord> out;
  if (ledger == nullptr) return out;
  absl::StatusOr<ledger::AccessPage> page = ledger->ListAccess(1000, "");
  EXPECT_TRUE(page.ok()) << page.status();
  if (!page.ok()) return out;
  for (ledger::StoredAccess& a : page->records) out.push_back(a.record);
  return out;
}

// The records of one caller: principal, else peer.
std::vector<v1::AccessRecord> Of(const std::vector<v1::AccessRecord>& log,
                                 const std::string& who) {
  std::vector<v1::AccessRecord> out;
  for (const v1::AccessRecord& r : log) {
    if (r.principal() == who || (r.principal().empty() && r.peer() == who)) {
      out.push_back(r);
    }
  }
  return out;
}

TEST(AccessControlRefusals, AreBoundedPerCallerAndTheRestSummarised) {
  testing::ScratchDir dir;
  const absl::Time t0 = absl::FromUnixSeconds(1714824000);
  absl::Time now = t0;
  {
    std::unique_ptr<ledger::Ledger> ledger = OpenLedger(dir);
    ASSERT_NE(ledger, nullptr);
    AccessControl access(
        ledger.get(), [&now] { return now; },
        RefusalLimits{/*per_window=*/3, /*window=*/absl::Minutes(1),
                      /*max_callers=*/100});
    const absl::Status no_identity =
        absl::UnauthenticatedError("no client identity");
    // 50 refusals from one host (a new connection, so a new port, each).
    for (int i = 0; i < 50; ++i) {
      now = t0 + absl::Seconds(i);
      access.RecordRefusal(access.NewRecord(Caller{}, kMethod), no_identity,
                           absl::StrCat("ipv4:10.0.0.7:", 40000 + i));
    }
    // Two from another host: under the limit.
    for (int i = 0; i < 2; ++i) {
      access.RecordRefusal(access.NewRecord(Caller{}, kMethod), no_identity,
                           "ipv6:[fe80::1]:5555");
    }
    // Five from a principal without the role.
    for (int i = 0; i < 5; ++i) {
      access.RecordRefusal(
          access.NewRecord(Caller{"mallory", {}}, kMethod),
          absl::PermissionDeniedError(absl::StrCat("needs a role ", i)),
          "ipv4:10.0.0.9:1");
    }
    // The first window of 10.0.0.7 (from t0) has closed: its count is
    // written with the next refusal, which opens a new window.
    now = t0 + absl::Seconds(61);
    access.RecordRefusal(access.NewRecord(Caller{}, kMethod), no_identity,
                         "ipv4:10.0.0.7:41000");
  }  // mallory's window is still open: summarised at destruction

  const std::vector<v1::AccessRecord> log = AccessLog(dir);
  const std::vector<v1::AccessRecord> host = Of(log, "10.0.0.7");
  ASSERT_THAT(host, SizeIs(5));
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(host[i].refusals_not_recorded(), 0u);
    EXPECT_EQ(host[i].code(),
              static_cast<int>(absl::StatusCode::kUnauthenticated));
    EXPECT_EQ(host[i].method(), kMethod);
  }
  const v1::AccessRecord& summary = host[3];
  EXPECT_EQ(summary.refusals_not_recorded(), 47u);
  EXPECT_EQ(TimeUtil::TimestampToSeconds(summary.not_recorded_since()),
            absl::ToUnixSeconds(t0 + absl::Seconds(3)));
  EXPECT_EQ(TimeUtil::TimestampToSeconds(summary.accessed_at()),
            absl::ToUnixSeconds(t0 + absl::Seconds(49)));  // the last one
  EXPECT_EQ(summary.message(), "no client identity");
  EXPECT_EQ(host[4].refusals_not_recorded(), 0u);
  EXPECT_EQ(TimeUtil::TimestampToSeconds(host[4].accessed_at()),
            absl::ToUnixSeconds(t0 + absl::Seconds(61)));

  EXPECT_THAT(Of(log, "fe80::1"), SizeIs(2));

  const std::vector<v1::AccessRecord> mallory = Of(log, "mallory");
  ASSERT_THAT(mallory, SizeIs(4));
  EXPECT_EQ(mallory[2].message(), "needs a role 2");
  EXPECT_EQ(mallory[3].refusals_not_recorded(), 2u);
  EXPECT_EQ(mallory[3].message(), "needs a role 4");  // the last one's
  EXPECT_EQ(mallory[3].peer(), "");  // a principal is named, not its host
  EXPECT_THAT(log, SizeIs(5 + 2 + 4));
}

TEST(AccessControlRefusals, CallersBeyondTheTrackedNumberShareOneWindow) {
  testing::ScratchDir dir;
  absl::Time now = absl::FromUnixSeconds(1714824000);
  {
    std::unique_ptr<ledger::Ledger> ledger = OpenLedger(dir);
    ASSERT_NE(ledger, nullptr);
    AccessControl access(
        ledger.get(), [&now] { return now; },
        RefusalLimits{/*per_window=*/2, /*window=*/absl::Minutes(1),
                      /*max_callers=*/4});
    // 1,000 distinct hosts, one refusal each: four are tracked on their
    // own, the other 996 share one window of two records.
    for (int i = 0; i < 1000; ++i) {
      access.RecordRefusal(
          access.NewRecord(Caller{}, kMethod),
          absl::UnauthenticatedError("no client identity"),
          absl::StrCat("ipv4:10.1.", i / 256, ".", i % 256, ":443"));
    }
  }
  const std::vector<v1::AccessRecord> log = AccessLog(dir);
  ASSERT_THAT(log, SizeIs(4 + 2 + 1));
  uint64_t counted = 0;
  for (const v1::AccessRecord& r : log) counted += r.refusals_not_recorded();
  EXPECT_EQ(counted, 994u);
  EXPECT_EQ(log.back().refusals_not_recorded(), 994u);
}

TEST(AccessControlRefusals, AdmittedReadsAreNeverLimited) {
  testing::ScratchDir dir;
  absl::Time now = absl::FromUnixSeconds(1714824000);
  {
    std::unique_ptr<ledger::Ledger> ledger = OpenLedger(dir);
    ASSERT_NE(ledger, nullptr);
    AccessControl access(
        ledger.get(), [&now] { return now; },
        RefusalLimits{/*per_window=*/1, /*window=*/absl::Minutes(1),
                      /*max_callers=*/10});
    for (int i = 0; i < 20; ++i) {
      v1::AccessRecord record =
          access.NewRecord(Caller{"officer", {}}, kMethod);
      record.set_purpose("subject access request");
      access.Record(std::move(record), absl::OkStatus(),
                    [](absl::Status s) { EXPECT_TRUE(s.ok()) << s; });
    }
  }
  EXPECT_THAT(AccessLog(dir), SizeIs(20));
}

}  // namespace
}  // namespace lantern
