// Tests for engine/lang/checker.h: name resolution, typing, enum and time
// literal rewriting, built-in functions, and the exact position and text of
// every diagnostic. The schema is built by hand in the shape of
// proto/lantern/testing/v1/example_facts.proto.
#include "engine/lang/checker.h"

#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/time/time.h"
#include "engine/facts/schema.h"
#include "engine/facts/types.h"
#include "engine/lang/ast.h"
#include "engine/lang/diagnostics.h"
#include "engine/lang/parser.h"
#include "engine/lang/source_text.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lantern {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr char kFile[] = "rules/t.yaml";

// Indices fixed by the order of AddMessage / AddEnum / AddField below.
struct Ids {
  int32_t root, child, episode, found, associate;
  int32_t care_status, episode_status, location_type;
};

Ids& SchemaIds() {
  static Ids ids;
  return ids;
}

std::shared_ptr<const FactSchema> BuildSchema() {
  FactSchemaBuilder b;
  Ids& ids = SchemaIds();
  ids.root = b.AddMessage("lantern.testing.v1.ExampleFacts");
  ids.child = b.AddMessage("lantern.testing.v1.Child");
  ids.episode = b.AddMessage("lantern.testing.v1.Episode");
  ids.found = b.AddMessage("lantern.testing.v1.Found");
  ids.associate = b.AddMessage("lantern.testing.v1.Associate");
  ids.care_status = b.AddEnum("lantern.testing.v1.CareStatus",
                              {{"CARE_STATUS_UNSPECIFIED", 0},
                               {"CARE_STATUS_NONE", 1},
                               {"CHILD_IN_NEED", 2},
                               {"CHILD_PROTECTION_PLAN", 3},
                               {"LOOKED_AFTER", 4}});
  ids.episode_status = b.AddEnum("lantern.testing.v1.EpisodeStatus",
                                 {{"EPISODE_STATUS_UNSPECIFIED", 0},
                                  {"MISSING", 1},
                                  {"AWAY_WITHOUT_AUTHORISATION", 2},
                                  {"RETURNED", 3}});
  // LocationType keeps its zero as an ordinary value (zero_is_unknown off).
  ids.location_type = b.AddEnum("lantern.testing.v1.LocationType",
                                {{"LOCATION_TYPE_UNSPECIFIED", 0},
                                 {"HOME", 1},
                                 {"FRIEND", 2},
                                 {"STREET", 3},
                                 {"STATION", 4},
                                 {"HOTEL", 5},
                                 {"EXPLOITATION_ADDRESS", 6}});
  b.SetZeroIsUnknown(ids.care_status, true);
  b.SetZeroIsUnknown(ids.episode_status, true);

  b.AddField(ids.root, "child", Type::Message(ids.child), true);
  b.AddField(ids.root, "episode", Type::Message(ids.episode), true);
  b.AddField(ids.root, "episodes_last_90d", Type::Int(), true);

  b.AddField(ids.child, "age_years", Type::Int(), true);
  b.AddField(ids.child, "age_disputed", Type::Bool(), true);
  b.AddField(ids.child, "care_status", Type::Enum(ids.care_status), false);
  b.AddField(ids.child, "markers", Type::String().AsList(), false);
  b.AddField(ids.child, "height_m", Type::Double(), true);

  b.AddField(ids.episode, "status", Type::Enum(ids.episode_status), false);
  b.AddField(ids.episode, "reported_at", Type::Timestamp(), true);
  b.AddField(ids.episode, "found_at", Type::Timestamp(), true);
  b.AddField(ids.episode, "delay_before_report", Type::Duration(), true);
  b.AddField(ids.episode, "found", Type::Message(ids.found), true);
  b.AddField(ids.episode, "observed", Type::String().AsList(), false);
  b.AddField(ids.episode, "narrative", Type::String(), true);
  b.AddField(ids.episode, "out_of_character", Type::Bool(), true);
  b.AddField(ids.episode, "statuses", Type::Enum(ids.episode_status).AsList(),
             false);

  b.AddField(ids.found, "location", Type::Enum(ids.location_type), false);
  b.AddField(ids.found, "distance_km", Type::Double(), true);
  b.AddField(ids.found, "with", Type::Message(ids.associate).AsList(), false);

  b.AddField(ids.associate, "age_years", Type::Int(), true);
  b.AddField(ids.associate, "known_to_police", Type::Bool(), true);
  b.AddField(ids.associate, "also_missing", Type::Bool(), true);
  b.AddField(ids.associate, "relationship", Type::String(), false);
  b.AddField(ids.associate, "times_seen", Type::Int(), false);
  b.AddField(ids.associate, "contacts", Type::Int(), false);

  auto schema = std::move(b).Build(ids.root);
  EXPECT_TRUE(schema.ok()) << schema.status();
  return schema.ok() ? *schema : nullptr;
}

const FactSchema& Schema() {
  static const std::shared_ptr<const FactSchema> schema = BuildSchema();
  return *schema;
}

const Ids& TypeIds() {
  Schema();
  return SchemaIds();
}

ConstantDef Constant(std::string name, Type type,
                     std::vector<LiteralValue> values) {
  return ConstantDef{std::move(name), SourceLocation{"rules/c.yaml", 3, 3},
                     type, std::move(values)};
}

const std::vector<ConstantDef>& Constants() {
  static const auto* constants = new std::vector<ConstantDef>{
      Constant("MIN_AGE", Type::Int(), {int64_t{18}}),      // 0
      Constant("RISKY_LOCATIONS", Type::String().AsList(),  // 1
               {std::string("STREET"), std::string("HOTEL")}),
      Constant(
          "BAD_LOCATIONS", Type::String().AsList(),  // 2
          {std::string("STRET"), std::string("HOTEL"), std::string("MOTEL")}),
      Constant("CSE_MARKERS", Type::String().AsList(),  // 3
               {std::string("CSE_RISK")}),
      Constant("LONG_DELAY", Type::Duration(), {absl::Hours(72)}),  // 4
      Constant("STATUS_OF_INTEREST", Type::String(),                // 5
               {std::string("MISSING")}),
      Constant("AGES", Type::Int().AsList(), {int64_t{1}, int64_t{2}}),  // 6
  };
  return *constants;
}

