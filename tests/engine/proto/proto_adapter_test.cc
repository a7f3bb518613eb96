// Tests for engine/proto/proto_adapter.h: schemas from descriptors, facts from
// messages and protobuf JSON. Uses the generated lantern.testing.v1 example
// schema and, for shapes it lacks (recursion, uint64, wrappers, oneofs,
// unsupported fields), a test-only file built into its own DescriptorPool.
#include "engine/proto/proto_adapter.h"

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "engine/facts/facts.h"
#include "engine/facts/schema.h"
#include "engine/facts/types.h"
#include "gmock/gmock.h"
#include "google/protobuf/any.pb.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/wrappers.pb.h"
#include "gtest/gtest.h"
#include "lantern/testing/v1/example_facts.pb.h"

namespace lantern {
namespace {

namespace pb = ::google::protobuf;
namespace tv1 = ::lantern::testing::v1;
using ::testing::HasSubstr;

MATCHER_P(IsInvalid, substring, "") {
  return arg.code() == absl::StatusCode::kInvalidArgument &&
         ::testing::Value(std::string(arg.message()), HasSubstr(substring));
}

// ---------------------------------------------------------------------------
// Reading records.

const FieldDef& FieldOf(const FactSchema& schema, int32_t message,
                        absl::string_view name) {
  const FieldDef* field = schema.message_type(message).FindField(name);
  if (field == nullptr) {
    ADD_FAILURE() << "no field " << name;
    return schema.message_type(message).fields.at(0);
  }
  return *field;
}

const FactSlot& Slot(const FactSchema& schema, const FactRecord& record,
                     absl::string_view name) {
  return record.slot(FieldOf(schema, record.message_type(), name).index);
}

bool IsSet(const FactSchema& schema, const FactRecord& record,
           absl::string_view name) {
  const FactSlot& slot = Slot(schema, record, name);
  EXPECT_EQ(slot.set, slot.values.size() == 1) << name;
  return slot.set;
}

template <typename T>
const T& Get(const FactSchema& schema, const FactRecord& record,
             absl::string_view name, int i = 0) {
  const FactSlot& slot = Slot(schema, record, name);
  EXPECT_LT(i, static_cast<int>(slot.values.size())) << name;
  return std::get<T>(slot.values.at(i));
}

const FactRecord& Sub(const FactSchema& schema, const FactRecord& record,
                      absl::string_view name, int i = 0) {
  return *Get<std::unique_ptr<FactRecord>>(schema, record, name, i);
}

// ---------------------------------------------------------------------------
// The generated example schema.

class ExampleFactsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto schema = SchemaFromDescriptor(tv1::ExampleFacts::descriptor());
    ASSERT_TRUE(schema.ok()) << schema.status();
    schema_ = *std::move(schema);
  }

  int32_t Msg(absl::string_view name) const {
    return schema_->FindMessage(absl::StrCat("lantern.testing.v1.", name));
  }
  const FieldDef& F(absl::string_view message, absl::string_view field) const {
    return FieldOf(*schema_, Msg(message), field);
  }
  std::string TypeOf(absl::string_view message, absl::string_view field) const {
    return TypeName(F(message, field).type, schema_.get());
  }
  absl::StatusOr<FactRecord> FromText(absl::string_view text) const {
    tv1::ExampleFacts facts;
    EXPECT_TRUE(pb::TextFormat::ParseFromString(std::string(text), &facts));
    return FactsFromMessage(*schema_, facts);
  }

  std::shared_ptr<const FactSchema> schema_;
};

TEST_F(ExampleFactsTest, SchemaHasEveryMessageOnceWithRootFirst) {
  EXPECT_EQ(schema_->root(), 0);
  EXPECT_EQ(schema_->root_type().full_name, "lantern.testing.v1.ExampleFacts");
  EXPECT_EQ(schema_->message_count(), 5);  // ExampleFacts Child Episode Found
  EXPECT_EQ(schema_->enum_count(), 3);     // Associate; three enums
  for (absl::string_view name : {"Child", "Episode", "Found", "Associate"}) {
    EXPECT_GE(Msg(name), 0) << name;
  }
  EXPECT_EQ(schema_->FindMessage("google.protobuf.Timestamp"), -1);
}

