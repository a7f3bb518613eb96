// Tests engine/match/fact_frame.h on its own: FrameLayout slot assignment and
// DecodeFrame from a hand-built FactRecord — every value type, unset fields
// with and without presence, enums whose zero means "not known", paths
// through unset messages, has() slots, repeated fields, values of the wrong
// kind, the as_of slot and the limits of each type — plus the helpers
// (ScalarToValue, ZeroValue, IsZeroValue, DisplayFrameValue).
#include "engine/match/fact_frame.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "engine/facts/facts.h"
#include "engine/facts/schema.h"
#include "engine/facts/types.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lantern {
namespace {

using ::testing::HasSubstr;

// Field indices, in AddField order.
enum RootField : int32_t {
  kChild,
  kCount,
  kScore,
  kRatio,
  kName,
  kAt,
  kDelay,
  kLevel,
  kPrio,
  kTags,
  kItems,
  kFlag,
  kPlainFlag,
  kPlainName,
  kRootFields
};
enum ChildField : int32_t { kAge, kKind, kChildFields };
enum ItemField : int32_t { kN, kLabel, kItemFields };

class FactFrameTest : public ::testing::Test {
 protected:
  void SetUp() override {
    FactSchemaBuilder b;
    root_ = b.AddMessage("t.Root");
    child_ = b.AddMessage("t.Child");
    item_ = b.AddMessage("t.Item");
    level_ = b.AddEnum("t.Level",
                       {{"LEVEL_UNSPECIFIED", 0}, {"LOW", 1}, {"HIGH", 2}});
    b.SetZeroIsUnknown(level_, true);
    prio_ = b.AddEnum("t.Prio", {{"NORMAL", 0}, {"URGENT", 1}});
    b.AddField(root_, "child", Type::Message(child_), true);
    b.AddField(root_, "count", Type::Int(), true);
    b.AddField(root_, "score", Type::Int(), false);
    b.AddField(root_, "ratio", Type::Double(), true);
    b.AddField(root_, "name", Type::String(), true);
    b.AddField(root_, "at", Type::Timestamp(), true);
    b.AddField(root_, "delay", Type::Duration(), true);
    b.AddField(root_, "level", Type::Enum(level_), false);
    b.AddField(root_, "prio", Type::Enum(prio_), false);
    b.AddField(root_, "tags", Type::String().AsList(), false);
    b.AddField(root_, "items", Type::Message(item_).AsList(), false);
    b.AddField(root_, "flag", Type::Bool(), true);
    b.AddField(root_, "plain_flag", Type::Bool(), false);
    b.AddField(root_, "plain_name", Type::String(), false);
    b.AddField(child_, "age", Type::Int(), true);
    b.AddField(child_, "kind", Type::Enum(level_), false);
    b.AddField(item_, "n", Type::Int(), true);
    b.AddField(item_, "label", Type::String(), false);
    auto schema = std::move(b).Build(root_);
    ASSERT_TRUE(schema.ok()) << schema.status();
    schema_ = *std::move(schema);
  }

  FactRecord Root() const { return FactRecord(root_, kRootFields); }
  FactRecord Child() const { return FactRecord(child_, kChildFields); }
  FactRecord Item() const { return FactRecord(item_, kItemFields); }

  int32_t Slot(std::vector<int32_t> fields,
               SlotDef::Mode mode = SlotDef::Mode::kValue) {
    return layout_.SlotFor(*schema_, fields, mode);
  }
  // Decodes every slot of the layout from `facts`.
  const std::vector<FrameValue>& Decode(const FactRecord& facts) {
    frame_.assign(layout_.size(), FrameValue());
    DecodeFrame(layout_, *schema_, facts, as_of_, &strings_, frame_.data());
    return frame_;
  }

