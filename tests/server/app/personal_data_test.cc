// RemovePersonalData on Audit answers with every field set: each field is
// either removed (the list below, written from the header's contract) or
// kept exactly, checked field by field, so a field added to these
// messages fails here until it is classified.
#include "server/app/personal_data.h"

#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "lantern/v1/audit.pb.h"

namespace lantern {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// Sets every field of `m` (one element per repeated field; recursion
// bounded), each string to a value unique to its field.
void FillAll(Message& m, int depth, int& counter) {
  const Reflection* r = m.GetReflection();
  const google::protobuf::Descriptor* d = m.GetDescriptor();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (f->real_containing_oneof() != nullptr && f->index_in_oneof() != 0) {
      continue;  // one member per oneof
    }
    const bool rep = f->is_repeated();
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_MESSAGE:
        if (depth <= 0) break;
        FillAll(rep ? *r->AddMessage(&m, f) : *r->MutableMessage(&m, f),
                depth - 1, counter);
        break;
      case FieldDescriptor::CPPTYPE_STRING: {
        const std::string v = absl::StrCat(f->name(), "-", ++counter);
        rep ? r->AddString(&m, f, v) : r->SetString(&m, f, v);
        break;
      }
      case FieldDescriptor::CPPTYPE_ENUM: {
        const int v = f->enum_type()->value_count() > 1
                          ? f->enum_type()->value(1)->number()
                          : 0;
        rep ? r->AddEnumValue(&m, f, v) : r->SetEnumValue(&m, f, v);
        break;
      }
      case FieldDescriptor::CPPTYPE_BOOL:
        rep ? r->AddBool(&m, f, true) : r->SetBool(&m, f, true);
        break;
      case FieldDescriptor::CPPTYPE_INT32:
        rep ? r->AddInt32(&m, f, 7) : r->SetInt32(&m, f, 7);
        break;
      case FieldDescriptor::CPPTYPE_INT64:
        rep ? r->AddInt64(&m, f, 7) : r->SetInt64(&m, f, 7);
        break;
      case FieldDescriptor::CPPTYPE_UINT32:
        rep ? r->AddUInt32(&m, f, 7) : r->SetUInt32(&m, f, 7);
        break;
      case FieldDescriptor::CPPTYPE_UINT64:
        rep ? r->AddUInt64(&m, f, 7) : r->SetUInt64(&m, f, 7);
        break;
      case FieldDescriptor::CPPTYPE_DOUBLE:
        rep ? r->AddDouble(&m, f, 7.5) : r->SetDouble(&m, f, 7.5);
        break;
      case FieldDescriptor::CPPTYPE_FLOAT:
        rep ? r->AddFloat(&m, f, 7.5) : r->SetFloat(&m, f, 7.5);
        break;
    }
  }
}

// What an auditor must not see (the header's list).
const std::set<std::string>& RemovedFields() {
  static const auto* removed = new std::set<std::string>{
      "lantern.v1.DecisionRecord.facts",
      "lantern.v1.DecisionRecord.client_request_id",
      "lantern.v1.DecisionRecord.compact_assessment",
      "lantern.v1.FactValue.value",
      "lantern.v1.Assessment.push_factors",
      "lantern.v1.Assessment.pull_factors",
      "lantern.v1.Assessment.indicators",
      "lantern.v1.GetInclusionProofResponse.leaf",
      "lantern.v1.LinkedChild.child_reference",
      "lantern.v1.LinkedEpisode.child_reference",
      "lantern.v1.LinkedPlace.reference",
      "lantern.v1.LinkedPerson.reference",
  };
  return *removed;
}

// Every field of `before` is removed in `after` (and the list says so) or
// equal in both; recursing into kept messages.
void ExpectFieldByField(const Message& before, const Message& after,
                        const std::string& path) {
  const Reflection* r = before.GetReflection();
  const google::protobuf::Descriptor* d = before.GetDescriptor();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    const std::string here = absl::StrCat(path, ".", f->name());
    const bool set_before =
        f->is_repeated() ? r->FieldSize(before, f) > 0 : r->HasField(before, f);
    if (!set_before) continue;
    const bool set_after =
        f->is_repeated() ? r->FieldSize(after, f) > 0 : r->HasField(after, f);
    if (RemovedFields().count(f->full_name()) > 0) {
      EXPECT_FALSE(set_after) << here << " should be removed";
      continue;
    }
    ASSERT_TRUE(set_after) << here << " should be kept";
    if (f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) {
      if (f->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
        if (f->is_repeated()) {
          std::string x, y, scratch;
          for (int j = 0; j < r->FieldSize(before, f); ++j) {
            x += r->GetRepeatedStringReference(before, f, j, &scratch) + "|";
            y += r->GetRepeatedStringReference(after, f, j, &scratch) + "|";
          }
          EXPECT_EQ(x, y) << here;
        } else {
          EXPECT_EQ(r->GetString(before, f), r->GetString(after, f)) << here;
        }
      }
      continue;
    }
    if (f->is_repeated()) {
      ASSERT_EQ(r->FieldSize(before, f), r->FieldSize(after, f)) << here;
      for (int j = 0; j < r->FieldSize(before, f); ++j) {
        ExpectFieldByField(r->GetRepeatedMessage(before, f, j),
                           r->GetRepeatedMessage(after, f, j),
                           absl::StrCat(here, "[", j, "]"));
      }
    } else {
      ExpectFieldByField(r->GetMessage(before, f), r->GetMessage(after, f),
                         here);
    }
  }
}