TEST_F(ExampleFactsTest, SchemaKindsAndPresence) {
  struct Expect {
    const char* message;
    const char* field;
    const char* type;
    bool presence;
  };
  const Expect expected[] = {
      {"ExampleFacts", "child", "lantern.testing.v1.Child", true},
      {"ExampleFacts", "episodes_last_90d", "int", true},
      {"Child", "age_years", "int", true},
      {"Child", "age_disputed", "bool", true},
      {"Child", "care_status", "lantern.testing.v1.CareStatus", false},
      {"Child", "markers", "list(string)", false},
      {"Child", "height_m", "double", true},
      {"Episode", "reported_at", "timestamp", true},
      {"Episode", "delay_before_report", "duration", true},
      {"Episode", "observed", "list(string)", false},
      {"Episode", "narrative", "string", true},
      {"Found", "with", "list(lantern.testing.v1.Associate)", false},
      {"Associate", "relationship", "string", false},
      {"Associate", "times_seen", "int", false},
      {"Associate", "contacts", "int", false},
  };
  for (const Expect& e : expected) {
    SCOPED_TRACE(absl::StrCat(e.message, ".", e.field));
    EXPECT_EQ(TypeOf(e.message, e.field), e.type);
    EXPECT_EQ(F(e.message, e.field).has_presence, e.presence);
  }
  // Fields keep declaration order.
  const MessageType& child = schema_->message_type(Msg("Child"));
  ASSERT_EQ(child.fields.size(), 5u);
  EXPECT_EQ(child.fields[0].name, "age_years");
  EXPECT_EQ(child.fields[4].name, "height_m");
}

TEST_F(ExampleFactsTest, SchemaEnums) {
  const int32_t index = schema_->FindEnum("lantern.testing.v1.CareStatus");
  ASSERT_GE(index, 0);
  const EnumType& care = schema_->enum_type(index);
  EXPECT_TRUE(care.zero_is_unknown);
  ASSERT_EQ(care.values.size(), 5u);
  EXPECT_EQ(care.values[0].first, "CARE_STATUS_UNSPECIFIED");
  EXPECT_EQ(care.values[4], std::make_pair(std::string("LOOKED_AFTER"), 4));
  const EnumType& location =
      schema_->enum_type(schema_->FindEnum("lantern.testing.v1.LocationType"));
  EXPECT_TRUE(location.zero_is_unknown);
  EXPECT_EQ(*location.NameOf(6), "EXPLOITATION_ADDRESS");
}

TEST_F(ExampleFactsTest, PopulatedMessageRoundTrips) {
  tv1::ExampleFacts facts;
  facts.set_episodes_last_90d(3);
  tv1::Child* child = facts.mutable_child();
  child->set_age_years(14);
  child->set_age_disputed(false);
  child->set_care_status(tv1::LOOKED_AFTER);
  child->add_markers("CSE_RISK");
  child->add_markers("GANG");
  child->set_height_m(1.62);
  tv1::Episode* episode = facts.mutable_episode();
  episode->set_status(tv1::MISSING);
  episode->mutable_reported_at()->set_seconds(1700000000);
  episode->add_observed("new_phone");
  episode->set_narrative("seen at the station");
  episode->set_out_of_character(true);
  tv1::Found* found = episode->mutable_found();
  found->set_location(tv1::STATION);
  found->set_distance_km(12.5);
  tv1::Associate* a = found->add_with();
  a->set_age_years(19);
  a->set_relationship("boyfriend");
  a->set_times_seen(4294967295u);
  a->set_contacts(-7);
  found->add_with()->set_known_to_police(true);

  absl::StatusOr<FactRecord> record = FactsFromMessage(*schema_, facts);
  ASSERT_TRUE(record.ok()) << record.status();
  const FactSchema& s = *schema_;
  EXPECT_EQ(record->message_type(), s.root());
  EXPECT_EQ(Get<int64_t>(s, *record, "episodes_last_90d"), 3);

  const FactRecord& c = Sub(s, *record, "child");
  EXPECT_EQ(c.message_type(), Msg("Child"));
  EXPECT_EQ(Get<int64_t>(s, c, "age_years"), 14);
  EXPECT_TRUE(IsSet(s, c, "age_disputed"));  // explicitly false is known
  EXPECT_FALSE(Get<bool>(s, c, "age_disputed"));
  EXPECT_EQ(Get<EnumNumber>(s, c, "care_status").number, tv1::LOOKED_AFTER);
  ASSERT_EQ(Slot(s, c, "markers").values.size(), 2u);
  EXPECT_EQ(Get<std::string>(s, c, "markers", 1), "GANG");
  EXPECT_DOUBLE_EQ(Get<double>(s, c, "height_m"), 1.62);

  const FactRecord& e = Sub(s, *record, "episode");
  EXPECT_EQ(Get<EnumNumber>(s, e, "status").number, tv1::MISSING);
  EXPECT_EQ(Get<absl::Time>(s, e, "reported_at"),
            absl::FromUnixSeconds(1700000000));
  EXPECT_FALSE(IsSet(s, e, "found_at"));
  EXPECT_FALSE(IsSet(s, e, "delay_before_report"));
  EXPECT_EQ(Get<std::string>(s, e, "observed"), "new_phone");
  EXPECT_EQ(Get<std::string>(s, e, "narrative"), "seen at the station");
  EXPECT_TRUE(Get<bool>(s, e, "out_of_character"));

  const FactRecord& f = Sub(s, e, "found");
  EXPECT_EQ(Get<EnumNumber>(s, f, "location").number, tv1::STATION);
  EXPECT_DOUBLE_EQ(Get<double>(s, f, "distance_km"), 12.5);
  ASSERT_EQ(Slot(s, f, "with").values.size(), 2u);
  const FactRecord& a0 = Sub(s, f, "with", 0);
  EXPECT_EQ(a0.message_type(), Msg("Associate"));
  EXPECT_EQ(Get<int64_t>(s, a0, "age_years"), 19);
  EXPECT_FALSE(IsSet(s, a0, "known_to_police"));
  EXPECT_EQ(Get<std::string>(s, a0, "relationship"), "boyfriend");
  EXPECT_EQ(Get<int64_t>(s, a0, "times_seen"), 4294967295);
  EXPECT_EQ(Get<int64_t>(s, a0, "contacts"), -7);
  const FactRecord& a1 = Sub(s, f, "with", 1);
  EXPECT_TRUE(Get<bool>(s, a1, "known_to_police"));
  EXPECT_FALSE(IsSet(s, a1, "age_years"));
}