const std::vector<std::string>& RuleIds() {
  static const auto* ids = new std::vector<std::string>{
      "cse.grooming", "cse.older_associate", "missing.repeat"};
  return *ids;
}

const std::vector<std::string>& Concerns() {
  static const auto* concerns = new std::vector<std::string>{"CSE", "CCE"};
  return *concerns;
}

CheckEnv RuleEnv() {
  CheckEnv env;
  env.schema = &Schema();
  env.constants = &Constants();
  return env;
}

CheckEnv PolicyEnv() {
  CheckEnv env = RuleEnv();
  env.policy_stage = true;
  env.rule_ids = &RuleIds();
  env.concerns = &Concerns();
  return env;
}

struct Checked {
  SourceText source;
  std::unique_ptr<Expr> expr;
  Type type;
  Diagnostics diagnostics;

  std::vector<std::string> Errors() const {
    std::vector<std::string> out;
    for (const Diagnostic& d : diagnostics.list()) out.push_back(d.ToString());
    return out;
  }
};

Checked CheckSource(SourceText source, const CheckEnv& env, Type expected) {
  Checked c{std::move(source), nullptr, Type::Error(), Diagnostics()};
  c.expr = ParseExpression(c.source, &c.diagnostics);
  EXPECT_NE(c.expr, nullptr) << c.diagnostics.ToString();
  EXPECT_FALSE(c.diagnostics.has_errors()) << c.diagnostics.ToString();
  if (c.expr == nullptr) return c;
  c.type =
      CheckExpression(env, c.source, expected, c.expr.get(), &c.diagnostics);
  return c;
}

Checked Check(std::string text, const CheckEnv& env = RuleEnv(),
              Type expected = Type::Bool()) {
  return CheckSource(SourceText::FromString(kFile, std::move(text)), env,
                     expected);
}

// The single error of checking `text` (a rule condition), or the list.
std::vector<std::string> ErrorsOf(std::string text,
                                  const CheckEnv& env = RuleEnv(),
                                  Type expected = Type::Bool()) {
  return Check(std::move(text), env, expected).Errors();
}

std::string Err(int column, const std::string& message) {
  return std::string(kFile) + ":1:" + std::to_string(column) +
         ": error: " + message;
}

const Expr& Arg(const Expr& e, size_t i) { return *e.args.at(i); }

// ---------------------------------------------------------------------------
// Names and fields.

TEST(Checker, ResolvesRootAndNestedFields) {
  Checked c = Check("child.age_years >= 16");
  ASSERT_THAT(c.Errors(), IsEmpty());
  EXPECT_EQ(c.type, Type::Bool());
  const Expr& select = Arg(*c.expr, 0);
  EXPECT_EQ(select.kind, ExprKind::kSelect);
  EXPECT_EQ(select.resolution, Resolution::kField);
  EXPECT_EQ(select.field, 0);  // Child.age_years
  EXPECT_EQ(select.type, Type::Int());
  const Expr& root = Arg(select, 0);
  EXPECT_EQ(root.resolution, Resolution::kField);
  EXPECT_EQ(root.field, 0);  // ExampleFacts.child
  EXPECT_EQ(root.type, Type::Message(TypeIds().child));
  EXPECT_EQ(Arg(*c.expr, 1).type, Type::Int());
}

TEST(Checker, ResolvesDeepFieldIndices) {
  Checked c = Check("episode.found.distance_km > 2.5");
  ASSERT_THAT(c.Errors(), IsEmpty());
  const Expr& distance = Arg(*c.expr, 0);
  EXPECT_EQ(distance.field, 1);                  // Found.distance_km
  EXPECT_EQ(Arg(distance, 0).field, 4);          // Episode.found
  EXPECT_EQ(Arg(Arg(distance, 0), 0).field, 1);  // ExampleFacts.episode
  EXPECT_EQ(distance.type, Type::Double());
}

TEST(Checker, ResolvesConstants) {
  Checked c = Check("child.age_years < MIN_AGE");
  ASSERT_THAT(c.Errors(), IsEmpty());
  const Expr& constant = Arg(*c.expr, 1);
  EXPECT_EQ(constant.resolution, Resolution::kConstant);
  EXPECT_EQ(constant.slot, 0);
  EXPECT_EQ(constant.type, Type::Int());
}

TEST(Checker, RootFieldsComeBeforeConstants) {
  Checked c = Check("episodes_last_90d > 2");
  ASSERT_THAT(c.Errors(), IsEmpty());
  EXPECT_EQ(Arg(*c.expr, 0).resolution, Resolution::kField);
  EXPECT_EQ(Arg(*c.expr, 0).field, 2);
}

TEST(Checker, ResolvesIterationVariablesInnermostFirst) {
  Checked c = Check(
      "episode.found.with.exists(a, child.markers.exists(m, "
      "m == a.relationship))");
  ASSERT_THAT(c.Errors(), IsEmpty());
  const Expr& outer = *c.expr;
  EXPECT_EQ(outer.kind, ExprKind::kComprehension);
  EXPECT_EQ(outer.resolution, Resolution::kFunction);
  EXPECT_EQ(outer.function, Function::kExists);
  const Expr& inner = Arg(outer, 1);
  EXPECT_EQ(inner.function, Function::kExists);
  const Expr& eq = Arg(inner, 1);
  const Expr& m = Arg(eq, 0);
  EXPECT_EQ(m.resolution, Resolution::kIterVar);
  EXPECT_EQ(m.slot, 0);
  EXPECT_EQ(m.type, Type::String());
  const Expr& a = Arg(Arg(eq, 1), 0);
  EXPECT_EQ(a.resolution, Resolution::kIterVar);
  EXPECT_EQ(a.slot, 1);
  EXPECT_EQ(a.type, Type::Message(TypeIds().associate));
  EXPECT_EQ(Arg(eq, 1).field, 3);  // Associate.relationship
}

TEST(Checker, IterationVariableIsOutOfScopeAfterItsComprehension) {
  EXPECT_THAT(ErrorsOf("child.markers.exists(m, m == \"X\") && m == \"Y\""),
              ElementsAre(Err(38,
                              "unknown name 'm': not a field of "
                              "lantern.testing.v1.ExampleFacts or a "
                              "constant")));
}

