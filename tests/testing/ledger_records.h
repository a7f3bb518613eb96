// Test helpers for the audit ledger: sample records with fixed contents, a
// scratch directory per test, and a settable clock.
#ifndef LANTERN_TESTS_TESTING_LEDGER_RECORDS_H_
#define LANTERN_TESTS_TESTING_LEDGER_RECORDS_H_

#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "lantern/v1/ledger.pb.h"

namespace lantern::testing {

// A fresh directory under the test's temporary directory, removed at the end.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = ::testing::TempDir() + "/ledgerXXXXXX";
    path_ = mkdtemp(pattern.data()) == nullptr ? "" : pattern;
    EXPECT_FALSE(path_.empty()) << "cannot make a scratch directory";
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// A clock tests move by hand; starts at 2024-05-04T12:00:00Z.
class ManualClock {
 public:
  absl::Time Now() const { return absl::FromUnixMicros(micros_.load()); }
  void Advance(absl::Duration d) { micros_ += absl::ToInt64Microseconds(d); }

 private:
  std::atomic<int64_t> micros_{1714824000LL * 1000000};
};

inline google::protobuf::Timestamp Stamp(int64_t seconds) {
  google::protobuf::Timestamp t;
  t.set_seconds(seconds);
  return t;
}

// Decision `n`: id "d-<n>", received n seconds after 2024-05-04T12:00:00Z,
// with a little of everything a real one carries.
inline v1::DecisionRecord SampleDecision(int n,
                                         const std::string& client_id = "") {
  v1::DecisionRecord d;
  d.set_decision_id(absl::StrCat("d-", n));
  d.set_client_request_id(client_id);
  *d.mutable_received_at() = Stamp(1714824000 + n);
  *d.mutable_as_of() = Stamp(1714824000 + n);
  d.set_ruleset_digest(
      "sha256:"
      "0000000000000000000000000000000000000000000000000000000000000001");
  d.set_engine_version("lantern-test");
  d.mutable_facts()->mutable_child()->set_reference(absl::StrCat("C", n));
  d.mutable_facts()->mutable_child()->set_age_years(10 + n % 8);
  d.mutable_facts()->mutable_episode()->set_out_of_character(n % 2 == 0);
  v1::Assessment& a = *d.mutable_assessment();
  a.set_decision_id(d.decision_id());
  a.mutable_ruleset()->set_id("lantern.test");
  a.mutable_ruleset()->set_digest(d.ruleset_digest());
  a.mutable_grade()->set_grade(n % 2 == 0 ? v1::HIGH : v1::LOW);
  a.add_flags("sample");
  return d;
}

}  // namespace lantern::testing

#endif  // LANTERN_TESTS_TESTING_LEDGER_RECORDS_H_