TEST_F(ExampleFactsTest, UnsetPresenceFieldsStayUnset) {
  absl::StatusOr<FactRecord> empty = FromText("");
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_FALSE(IsSet(*schema_, *empty, "child"));
  EXPECT_FALSE(IsSet(*schema_, *empty, "episode"));
  EXPECT_FALSE(IsSet(*schema_, *empty, "episodes_last_90d"));

  absl::StatusOr<FactRecord> zero = FromText("episodes_last_90d: 0");
  ASSERT_TRUE(zero.ok());
  EXPECT_EQ(Get<int64_t>(*schema_, *zero, "episodes_last_90d"), 0);
}

TEST_F(ExampleFactsTest, PlainScalarsAreAlwaysSetEvenWhenZero) {
  absl::StatusOr<FactRecord> record = FromText("episode { found { with {} } }");
  ASSERT_TRUE(record.ok()) << record.status();
  const FactSchema& s = *schema_;
  const FactRecord& e = Sub(s, *record, "episode");
  EXPECT_TRUE(Slot(s, e, "observed").values.empty());
  const FactRecord& a = Sub(s, Sub(s, e, "found"), "with");
  EXPECT_EQ(Get<std::string>(s, a, "relationship"), "");
  EXPECT_EQ(Get<int64_t>(s, a, "times_seen"), 0);
  EXPECT_EQ(Get<int64_t>(s, a, "contacts"), 0);
  EXPECT_FALSE(IsSet(s, a, "age_years"));
}

TEST_F(ExampleFactsTest, UnspecifiedEnumIsLeftUnset) {
  absl::StatusOr<FactRecord> record = FromText(
      "child { care_status: CARE_STATUS_UNSPECIFIED age_years: 3 }"
      "episode { status: RETURNED }");
  ASSERT_TRUE(record.ok()) << record.status();
  const FactRecord& c = Sub(*schema_, *record, "child");
  EXPECT_FALSE(IsSet(*schema_, c, "care_status"));
  const FactRecord& e = Sub(*schema_, *record, "episode");
  EXPECT_EQ(Get<EnumNumber>(*schema_, e, "status").number, tv1::RETURNED);
}

