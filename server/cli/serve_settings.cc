// The serve settings table as rows (name, type, how to parse, check and
// store a value), and their resolution: defaults, then the configuration
// file (read with the rule loader's YAML reader, for its positions), then
// the command line.
#include "server/cli/serve_settings.h"

#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <set>
#include <sstream>
#include <system_error>
#include <type_traits>

#include "absl/flags/marshalling.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/lang/diagnostics.h"
#include "engine/ruleset/yaml_source.h"

namespace lantern {
namespace {

struct SettingRow {
  std::string name;
  bool is_bool = false;
  // Stores the table's default into the options.
  std::function<void(ServeOptions&)> apply_default;
  // Parses `text`, checks it and stores it; else says what is wrong.
  std::function<absl::Status(absl::string_view text, ServeOptions&)> apply;
};

template <typename T>
bool Passes(SettingCheck check, const T& value) {
  if constexpr (std::is_same_v<T, std::string>) {
    return check != SettingCheck::kNotEmpty || !value.empty();
  } else if constexpr (std::is_same_v<T, bool>) {
    return true;
  } else if constexpr (std::is_same_v<T, absl::Duration>) {
    switch (check) {
      case SettingCheck::kPositive:
        return value > absl::ZeroDuration();
      case SettingCheck::kNotNegative:
        return value >= absl::ZeroDuration();
      default:
        return true;
    }
  } else {
    switch (check) {
      case SettingCheck::kPositive:
        return value > 0;
      case SettingCheck::kNotNegative:
        return value >= 0;
      default:
        return true;
    }
  }
}

std::string Requirement(SettingCheck check) {
  switch (check) {
    case SettingCheck::kNotEmpty:
      return "must not be empty";
    case SettingCheck::kPositive:
      return "must be positive";
    case SettingCheck::kNotNegative:
      return "must not be negative";
    default:
      return "";
  }
}

template <typename T>
std::string TypeName() {
  if constexpr (std::is_same_v<T, std::string>) return "a string";
  if constexpr (std::is_same_v<T, bool>) return "true or false";
  if constexpr (std::is_same_v<T, absl::Duration>) {
    return "a duration (e.g. 60s, 500ms)";
  }
  return "an integer";
}

template <typename T>
SettingRow MakeRow(std::string name, T default_value, SettingCheck check,
                   void (*store)(ServeOptions&, const T&)) {
  SettingRow row;
  row.name = std::move(name);
  row.is_bool = std::is_same_v<T, bool>;
  row.apply_default = [default_value, store](ServeOptions& o) {
    store(o, default_value);
  };
  row.apply = [check, store](absl::string_view text, ServeOptions& o) {
    T value{};
    std::string error;
    if (!absl::ParseFlag(text, &value, &error)) {
      return absl::InvalidArgumentError(
          absl::StrCat("must be ", TypeName<T>(),
                       error.empty() ? "" : absl::StrCat(" (", error, ")")));
    }
    if (!Passes(check, value)) {
      return absl::InvalidArgumentError(Requirement(check));
    }
    store(o, value);
    return absl::OkStatus();
  };
  return row;
}

#define LANTERN_SETTING_ROW(TYPE, NAME, DEFAULT, CHECK, APPLY, HELP) \
  MakeRow<TYPE>(                                                     \
      #NAME, DEFAULT, SettingCheck::CHECK,                           \
      +[](ServeOptions& o, const TYPE& v) { APPLY; }),

const std::vector<SettingRow>& Rows() {
  static const auto* rows = new std::vector<SettingRow>{
      LANTERN_SERVE_SETTINGS(LANTERN_SETTING_ROW, LANTERN_SETTING_ROW)};
  return *rows;
}

#undef LANTERN_SETTING_ROW

const SettingRow* FindRow(absl::string_view name) {
  for (const SettingRow& row : Rows()) {
    if (row.name == name) return &row;
  }
  return nullptr;
}

absl::Status ReadFile(const std::string& path, std::string* text) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return absl::NotFoundError(
        absl::StrCat("cannot read the config file ", path, ": no such file"));
  }
  if (std::filesystem::is_directory(path, ec)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot read the config file ", path, ": it is a directory"));
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  if (!in.good() && !in.eof()) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read the config file ", path));
  }
  *text = content.str();
  return absl::OkStatus();
}