TEST(Checker, AssignsPreOrderIds) {
  Checked c = Check("child.age_years > 3 && !has(episode.found)");
  ASSERT_THAT(c.Errors(), IsEmpty());
  const Expr& e = *c.expr;  // (&& (> child.age_years 3) (! (has ...)))
  EXPECT_EQ(e.id, 0);
  EXPECT_EQ(Arg(e, 0).id, 1);
  EXPECT_EQ(Arg(Arg(e, 0), 0).id, 2);
  EXPECT_EQ(Arg(Arg(Arg(e, 0), 0), 0).id, 3);
  EXPECT_EQ(Arg(Arg(e, 0), 1).id, 4);
  EXPECT_EQ(Arg(e, 1).id, 5);
  EXPECT_EQ(Arg(Arg(e, 1), 0).id, 6);
  EXPECT_EQ(Arg(Arg(Arg(e, 1), 0), 0).id, 7);
  EXPECT_EQ(Arg(Arg(Arg(Arg(e, 1), 0), 0), 0).id, 8);
}

TEST(Checker, NumbersFoldedTreesDensely) {
  Checked c = Check(
      "episode.reported_at > timestamp(\"2023-01-30T00:00:00Z\")"
      " && child.age_years > 1");
  ASSERT_THAT(c.Errors(), IsEmpty());
  const Expr& e = *c.expr;
  EXPECT_EQ(Arg(Arg(e, 0), 1).id, 4);  // the folded literal, no children
  EXPECT_EQ(Arg(e, 1).id, 5);
  EXPECT_EQ(Arg(Arg(e, 1), 1).id, 8);
}

TEST(Checker, RejectsUnknownFieldWithSuggestion) {
  EXPECT_THAT(ErrorsOf("episode.found.distnce_km > 2.0"),
              ElementsAre(Err(15,
                              "unknown field 'distnce_km' in message "
                              "lantern.testing.v1.Found; did you mean "
                              "'distance_km'?")));
}

TEST(Checker, RejectsUnknownFieldWithoutSuggestionWhenNothingIsClose) {
  EXPECT_THAT(ErrorsOf("child.shoe_size > 3"),
              ElementsAre(Err(7,
                              "unknown field 'shoe_size' in message "
                              "lantern.testing.v1.Child")));
}

TEST(Checker, RejectsUnknownName) {
  EXPECT_THAT(ErrorsOf("FOO > 3"),
              ElementsAre(Err(1,
                              "unknown name 'FOO': not a field of "
                              "lantern.testing.v1.ExampleFacts or a "
                              "constant")));
}

TEST(Checker, SuggestsCloseNamesForUnknownNames) {
  EXPECT_THAT(ErrorsOf("child.age_years < MIN_AEG"),
              ElementsAre(Err(19,
                              "unknown name 'MIN_AEG': not a field of "
                              "lantern.testing.v1.ExampleFacts or a constant; "
                              "did you mean 'MIN_AGE'?")));
}

TEST(Checker, RejectsSelectOnRepeatedField) {
  EXPECT_THAT(
      ErrorsOf("episode.found.with.age_years > 18"),
      ElementsAre(Err(20,
                      "cannot select field 'age_years' of a list (repeated "
                      "field 'episode.found.with'); use "
                      "exists()/all()/count()")));
}

TEST(Checker, RejectsSelectOnListConstant) {
  EXPECT_THAT(ErrorsOf("CSE_MARKERS.name == \"x\""),
              ElementsAre(Err(13,
                              "cannot select field 'name' of a list "
                              "(constant 'CSE_MARKERS'); use "
                              "exists()/all()/count()")));
}

TEST(Checker, RejectsSelectOnScalar) {
  EXPECT_THAT(ErrorsOf("child.age_years.value > 3"),
              ElementsAre(Err(17,
                              "cannot select field 'value' of "
                              "'child.age_years', which is int")));
}

// ---------------------------------------------------------------------------
// Enums.

TEST(Checker, RewritesEnumStringLiteral) {
  Checked c = Check("episode.status == \"MISSING\"");
  ASSERT_THAT(c.Errors(), IsEmpty());
  const Expr& literal = Arg(*c.expr, 1);
  EXPECT_EQ(literal.kind, ExprKind::kLiteral);
  EXPECT_EQ(literal.type, Type::Enum(TypeIds().episode_status));
  ASSERT_TRUE(std::holds_alternative<EnumLiteral>(literal.literal));
  EXPECT_EQ(std::get<EnumLiteral>(literal.literal).number, 1);
}

TEST(Checker, RewritesEnumStringLiteralOnTheLeft) {
  Checked c = Check("\"RETURNED\" != episode.status");
  ASSERT_THAT(c.Errors(), IsEmpty());
  const Expr& literal = Arg(*c.expr, 0);
  EXPECT_EQ(literal.type, Type::Enum(TypeIds().episode_status));
  EXPECT_EQ(std::get<EnumLiteral>(literal.literal).number, 3);
}

TEST(Checker, RejectsUnknownEnumValue) {
  EXPECT_THAT(ErrorsOf("episode.status == \"MISING\""),
              ElementsAre(Err(19,
                              "unknown value 'MISING' for enum "
                              "lantern.testing.v1.EpisodeStatus; expected "
                              "one of MISSING, AWAY_WITHOUT_AUTHORISATION, "
                              "RETURNED")));
}

TEST(Checker, RejectsTheUnsetValueOfAnEnumWhoseZeroIsUnknown) {
  EXPECT_THAT(ErrorsOf("episode.status == \"EPISODE_STATUS_UNSPECIFIED\""),
              ElementsAre(Err(19,
                              "'EPISODE_STATUS_UNSPECIFIED' is the unset "
                              "value of enum "
                              "lantern.testing.v1.EpisodeStatus and reads "
                              "as UNKNOWN; expected one of MISSING, "
                              "AWAY_WITHOUT_AUTHORISATION, RETURNED")));
}

TEST(Checker, AcceptsTheZeroValueOfAnOrdinaryEnum) {
  Checked c = Check("episode.found.location == \"LOCATION_TYPE_UNSPECIFIED\"");
  ASSERT_THAT(c.Errors(), IsEmpty());
  EXPECT_EQ(std::get<EnumLiteral>(Arg(*c.expr, 1).literal).number, 0);
}

