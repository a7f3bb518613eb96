// ValidateAndDecodeFacts: one walk over the facts message along the fact
// schema's decoder (engine/proto/proto_adapter.h, ProtoFactDecoder, made
// once per schema), which decodes the FactRecord while a visitor checks the
// size limits, notes unknown fields and looks each code of a catalogue-bound
// field up in its catalogues; then the value checks that protobuf types
// cannot express (facts_values.h), which read their few fields directly.
// Problems are collected as "<path>: <problem>" lines and reported in the
// order of the checks (facts_validation.h), joined into one
// INVALID_ARGUMENT. A ruleset whose schema does not match
// lantern.v1.EpisodeFacts field for field (a violated REQUIRES) gets
// FAILED_PRECONDITION rather than a walk that could miss a field.
#include "server/app/facts_validation.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/proto/proto_fact_decoder.h"
#include "engine/ruleset/catalogue.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/reflection.h"
#include "server/app/facts_values.h"
#include "server/app/unknown_fields.h"

namespace lantern {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using Problems = std::vector<std::string>;

// The most unknown-field lines one request's problems list.
constexpr size_t kMaxUnknownListed = 10;

absl::Status Invalid(const Problems& problems) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid request: ", absl::StrJoin(problems, "; ")));
}

// Whether `message` or a message below it carries unknown fields.
bool AnyUnknown(const Message& message) {
  const google::protobuf::Reflection* r = message.GetReflection();
  if (r->GetUnknownFields(message).field_count() > 0) return true;
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(message, &fields);
  for (const FieldDescriptor* field : fields) {
    if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) continue;
    if (!field->is_repeated()) {
      if (AnyUnknown(r->GetMessage(message, field))) return true;
      continue;
    }
    for (int i = 0; i < r->FieldSize(message, field); ++i) {
      if (AnyUnknown(r->GetRepeatedMessage(message, field, i))) return true;
    }
  }
  return false;
}

// Whether the request outside its facts carries unknown fields.
bool AnyUnknownOutsideFacts(const v1::AssessRequest& request) {
  const google::protobuf::Reflection* r = request.GetReflection();
  if (r->GetUnknownFields(request).field_count() > 0) return true;
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(request, &fields);
  for (const FieldDescriptor* field : fields) {
    if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE ||
        field->number() == v1::AssessRequest::kFactsFieldNumber) {
      continue;
    }
    if (!field->is_repeated()) {
      if (AnyUnknown(r->GetMessage(request, field))) return true;
      continue;
    }
    for (int i = 0; i < r->FieldSize(request, field); ++i) {
      if (AnyUnknown(r->GetRepeatedMessage(request, field, i))) return true;
    }
  }
  return false;
}

// A list(string) field the ruleset's catalogues are bound to, with what the
// walk found in it.
struct Binding {
  const CatalogueField* field;
  absl::InlinedVector<const Catalogue*, 4> catalogues;  // by name
  std::vector<RecordedCode> known;
  std::vector<std::string> unknown;  // "<path>[i]: '<code>' is not ..."
};

// The catalogue-bound fields of `ruleset`, in path order (the order of
// ScanCatalogueCodes, engine/ruleset/catalogue.h).
absl::InlinedVector<Binding, 8> Bindings(const RuleSet& ruleset) {
  absl::InlinedVector<Binding, 8> out;
  for (const Catalogue& c : ruleset.catalogues) {
    for (const CatalogueField& f : c.fields) {
      auto it = std::find_if(out.begin(), out.end(), [&](const Binding& b) {
        return b.field->path == f.path;
      });
      if (it == out.end()) {
        out.push_back(Binding{&f, {}, {}, {}});
        it = out.end() - 1;
      }
      it->field = &f;
      it->catalogues.push_back(&c);
    }
  }
  std::sort(out.begin(), out.end(), [](const Binding& a, const Binding& b) {
    return a.field->path < b.field->path;
  });
  return out;
}

// Whether `path` (an element of a repeated field) is the field reached from
// the root by the schema field indices `indices`, every step above it a
// singular field.
bool IsAt(const std::vector<int32_t>& indices, const FactPath* path) {
  for (size_t i = indices.size(); i-- > 0; path = path->parent) {
    if (path == nullptr || path->field->index != indices[i]) return false;
    if (i + 1 < indices.size() && path->index >= 0) return false;
  }
  return path == nullptr;
}

// The checks made while the facts are decoded: size limits, unknown fields
// (whether any), catalogue codes.
class Checks : public FactDecodeVisitor {
 public:
  Checks(const RuleSet& ruleset, const RequestLimits& limits, bool keep_known)
      : limits_(limits),
        bindings_(Bindings(ruleset)),
        keep_known_(keep_known) {}

  void OnMessage(const Message& message, const FactPath* path) override {
    if (!unknown_ &&
        message.GetReflection()->GetUnknownFields(message).field_count() > 0) {
      unknown_ = true;
    }
  }

  void OnString(const FieldDescriptor& field, const std::string& value,
                const FactPath* path) override {
    if (over_limit_ == 0) CheckSize(field, value, path);
    if (path->index < 0 || !path->field->type.is_list) return;
    for (Binding& b : bindings_) {
      if (IsAt(b.field->indices, path)) Look(&b, value, path->index);
    }
  }

