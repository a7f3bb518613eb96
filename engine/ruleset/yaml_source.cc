// YamlFile: parsing, node positions and scalar-to-source alignment.
//
// Entry points: YamlFile::Parse, YamlFile::ScalarSource, YamlToJson. The
// alignment is a single forward scan over the raw text from the scalar's
// start; see the header for why it is needed and how it degrades.
#include "engine/ruleset/yaml_source.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace lantern {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

void AppendJsonString(absl::string_view s, std::string* out) {
  out->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (c < 0x20) {
          absl::StrAppend(out, "\\u00", absl::Hex(c, absl::kZeroPad2));
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

bool IsJsonLiteral(absl::string_view s) {
  if (s == "true" || s == "false" || s == "null") return true;
  int64_t i;
  double d;
  if (absl::SimpleAtoi(s, &i)) return true;
  // JSON has no inf/nan and no leading '+' or '.'.
  if (s.empty() ||
      !(std::isdigit(static_cast<unsigned char>(s[0])) || s[0] == '-')) {
    return false;
  }
  return absl::SimpleAtod(s, &d) && s.find_first_of("iInN") == s.npos;
}

}  // namespace

YamlFile::YamlFile(std::string path, std::string text, YAML::Node root)
    : path_(std::move(path)), text_(std::move(text)), root_(std::move(root)) {
  line_starts_.push_back(0);
  for (size_t i = 0; i < text_.size(); ++i) {
    if (text_[i] == '\n') line_starts_.push_back(i + 1);
  }
}

std::optional<YamlFile> YamlFile::Parse(std::string path, std::string text,
                                        Diagnostics* diagnostics) {
  try {
    YAML::Node root = YAML::Load(text);
    return YamlFile(std::move(path), std::move(text), std::move(root));
  } catch (const YAML::Exception& e) {
    diagnostics->Error({path, e.mark.line + 1, e.mark.column + 1},
                       absl::StrCat("YAML syntax error: ", e.msg));
  } catch (const std::exception& e) {
    diagnostics->Error({path, 0, 0}, absl::StrCat("YAML error: ", e.what()));
  }
  return std::nullopt;
}

SourceLocation YamlFile::Locate(const YAML::Node& node) const {
  const YAML::Mark mark = node.Mark();
  if (mark.line < 0) return {path_, 0, 0};
  return {path_, mark.line + 1, mark.column + 1};
}

std::pair<int, int> YamlFile::PositionOf(size_t offset) const {
  auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
  const size_t line = static_cast<size_t>(it - line_starts_.begin());
  return {static_cast<int>(line),
          static_cast<int>(offset - line_starts_[line - 1] + 1)};
}

SourceText YamlFile::ScalarSource(const YAML::Node& node) const {
  const std::string& value = node.Scalar();
  const int mark = node.Mark().pos;
  size_t j = mark < 0 ? text_.size() : static_cast<size_t>(mark);
  char quote = 0;
  if (j < text_.size() && (text_[j] == '|' || text_[j] == '>')) {
    while (j < text_.size() && text_[j] != '\n') ++j;  // skip the header line
  } else if (j < text_.size() && (text_[j] == '"' || text_[j] == '\'')) {
    quote = text_[j++];
  }
  const std::pair<int, int> start =
      PositionOf(std::min<size_t>(mark < 0 ? 0 : mark, text_.size()));
  std::vector<std::pair<int, int>> positions;
  positions.reserve(value.size());
  bool aligned = true;
  for (char c : value) {
    if (aligned && !IsBlank(c)) {
      while (j < text_.size() && IsBlank(text_[j])) ++j;
      if (j < text_.size() && text_[j] != c && quote != 0 &&
          (text_[j] == '\\' || text_[j] == quote)) {
        ++j;  // an escape: `\x` in "..." or `''` in '...'
        while (j < text_.size() && IsBlank(text_[j])) ++j;
      }
      aligned = j < text_.size() && text_[j] == c;
    }
    if (!aligned) {
      positions.push_back(start);
      continue;
    }
    positions.push_back(PositionOf(std::min(j, text_.size())));
    if (!IsBlank(c)) ++j;
  }
  return SourceText::WithPositions(path_, value, std::move(positions));
}

YAML::Node FindKey(const YAML::Node& node, absl::string_view key) {
  if (node.IsMap()) {
    for (const auto& entry : node) {
      if (entry.first.IsScalar() && entry.first.Scalar() == key)
        return entry.second;
    }
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

bool IsPlainScalar(const YAML::Node& node) {
  return node.IsScalar() && node.Tag() == "?";
}

std::string YamlToJson(const YAML::Node& node) {
  std::string out;
  if (node.IsMap()) {
    out.push_back('{');
    bool first = true;
    for (const auto& entry : node) {
      if (!first) out.push_back(',');
      first = false;
      AppendJsonString(entry.first.Scalar(), &out);
      out.push_back(':');
      out += YamlToJson(entry.second);
    }
    out.push_back('}');
  } else if (node.IsSequence()) {
    out.push_back('[');
    bool first = true;
    for (const YAML::Node& item : node) {
      if (!first) out.push_back(',');
      first = false;
      out += YamlToJson(item);
    }
    out.push_back(']');
  } else if (node.IsScalar()) {
    const std::string& s = node.Scalar();
    if (IsPlainScalar(node) && IsJsonLiteral(s)) {
      out += s;
    } else {
      AppendJsonString(s, &out);
    }
  } else {
    out += "null";
  }
  return out;
}

}  // namespace lantern