TEST(Checker, RewritesEnumListLiteralForIn) {
  Checked c = Check("episode.found.location in [\"STREET\", \"HOTEL\"]");
  ASSERT_THAT(c.Errors(), IsEmpty());
  const Expr& list = Arg(*c.expr, 1);
  EXPECT_EQ(list.type, Type::Enum(TypeIds().location_type).AsList());
  EXPECT_EQ(std::get<EnumLiteral>(Arg(list, 0).literal).number, 3);
  EXPECT_EQ(std::get<EnumLiteral>(Arg(list, 1).literal).number, 5);
  EXPECT_EQ(Arg(list, 1).type, Type::Enum(TypeIds().location_type));
}

TEST(Checker, ReportsEachUnknownEnumValueInAList) {
  const std::string expected =
      "; expected one of LOCATION_TYPE_UNSPECIFIED, HOME, FRIEND, STREET, "
      "STATION, HOTEL, EXPLOITATION_ADDRESS";
  EXPECT_THAT(
      ErrorsOf("episode.found.location in [\"STRET\", \"HOTEL\", \"MOTEL\"]"),
      ElementsAre(Err(28,
                      "unknown value 'STRET' for enum "
                      "lantern.testing.v1.LocationType" +
                          expected),
                  Err(46,
                      "unknown value 'MOTEL' for enum "
                      "lantern.testing.v1.LocationType" +
                          expected)));
}

TEST(Checker, RejectsNonLiteralStringsInAnEnumList) {
  EXPECT_THAT(ErrorsOf("episode.status in [\"MISSING\", episode.narrative]"),
              ElementsAre(Err(39,
                              "cannot compare "
                              "lantern.testing.v1.EpisodeStatus with string; "
                              "write the enum value as a string literal")));
}

TEST(Checker, RewritesStringLiteralSoughtInARepeatedEnum) {
  Checked c = Check("\"RETURNED\" in episode.statuses");
  ASSERT_THAT(c.Errors(), IsEmpty());
  EXPECT_EQ(std::get<EnumLiteral>(Arg(*c.expr, 0).literal).number, 3);
}

TEST(Checker, ValidatesListConstantUsedWithEnumButKeepsItString) {
  Checked c = Check("episode.found.location in RISKY_LOCATIONS");
  ASSERT_THAT(c.Errors(), IsEmpty());
  EXPECT_EQ(c.type, Type::Bool());
  const Expr& constant = Arg(*c.expr, 1);
  EXPECT_EQ(constant.resolution, Resolution::kConstant);
  EXPECT_EQ(constant.slot, 1);
  EXPECT_EQ(constant.type, Type::String().AsList());
}

TEST(Checker, ReportsEachBadValueOfAListConstantAtItsUse) {
  const std::string expected =
      "; expected one of LOCATION_TYPE_UNSPECIFIED, HOME, FRIEND, STREET, "
      "STATION, HOTEL, EXPLOITATION_ADDRESS";
  EXPECT_THAT(ErrorsOf("episode.found.location in BAD_LOCATIONS"),
              ElementsAre(Err(27,
                              "constant 'BAD_LOCATIONS': unknown value 'STRET' "
                              "for enum lantern.testing.v1.LocationType" +
                                  expected),
                          Err(27,
                              "constant 'BAD_LOCATIONS': unknown value 'MOTEL' "
                              "for enum lantern.testing.v1.LocationType" +
                                  expected)));
}

TEST(Checker, ValidatesScalarStringConstantComparedWithEnum) {
  Checked c = Check("episode.status == STATUS_OF_INTEREST");
  ASSERT_THAT(c.Errors(), IsEmpty());
  EXPECT_EQ(Arg(*c.expr, 1).type, Type::String());
}

TEST(Checker, RejectsEnumComparedWithNonLiteralString) {
  EXPECT_THAT(ErrorsOf("episode.status == episode.narrative"),
              ElementsAre(Err(16,
                              "cannot compare "
                              "lantern.testing.v1.EpisodeStatus with string; "
                              "write the enum value as a string literal")));
}

TEST(Checker, RejectsEnumInRepeatedStringField) {
  EXPECT_THAT(
      ErrorsOf("episode.status in episode.observed"),
      ElementsAre(Err(16,
                      "cannot look for lantern.testing.v1.EpisodeStatus in "
                      "list(string); write the enum values as string "
                      "literals")));
}

TEST(Checker, RejectsEnumOrdering) {
  EXPECT_THAT(ErrorsOf("episode.status < \"RETURNED\""),
              ElementsAre(Err(16,
                              "operator '<' cannot apply to "
                              "lantern.testing.v1.EpisodeStatus and string; "
                              "enum values are unordered")));
  EXPECT_THAT(ErrorsOf("episode.status >= episode.status"),
              ElementsAre(Err(16,
                              "operator '>=' cannot apply to "
                              "lantern.testing.v1.EpisodeStatus and "
                              "lantern.testing.v1.EpisodeStatus; enum values "
                              "are unordered")));
}

TEST(Checker, RejectsComparingDifferentEnums) {
  EXPECT_THAT(ErrorsOf("episode.status == child.care_status"),
              ElementsAre(Err(16,
                              "cannot compare "
                              "lantern.testing.v1.EpisodeStatus with "
                              "lantern.testing.v1.CareStatus")));
}

// ---------------------------------------------------------------------------
// Time literals.

TEST(Checker, FoldsDurationCallIntoLiteral) {
  Checked c = Check("episode.delay_before_report > duration(\"1h30m\")");
  ASSERT_THAT(c.Errors(), IsEmpty());
  const Expr& literal = Arg(*c.expr, 1);
  EXPECT_EQ(literal.kind, ExprKind::kLiteral);
  EXPECT_EQ(literal.type, Type::Duration());
  EXPECT_THAT(literal.args, IsEmpty());
  EXPECT_EQ(literal.function, Function::kNone);
  ASSERT_TRUE(std::holds_alternative<absl::Duration>(literal.literal));
  EXPECT_EQ(std::get<absl::Duration>(literal.literal), absl::Minutes(90));
  // The span now covers the whole call.
  EXPECT_EQ(c.source.Slice(literal.span.begin, literal.span.end),
            "duration(\"1h30m\")");
}