  void OnRepeatedBegin(const FieldDescriptor& field, int size,
                       const FactPath* path) override {
    if (size <= limits_.max_repeated) return;
    if (over_limit_ == 0) {
      sizes_.push_back(absl::StrCat("facts.", path->Render(), ": ", size,
                                    " elements, at most ", limits_.max_repeated,
                                    " allowed"));
    }
    ++over_limit_;  // one line for the field, not one per element
  }

  void OnRepeatedEnd(const FieldDescriptor& field, int size) override {
    if (size > limits_.max_repeated) --over_limit_;
  }

  bool unknown() const { return unknown_; }
  Problems& sizes() { return sizes_; }
  absl::InlinedVector<Binding, 8>& bindings() { return bindings_; }

 private:
  void CheckSize(const FieldDescriptor& field, const std::string& value,
                 const FactPath* path) {
    static const FieldDescriptor* const narrative_text =
        v1::Narrative::descriptor()->FindFieldByName("text");
    const int64_t max = &field == narrative_text ? limits_.max_narrative_bytes
                                                 : limits_.max_string_bytes;
    if (static_cast<int64_t>(value.size()) <= max) return;
    // A wrapper's string is its `value` field, below the fact field.
    const bool wrapped =
        field.containing_type()->well_known_type() ==
        google::protobuf::Descriptor::WELLKNOWNTYPE_STRINGVALUE;
    sizes_.push_back(absl::StrCat("facts.", path->Render(),
                                  wrapped ? ".value" : "", ": ", value.size(),
                                  " bytes, at most ", max, " allowed"));
  }

  void Look(Binding* b, const std::string& code, int index) {
    bool found = false;
    for (const Catalogue* c : b->catalogues) {
      const CatalogueEntry* entry = c->Find(code);
      if (entry == nullptr) continue;
      found = true;
      if (keep_known_) {
        b->known.push_back({absl::StrCat(b->field->path, "[", index, "]"), code,
                            c->name, entry->description, entry->source});
      }
    }
    if (found) return;
    std::vector<absl::string_view> names;
    for (const Catalogue* c : b->catalogues) names.push_back(c->name);
    b->unknown.push_back(absl::StrCat(b->field->path, "[", index, "]: '", code,
                                      "' is not a code of ",
                                      absl::StrJoin(names, ", ")));
  }

  const RequestLimits& limits_;
  absl::InlinedVector<Binding, 8> bindings_;
  const bool keep_known_;
  Problems sizes_;
  int over_limit_ = 0;  // enclosing repeated fields over the limit
  bool unknown_ = false;
};

}  // namespace

absl::StatusOr<FactRecord> ValidateAndDecodeFacts(
    const v1::AssessRequest& request, const RuleSet& ruleset,
    const RequestLimits& limits, std::vector<RecordedCode>* known_codes) {
  Problems problems;
  if (request.client_request_id().size() > kMaxClientRequestIdBytes) {
    problems.push_back(
        absl::StrCat("client_request_id: ", request.client_request_id().size(),
                     " bytes, at most ", kMaxClientRequestIdBytes, " allowed"));
  }
  Checks checks(ruleset, limits, known_codes != nullptr);
  absl::StatusOr<FactRecord> decoded = absl::UnknownError("not decoded");
  if (request.has_facts()) {
    const std::shared_ptr<const ProtoFactDecoder> decoder =
        ProtoFactDecoder::For(ruleset.schema, v1::EpisodeFacts::descriptor());
    if (!decoder->exact()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the ruleset's fact schema ", ruleset.schema->root_type().full_name,
          " does not match lantern.v1.EpisodeFacts"));
    }
    decoded = decoder->Decode(request.facts(), &checks);
  }
  // Parsing at the gRPC edge refuses these already; in-process callers
  // are held to the same rule, so that nothing unchecked is recorded.
  if (checks.unknown() || AnyUnknownOutsideFacts(request)) {
    for (std::string& unknown : UnknownFields(request, kMaxUnknownListed)) {
      problems.push_back(std::move(unknown));
    }
  }
  if (!request.has_facts()) {
    problems.push_back("facts: required");
  } else {
    for (std::string& size : checks.sizes()) {
      problems.push_back(std::move(size));
    }
    for (std::string& impossible : ImpossibleValues(request.facts())) {
      problems.push_back(std::move(impossible));
    }
  }
  if (!problems.empty()) return Invalid(problems);
  if (!decoded.ok()) {
    // The decoder names the path from the facts ("facts.child.x: ...").
    return absl::InvalidArgumentError(
        absl::StrCat("invalid request: ", decoded.status().message()));
  }
  for (Binding& b : checks.bindings()) {
    for (const std::string& unknown : b.unknown) {
      problems.push_back(absl::StrCat("facts.", unknown));
    }
  }
  if (!problems.empty()) return Invalid(problems);
  if (known_codes != nullptr) {
    known_codes->clear();
    for (Binding& b : checks.bindings()) {
      for (RecordedCode& code : b.known)
        known_codes->push_back(std::move(code));
    }
  }
  return decoded;
}

}  // namespace lantern
