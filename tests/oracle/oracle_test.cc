// Tests of the test oracle (tests/oracle/oracle.h): every
// operator, Kleene logic with ERROR above UNKNOWN, unknown paths, has(),
// mentions(), comprehensions, evidence (condition text, offsets, readings), the
// policy functions and EvaluateValue. Expressions go through the real parser
// and checker against a hand-built schema shaped like
// proto/lantern/testing/v1/example_facts.proto.
#include "tests/oracle/oracle.h"

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "engine/facts/facts.h"
#include "engine/facts/schema.h"
#include "engine/lang/checker.h"
#include "engine/lang/diagnostics.h"
#include "engine/lang/parser.h"
#include "engine/lang/source_text.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/printers.h"

namespace lantern {

namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// Enum numbers of the test schema.
constexpr int32_t kLookedAfter = 4;
constexpr int32_t kChildInNeed = 2;
constexpr int32_t kMissing = 1;
constexpr int32_t kHotel = 5;

absl::Time Ts(const char* text) {
  absl::Time t;
  EXPECT_TRUE(ParseTimestampText(text, &t)) << text;
  return t;
}

// Type indices of the test schema.
struct Refs {
  int32_t root, child, episode, found, associate;
  int32_t care, status, location, priority;
};

Refs AddTypes(FactSchemaBuilder* b) {
  Refs r;
  r.root = b->AddMessage("t.ExampleFacts");
  r.child = b->AddMessage("t.Child");
  r.episode = b->AddMessage("t.Episode");
  r.found = b->AddMessage("t.Found");
  r.associate = b->AddMessage("t.Associate");
  r.care = b->AddEnum("t.CareStatus", {{"CARE_STATUS_UNSPECIFIED", 0},
                                       {"CARE_STATUS_NONE", 1},
                                       {"CHILD_IN_NEED", 2},
                                       {"CHILD_PROTECTION_PLAN", 3},
                                       {"LOOKED_AFTER", 4}});
  r.status = b->AddEnum("t.EpisodeStatus", {{"EPISODE_STATUS_UNSPECIFIED", 0},
                                            {"MISSING", 1},
                                            {"AWAY_WITHOUT_AUTHORISATION", 2},
                                            {"RETURNED", 3}});
  r.location = b->AddEnum("t.LocationType", {{"LOCATION_TYPE_UNSPECIFIED", 0},
                                             {"HOME", 1},
                                             {"FRIEND", 2},
                                             {"STREET", 3},
                                             {"STATION", 4},
                                             {"HOTEL", 5},
                                             {"EXPLOITATION_ADDRESS", 6}});
  // A plain enum: its zero is a real value, not UNKNOWN.
  r.priority = b->AddEnum("t.Priority", {{"NORMAL", 0}, {"URGENT", 1}});
  for (int32_t e : {r.care, r.status, r.location}) {
    b->SetZeroIsUnknown(e, true);
  }
  return r;
}

void AddRootAndChildFields(FactSchemaBuilder* b, const Refs& r) {
  b->AddField(r.root, "child", Type::Message(r.child), true);
  b->AddField(r.root, "episode", Type::Message(r.episode), true);
  b->AddField(r.root, "episodes_last_90d", Type::Int(), true);
  b->AddField(r.root, "priority", Type::Enum(r.priority), false);
  b->AddField(r.child, "age_years", Type::Int(), true);
  b->AddField(r.child, "age_disputed", Type::Bool(), true);
  b->AddField(r.child, "care_status", Type::Enum(r.care), false);
  b->AddField(r.child, "markers", Type::String().AsList(), false);
  b->AddField(r.child, "height_m", Type::Double(), true);
}

void AddEpisodeFields(FactSchemaBuilder* b, const Refs& r) {
  b->AddField(r.episode, "status", Type::Enum(r.status), false);
  b->AddField(r.episode, "reported_at", Type::Timestamp(), true);
  b->AddField(r.episode, "found_at", Type::Timestamp(), true);
  b->AddField(r.episode, "delay_before_report", Type::Duration(), true);
  b->AddField(r.episode, "found", Type::Message(r.found), true);
  b->AddField(r.episode, "observed", Type::String().AsList(), false);
  b->AddField(r.episode, "narrative", Type::String(), true);
  b->AddField(r.episode, "out_of_character", Type::Bool(), true);
  b->AddField(r.found, "location", Type::Enum(r.location), false);
  b->AddField(r.found, "distance_km", Type::Double(), true);
  b->AddField(r.found, "with", Type::Message(r.associate).AsList(), false);
  b->AddField(r.associate, "age_years", Type::Int(), true);
  b->AddField(r.associate, "known_to_police", Type::Bool(), true);
  b->AddField(r.associate, "also_missing", Type::Bool(), true);
  b->AddField(r.associate, "relationship", Type::String(), false);
  b->AddField(r.associate, "times_seen", Type::Int(), false);
  b->AddField(r.associate, "contacts", Type::Int(), false);
}

std::shared_ptr<const FactSchema> BuildSchema() {
  FactSchemaBuilder b;
  const Refs refs = AddTypes(&b);
  AddRootAndChildFields(&b, refs);
  AddEpisodeFields(&b, refs);
  auto schema = std::move(b).Build(refs.root);
  EXPECT_TRUE(schema.ok()) << schema.status();
  return *std::move(schema);
}

struct AssociateSpec {
  std::optional<int64_t> age;
  std::optional<bool> known_to_police;
  std::string relationship;
  std::optional<int64_t> times_seen;
  std::optional<int64_t> contacts;
};

// What the facts hold; std::nullopt leaves a slot empty.
struct Spec {
  bool has_child = true;
  std::optional<int64_t> child_age = 14;
  std::optional<bool> age_disputed = false;
  std::optional<int32_t> care_status = kLookedAfter;
  std::vector<std::string> markers = {"CSE_RISK", "GANG"};
  std::optional<double> height = 1.55;
  bool has_episode = true;
  std::optional<int32_t> status = kMissing;
  std::optional<absl::Time> reported_at = Ts("2023-01-30T10:00:00Z");
  std::optional<absl::Time> found_at;
  std::optional<absl::Duration> delay = absl::Hours(3);
  bool has_found = true;
  std::optional<int32_t> location = kHotel;
  std::optional<double> distance = 12.5;
  std::vector<AssociateSpec> with = {{15, false, "friend", 2, std::nullopt},
                                     {std::nullopt, true, "boyfriend", 5, 0},
                                     {24, std::nullopt, "", 1, 3}};
  std::vector<std::string> observed = {"ALCOHOL"};
  std::optional<std::string> narrative = "Seen at a Trap-House's back door.";
  std::optional<bool> out_of_character = true;
  std::optional<int64_t> episodes_90d = 3;
  std::optional<int32_t> priority;
};

class Builder {
 public:
  explicit Builder(const FactSchema& schema) : schema_(schema) {}

