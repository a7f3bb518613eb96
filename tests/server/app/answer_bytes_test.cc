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
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "lantern/v1/assessment.pb.h"
#include "lantern/v1/service.pb.h"
#include "tests/testing/case_file.h"
#include "tests/testing/shipped_rules_assessor.h"
#include "tests/testing/test_data.h"

namespace lantern {
namespace {

struct NamedRequest {
  std::string name;
  std::string request_json;  // lantern.v1.AssessRequest in protobuf JSON
};

std::vector<std::filesystem::path> Files(const std::string& relative_dir,
                                         const std::string& extension) {
  std::vector<std::filesystem::path> paths;
  for (const auto& entry :
       std::filesystem::directory_iterator(testing::SourcePath(relative_dir))) {
    if (entry.path().extension() == extension) paths.push_back(entry.path());
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The examples at the times rules/tests/scenarios.yaml uses, then the cases.
std::vector<NamedRequest> AllRequests() {
  std::vector<NamedRequest> out;
  for (const auto& path : Files("rules/examples", ".json")) {
    const std::string stem = path.stem().string();
    const std::string as_of = stem == "young_child_missing"
                                  ? "2024-01-12T19:00:00Z"
                                  : "2024-05-04T12:00:00Z";
    out.push_back(
        {"example/" + stem, absl::StrCat("{\"facts\":", ReadAll(path),
                                         ",\"asOf\":\"", as_of, "\"}")});
  }
  for (const auto& path : Files("tests/cases", ".yaml")) {
    absl::StatusOr<testing::CaseFile> c = testing::ReadCaseFile(path.string());
    if (!c.ok()) {
      ADD_FAILURE() << c.status();
      continue;
    }
    out.push_back({"case/" + path.stem().string(), c->request_json});
  }
  return out;
}

std::string Deterministic(const v1::Assessment& answer) {
  std::string bytes;
  google::protobuf::io::StringOutputStream stream(&bytes);
  google::protobuf::io::CodedOutputStream out(&stream);
  out.SetSerializationDeterministic(true);
  answer.SerializeToCodedStream(&out);
  out.Trim();
  return bytes;
}

// name → serialized answer, from a fresh assessor (ids from 1).
std::vector<std::pair<std::string, std::string>> AnswerAll(
    const std::vector<NamedRequest>& requests) {
  testing::ShippedRulesAssessor service("answer-bytes");
  const absl::Status activated = service.Activate();
  EXPECT_TRUE(activated.ok()) << activated;
  std::vector<std::pair<std::string, std::string>> out;
  for (const NamedRequest& r : requests) {
    v1::AssessRequest request;
    const auto parsed =
        google::protobuf::util::JsonStringToMessage(r.request_json, &request);
    if (!parsed.ok()) {
      ADD_FAILURE() << r.name << ": " << parsed.ToString();
      continue;
    }
    absl::StatusOr<v1::Assessment> answer = service.Assess(request);
    if (!answer.ok()) {
      ADD_FAILURE() << r.name << ": " << answer.status();
      continue;
    }
    out.emplace_back(r.name, Deterministic(*answer));
  }
  return out;
}

TEST(AnswerBytes, EveryExampleAndCaseAnsweredAlikeTwice) {
  const std::vector<NamedRequest> requests = AllRequests();
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
