// A case of the library in tests/cases/ (format: tests/cases/README.md): the
// request it sends and the answer its source expects. ReadCaseFile parses
// and checks one file; every problem is reported as an error naming the
// file and, where yaml-cpp gives one, the line and column — a case the
// runner cannot read fails, it is never skipped.
//
// Header-only test support; no state, so thread-safe.
#ifndef LANTERN_TESTS_TESTING_CASE_FILE_H_
#define LANTERN_TESTS_TESTING_CASE_FILE_H_

#include <yaml-cpp/yaml.h>

#include <map>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace lantern::testing {

// An expected grade or level: exactly `name`, at least it (">= name") or at
// most it ("<= name").
struct LevelBound {
  enum class Kind { kExactly, kAtLeast, kAtMost };
  Kind kind = Kind::kExactly;
  std::string name;
  std::string text;  // as written, for messages
};

struct ExpectedAction {
  std::string code;
  std::optional<bool> overdue;
  std::optional<std::string> due_by;  // RFC 3339, as written
  std::string why;
};

struct CaseFile {
  std::string path;
  std::string name;
  std::string request_json;  // lantern.v1.AssessRequest in protobuf JSON
  // Each expectation with its one-line reason.
  std::optional<std::pair<std::string, std::string>> grade;  // exact name
  std::optional<std::pair<LevelBound, std::string>> highest_possible;
  std::map<std::string, std::pair<LevelBound, std::string>> concerns;
  // Prompt name → "raise", "consider" or "not_raised".
  std::map<std::string, std::pair<std::string, std::string>> prompts;
  std::vector<ExpectedAction> present;
  std::vector<ExpectedAction> absent;
  // Set when the ruleset is known to disagree: the case must then disagree.
  std::string known_gap;
};

namespace case_file_internal {

inline std::string JsonQuote(const std::string& s) {
  std::string out = "\"";
  for (const unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += absl::StrCat("\\u00", c < 0x10 ? "0" : "",
                              absl::Hex(static_cast<int>(c)));
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

// A plain (unquoted) scalar that reads as a JSON number, boolean or null is
// sent as one; everything else as a string.
inline std::string ScalarToJson(const YAML::Node& node) {
  const std::string& v = node.Scalar();
  static const std::regex kNumber(
      R"(-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?)");
  if (node.Tag() == "?" && (v == "true" || v == "false" || v == "null" ||
                            std::regex_match(v, kNumber))) {
    return v;
  }
  return JsonQuote(v);
}

inline std::string ToJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      std::vector<std::string> members;
      for (const auto& kv : node) {
        members.push_back(JsonQuote(kv.first.Scalar()) + ":" +
                          ToJson(kv.second));
      }
      return "{" + absl::StrJoin(members, ",") + "}";
    }
    case YAML::NodeType::Sequence: {
      std::vector<std::string> items;
      for (const auto& item : node) items.push_back(ToJson(item));
      return "[" + absl::StrJoin(items, ",") + "]";
    }
    case YAML::NodeType::Scalar:
      return ScalarToJson(node);
    default:
      return "null";
  }
}

// The reader's errors, each "path:line:col: message".
class Reader {
 public:
  explicit Reader(std::string path) : path_(std::move(path)) {}

  void Error(const YAML::Node& at, const std::string& message) {
    const YAML::Mark mark =
        at.IsDefined() ? at.Mark() : YAML::Mark::null_mark();
    errors_.push_back(mark.is_null()
                          ? absl::StrCat(path_, ": ", message)
                          : absl::StrCat(path_, ":", mark.line + 1, ":",
                                         mark.column + 1, ": ", message));
  }

  // Only `allowed` keys; a map is required.
  void Keys(const YAML::Node& map, const std::set<std::string>& allowed,
            const std::string& what) {
    if (!map.IsDefined() || !map.IsMap()) {
      Error(map, what + " must be a map");
      return;
    }
    for (const auto& kv : map) {
      if (!allowed.count(kv.first.Scalar())) {
        Error(kv.first,
              absl::StrCat("unknown key '", kv.first.Scalar(), "' in ", what));
      }
    }
  }

  std::string Text(const YAML::Node& map, const std::string& key,
                   const std::string& what) {
    const YAML::Node value =
        map.IsDefined() && map.IsMap() ? map[key] : YAML::Node();
    if (!map.IsDefined() || !map.IsMap() || !value || !value.IsScalar() ||
        value.Scalar().empty()) {
      Error(map, absl::StrCat(what, " needs '", key, "'"));
      return "";
    }
    return value.Scalar();
  }

  LevelBound Bound(const YAML::Node& map, const std::string& what,
                   const std::set<std::string>& names) {
    LevelBound bound;
    bound.text = Text(map, "level", what);
    std::string name = bound.text;
    if (name.rfind(">=", 0) == 0 || name.rfind("<=", 0) == 0) {
      bound.kind = name[0] == '>' ? LevelBound::Kind::kAtLeast
                                  : LevelBound::Kind::kAtMost;
      name = name.substr(2);
      name.erase(0, name.find_first_not_of(' '));
    }
    bound.name = name;
    if (!bound.text.empty() && !names.count(name)) {
      Error(map, absl::StrCat(what, ": '", bound.text, "' is not a level"));
    }
    return bound;
  }