TEST_F(ExampleFactsTest, TimestampsAndDurationsAreExact) {
  absl::StatusOr<FactRecord> record = FromText(R"pb(
    episode {
      reported_at { seconds: 1700000000 nanos: 123456789 }
      found_at { seconds: -62135596800 }
      delay_before_report { seconds: -1 nanos: -500000000 }
    }
  )pb");
  ASSERT_TRUE(record.ok()) << record.status();
  const FactRecord& e = Sub(*schema_, *record, "episode");
  EXPECT_EQ(Get<absl::Time>(*schema_, e, "reported_at"),
            absl::FromUnixNanos(1700000000123456789));
  EXPECT_EQ(Get<absl::Time>(*schema_, e, "found_at"),
            absl::FromCivil(absl::CivilSecond(1, 1, 1, 0, 0, 0),
                            absl::UTCTimeZone()));
  EXPECT_EQ(Get<absl::Duration>(*schema_, e, "delay_before_report"),
            absl::Milliseconds(-1500));

  absl::StatusOr<FactRecord> limits = FromText(R"pb(
    episode {
      found_at { seconds: 253402300799 nanos: 999999999 }
      delay_before_report { seconds: 315576000000 nanos: 999999999 }
    }
  )pb");
  ASSERT_TRUE(limits.ok()) << limits.status();
  const FactRecord& l = Sub(*schema_, *limits, "episode");
  EXPECT_EQ(Get<absl::Duration>(*schema_, l, "delay_before_report"),
            absl::Seconds(315576000000) + absl::Nanoseconds(999999999));
}

TEST_F(ExampleFactsTest, OutOfRangeTimesNameTheField) {
  EXPECT_THAT(
      FromText("episode { found_at { seconds: 253402300800 } }").status(),
      IsInvalid("episode.found_at: timestamp out of range"));
  EXPECT_THAT(FromText("episode { found_at { nanos: -1 } }").status(),
              IsInvalid("episode.found_at: timestamp out of range"));
  EXPECT_THAT(
      FromText("episode { reported_at { nanos: 1000000000 } }").status(),
      IsInvalid("episode.reported_at: timestamp out of range"));
  EXPECT_THAT(
      FromText("episode { delay_before_report { seconds: 1 nanos: -1 } }")
          .status(),
      IsInvalid("episode.delay_before_report: duration out of range"));
  EXPECT_THAT(
      FromText("episode { delay_before_report { seconds: 315576000001 } }")
          .status(),
      IsInvalid("episode.delay_before_report: duration out of range"));
}

TEST_F(ExampleFactsTest, MessageOfAnotherTypeIsRejected) {
  tv1::Child child;
  EXPECT_THAT(FactsFromMessage(*schema_, child).status(),
              IsInvalid("lantern.testing.v1.Child but the schema expects "
                        "lantern.testing.v1.ExampleFacts"));
}

TEST_F(ExampleFactsTest, JsonDecodes) {
  absl::StatusOr<FactRecord> record =
      FactsFromJson(*schema_, tv1::ExampleFacts::descriptor(), R"json({
        "child": {"ageYears": 12, "care_status": "CHILD_IN_NEED",
                  "markers": ["A"]},
        "episode": {"reportedAt": "2024-01-02T03:04:05.123456789Z",
                    "delayBeforeReport": "3600.5s",
                    "found": {"with": [{"timesSeen": 2}]}}
      })json");
  ASSERT_TRUE(record.ok()) << record.status();
  const FactSchema& s = *schema_;
  const FactRecord& c = Sub(s, *record, "child");
  EXPECT_EQ(Get<int64_t>(s, c, "age_years"), 12);
  EXPECT_EQ(Get<EnumNumber>(s, c, "care_status").number, tv1::CHILD_IN_NEED);
  EXPECT_FALSE(IsSet(s, *record, "episodes_last_90d"));
  const FactRecord& e = Sub(s, *record, "episode");
  EXPECT_EQ(Get<absl::Time>(s, e, "reported_at"),
            absl::FromCivil(absl::CivilSecond(2024, 1, 2, 3, 4, 5),
                            absl::UTCTimeZone()) +
                absl::Nanoseconds(123456789));
  EXPECT_EQ(Get<absl::Duration>(s, e, "delay_before_report"),
            absl::Seconds(3600) + absl::Milliseconds(500));
  const FactRecord& a = Sub(s, Sub(s, e, "found"), "with");
  EXPECT_EQ(Get<int64_t>(s, a, "times_seen"), 2);
}

