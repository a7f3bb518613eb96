// Tests for engine/facts/schema.h (FactSchemaBuilder validation and lookups),
// plus the small pieces that ride along with it: FactRecord's setters
// (engine/facts/facts.h) and TypeName (engine/facts/types.h).
#include "engine/facts/schema.h"

#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "engine/facts/facts.h"
#include "engine/facts/types.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lantern {
namespace {

using ::testing::HasSubstr;

// Status of building `builder` with `root`.
absl::Status BuildStatus(FactSchemaBuilder builder, int32_t root = 0) {
  return std::move(builder).Build(root).status();
}

MATCHER_P(IsInvalid, substring, "") {
  return arg.code() == absl::StatusCode::kInvalidArgument &&
         ::testing::Value(std::string(arg.message()), HasSubstr(substring));
}

TEST(FactSchemaBuilderTest, BuildsLookupsAndIndices) {
  FactSchemaBuilder b;
  const int32_t root = b.AddMessage("t.Root");
  const int32_t child = b.AddMessage("t.Child");
  const int32_t status = b.AddEnum(
      "t.Status", {{"STATUS_UNSPECIFIED", 0}, {"OPEN", 1}, {"SHUT", 2}});
  b.SetZeroIsUnknown(status, true);
  b.AddField(root, "child", Type::Message(child), true);
  b.AddField(root, "status", Type::Enum(status), false);
  b.AddField(root, "tags", Type::String().AsList(), false);
  b.AddField(child, "age", Type::Int(), true);
  b.AddField(child, "parent", Type::Message(child), true);  // recursive
  EXPECT_EQ(b.FindMessage("t.Child"), child);
  EXPECT_EQ(b.FindEnum("t.Status"), status);
  EXPECT_EQ(b.FindMessage("t.Status"), -1);

  absl::StatusOr<std::shared_ptr<const FactSchema>> built =
      std::move(b).Build(root);
  ASSERT_TRUE(built.ok()) << built.status();
  const FactSchema& schema = **built;
  EXPECT_EQ(schema.root(), root);
  EXPECT_EQ(schema.root_type().full_name, "t.Root");
  EXPECT_EQ(schema.message_count(), 2);
  EXPECT_EQ(schema.enum_count(), 1);
  EXPECT_EQ(schema.FindMessage("t.Child"), child);
  EXPECT_EQ(schema.FindMessage("t.Nope"), -1);
  EXPECT_EQ(schema.FindEnum("t.Status"), status);
  EXPECT_EQ(schema.FindEnum("t.Root"), -1);

  const MessageType& r = schema.root_type();
  ASSERT_EQ(r.field_index.size(), 3u);
  EXPECT_EQ(r.field_index.at("tags"), 2);
  const FieldDef* tags = r.FindField("tags");
  ASSERT_NE(tags, nullptr);
  EXPECT_EQ(tags->index, 2);
  EXPECT_EQ(tags->type, Type::String().AsList());
  EXPECT_FALSE(tags->has_presence);
  EXPECT_EQ(r.FindField("nope"), nullptr);
  EXPECT_TRUE(r.FindField("child")->has_presence);

  const EnumType& e = schema.enum_type(status);
  EXPECT_TRUE(e.zero_is_unknown);
  ASSERT_NE(e.NameOf(2), nullptr);
  EXPECT_EQ(*e.NameOf(2), "SHUT");
  EXPECT_EQ(e.NameOf(7), nullptr);
  int32_t number = -1;
  EXPECT_TRUE(e.NumberOf("OPEN", &number));
  EXPECT_EQ(number, 1);
  EXPECT_FALSE(e.NumberOf("open", &number));
}

TEST(FactSchemaBuilderTest, ZeroIsUnknownDefaultsToFalse) {
  FactSchemaBuilder b;
  b.AddMessage("t.Root");
  b.AddEnum("t.E", {{"A", 0}});
  auto built = std::move(b).Build(0);
  ASSERT_TRUE(built.ok());
  EXPECT_FALSE((*built)->enum_type(0).zero_is_unknown);
}

TEST(FactSchemaBuilderTest, EnumNameOfAliasIsFirstDeclared) {
  EnumType e;
  e.values = {{"FIRST", 1}, {"ALIAS", 1}};
  ASSERT_NE(e.NameOf(1), nullptr);
  EXPECT_EQ(*e.NameOf(1), "FIRST");
}

TEST(FactSchemaBuilderTest, FindFieldWorksOnHandBuiltMessageType) {
  MessageType m;
  m.fields.push_back({"a", 0, Type::Int(), false});
  m.fields.push_back({"b", 1, Type::Bool(), false});
  ASSERT_NE(m.FindField("b"), nullptr);
  EXPECT_EQ(m.FindField("b")->index, 1);
  EXPECT_EQ(m.FindField("c"), nullptr);
}

TEST(FactSchemaBuilderTest, RejectsMissingRoot) {
  FactSchemaBuilder none;
  EXPECT_THAT(BuildStatus(std::move(none), 0), IsInvalid("root message 0"));
  FactSchemaBuilder b;
  b.AddMessage("t.Root");
  EXPECT_THAT(BuildStatus(b, -1), IsInvalid("root message -1"));
  EXPECT_THAT(BuildStatus(b, 1), IsInvalid("root message 1"));
  EXPECT_TRUE(BuildStatus(b, 0).ok());
}

TEST(FactSchemaBuilderTest, RejectsDuplicateFieldNames) {
  FactSchemaBuilder b;
  const int32_t m = b.AddMessage("t.Root");
  b.AddField(m, "x", Type::Int(), false);
  b.AddField(m, "x", Type::Bool(), false);
  EXPECT_THAT(BuildStatus(b), IsInvalid("'t.Root' has two fields named 'x'"));
}

TEST(FactSchemaBuilderTest, SameFieldNameInTwoMessagesIsFine) {
  FactSchemaBuilder b;
  const int32_t a = b.AddMessage("t.A");
  const int32_t c = b.AddMessage("t.C");
  b.AddField(a, "x", Type::Int(), false);
  b.AddField(c, "x", Type::Int(), false);
  EXPECT_TRUE(BuildStatus(b).ok());
}

TEST(FactSchemaBuilderTest, RejectsEmptyNames) {
  FactSchemaBuilder field;
  field.AddField(field.AddMessage("t.Root"), "", Type::Int(), false);
  EXPECT_THAT(BuildStatus(field), IsInvalid("has a field with no name"));
  FactSchemaBuilder message;
  message.AddMessage("");
  EXPECT_THAT(BuildStatus(message), IsInvalid("a message has no name"));
  FactSchemaBuilder value;
  value.AddMessage("t.Root");
  value.AddEnum("t.E", {{"", 0}});
  EXPECT_THAT(BuildStatus(value), IsInvalid("has a value with no name"));
}

TEST(FactSchemaBuilderTest, RejectsDanglingEnumReference) {
  FactSchemaBuilder b;
  const int32_t m = b.AddMessage("t.Root");
  b.AddEnum("t.E", {{"A", 0}});
  b.AddField(m, "e", Type::Enum(1), false);
  EXPECT_THAT(BuildStatus(b), IsInvalid("'t.Root.e' refers to enum 1"));
  FactSchemaBuilder negative;
  negative.AddField(negative.AddMessage("t.Root"), "e", Type::Enum(-1), false);
  EXPECT_THAT(BuildStatus(negative), IsInvalid("refers to enum -1"));
}

TEST(FactSchemaBuilderTest, RejectsDanglingMessageReference) {
  FactSchemaBuilder b;
  const int32_t m = b.AddMessage("t.Root");
  b.AddField(m, "list", Type::Message(3).AsList(), false);
  EXPECT_THAT(BuildStatus(b), IsInvalid("'t.Root.list' refers to message 3"));
}

TEST(FactSchemaBuilderTest, RejectsDuplicateTypeNames) {
  FactSchemaBuilder messages;
  messages.AddMessage("t.Root");
  messages.AddMessage("t.Root");
  EXPECT_THAT(BuildStatus(messages),
              IsInvalid("type name 't.Root' is defined twice"));
  FactSchemaBuilder enums;
  enums.AddMessage("t.Root");
  enums.AddEnum("t.E", {});
  enums.AddEnum("t.E", {});
  EXPECT_THAT(BuildStatus(enums),
              IsInvalid("type name 't.E' is defined twice"));
  FactSchemaBuilder mixed;
  mixed.AddMessage("t.Root");
  mixed.AddEnum("t.Root", {});
  EXPECT_THAT(BuildStatus(mixed),
              IsInvalid("type name 't.Root' is defined twice"));
}

TEST(FactSchemaBuilderTest, RejectsDuplicateEnumValueNames) {
  FactSchemaBuilder b;
  b.AddMessage("t.Root");
  b.AddEnum("t.E", {{"A", 0}, {"A", 1}});
  EXPECT_THAT(BuildStatus(b), IsInvalid("'t.E' has two values named 'A'"));
  FactSchemaBuilder aliases;  // two names for one number are fine
  aliases.AddMessage("t.Root");
  aliases.AddEnum("t.E", {{"A", 0}, {"B", 0}});
  EXPECT_TRUE(BuildStatus(aliases).ok());
}

TEST(FactSchemaBuilderTest, RejectsMalformedFieldTypes) {
  FactSchemaBuilder error;
  error.AddField(error.AddMessage("t.Root"), "x", Type::Error(), false);
  EXPECT_THAT(BuildStatus(error), IsInvalid("'t.Root.x' has the error type"));
  FactSchemaBuilder scalar_ref;
  scalar_ref.AddField(scalar_ref.AddMessage("t.Root"), "x",
                      Type{TypeKind::kInt, false, 0}, false);
  EXPECT_THAT(BuildStatus(scalar_ref), IsInvalid("is a scalar but refers"));
  FactSchemaBuilder list_presence;
  list_presence.AddField(list_presence.AddMessage("t.Root"), "x",
                         Type::Int().AsList(), true);
  EXPECT_THAT(BuildStatus(list_presence),
              IsInvalid("repeated field 't.Root.x' cannot have presence"));
}

TEST(FactSchemaBuilderTest, ReportsMisuseAtBuild) {
  FactSchemaBuilder field;
  field.AddMessage("t.Root");
  field.AddField(4, "x", Type::Int(), false);
  EXPECT_THAT(BuildStatus(field), IsInvalid("added to message 4"));
  FactSchemaBuilder zero;
  zero.AddMessage("t.Root");
  zero.SetZeroIsUnknown(0, true);
  EXPECT_THAT(BuildStatus(zero), IsInvalid("SetZeroIsUnknown on enum 0"));
}

TEST(FactRecordTest, SetReplacesAndAppendAccumulates) {
  FactRecord record(0, 3);
  EXPECT_EQ(record.message_type(), 0);
  EXPECT_EQ(record.field_count(), 3);
  EXPECT_FALSE(record.slot(0).set);
  EXPECT_TRUE(record.slot(0).values.empty());

  record.Set(0, int64_t{4});
  record.Set(0, int64_t{5});
  ASSERT_TRUE(record.slot(0).set);
  ASSERT_EQ(record.slot(0).values.size(), 1u);
  EXPECT_EQ(std::get<int64_t>(record.slot(0).values[0]), 5);

  record.Append(1, std::string("a"));
  record.Append(1, std::string("b"));
  ASSERT_EQ(record.slot(1).values.size(), 2u);
  EXPECT_EQ(std::get<std::string>(record.slot(1).values[1]), "b");

  auto nested = std::make_unique<FactRecord>(1, 1);
  nested->Set(0, true);
  record.Set(2, std::move(nested));
  const auto& held =
      std::get<std::unique_ptr<FactRecord>>(record.slot(2).values[0]);
  EXPECT_TRUE(std::get<bool>(held->slot(0).values[0]));
}

TEST(TypeNameTest, NamesEveryKind) {
  FactSchemaBuilder b;
  const int32_t root = b.AddMessage("t.Root");
  const int32_t e = b.AddEnum("t.Status", {{"A", 0}});
  auto built = std::move(b).Build(root);
  ASSERT_TRUE(built.ok());
  const FactSchema* s = built->get();
  EXPECT_EQ(TypeName(Type::Bool(), s), "bool");
  EXPECT_EQ(TypeName(Type::Int(), s), "int");
  EXPECT_EQ(TypeName(Type::Double(), s), "double");
  EXPECT_EQ(TypeName(Type::String(), s), "string");
  EXPECT_EQ(TypeName(Type::Timestamp(), s), "timestamp");
  EXPECT_EQ(TypeName(Type::Duration(), s), "duration");
  EXPECT_EQ(TypeName(Type::Enum(e), s), "t.Status");
  EXPECT_EQ(TypeName(Type::Message(root), s), "t.Root");
  EXPECT_EQ(TypeName(Type::String().AsList(), s), "list(string)");
  EXPECT_EQ(TypeName(Type::Message(root).AsList(), s), "list(t.Root)");
  EXPECT_EQ(TypeName(Type::Error(), s), "<error>");
  EXPECT_EQ(TypeName(Type::Error().AsList(), s), "<error>");
}

TEST(TypeNameTest, WithoutSchemaPrintsIndices) {
  EXPECT_EQ(TypeName(Type::Int(), nullptr), "int");
  EXPECT_EQ(TypeName(Type::Enum(3), nullptr), "enum#3");
  EXPECT_EQ(TypeName(Type::Message(2).AsList(), nullptr), "list(message#2)");
}

}  // namespace
}  // namespace lantern
