// NeutralWorkload: entry points NeutralWorkload::Parse, RulesetFiles and
// Episodes; NeutralFactTypes::Decode. See neutral_workload.h for the
// translation.
#include "bench/neutral_workload.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "engine/facts/schema.h"

namespace lantern::bench {
namespace {

using Kind = JsonValue::Kind;

absl::Status Bad(absl::string_view what) {
  return absl::InvalidArgumentError(std::string(what));
}

absl::StatusOr<std::vector<NeutralField>> ReadFields(const JsonValue& schema) {
  const JsonValue* fields = schema.Find("fields");
  if (fields == nullptr || fields->kind != Kind::kArray) {
    return Bad("schema.fields is missing");
  }
  std::vector<NeutralField> out;
  for (const JsonValue& f : fields->array) {
    const JsonValue* name = f.Find("name");
    const JsonValue* type = f.Find("type");
    if (name == nullptr || type == nullptr) return Bad("a field lacks a name");
    NeutralField field{name->string, type->string, {}, 0, -1};
    if (const JsonValue* values = f.Find("values")) {
      for (const JsonValue& v : values->array) field.values.push_back(v.string);
    }
    if (field.type != "int" && field.type != "bool" && field.type != "enum" &&
        field.type != "set" && field.type != "text") {
      return Bad(
          absl::StrCat("field ", field.name, ": unknown type ", field.type));
    }
    out.push_back(std::move(field));
  }
  return out;
}

absl::StatusOr<std::shared_ptr<const FactSchema>> BuildSchema(
    std::vector<NeutralField>* fields, const std::string& key) {
  FactSchemaBuilder b;
  const int32_t root = b.AddMessage(kNeutralMessage);
  int32_t index = 0;
  for (NeutralField& f : *fields) {
    f.index = index++;
    Type type = Type::Int();
    if (f.type == "bool") type = Type::Bool();
    if (f.type == "set") type = Type::String().AsList();
    if (f.type == "text") type = Type::String();
    if (f.type == "enum") {
      std::vector<std::pair<std::string, int32_t>> values = {
          {"NEUTRAL_UNSPECIFIED", 0}};
      for (size_t i = 0; i < f.values.size(); ++i) {
        values.emplace_back(f.values[i], static_cast<int32_t>(i + 1));
      }
      f.enum_ref = b.AddEnum(absl::StrCat("neutral.v1.", f.name), values);
      b.SetZeroIsUnknown(f.enum_ref, true);
      type = Type::Enum(f.enum_ref);
    }
    b.AddField(root, f.name, type, f.type != "set" && f.type != "enum");
  }
  if (!key.empty()) {
    fields->push_back({key, "key", {}, index, -1});
    b.AddField(root, key, Type::String(), true);
  }
  return std::move(b).Build(root);
}

std::string Integer(const JsonValue& v) { return absl::StrCat(v.integer); }

}  // namespace

absl::StatusOr<std::shared_ptr<const FactSchema>> NeutralFactTypes::SchemaFor(
    absl::string_view message_name) const {
  if (message_name != kNeutralMessage) {
    return absl::NotFoundError(absl::StrCat("no message ", message_name));
  }
  return schema_;
}

absl::StatusOr<FactRecord> NeutralFactTypes::DecodeJson(
    const FactSchema& schema, absl::string_view message_name,
    absl::string_view json) const {
  absl::StatusOr<JsonValue> episode = ParseJson(json);
  if (!episode.ok()) return episode.status();
  return Decode(*episode);
}

absl::StatusOr<FactRecord> NeutralFactTypes::Decode(
    const JsonValue& episode) const {
  FactRecord r(schema_->root(), static_cast<int32_t>(fields_.size()));
  for (const auto& [name, v] : episode.object) {
    auto f =
        std::find_if(fields_.begin(), fields_.end(),
                     [&](const NeutralField& x) { return x.name == name; });
    if (f == fields_.end()) return Bad(absl::StrCat("unknown field ", name));
    if (v.kind == Kind::kNull) continue;
    if (f->type == "int" && v.kind == Kind::kNumber && v.is_integer) {
      r.Set(f->index, FactScalar(v.integer));
    } else if (f->type == "bool" && v.kind == Kind::kBool) {
      r.Set(f->index, FactScalar(v.boolean));
    } else if ((f->type == "text" || f->type == "key") &&
               v.kind == Kind::kString) {
      r.Set(f->index, FactScalar(v.string));
    } else if (f->type == "enum" && v.kind == Kind::kString) {
      auto it = std::find(f->values.begin(), f->values.end(), v.string);
      if (it == f->values.end()) return Bad(absl::StrCat(name, ": bad value"));
      r.Set(f->index, FactScalar(EnumNumber{
                          static_cast<int32_t>(it - f->values.begin()) + 1}));
    } else if (f->type == "set" && v.kind == Kind::kArray) {
      for (const JsonValue& e : v.array)
        r.Append(f->index, FactScalar(e.string));
    } else {
      return Bad(absl::StrCat(name, ": value of the wrong type"));
    }
  }
  return r;
}

absl::StatusOr<NeutralWorkload> NeutralWorkload::Parse(
    absl::string_view json_text) {
  absl::StatusOr<JsonValue> doc = ParseJson(json_text);
  if (!doc.ok()) return doc.status();
  NeutralWorkload w;
  w.document_ = std::make_shared<JsonValue>(*std::move(doc));
  const JsonValue& root = *w.document_;
  const JsonValue* format = root.Find("format");
  if (format == nullptr || format->string != "neutral-episode-rules/1") {
    return Bad("not a neutral-episode-rules/1 workload");
  }
  const JsonValue* schema = root.Find("schema");
  const JsonValue* rules = root.Find("rules");
  const JsonValue* episodes = root.Find("episodes");
  if (schema == nullptr || rules == nullptr || episodes == nullptr) {
    return Bad("schema, rules or episodes missing");
  }
  absl::StatusOr<std::vector<NeutralField>> fields = ReadFields(*schema);
  if (!fields.ok()) return fields.status();
  w.fields_ = *std::move(fields);
  const JsonValue* key = schema->Find("key");
  absl::StatusOr<std::shared_ptr<const FactSchema>> built =
      BuildSchema(&w.fields_, key != nullptr ? key->string : "");
  if (!built.ok()) return built.status();
  w.types_ = std::make_shared<NeutralFactTypes>(*built, w.fields_);
  w.episodes_ = &episodes->array;
  for (const JsonValue& rule : rules->array) w.rules_.push_back(&rule);
  return w;
}

const NeutralField* NeutralWorkload::Field(absl::string_view name) const {
  for (const NeutralField& f : fields_) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

absl::StatusOr<std::string> NeutralWorkload::Condition(const JsonValue& node,
                                                       int depth) const {
  if (depth > 100) return Bad("rule nested too deeply");
  for (const char* join : {"all", "any"}) {
    const JsonValue* children = node.Find(join);
    if (children == nullptr) continue;
    if (children->array.empty()) return Bad("empty all/any");
    std::vector<std::string> parts;
    for (const JsonValue& child : children->array) {
      absl::StatusOr<std::string> part = Condition(child, depth + 1);
      if (!part.ok()) return part.status();
      parts.push_back(*std::move(part));
    }
    if (parts.size() == 1) return parts[0];
    return absl::StrCat(
        "(", absl::StrJoin(parts, join[1] == 'l' ? " && " : " || "), ")");
  }
  if (const JsonValue* inner = node.Find("not")) {
    absl::StatusOr<std::string> part = Condition(*inner, depth + 1);
    if (!part.ok()) return part.status();
    return absl::StrCat("!(", *part, ")");
  }
  return Predicate(node);
}

absl::StatusOr<std::string> NeutralWorkload::Predicate(
    const JsonValue& node) const {
  const JsonValue* field_name = node.Find("field");
  const JsonValue* op_value = node.Find("op");
  const JsonValue* value = node.Find("value");
  if (field_name == nullptr || op_value == nullptr || value == nullptr) {
    return Bad("a predicate lacks field, op or value");
  }
  const NeutralField* f = Field(field_name->string);
  if (f == nullptr)
    return Bad(absl::StrCat("unknown field ", field_name->string));
  const std::string& op = op_value->string;
  const std::string& name = f->name;
  // The literal for one value of this field, or "" when it can never equal.
  auto literal = [f](const JsonValue& v) -> std::string {
    if (f->type == "int" && v.kind == Kind::kNumber && v.is_integer) {
      return Integer(v);
    }
    if (f->type == "bool" && v.kind == Kind::kBool) {
      return v.boolean ? "true" : "false";
    }
    if (f->type == "enum" && v.kind == Kind::kString &&
        std::count(f->values.begin(), f->values.end(), v.string) > 0) {
      return JsonQuoted(v.string);
    }
    return "";
  };
  if (op == "eq" || op == "ne") {
    const std::string lit = literal(*value);
    if (lit.empty()) return std::string(op == "eq" ? "false" : "true");
    return absl::StrCat(name, op == "eq" ? " == " : " != ", lit);
  }
  if (op == "lt" || op == "le" || op == "gt" || op == "ge") {
    if (f->type != "int" || value->kind != Kind::kNumber) {
      return Bad(absl::StrCat("ordering of non-int field ", name));
    }
    const char* spelled = op == "lt"   ? " < "
                          : op == "le" ? " <= "
                          : op == "gt" ? " > "
                                       : " >= ";
    return absl::StrCat(name, spelled,
                        value->is_integer
                            ? Integer(*value)
                            : absl::StrFormat("%.17g", value->number));
  }
  if (op == "in") {
    std::vector<std::string> items;
    for (const JsonValue& v : value->array) {
      std::string lit = literal(v);
      if (!lit.empty()) items.push_back(std::move(lit));
    }
    if (items.empty()) return std::string("false");
    return absl::StrCat(name, " in [", absl::StrJoin(items, ", "), "]");
  }
  if (op == "has" && f->type == "set") {
    return absl::StrCat(JsonQuoted(value->string), " in ", name);
  }
  if (op == "phrase" && f->type == "text") {
    return absl::StrCat(name, ".mentions(", JsonQuoted(value->string), ")");
  }
  return Bad(
      absl::StrCat("unsupported op ", op, " on ", f->type, " field ", name));
}

absl::StatusOr<std::vector<SourceFile>> NeutralWorkload::RulesetFiles() const {
  constexpr size_t kRulesPerFile = 10000;
  std::set<std::string> categories = {"GENERAL"};
  std::vector<SourceFile> files;
  std::string body;
  for (size_t i = 0; i < rules_.size(); ++i) {
    const JsonValue& rule = *rules_[i];
    const JsonValue* id = rule.Find("id");
    const JsonValue* when = rule.Find("when");
    if (id == nullptr || !id->is_integer || when == nullptr) {
      return Bad("a rule lacks an integer id or a when");
    }
    absl::StatusOr<std::string> condition = Condition(*when, 0);
    if (!condition.ok()) return condition.status();
    const JsonValue* category = rule.Find("category");
    const JsonValue* weight = rule.Find("weight");
    const std::string concern =
        category != nullptr ? category->string : "GENERAL";
    categories.insert(concern);
    absl::StrAppendFormat(
        &body,
        "  - id: r%09d\n    title: neutral rule %d\n    concern: %s\n"
        "    score: %d\n    cite: neutral workload\n    when: >-\n      %s\n",
        id->integer, id->integer, concern,
        weight != nullptr ? weight->integer : 0, *condition);
    if ((i + 1) % kRulesPerFile == 0 || i + 1 == rules_.size()) {
      files.push_back(
          {absl::StrFormat("rules/rules_%03d.yaml", i / kRulesPerFile),
           absl::StrCat("rules:\n", body)});
      body.clear();
    }
  }
  files.push_back(
      {"manifest.yaml",
       absl::StrCat("id: neutral.workload\nversion: \"1\"\n"
                    "owner: Lantern benchmarks\n"
                    "description: A neutral matcher workload.\n"
                    "fact_message: ",
                    kNeutralMessage, "\neffective_from: 2020-01-01\n")});
  std::string policy =
      "grades: [LOW, HIGH]\ngrade_bands: {HIGH: 1000000000}\n"
      "levels: [NONE, SOME]\nconcerns:\n";
  for (const std::string& c : categories) {
    absl::StrAppend(&policy, "  ", c, ": {SOME: 1000000000}\n");
  }
  files.push_back({"policy.yaml", std::move(policy)});
  std::sort(
      files.begin(), files.end(),
      [](const SourceFile& a, const SourceFile& b) { return a.path < b.path; });
  return files;
}

absl::StatusOr<std::vector<FactRecord>> NeutralWorkload::Episodes() const {
  std::vector<FactRecord> out;
  out.reserve(episodes_->size());
  for (const JsonValue& episode : *episodes_) {
    absl::StatusOr<FactRecord> facts = types_->Decode(episode);
    if (!facts.ok()) return facts.status();
    out.push_back(*std::move(facts));
  }
  return out;
}

int64_t NeutralWorkload::WorkloadId(const std::string& lantern_id) {
  int64_t id = 0;
  for (char c : lantern_id) {
    if (c >= '0' && c <= '9') id = id * 10 + (c - '0');
  }
  return id;
}

}  // namespace lantern::bench