TEST_F(ExampleFactsTest, JsonUnknownFieldIsRejectedAndNamed) {
  absl::Status top = FactsFromJson(*schema_, tv1::ExampleFacts::descriptor(),
                                   R"({"episodes_last_90": 1})")
                         .status();
  EXPECT_THAT(top, IsInvalid("facts: invalid JSON: "));
  EXPECT_THAT(top, IsInvalid("episodes_last_90"));
  absl::Status nested = FactsFromJson(*schema_, tv1::ExampleFacts::descriptor(),
                                      R"({"child": {"age_yeras": 1}})")
                            .status();
  EXPECT_THAT(nested, IsInvalid("(child) age_yeras"));
}

TEST_F(ExampleFactsTest, JsonBadValuesAreRejected) {
  const pb::Descriptor* root = tv1::ExampleFacts::descriptor();
  absl::Status truncated =
      FactsFromJson(*schema_, root, R"({"child": )").status();
  EXPECT_THAT(truncated, IsInvalid("facts: invalid JSON: "));
  EXPECT_EQ(truncated.message().find('\n'), absl::string_view::npos)
      << truncated;  // one line, fit for a diagnostic
  EXPECT_THAT(FactsFromJson(*schema_, root, "").status(),
              IsInvalid("facts: invalid JSON: "));
  EXPECT_THAT(FactsFromJson(*schema_, root, "[]").status(),
              IsInvalid("facts: invalid JSON: Root element must be a message"));
  EXPECT_THAT(FactsFromJson(*schema_, root, R"({"child": {"age_years": 1,,}})")
                  .status(),
              IsInvalid("Expected an object key or }. (near '"));
  EXPECT_THAT(FactsFromJson(*schema_, root,
                            R"({"episode": {"found": {"with": [{},
                                {"timesSeen": -1}]}}})")
                  .status(),
              IsInvalid("episode.found.with[1].times_seen"));
  EXPECT_THAT(
      FactsFromJson(*schema_, root, R"({"child": {"care_status": "NOPE"}})")
          .status(),
      IsInvalid("facts: invalid JSON: "));
  EXPECT_THAT(
      FactsFromJson(*schema_, root, R"({"child": {"age_years": "old"}})")
          .status(),
      IsInvalid("facts: invalid JSON: "));
}

TEST_F(ExampleFactsTest, JsonOfAnotherRootIsRejected) {
  EXPECT_THAT(FactsFromJson(*schema_, tv1::Child::descriptor(), "{}").status(),
              IsInvalid("is not the schema's root"));
  EXPECT_THAT(FactsFromJson(*schema_, nullptr, "{}").status(),
              IsInvalid("is not the schema's root"));
}

TEST(FindFactMessageTest, FindsCompiledInMessages) {
  EXPECT_EQ(FindFactMessage("lantern.testing.v1.ExampleFacts"),
            tv1::ExampleFacts::descriptor());
  EXPECT_EQ(FindFactMessage("lantern.testing.v1.Nope"), nullptr);
  EXPECT_EQ(FindFactMessage(""), nullptr);
}

TEST(SchemaFromDescriptorTest, NullRootIsRejected) {
  EXPECT_THAT(SchemaFromDescriptor(nullptr).status(),
              IsInvalid("no root message type"));
}

// ---------------------------------------------------------------------------
// Test-only types in their own pool.