  const std::string& path() const { return path_; }
  const std::vector<std::string>& errors() const { return errors_; }

 private:
  std::string path_;
  std::vector<std::string> errors_;
};

inline const std::set<std::string>& Grades() {
  static const auto* names =
      new std::set<std::string>{"VERY_LOW", "LOW", "MEDIUM", "HIGH"};
  return *names;
}

inline const std::set<std::string>& Levels() {
  static const auto* names =
      new std::set<std::string>{"NONE", "AT_RISK", "MEDIUM", "HIGH"};
  return *names;
}

inline void ReadActions(Reader& r, const YAML::Node& list,
                        const std::string& what,
                        std::vector<ExpectedAction>* out) {
  if (!list) return;
  if (!list.IsSequence()) {
    r.Error(list, what + " must be a list");
    return;
  }
  for (const auto& item : list) {
    r.Keys(item, {"code", "overdue", "due_by", "why"}, what);
    if (!item.IsMap()) continue;
    ExpectedAction action{
        r.Text(item, "code", what), {}, {}, r.Text(item, "why", what)};
    if (item["overdue"]) action.overdue = item["overdue"].as<bool>();
    if (item["due_by"]) action.due_by = item["due_by"].Scalar();
    out->push_back(std::move(action));
  }
}

inline void ReadExpect(Reader& r, const YAML::Node& e, CaseFile* c) {
  r.Keys(e, {"grade", "highest_possible", "concerns", "prompts", "actions"},
         "expect");
  if (const YAML::Node g = e["grade"]) {
    r.Keys(g, {"is", "why"}, "expect.grade");
    c->grade = {r.Text(g, "is", "expect.grade"),
                r.Text(g, "why", "expect.grade")};
    if (!Grades().count(c->grade->first))
      r.Error(g, "expect.grade: not a grade");
  }
  if (const YAML::Node h = e["highest_possible"]) {
    r.Keys(h, {"level", "why"}, "expect.highest_possible");
    c->highest_possible = {r.Bound(h, "expect.highest_possible", Grades()),
                           r.Text(h, "why", "expect.highest_possible")};
  }
  for (const auto& kv : e["concerns"]) {
    const std::string what = "expect.concerns." + kv.first.Scalar();
    r.Keys(kv.second, {"level", "why"}, what);
    c->concerns[kv.first.Scalar()] = {r.Bound(kv.second, what, Levels()),
                                      r.Text(kv.second, "why", what)};
  }
  for (const auto& kv : e["prompts"]) {
    const std::string what = "expect.prompts." + kv.first.Scalar();
    r.Keys(kv.second, {"answer", "why"}, what);
    const std::string answer = r.Text(kv.second, "answer", what);
    if (answer != "raise" && answer != "consider" && answer != "not_raised") {
      r.Error(kv.second, what + ": answer is raise, consider or not_raised");
    }
    c->prompts[kv.first.Scalar()] = {answer, r.Text(kv.second, "why", what)};
  }
  if (const YAML::Node a = e["actions"]) {
    r.Keys(a, {"present", "absent"}, "expect.actions");
    ReadActions(r, a["present"], "expect.actions.present", &c->present);
    ReadActions(r, a["absent"], "expect.actions.absent", &c->absent);
  }
}

}  // namespace case_file_internal

// Reads and checks the case at `path`; INVALID_ARGUMENT lists every problem.
inline absl::StatusOr<CaseFile> ReadCaseFile(const std::string& path) {
  using case_file_internal::Reader;
  Reader r(path);
  CaseFile c;
  c.path = path;
  try {
    const YAML::Node root = YAML::LoadFile(path);
    r.Keys(root,
           {"name", "source", "story", "as_of", "facts", "not_expressible",
            "expect", "known_gap", "disputed"},
           "the case");
    if (!root.IsMap()) return absl::InvalidArgumentError(r.errors()[0]);
    c.name = r.Text(root, "name", "the case");
    r.Text(root, "story", "the case");
    const YAML::Node source = root["source"];
    r.Keys(source, {"title", "publisher", "year", "url", "part"}, "source");
    for (const char* key : {"title", "publisher", "year", "url", "part"}) {
      r.Text(source, key, "source");
    }
    if (!root["facts"] || !root["facts"].IsMap())
      r.Error(root, "facts must be a map");
    c.request_json = absl::StrCat(
        "{\"facts\":", case_file_internal::ToJson(root["facts"]), ",\"asOf\":",
        case_file_internal::JsonQuote(r.Text(root, "as_of", "the case")), "}");
    if (root["known_gap"]) c.known_gap = r.Text(root, "known_gap", "the case");
    if (root["expect"]) {
      case_file_internal::ReadExpect(r, root["expect"], &c);
    } else {
      r.Error(root, "the case needs 'expect'");
    }
  } catch (const YAML::Exception& e) {
    r.Error(YAML::Node(), e.what());
  }
  if (!r.errors().empty()) {
    return absl::InvalidArgumentError(absl::StrJoin(r.errors(), "\n"));
  }
  return c;
}

}  // namespace lantern::testing

#endif  // LANTERN_TESTS_TESTING_CASE_FILE_H_
