// Tests engine/match/atom_vm.h on its own: expressions go through the real
// parser and checker against a small hand-built schema, are compiled with
// CompileAtom and run with RunAtom over a frame decoded from a hand-built
// FactRecord. Expected truths come from the language contract in
// engine/reference/evaluator.h: three-valued reads, Kleene && || ! with ERROR
// above UNKNOWN, runtime errors, comprehensions, has(), size(), `in`,
// mentions(), as_of() arithmetic; and the trace (readings, unknown paths,
// error message) of the explaining mode.
#include "engine/match/atom_vm.h"

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "engine/facts/facts.h"
#include "engine/facts/schema.h"
#include "engine/lang/checker.h"
#include "engine/lang/diagnostics.h"
#include "engine/lang/parser.h"
#include "engine/lang/source_text.h"
#include "engine/match/fact_frame.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lantern {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

enum RootField : int32_t {
  kChild,
  kCount,
  kScore,
  kRatio,
  kName,
  kAt,
  kDelay,
  kLevel,
  kTags,
  kItems,
  kRootFields
};
enum ChildField : int32_t { kAge, kChildFields };
enum ItemField : int32_t { kN, kItemFields };

constexpr Truth kT = Truth::kTrue;
constexpr Truth kF = Truth::kFalse;
constexpr Truth kU = Truth::kUnknown;
constexpr Truth kE = Truth::kError;

// What the facts hold; nullopt leaves a field unset.
struct Facts {
  bool has_child = false;
  std::optional<int64_t> age;
  std::optional<int64_t> count;
  std::optional<int64_t> score;  // no presence: unset reads 0
  std::optional<double> ratio;
  std::optional<std::string> name;
  std::optional<absl::Time> at;
  std::optional<absl::Duration> delay;
  std::optional<int32_t> level;  // zero is "not known"
  std::vector<std::string> tags;
  std::vector<std::optional<int64_t>> items;  // each item's `n`
};

class AtomVmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    FactSchemaBuilder b;
    root_ = b.AddMessage("t.Root");
    child_ = b.AddMessage("t.Child");
    item_ = b.AddMessage("t.Item");
    const int32_t level = b.AddEnum(
        "t.Level", {{"LEVEL_UNSPECIFIED", 0}, {"LOW", 1}, {"HIGH", 2}});
    b.SetZeroIsUnknown(level, true);
    b.AddField(root_, "child", Type::Message(child_), true);
    b.AddField(root_, "count", Type::Int(), true);
    b.AddField(root_, "score", Type::Int(), false);
    b.AddField(root_, "ratio", Type::Double(), true);
    b.AddField(root_, "name", Type::String(), true);
    b.AddField(root_, "at", Type::Timestamp(), true);
    b.AddField(root_, "delay", Type::Duration(), true);
    b.AddField(root_, "level", Type::Enum(level), false);
    b.AddField(root_, "tags", Type::String().AsList(), false);
    b.AddField(root_, "items", Type::Message(item_).AsList(), false);
    b.AddField(child_, "age", Type::Int(), true);
    b.AddField(item_, "n", Type::Int(), true);
    auto schema = std::move(b).Build(root_);
    ASSERT_TRUE(schema.ok()) << schema.status();
    schema_ = *std::move(schema);

    ConstantDef codes;
    codes.name = "CODES";
    codes.type = Type::String().AsList();
    codes.values = {std::string("GANG"), std::string("CASH")};
    ConstantDef empty;
    empty.name = "NO_CODES";
    empty.type = Type::String().AsList();
    ConstantDef limit;
    limit.name = "LIMIT";
    limit.type = Type::Int();
    limit.values = {int64_t{3}};
    constants_ = {codes, empty, limit};
  }

  FactRecord Build(const Facts& f) const {
    FactRecord r(root_, kRootFields);
    if (f.has_child) {
      FactRecord c(child_, kChildFields);
      if (f.age) c.Set(kAge, *f.age);
      r.Set(kChild, std::make_unique<FactRecord>(std::move(c)));
    }
    if (f.count) r.Set(kCount, *f.count);
    if (f.score) r.Set(kScore, *f.score);
    if (f.ratio) r.Set(kRatio, *f.ratio);
    if (f.name) r.Set(kName, *f.name);
    if (f.at) r.Set(kAt, *f.at);
    if (f.delay) r.Set(kDelay, *f.delay);
    if (f.level) r.Set(kLevel, EnumNumber{*f.level});
    for (const std::string& t : f.tags) r.Append(kTags, t);
    for (const std::optional<int64_t>& n : f.items) {
      FactRecord item(item_, kItemFields);
      if (n) item.Set(kN, *n);
      r.Append(kItems, std::make_unique<FactRecord>(std::move(item)));
    }
    return r;
  }

  // Compiles `text` (a checked bool expression) as one atom and runs it over
  // `facts`, with a trace when `trace` is not null.
  Truth Run(const std::string& text, const Facts& facts,
            AtomTrace* trace = nullptr) {
    auto source =
        std::make_unique<SourceText>(SourceText::FromString("test", text));
    Diagnostics diagnostics;
    std::unique_ptr<Expr> expr = ParseExpression(*source, &diagnostics);
    EXPECT_NE(expr, nullptr) << text;
    if (expr == nullptr) return kE;
    CheckEnv env;
    env.schema = schema_.get();
    env.constants = &constants_;
    CheckExpression(env, *source, Type::Bool(), expr.get(), &diagnostics);
    EXPECT_FALSE(diagnostics.has_errors())
        << text << ": " << diagnostics.ToString();
    if (diagnostics.has_errors()) return kE;
    auto layout = std::make_unique<FrameLayout>();
    auto code = std::make_unique<AtomCode>();
    const int32_t atom = CompileAtom(*expr, *source, *schema_, constants_,
                                     layout.get(), code.get());
    EXPECT_EQ(atom, code->atom_count() - 1);
    const FactRecord record = Build(facts);
    std::vector<FrameValue> frame(layout->size());
    ScratchStrings strings;
    DecodeFrame(*layout, *schema_, record, as_of_, &strings, frame.data());
    AtomScratch scratch;
    const Truth fast =
        RunAtom(*code, atom, *schema_, frame.data(), &scratch, nullptr);
    AtomTrace local;
    const Truth traced = RunAtom(*code, atom, *schema_, frame.data(), &scratch,
                                 trace != nullptr ? trace : &local);
    EXPECT_EQ(fast, traced) << text << ": the trace changed the answer";
    // The scratch is reusable: a second run gives the same answer.
    EXPECT_EQ(RunAtom(*code, atom, *schema_, frame.data(), &scratch, nullptr),
              fast)
        << text;
    keep_.push_back({std::move(source), std::move(expr), std::move(layout),
                     std::move(code)});
    return fast;
  }

  struct Kept {
    std::unique_ptr<SourceText> source;
    std::unique_ptr<Expr> expr;
    std::unique_ptr<FrameLayout> layout;
    std::unique_ptr<AtomCode> code;
  };
  int32_t root_ = -1, child_ = -1, item_ = -1;
  std::shared_ptr<const FactSchema> schema_;
  std::vector<ConstantDef> constants_;
  std::vector<Kept> keep_;
  absl::Time as_of_ = absl::FromUnixSeconds(1714824000);  // 2024-05-04T12:00Z
};

Facts WithCount(std::optional<int64_t> count) {
  Facts f;
  f.count = count;
  return f;
}

TEST_F(AtomVmTest, ComparisonsAreThreeValued) {
  EXPECT_EQ(Run("count > 3", WithCount(5)), kT);
  EXPECT_EQ(Run("count > 3", WithCount(3)), kF);
  EXPECT_EQ(Run("count >= 3", WithCount(3)), kT);
  EXPECT_EQ(Run("count < 3", WithCount(2)), kT);
  EXPECT_EQ(Run("count <= 3", WithCount(4)), kF);
  EXPECT_EQ(Run("count == 3", WithCount(3)), kT);
  EXPECT_EQ(Run("count != 3", WithCount(3)), kF);
  EXPECT_EQ(Run("count > 3", WithCount(std::nullopt)), kU);
  EXPECT_EQ(Run("count != 3", WithCount(std::nullopt)), kU);
  EXPECT_EQ(Run("count > LIMIT", WithCount(4)), kT);
  EXPECT_EQ(Run("count > LIMIT", WithCount(3)), kF);
}

