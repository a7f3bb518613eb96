// Catalogue codes in facts. Entry points: ResolveCodeField (a dotted path
// → field indices, checked against the schema) and ScanCatalogueCodes (for
// each bound field, in path order, each value looked up in every catalogue
// bound to that field).
#include "engine/ruleset/catalogue.h"

#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace lantern {
namespace {

// The list at `indices` below `record`, or nullptr when a message on the
// way is unset.
const FactSlot* ListAt(const FactRecord& record,
                       const std::vector<int32_t>& indices) {
  const FactRecord* current = &record;
  for (size_t i = 0; i + 1 < indices.size(); ++i) {
    const FactSlot& slot = current->slot(indices[i]);
    if (!slot.set || slot.values.empty()) return nullptr;
    current = std::get<std::unique_ptr<FactRecord>>(slot.values.front()).get();
  }
  return &current->slot(indices.back());
}

void ScanField(const std::vector<const Catalogue*>& catalogues,
               const CatalogueField& field, const FactRecord& facts,
               CodeScan* out) {
  const FactSlot* list = ListAt(facts, field.indices);
  if (list == nullptr) return;
  for (size_t i = 0; i < list->values.size(); ++i) {
    const std::string& code = std::get<std::string>(list->values[i]);
    const std::string path = absl::StrCat(field.path, "[", i, "]");
    std::vector<std::string> names;
    bool found = false;
    for (const Catalogue* c : catalogues) {
      names.push_back(c->name);
      const CatalogueEntry* entry = c->Find(code);
      if (entry == nullptr) continue;
      found = true;
      out->known.push_back(
          {path, code, c->name, entry->description, entry->source});
    }
    if (!found) {
      out->unknown.push_back(absl::StrCat(path, ": '", code,
                                          "' is not a code of ",
                                          absl::StrJoin(names, ", ")));
    }
  }
}

}  // namespace

const CatalogueEntry* Catalogue::Find(absl::string_view code) const {
  for (const CatalogueEntry& e : entries) {
    if (e.code == code) return &e;
  }
  return nullptr;
}

absl::StatusOr<std::vector<int32_t>> ResolveCodeField(const FactSchema& schema,
                                                      absl::string_view path) {
  std::vector<absl::string_view> steps = absl::StrSplit(path, '.');
  std::vector<int32_t> indices;
  int32_t message = schema.root();
  for (size_t i = 0; i < steps.size(); ++i) {
    const MessageType& type = schema.message_type(message);
    const FieldDef* field = type.FindField(steps[i]);
    if (field == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "'", path, "': no field '", steps[i], "' in ", type.full_name));
    }
    indices.push_back(field->index);
    const bool last = i + 1 == steps.size();
    if (last && field->type != Type::String().AsList()) {
      return absl::InvalidArgumentError(
          absl::StrCat("'", path, "' is ", TypeName(field->type, &schema),
                       ", not list(string)"));
    }
    if (!last &&
        (field->type.kind != TypeKind::kMessage || field->type.is_list)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "'", path, "': '", steps[i], "' is not a singular message field"));
    }
    message = field->type.ref;
  }
  return indices;
}

CodeScan ScanCatalogueCodes(const RuleSet& ruleset, const FactRecord& facts) {
  // Path → (the field, the catalogues bound to it, by name).
  std::map<std::string,
           std::pair<const CatalogueField*, std::vector<const Catalogue*>>>
      fields;
  for (const Catalogue& c : ruleset.catalogues) {
    for (const CatalogueField& f : c.fields) {
      auto& [field, catalogues] = fields[f.path];
      field = &f;
      catalogues.push_back(&c);
    }
  }
  CodeScan out;
  for (const auto& [path, bound] : fields) {
    ScanField(bound.second, *bound.first, facts, &out);
  }
  return out;
}

}  // namespace lantern