// Applies the file's settings to `options`, reporting into `diagnostics`.
void ApplyFile(const YamlFile& file, ServeOptions& options,
               Diagnostics& diagnostics) {
  const YamlNode& root = file.root();
  if (!root.IsDefined() || root.IsNull()) return;  // an empty file
  if (!root.IsMap()) {
    diagnostics.Error(file.Locate(root),
                      "the config file must be a mapping of setting names "
                      "to values (name: value)");
    return;
  }
  std::set<std::string> seen;
  for (const auto& entry : root) {
    const YamlNode& key = entry.first;
    const YamlNode& value = entry.second;
    if (!key.IsScalar()) {
      diagnostics.Error(file.Locate(key), "a setting name must be a scalar");
      continue;
    }
    const std::string name = key.Scalar();
    const SettingRow* row = FindRow(name);
    if (row == nullptr) {
      diagnostics.Error(file.Locate(key),
                        absl::StrCat("unknown setting '", name, "'; known: ",
                                     absl::StrJoin(ServeSettingNames(), ", ")));
      continue;
    }
    if (!seen.insert(name).second) {
      diagnostics.Error(file.Locate(key),
                        absl::StrCat("setting '", name, "' given twice"));
      continue;
    }
    if (!value.IsScalar()) {
      // A missing value has no position of its own (the parser marks where
      // the next token starts): report it at its key.
      const bool missing = value.IsNull() || !value.IsDefined();
      diagnostics.Error(
          file.Locate(missing ? key : value),
          absl::StrCat(name, ": ",
                       missing
                           ? "has no value"
                           : "must be a single value, not a list or mapping"));
      continue;
    }
    if (absl::Status s = row->apply(value.Scalar(), options); !s.ok()) {
      diagnostics.Error(file.Locate(value),
                        absl::StrCat(name, ": ", s.message(), ", not '",
                                     value.Scalar(), "'"));
    }
  }
}

}  // namespace

std::vector<std::string> ServeSettingNames() {
  std::vector<std::string> names;
  for (const SettingRow& row : Rows()) names.push_back(row.name);
  return names;
}

bool IsBoolServeSetting(absl::string_view name) {
  const SettingRow* row = FindRow(name);
  return row != nullptr && row->is_bool;
}

absl::StatusOr<ServeOptions> ResolveServeOptions(
    const std::string& config_path,
    const std::vector<CommandLineSetting>& command_line) {
  ServeOptions options;
  for (const SettingRow& row : Rows()) row.apply_default(options);
  if (!config_path.empty()) {
    std::string text;
    if (absl::Status s = ReadFile(config_path, &text); !s.ok()) return s;
    Diagnostics diagnostics;
    std::optional<YamlFile> file =
        YamlFile::Parse(config_path, std::move(text), &diagnostics);
    if (file.has_value()) ApplyFile(*file, options, diagnostics);
    if (diagnostics.has_errors()) {
      std::string message = diagnostics.ToString();
      if (!message.empty() && message.back() == '\n') message.pop_back();
      return absl::InvalidArgumentError(message);
    }
  }
  std::vector<std::string> problems;
  for (const CommandLineSetting& setting : command_line) {
    const SettingRow* row = FindRow(setting.name);
    if (row == nullptr) {
      problems.push_back(
          absl::StrCat("--", setting.name, ": not a serve setting"));
      continue;
    }
    if (absl::Status s = row->apply(setting.value, options); !s.ok()) {
      problems.push_back(absl::StrCat("--", setting.name, "=", setting.value,
                                      ": ", s.message()));
    }
  }
  if (!problems.empty()) {
    return absl::InvalidArgumentError(absl::StrJoin(problems, "\n"));
  }
  return options;
}

}  // namespace lantern
