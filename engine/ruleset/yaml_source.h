// YamlFile: one YAML rule file, parsed, with positions for every node.
//
// A YAML parser reports where a node starts but not where each character of a
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
// The document is read with libyaml (an event parser, about ten times
// faster than yaml-cpp on large rule files) into YamlNodes. Only the first
// document of a stream is read. An alias names a node whose anchor has been
// completed before it (an alias inside its own anchored node is an error,
// so a document is never cyclic). When libyaml rejects a file, yaml-cpp
// parses it again only to word the error (its messages and positions are
// the ones Lantern has always reported); should yaml-cpp accept it,
// libyaml's own message and position are reported.
//
// Thread-safety: immutable after Parse; safe to read from several threads.
#ifndef LANTERN_ENGINE_RULESET_YAML_SOURCE_H_
#define LANTERN_ENGINE_RULESET_YAML_SOURCE_H_

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/lang/diagnostics.h"
#include "engine/lang/source_text.h"
#include "engine/ruleset/yaml_node.h"

namespace lantern {

class YamlFile {
 public:
  // Parses `text` (read from `path`, the name diagnostics use). On a YAML
  // syntax error reports it at its position and returns nullopt.
  static std::optional<YamlFile> Parse(std::string path, std::string text,
                                       Diagnostics* diagnostics);

  const std::string& path() const { return path_; }
  const YamlNode& root() const { return root_; }

  // Where `node` starts (for a block scalar: its `|`/`>` indicator).
  SourceLocation Locate(const YamlNode& node) const;
  // The scalar's value with the file position of every byte.
  // REQUIRES: node.IsScalar().
  SourceText ScalarSource(const YamlNode& node) const;

 private:
  class Builder;
  YamlFile(std::string path, std::string text);
  std::pair<int, int> PositionOf(size_t offset) const;

  std::string path_;
  std::string text_;
  std::vector<size_t> line_starts_;
  std::shared_ptr<std::deque<yaml_internal::NodeData>> nodes_;
  YamlNode root_;
};

// The value of the first `key` in `node` when `node` is a mapping that has
// it, else an undefined node.
YamlNode FindKey(const YamlNode& node, absl::string_view key);

// True for a scalar YAML wrote without quotes (`15`, `true`, `MISSING`),
// whose text may therefore be read as a number or a boolean.
inline bool IsPlainScalar(const YamlNode& node) { return node.IsPlain(); }

// Protobuf JSON for a YAML value: mappings become objects, sequences arrays,
// plain scalars that read as numbers, booleans or null stay so, everything
// else is a JSON string.
std::string YamlToJson(const YamlNode& node);

}  // namespace lantern

#endif  // LANTERN_ENGINE_RULESET_YAML_SOURCE_H_
