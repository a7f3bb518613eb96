// Tests engine/ruleset/ruleset_digest.h. The expected digests were computed
// independently (Python's hashlib over the documented canonical form); they
// freeze the form, since stored decisions name rulesets by digest.
#include "engine/ruleset/ruleset_digest.h"

#include "gtest/gtest.h"

namespace lantern {
namespace {

TEST(RulesetDigest, Sha256OfBytes) {
  EXPECT_EQ(Sha256Hex(""),
            "sha256:"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(RulesetDigest, CanonicalFormIsFrozen) {
  EXPECT_EQ(RulesetDigest({{"b.yaml", "x"}, {"a.yaml", "hello"}}),
            "sha256:"
            "81cbdafdf8d362127a59299a7fd43935220e61e99dce9afc4064410786006d99");
}

TEST(RulesetDigest, FileOrderDoesNotMatterButEveryByteDoes) {
  const std::string base =
      RulesetDigest({{"a.yaml", "hello"}, {"b.yaml", "x"}});
  EXPECT_EQ(RulesetDigest({{"b.yaml", "x"}, {"a.yaml", "hello"}}), base);
  EXPECT_NE(RulesetDigest({{"a.yaml", "hellp"}, {"b.yaml", "x"}}), base);
  EXPECT_NE(RulesetDigest({{"a.yml", "hello"}, {"b.yaml", "x"}}), base);
  EXPECT_NE(RulesetDigest({{"a.yaml", "hello"}}), base);
}

TEST(RulesetDigest, BoundariesBetweenPathAndContentAreUnambiguous) {
  EXPECT_NE(RulesetDigest({{"ab", "c"}}), RulesetDigest({{"a", "bc"}}));
  EXPECT_NE(RulesetDigest({{"a", "1"}, {"b", ""}}),
            RulesetDigest({{"a", ""}, {"b", "1"}}));
}

}  // namespace
}  // namespace lantern