TEST(Checker, FoldsTimestampCallIntoLiteral) {
  Checked c = Check(
      "episode.reported_at >= timestamp( \"2023-01-30T10:00:00+01:00\" )");
  ASSERT_THAT(c.Errors(), IsEmpty());
  const Expr& literal = Arg(*c.expr, 1);
  EXPECT_EQ(literal.kind, ExprKind::kLiteral);
  EXPECT_EQ(literal.type, Type::Timestamp());
  EXPECT_EQ(std::get<absl::Time>(literal.literal),
            absl::FromCivil(absl::CivilSecond(2023, 1, 30, 9, 0, 0),
                            absl::UTCTimeZone()));
  EXPECT_EQ(c.source.Slice(literal.span.begin, literal.span.end),
            "timestamp( \"2023-01-30T10:00:00+01:00\" )");
}

TEST(Checker, RejectsBadDurationTextAtTheLiteral) {
  EXPECT_THAT(ErrorsOf("episode.delay_before_report > duration(\"72x\")"),
              ElementsAre(Err(40,
                              "invalid duration '72x': expected e.g. "
                              "\"72h\", \"30m\", \"1h30m\", \"7d\"")));
}

TEST(Checker, RejectsBadTimestampTextAtTheLiteral) {
  EXPECT_THAT(ErrorsOf("episode.found_at < timestamp(\"2023-02-30\")"),
              ElementsAre(Err(30,
                              "invalid timestamp '2023-02-30': expected "
                              "RFC 3339, e.g. \"2023-01-30T00:00:00Z\"")));
}

TEST(Checker, RejectsNonLiteralTimeArguments) {
  EXPECT_THAT(ErrorsOf("episode.delay_before_report > "
                       "duration(episode.narrative)"),
              ElementsAre(Err(31, "duration() takes a string literal")));
  EXPECT_THAT(ErrorsOf("episode.found_at < timestamp(3)"),
              ElementsAre(Err(20, "timestamp() takes a string literal")));
}

TEST(Checker, ParsesDurationText) {
  struct Case {
    const char* text;
    absl::Duration want;
  };
  const Case cases[] = {
      {"72h", absl::Hours(72)},
      {"30m", absl::Minutes(30)},
      {"1h30m", absl::Minutes(90)},
      {"90s", absl::Seconds(90)},
      {"7d", absl::Hours(168)},
      {"250ms", absl::Milliseconds(250)},
      {"1.5h", absl::Minutes(90)},
      {"1d2h3m4s5ms", absl::Hours(26) + absl::Minutes(3) + absl::Seconds(4) +
                          absl::Milliseconds(5)},
      {"-2h", -absl::Hours(2)},
      {"0s", absl::ZeroDuration()},
  };
  for (const Case& c : cases) {
    absl::Duration got;
    EXPECT_TRUE(ParseDurationText(c.text, &got)) << c.text;
    EXPECT_EQ(got, c.want) << c.text;
  }
}

TEST(Checker, RejectsBadDurationText) {
  for (const char* text :
       {"", "-", "72", "h", "72x", "1h 30m", " 1h", "1.h", ".5h", "1hh", "+1h",
        "--1h", "1H", "9223372036854775808s", "9223372036854775807d",
        "1h-30m"}) {
    absl::Duration got;
    EXPECT_FALSE(ParseDurationText(text, &got)) << "'" << text << "'";
  }
}

TEST(Checker, ParsesTimestampText) {
  absl::Time got;
  ASSERT_TRUE(ParseTimestampText("2023-01-30T00:00:00Z", &got));
  EXPECT_EQ(got, absl::FromUnixSeconds(1675036800));
  ASSERT_TRUE(ParseTimestampText("2023-01-30T02:00:00.5+02:00", &got));
  EXPECT_EQ(got, absl::FromUnixSeconds(1675036800) + absl::Milliseconds(500));
  for (const char* text :
       {"", "2023-01-30", "2023-01-30T00:00:00", "2023-02-30T00:00:00Z",
        " 2023-01-30T00:00:00Z", "2023-01-30T00:00:00Z ", "infinite-future",
        "yesterday"}) {
    EXPECT_FALSE(ParseTimestampText(text, &got)) << "'" << text << "'";
  }
}

// ---------------------------------------------------------------------------
// Functions.

TEST(Checker, TypesSizeAsFunctionAndMethod) {
  Checked c = Check("size(child.markers) > 0 && episode.narrative.size() > 10");
  ASSERT_THAT(c.Errors(), IsEmpty());
  const Expr& size = Arg(Arg(*c.expr, 0), 0);
  EXPECT_EQ(size.resolution, Resolution::kFunction);
  EXPECT_EQ(size.function, Function::kSize);
  EXPECT_EQ(size.type, Type::Int());
  const Expr& method = Arg(Arg(*c.expr, 1), 0);
  EXPECT_EQ(method.function, Function::kSize);
  EXPECT_TRUE(method.has_target);
}

TEST(Checker, RejectsSizeOfAScalar) {
  EXPECT_THAT(ErrorsOf("size(child.age_years) > 0"),
              ElementsAre(Err(1,
                              "size() takes a list or a string, but got "
                              "int")));
}

TEST(Checker, AcceptsHasOfFieldPaths) {
  Checked c = Check(
      "has(child.age_years) && has(episode) && "
      "episode.found.with.exists(a, has(a.known_to_police))");
  ASSERT_THAT(c.Errors(), IsEmpty());
  EXPECT_EQ(Arg(Arg(*c.expr, 0), 0).function, Function::kHas);
  EXPECT_EQ(Arg(Arg(*c.expr, 0), 0).type, Type::Bool());
}

TEST(Checker, RejectsHasOfNonFieldPath) {
  EXPECT_THAT(ErrorsOf("has(MIN_AGE)"),
              ElementsAre(Err(1, "has() takes a field path")));
  EXPECT_THAT(ErrorsOf("has(child.age_years + 1)"),
              ElementsAre(Err(1, "has() takes a field path")));
  EXPECT_THAT(ErrorsOf("child.markers.exists(m, has(m))"),
              ElementsAre(Err(25, "has() takes a field path")));
}