TEST_F(AtomVmTest, FieldWithoutPresenceReadsItsZero) {
  EXPECT_EQ(Run("score == 0", Facts()), kT);
  Facts f;
  f.score = 2;
  EXPECT_EQ(Run("score == 0", f), kF);
}

TEST_F(AtomVmTest, PathThroughAnUnsetMessageIsUnknown) {
  EXPECT_EQ(Run("child.age >= 10", Facts()), kU);
  Facts f;
  f.has_child = true;
  EXPECT_EQ(Run("child.age >= 10", f), kU);
  f.age = 12;
  EXPECT_EQ(Run("child.age >= 10", f), kT);
}

TEST_F(AtomVmTest, ArithmeticAndItsRuntimeErrors) {
  Facts f;
  f.count = 7;
  f.score = 2;
  EXPECT_EQ(Run("count / score == 3", f), kT);  // int division truncates
  EXPECT_EQ(Run("count % score == 1", f), kT);
  EXPECT_EQ(Run("count - score * 2 == 3", f), kT);
  f.score = 0;
  AtomTrace trace;
  EXPECT_EQ(Run("count / score > 1", f, &trace), kE);
  EXPECT_THAT(trace.error, HasSubstr("division by zero in '"));
  AtomTrace modulo;
  EXPECT_EQ(Run("count % score > 1", f, &modulo), kE);
  EXPECT_THAT(modulo.error, HasSubstr("modulo by zero in '"));
  // Operands settle first: unset / 0 is UNKNOWN, not ERROR.
  f.count = std::nullopt;
  EXPECT_EQ(Run("count / score > 1", f), kU);
  AtomTrace overflow;
  EXPECT_EQ(Run("count + 1 > 0", WithCount(std::numeric_limits<int64_t>::max()),
                &overflow),
            kE);
  EXPECT_THAT(overflow.error, HasSubstr("integer overflow in '"));
  EXPECT_EQ(
      Run("count / -1 > 0", WithCount(std::numeric_limits<int64_t>::min())),
      kE);
  Facts d;
  d.ratio = 1.5;
  EXPECT_EQ(Run("ratio / 0.0 > 1.0", d), kE);
  // Int meets double as double.
  d.count = 3;
  EXPECT_EQ(Run("count * ratio == 4.5", d), kT);
}

TEST_F(AtomVmTest, KleeneAndOrNotWithErrorAboveUnknown) {
  Facts f;  // count unset
  f.name = "x";
  EXPECT_EQ(Run("count > 3 || name == \"x\"", f), kT);
  EXPECT_EQ(Run("count > 3 && name == \"x\"", f), kU);
  EXPECT_EQ(Run("count > 3 && name == \"y\"", f), kF);
  EXPECT_EQ(Run("count > 3 || name == \"y\"", f), kU);
  EXPECT_EQ(Run("!(count > 3)", f), kU);
  EXPECT_EQ(Run("!(name == \"y\")", f), kT);
  // score reads 0 (no presence): count / score is ERROR once count is set.
  f.count = 1;
  EXPECT_EQ(Run("count / score > 0 || name == \"x\"", f), kT);
  EXPECT_EQ(Run("count / score > 0 || name == \"y\"", f), kE);
  EXPECT_EQ(Run("count / score > 0 && name == \"y\"", f), kF);
  EXPECT_EQ(Run("count / score > 0 && name == \"x\"", f), kE);
  EXPECT_EQ(Run("!(count / score > 0)", f), kE);
  // ERROR outranks UNKNOWN on both sides.
  Facts g;
  g.ratio = 1.0;  // count unset
  EXPECT_EQ(Run("ratio / 0.0 > 1.0 || count > 3", g), kE);
  EXPECT_EQ(Run("count > 3 || ratio / 0.0 > 1.0", g), kE);
  EXPECT_EQ(Run("count > 3 && ratio / 0.0 > 1.0", g), kE);
}