  FactRecord New(const char* message) const {
    const int32_t m = schema_.FindMessage(message);
    return FactRecord(
        m, static_cast<int32_t>(schema_.message_type(m).fields.size()));
  }
  template <typename T>
  void Set(FactRecord* r, const char* field, const std::optional<T>& v) const {
    if (v.has_value()) r->Set(Index(*r, field), FactScalar(*v));
  }
  void SetEnum(FactRecord* r, const char* field,
               std::optional<int32_t> v) const {
    if (v.has_value()) r->Set(Index(*r, field), EnumNumber{*v});
  }
  void SetMessage(FactRecord* r, const char* field, FactRecord m) const {
    r->Set(Index(*r, field), std::make_unique<FactRecord>(std::move(m)));
  }
  void Append(FactRecord* r, const char* field, FactScalar v) const {
    r->Append(Index(*r, field), std::move(v));
  }

 private:
  int32_t Index(const FactRecord& r, const char* field) const {
    const FieldDef* def =
        schema_.message_type(r.message_type()).FindField(field);
    EXPECT_NE(def, nullptr) << field;
    return def->index;
  }
  const FactSchema& schema_;
};

FactRecord BuildAssociate(const Builder& b, const AssociateSpec& a) {
  FactRecord r = b.New("t.Associate");
  b.Set(&r, "age_years", a.age);
  b.Set(&r, "known_to_police", a.known_to_police);
  if (!a.relationship.empty()) {
    b.Set(&r, "relationship", std::optional<std::string>(a.relationship));
  }
  b.Set(&r, "times_seen", a.times_seen);
  b.Set(&r, "contacts", a.contacts);
  return r;
}

FactRecord BuildEpisode(const Builder& b, const Spec& s) {
  FactRecord e = b.New("t.Episode");
  b.SetEnum(&e, "status", s.status);
  b.Set(&e, "reported_at", s.reported_at);
  b.Set(&e, "found_at", s.found_at);
  b.Set(&e, "delay_before_report", s.delay);
  for (const std::string& o : s.observed) b.Append(&e, "observed", o);
  b.Set(&e, "narrative", s.narrative);
  b.Set(&e, "out_of_character", s.out_of_character);
  if (s.has_found) {
    FactRecord f = b.New("t.Found");
    b.SetEnum(&f, "location", s.location);
    b.Set(&f, "distance_km", s.distance);
    for (const AssociateSpec& a : s.with) {
      b.Append(&f, "with", std::make_unique<FactRecord>(BuildAssociate(b, a)));
    }
    b.SetMessage(&e, "found", std::move(f));
  }
  return e;
}

FactRecord BuildFacts(const FactSchema& schema, const Spec& s) {
  Builder b(schema);
  FactRecord root = b.New("t.ExampleFacts");
  if (s.has_child) {
    FactRecord c = b.New("t.Child");
    b.Set(&c, "age_years", s.child_age);
    b.Set(&c, "age_disputed", s.age_disputed);
    b.SetEnum(&c, "care_status", s.care_status);
    for (const std::string& m : s.markers) b.Append(&c, "markers", m);
    b.Set(&c, "height_m", s.height);
    b.SetMessage(&root, "child", std::move(c));
  }
  if (s.has_episode) b.SetMessage(&root, "episode", BuildEpisode(b, s));
  b.Set(&root, "episodes_last_90d", s.episodes_90d);
  b.SetEnum(&root, "priority", s.priority);
  return root;
}

std::vector<ConstantDef> Constants() {
  std::vector<ConstantDef> c(5);
  c[0].name = "LAC_STATUSES";
  c[0].type = Type::String().AsList();
  c[0].values = {std::string("LOOKED_AFTER"),
                 std::string("CHILD_PROTECTION_PLAN")};
  c[1].name = "LAC";
  c[1].type = Type::String();
  c[1].values = {std::string("LOOKED_AFTER")};
  c[2].name = "AGE_LIMIT";
  c[2].type = Type::Int();
  c[2].values = {int64_t{16}};
  c[3].name = "YOUNG_AGES";
  c[3].type = Type::Int().AsList();
  c[3].values = {int64_t{12}, int64_t{13}, int64_t{14}};
  c[4].name = "GRACE";
  c[4].type = Type::Duration();
  c[4].values = {absl::Hours(2)};
  return c;
}

// The as-of time of every evaluation in this file: what as_of() returns.
const absl::Time kAsOf = Ts("2023-02-01T10:00:00Z");

class EvaluatorTest : public ::testing::Test {
 protected:
  EvaluatorTest()
      : schema_(BuildSchema()),
        constants_(Constants()),
        evaluator_(schema_.get(), &constants_, kAsOf) {}

  // Parses and checks `text`; nullptr (with a test failure) on any problem.
  std::unique_ptr<Expr> Compile(const SourceText& source, Type expected,
                                bool policy) {
    Diagnostics diagnostics;
    std::unique_ptr<Expr> expr = ParseExpression(source, &diagnostics);
    CheckEnv env;
    env.schema = schema_.get();
    env.constants = &constants_;
    env.policy_stage = policy;
    if (expr != nullptr) {
      CheckExpression(env, source, expected, expr.get(), &diagnostics);
    }
    if (expr == nullptr || diagnostics.has_errors()) {
      ADD_FAILURE() << source.text() << "\n" << diagnostics.ToString();
      return nullptr;
    }
    return expr;
  }

  ConditionResult Eval(const std::string& text, const Spec& spec = Spec(),
                       const PolicyInputs* policy = nullptr) {
    const SourceText source = SourceText::FromString("test", text);
    std::unique_ptr<Expr> expr =
        Compile(source, Type::Bool(), policy != nullptr);
    if (expr == nullptr) return ConditionResult{Truth::kError, {}, {}, "x"};
    const FactRecord facts = BuildFacts(*schema_, spec);
    return evaluator_.EvaluateCondition(*expr, source, facts, policy);
  }

  Truth TruthOf(const std::string& text, const Spec& spec = Spec()) {
    return Eval(text, spec).truth;
  }

  ValueResult Value(const std::string& text, const Spec& spec = Spec()) {
    const SourceText source = SourceText::FromString("test", text);
    std::unique_ptr<Expr> expr = Compile(source, Type::Error(), false);
    if (expr == nullptr) return ValueResult{Truth::kError, {}, {}, "x"};
    const FactRecord facts = BuildFacts(*schema_, spec);
    return evaluator_.EvaluateValue(*expr, source, facts);
  }

