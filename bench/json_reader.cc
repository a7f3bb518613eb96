// JSON reader: entry point ParseJson. The parsing is nlohmann/json's
// (Debian nlohmann-json3-dev), driven through its SAX interface so that the
// document is built straight into JsonValue without an intermediate tree.
#include "bench/json_reader.h"

#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "nlohmann/json.hpp"

namespace lantern::bench {

const JsonValue* JsonValue::Find(absl::string_view key) const {
  for (const auto& [name, value] : object) {
    if (name == key) return &value;
  }
  return nullptr;
}

namespace {

// Deeper documents are refused (JsonValue's destructor recurses).
constexpr size_t kMaxDepth = 512;

// Builds a JsonValue from nlohmann's SAX events. Members keep document
// order (and repeated keys, which Find resolves to the first).
class Builder : public nlohmann::json_sax<nlohmann::json> {
 public:
  bool null() override { return Place() != nullptr; }
  bool boolean(bool value) override {
    JsonValue* v = Place();
    v->kind = JsonValue::Kind::kBool;
    v->boolean = value;
    return true;
  }
  bool number_integer(number_integer_t value) override {
    JsonValue* v = Place();
    v->kind = JsonValue::Kind::kNumber;
    v->number = static_cast<double>(value);
    v->integer = value;
    v->is_integer = true;
    return true;
  }
  bool number_unsigned(number_unsigned_t value) override {
    JsonValue* v = Place();
    v->kind = JsonValue::Kind::kNumber;
    v->number = static_cast<double>(value);
    if (value <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      v->integer = static_cast<int64_t>(value);
      v->is_integer = true;
    }
    return true;
  }
  bool number_float(number_float_t value, const string_t&) override {
    JsonValue* v = Place();
    v->kind = JsonValue::Kind::kNumber;
    v->number = value;
    return true;
  }
  bool string(string_t& value) override {
    JsonValue* v = Place();
    v->kind = JsonValue::Kind::kString;
    v->string = std::move(value);
    return true;
  }
  bool binary(binary_t&) override { return false; }  // not in JSON text
  bool start_object(std::size_t) override {
    return Open(JsonValue::Kind::kObject);
  }
  bool key(string_t& name) override {
    key_ = std::move(name);
    return true;
  }
  bool end_object() override {
    open_.pop_back();
    return true;
  }
  bool start_array(std::size_t) override {
    return Open(JsonValue::Kind::kArray);
  }
  bool end_array() override {
    open_.pop_back();
    return true;
  }
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception& e) override {
    error_ = absl::StrCat("malformed JSON at byte ", position, ": ", e.what());
    return false;
  }

  JsonValue& root() { return root_; }
  const std::string& error() const { return error_; }

 private:
  // The value the next event fills: the root, the next element of the open
  // array or the member named by the last key of the open object.
  JsonValue* Place() {
    if (open_.empty()) return &root_;
    JsonValue* parent = open_.back();
    if (parent->kind == JsonValue::Kind::kArray) {
      return &parent->array.emplace_back();
    }
    return &parent->object.emplace_back(std::move(key_), JsonValue()).second;
  }
  bool Open(JsonValue::Kind kind) {
    if (open_.size() >= kMaxDepth) {
      error_ = absl::StrCat("JSON nested deeper than ", kMaxDepth, " levels");
      return false;
    }
    JsonValue* v = Place();
    v->kind = kind;
    // Safe to keep: an open container's ancestors get no new elements
    // until it is closed, so its address does not move.
    open_.push_back(v);
    return true;
  }

  JsonValue root_;
  std::vector<JsonValue*> open_;
  std::string key_;
  std::string error_;
};

}  // namespace

absl::StatusOr<JsonValue> ParseJson(absl::string_view text) {
  Builder builder;
  const bool ok = nlohmann::json::sax_parse(
      text.begin(), text.end(), &builder, nlohmann::json::input_format_t::json,
      /*strict=*/true);
  if (!ok) {
    return absl::InvalidArgumentError(
        builder.error().empty() ? "malformed JSON" : builder.error());
  }
  return std::move(builder.root());
}

std::string JsonQuoted(absl::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c < 0x20) {
      absl::StrAppendFormat(&out, "\\u%04x", c);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  out.push_back('"');
  return out;
}

}  // namespace lantern::bench
