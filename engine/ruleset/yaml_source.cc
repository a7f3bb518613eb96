// YamlFile: parsing, node positions and scalar-to-source alignment.
//
// Entry points: YamlFile::Parse, YamlFile::ScalarSource, YamlToJson. The
// alignment is a single forward scan over the raw text from the scalar's
// start; see the header for why it is needed and how it degrades.
#include "engine/ruleset/yaml_source.h"

#include <yaml.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "yaml-cpp/yaml.h"

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

const std::string& YamlNode::Scalar() const {
  static const std::string* const kEmpty = new std::string();
  return IsScalar() ? data_->scalar : *kEmpty;
}

size_t YamlNode::size() const {
  if (IsSequence()) return data_->children.size();
  if (IsMap()) return data_->children.size() / 2;
  return 0;
}

YamlNode::const_iterator YamlNode::begin() const {
  if (!IsSequence() && !IsMap()) return const_iterator(nullptr, 1);
  return const_iterator(data_->children.data(), IsMap() ? 2 : 1);
}

YamlNode::const_iterator YamlNode::end() const {
  if (!IsSequence() && !IsMap()) return const_iterator(nullptr, 1);
  return const_iterator(data_->children.data() + data_->children.size(),
                        IsMap() ? 2 : 1);
}

YamlEntry YamlNode::const_iterator::operator*() const {
  YamlEntry entry;
  if (step_ == 2) {
    entry.first = YamlNode(at_[0]);
    entry.second = YamlNode(at_[1]);
  } else {
    static_cast<YamlNode&>(entry) = YamlNode(at_[0]);
  }
  return entry;
}

// Turns libyaml's events into NodeData. libyaml counts columns and offsets
// in characters; marks here are in bytes, as the rest of the loader (and
// yaml-cpp before it) counts them.
class YamlFile::Builder {
 public:
  explicit Builder(YamlFile* file) : file_(file) {
    ascii_ = std::all_of(file->text_.begin(), file->text_.end(),
                         [](char c) { return (c & 0x80) == 0; });
  }

  // False with `error` and `error_mark` set on a problem libyaml does not
  // check (an alias to an anchor not yet complete).
  bool Add(const yaml_event_t& event, std::string* error,
           yaml_mark_t* error_mark) {
    using yaml_internal::Kind;
    switch (event.type) {
      case YAML_SCALAR_EVENT: {
        const char* value =
            reinterpret_cast<const char*>(event.data.scalar.value);
        std::string text(value, event.data.scalar.length);
        const bool plain = event.data.scalar.tag == nullptr &&
                           event.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        const bool null =
            plain && (text.empty() || text == "~" || text == "null" ||
                      text == "Null" || text == "NULL");
        yaml_internal::NodeData* node =
            New(null ? Kind::kNull : Kind::kScalar, event.start_mark);
        node->plain = plain;
        if (!null) node->scalar = std::move(text);
        Attach(node, event.data.scalar.anchor);
        return true;
      }
      case YAML_SEQUENCE_START_EVENT:
      case YAML_MAPPING_START_EVENT: {
        const bool map = event.type == YAML_MAPPING_START_EVENT;
        yaml_internal::NodeData* node =
            New(map ? Kind::kMap : Kind::kSequence, event.start_mark);
        const yaml_char_t* anchor = map ? event.data.mapping_start.anchor
                                        : event.data.sequence_start.anchor;
        open_.push_back({node, anchor});
        return true;
      }
      case YAML_SEQUENCE_END_EVENT:
      case YAML_MAPPING_END_EVENT: {
        const Open done = std::move(open_.back());
        open_.pop_back();
        Attach(done.node, done.anchor);
        return true;
      }
      case YAML_ALIAS_EVENT: {
        const char* name =
            reinterpret_cast<const char*>(event.data.alias.anchor);
        auto it = anchors_.find(name);
        if (it == anchors_.end()) {
          *error = absl::StrCat("unknown anchor '", name,
                                "' (an alias must follow the whole node it "
                                "names)");
          *error_mark = event.start_mark;
          return false;
        }
        Attach(it->second, nullptr);
        return true;
      }
      default:
        return true;
    }
  }

  const yaml_internal::NodeData* root() const { return root_; }

 private:
  struct Open {
    yaml_internal::NodeData* node;
    std::optional<std::string> anchor;
    Open(yaml_internal::NodeData* n, const yaml_char_t* a) : node(n) {
      if (a != nullptr) anchor = reinterpret_cast<const char*>(a);
    }
  };

  yaml_internal::NodeData* New(yaml_internal::Kind kind,
                               const yaml_mark_t& mark) {
    yaml_internal::NodeData& node = file_->nodes_->emplace_back();
    node.kind = kind;
    node.mark = ToMark(mark);
    return &node;
  }

  // Adds a complete node to the open container (or makes it the root) and
  // registers its anchor: only now, so no node can contain itself.
  void Attach(const yaml_internal::NodeData* node,
              const std::optional<std::string>& anchor) {
    if (anchor.has_value()) anchors_[*anchor] = node;
    AttachNode(node);
  }
  void Attach(const yaml_internal::NodeData* node, const yaml_char_t* anchor) {
    if (anchor != nullptr) {
      anchors_[reinterpret_cast<const char*>(anchor)] = node;
    }
    AttachNode(node);
  }
  void AttachNode(const yaml_internal::NodeData* node) {
    if (!open_.empty()) {
      open_.back().node->children.push_back(node);
    } else if (root_ == nullptr) {
      root_ = node;
    }
  }

