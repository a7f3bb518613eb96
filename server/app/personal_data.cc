// RemovePersonalData: a reflective walk over the set fields of the answer;
// each field is cleared when its full name (or its message type) is in the
// list below, else descended into.
#include "server/app/personal_data.h"

#include <vector>

#include "absl/strings/match.h"
#include "google/protobuf/descriptor.h"
#include "lantern/v1/audit.pb.h"

namespace lantern {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

constexpr const char* kRemovedFields[] = {
    "lantern.v1.DecisionRecord.client_request_id",
    "lantern.v1.DecisionRecord.compact_assessment",
    "lantern.v1.FactValue.value",
    "lantern.v1.Assessment.push_factors",
    "lantern.v1.Assessment.pull_factors",
    "lantern.v1.Assessment.indicators",
    "lantern.v1.GetInclusionProofResponse.leaf",
    // The references in what the episode index derived (Assessment.derived).
    "lantern.v1.LinkedChild.child_reference",
    "lantern.v1.LinkedEpisode.child_reference",
    "lantern.v1.LinkedPlace.reference",
    "lantern.v1.LinkedPerson.reference",
};

bool Removed(const FieldDescriptor& field) {
  if (field.message_type() != nullptr &&
      field.message_type()->full_name() == "lantern.v1.EpisodeFacts") {
    return true;
  }
  for (const char* name : kRemovedFields) {
    if (field.full_name() == name) return true;
  }
  return false;
}

// A difference whose values could quote facts: evidence (fact values),
// recorded codes or derived references.
void ClearDifference(v1::FieldDifference& d) {
  for (const char* touch :
       {"evidence", "push_factors", "pull_factors", "indicators", "derived"}) {
    if (absl::StrContains(d.path(), touch) ||
        absl::StrContains(d.recorded(), touch) ||
        absl::StrContains(d.replayed(), touch)) {
      d.clear_recorded();
      d.clear_replayed();
      return;
    }
  }
}

}  // namespace

void RemovePersonalData(Message& answer) {
  if (auto* d = dynamic_cast<v1::FieldDifference*>(&answer)) {
    ClearDifference(*d);
    return;
  }
  const Reflection* reflection = answer.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(answer, &fields);
  for (const FieldDescriptor* field : fields) {
    if (Removed(*field)) {
      reflection->ClearField(&answer, field);
      continue;
    }
    if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) continue;
    if (field->is_repeated()) {
      for (int i = 0; i < reflection->FieldSize(answer, field); ++i) {
        RemovePersonalData(
            *reflection->MutableRepeatedMessage(&answer, field, i));
      }
    } else {
      RemovePersonalData(*reflection->MutableMessage(&answer, field));
    }
  }
}

}  // namespace lantern