TEST(Checker, TypesMentions) {
  Checked c = Check("episode.narrative.mentions(\"older boyfriend\")");
  ASSERT_THAT(c.Errors(), IsEmpty());
  EXPECT_EQ(c.expr->function, Function::kMentions);
  EXPECT_EQ(c.type, Type::Bool());
}

TEST(Checker, RejectsBadMentions) {
  EXPECT_THAT(ErrorsOf("child.markers.mentions(\"cse\")"),
              ElementsAre(Err(15,
                              "mentions() needs a string, but "
                              "'child.markers' is list(string)")));
  EXPECT_THAT(ErrorsOf("episode.narrative.mentions(episode.narrative)"),
              ElementsAre(Err(19, "mentions() takes a string literal")));
  const std::string no_word =
      "mentions() phrase must contain a word character (a letter, a digit "
      "or '_')";
  EXPECT_THAT(ErrorsOf("episode.narrative.mentions(\"\")"),
              ElementsAre(Err(28, no_word)));
  EXPECT_THAT(ErrorsOf("episode.narrative.mentions(\" !? \")"),
              ElementsAre(Err(28, no_word)));
  EXPECT_THAT(ErrorsOf("mentions(episode.narrative, \"x\")"),
              ElementsAre(Err(1,
                              "mentions() is a method: write "
                              "x.mentions(...)")));
}

TEST(Checker, TypesComprehensions) {
  Checked c = Check(
      "episode.found.with.count(a, a.known_to_police) >= 2 && "
      "episode.found.with.all(a, a.age_years < 18)");
  ASSERT_THAT(c.Errors(), IsEmpty());
  const Expr& count = Arg(Arg(*c.expr, 0), 0);
  EXPECT_EQ(count.function, Function::kCount);
  EXPECT_EQ(count.type, Type::Int());
  const Expr& all = Arg(*c.expr, 1);
  EXPECT_EQ(all.function, Function::kAll);
  EXPECT_EQ(all.type, Type::Bool());
}

TEST(Checker, RejectsComprehensionOverNonList) {
  EXPECT_THAT(ErrorsOf("episode.found.exists(a, a.distance_km > 1.0)"),
              ElementsAre(Err(15,
                              "exists() needs a list, but "
                              "'episode.found' is "
                              "lantern.testing.v1.Found")));
}

TEST(Checker, RejectsNonBoolComprehensionCondition) {
  EXPECT_THAT(ErrorsOf("episode.found.with.all(a, a.age_years)"),
              ElementsAre(Err(29,
                              "all() condition must be bool, but is "
                              "int")));
}

TEST(Checker, RejectsIterationVariableHidingAFieldOrConstant) {
  EXPECT_THAT(ErrorsOf("episode.found.with.exists(child, child.age_years > "
                       "3)"),
              ElementsAre(Err(27,
                              "comprehension variable 'child' hides "
                              "field 'child' of "
                              "lantern.testing.v1.ExampleFacts; choose "
                              "another name")));
  EXPECT_THAT(ErrorsOf("child.markers.exists(MIN_AGE, MIN_AGE == \"x\")"),
              ElementsAre(Err(22,
                              "comprehension variable 'MIN_AGE' hides "
                              "constant 'MIN_AGE'; choose another "
                              "name")));
  EXPECT_THAT(ErrorsOf("child.markers.exists(m, child.markers.exists(m, "
                       "m == \"x\"))"),
              ElementsAre(Err(46,
                              "comprehension variable 'm' hides an "
                              "enclosing comprehension's variable; "
                              "choose another name")));
}

TEST(Checker, RejectsMacroNamesCalledAsFunctions) {
  EXPECT_THAT(ErrorsOf("exists(child.markers)"),
              ElementsAre(Err(1,
                              "exists() takes a variable and a condition: "
                              "write list.exists(x, <condition using "
                              "x>)")));
}

TEST(Checker, RejectsUnknownFunction) {
  EXPECT_THAT(ErrorsOf("sise(child.markers) > 1"),
              ElementsAre(Err(1,
                              "unknown function 'sise'; did you mean "
                              "'size'?")));
  EXPECT_THAT(ErrorsOf("child.markers.frobnicate()"),
              ElementsAre(Err(15, "unknown function 'frobnicate'")));
}

TEST(Checker, RejectsWrongCallShape) {
  EXPECT_THAT(ErrorsOf("size(child.markers, 1) > 1"),
              ElementsAre(Err(1, "size() takes 1 argument, but got 2")));
  EXPECT_THAT(ErrorsOf("child.markers.size(1) > 1"),
              ElementsAre(Err(15, "size() takes no arguments, but got 1")));
  EXPECT_THAT(ErrorsOf("episode.found.has()"),
              ElementsAre(Err(15, "has() is not a method: write has(...)")));
  EXPECT_THAT(ErrorsOf("has()"),
              ElementsAre(Err(1, "has() takes 1 argument, but got 0")));
}

TEST(Checker, RejectsPolicyFunctionsOutsidePolicyStage) {
  EXPECT_THAT(ErrorsOf("fired(\"cse.grooming\")"),
              ElementsAre(Err(1,
                              "fired() is only available in policy "
                              "conditions")));
  EXPECT_THAT(ErrorsOf("total_score() > 3"),
              ElementsAre(Err(1,
                              "total_score() is only available in policy "
                              "conditions")));
}

TEST(Checker, TypesPolicyFunctions) {
  Checked c = Check(
      "fired(\"cse.grooming\") && fired(\"missing.*\") && "
      "concern_score(\"CSE\") + total_score() > 10 && "
      "concern_level(\"CCE\") >= 2",
      PolicyEnv());
  ASSERT_THAT(c.Errors(), IsEmpty());
  // (&& (&& (&& fired fired) (> (+ score total) 10)) (>= level 2))
  const Expr& e = *c.expr;
  EXPECT_EQ(Arg(Arg(Arg(e, 0), 0), 0).function, Function::kFired);
  const Expr& sum = Arg(Arg(Arg(e, 0), 1), 0);
  EXPECT_EQ(Arg(sum, 0).function, Function::kConcernScore);
  EXPECT_EQ(Arg(sum, 0).type, Type::Int());
  EXPECT_EQ(Arg(sum, 1).function, Function::kTotalScore);
  EXPECT_EQ(Arg(Arg(e, 1), 0).function, Function::kConcernLevel);
  EXPECT_EQ(Arg(Arg(e, 1), 0).type, Type::Int());
}

