// The serialized answers to every example episode (rules/examples/*.json)
// and every case of the library (tests/cases/*.yaml), through the service's
// own path with rules/ active, each at its fixed as_of and stamped with a
// fixed clock (the Unix epoch) and decision ids counted from 1 in file
// order: the same build gives the same bytes every run.
//
// The test requires every one of them to be answered, and to be answered
// the same twice over by fresh assessors (deterministic serialization). With
// LANTERN_ANSWER_DUMP=FILE it also writes one line per answer,
// "<name> <hex of the deterministically serialized Assessment>", so that two
// builds can be compared byte for byte (a change to the evaluation path must
// leave the file identical):
//   LANTERN_ANSWER_DUMP=/tmp/after.txt build/tests/server_app_answer_bytes_test
//   cmp /tmp/before.txt /tmp/after.txt
#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "lantern/v1/assessment.pb.h"
#include "lantern/v1/service.pb.h"
#include "server/ledger/record_codec.h"
#include "tests/testing/answer_corpus.h"
#include "tests/testing/shipped_rules_assessor.h"

namespace lantern {
namespace {

using testing::AnswerCorpus;
using testing::NamedRequest;

// name → serialized answer, from a fresh assessor (ids from 1).
std::vector<std::pair<std::string, std::string>> AnswerAll(
    const std::vector<NamedRequest>& requests) {
  testing::ShippedRulesAssessor service("answer-bytes");
  const absl::Status activated = service.Activate();
  EXPECT_TRUE(activated.ok()) << activated;
  std::vector<std::pair<std::string, std::string>> out;
  for (const NamedRequest& r : requests) {
    absl::StatusOr<v1::Assessment> answer = service.Assess(r.request);
    if (!answer.ok()) {
      ADD_FAILURE() << r.name << ": " << answer.status();
      continue;
    }
    out.emplace_back(r.name, ledger::EncodeCanonical(*answer));
  }
  return out;
}

TEST(AnswerBytes, EveryExampleAndCaseAnsweredAlikeTwice) {
  const std::vector<NamedRequest> requests = AnswerCorpus();
  ASSERT_GT(requests.size(), 60u);
  const auto first = AnswerAll(requests);
  const auto second = AnswerAll(requests);
  ASSERT_EQ(first.size(), requests.size());
  ASSERT_EQ(first, second);
  const char* dump = std::getenv("LANTERN_ANSWER_DUMP");
  if (dump == nullptr || *dump == '\0') return;
  std::ofstream out(dump, std::ios::binary | std::ios::trunc);
  ASSERT_TRUE(out) << "cannot write " << dump;
  size_t bytes = 0;
  for (const auto& [name, answer] : first) {
    out << name << " " << absl::BytesToHexString(answer) << "\n";
    bytes += answer.size();
  }
  ASSERT_TRUE(out.flush()) << "cannot write " << dump;
  std::cout << "wrote " << first.size() << " answers (" << bytes
            << " bytes) to " << dump << "\n";
}

}  // namespace
}  // namespace lantern