  YamlMark ToMark(const yaml_mark_t& mark) const {
    YamlMark out{static_cast<int>(mark.index), static_cast<int>(mark.line),
                 static_cast<int>(mark.column)};
    if (ascii_ || mark.line >= file_->line_starts_.size()) return out;
    // Walk `column` UTF-8 characters from the start of the line.
    const std::string& text = file_->text_;
    size_t at = file_->line_starts_[mark.line];
    for (size_t chars = 0; chars < mark.column && at < text.size(); ++chars) {
      ++at;
      while (at < text.size() && (text[at] & 0xC0) == 0x80) ++at;
    }
    out.pos = static_cast<int>(at);
    out.column = static_cast<int>(at - file_->line_starts_[mark.line]);
    return out;
  }

  YamlFile* file_;
  bool ascii_ = true;
  std::vector<Open> open_;
  absl::flat_hash_map<std::string, const yaml_internal::NodeData*> anchors_;
  const yaml_internal::NodeData* root_ = nullptr;
};

YamlFile::YamlFile(std::string path, std::string text)
    : path_(std::move(path)),
      text_(std::move(text)),
      nodes_(std::make_shared<std::deque<yaml_internal::NodeData>>()) {
  line_starts_.push_back(0);
  for (size_t i = 0; i < text_.size(); ++i) {
    if (text_[i] == '\n') line_starts_.push_back(i + 1);
  }
}

namespace {

// Reports yaml-cpp's wording of the syntax error in `text`; false when
// yaml-cpp finds none.
bool ReportYamlCppError(const std::string& path, const std::string& text,
                        Diagnostics* diagnostics) {
  try {
    YAML::Load(text);
  } catch (const YAML::Exception& e) {
    diagnostics->Error({path, e.mark.line + 1, e.mark.column + 1},
                       absl::StrCat("YAML syntax error: ", e.msg));
    return true;
  } catch (const std::exception& e) {
    diagnostics->Error({path, 0, 0}, absl::StrCat("YAML error: ", e.what()));
    return true;
  }
  return false;
}

}  // namespace

std::optional<YamlFile> YamlFile::Parse(std::string path, std::string text,
                                        Diagnostics* diagnostics) {
  YamlFile file(std::move(path), std::move(text));
  Builder builder(&file);
  yaml_parser_t parser;
  yaml_parser_initialize(&parser);
  yaml_parser_set_input_string(
      &parser, reinterpret_cast<const unsigned char*>(file.text_.data()),
      file.text_.size());
  std::string error;
  yaml_mark_t error_mark{};
  bool ok = true;
  for (bool done = false; ok && !done;) {
    yaml_event_t event;
    if (!yaml_parser_parse(&parser, &event)) {
      ok = false;
      error = parser.problem != nullptr ? parser.problem : "invalid YAML";
      if (parser.context != nullptr) {
        error = absl::StrCat(parser.context, ": ", error);
      }
      error_mark = parser.problem_mark;
      break;
    }
    // Only the first document is read.
    done = event.type == YAML_DOCUMENT_END_EVENT ||
           event.type == YAML_STREAM_END_EVENT;
    ok = builder.Add(event, &error, &error_mark);
    yaml_event_delete(&event);
  }
  yaml_parser_delete(&parser);
  if (!ok) {
    if (!ReportYamlCppError(file.path_, file.text_, diagnostics)) {
      diagnostics->Error({file.path_, static_cast<int>(error_mark.line) + 1,
                          static_cast<int>(error_mark.column) + 1},
                         absl::StrCat("YAML syntax error: ", error));
    }
    return std::nullopt;
  }
  if (builder.root() != nullptr) {
    file.root_ = YamlNode(builder.root());
  } else {  // an empty document reads as null
    file.root_ = YamlNode(&file.nodes_->emplace_back());
  }
  return file;
}

SourceLocation YamlFile::Locate(const YamlNode& node) const {
  const YamlMark mark = node.Mark();
  if (mark.line < 0) return {path_, 0, 0};
  return {path_, mark.line + 1, mark.column + 1};
}

std::pair<int, int> YamlFile::PositionOf(size_t offset) const {
  auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
  const size_t line = static_cast<size_t>(it - line_starts_.begin());
  return {static_cast<int>(line),
          static_cast<int>(offset - line_starts_[line - 1] + 1)};
}

SourceText YamlFile::ScalarSource(const YamlNode& node) const {
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
  // j only moves forward, so the line of j is found once and then advanced.
  size_t line =
      static_cast<size_t>(PositionOf(std::min(j, text_.size())).first);
  auto position_of = [&](size_t offset) {
    while (line < line_starts_.size() && line_starts_[line] <= offset) ++line;
    return std::pair<int, int>(
        static_cast<int>(line),
        static_cast<int>(offset - line_starts_[line - 1] + 1));
  };
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
    positions.push_back(position_of(std::min(j, text_.size())));
    if (!IsBlank(c)) ++j;
  }
  return SourceText::WithPositions(path_, value, std::move(positions));
}

YamlNode FindKey(const YamlNode& node, absl::string_view key) {
  if (node.IsMap()) {
    for (const auto& entry : node) {
      if (entry.first.IsScalar() && entry.first.Scalar() == key)
        return entry.second;
    }
  }
  return YamlNode();
}

std::string YamlToJson(const YamlNode& node) {
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
    for (const YamlNode& item : node) {
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