// Not an R"pb" string: clang-format would spread it over 200 lines.
constexpr absl::string_view kTestFile = R"(
  name: "adapter_test.proto" package: "t" syntax: "proto3"
  dependency: "google/protobuf/wrappers.proto"
  dependency: "google/protobuf/any.proto"
  message_type {
    name: "Node"
    field { name: "name" number: 1 label: LABEL_OPTIONAL type: TYPE_STRING
            oneof_index: 1 proto3_optional: true }
    field { name: "child" number: 2 label: LABEL_OPTIONAL type: TYPE_MESSAGE
            type_name: ".t.Node" }
    field { name: "children" number: 3 label: LABEL_REPEATED
            type: TYPE_MESSAGE type_name: ".t.Node" }
    field { name: "big" number: 4 label: LABEL_OPTIONAL type: TYPE_UINT64 }
    field { name: "bigs" number: 5 label: LABEL_REPEATED type: TYPE_FIXED64 }
    field { name: "wrapped" number: 6 label: LABEL_OPTIONAL
            type: TYPE_MESSAGE type_name: ".google.protobuf.Int32Value" }
    field { name: "a" number: 7 label: LABEL_OPTIONAL type: TYPE_INT32
            oneof_index: 0 }
    field { name: "b" number: 8 label: LABEL_OPTIONAL type: TYPE_STRING
            oneof_index: 0 }
    field { name: "plain" number: 9 label: LABEL_OPTIONAL type: TYPE_ENUM
            type_name: ".t.Plain" }
    field { name: "labels" number: 10 label: LABEL_REPEATED
            type: TYPE_MESSAGE type_name: ".google.protobuf.StringValue" }
    field { name: "ratio" number: 11 label: LABEL_OPTIONAL type: TYPE_FLOAT }
    oneof_decl { name: "choice" }
    oneof_decl { name: "_name" }
  }
  message_type {
    name: "Outer"
    field { name: "inner" number: 1 label: LABEL_OPTIONAL type: TYPE_MESSAGE
            type_name: ".t.WithBytes" }
  }
  message_type {
    name: "WithBytes"
    field { name: "data" number: 1 label: LABEL_OPTIONAL type: TYPE_BYTES }
  }
  message_type {
    name: "WithMap"
    field { name: "m" number: 1 label: LABEL_REPEATED type: TYPE_MESSAGE
            type_name: ".t.WithMap.MEntry" }
    nested_type {
      name: "MEntry"
      field { name: "key" number: 1 label: LABEL_OPTIONAL type: TYPE_STRING }
      field { name: "value" number: 2 label: LABEL_OPTIONAL type: TYPE_INT32 }
      options { map_entry: true }
    }
  }
  message_type {
    name: "WithAny"
    field { name: "any" number: 1 label: LABEL_OPTIONAL type: TYPE_MESSAGE
            type_name: ".google.protobuf.Any" }
  }
  message_type {
    name: "WithBytesValue"
    field { name: "v" number: 1 label: LABEL_OPTIONAL type: TYPE_MESSAGE
            type_name: ".google.protobuf.BytesValue" }
  }
  enum_type {
    name: "Plain"
    value { name: "PLAIN_A" number: 0 }
    value { name: "PLAIN_B" number: 1 }
  }
)";

// A look-alike lantern.testing.v1.ExampleFacts: no `child`.
constexpr absl::string_view kLookalikeFile = R"(
  name: "lookalike.proto" package: "lantern.testing.v1" syntax: "proto3"
  message_type {
    name: "ExampleFacts"
    field { name: "episodes_last_90d" number: 3 label: LABEL_OPTIONAL
            type: TYPE_STRING }
  }
)";

void AddFile(const pb::FileDescriptor* file, pb::DescriptorPool* pool) {
  pb::FileDescriptorProto proto;
  file->CopyTo(&proto);
  ASSERT_NE(pool->BuildFile(proto), nullptr) << file->name();
}

class TestPoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    AddFile(pb::Int32Value::descriptor()->file(), &pool_);
    AddFile(pb::Any::descriptor()->file(), &pool_);
    pb::FileDescriptorProto proto;
    ASSERT_TRUE(
        pb::TextFormat::ParseFromString(std::string(kTestFile), &proto));
    ASSERT_NE(pool_.BuildFile(proto), nullptr);
  }

  const pb::Descriptor* Find(absl::string_view name) const {
    const pb::Descriptor* d =
        pool_.FindMessageTypeByName(absl::StrCat("t.", name));
    EXPECT_NE(d, nullptr) << name;
    return d;
  }

  // A Node parsed from text format.
  std::unique_ptr<pb::Message> Node(absl::string_view text) {
    std::unique_ptr<pb::Message> m(factory_.GetPrototype(Find("Node"))->New());
    EXPECT_TRUE(pb::TextFormat::ParseFromString(std::string(text), m.get()));
    return m;
  }

  std::shared_ptr<const FactSchema> NodeSchema() {
    auto schema = SchemaFromDescriptor(Find("Node"));
    EXPECT_TRUE(schema.ok()) << schema.status();
    return schema.ok() ? *schema : nullptr;
  }

  pb::DescriptorPool pool_;
  pb::DynamicMessageFactory factory_;
};

