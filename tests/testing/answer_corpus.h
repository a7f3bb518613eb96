// AnswerCorpus: the Assess requests the answer-wide tests run (answer
// bytes, views) — every shipped example episode (rules/examples/*.json) at
// the as_of rules/tests/scenarios.yaml uses for it, and every case of the
// library (tests/cases/*.yaml) — named "example/<stem>" and "case/<stem>",
// examples first, each group in file-name order. A file that cannot be
// read or parsed is a test failure (ADD_FAILURE) and is left out, so
// callers check the count.
#ifndef LANTERN_TESTS_TESTING_ANSWER_CORPUS_H_
#define LANTERN_TESTS_TESTING_ANSWER_CORPUS_H_

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "lantern/v1/service.pb.h"
#include "tests/testing/case_file.h"
#include "tests/testing/test_data.h"

namespace lantern::testing {

struct NamedRequest {
  std::string name;
  v1::AssessRequest request;
};

// The files under the source tree's `relative_dir` ending in `extension`,
// sorted.
inline std::vector<std::filesystem::path> SortedFiles(
    const std::string& relative_dir, const std::string& extension) {
  std::vector<std::filesystem::path> paths;
  for (const auto& entry :
       std::filesystem::directory_iterator(SourcePath(relative_dir))) {
    if (entry.path().extension() == extension) paths.push_back(entry.path());
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

inline std::vector<NamedRequest> AnswerCorpus() {
  std::vector<std::pair<std::string, std::string>> json;
  for (const auto& path : SortedFiles("rules/examples", ".json")) {
    const std::string stem = path.stem().string();
    const std::string as_of = stem == "young_child_missing"
                                  ? "2024-01-12T19:00:00Z"
                                  : "2024-05-04T12:00:00Z";
    json.emplace_back("example/" + stem,
                      absl::StrCat("{\"facts\":", ReadFileOrDie(path.string()),
                                   ",\"asOf\":\"", as_of, "\"}"));
  }
  for (const auto& path : SortedFiles("tests/cases", ".yaml")) {
    absl::StatusOr<CaseFile> c = ReadCaseFile(path.string());
    if (!c.ok()) {
      ADD_FAILURE() << c.status();
      continue;
    }
    json.emplace_back("case/" + path.stem().string(), c->request_json);
  }
  std::vector<NamedRequest> out;
  for (auto& [name, text] : json) {
    NamedRequest n{name, {}};
    const auto parsed =
        google::protobuf::util::JsonStringToMessage(text, &n.request);
    if (!parsed.ok()) {
      ADD_FAILURE() << name << ": " << parsed.ToString();
      continue;
    }
    out.push_back(std::move(n));
  }
  return out;
}

}  // namespace lantern::testing

#endif  // LANTERN_TESTS_TESTING_ANSWER_CORPUS_H_
