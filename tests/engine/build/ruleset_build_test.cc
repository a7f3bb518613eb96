// Tests engine/build/ruleset_build.h: the one factory gives the digest of
// the exact files, the checked ruleset and its compiled program; a ruleset
// over another fact message, or one that does not load, builds nothing and
// says why at file:line:col.
#include "engine/build/ruleset_build.h"

#include <string>
#include <vector>

#include "engine/proto/proto_fact_types.h"
#include "engine/ruleset/ruleset_digest.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/test_data.h"

namespace lantern {
namespace {

using ::lantern::testing::ReadTree;
using ::lantern::testing::TestDataPath;
using ::testing::HasSubstr;

class RuleSetBuildTest : public ::testing::Test {
 protected:
  std::vector<SourceFile> Example() {
    return ReadTree(TestDataPath("rulesets/example"));
  }
  ProtoFactTypes types_;
};

TEST_F(RuleSetBuildTest, BuildsFilesWithTheirDigest) {
  std::vector<SourceFile> files = Example();
  const std::string digest = RulesetDigest(files);
  RuleSetBuild build = BuildRuleSet(files, types_, {});
  ASSERT_TRUE(build.ok()) << build.diagnostics.ToString();
  EXPECT_EQ(build.digest, digest);
  ASSERT_NE(build.ruleset, nullptr);
  EXPECT_EQ(build.program->ruleset, build.ruleset);
  EXPECT_EQ(build.program->rule_count(),
            static_cast<int32_t>(build.ruleset->rules.size()));
  EXPECT_FALSE(build.diagnostics.has_errors());
}

TEST_F(RuleSetBuildTest, DirectoryAndFilesAgree) {
  absl::StatusOr<RuleSetBuild> dir =
      BuildRuleSetDirectory(TestDataPath("rulesets/example"), types_, {});
  ASSERT_TRUE(dir.ok()) << dir.status();
  ASSERT_TRUE(dir->ok()) << dir->diagnostics.ToString();
  EXPECT_EQ(dir->digest, RulesetDigest(Example()));
  EXPECT_EQ(dir->program->report.ToString(),
            BuildRuleSet(Example(), types_, {}).program->report.ToString());
}

TEST_F(RuleSetBuildTest, AMissingDirectoryIsAStatus) {
  absl::StatusOr<RuleSetBuild> dir =
      BuildRuleSetDirectory("/nonexistent/rules", types_, {});
  EXPECT_EQ(dir.status().code(), absl::StatusCode::kNotFound);
}

TEST_F(RuleSetBuildTest, AnotherFactMessageIsRefusedAtTheManifest) {
  BuildOptions options;
  options.fact_message = "lantern.v1.EpisodeFacts";
  RuleSetBuild build = BuildRuleSet(Example(), types_, options);
  EXPECT_FALSE(build.ok());
  EXPECT_NE(build.ruleset, nullptr);
  EXPECT_FALSE(build.digest.empty());
  EXPECT_THAT(build.diagnostics.ToString(),
              HasSubstr("manifest.yaml:8:15: error: fact_message is "
                        "lantern.testing.v1.ExampleFacts; this server assesses "
                        "lantern.v1.EpisodeFacts"));
}

TEST_F(RuleSetBuildTest, TheNamedFactMessageBuilds) {
  BuildOptions options;
  options.fact_message = "lantern.testing.v1.ExampleFacts";
  EXPECT_TRUE(BuildRuleSet(Example(), types_, options).ok());
}

TEST_F(RuleSetBuildTest, ABrokenRulesetBuildsNothingButKeepsItsDigest) {
  std::vector<SourceFile> files = Example();
  for (SourceFile& f : files) {
    if (f.path == "manifest.yaml") f.content += "no_such_key: 1\n";
  }
  const std::string digest = RulesetDigest(files);
  RuleSetBuild build = BuildRuleSet(files, types_, {});
  EXPECT_FALSE(build.ok());
  EXPECT_EQ(build.ruleset, nullptr);
  EXPECT_EQ(build.digest, digest);
  EXPECT_THAT(build.diagnostics.ToString(), HasSubstr("manifest.yaml:"));
}

}  // namespace
}  // namespace lantern
