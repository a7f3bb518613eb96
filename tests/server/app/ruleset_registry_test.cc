// Tests server/app/ruleset_registry.h: activation swaps only a candidate that
// loads and passes its own tests; a failing one leaves the active version
// serving; versions stay findable; readers never see a half-made version.
#include "server/app/ruleset_registry.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/proto/proto_fact_types.h"
#include "engine/ruleset/ruleset_digest.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/test_data.h"

namespace lantern {
namespace {

// The candidate of an activation that must not fail as a status (there is
// no BeforeActivate hook here to fail).
Candidate Activated(absl::StatusOr<Candidate> candidate) {
  EXPECT_TRUE(candidate.ok()) << candidate.status();
  return candidate.ok() ? *std::move(candidate) : Candidate{};
}

using ::lantern::testing::Overlay;
using ::lantern::testing::ReadTree;
using ::lantern::testing::TestDataPath;
using ::testing::HasSubstr;

class RegistryTest : public ::testing::Test {
 protected:
  std::vector<SourceFile> Example() {
    return ReadTree(TestDataPath("rulesets/example"));
  }
  std::vector<SourceFile> ExampleVersion(const std::string& version) {
    std::vector<SourceFile> files = Example();
    for (SourceFile& f : files) {
      if (f.path == "manifest.yaml") {
        f.content.replace(f.content.find("\"1.0.0\""), 7,
                          "\"" + version + "\"");
      }
    }
    return files;
  }
  ProtoFactTypes types_;
  RuleSetRegistry registry_{&types_};
};

TEST_F(RegistryTest, NothingActiveAtFirst) {
  EXPECT_EQ(registry_.Active(), nullptr);
  EXPECT_TRUE(registry_.List().empty());
}

TEST_F(RegistryTest, ActivatesAPassingDirectory) {
  absl::StatusOr<Candidate> c =
      registry_.ActivateDirectory(TestDataPath("rulesets/example"));
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_TRUE(c->passed()) << c->diagnostics.ToString();
  EXPECT_EQ(c->tests.passed, 5);
  ASSERT_NE(registry_.Active(), nullptr);
  EXPECT_EQ(registry_.Active()->ruleset->manifest.version, "1.0.0");
  EXPECT_THAT(registry_.Active()->digest, ::testing::StartsWith("sha256:"));
}

TEST_F(RegistryTest, MissingDirectoryIsAStatus) {
  EXPECT_EQ(registry_.ActivateDirectory("/nonexistent").status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(RegistryTest, BrokenCandidateKeepsTheActiveVersion) {
  ASSERT_TRUE(Activated(registry_.Activate(Example(), "v1")).passed());
  const auto before = registry_.Active();
  std::vector<SourceFile> broken = Example();
  Overlay(&broken, "rules/bad.yaml",
          "rules:\n  - id: x\n    title: t\n    cite: c\n    when: nope\n");
  Candidate c = Activated(registry_.Activate(std::move(broken), "v2"));
  EXPECT_FALSE(c.passed());
  EXPECT_THAT(c.diagnostics.ToString(),
              HasSubstr("v2/rules/bad.yaml:5:11: error: unknown name"));
  EXPECT_EQ(registry_.Active(), before);
}

TEST_F(RegistryTest, CandidateWithFailingTestsIsNotActivated) {
  ASSERT_TRUE(Activated(registry_.Activate(Example(), "v1")).passed());
  const auto before = registry_.Active();
  std::vector<SourceFile> failing = ExampleVersion("2.0.0");
  Overlay(
      &failing, "tests/extra.yaml",
      "as_of: 2024-05-04T12:00:00Z\ncases:\n  - name: wrong\n    facts: {}\n"
      "    expect: {grade: HIGH}\n");
  Candidate c = Activated(registry_.Activate(std::move(failing), "v2"));
  EXPECT_FALSE(c.passed());
  EXPECT_EQ(c.tests.failed, 1);
  EXPECT_EQ(registry_.Active(), before);
  EXPECT_EQ(registry_.Find("2.0.0"), nullptr);
}

TEST_F(RegistryTest, ValidateNeverActivates) {
  Candidate c = registry_.Validate(Example(), "v1");
  EXPECT_TRUE(c.passed());
  EXPECT_EQ(registry_.Active(), nullptr);
}

TEST_F(RegistryTest, EarlierVersionsStayFindableByVersionAndDigest) {
  Candidate v1 = Activated(registry_.Activate(ExampleVersion("1.0.0"), "v1"));
  Candidate v2 = Activated(registry_.Activate(ExampleVersion("2.0.0"), "v2"));
  ASSERT_TRUE(v1.passed() && v2.passed());
  EXPECT_NE(v1.version->digest, v2.version->digest);
  EXPECT_EQ(registry_.Active(), v2.version);
  EXPECT_EQ(registry_.Find("1.0.0"), v1.version);
  EXPECT_EQ(registry_.Find(v1.version->digest), v1.version);
  EXPECT_EQ(registry_.Find("3.0.0"), nullptr);
  // The same files again are the same version, not a new history entry.
  Candidate again =
      Activated(registry_.Activate(ExampleVersion("1.0.0"), "v1"));
  EXPECT_EQ(again.version, v1.version);
  EXPECT_EQ(registry_.Active(), v1.version);
  EXPECT_EQ(registry_.List().size(), 2u);
}

TEST_F(RegistryTest, VersionsCarryTheirCompiledProgramAndTestCount) {
  Candidate c = Activated(registry_.Activate(Example(), "v1"));
  ASSERT_TRUE(c.passed());
  EXPECT_NE(c.version->program, nullptr);
  EXPECT_EQ(c.version->tests_passed, c.tests.passed);
  EXPECT_GT(c.version->tests_passed, 0);
  EXPECT_EQ(c.digest, c.version->digest);
}

TEST_F(RegistryTest, FailedCandidateStillHasItsDigest) {
  std::vector<SourceFile> files = Example();
  testing::Overlay(&files, "rules/extra.yaml", "rules: [{id: x}]\n");
  Candidate c = registry_.Validate(files, "bad");
  EXPECT_FALSE(c.passed());
  EXPECT_EQ(c.digest, RulesetDigest(files));
}

TEST_F(RegistryTest, ReactivateRollsBackToAHeldVersion) {
  Candidate v1 = Activated(registry_.Activate(ExampleVersion("1.0.0"), "v1"));
  Candidate v2 = Activated(registry_.Activate(ExampleVersion("2.0.0"), "v2"));
  ASSERT_TRUE(v1.passed() && v2.passed());
  absl::StatusOr<std::shared_ptr<const RuleSetVersion>> back =
      registry_.Reactivate("1.0.0");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, v1.version);
  EXPECT_EQ(registry_.Active(), v1.version);
  EXPECT_EQ(registry_.Reactivate("9.9.9").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(registry_.Active(), v1.version);
}

TEST_F(RegistryTest, CandidateForAnotherFactMessageFails) {
  RuleSetRegistry episodes(&types_, nullptr, "lantern.v1.EpisodeFacts");
  Candidate c = Activated(episodes.Activate(Example(), "v1"));
  EXPECT_FALSE(c.passed());
  EXPECT_THAT(c.diagnostics.ToString(),
              ::testing::HasSubstr("v1/manifest.yaml:8:15: error: fact_message "
                                   "is lantern.testing.v1.ExampleFacts"));
  EXPECT_EQ(episodes.Active(), nullptr);
}

TEST_F(RegistryTest, HookSeesEveryActivationAndItsFailureChangesNothing) {
  std::vector<std::string> seen;
  absl::Status next_result = absl::OkStatus();
  registry_.set_before_activate([&](const RuleSetVersion& next,
                                    absl::string_view by) {
    seen.push_back(absl::StrCat(next.ruleset->manifest.version, " by ", by));
    return next_result;
  });
  ASSERT_TRUE(registry_.Activate(ExampleVersion("1.0.0"), "v1", "me").ok());
  const std::shared_ptr<const RuleSetVersion> v1 = registry_.Active();

  next_result = absl::UnavailableError("the ledger is gone");
  absl::StatusOr<Candidate> v2 =
      registry_.Activate(ExampleVersion("2.0.0"), "v2", "you");
  EXPECT_EQ(v2.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(registry_.Active(), v1);
  EXPECT_EQ(registry_.Find("2.0.0"), nullptr);
  EXPECT_EQ(registry_.Reactivate("1.0.0", "them").status().code(),
            absl::StatusCode::kUnavailable);

  next_result = absl::OkStatus();
  ASSERT_TRUE(registry_.Reactivate("1.0.0", "them").ok());
  EXPECT_THAT(seen, ::testing::ElementsAre("1.0.0 by me", "2.0.0 by you",
                                           "1.0.0 by them", "1.0.0 by them"));
}

TEST_F(RegistryTest, HoldKeepsAVersionWithoutActivatingIt) {
  int hook_calls = 0;
  registry_.set_before_activate([&](const RuleSetVersion&, absl::string_view) {
    ++hook_calls;
    return absl::OkStatus();
  });
  Candidate held = registry_.Hold(ExampleVersion("1.0.0"), "v1");
  ASSERT_TRUE(held.passed());
  EXPECT_EQ(registry_.Active(), nullptr);
  EXPECT_EQ(registry_.Find("1.0.0"), held.version);
  EXPECT_EQ(registry_.Find(held.digest), held.version);
  EXPECT_EQ(hook_calls, 0);
  // Activating the same files later reuses the held version.
  Candidate again =
      Activated(registry_.Activate(ExampleVersion("1.0.0"), "v1"));
  EXPECT_EQ(again.version, held.version);
  EXPECT_EQ(registry_.List().size(), 1u);
  EXPECT_EQ(hook_calls, 1);
}

TEST_F(RegistryTest, ReadersAlwaysSeeAWholeVersion) {
  ASSERT_TRUE(
      Activated(registry_.Activate(ExampleVersion("1.0.0"), "v1")).passed());
  std::atomic<bool> stop{false};
  std::atomic<int> reads{0};
  std::thread reader([&] {
    while (!stop.load()) {
      std::shared_ptr<const RuleSetVersion> v = registry_.Active();
      ASSERT_NE(v, nullptr);
      const std::string& version = v->ruleset->manifest.version;
      ASSERT_TRUE(version == "1.0.0" || version == "2.0.0") << version;
      ASSERT_EQ(registry_.Find(v->digest), v);
      ++reads;
    }
  });
  for (int i = 0; i < 10; ++i) {
    Activated(
        registry_.Activate(ExampleVersion(i % 2 ? "1.0.0" : "2.0.0"), "v"));
  }
  stop = true;
  reader.join();
  EXPECT_GT(reads.load(), 0);
}

}  // namespace
}  // namespace lantern
