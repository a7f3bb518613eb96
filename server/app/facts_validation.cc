// ValidateAndDecodeFacts: a reflection walk over the whole request for the
// size limits (so a new repeated or string field is covered without code
// here), then the value checks that protobuf types cannot express, then the
// engine's decoding and the catalogue scan. Problems are collected as
// "<path>: <problem>" lines and joined into one INVALID_ARGUMENT.
#include "server/app/facts_validation.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/proto/proto_adapter.h"
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

void CheckString(const FieldDescriptor& field, const std::string& value,
                 const std::string& path, const RequestLimits& limits,
                 Problems* problems) {
  const bool narrative =
      field.containing_type() == v1::Narrative::descriptor() &&
      field.name() == "text";
  const int64_t max =
      narrative ? limits.max_narrative_bytes : limits.max_string_bytes;
  if (static_cast<int64_t>(value.size()) > max) {
    problems->push_back(absl::StrCat(path, ": ", value.size(),
                                     " bytes, at most ", max, " allowed"));
  }
}

// Size limits on every set field of `message`, recursively. `path` names
// `message`; it is extended for each field and restored before returning,
// so one buffer serves the whole walk.
void CheckSizes(const Message& message, std::string* path,
                const RequestLimits& limits, Problems* problems) {
  const google::protobuf::Reflection* reflection = message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  const size_t base = path->size();
  for (const FieldDescriptor* field : fields) {
    path->resize(base);
    absl::StrAppend(path, base == 0 ? "" : ".", field->name());
    if (!field->is_repeated()) {
      if (field->type() == FieldDescriptor::TYPE_STRING) {
        CheckString(*field, reflection->GetString(message, field), *path,
                    limits, problems);
      } else if (field->type() == FieldDescriptor::TYPE_MESSAGE) {
        CheckSizes(reflection->GetMessage(message, field), path, limits,
                   problems);
      }
      continue;
    }
    const int size = reflection->FieldSize(message, field);
    if (size > limits.max_repeated) {
      problems->push_back(absl::StrCat(*path, ": ", size, " elements, at most ",
                                       limits.max_repeated, " allowed"));
      continue;  // one line for the field, not one per element
    }
    const bool strings = field->type() == FieldDescriptor::TYPE_STRING;
    if (!strings && field->type() != FieldDescriptor::TYPE_MESSAGE) continue;
    const size_t field_end = path->size();
    for (int i = 0; i < size; ++i) {
      path->resize(field_end);
      absl::StrAppend(path, "[", i, "]");
      if (strings) {
        CheckString(*field, reflection->GetRepeatedString(message, field, i),
                    *path, limits, problems);
      } else {
        CheckSizes(reflection->GetRepeatedMessage(message, field, i), path,
                   limits, problems);
      }
    }
  }
  path->resize(base);
}

absl::Status Invalid(const Problems& problems) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid request: ", absl::StrJoin(problems, "; ")));
}

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
  // Parsing at the gRPC edge refuses these already; in-process callers
  // are held to the same rule, so that nothing unchecked is recorded.
  for (std::string& unknown : UnknownFields(request, 10)) {
    problems.push_back(std::move(unknown));
  }
  if (!request.has_facts()) {
    problems.push_back("facts: required");
  } else {
    std::string path = "facts";
    CheckSizes(request.facts(), &path, limits, &problems);
    for (std::string& impossible : ImpossibleValues(request.facts())) {
      problems.push_back(std::move(impossible));
    }
  }
  if (!problems.empty()) return Invalid(problems);
  absl::StatusOr<FactRecord> decoded =
      FactsFromMessage(*ruleset.schema, request.facts());
  if (!decoded.ok()) {
    // The decoder names the path from the facts ("facts.child.x: ...").
    return absl::InvalidArgumentError(
        absl::StrCat("invalid request: ", decoded.status().message()));
  }
  CodeScan codes = ScanCatalogueCodes(ruleset, *decoded);
  for (const std::string& unknown : codes.unknown) {
    problems.push_back(absl::StrCat("facts.", unknown));
  }
  if (!problems.empty()) return Invalid(problems);
  if (known_codes != nullptr) *known_codes = std::move(codes.known);
  return decoded;
}

}  // namespace lantern