TEST_F(AtomVmTest, HasIsNeverUnknown) {
  EXPECT_EQ(Run("has(count)", Facts()), kF);
  EXPECT_EQ(Run("has(count)", WithCount(0)), kT);
  EXPECT_EQ(Run("has(child.age)", Facts()), kF);
  Facts f;
  f.has_child = true;
  f.age = 9;
  EXPECT_EQ(Run("has(child.age)", f), kT);
  EXPECT_EQ(Run("!has(count)", Facts()), kT);
}

TEST_F(AtomVmTest, MembershipAndEmptySets) {
  Facts f;
  f.name = "GANG";
  EXPECT_EQ(Run("name in CODES", f), kT);
  EXPECT_EQ(Run("name in NO_CODES", f), kF);
  EXPECT_EQ(Run("name in [\"A\", \"B\"]", f), kF);
  EXPECT_EQ(Run("name in CODES", Facts()), kU);
  f.tags = {"OTHER", "CASH"};
  EXPECT_EQ(Run("\"CASH\" in tags", f), kT);
  EXPECT_EQ(Run("tags.exists(t, t in CODES)", f), kT);
  EXPECT_EQ(Run("tags.exists(t, t in NO_CODES)", f), kF);
  // A repeated field is never unknown: empty is FALSE.
  EXPECT_EQ(Run("\"CASH\" in tags", Facts()), kF);
  EXPECT_EQ(Run("tags.exists(t, t in CODES)", Facts()), kF);
  EXPECT_EQ(Run("size(tags) == 0", Facts()), kT);
  EXPECT_EQ(Run("size(tags) == 2", f), kT);
  // A list literal with an UNKNOWN element is UNKNOWN as a whole.
  Facts g;
  g.name = "A";
  EXPECT_EQ(Run("\"B\" in [name, \"C\"]", g), kF);
  EXPECT_EQ(Run("\"B\" in [name, \"C\"]", Facts()), kU);
}

TEST_F(AtomVmTest, SizeCountsCodePointsAndMentionsMatchesWords) {
  Facts f;
  f.name = "caf\xc3\xa9";  // 4 code points, 5 bytes
  EXPECT_EQ(Run("size(name) == 4", f), kT);
  EXPECT_EQ(Run("size(name) == 4", Facts()), kU);
  Facts n;
  n.name = "Seen at a trap house near the station.";
  EXPECT_EQ(Run("name.mentions(\"trap house\")", n), kT);
  EXPECT_EQ(Run("name.mentions(\"boyfriend\")", n), kF);
  EXPECT_EQ(Run("name.mentions(\"trap house\")", Facts()), kU);
}

TEST_F(AtomVmTest, EnumAtAZeroIsUnknownZeroIsUnknown) {
  Facts f;
  f.level = 2;
  EXPECT_EQ(Run("level == \"HIGH\"", f), kT);
  f.level = 1;
  EXPECT_EQ(Run("level == \"HIGH\"", f), kF);
  f.level = 0;
  EXPECT_EQ(Run("level == \"HIGH\"", f), kU);
  EXPECT_EQ(Run("level == \"HIGH\"", Facts()), kU);
}

