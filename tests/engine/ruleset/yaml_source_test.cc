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
  SourceText source = file->ScalarSource(FindKey(file->root(), key));
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
  EXPECT_EQ(YamlToJson(FindKey(file->root(), "a")),
            R"({"n":15,"s":"15","b":true,"e":"MISSING","l":[1,"x"],"z":null})");
}

TEST(YamlSource, PositionsCountBytesAfterNonAsciiText) {
  // "é" is two bytes: columns (and the alignment) count bytes.
  Diagnostics diagnostics;
  std::optional<YamlFile> file = YamlFile::Parse(
      "f.yaml", "t: \xc3\xa9\xc3\xa9 when\nw: [\xc3\xa9, b && cc]\n",
      &diagnostics);
  ASSERT_TRUE(file.has_value()) << diagnostics.ToString();
  YamlNode list = FindKey(file->root(), "w");
  ASSERT_EQ(list.size(), 2u);
  YamlNode second;
  for (const YamlNode& item : list) second = item;
  SourceText source = file->ScalarSource(second);
  SourceLocation loc =
      source.Locate(static_cast<int32_t>(source.text().find("cc")));
  EXPECT_EQ(loc.line, 2);
  EXPECT_EQ(loc.column, 14);  // "w: [é, b && " is 13 bytes
}

TEST(YamlSource, NullsScalarsAndPlainness) {
  Diagnostics diagnostics;
  std::optional<YamlFile> file = YamlFile::Parse(
      "f.yaml", "a:\nb: ~\nc: NULL\nd: \"null\"\ne: 7\nf: '7'\ng: !!str 7\n",
      &diagnostics);
  ASSERT_TRUE(file.has_value());
  const YamlNode& root = file->root();
  EXPECT_TRUE(FindKey(root, "a").IsNull());
  EXPECT_TRUE(FindKey(root, "b").IsNull());
  EXPECT_TRUE(FindKey(root, "c").IsNull());
  EXPECT_TRUE(FindKey(root, "d").IsScalar());
  EXPECT_FALSE(IsPlainScalar(FindKey(root, "d")));
  EXPECT_TRUE(IsPlainScalar(FindKey(root, "e")));
  EXPECT_FALSE(IsPlainScalar(FindKey(root, "f")));
  EXPECT_FALSE(IsPlainScalar(FindKey(root, "g")));
  EXPECT_EQ(FindKey(root, "g").Scalar(), "7");
  EXPECT_FALSE(FindKey(root, "missing").IsDefined());
  EXPECT_EQ(root.size(), 7u);
}

TEST(YamlSource, AnEmptyDocumentIsNullAndOnlyTheFirstDocumentIsRead) {
  Diagnostics diagnostics;
  std::optional<YamlFile> empty = YamlFile::Parse("f.yaml", "", &diagnostics);
  ASSERT_TRUE(empty.has_value());
  EXPECT_TRUE(empty->root().IsDefined());
  EXPECT_TRUE(empty->root().IsNull());
  std::optional<YamlFile> two =
      YamlFile::Parse("f.yaml", "a: 1\n---\nb: 2\n", &diagnostics);
  ASSERT_TRUE(two.has_value());
  EXPECT_EQ(FindKey(two->root(), "a").Scalar(), "1");
  EXPECT_FALSE(FindKey(two->root(), "b").IsDefined());
  EXPECT_FALSE(diagnostics.has_errors());
}

TEST(YamlSource, AnAliasNamesACompleteNodeAndNeverItsOwnAncestor) {
  Diagnostics diagnostics;
  std::optional<YamlFile> file =
      YamlFile::Parse("f.yaml", "a: &x [1, 2]\nb: *x\n", &diagnostics);
  ASSERT_TRUE(file.has_value()) << diagnostics.ToString();
  EXPECT_EQ(YamlToJson(file->root()), R"({"a":[1,2],"b":[1,2]})");
  // A node that would contain itself is refused (YamlToJson and every
  // reader of the tree would otherwise never end).
  EXPECT_FALSE(
      YamlFile::Parse("f.yaml", "a: &x [1, *x]\n", &diagnostics).has_value());
  EXPECT_TRUE(diagnostics.has_errors());
}

}  // namespace
}  // namespace lantern
