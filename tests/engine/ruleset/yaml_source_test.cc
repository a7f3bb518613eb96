// Tests engine/ruleset/yaml_source.h: scalar text mapped back to file
// positions.
#include "engine/ruleset/yaml_source.h"

#include "gtest/gtest.h"

namespace lantern {
namespace {

// "line:col" of the first occurrence of `needle` in the scalar at `key`.
std::string PositionOf(const std::string& yaml, const std::string& key,
                       const std::string& needle) {
  Diagnostics diagnostics;
  std::optional<YamlFile> file = YamlFile::Parse("f.yaml", yaml, &diagnostics);
  if (!file.has_value()) return "parse error: " + diagnostics.ToString();
  SourceText source = file->ScalarSource(file->root()[key]);
  const size_t at = source.text().find(needle);
  if (at == std::string::npos) return "not found in [" + source.text() + "]";
  SourceLocation loc = source.Locate(static_cast<int32_t>(at));
  return std::to_string(loc.line) + ":" + std::to_string(loc.column);
}

TEST(YamlSource, PlainScalarOnOneLine) {
  EXPECT_EQ(PositionOf("when: a && bb\n", "when", "bb"), "1:12");
}

TEST(YamlSource, PlainScalarWrappedAcrossLines) {
  EXPECT_EQ(PositionOf("when: a &&\n  bb\n", "when", "bb"), "2:3");
}

TEST(YamlSource, FoldedBlock) {
  EXPECT_EQ(PositionOf("x: 1\nwhen: >\n  a &&\n    b.c > 3\n", "when", "b.c"),
            "4:5");
}

TEST(YamlSource, LiteralBlockWithBlankLine) {
  EXPECT_EQ(PositionOf("when: |\n  a &&\n\n  zz\n", "when", "zz"), "4:3");
}

TEST(YamlSource, DoubleQuotedWithEscapes) {
  EXPECT_EQ(PositionOf("when: \"s == \\\"x\\\" && qq\"\n", "when", "qq"),
            "1:22");
}

TEST(YamlSource, SingleQuotedWithDoubledQuote) {
  EXPECT_EQ(PositionOf("when: 'n == ''it''s'' || zz'\n", "when", "zz"), "1:26");
}

TEST(YamlSource, SyntaxErrorIsReportedAtItsPosition) {
  Diagnostics diagnostics;
  EXPECT_FALSE(
      YamlFile::Parse("f.yaml", "a: [1, 2\nb: 3\n", &diagnostics).has_value());
  ASSERT_EQ(diagnostics.list().size(), 1u);
  EXPECT_EQ(diagnostics.list()[0].location.file, "f.yaml");
  EXPECT_GT(diagnostics.list()[0].location.line, 0);
  EXPECT_NE(diagnostics.list()[0].message.find("YAML syntax error"),
            std::string::npos);
}

TEST(YamlSource, YamlToJsonKeepsPlainNumbersAndQuotesTheRest) {
  Diagnostics diagnostics;
  std::optional<YamlFile> file = YamlFile::Parse(
      "f.yaml",
      "a: {n: 15, s: \"15\", b: true, e: MISSING, l: [1, x], z: null}\n",
      &diagnostics);
  ASSERT_TRUE(file.has_value());
  EXPECT_EQ(YamlToJson(file->root()["a"]),
            R"({"n":15,"s":"15","b":true,"e":"MISSING","l":[1,"x"],"z":null})");
}

}  // namespace
}  // namespace lantern
