// YamlMap: reading one YAML mapping of a rule file, reporting as it goes.
//
// The loader reads manifests, rules, policies and tests through this class
// so that every shape problem — a missing required key, an unknown or
// duplicate key, a list where a string belongs, a bad number or date — is
// reported the same way, at the position of the offending node, and reading
// carries on.
//
// Thread-safety: not thread-safe (it appends to a Diagnostics list).
#ifndef LANTERN_ENGINE_RULESET_YAML_MAP_H_
#define LANTERN_ENGINE_RULESET_YAML_MAP_H_

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "engine/lang/diagnostics.h"
#include "engine/ruleset/yaml_source.h"

namespace lantern {

enum class Need { kOptional, kRequired };

class YamlMap {
 public:
  // `what` names the mapping in messages ("rule", "manifest"). Reports an
  // error when `node` is not a mapping; then ok() is false and every getter
  // returns nothing.
  YamlMap(const YamlFile* file, YamlNode node, std::string what,
          Diagnostics* diagnostics);

  bool ok() const { return ok_; }
  const YamlNode& node() const { return node_; }
  SourceLocation location() const { return file_->Locate(node_); }

  // Reports every key not in `allowed`, and every key given twice.
  void AllowOnly(std::initializer_list<absl::string_view> allowed) const;
  // Reports every key given twice (for mappings whose keys are names).
  void RejectDuplicateKeys() const;

  // The value node; an undefined node when absent (reported if required).
  YamlNode Get(absl::string_view key, Need need = Need::kOptional) const;
  SourceLocation Locate(absl::string_view key) const;

  // Without the line breaks a block scalar (`>`, `|`) ends with.
  std::optional<std::string> String(absl::string_view key, Need need) const;
  std::optional<int64_t> Int(absl::string_view key, Need need) const;
  std::optional<bool> Bool(absl::string_view key, Need need) const;
  // RFC 3339, or a date "2023-01-30" meaning its midnight UTC.
  std::optional<absl::Time> Time(absl::string_view key, Need need) const;
  // A scalar or a list of scalars (a lone scalar is a list of one).
  std::vector<std::string> StringList(absl::string_view key) const;

  // Shared by the typed getters; also usable on any node of the same file.
  std::optional<std::string> ScalarOf(const YamlNode& value,
                                      absl::string_view key) const;
  std::optional<absl::Time> TimeOf(const YamlNode& value,
                                   absl::string_view key) const;

 private:
  const YamlFile* file_;
  YamlNode node_;
  std::string what_;
  Diagnostics* diagnostics_;
  bool ok_ = false;
};

}  // namespace lantern

#endif  // LANTERN_ENGINE_RULESET_YAML_MAP_H_