  std::shared_ptr<const FactSchema> schema_;
  std::vector<ConstantDef> constants_;
  ReferenceEvaluator evaluator_;
};

FactReading R(std::string path, std::string value) {
  return FactReading{std::move(path), std::move(value)};
}

AtomEvidence Atom(std::string condition, int32_t offset, Truth truth,
                  std::vector<FactReading> readings) {
  return AtomEvidence{std::move(condition), offset, truth, std::move(readings)};
}

MATCHER_P(HasTruth, truth, "") {
  *result_listener << "truth " << TruthName(arg.truth) << ", error '"
                   << arg.error << "'";
  return arg.truth == truth;
}

// ---------------------------------------------------------------------------

TEST(TruthNameTest, Names) {
  EXPECT_STREQ(TruthName(Truth::kFalse), "FALSE");
  EXPECT_STREQ(TruthName(Truth::kTrue), "TRUE");
  EXPECT_STREQ(TruthName(Truth::kUnknown), "UNKNOWN");
  EXPECT_STREQ(TruthName(Truth::kError), "ERROR");
}

TEST_F(EvaluatorTest, SimpleAtomEvidence) {
  const ConditionResult r = Eval("child.age_years < 16");
  EXPECT_EQ(r.truth, Truth::kTrue);
  EXPECT_THAT(r.reasons,
              ElementsAre(Atom("child.age_years < 16", 0, Truth::kTrue,
                               {R("child.age_years", "14")})));
  EXPECT_THAT(r.unknown_paths, IsEmpty());
  EXPECT_EQ(r.error, "");
}

struct Case {
  const char* text;
  Truth truth;
};

class EvaluatorCasesTest : public EvaluatorTest {
 protected:
  void Expect(const std::vector<Case>& cases, const Spec& spec = Spec()) {
    for (const Case& c : cases) {
      EXPECT_EQ(TruthOf(c.text, spec), c.truth) << c.text;
    }
  }
};

TEST_F(EvaluatorCasesTest, Comparisons) {
  Expect({
      {"child.age_years == 14", Truth::kTrue},
      {"child.age_years != 14", Truth::kFalse},
      {"child.age_years < 14", Truth::kFalse},
      {"child.age_years <= 14", Truth::kTrue},
      {"child.age_years > 13", Truth::kTrue},
      {"child.age_years >= 15", Truth::kFalse},
      {"child.height_m > 1.5", Truth::kTrue},
      {"child.height_m <= 1.55", Truth::kTrue},
      {"child.age_years == 14.0", Truth::kTrue},
      {"child.age_years < 14.5", Truth::kTrue},
      {"14.5 > child.age_years", Truth::kTrue},
      {"child.age_disputed == false", Truth::kTrue},
      {"child.age_disputed != true", Truth::kTrue},
      {"episode.narrative < \"T\"", Truth::kTrue},
      {"\"abc\" < \"abd\"", Truth::kTrue},
      {"\"B\" > \"a\"", Truth::kFalse},  // bytes: 'B' (0x42) < 'a' (0x61)
      {"\"ab\" < \"abc\"", Truth::kTrue},
      {"'x' == \"x\"", Truth::kTrue},
      {"episode.reported_at > timestamp(\"2023-01-01T00:00:00Z\")",
       Truth::kTrue},
      {"episode.reported_at == timestamp(\"2023-01-30T11:00:00+01:00\")",
       Truth::kTrue},
      {"episode.delay_before_report >= duration(\"3h\")", Truth::kTrue},
      {"episode.delay_before_report < duration(\"179m\")", Truth::kFalse},
      {"episode.status == \"MISSING\"", Truth::kTrue},
      {"\"RETURNED\" == episode.status", Truth::kFalse},
      {"child.care_status != \"CHILD_IN_NEED\"", Truth::kTrue},
      {"priority == \"NORMAL\"", Truth::kTrue},
  });
}

TEST_F(EvaluatorCasesTest, InOperator) {
  Expect({
      {"episode.found.location in [\"HOTEL\", \"STATION\"]", Truth::kTrue},
      {"episode.found.location in [\"HOME\"]", Truth::kFalse},
      {"child.age_years in [13, 14]", Truth::kTrue},
      {"child.age_years in [13.5, 14.0]", Truth::kTrue},
      {"child.age_years in [1, 2]", Truth::kFalse},
      {"\"GANG\" in child.markers", Truth::kTrue},
      {"\"gang\" in child.markers", Truth::kFalse},
      {"\"ALCOHOL\" in episode.observed", Truth::kTrue},
      {"child.care_status in LAC_STATUSES", Truth::kTrue},
      {"child.care_status == LAC", Truth::kTrue},
      {"LAC == child.care_status", Truth::kTrue},
      {"child.age_years in YOUNG_AGES", Truth::kTrue},
      {"child.age_years < AGE_LIMIT", Truth::kTrue},
      {"episode.delay_before_report > GRACE", Truth::kTrue},
  });
  Spec s;
  s.care_status = kChildInNeed;
  Expect({{"child.care_status in LAC_STATUSES", Truth::kFalse},
          {"child.care_status == LAC", Truth::kFalse},
          {"child.care_status != LAC", Truth::kTrue}},
         s);
}

TEST_F(EvaluatorCasesTest, Arithmetic) {
  Expect({
      {"child.age_years + 2 == 16", Truth::kTrue},
      {"child.age_years - 20 == -6", Truth::kTrue},
      {"child.age_years * 3 == 42", Truth::kTrue},
      {"child.age_years / 4 == 3", Truth::kTrue},
      {"-child.age_years / 4 == -3", Truth::kTrue},  // truncates
      {"child.age_years % 4 == 2", Truth::kTrue},
      {"-child.age_years % 4 == -2", Truth::kTrue},
      {"-child.age_years == -14", Truth::kTrue},
      {"child.height_m * 2 > 3.0", Truth::kTrue},
      {"child.age_years / 4.0 == 3.5", Truth::kTrue},
      {"child.age_years + 0.5 == 14.5", Truth::kTrue},
      {"7.5 % 2 == 1.5", Truth::kTrue},
      {"-child.height_m < 0", Truth::kTrue},
      {"\"a\" + \"b\" == \"ab\"", Truth::kTrue},
      {"episode.reported_at + duration(\"2h\") == "
       "timestamp(\"2023-01-30T12:00:00Z\")",
       Truth::kTrue},
      {"duration(\"2h\") + episode.reported_at == "
       "timestamp(\"2023-01-30T12:00:00Z\")",
       Truth::kTrue},
      {"episode.reported_at - duration(\"1d\") == "
       "timestamp(\"2023-01-29T10:00:00Z\")",
       Truth::kTrue},
      {"timestamp(\"2023-01-31T00:00:00Z\") - episode.reported_at == "
       "duration(\"14h\")",
       Truth::kTrue},
      {"duration(\"1h\") + duration(\"30m\") == duration(\"90m\")",
       Truth::kTrue},
      {"duration(\"1h\") - episode.delay_before_report == duration(\"-2h\")",
       Truth::kTrue},
      {"-duration(\"1h\") < duration(\"0s\")", Truth::kTrue},
  });
}

TEST_F(EvaluatorTest, IntegerOverflowIsError) {
  ConditionResult r = Eval("episodes_last_90d + 9223372036854775807 > 0");
  EXPECT_EQ(r.truth, Truth::kError);
  EXPECT_EQ(r.error,
            "integer overflow in 'episodes_last_90d + 9223372036854775807'");
  EXPECT_THAT(r.reasons,
              ElementsAre(Atom("episodes_last_90d + 9223372036854775807 > 0", 0,
                               Truth::kError, {R("episodes_last_90d", "3")})));
  EXPECT_THAT(r.unknown_paths, IsEmpty());

  Spec min;
  min.episodes_90d = std::numeric_limits<int64_t>::min();
  EXPECT_EQ(Eval("-episodes_last_90d > 0", min).error,
            "integer overflow in '-episodes_last_90d'");
  EXPECT_EQ(Eval("episodes_last_90d / -1 > 0", min).error,
            "integer overflow in 'episodes_last_90d / -1'");
  EXPECT_EQ(Eval("episodes_last_90d % -1 == 0", min).error,
            "integer overflow in 'episodes_last_90d % -1'");
  EXPECT_EQ(Eval("episodes_last_90d - 1 < 0", min).error,
            "integer overflow in 'episodes_last_90d - 1'");
  EXPECT_EQ(Eval("episodes_last_90d * 2 < 0", min).error,
            "integer overflow in 'episodes_last_90d * 2'");
  EXPECT_EQ(TruthOf("episodes_last_90d + 1 < 0", min), Truth::kTrue);
  EXPECT_EQ(TruthOf("-9223372036854775808 < 0"), Truth::kTrue);
}

TEST_F(EvaluatorTest, DivisionByZeroIsError) {
  EXPECT_EQ(Eval("child.age_years / 0 == 1").error,
            "division by zero in 'child.age_years / 0'");
  // The quoted text keeps the operand's parentheses.
  EXPECT_EQ(Eval("child.age_years % (episodes_last_90d - 3) == 0").error,
            "modulo by zero in 'child.age_years % (episodes_last_90d - 3)'");
  EXPECT_EQ(Eval("child.height_m / 0.0 > 1.0").error,
            "division by zero in 'child.height_m / 0.0'");
  EXPECT_EQ(Eval("(child.height_m) / (0.0) > 1.0").error,
            "division by zero in '(child.height_m) / (0.0)'");
}

TEST_F(EvaluatorTest, KleeneAndWithReasons) {
  const char* unknown =
      "episode.found_at > timestamp(\"2023-01-01T00:00:00Z\")";
  // UNKNOWN && FALSE → FALSE, decided by the FALSE atom only.
  ConditionResult r = Eval(absl::StrCat(unknown, " && child.age_years > 18"));
  EXPECT_EQ(r.truth, Truth::kFalse);
  ASSERT_EQ(r.reasons.size(), 1u);
  EXPECT_EQ(r.reasons[0].condition, "child.age_years > 18");
  EXPECT_EQ(r.reasons[0].offset, 56);
  EXPECT_THAT(r.unknown_paths, IsEmpty());

  // UNKNOWN && TRUE → UNKNOWN, decided by the UNKNOWN atom.
  r = Eval(absl::StrCat(unknown, " && child.age_years < 18"));
  EXPECT_EQ(r.truth, Truth::kUnknown);
  EXPECT_THAT(r.reasons, ElementsAre(Atom(unknown, 0, Truth::kUnknown,
                                          {R("episode.found_at", "unset")})));
  EXPECT_THAT(r.unknown_paths, ElementsAre("episode.found_at"));

  // TRUE && TRUE → both, in source order.
  r = Eval("child.age_years < 18 && episode.status == \"MISSING\"");
  EXPECT_EQ(r.truth, Truth::kTrue);
  EXPECT_THAT(
      r.reasons,
      ElementsAre(Atom("child.age_years < 18", 0, Truth::kTrue,
                       {R("child.age_years", "14")}),
                  Atom("episode.status == \"MISSING\"", 24, Truth::kTrue,
                       {R("episode.status", "MISSING")})));

  // FALSE && FALSE → both FALSE operands.
  r = Eval("child.age_years > 18 && episode.status == \"RETURNED\"");
  EXPECT_EQ(r.truth, Truth::kFalse);
  EXPECT_EQ(r.reasons.size(), 2u);
}

TEST_F(EvaluatorTest, KleeneOrWithReasons) {
  const char* unknown =
      "episode.found_at > timestamp(\"2023-01-01T00:00:00Z\")";
  ConditionResult r = Eval(absl::StrCat(unknown, " || child.age_years < 16"));
  EXPECT_EQ(r.truth, Truth::kTrue);
  ASSERT_EQ(r.reasons.size(), 1u);
  EXPECT_EQ(r.reasons[0].condition, "child.age_years < 16");

  r = Eval(absl::StrCat(unknown, " || child.age_years > 16"));
  EXPECT_EQ(r.truth, Truth::kUnknown);
  ASSERT_EQ(r.reasons.size(), 1u);
  EXPECT_EQ(r.reasons[0].condition, unknown);
  EXPECT_THAT(r.unknown_paths, ElementsAre("episode.found_at"));

  // FALSE || FALSE → both.
  r = Eval("child.age_years > 16 || episode.status == \"RETURNED\"");
  EXPECT_EQ(r.truth, Truth::kFalse);
  EXPECT_EQ(r.reasons.size(), 2u);

  // TRUE || TRUE → every TRUE operand.
  r = Eval("child.age_years < 16 || episode.status == \"MISSING\"");
  EXPECT_EQ(r.truth, Truth::kTrue);
  EXPECT_EQ(r.reasons.size(), 2u);
}

TEST_F(EvaluatorTest, NotKeepsReasons) {
  ConditionResult r = Eval("!(child.age_years > 16)");
  EXPECT_EQ(r.truth, Truth::kTrue);
  EXPECT_THAT(r.reasons,
              ElementsAre(Atom("child.age_years > 16", 2, Truth::kFalse,
                               {R("child.age_years", "14")})));
  Spec s;
  s.child_age.reset();
  r = Eval("!(child.age_years > 16)", s);
  EXPECT_EQ(r.truth, Truth::kUnknown);
  EXPECT_THAT(r.unknown_paths, ElementsAre("child.age_years"));
  EXPECT_EQ(TruthOf("!!(child.age_years > 16)"), Truth::kFalse);
}

TEST_F(EvaluatorTest, ErrorOutranksUnknown) {
  const char* error = "child.age_years / 0 > 1";
  const char* unknown = "episode.found_at > episode.reported_at";
  ConditionResult r = Eval(absl::StrCat(unknown, " && ", error));
  EXPECT_EQ(r.truth, Truth::kError);
  EXPECT_EQ(r.error, "division by zero in 'child.age_years / 0'");
  // Both the UNKNOWN and the ERROR operand are reasons.
  ASSERT_EQ(r.reasons.size(), 2u);
  EXPECT_EQ(r.reasons[0].truth, Truth::kUnknown);
  EXPECT_EQ(r.reasons[1].truth, Truth::kError);
  EXPECT_THAT(r.unknown_paths, IsEmpty());

  EXPECT_EQ(Eval(absl::StrCat(unknown, " || ", error)).truth, Truth::kError);
  EXPECT_EQ(Eval(absl::StrCat(error, " && child.age_years > 18")).truth,
            Truth::kFalse);
  EXPECT_EQ(Eval(absl::StrCat(error, " || child.age_years < 18")).truth,
            Truth::kTrue);
  EXPECT_EQ(Eval(absl::StrCat("!(", error, ")")).truth, Truth::kError);

  // Inside one atom as well: UNKNOWN + ERROR is ERROR.
  Spec s;
  s.child_age.reset();
  r = Eval("child.age_years + episodes_last_90d / 0 > 1", s);
  EXPECT_EQ(r.truth, Truth::kError);
  EXPECT_EQ(r.error, "division by zero in 'episodes_last_90d / 0'");
  // The first error in source order wins.
  r = Eval("child.age_years / 0 > 1 || episodes_last_90d % 0 > 1");
  EXPECT_EQ(r.error, "division by zero in 'child.age_years / 0'");
}

TEST_F(EvaluatorTest, BothSidesAlwaysEvaluated) {
  // Evidence does not depend on operand order.
  const ConditionResult a =
      Eval("child.age_years > 18 && episodes_last_90d > 1");
  const ConditionResult b =
      Eval("episodes_last_90d > 1 && child.age_years > 18");
  ASSERT_EQ(a.reasons.size(), 1u);
  ASSERT_EQ(b.reasons.size(), 1u);
  EXPECT_EQ(a.reasons[0].condition, b.reasons[0].condition);
  EXPECT_EQ(a.reasons[0].readings, b.reasons[0].readings);
}

TEST_F(EvaluatorTest, ConditionTextCollapsesWhitespace) {
  const ConditionResult r =
      Eval("  child.age_years   <\n  16 &&\n\t episode.status ==  'MISSING'");
  EXPECT_EQ(r.truth, Truth::kTrue);
  ASSERT_EQ(r.reasons.size(), 2u);
  EXPECT_EQ(r.reasons[0].condition, "child.age_years < 16");
  EXPECT_EQ(r.reasons[0].offset, 2);
  EXPECT_EQ(r.reasons[1].condition, "episode.status == 'MISSING'");
  EXPECT_EQ(r.reasons[1].offset, 32);
}

TEST_F(EvaluatorTest, ConditionTextCoversBrackets) {
  struct {
    const char* text;
    const char* condition;
    int32_t offset;
  } cases[] = {
      {"(child.age_years + 1) * 2 > 20", "(child.age_years + 1) * 2 > 20", 0},
      {"(child.age_years > 10)", "child.age_years > 10", 1},
      {"((child.age_years)) > 10", "((child.age_years)) > 10", 0},
      {"size(child.markers) >= 2", "size(child.markers) >= 2", 0},
      {"child.markers.size() >= 2", "child.markers.size() >= 2", 0},
      {"has(child.age_years)", "has(child.age_years)", 0},
      {"has( child.age_years )", "has( child.age_years )", 0},
      {"false || episode.narrative.mentions(\"trap house\")",
       "episode.narrative.mentions(\"trap house\")", 9},
      {"episode.found.with.exists(a, a.age_years >= 18)",
       "episode.found.with.exists(a, a.age_years >= 18)", 0},
      {"episode.found.location in [\"HOTEL\", \"STATION\"]",
       "episode.found.location in [\"HOTEL\", \"STATION\"]", 0},
      {"episode.reported_at < timestamp(\"2023-02-01T00:00:00Z\")",
       "episode.reported_at < timestamp(\"2023-02-01T00:00:00Z\")", 0},
      {"!(episode.reported_at < timestamp( \"2023-02-01T00:00:00Z\" ))",
       "episode.reported_at < timestamp( \"2023-02-01T00:00:00Z\" )", 2},
      {"child.age_years in [(13), (14)]", "child.age_years in [(13), (14)]", 0},
      {"\"(\" + \"[\" == \"([\"", "\"(\" + \"[\" == \"([\"", 0},
      {"true", "true", 0},
  };
  for (const auto& c : cases) {
    const ConditionResult r = Eval(c.text);
    ASSERT_EQ(r.reasons.size(), 1u) << c.text;
    EXPECT_EQ(r.reasons[0].condition, c.condition) << c.text;
    EXPECT_EQ(r.reasons[0].offset, c.offset) << c.text;
  }
}

TEST_F(EvaluatorTest, ReadingsInReadOrderWithoutRepeats) {
  ConditionResult r =
      Eval("child.age_years * child.age_years + episodes_last_90d > 100");
  ASSERT_EQ(r.reasons.size(), 1u);
  EXPECT_THAT(r.reasons[0].readings, ElementsAre(R("child.age_years", "14"),
                                                 R("episodes_last_90d", "3")));
  // Constants and literals are not facts.
  r = Eval("child.age_years in YOUNG_AGES");
  EXPECT_THAT(r.reasons[0].readings, ElementsAre(R("child.age_years", "14")));
}

TEST_F(EvaluatorTest, DisplayValues) {
  Spec s;
  s.narrative = "He said \"hi\"\n\tand left\\ \x01";
  s.height = 0.1;
  struct {
    const char* text;
    FactReading reading;
  } cases[] = {
      {"child.height_m > 0.0", R("child.height_m", "0.1")},
      {"child.age_disputed", R("child.age_disputed", "false")},
      {"size(episode.narrative) > 0",
       R("episode.narrative",
         "\"He said \\\"hi\\\"\\n\\tand left\\\\ \\u0001\"")},
      {"episode.reported_at < timestamp(\"2024-01-01T00:00:00Z\")",
       R("episode.reported_at", "2023-01-30T10:00:00Z")},
      {"episode.delay_before_report > duration(\"1h\")",
       R("episode.delay_before_report", "3h")},
      {"child.care_status == \"LOOKED_AFTER\"",
       R("child.care_status", "LOOKED_AFTER")},
      {"priority == \"NORMAL\"", R("priority", "NORMAL")},
      {"size(child.markers) > 0",
       R("child.markers", "[\"CSE_RISK\", \"GANG\"]")},
      {"size(episode.found.with) == 3",
       R("episode.found.with", "[{...}, {...}, {...}]")},
  };
  for (const auto& c : cases) {
    const ConditionResult r = Eval(c.text, s);
    ASSERT_EQ(r.reasons.size(), 1u) << c.text;
    EXPECT_THAT(r.reasons[0].readings, ElementsAre(c.reading)) << c.text;
  }
}

TEST_F(EvaluatorTest, DisplayValuesRoundTripAndFormat) {
  Spec s;
  s.height = 1e21;
  EXPECT_THAT(Eval("child.height_m > 0.0", s).reasons[0].readings,
              ElementsAre(R("child.height_m", "1e+21")));
  s.height = 2.0;
  EXPECT_THAT(Eval("child.height_m > 0.0", s).reasons[0].readings,
              ElementsAre(R("child.height_m", "2")));
  s.height = 1500;
  EXPECT_THAT(Eval("child.height_m > 0.0", s).reasons[0].readings,
              ElementsAre(R("child.height_m", "1500")));
  s.height = 1.0 / 3;
  EXPECT_THAT(Eval("child.height_m > 0.0", s).reasons[0].readings,
              ElementsAre(R("child.height_m", "0.3333333333333333")));
  s.reported_at = Ts("2023-01-30T10:00:00.25Z");
  EXPECT_THAT(
      Eval("episode.reported_at > episode.reported_at", s).reasons[0].readings,
      ElementsAre(R("episode.reported_at", "2023-01-30T10:00:00.25Z")));
  s.delay = absl::Hours(72) + absl::Minutes(3);
  EXPECT_THAT(Eval("episode.delay_before_report > duration(\"1h\")", s)
                  .reasons[0]
                  .readings,
              ElementsAre(R("episode.delay_before_report", "72h3m")));
}

TEST_F(EvaluatorTest, UnsetOptionalScalarIsUnknown) {
  Spec s;
  s.child_age.reset();
  const ConditionResult r = Eval("child.age_years < 16", s);
  EXPECT_EQ(r.truth, Truth::kUnknown);
  EXPECT_THAT(r.reasons,
              ElementsAre(Atom("child.age_years < 16", 0, Truth::kUnknown,
                               {R("child.age_years", "unset")})));
  EXPECT_THAT(r.unknown_paths, ElementsAre("child.age_years"));
}

TEST_F(EvaluatorTest, ReadThroughUnsetMessageNamesTheFullPath) {
  Spec s;
  s.has_child = false;
  ConditionResult r = Eval("child.age_years < 16 || child.age_disputed", s);
  EXPECT_EQ(r.truth, Truth::kUnknown);
  EXPECT_THAT(r.unknown_paths,
              ElementsAre("child.age_disputed", "child.age_years"));
  EXPECT_THAT(r.reasons[0].readings,
              ElementsAre(R("child.age_years", "unset")));

  s = Spec();
  s.has_found = false;
  r = Eval("episode.found.distance_km > 1.0 && episode.status == \"MISSING\"",
           s);
  EXPECT_EQ(r.truth, Truth::kUnknown);
  EXPECT_THAT(r.unknown_paths, ElementsAre("episode.found.distance_km"));
  r = Eval("size(episode.found.with) > 0", s);
  EXPECT_EQ(r.truth, Truth::kUnknown);
  EXPECT_THAT(r.reasons[0].readings,
              ElementsAre(R("episode.found.with", "unset")));
  EXPECT_THAT(r.unknown_paths, ElementsAre("episode.found.with"));
  r = Eval("episode.found.with.exists(a, a.age_years > 1)", s);
  EXPECT_EQ(r.truth, Truth::kUnknown);
  EXPECT_THAT(r.unknown_paths, ElementsAre("episode.found.with"));
}

TEST_F(EvaluatorTest, EnumZeroIsUnknownWhenSchemaSaysSo) {
  Spec s;
  s.care_status = 0;
  ConditionResult r = Eval("child.care_status == \"LOOKED_AFTER\"", s);
  EXPECT_EQ(r.truth, Truth::kUnknown);
  EXPECT_THAT(r.reasons[0].readings,
              ElementsAre(R("child.care_status", "unset")));
  EXPECT_THAT(r.unknown_paths, ElementsAre("child.care_status"));
  s.care_status.reset();  // an empty slot without presence reads zero
  EXPECT_EQ(Eval("child.care_status in LAC_STATUSES", s).truth,
            Truth::kUnknown);
  // An enum whose zero is a real value reads it.
  r = Eval("priority == \"URGENT\"");
  EXPECT_EQ(r.truth, Truth::kFalse);
  EXPECT_THAT(r.reasons[0].readings, ElementsAre(R("priority", "NORMAL")));
}

TEST_F(EvaluatorTest, FieldsWithoutPresenceReadTheirZero) {
  ConditionResult r = Eval(
      "episode.found.with.exists(a, a.relationship == \"\" && "
      "a.times_seen == 1) && episode.found.with.exists(a, "
      "a.relationship == \"friend\" && a.contacts == 0)");
  EXPECT_EQ(r.truth, Truth::kTrue);
  Spec s;
  s.with = {{1, true, "", std::nullopt, std::nullopt}};
  r = Eval("episode.found.with.all(a, a.times_seen == 0 && a.contacts == 0)",
           s);
  EXPECT_EQ(r.truth, Truth::kTrue);
  EXPECT_THAT(r.reasons[0].readings,
              ElementsAre(R("episode.found.with", "[{...}]"),
                          R("episode.found.with[0].times_seen", "0"),
                          R("episode.found.with[0].contacts", "0")));
}

TEST_F(EvaluatorTest, UnknownPropagatesThroughOperators) {
  Spec s;
  s.child_age.reset();
  s.narrative.reset();
  for (const char* text : {
           "child.age_years + 1 > 3",
           "-child.age_years < 0",
           "child.age_years in [14, 15]",
           "14 in [child.age_years, 15]",
           "child.age_years * 0 == 0",
           "episode.narrative.mentions(\"trap\")",
           "size(episode.narrative) > 1",
           "episode.narrative + \"x\" == \"x\"",
           "child.age_years == child.age_years",
       }) {
    const ConditionResult r = Eval(text, s);
    EXPECT_EQ(r.truth, Truth::kUnknown) << text;
    EXPECT_FALSE(r.unknown_paths.empty()) << text;
  }
}

TEST_F(EvaluatorTest, UnknownPathsSortedAndUnique) {
  Spec s;
  s.child_age.reset();
  const ConditionResult r = Eval(
      "(episode.found_at > episode.reported_at || child.age_years > 1) && "
      "child.age_years < 99",
      s);
  EXPECT_EQ(r.truth, Truth::kUnknown);
  EXPECT_EQ(r.reasons.size(), 3u);
  EXPECT_THAT(r.unknown_paths,
              ElementsAre("child.age_years", "episode.found_at"));
}

TEST_F(EvaluatorTest, HasIsNeverUnknown) {
  ConditionResult r = Eval("has(child.age_years)");
  EXPECT_EQ(r.truth, Truth::kTrue);
  EXPECT_THAT(r.reasons[0].readings, ElementsAre(R("child.age_years", "set")));

  Spec s;
  s.child_age.reset();
  r = Eval("!has(child.age_years)", s);
  EXPECT_EQ(r.truth, Truth::kTrue);
  EXPECT_THAT(r.reasons,
              ElementsAre(Atom("has(child.age_years)", 1, Truth::kFalse,
                               {R("child.age_years", "unset")})));
  EXPECT_THAT(r.unknown_paths, IsEmpty());

  s = Spec();
  s.has_found = false;
  r = Eval("has(episode.found.distance_km)", s);
  EXPECT_EQ(r.truth, Truth::kFalse);
  EXPECT_THAT(r.reasons[0].readings,
              ElementsAre(R("episode.found.distance_km", "unset")));
  EXPECT_EQ(TruthOf("has(episode.found)", s), Truth::kFalse);
  EXPECT_EQ(TruthOf("has(episode.found)"), Truth::kTrue);
  EXPECT_EQ(TruthOf("has(episode)"), Truth::kTrue);
  EXPECT_EQ(TruthOf("has(episodes_last_90d)"), Truth::kTrue);
  EXPECT_EQ(TruthOf("has(child.markers)"), Truth::kTrue);
  s = Spec();
  s.markers.clear();
  EXPECT_EQ(TruthOf("has(child.markers)", s), Truth::kFalse);
  s.has_child = false;
  EXPECT_EQ(TruthOf("has(child.markers)", s), Truth::kFalse);
  EXPECT_EQ(TruthOf("has(child)", s), Truth::kFalse);
  // Without presence: set means "not the zero value".
  EXPECT_EQ(TruthOf("episode.found.with.exists(a, has(a.relationship))"),
            Truth::kTrue);
  EXPECT_EQ(TruthOf("episode.found.with.all(a, has(a.relationship))"),
            Truth::kFalse);
  EXPECT_EQ(TruthOf("has(priority)"), Truth::kFalse);
}

TEST_F(EvaluatorTest, HasGuardInsideComprehension) {
  const ConditionResult r = Eval(
      "episode.found.with.exists(a, has(a.age_years) && a.age_years >= 18)");
  EXPECT_EQ(r.truth, Truth::kTrue);
  ASSERT_EQ(r.reasons.size(), 1u);
  EXPECT_THAT(r.reasons[0].readings,
              ElementsAre(R("episode.found.with", "[{...}, {...}, {...}]"),
                          R("episode.found.with[0].age_years", "set"),
                          R("episode.found.with[0].age_years", "15"),
                          R("episode.found.with[1].age_years", "unset"),
                          R("episode.found.with[2].age_years", "set"),
                          R("episode.found.with[2].age_years", "24")));
}

TEST_F(EvaluatorTest, Mentions) {
  struct {
    const char* narrative;
    const char* phrase;
    bool expected;
  } cases[] = {
      {"Seen at a Trap-House's back door.", "trap house", true},
      {"seen at the traphouse", "trap house", false},
      {"two trap houses nearby", "trap house", false},
      {"TRAP   HOUSE", "trap house", true},
      {"a trap\nhouse", "Trap House", true},
      {"trap", "trap house", false},
      {"house trap", "trap house", false},
      {"county-lines activity", "county lines", true},
      {"county lines activity", "county-lines", true},
      {"dealing since 2023.", "2023", true},
      {"dealing since 20234", "2023", false},
      {"caf\xc3\xa9 trap house", "trap house", true},
      {"x_trap house", "trap house", true},
      {"entrapment", "trap", false},
      {"", "trap", false},
      {"trap", "trap", true},
  };
  for (const auto& c : cases) {
    Spec s;
    s.narrative = c.narrative;
    const std::string text =
        absl::StrCat("episode.narrative.mentions(\"", c.phrase, "\")");
    EXPECT_EQ(TruthOf(text, s), c.expected ? Truth::kTrue : Truth::kFalse)
        << c.narrative << " / " << c.phrase;
    EXPECT_EQ(TextMentions(c.narrative, c.phrase), c.expected);
  }
  Spec s;
  s.narrative.reset();
  const ConditionResult r = Eval("episode.narrative.mentions(\"trap\")", s);
  EXPECT_EQ(r.truth, Truth::kUnknown);
  EXPECT_THAT(r.unknown_paths, ElementsAre("episode.narrative"));
  EXPECT_FALSE(TextMentions("anything", "--"));
}

TEST_F(EvaluatorTest, ExistsWithUnknownElements) {
  const char* text = "episode.found.with.exists(a, a.age_years >= 18)";
  // [15, unset, 24]: TRUE despite the unknown element, which is still read.
  ConditionResult r = Eval(text);
  EXPECT_EQ(r.truth, Truth::kTrue);
  EXPECT_THAT(r.reasons[0].readings,
              ElementsAre(R("episode.found.with", "[{...}, {...}, {...}]"),
                          R("episode.found.with[0].age_years", "15"),
                          R("episode.found.with[1].age_years", "unset"),
                          R("episode.found.with[2].age_years", "24")));
  EXPECT_THAT(r.unknown_paths, IsEmpty());

  Spec s;
  s.with.pop_back();  // [15, unset]
  r = Eval(text, s);
  EXPECT_EQ(r.truth, Truth::kUnknown);
  EXPECT_THAT(r.unknown_paths, ElementsAre("episode.found.with[1].age_years"));
  s.with[1].age = 16;  // [15, 16]
  EXPECT_EQ(TruthOf(text, s), Truth::kFalse);
  s.with.clear();
  EXPECT_EQ(TruthOf(text, s), Truth::kFalse);
  EXPECT_EQ(TruthOf("episode.found.with.all(a, a.age_years >= 18)", s),
            Truth::kTrue);
  EXPECT_EQ(TruthOf("episode.found.with.count(a, a.age_years >= 18) == 0", s),
            Truth::kTrue);
}

TEST_F(EvaluatorTest, AllAndCountWithUnknownElements) {
  Spec s;
  s.with = {{15, false, "", 0, 0}, {std::nullopt, true, "", 0, 0}};
  EXPECT_EQ(TruthOf("episode.found.with.all(a, a.age_years < 18)", s),
            Truth::kUnknown);
  EXPECT_EQ(TruthOf("episode.found.with.count(a, a.age_years < 18) >= 1", s),
            Truth::kUnknown);
  s.with.push_back({20, false, "", 0, 0});
  EXPECT_EQ(TruthOf("episode.found.with.all(a, a.age_years < 18)", s),
            Truth::kFalse);
  s.with[1].age = 12;
  EXPECT_EQ(TruthOf("episode.found.with.all(a, a.age_years < 18)", s),
            Truth::kFalse);
  EXPECT_EQ(TruthOf("episode.found.with.count(a, a.age_years < 18) == 2", s),
            Truth::kTrue);
  // Kleene inside the predicate: UNKNOWN || TRUE is TRUE.
  s.with = {{std::nullopt, true, "", 0, 0}};
  EXPECT_EQ(TruthOf("episode.found.with.all(a, a.age_years >= 18 || "
                    "a.known_to_police)",
                    s),
            Truth::kTrue);
  EXPECT_EQ(TruthOf("episode.found.with.exists(a, a.age_years >= 18 && "
                    "!a.known_to_police)",
                    s),
            Truth::kFalse);
}

TEST_F(EvaluatorTest, ComprehensionErrors) {
  // with[1].contacts == 0: ERROR unless another element decides.
  const char* per_contact = "a.times_seen / a.contacts > 1";
  ConditionResult r =
      Eval(absl::StrCat("episode.found.with.exists(a, ", per_contact, ")"));
  EXPECT_EQ(r.truth, Truth::kError);  // ERROR, ERROR, FALSE
  EXPECT_EQ(r.error, "division by zero in 'a.times_seen / a.contacts'");
  EXPECT_EQ(
      TruthOf(absl::StrCat("episode.found.with.all(a, ", per_contact, ")")),
      Truth::kFalse);  // element 2 is FALSE, which decides all()
  EXPECT_EQ(TruthOf("episode.found.with.all(a, a.times_seen >= 1 && "
                    "a.times_seen / a.contacts >= 0)"),
            Truth::kError);  // ERROR, ERROR, TRUE
  EXPECT_EQ(TruthOf(absl::StrCat("episode.found.with.count(a, ", per_contact,
                                 ") > 0")),
            Truth::kError);
  EXPECT_EQ(TruthOf("episode.found.with.exists(a, a.times_seen == 5 || "
                    "a.times_seen / a.contacts > 1)"),
            Truth::kTrue);
}

TEST_F(EvaluatorTest, ScalarAndNestedComprehensions) {
  ConditionResult r = Eval("child.markers.exists(m, m == \"GANG\")");
  EXPECT_EQ(r.truth, Truth::kTrue);
  EXPECT_THAT(r.reasons[0].readings,
              ElementsAre(R("child.markers", "[\"CSE_RISK\", \"GANG\"]")));
  EXPECT_EQ(TruthOf("child.markers.all(m, size(m) > 3)"), Truth::kTrue);
  EXPECT_EQ(TruthOf("child.markers.count(m, m.mentions(\"risk\")) == 1"),
            Truth::kTrue);
  // The inner predicate reads the outer variable (slot 1).
  r = Eval(
      "episode.found.with.exists(a, episode.observed.exists(o, "
      "o == \"ALCOHOL\" && a.known_to_police))");
  EXPECT_EQ(r.truth, Truth::kTrue);
  EXPECT_THAT(r.reasons[0].readings,
              ElementsAre(R("episode.found.with", "[{...}, {...}, {...}]"),
                          R("episode.observed", "[\"ALCOHOL\"]"),
                          R("episode.found.with[0].known_to_police", "false"),
                          R("episode.found.with[1].known_to_police", "true"),
                          R("episode.found.with[2].known_to_police", "unset")));
  EXPECT_EQ(TruthOf("episode.found.with.exists(a, child.markers.exists(m, "
                    "a.relationship == \"friend\" && m == \"GANG\"))"),
            Truth::kTrue);
}

TEST_F(EvaluatorTest, SizeIsKnownForListsOfPartialMessages) {
  EXPECT_EQ(TruthOf("size(episode.found.with) == 3"), Truth::kTrue);
  EXPECT_EQ(TruthOf("episode.found.with.size() == 3"), Truth::kTrue);
  EXPECT_EQ(TruthOf("size(\"h\xc3\xa9llo\") == 5"),
            Truth::kTrue);  // code points
  EXPECT_EQ(TruthOf("size([1, 2, 3]) == 3"), Truth::kTrue);
}

TEST_F(EvaluatorTest, PolicyFunctions) {
  PolicyInputs policy;
  policy.rules = {{"cse.high", Truth::kTrue, {}, ""},
                  {"missing.long", Truth::kTrue, {}, ""}};
  policy.concerns = {{"CSE", PolicyBound::Known(12), PolicyBound::Known(2)}};
  policy.total_score = PolicyBound::Known(25);
  struct {
    const char* text;
    Truth truth;
  } cases[] = {
      {"fired(\"cse.high\")", Truth::kTrue},
      {"fired(\"cse.*\")", Truth::kTrue},
      {"fired(\"cse\")", Truth::kFalse},
      {"fired(\"gang.*\")", Truth::kFalse},
      {"fired(\"cs.*\")", Truth::kFalse},
      {"fired(\"missing.long\") && !fired(\"cse.low\")", Truth::kTrue},
      {"concern_score(\"CSE\") >= 10", Truth::kTrue},
      {"concern_score(\"GANGS\") == 0", Truth::kTrue},
      {"concern_level(\"CSE\") == 2", Truth::kTrue},
      {"concern_level(\"GANGS\") == 0", Truth::kTrue},
      {"total_score() > 20", Truth::kTrue},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(Eval(c.text, Spec(), &policy).truth, c.truth) << c.text;
  }
  ConditionResult r =
      Eval("fired(\"cse.*\") && total_score() + concern_score(\"CSE\") > 30",
           Spec(), &policy);
  EXPECT_EQ(r.truth, Truth::kTrue);
  EXPECT_THAT(
      r.reasons,
      ElementsAre(
          Atom("fired(\"cse.*\")", 0, Truth::kTrue,
               {R("fired(\"cse.*\")", "true")}),
          Atom("total_score() + concern_score(\"CSE\") > 30", 18, Truth::kTrue,
               {R("total_score()", "25"), R("concern_score(\"CSE\")", "12")})));
}

TEST_F(EvaluatorTest, EvaluateValueDueTime) {
  Spec s;
  s.found_at = Ts("2023-02-01T08:00:00Z");
  ValueResult v = Value("episode.found_at + duration(\"72h\")", s);
  EXPECT_EQ(v.truth, Truth::kTrue);
  ASSERT_TRUE(std::holds_alternative<absl::Time>(v.value));
  EXPECT_EQ(std::get<absl::Time>(v.value), Ts("2023-02-04T08:00:00Z"));
  EXPECT_THAT(v.unknown_paths, IsEmpty());

  v = Value("episode.found_at + duration(\"72h\")");  // found_at unset
  EXPECT_EQ(v.truth, Truth::kUnknown);
  EXPECT_THAT(v.unknown_paths, ElementsAre("episode.found_at"));

  v = Value("child.age_years * 2");
  EXPECT_EQ(v.truth, Truth::kTrue);
  EXPECT_EQ(std::get<int64_t>(v.value), 28);
  v = Value("episode.found.location");
  EXPECT_EQ(v.truth, Truth::kTrue);
  EXPECT_EQ(std::get<EnumLiteral>(v.value).number, kHotel);
  v = Value("child.age_years / 0");
  EXPECT_EQ(v.truth, Truth::kError);
  EXPECT_EQ(v.error, "division by zero in 'child.age_years / 0'");
  v = Value("child.age_years > 3 && episode.found_at > episode.reported_at");
  EXPECT_EQ(v.truth, Truth::kUnknown);
  EXPECT_THAT(v.unknown_paths, ElementsAre("episode.found_at"));
  v = Value("child.age_years > 30 && episode.found_at > episode.reported_at");
  EXPECT_EQ(v.truth, Truth::kTrue);
  EXPECT_EQ(std::get<bool>(v.value), false);
}

TEST_F(EvaluatorTest, AsOfIsTheEvaluatorsTimeAndIsRecorded) {
  // Reported 2023-01-30T10:00Z; as of 2023-02-01T10:00Z: 48 hours.
  ConditionResult r =
      Eval("as_of() - episode.reported_at >= duration(\"48h\")");
  EXPECT_EQ(r.truth, Truth::kTrue);
  ASSERT_EQ(r.reasons.size(), 1u);
  EXPECT_THAT(r.reasons[0].readings,
              ElementsAre(R("as_of()", "2023-02-01T10:00:00Z"),
                          R("episode.reported_at", "2023-01-30T10:00:00Z")));
  EXPECT_EQ(TruthOf("as_of() - episode.reported_at > duration(\"48h\")"),
            Truth::kFalse);
  EXPECT_EQ(TruthOf("as_of() == timestamp(\"2023-02-01T10:00:00Z\")"),
            Truth::kTrue);

  // An unset fact beside as_of() is UNKNOWN; as_of() itself never is.
  Spec unreported;
  unreported.reported_at.reset();
  r = Eval("as_of() - episode.reported_at >= duration(\"1h\")", unreported);
  EXPECT_EQ(r.truth, Truth::kUnknown);
  EXPECT_THAT(r.unknown_paths, ElementsAre("episode.reported_at"));

  // Another as-of time, another answer, from the same facts.
  const SourceText source = SourceText::FromString(
      "test", "as_of() - episode.reported_at >= duration(\"48h\")");
  std::unique_ptr<Expr> expr = Compile(source, Type::Bool(), false);
  ASSERT_NE(expr, nullptr);
  const FactRecord facts = BuildFacts(*schema_, Spec());
  const ReferenceEvaluator earlier(schema_.get(), &constants_,
                                   Ts("2023-01-30T11:00:00Z"));
  EXPECT_EQ(earlier.EvaluateCondition(*expr, source, facts).truth,
            Truth::kFalse);

  // In a value (a due time) and at the policy stage alike.
  ValueResult v = Value("as_of() + duration(\"24h\")");
  EXPECT_EQ(v.truth, Truth::kTrue);
  EXPECT_EQ(std::get<absl::Time>(v.value), Ts("2023-02-02T10:00:00Z"));
  PolicyInputs policy;
  EXPECT_EQ(Eval("as_of() > episode.reported_at", Spec(), &policy).truth,
            Truth::kTrue);
}

TEST_F(EvaluatorTest, ConditionTextFunction) {
  const SourceText source = SourceText::FromString(
      "t", "child.age_disputed && size( child.markers\n )  >   1");
  std::unique_ptr<Expr> expr = Compile(source, Type::Bool(), false);
  ASSERT_NE(expr, nullptr);
  int32_t offset = -1;
  EXPECT_EQ(ConditionText(*expr->args[1], source, &offset),
            "size( child.markers ) > 1");
  EXPECT_EQ(offset, 22);
  EXPECT_EQ(ConditionText(*expr, source, nullptr),
            "child.age_disputed && size( child.markers ) > 1");
}

}  // namespace
}  // namespace lantern
