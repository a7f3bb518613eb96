// YamlNode: one node of a parsed YAML document (engine/ruleset/yaml_source.h
// builds them), with where it starts in the file.
//
// A node is a mapping, a sequence, a scalar or null (a plain `~`, `null`,
// `Null`, `NULL` or an empty value), or undefined (YamlNode(): a key that is
// absent). Iterating a sequence yields its items; iterating a mapping yields
// entries whose `first` is the key and `second` the value, in document
// order, duplicates kept. Anything else iterates as empty.
//
// Ownership: a YamlNode is a handle into the YamlFile that parsed it and is
// valid while that YamlFile (or a copy of it) lives.
// Thread-safety: immutable; safe to read from several threads.
#ifndef LANTERN_ENGINE_RULESET_YAML_NODE_H_
#define LANTERN_ENGINE_RULESET_YAML_NODE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace lantern {

// Where a node starts: byte offset, line and byte column, all 0-based;
// -1 when unknown (the root of an empty document, an undefined node).
struct YamlMark {
  int pos = -1;
  int line = -1;
  int column = -1;
};

namespace yaml_internal {
enum class Kind : uint8_t { kNull, kScalar, kSequence, kMap };
struct NodeData {
  Kind kind = Kind::kNull;
  bool plain = false;  // a scalar written without quotes, block or tag
  YamlMark mark;
  std::string scalar;
  std::vector<const NodeData*> children;  // items; or key, value, key, ...
};
}  // namespace yaml_internal

struct YamlEntry;

class YamlNode {
 public:
  class const_iterator;

  YamlNode() = default;  // undefined

  bool IsDefined() const { return data_ != nullptr; }
  bool IsNull() const { return Is(yaml_internal::Kind::kNull); }
  bool IsScalar() const { return Is(yaml_internal::Kind::kScalar); }
  bool IsSequence() const { return Is(yaml_internal::Kind::kSequence); }
  bool IsMap() const { return Is(yaml_internal::Kind::kMap); }
  // A scalar's text; "" for every other node.
  const std::string& Scalar() const;
  // True for a scalar written without quotes, block indicator or tag, whose
  // text may therefore be read as a number or a boolean.
  bool IsPlain() const { return IsScalar() && data_->plain; }
  YamlMark Mark() const { return data_ ? data_->mark : YamlMark(); }
  // Entries of a mapping, items of a sequence, else 0.
  size_t size() const;

  const_iterator begin() const;
  const_iterator end() const;

 private:
  friend class YamlFile;
  friend class const_iterator;
  explicit YamlNode(const yaml_internal::NodeData* data) : data_(data) {}
  bool Is(yaml_internal::Kind kind) const {
    return data_ != nullptr && data_->kind == kind;
  }

  const yaml_internal::NodeData* data_ = nullptr;
};

// What iteration yields: for a sequence, the item itself (first and second
// undefined); for a mapping, an undefined node with first = key and
// second = value.
struct YamlEntry : YamlNode {
  YamlNode first;
  YamlNode second;
};

class YamlNode::const_iterator {
 public:
  YamlEntry operator*() const;
  const_iterator& operator++() {
    at_ += step_;
    return *this;
  }
  bool operator!=(const const_iterator& o) const { return at_ != o.at_; }
  bool operator==(const const_iterator& o) const { return at_ == o.at_; }

 private:
  friend class YamlNode;
  const_iterator(const yaml_internal::NodeData* const* at, int step)
      : at_(at), step_(step) {}
  const yaml_internal::NodeData* const* at_ = nullptr;
  int step_ = 1;
};

}  // namespace lantern

#endif  // LANTERN_ENGINE_RULESET_YAML_NODE_H_
