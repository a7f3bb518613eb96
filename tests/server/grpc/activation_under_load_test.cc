// Activation under load: while client threads call Assess continuously on
// the real `lantern serve`, the rules directory is switched between good
// versions and broken ones (failing to check, or failing their own tests)
// and activated, alternately, 50 times each. No call may fail, every answer
// must name the digest of a version that was active, and each answer's
// content must be that version's (no answer mixes two versions).
#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/serve_fixture.h"

namespace lantern::testing {
namespace {

struct Seen {
  std::string digest, version;
  int64_t total_score = 0, cse_score = 0;
  std::string fired;
};

constexpr int kClients = 3;
constexpr int kRounds = 50;

// Version "1" scores test.gifts 20, "2" scores it 40.
int ScoreOf(const std::string& version) { return version == "1" ? 20 : 40; }

TEST_F(ServeTest, ActivationUnderLoadNeverFailsOrMixesVersions) {
  StartServer();
  std::map<std::string, std::string> version_of_digest = {
      {ActiveDigest(), "1"}};
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::vector<std::vector<Seen>> seen(kClients);
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      while (!stop.load()) {
        v1::Assessment answer;
        if (!assess_->Assess(Context().get(), GiftsRequest(), &answer).ok()) {
          failures.fetch_add(1);
          continue;
        }
        seen[c].push_back(
            {answer.ruleset().digest(), answer.ruleset().version(),
             answer.grade().total_score(),
             answer.concerns_size() > 0 ? answer.concerns(0).score() : -1,
             answer.fired_rules_size() == 1 ? answer.fired_rules(0).id() : ""});
      }
    });
  }
  for (int round = 0; round < kRounds; ++round) {
    const std::string version = round % 2 == 0 ? "2" : "1";
    Good(version, ScoreOf(version));
    v1::ActivateRuleSetResponse good;
    ASSERT_TRUE(rulesets_->Activate(Context().get(), {}, &good).ok());
    ASSERT_EQ(good.outcome(), v1::ActivateRuleSetResponse::ACTIVATED);
    version_of_digest[good.active().digest()] = version;
    if (round % 2 == 0)
      BrokenSyntax();
    else
      BrokenTests();
    v1::ActivateRuleSetResponse broken;
    ASSERT_TRUE(rulesets_->Activate(Context().get(), {}, &broken).ok());
    ASSERT_EQ(broken.outcome(), v1::ActivateRuleSetResponse::REJECTED);
    ASSERT_EQ(broken.active().digest(), good.active().digest());
  }
  stop.store(true);
  for (std::thread& t : clients) t.join();

  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(version_of_digest.size(), 2u);  // the same files, the same digest
  size_t answers = 0;
  for (const std::vector<Seen>& client : seen) {
    EXPECT_FALSE(client.empty());
    answers += client.size();
    for (const Seen& s : client) {
      auto it = version_of_digest.find(s.digest);
      ASSERT_NE(it, version_of_digest.end()) << "unknown digest " << s.digest;
      const std::string& version = it->second;
      EXPECT_EQ(s.version, version);
      EXPECT_EQ(s.total_score, ScoreOf(version));
      EXPECT_EQ(s.cse_score, ScoreOf(version));
      EXPECT_EQ(s.fired, "test.gifts");
    }
  }
  std::cout << answers << " answers across " << 2 * kRounds << " activations\n";
}

}  // namespace
}  // namespace lantern::testing