TEST(Checker, RejectsFiredPatternsThatMatchNoRule) {
  EXPECT_THAT(ErrorsOf("fired(\"cce.*\")", PolicyEnv()),
              ElementsAre(Err(7, "fired('cce.*') matches no rule")));
  EXPECT_THAT(ErrorsOf("fired(\"cse.groming\")", PolicyEnv()),
              ElementsAre(Err(7,
                              "fired('cse.groming') matches no rule; did "
                              "you mean 'cse.grooming'?")));
  EXPECT_THAT(ErrorsOf("fired(\"cse*\")", PolicyEnv()),
              ElementsAre(Err(7,
                              "fired() takes a rule id or 'prefix.*', not "
                              "'cse*'")));
  EXPECT_THAT(ErrorsOf("fired(MIN_AGE)", PolicyEnv()),
              ElementsAre(Err(1, "fired() takes a string literal")));
}

TEST(Checker, LeavesPolicyNamesUncheckedWithoutLists) {
  CheckEnv env = RuleEnv();
  env.policy_stage = true;  // rule_ids and concerns left null
  EXPECT_THAT(ErrorsOf("fired(\"any.*\") && concern_level(\"ANY\") > 0", env),
              IsEmpty());
}

TEST(Checker, RejectsUnknownConcerns) {
  EXPECT_THAT(ErrorsOf("concern_score(\"CSX\") > 1", PolicyEnv()),
              ElementsAre(Err(15,
                              "unknown concern 'CSX'; expected one of "
                              "CSE, CCE")));
}

// ---------------------------------------------------------------------------
// Operators.

TEST(Checker, MixesIntAndDoubleInArithmeticAndComparisons) {
  Checked c = Check("child.age_years * 1.5 > episode.found.distance_km");
  ASSERT_THAT(c.Errors(), IsEmpty());
  EXPECT_EQ(Arg(*c.expr, 0).type, Type::Double());
  Checked ints = Check("child.age_years % 2 + 1 == 1");
  ASSERT_THAT(ints.Errors(), IsEmpty());
  EXPECT_EQ(Arg(*ints.expr, 0).type, Type::Int());
}

TEST(Checker, ConcatenatesStrings) {
  Checked c = Check("episode.narrative + \"!\" == \"x!\"");
  ASSERT_THAT(c.Errors(), IsEmpty());
  EXPECT_EQ(Arg(*c.expr, 0).type, Type::String());
}

TEST(Checker, TypesTimeArithmetic) {
  Checked due = Check("episode.reported_at + duration(\"72h\")", RuleEnv(),
                      Type::Timestamp());
  ASSERT_THAT(due.Errors(), IsEmpty());
  EXPECT_EQ(due.type, Type::Timestamp());
  Checked c = Check(
      "episode.found_at - episode.reported_at > LONG_DELAY && "
      "episode.found_at - duration(\"1h\") > episode.reported_at && "
      "-episode.delay_before_report + duration(\"2h\") < duration(\"1h\")");
  ASSERT_THAT(c.Errors(), IsEmpty());
  EXPECT_EQ(Arg(Arg(Arg(*c.expr, 0), 0), 0).type, Type::Duration());
}

TEST(Checker, TypesAsOfAsATimestampInEveryStage) {
  Checked c = Check("as_of() - episode.reported_at >= LONG_DELAY");
  ASSERT_THAT(c.Errors(), IsEmpty());
  const Expr& call = Arg(Arg(*c.expr, 0), 0);
  EXPECT_EQ(call.kind, ExprKind::kCall);  // not folded: it varies per request
  EXPECT_EQ(call.function, Function::kAsOf);
  EXPECT_EQ(call.type, Type::Timestamp());
  EXPECT_THAT(Check("as_of() > episode.reported_at", PolicyEnv()).Errors(),
              IsEmpty());
  Checked due =
      Check("as_of() + duration(\"24h\")", PolicyEnv(), Type::Timestamp());
  ASSERT_THAT(due.Errors(), IsEmpty());
  EXPECT_EQ(due.type, Type::Timestamp());
}

TEST(Checker, RejectsMisusedAsOf) {
  EXPECT_THAT(ErrorsOf("as_of(\"2024-01-01T00:00:00Z\") > "
                       "episode.reported_at"),
              ElementsAre(Err(1, "as_of() takes no arguments, but got 1")));
  EXPECT_THAT(
      ErrorsOf("episode.reported_at.as_of() > episode.found_at"),
      ElementsAre(Err(21, "as_of() is not a method: write as_of(...)")));
  EXPECT_THAT(ErrorsOf("as_of() > duration(\"24h\")"),
              ElementsAre(Err(9, "cannot compare timestamp with duration")));
  EXPECT_THAT(ErrorsOf("as_of() + as_of() > episode.reported_at"),
              ElementsAre(Err(9,
                              "operator '+' cannot apply to timestamp and "
                              "timestamp")));
  EXPECT_THAT(ErrorsOf("as_off() > episode.reported_at"),
              ElementsAre(Err(1,
                              "unknown function 'as_off'; did you mean "
                              "'as_of'?")));
}

TEST(Checker, RejectsBadArithmetic) {
  EXPECT_THAT(ErrorsOf("episode.found_at + episode.reported_at > "
                       "episode.found_at"),
              ElementsAre(Err(18,
                              "operator '+' cannot apply to timestamp "
                              "and timestamp")));
  EXPECT_THAT(ErrorsOf("episode.narrative - \"x\" == \"\""),
              ElementsAre(Err(19,
                              "operator '-' cannot apply to string and "
                              "string")));
  EXPECT_THAT(ErrorsOf("child.markers + child.markers == child.markers"),
              ElementsAre(Err(15,
                              "operator '+' cannot apply to list(string) "
                              "and list(string)")));
}

