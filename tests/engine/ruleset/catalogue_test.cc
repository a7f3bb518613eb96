// Tests engine/ruleset/catalogue.h: resolving the fact fields catalogues are
// bound to, and reading the codes an episode records in them — known ones with
// their entries (once per catalogue that lists them), unknown ones named by
// path.
#include "engine/ruleset/catalogue.h"

#include "engine/proto/proto_fact_types.h"
#include "engine/ruleset/loader.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/test_data.h"

namespace lantern {
namespace {

using ::lantern::testing::Overlay;
using ::lantern::testing::ReadTree;
using ::lantern::testing::TestDataPath;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// Two catalogues share a code; one is bound to two fields.
constexpr char kCatalogues[] =
    "catalogues:\n"
    "  CCE_SIGNS:\n"
    "    title: t\n"
    "    fields: [episode.observed]\n"
    "    entries:\n"
    "      - {code: MULTIPLE_PHONES, description: Phones, source: "
    "https://example.org/cce}\n"
    "      - {code: UNEXPLAINED_CASH, description: Cash (CCE), source: "
    "https://example.org/cce}\n"
    "  CSE_SIGNS:\n"
    "    title: t\n"
    "    fields: [episode.observed, child.markers]\n"
    "    entries:\n"
    "      - {code: UNEXPLAINED_CASH, description: Cash (CSE), source: "
    "https://example.org/cse}\n"
    "      - {code: CSE_RISK, description: Marker, source: "
    "https://example.org/cse}\n";

class CatalogueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<SourceFile> files = ReadTree(TestDataPath("rulesets/example"));
    Overlay(&files, "catalogues/signs.yaml", kCatalogues);
    LoadResult result = LoadRuleSetFromFiles(files, types_, "example");
    ASSERT_NE(result.ruleset, nullptr) << result.diagnostics.ToString();
    ruleset_ = result.ruleset;
  }
  CodeScan Scan(const std::string& json) {
    absl::StatusOr<FactRecord> facts = types_.DecodeJson(
        *ruleset_->schema, ruleset_->manifest.fact_message, json);
    EXPECT_TRUE(facts.ok()) << facts.status();
    return facts.ok() ? ScanCatalogueCodes(*ruleset_, *facts) : CodeScan();
  }
  static std::vector<std::string> Lines(const CodeScan& scan) {
    std::vector<std::string> out;
    for (const RecordedCode& c : scan.known) {
      out.push_back(c.path + " " + c.code + " " + c.catalogue + " " +
                    c.description);
    }
    return out;
  }
  ProtoFactTypes types_;
  std::shared_ptr<const RuleSet> ruleset_;
};

TEST_F(CatalogueTest, ResolvesAListOfStringsThroughMessages) {
  absl::StatusOr<std::vector<int32_t>> indices =
      ResolveCodeField(*ruleset_->schema, "episode.observed");
  ASSERT_TRUE(indices.ok()) << indices.status();
  EXPECT_EQ(indices->size(), 2u);
}

TEST_F(CatalogueTest, RejectsPathsThatAreNotCodeFields) {
  const FactSchema& schema = *ruleset_->schema;
  EXPECT_THAT(
      std::string(
          ResolveCodeField(schema, "episode.nosuch").status().message()),
      HasSubstr("no field 'nosuch' in lantern.testing.v1.Episode"));
  EXPECT_THAT(
      std::string(
          ResolveCodeField(schema, "child.age_years").status().message()),
      HasSubstr("'child.age_years' is int, not list(string)"));
  EXPECT_THAT(
      std::string(
          ResolveCodeField(schema, "episode.found.with.x").status().message()),
      HasSubstr("'with' is not a singular message field"));
}

TEST_F(CatalogueTest, DescribesEachCodeOncePerCatalogueThatListsIt) {
  CodeScan scan = Scan(R"({"child": {"markers": ["CSE_RISK"]},
      "episode": {"observed": ["UNEXPLAINED_CASH", "MULTIPLE_PHONES"]}})");
  EXPECT_THAT(Lines(scan),
              ElementsAre("child.markers[0] CSE_RISK CSE_SIGNS Marker",
                          "episode.observed[0] UNEXPLAINED_CASH CCE_SIGNS "
                          "Cash (CCE)",
                          "episode.observed[0] UNEXPLAINED_CASH CSE_SIGNS "
                          "Cash (CSE)",
                          "episode.observed[1] MULTIPLE_PHONES CCE_SIGNS "
                          "Phones"));
  EXPECT_EQ(scan.known[0].source, "https://example.org/cse");
  EXPECT_THAT(scan.unknown, IsEmpty());
}

TEST_F(CatalogueTest, NamesValuesNoBoundCatalogueLists) {
  CodeScan scan = Scan(R"({"child": {"markers": ["MULTIPLE_PHONES"]},
      "episode": {"observed": ["CASH"]}})");
  EXPECT_THAT(Lines(scan), IsEmpty());
  EXPECT_THAT(scan.unknown,
              ElementsAre("child.markers[0]: 'MULTIPLE_PHONES' is not a code "
                          "of CSE_SIGNS",
                          "episode.observed[0]: 'CASH' is not a code of "
                          "CCE_SIGNS, CSE_SIGNS"));
}

TEST_F(CatalogueTest, AFieldUnderAnUnsetMessageHoldsNoCodes) {
  CodeScan scan = Scan("{}");
  EXPECT_THAT(scan.known, IsEmpty());
  EXPECT_THAT(scan.unknown, IsEmpty());
}

}  // namespace
}  // namespace lantern