  int32_t root_ = -1, child_ = -1, item_ = -1, level_ = -1, prio_ = -1;
  std::shared_ptr<const FactSchema> schema_;
  FrameLayout layout_;
  ScratchStrings strings_;
  std::vector<FrameValue> frame_;
  absl::Time as_of_ = absl::FromUnixSeconds(1714824000);  // 2024-05-04T12:00Z
};

TEST_F(FactFrameTest, LayoutGivesOneSlotPerPathAndMode) {
  const int32_t age = Slot({kChild, kAge});
  const int32_t count = Slot({kCount});
  EXPECT_NE(age, count);
  EXPECT_EQ(Slot({kChild, kAge}), age);
  const int32_t has_age = Slot({kChild, kAge}, SlotDef::Mode::kPresence);
  EXPECT_NE(has_age, age);
  EXPECT_EQ(Slot({kChild, kAge}, SlotDef::Mode::kPresence), has_age);
  const int32_t as_of = layout_.AsOfSlot();
  EXPECT_EQ(layout_.AsOfSlot(), as_of);
  EXPECT_EQ(layout_.size(), 4);

  const SlotDef& def = layout_.slot(age);
  EXPECT_EQ(def.mode, SlotDef::Mode::kValue);
  ASSERT_EQ(def.steps.size(), 2u);
  EXPECT_EQ(def.steps[0].name, "child");
  EXPECT_EQ(def.leaf().name, "age");
  EXPECT_THAT(def.step_paths, ::testing::ElementsAre("child", "child.age"));
  EXPECT_EQ(def.path(), "child.age");
  EXPECT_EQ(layout_.slot(has_age).mode, SlotDef::Mode::kPresence);
  EXPECT_EQ(layout_.slot(as_of).mode, SlotDef::Mode::kAsOf);
  EXPECT_TRUE(layout_.slot(as_of).steps.empty());
  EXPECT_EQ(layout_.slot(as_of).path(), "as_of()");
}

TEST_F(FactFrameTest, ZeroIsUnknownIsRecordedOnTheSlot) {
  EXPECT_TRUE(layout_.slot(Slot({kLevel})).zero_is_unknown);
  EXPECT_TRUE(layout_.slot(Slot({kChild, kKind})).zero_is_unknown);
  EXPECT_FALSE(layout_.slot(Slot({kPrio})).zero_is_unknown);
}

TEST_F(FactFrameTest, DecodesEveryTypeSet) {
  const int32_t count = Slot({kCount}), ratio = Slot({kRatio}),
                name = Slot({kName}), at = Slot({kAt}), delay = Slot({kDelay}),
                level = Slot({kLevel}), prio = Slot({kPrio}),
                flag = Slot({kFlag}), age = Slot({kChild, kAge}),
                child = Slot({kChild}), as_of = layout_.AsOfSlot();
  FactRecord facts = Root();
  FactRecord c = Child();
  c.Set(kAge, int64_t{14});
  facts.Set(kChild, std::make_unique<FactRecord>(std::move(c)));
  facts.Set(kCount, int64_t{-7});
  facts.Set(kRatio, 0.25);
  facts.Set(kName, std::string("Station"));
  const absl::Time t = absl::FromUnixSeconds(1700000000);
  facts.Set(kAt, t);
  facts.Set(kDelay, absl::Hours(3));
  facts.Set(kLevel, EnumNumber{2});
  facts.Set(kPrio, EnumNumber{1});
  facts.Set(kFlag, true);
  const std::vector<FrameValue>& f = Decode(facts);

  EXPECT_EQ(f[count].kind, VKind::kInt);
  EXPECT_EQ(f[count].i, -7);
  EXPECT_EQ(f[count].path, "count");
  EXPECT_EQ(f[ratio].kind, VKind::kDouble);
  EXPECT_EQ(f[ratio].d, 0.25);
  EXPECT_EQ(f[name].kind, VKind::kString);
  EXPECT_EQ(f[name].s, "Station");
  EXPECT_EQ(f[at].kind, VKind::kTime);
  EXPECT_EQ(f[at].t, t);
  EXPECT_EQ(f[delay].kind, VKind::kDuration);
  EXPECT_EQ(f[delay].dur, absl::Hours(3));
  EXPECT_EQ(f[level].kind, VKind::kEnum);
  EXPECT_EQ(f[level].i, 2);
  EXPECT_EQ(f[level].ref, level_);
  EXPECT_EQ(f[prio].kind, VKind::kEnum);
  EXPECT_EQ(f[prio].i, 1);
  EXPECT_EQ(f[prio].ref, prio_);
  EXPECT_EQ(f[flag].kind, VKind::kBool);
  EXPECT_TRUE(f[flag].b);
  EXPECT_EQ(f[age].kind, VKind::kInt);
  EXPECT_EQ(f[age].i, 14);
  EXPECT_EQ(f[age].path, "child.age");
  EXPECT_EQ(f[child].kind, VKind::kMessage);
  EXPECT_EQ(f[child].ref, child_);
  ASSERT_NE(f[child].record, nullptr);
  EXPECT_EQ(f[child].record->message_type(), child_);
  EXPECT_EQ(f[as_of].kind, VKind::kTime);
  EXPECT_EQ(f[as_of].t, as_of_);
  for (int32_t i = 0; i < layout_.size(); ++i) EXPECT_TRUE(f[i].known()) << i;
}

TEST_F(FactFrameTest, UnsetWithPresenceIsUnknownWithoutPresenceIsZero) {
  const int32_t count = Slot({kCount}), ratio = Slot({kRatio}),
                name = Slot({kName}), at = Slot({kAt}), delay = Slot({kDelay}),
                flag = Slot({kFlag}), score = Slot({kScore}),
                plain_flag = Slot({kPlainFlag}),
                plain_name = Slot({kPlainName}), prio = Slot({kPrio});
  const std::vector<FrameValue>& f = Decode(Root());
  for (int32_t s : {count, ratio, name, at, delay, flag}) {
    EXPECT_EQ(f[s].kind, VKind::kUnknown) << layout_.slot(s).path();
    EXPECT_FALSE(f[s].known());
  }
  EXPECT_EQ(f[score].kind, VKind::kInt);
  EXPECT_EQ(f[score].i, 0);
  EXPECT_EQ(f[plain_flag].kind, VKind::kBool);
  EXPECT_FALSE(f[plain_flag].b);
  EXPECT_EQ(f[plain_name].kind, VKind::kString);
  EXPECT_EQ(f[plain_name].s, "");
  // A plain enum's zero is a real value.
  EXPECT_EQ(f[prio].kind, VKind::kEnum);
  EXPECT_EQ(f[prio].i, 0);
}

TEST_F(FactFrameTest, ZeroIsUnknownEnumAtZeroIsUnknownSetOrNot) {
  const int32_t level = Slot({kLevel});
  EXPECT_EQ(Decode(Root())[level].kind, VKind::kUnknown);
  FactRecord facts = Root();
  facts.Set(kLevel, EnumNumber{0});
  EXPECT_EQ(Decode(facts)[level].kind, VKind::kUnknown);
  facts.Set(kLevel, EnumNumber{1});
  EXPECT_EQ(Decode(facts)[level].kind, VKind::kEnum);
}

TEST_F(FactFrameTest, PathThroughAnUnsetMessageIsUnknown) {
  const int32_t age = Slot({kChild, kAge});
  const int32_t kind = Slot({kChild, kKind});
  const int32_t has_age = Slot({kChild, kAge}, SlotDef::Mode::kPresence);
  const std::vector<FrameValue>& f = Decode(Root());
  EXPECT_EQ(f[age].kind, VKind::kUnknown);
  EXPECT_EQ(f[kind].kind, VKind::kUnknown);
  EXPECT_EQ(f[has_age].kind, VKind::kBool);
  EXPECT_FALSE(f[has_age].b);
}

TEST_F(FactFrameTest, PresenceSlotsAnswerHas) {
  const int32_t has_count = Slot({kCount}, SlotDef::Mode::kPresence);
  const int32_t has_score = Slot({kScore}, SlotDef::Mode::kPresence);
  const int32_t has_age = Slot({kChild, kAge}, SlotDef::Mode::kPresence);
  FactRecord facts = Root();
  facts.Set(kChild, std::make_unique<FactRecord>(Child()));
  {
    const std::vector<FrameValue>& f = Decode(facts);
    EXPECT_EQ(f[has_count].kind, VKind::kBool);
    EXPECT_FALSE(f[has_count].b);
    EXPECT_FALSE(f[has_score].b);  // no presence: zero reads as not set
    EXPECT_EQ(f[has_age].kind, VKind::kBool);
    EXPECT_FALSE(f[has_age].b);  // child set, age not
  }
  facts.Set(kCount, int64_t{0});  // presence: a set zero is set
  facts.Set(kScore, int64_t{5});
  const std::vector<FrameValue>& f = Decode(facts);
  EXPECT_TRUE(f[has_count].b);
  EXPECT_TRUE(f[has_score].b);
}

TEST_F(FactFrameTest, RepeatedFieldsAreListsNeverUnknown) {
  const int32_t tags = Slot({kTags});
  const int32_t items = Slot({kItems});
  {
    const std::vector<FrameValue>& f = Decode(Root());
    EXPECT_EQ(f[tags].kind, VKind::kList);
    EXPECT_EQ(f[tags].size, 0);
    EXPECT_EQ(f[items].kind, VKind::kList);
    EXPECT_EQ(f[items].size, 0);
  }
  FactRecord facts = Root();
  facts.Append(kTags, std::string("a"));
  facts.Append(kTags, std::string("b"));
  facts.Append(kTags, std::string("a"));
  FactRecord item = Item();
  item.Set(kN, int64_t{3});
  facts.Append(kItems, std::make_unique<FactRecord>(std::move(item)));
  const std::vector<FrameValue>& f = Decode(facts);
  EXPECT_EQ(f[tags].size, 3);
  EXPECT_EQ(f[tags].elem, Type::String());
  EXPECT_EQ(f[items].size, 1);
  EXPECT_EQ(f[items].elem, Type::Message(item_));
  EXPECT_EQ(DisplayFrameValue(f[tags], *schema_), "[\"a\", \"b\", \"a\"]");
  EXPECT_EQ(DisplayFrameValue(f[items], *schema_), "[{...}]");
}

TEST_F(FactFrameTest, ValueOfTheWrongKindIsAnError) {
  const int32_t count = Slot({kCount});
  const int32_t age = Slot({kChild, kAge});
  FactRecord facts = Root();
  facts.Set(kCount, std::string("seven"));
  facts.Set(kChild, std::string("not a message"));
  const std::vector<FrameValue>& f = Decode(facts);
  EXPECT_EQ(f[count].kind, VKind::kError);
  EXPECT_EQ(f[age].kind, VKind::kError);
  EXPECT_FALSE(f[count].known());
}

TEST_F(FactFrameTest, LimitsOfEachTypeSurviveDecoding) {
  const int32_t count = Slot({kCount}), ratio = Slot({kRatio}),
                at = Slot({kAt}), delay = Slot({kDelay});
  FactRecord facts = Root();
  facts.Set(kCount, std::numeric_limits<int64_t>::min());
  facts.Set(kRatio, std::numeric_limits<double>::quiet_NaN());
  facts.Set(kAt, absl::FromUnixSeconds(253402300799));  // 9999-12-31T23:59:59Z
  facts.Set(kDelay, absl::ZeroDuration());
  {
    const std::vector<FrameValue>& f = Decode(facts);
    EXPECT_EQ(f[count].i, std::numeric_limits<int64_t>::min());
    EXPECT_TRUE(std::isnan(f[ratio].d));
    EXPECT_EQ(f[at].t, absl::FromUnixSeconds(253402300799));
    EXPECT_EQ(f[delay].kind, VKind::kDuration);
    EXPECT_EQ(f[delay].dur, absl::ZeroDuration());
  }
  facts.Set(kCount, std::numeric_limits<int64_t>::max());
  facts.Set(kRatio, -0.0);
  const std::vector<FrameValue>& f = Decode(facts);
  EXPECT_EQ(f[count].i, std::numeric_limits<int64_t>::max());
  EXPECT_EQ(f[ratio].kind, VKind::kDouble);
  EXPECT_EQ(f[ratio].d, 0.0);
}

TEST_F(FactFrameTest, DecodingReusesTheFrameWithoutStaleValues) {
  const int32_t count = Slot({kCount});
  FactRecord set = Root();
  set.Set(kCount, int64_t{9});
  std::vector<FrameValue> frame(layout_.size());
  DecodeFrame(layout_, *schema_, set, as_of_, &strings_, frame.data());
  EXPECT_EQ(frame[count].kind, VKind::kInt);
  DecodeFrame(layout_, *schema_, Root(), as_of_, &strings_, frame.data());
  EXPECT_EQ(frame[count].kind, VKind::kUnknown);
}

TEST_F(FactFrameTest, ScalarToValueChecksTheKind) {
  FrameValue v;
  EXPECT_TRUE(ScalarToValue(FactScalar(int64_t{4}), Type::Int(), &v));
  EXPECT_EQ(v.kind, VKind::kInt);
  EXPECT_EQ(v.i, 4);
  EXPECT_TRUE(ScalarToValue(FactScalar(std::string("x")), Type::String(), &v));
  EXPECT_EQ(v.kind, VKind::kString);
  EXPECT_EQ(v.s, "x");
  EXPECT_TRUE(ScalarToValue(FactScalar(EnumNumber{2}), Type::Enum(level_), &v));
  EXPECT_EQ(v.kind, VKind::kEnum);
  EXPECT_EQ(v.ref, level_);
  EXPECT_FALSE(ScalarToValue(FactScalar(std::string("4")), Type::Int(), &v));
  EXPECT_FALSE(ScalarToValue(FactScalar(true), Type::Double(), &v));
  EXPECT_FALSE(
      ScalarToValue(FactScalar(absl::Hours(1)), Type::Timestamp(), &v));
}

TEST_F(FactFrameTest, ZeroValuesAndIsZero) {
  const FrameValue i = ZeroValue(Type::Int());
  EXPECT_EQ(i.kind, VKind::kInt);
  EXPECT_EQ(i.i, 0);
  EXPECT_TRUE(IsZeroValue(i));
  const FrameValue s = ZeroValue(Type::String());
  EXPECT_EQ(s.kind, VKind::kString);
  EXPECT_TRUE(s.s.empty());
  EXPECT_TRUE(IsZeroValue(s));
  const FrameValue b = ZeroValue(Type::Bool());
  EXPECT_EQ(b.kind, VKind::kBool);
  EXPECT_FALSE(b.b);
  EXPECT_EQ(ZeroValue(Type::Duration()).dur, absl::ZeroDuration());
  EXPECT_EQ(ZeroValue(Type::Timestamp()).kind, VKind::kTime);
  FrameValue seven;
  ASSERT_TRUE(ScalarToValue(FactScalar(int64_t{7}), Type::Int(), &seven));
  EXPECT_FALSE(IsZeroValue(seven));
  FrameValue yes;
  ASSERT_TRUE(ScalarToValue(FactScalar(true), Type::Bool(), &yes));
  EXPECT_FALSE(IsZeroValue(yes));
}

TEST_F(FactFrameTest, DisplayAndMessages) {
  FrameValue v;
  ASSERT_TRUE(ScalarToValue(FactScalar(int64_t{42}), Type::Int(), &v));
  EXPECT_EQ(DisplayFrameValue(v, *schema_), "42");
  ASSERT_TRUE(ScalarToValue(FactScalar(0.1), Type::Double(), &v));
  EXPECT_EQ(DisplayFrameValue(v, *schema_), "0.1");
  ASSERT_TRUE(
      ScalarToValue(FactScalar(std::string("a\"b")), Type::String(), &v));
  EXPECT_EQ(DisplayFrameValue(v, *schema_), "\"a\\\"b\"");
  ASSERT_TRUE(ScalarToValue(FactScalar(absl::FromUnixSeconds(1675072800)),
                            Type::Timestamp(), &v));
  EXPECT_EQ(DisplayFrameValue(v, *schema_), "2023-01-30T10:00:00Z");
  EXPECT_EQ(DisplayFrameValue(FrameValue(), *schema_), "unset");
  EXPECT_THAT(NotHoldingMessage("child.age", Type::Int()),
              HasSubstr("fact 'child.age' does not hold a "));
}

TEST(ScratchStringsTest, SavedTextStaysUntilReset) {
  ScratchStrings strings;
  const absl::string_view a = strings.Save("first");
  const absl::string_view b = strings.Save("second");
  EXPECT_EQ(a, "first");
  EXPECT_EQ(b, "second");
  std::string* next = strings.Next();
  ASSERT_NE(next, nullptr);
  EXPECT_TRUE(next->empty());
  strings.Reset();
  EXPECT_TRUE(strings.Next()->empty());
}

}  // namespace
}  // namespace lantern
