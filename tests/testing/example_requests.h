// ExampleRequests: Assess requests for load tests — the shipped example
// episodes (rules/examples), varied per request: the child's reference is
// the request's own client_request_id, the age and the recent-episodes
// count are drawn from the caller's random generator.
//
// Thread-safety: const methods may be called from any thread.
#ifndef LANTERN_TESTS_TESTING_EXAMPLE_REQUESTS_H_
#define LANTERN_TESTS_TESTING_EXAMPLE_REQUESTS_H_

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "lantern/v1/service.pb.h"
#include "tests/testing/test_data.h"

namespace lantern::testing {

class ExampleRequests {
 public:
  ExampleRequests() {
    for (const auto& entry :
         std::filesystem::directory_iterator(SourcePath("rules/examples"))) {
      v1::EpisodeFacts facts;
      const std::string json = ReadFileOrDie(entry.path());
      EXPECT_TRUE(
          google::protobuf::util::JsonStringToMessage(json, &facts).ok())
          << entry.path();
      examples_.push_back(std::move(facts));
    }
    EXPECT_FALSE(examples_.empty());
  }

  v1::AssessRequest Request(const std::string& id, std::mt19937& random) const {
    v1::AssessRequest request;
    request.set_client_request_id(id);
    request.mutable_as_of()->set_seconds(1714824000);  // 2024-05-04T12:00Z
    v1::EpisodeFacts& facts = *request.mutable_facts();
    facts = examples_[random() % examples_.size()];
    facts.mutable_child()->set_reference(id);
    if (facts.child().has_age_years() && !facts.child().has_date_of_birth()) {
      facts.mutable_child()->set_age_years(8 + random() % 10);
    }
    facts.mutable_history()->set_episodes_last_90_days(random() % 7);
    return request;
  }

 private:
  std::vector<v1::EpisodeFacts> examples_;
};

}  // namespace lantern::testing

#endif  // LANTERN_TESTS_TESTING_EXAMPLE_REQUESTS_H_