TEST_F(TestPoolTest, RecursiveMessageSchema) {
  std::shared_ptr<const FactSchema> schema = NodeSchema();
  ASSERT_NE(schema, nullptr);
  EXPECT_EQ(schema->message_count(), 1);  // Node, once
  const FactSchema& s = *schema;
  EXPECT_EQ(TypeName(FieldOf(s, 0, "child").type, &s), "t.Node");
  EXPECT_EQ(FieldOf(s, 0, "child").type.ref, 0);
  EXPECT_EQ(TypeName(FieldOf(s, 0, "children").type, &s), "list(t.Node)");
  EXPECT_EQ(TypeName(FieldOf(s, 0, "big").type, &s), "int");
  EXPECT_FALSE(FieldOf(s, 0, "big").has_presence);
  EXPECT_EQ(TypeName(FieldOf(s, 0, "bigs").type, &s), "list(int)");
  EXPECT_EQ(TypeName(FieldOf(s, 0, "wrapped").type, &s), "int");
  EXPECT_TRUE(FieldOf(s, 0, "wrapped").has_presence);
  EXPECT_EQ(TypeName(FieldOf(s, 0, "labels").type, &s), "list(string)");
  EXPECT_FALSE(FieldOf(s, 0, "labels").has_presence);
  EXPECT_TRUE(FieldOf(s, 0, "name").has_presence);  // proto3 optional
  EXPECT_TRUE(FieldOf(s, 0, "a").has_presence);     // oneof member
  EXPECT_TRUE(FieldOf(s, 0, "b").has_presence);
  EXPECT_EQ(TypeName(FieldOf(s, 0, "ratio").type, &s), "double");
  const EnumType& plain = s.enum_type(s.FindEnum("t.Plain"));
  EXPECT_FALSE(plain.zero_is_unknown);  // PLAIN_A is not *_UNSPECIFIED
}

TEST_F(TestPoolTest, RecursiveMessageFacts) {
  std::shared_ptr<const FactSchema> schema = NodeSchema();
  ASSERT_NE(schema, nullptr);
  const FactSchema& s = *schema;
  auto node = Node(R"pb(
    name: "root"
    child {
      name: "kid"
      child { a: 0 }
    }
    children { b: "x" }
    children { name: "" }
    big: 9223372036854775807
    bigs: [ 1, 2 ]
    wrapped { value: 0 }
    labels { value: "p" }
    labels {}
    ratio: 0.5
  )pb");
  absl::StatusOr<FactRecord> record = FactsFromMessage(s, *node);
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_EQ(Get<std::string>(s, *record, "name"), "root");
  EXPECT_EQ(Get<int64_t>(s, *record, "big"), INT64_MAX);
  EXPECT_EQ(Get<int64_t>(s, *record, "bigs", 1), 2);
  EXPECT_EQ(Get<int64_t>(s, *record, "wrapped"), 0);  // set wrapper, zero
  ASSERT_EQ(Slot(s, *record, "labels").values.size(), 2u);
  EXPECT_EQ(Get<std::string>(s, *record, "labels", 0), "p");
  EXPECT_EQ(Get<std::string>(s, *record, "labels", 1), "");
  EXPECT_EQ(Get<double>(s, *record, "ratio"), 0.5);
  EXPECT_FALSE(IsSet(s, *record, "a"));
  EXPECT_FALSE(IsSet(s, *record, "b"));
  EXPECT_EQ(Get<EnumNumber>(s, *record, "plain").number, 0);  // known zero

  const FactRecord& kid = Sub(s, *record, "child");
  EXPECT_EQ(Get<std::string>(s, kid, "name"), "kid");
  const FactRecord& grandkid = Sub(s, kid, "child");
  EXPECT_FALSE(IsSet(s, grandkid, "name"));
  EXPECT_EQ(Get<int64_t>(s, grandkid, "a"), 0);  // oneof member set to zero
  EXPECT_FALSE(IsSet(s, grandkid, "child"));
  EXPECT_FALSE(IsSet(s, grandkid, "wrapped"));
  EXPECT_EQ(Get<std::string>(s, Sub(s, *record, "children", 0), "b"), "x");
  EXPECT_EQ(Get<std::string>(s, Sub(s, *record, "children", 1), "name"), "");
}

TEST_F(TestPoolTest, Uint64OverflowNamesThePath) {
  std::shared_ptr<const FactSchema> schema = NodeSchema();
  ASSERT_NE(schema, nullptr);
  EXPECT_THAT(
      FactsFromMessage(*schema, *Node("big: 9223372036854775808")).status(),
      IsInvalid("facts.big: value 9223372036854775808 is too large"));
  EXPECT_THAT(
      FactsFromMessage(*schema, *Node("children {} children { child { bigs: "
                                      "[ 0, 18446744073709551615 ] } }"))
          .status(),
      IsInvalid("facts.children[1].child.bigs[1]: value "
                "18446744073709551615 is too large"));
}

