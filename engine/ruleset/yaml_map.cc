// YamlMap: typed, reporting access to one YAML mapping.
#include "engine/ruleset/yaml_map.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/lang/checker.h"

namespace lantern {

YamlMap::YamlMap(const YamlFile* file, YamlNode node, std::string what,
                 Diagnostics* diagnostics)
    : file_(file),
      node_(std::move(node)),
      what_(std::move(what)),
      diagnostics_(diagnostics) {
  ok_ = node_.IsMap();
  if (!ok_) {
    diagnostics_->Error(
        file_->Locate(node_),
        absl::StrCat(what_, " must be a mapping of keys to values"));
  }
}

void YamlMap::RejectDuplicateKeys() const {
  if (!ok_) return;
  // Most mappings have a handful of keys: compare with the earlier ones
  // directly; a set only for large mappings.
  std::vector<absl::string_view> keys;
  keys.reserve(node_.size());
  absl::flat_hash_set<absl::string_view> seen;
  const bool small = node_.size() <= 16;
  for (const auto& entry : node_) {
    if (!entry.first.IsScalar()) {
      diagnostics_->Error(
          file_->Locate(entry.first),
          absl::StrCat("keys in ", what_, " must be plain names"));
      continue;
    }
    const std::string& key = entry.first.Scalar();
    const bool repeated =
        small ? std::find(keys.begin(), keys.end(), key) != keys.end()
              : !seen.insert(key).second;
    if (small) keys.push_back(key);
    if (repeated) {
      diagnostics_->Error(file_->Locate(entry.first),
                          absl::StrCat("duplicate key '", key, "' in ", what_));
    }
  }
}

void YamlMap::AllowOnly(
    std::initializer_list<absl::string_view> allowed) const {
  if (!ok_) return;
  RejectDuplicateKeys();
  for (const auto& entry : node_) {
    const std::string& key = entry.first.Scalar();
    bool known = false;
    for (absl::string_view a : allowed) known = known || a == key;
    if (!known) {
      diagnostics_->Error(
          file_->Locate(entry.first),
          absl::StrCat("unknown key '", key, "' in ", what_,
                       "; expected one of ", absl::StrJoin(allowed, ", ")));
    }
  }
}

YamlNode YamlMap::Get(absl::string_view key, Need need) const {
  if (!ok_) return YamlNode();
  YamlNode value = FindKey(node_, key);
  if (!value.IsDefined() && need == Need::kRequired) {
    diagnostics_->Error(
        location(),
        absl::StrCat(what_, " is missing required key '", key, "'"));
  }
  return value;
}

SourceLocation YamlMap::Locate(absl::string_view key) const {
  YamlNode value = Get(key);
  return value.IsDefined() ? file_->Locate(value) : location();
}

std::optional<std::string> YamlMap::ScalarOf(const YamlNode& value,
                                             absl::string_view key) const {
  if (!value.IsScalar()) {
    diagnostics_->Error(
        file_->Locate(value),
        absl::StrCat("'", key, "' in ", what_, " must be a single value"));
    return std::nullopt;
  }
  return value.Scalar();
}

std::optional<std::string> YamlMap::String(absl::string_view key,
                                           Need need) const {
  YamlNode value = Get(key, need);
  if (!value.IsDefined()) return std::nullopt;
  std::optional<std::string> text = ScalarOf(value, key);
  // A folded or literal block (`title: >`) ends with a line break that is
  // YAML's, not the author's.
  if (text.has_value()) {
    text->erase(text->find_last_not_of('\n') + 1);
  }
  return text;
}

std::optional<int64_t> YamlMap::Int(absl::string_view key, Need need) const {
  YamlNode value = Get(key, need);
  if (!value.IsDefined()) return std::nullopt;
  std::optional<std::string> text = ScalarOf(value, key);
  int64_t out;
  if (!text.has_value()) return std::nullopt;
  if (!IsPlainScalar(value) || !absl::SimpleAtoi(*text, &out)) {
    diagnostics_->Error(
        file_->Locate(value),
        absl::StrCat("'", key, "' must be an integer, not '", *text, "'"));
    return std::nullopt;
  }
  return out;
}

std::optional<bool> YamlMap::Bool(absl::string_view key, Need need) const {
  YamlNode value = Get(key, need);
  if (!value.IsDefined()) return std::nullopt;
  std::optional<std::string> text = ScalarOf(value, key);
  if (!text.has_value()) return std::nullopt;
  if (IsPlainScalar(value) && (*text == "true" || *text == "false")) {
    return *text == "true";
  }
  diagnostics_->Error(
      file_->Locate(value),
      absl::StrCat("'", key, "' must be true or false, not '", *text, "'"));
  return std::nullopt;
}

std::optional<absl::Time> YamlMap::TimeOf(const YamlNode& value,
                                          absl::string_view key) const {
  std::optional<std::string> text = ScalarOf(value, key);
  if (!text.has_value()) return std::nullopt;
  absl::Time out;
  if (ParseTimestampText(*text, &out)) return out;
  std::string err;
  if (absl::ParseTime("%Y-%m-%d", *text, absl::UTCTimeZone(), &out, &err)) {
    return out;
  }
  diagnostics_->Error(
      file_->Locate(value),
      absl::StrCat("'", key,
                   "' must be an RFC 3339 time (2023-01-30T00:00:00Z) "
                   "or a date (2023-01-30), not '",
                   *text, "'"));
  return std::nullopt;
}

std::optional<absl::Time> YamlMap::Time(absl::string_view key,
                                        Need need) const {
  YamlNode value = Get(key, need);
  if (!value.IsDefined()) return std::nullopt;
  return TimeOf(value, key);
}

std::vector<std::string> YamlMap::StringList(absl::string_view key) const {
  std::vector<std::string> out;
  YamlNode value = Get(key);
  if (!value.IsDefined() || value.IsNull()) return out;
  if (value.IsScalar()) {
    out.push_back(value.Scalar());
    return out;
  }
  if (!value.IsSequence()) {
    diagnostics_->Error(
        file_->Locate(value),
        absl::StrCat("'", key, "' in ", what_, " must be a list"));
    return out;
  }
  for (const YamlNode& item : value) {
    std::optional<std::string> text = ScalarOf(item, key);
    if (text.has_value()) out.push_back(*text);
  }
  return out;
}

}  // namespace lantern