template <typename Answer>
void CheckAnswer() {
  Answer before;
  int counter = 0;
  FillAll(before, 8, counter);
  Answer after = before;
  RemovePersonalData(after);
  ExpectFieldByField(before, after, Answer::descriptor()->name());
}

TEST(RemovePersonalData, GetDecisionFieldByField) {
  CheckAnswer<v1::GetDecisionResponse>();
}
TEST(RemovePersonalData, ListDecisionsFieldByField) {
  CheckAnswer<v1::ListDecisionsResponse>();
}
TEST(RemovePersonalData, WhatIfFieldByField) {
  CheckAnswer<v1::WhatIfResponse>();
}
TEST(RemovePersonalData, InclusionProofFieldByField) {
  CheckAnswer<v1::GetInclusionProofResponse>();
}
TEST(RemovePersonalData, ListLinkedDecisionsFieldByField) {
  CheckAnswer<v1::ListLinkedDecisionsResponse>();
}
TEST(RemovePersonalData, ListActivationsFieldByField) {
  CheckAnswer<v1::ListActivationsResponse>();
}

TEST(RemovePersonalData, FactsAndTheirValuesAreGone) {
  v1::GetDecisionResponse answer;
  v1::DecisionRecord* d = answer.mutable_decision();
  d->set_decision_id("d-1");
  d->set_client_request_id("CASE-2024-0042");
  d->mutable_facts()->mutable_child()->set_reference("CHILD-REF-77");
  d->mutable_facts()->add_narratives()->set_text("seen with a man called X");
  v1::FactValue* value =
      d->mutable_assessment()->add_fired_rules()->add_evidence()->add_facts();
  value->set_path("child.reference");
  value->set_value("\"CHILD-REF-77\"");
  d->mutable_assessment()->mutable_grade()->set_grade(v1::HIGH);
  RemovePersonalData(answer);
  const std::string text = answer.DebugString();
  for (const char* secret :
       {"CASE-2024-0042", "CHILD-REF-77", "a man called X"}) {
    EXPECT_EQ(text.find(secret), std::string::npos) << secret << "\n" << text;
  }
  EXPECT_EQ(answer.decision().decision_id(), "d-1");
  EXPECT_EQ(answer.decision().assessment().grade().grade(), v1::HIGH);
  EXPECT_EQ(
      answer.decision().assessment().fired_rules(0).evidence(0).facts(0).path(),
      "child.reference");
}

TEST(RemovePersonalData, DifferencesQuotingEvidenceLoseTheirValues) {
  v1::ReplayResponse answer;
  v1::FieldDifference* grade = answer.add_differences();
  grade->set_path("grade.grade");
  grade->set_recorded("RISK_GRADE_HIGH");
  grade->set_replayed("RISK_GRADE_MEDIUM");
  v1::FieldDifference* evidence = answer.add_differences();
  evidence->set_path("fired_rules[id=r].evidence[0].facts[0].value");
  evidence->set_recorded("\"CHILD-REF-77\"");
  v1::FieldDifference* rule = answer.add_differences();
  rule->set_path("fired_rules[id=r]");
  rule->set_replayed("id: \"r\" evidence { facts { value: \"secret\" } }");
  RemovePersonalData(answer);
  EXPECT_EQ(answer.differences(0).recorded(), "RISK_GRADE_HIGH");
  EXPECT_EQ(answer.differences(0).replayed(), "RISK_GRADE_MEDIUM");
  EXPECT_EQ(answer.differences(1).recorded(), "");
  EXPECT_EQ(answer.differences(1).path(),
            "fired_rules[id=r].evidence[0].facts[0].value");
  EXPECT_EQ(answer.differences(2).replayed(), "");
}

}  // namespace
}  // namespace lantern