TEST_F(TestPoolTest, DeepNestingIsRejected) {
  std::shared_ptr<const FactSchema> schema = NodeSchema();
  ASSERT_NE(schema, nullptr);
  auto nested = [&](int depth) {
    std::string text;
    for (int i = 0; i < depth; ++i) text += "child { ";
    for (int i = 0; i < depth; ++i) text += "} ";
    return Node(text);
  };
  EXPECT_TRUE(FactsFromMessage(*schema, *nested(90)).ok());
  EXPECT_THAT(FactsFromMessage(*schema, *nested(101)).status(),
              IsInvalid("nest deeper than 100"));
}

TEST_F(TestPoolTest, JsonIntoDynamicMessage) {
  std::shared_ptr<const FactSchema> schema = NodeSchema();
  ASSERT_NE(schema, nullptr);
  const FactSchema& s = *schema;
  absl::StatusOr<FactRecord> record =
      FactsFromJson(s, Find("Node"),
                    R"({"name": "r", "child": {"child": {"a": 4}},
                        "wrapped": 7, "labels": ["x", "y"],
                        "big": "18"})");
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_EQ(Get<int64_t>(s, *record, "wrapped"), 7);
  EXPECT_EQ(Get<int64_t>(s, *record, "big"), 18);
  EXPECT_EQ(Get<std::string>(s, *record, "labels", 1), "y");
  EXPECT_EQ(Get<int64_t>(s, Sub(s, Sub(s, *record, "child"), "child"), "a"), 4);
  EXPECT_THAT(
      FactsFromJson(s, Find("Node"), R"({"child": {"nmae": "x"}})").status(),
      IsInvalid("nmae"));
  EXPECT_THAT(
      FactsFromJson(s, Find("Node"), R"({"big": "18446744073709551615"})")
          .status(),
      IsInvalid("facts.big: value 18446744073709551615 is too large"));
}

TEST_F(TestPoolTest, UnsupportedFieldsAreRejectedByName) {
  EXPECT_THAT(SchemaFromDescriptor(Find("Outer")).status(),
              IsInvalid("field 't.WithBytes.data': bytes fields are not "
                        "supported"));
  EXPECT_THAT(SchemaFromDescriptor(Find("WithMap")).status(),
              IsInvalid("field 't.WithMap.m'"));
  EXPECT_THAT(SchemaFromDescriptor(Find("WithMap")).status(),
              IsInvalid("map fields are not supported"));
  EXPECT_THAT(SchemaFromDescriptor(Find("WithAny")).status(),
              IsInvalid("field 't.WithAny.any' (google.protobuf.Any)"));
  EXPECT_THAT(SchemaFromDescriptor(Find("WithBytesValue")).status(),
              IsInvalid("field 't.WithBytesValue.v'"));
}

TEST_F(TestPoolTest, DescriptorNotMatchingSchemaIsRejected) {
  pb::FileDescriptorProto proto;
  ASSERT_TRUE(
      pb::TextFormat::ParseFromString(std::string(kLookalikeFile), &proto));
  ASSERT_NE(pool_.BuildFile(proto), nullptr);
  const pb::Descriptor* lookalike =
      pool_.FindMessageTypeByName("lantern.testing.v1.ExampleFacts");
  auto schema = SchemaFromDescriptor(tv1::ExampleFacts::descriptor());
  ASSERT_TRUE(schema.ok());
  std::unique_ptr<pb::Message> m(factory_.GetPrototype(lookalike)->New());
  EXPECT_THAT(FactsFromMessage(**schema, *m).status(),
              IsInvalid("facts.child: the message has no such field"));
  EXPECT_THAT(FactsFromJson(**schema, lookalike, "{}").status(),
              IsInvalid("facts.child: the message has no such field"));

  FactSchemaBuilder b;  // t.Node whose `big` is a string
  b.AddField(b.AddMessage("t.Node"), "big", Type::String(), false);
  auto wrong = std::move(b).Build(0);
  ASSERT_TRUE(wrong.ok());
  EXPECT_THAT(FactsFromMessage(**wrong, *Node("big: 1")).status(),
              IsInvalid("facts.big: field does not match the schema type "
                        "string"));
}

}  // namespace
}  // namespace lantern