TEST(Checker, RejectsComparingDifferentTypes) {
  EXPECT_THAT(ErrorsOf("child.age_years == \"ten\""),
              ElementsAre(Err(17, "cannot compare int with string")));
  EXPECT_THAT(ErrorsOf("child.age_years < episode.narrative"),
              ElementsAre(Err(17, "cannot compare int with string")));
  EXPECT_THAT(ErrorsOf("episode.found_at > LONG_DELAY"),
              ElementsAre(Err(18, "cannot compare timestamp with duration")));
}

TEST(Checker, RejectsOrderingBools) {
  EXPECT_THAT(ErrorsOf("child.age_disputed > false"),
              ElementsAre(Err(20,
                              "operator '>' cannot apply to bool and "
                              "bool")));
}

TEST(Checker, RejectsEqualityOfMessagesAndLists) {
  EXPECT_THAT(ErrorsOf("episode.found == episode.found"),
              ElementsAre(Err(15,
                              "operator '==' cannot apply to "
                              "lantern.testing.v1.Found and "
                              "lantern.testing.v1.Found; compare fields "
                              "or elements instead")));
}

TEST(Checker, RejectsNonBoolLogic) {
  EXPECT_THAT(ErrorsOf("child.age_years && true"),
              ElementsAre(Err(17,
                              "operator '&&' cannot apply to int and "
                              "bool")));
  EXPECT_THAT(ErrorsOf("!child.age_years"),
              ElementsAre(Err(1, "operator '!' cannot apply to int")));
  EXPECT_THAT(ErrorsOf("-episode.found_at > episode.found_at"),
              ElementsAre(Err(1, "operator '-' cannot apply to timestamp")));
}

TEST(Checker, TypesMembership) {
  ASSERT_THAT(ErrorsOf("\"CSE_RISK\" in child.markers && child.age_years in "
                       "[12, 13.5] && child.age_years in AGES"),
              IsEmpty());
  Checked c = Check("child.age_years in [12, 13.5]");
  EXPECT_EQ(Arg(*c.expr, 1).type, Type::Double().AsList());
}

TEST(Checker, RejectsBadMembership) {
  EXPECT_THAT(ErrorsOf("child.age_years in child.markers"),
              ElementsAre(Err(17, "cannot look for int in list(string)")));
  EXPECT_THAT(ErrorsOf("\"x\" in episode.narrative"),
              ElementsAre(Err(5,
                              "operator 'in' needs a list on the right, "
                              "but got string")));
  EXPECT_THAT(ErrorsOf("child.markers in child.markers"),
              ElementsAre(Err(15,
                              "operator 'in' cannot apply to "
                              "list(string) and list(string)")));
}

TEST(Checker, RejectsBadListLiterals) {
  EXPECT_THAT(ErrorsOf("child.age_years in []"),
              ElementsAre(Err(20,
                              "empty list literal: its element type "
                              "cannot be known")));
  EXPECT_THAT(ErrorsOf("child.age_years in [1, \"two\", 3]"),
              ElementsAre(Err(24,
                              "list element is string, but the first "
                              "element is int")));
  EXPECT_THAT(ErrorsOf("episode.found in [episode.found]"),
              ElementsAre(Err(27,
                              "a list literal holds scalar values, not "
                              "lantern.testing.v1.Found")));
}

// ---------------------------------------------------------------------------
// Error reporting.

TEST(Checker, ReportsEachMistakeOnce) {
  // The unknown field poisons everything above it without further messages.
  EXPECT_THAT(ErrorsOf("(child.agee + 1) * 2 > \"x\" && !(child.agee in [1])"),
              ElementsAre(Err(8,
                              "unknown field 'agee' in message "
                              "lantern.testing.v1.Child"),
                          Err(39,
                              "unknown field 'agee' in message "
                              "lantern.testing.v1.Child")));
}

TEST(Checker, ReportsEveryProblem) {
  Checked c = Check(
      "episode.status == \"MISING\" || child.age_yeers > 3 || "
      "episode.narrative > 3");
  EXPECT_EQ(c.type, Type::Error());
  EXPECT_THAT(
      c.Errors(),
      ElementsAre(Err(19,
                      "unknown value 'MISING' for enum "
                      "lantern.testing.v1.EpisodeStatus; expected one of "
                      "MISSING, AWAY_WITHOUT_AUTHORISATION, RETURNED"),
                  Err(37,
                      "unknown field 'age_yeers' in message "
                      "lantern.testing.v1.Child; did you mean "
                      "'age_years'?"),
                  Err(72, "cannot compare string with int")));
}

TEST(Checker, RequiresTheExpectedRootType) {
  EXPECT_THAT(ErrorsOf("child.age_years + 1"),
              ElementsAre(Err(17, "condition must be bool, but is int")));
  EXPECT_THAT(ErrorsOf("episode.reported_at > episode.found_at", RuleEnv(),
                       Type::Timestamp()),
              ElementsAre(Err(21,
                              "expression must be timestamp, but is "
                              "bool")));
  Checked c = Check("child.age_years + 1", RuleEnv(), Type::Error());
  EXPECT_THAT(c.Errors(), IsEmpty());
  EXPECT_EQ(c.type, Type::Int());
}

TEST(Checker, ReturnsErrorTypeWhenAnythingIsWrong) {
  Checked c = Check("episode.found.location in BAD_LOCATIONS || true");
  EXPECT_EQ(c.type, Type::Error());
  EXPECT_EQ(c.diagnostics.error_count(), 2);
}

TEST(Checker, PointsIntoMultiLineSources) {
  const std::string text =
      "child.age_years > 3 &&\n"
      "  episode.statuss == \"MISSING\" &&\n"
      "    episode.delay_before_report > duration(\"3 days\")";
  Checked c = CheckSource(SourceText::FromString(kFile, text, 7, 5), RuleEnv(),
                          Type::Bool());
  EXPECT_THAT(
      c.Errors(),
      ElementsAre("rules/t.yaml:8:11: error: unknown field 'statuss' in "
                  "message lantern.testing.v1.Episode; did you mean "
                  "'status'?",
                  "rules/t.yaml:9:44: error: invalid duration '3 days': "
                  "expected e.g. \"72h\", \"30m\", \"1h30m\", \"7d\""));
}

}  // namespace
}  // namespace lantern
