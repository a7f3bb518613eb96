// YamlFile: one YAML rule file, parsed, with positions for every node.
//
// yaml-cpp reports where a node starts but not where each character of a
// scalar came from; conditions, though, need exact token positions, also
// inside folded (`>`) and literal (`|`) blocks, quoted strings and plain
// scalars that wrap across lines. ScalarSource() recovers them by aligning
// the decoded scalar with the raw file text: every non-blank character of
// the value is matched to the next equal character of the raw text, blanks
// and line breaks being skipped on either side. Escapes that change the
// text (`\"`, `''`) are skipped when they are met; should alignment fail
// anyway, the rest of the scalar maps to the scalar's start, so a position
// is never wrong by more than the scalar.
//
// yaml-cpp throws; this file is the only place that catches its exceptions
// and turns them into diagnostics.
//
// Thread-safety: immutable after Parse; yaml-cpp nodes are not safe to read
// from several threads, so keep a YamlFile on one thread.
#ifndef LANTERN_ENGINE_RULESET_YAML_SOURCE_H_
#define LANTERN_ENGINE_RULESET_YAML_SOURCE_H_

#include <optional>
#include <string>
#include <vector>

#include "engine/lang/diagnostics.h"
#include "engine/lang/source_text.h"
#include "yaml-cpp/yaml.h"

namespace lantern {

class YamlFile {
 public:
  // Parses `text` (read from `path`, the name diagnostics use). On a YAML
  // syntax error reports it at its position and returns nullopt.
  static std::optional<YamlFile> Parse(std::string path, std::string text,
                                       Diagnostics* diagnostics);

  const std::string& path() const { return path_; }
  const YAML::Node& root() const { return root_; }

  // Where `node` starts (for a block scalar: its `|`/`>` indicator).
  SourceLocation Locate(const YAML::Node& node) const;
  // The scalar's value with the file position of every byte.
  // REQUIRES: node.IsScalar().
  SourceText ScalarSource(const YAML::Node& node) const;

 private:
  YamlFile(std::string path, std::string text, YAML::Node root);
  std::pair<int, int> PositionOf(size_t offset) const;

  std::string path_;
  std::string text_;
  std::vector<size_t> line_starts_;
  YAML::Node root_;
};

// The value of `key` in `node` when `node` is a mapping that has it, else an
// undefined node. Unlike yaml-cpp's operator[], never throws.
YAML::Node FindKey(const YAML::Node& node, absl::string_view key);

// True for a scalar YAML wrote without quotes (`15`, `true`, `MISSING`),
// whose text may therefore be read as a number or a boolean.
bool IsPlainScalar(const YAML::Node& node);

// Protobuf JSON for a YAML value: mappings become objects, sequences arrays,
// plain scalars that read as numbers, booleans or null stay so, everything
// else is a JSON string.
std::string YamlToJson(const YAML::Node& node);

}  // namespace lantern

#endif  // LANTERN_ENGINE_RULESET_YAML_SOURCE_H_