TEST_F(AtomVmTest, ComprehensionsCombineEveryElement) {
  Facts f;
  f.items = {1, std::nullopt};
  EXPECT_EQ(Run("items.exists(i, i.n > 2)", f), kU);
  EXPECT_EQ(Run("items.all(i, i.n > 0)", f), kU);
  f.items = {3, std::nullopt};
  EXPECT_EQ(Run("items.exists(i, i.n > 2)", f), kT);
  f.items = {0, std::nullopt};
  EXPECT_EQ(Run("items.all(i, i.n > 0)", f), kF);
  f.items = {4, 5};
  EXPECT_EQ(Run("items.all(i, i.n > 0)", f), kT);
  EXPECT_EQ(Run("items.count(i, i.n > 4) == 1", f), kT);
  f.items = {4, std::nullopt};
  EXPECT_EQ(Run("items.count(i, i.n > 4) == 0", f), kU);
  // Empty lists.
  EXPECT_EQ(Run("items.exists(i, i.n > 2)", Facts()), kF);
  EXPECT_EQ(Run("items.all(i, i.n > 2)", Facts()), kT);
  EXPECT_EQ(Run("items.count(i, i.n > 2) == 0", Facts()), kT);
  // An ERROR element outranks an UNKNOWN one; the first error's message.
  Facts e;
  e.items = {std::nullopt, 0, 3};  // UNKNOWN, ERROR, FALSE (6 / 3 > 2)
  e.count = 6;                     // score reads 0
  AtomTrace trace;
  EXPECT_EQ(Run("items.exists(i, count / i.n > 2)", e, &trace), kE);
  EXPECT_THAT(trace.error, HasSubstr("division by zero"));
  // Comparisons with an outer field inside the body.
  Facts o;
  o.count = 3;
  o.items = {1, 5};
  EXPECT_EQ(Run("items.exists(i, i.n > count)", o), kT);
  EXPECT_EQ(Run("items.all(i, i.n > count)", o), kF);
}

TEST_F(AtomVmTest, AsOfArithmetic) {
  Facts f;
  f.at = as_of_ - absl::Hours(100);
  EXPECT_EQ(Run("as_of() - at > duration(\"72h\")", f), kT);
  f.at = as_of_ - absl::Hours(1);
  EXPECT_EQ(Run("as_of() - at > duration(\"72h\")", f), kF);
  EXPECT_EQ(Run("as_of() - at > duration(\"72h\")", Facts()), kU);
  // Exactly at the boundary.
  f.at = as_of_ - absl::Hours(72);
  EXPECT_EQ(Run("as_of() - at >= duration(\"72h\")", f), kT);
  EXPECT_EQ(Run("as_of() - at > duration(\"72h\")", f), kF);
  f.delay = absl::Hours(2);
  EXPECT_EQ(Run("at + delay < as_of()", f), kT);
  EXPECT_EQ(Run("at + duration(\"100h\") < as_of()", f), kF);
  EXPECT_EQ(Run("as_of() > timestamp(\"2024-05-04T11:59:59Z\")", Facts()), kT);
  EXPECT_EQ(Run("as_of() > timestamp(\"2024-05-04T12:00:00Z\")", Facts()), kF);
}

TEST_F(AtomVmTest, TraceRecordsReadingsAndUnknownPaths) {
  Facts f;
  f.count = 5;
  AtomTrace trace;
  EXPECT_EQ(Run("count > 3 && name == \"x\"", f, &trace), kU);
  ASSERT_EQ(trace.readings.size(), 2u);
  EXPECT_EQ(trace.readings[0].path, "count");
  EXPECT_EQ(trace.readings[0].value, "5");
  EXPECT_EQ(trace.readings[1].path, "name");
  EXPECT_EQ(trace.readings[1].value, "unset");
  EXPECT_THAT(trace.unknown_paths, ElementsAre("name"));
  EXPECT_THAT(trace.error, IsEmpty());

  AtomTrace child;
  EXPECT_EQ(Run("child.age > 3", Facts(), &child), kU);
  EXPECT_THAT(child.unknown_paths, ElementsAre("child.age"));

  AtomTrace as_of;
  Facts g;
  g.at = as_of_;
  EXPECT_EQ(Run("as_of() - at == duration(\"0s\")", g, &as_of), kT);
  ASSERT_EQ(as_of.readings.size(), 2u);
  EXPECT_EQ(as_of.readings[0].path, "as_of()");
  EXPECT_EQ(as_of.readings[0].value, "2024-05-04T12:00:00Z");
  EXPECT_THAT(as_of.unknown_paths, IsEmpty());
}

}  // namespace
}  // namespace lantern
