// Random fact records over a test schema that has every kind of field the
// rule language reads, for the matcher's differential tests.
//
// The schema (root "d.Facts"): ints, doubles, bools and strings with and
// without presence; free text; timestamps and durations; enums whose zero is
// unknown and one whose zero is a value (with an alias name); repeated
// strings, ints, enums, bools and doubles; a nested message with a nested
// message; and a repeated message with its own nested message and list.
//
// Records draw from small value pools so that comparisons land on, below and
// above the rules' thresholds, with rare extremes (INT64_MIN, NaN, 1e300),
// unset fields and messages, and rarely a malformed record (a value of the
// wrong kind, a null message) to reach the ERROR paths.
//
// Everything is a pure function of the seed: Rng is a fixed generator
// (splitmix64), not a std:: distribution.
#ifndef LANTERN_TESTS_TESTING_RANDOM_FACTS_H_
#define LANTERN_TESTS_TESTING_RANDOM_FACTS_H_

#include <cctype>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "engine/facts/facts.h"
#include "engine/facts/schema.h"

namespace lantern::testing {

class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n).
  int Below(int n) {
    return static_cast<int>(Next() % static_cast<uint64_t>(n));
  }
  bool Chance(double p) { return (Next() >> 11) * 0x1.0p-53 < p; }
  template <typename T>
  const T& Pick(const std::vector<T>& items) {
    return items[Below(static_cast<int>(items.size()))];
  }

 private:
  uint64_t state_;
};

inline absl::Time BaseTime() { return absl::FromUnixSeconds(1704067200); }

// The test schema. Field indices follow declaration order.
inline std::shared_ptr<const FactSchema> RandomFactsSchema() {
  FactSchemaBuilder b;
  const int32_t root = b.AddMessage("d.Facts");
  const int32_t sub = b.AddMessage("d.Sub");
  const int32_t deep = b.AddMessage("d.Deep");
  const int32_t item = b.AddMessage("d.Item");
  const int32_t e = b.AddEnum("d.E", {{"E_UNSPECIFIED", 0},
                                      {"A", 1},
                                      {"B", 2},
                                      {"C", 3},
                                      {"D", 4},
                                      {"AA", 1}});
  b.SetZeroIsUnknown(e, true);
  const int32_t f = b.AddEnum("d.F", {{"F0", 0}, {"F1", 1}, {"F2", 2}});
  const Type te = Type::Enum(e), tf = Type::Enum(f);
  b.AddField(root, "i1", Type::Int(), true);
  b.AddField(root, "i2", Type::Int(), true);
  b.AddField(root, "i3", Type::Int(), false);
  b.AddField(root, "d1", Type::Double(), true);
  b.AddField(root, "d2", Type::Double(), false);
  b.AddField(root, "b1", Type::Bool(), true);
  b.AddField(root, "b2", Type::Bool(), false);
  b.AddField(root, "s1", Type::String(), true);
  b.AddField(root, "s2", Type::String(), false);
  b.AddField(root, "text", Type::String(), true);
  b.AddField(root, "t1", Type::Timestamp(), true);
  b.AddField(root, "t2", Type::Timestamp(), true);
  b.AddField(root, "u1", Type::Duration(), true);
  b.AddField(root, "e1", te, false);
  b.AddField(root, "e2", tf, false);
  b.AddField(root, "e3", te, true);
  b.AddField(root, "tags", Type::String().AsList(), false);
  b.AddField(root, "nums", Type::Int().AsList(), false);
  b.AddField(root, "codes", te.AsList(), false);
  b.AddField(root, "bits", Type::Bool().AsList(), false);
  b.AddField(root, "ws", Type::Double().AsList(), false);
  b.AddField(root, "sub", Type::Message(sub), true);
  b.AddField(root, "items", Type::Message(item).AsList(), false);
  b.AddField(sub, "x", Type::Int(), true);
  b.AddField(sub, "name", Type::String(), false);
  b.AddField(sub, "e", te, false);
  b.AddField(sub, "flag", Type::Bool(), true);
  b.AddField(sub, "deep", Type::Message(deep), true);
  b.AddField(sub, "labels", Type::String().AsList(), false);
  b.AddField(sub, "when", Type::Timestamp(), true);
  b.AddField(deep, "y", Type::Int(), true);
  b.AddField(deep, "note", Type::String(), true);
  b.AddField(item, "n", Type::Int(), true);
  b.AddField(item, "ok", Type::Bool(), true);
  b.AddField(item, "label", Type::String(), false);
  b.AddField(item, "w", Type::Double(), false);
  b.AddField(item, "kind", te, false);
  b.AddField(item, "vals", Type::Int().AsList(), false);
  b.AddField(item, "inner", Type::Message(deep), true);
  auto schema = std::move(b).Build(root);
  if (!schema.ok()) std::abort();
  return *std::move(schema);
}

// Words the random texts and the rules' phrases share.
inline const std::vector<std::string>& PhraseWords() {
  static const auto* words = new std::vector<std::string>{
      "trap",  "house", "older", "boyfriend", "cash",   "county",
      "lines", "taxi",  "x2",    "23",        "houses", "trapped"};
  return *words;
}

class RandomFactsGenerator {
 public:
  RandomFactsGenerator(const FactSchema& schema, Rng* rng)
      : schema_(schema), rng_(*rng) {}

  FactRecord Record() {
    FactRecord r = New("d.Facts");
    SetMaybe(&r, "i1", Int());
    SetMaybe(&r, "i2", Int());
    SetMaybe(&r, "i3", Int());
    SetMaybe(&r, "d1", Double());
    SetMaybe(&r, "d2", Double());
    SetMaybe(&r, "b1", FactScalar(rng_.Chance(0.5)));
    SetMaybe(&r, "b2", FactScalar(rng_.Chance(0.5)));
    SetMaybe(&r, "s1", Str());
    SetMaybe(&r, "s2", Str());
    SetMaybe(&r, "text", FactScalar(Text()));
    SetMaybe(&r, "t1", Time());
    SetMaybe(&r, "t2", Time());
    SetMaybe(&r, "u1", Dur());
    SetMaybe(&r, "e1", Enum());
    SetMaybe(&r, "e2", FactScalar(EnumNumber{rng_.Below(4)}));
    SetMaybe(&r, "e3", Enum());
    AppendSome(&r, "tags", [&] { return Str(); });
    AppendSome(&r, "nums", [&] { return Int(); });
    AppendSome(&r, "codes", [&] { return Enum(); });
    AppendSome(&r, "bits", [&] { return FactScalar(rng_.Chance(0.5)); });
    AppendSome(&r, "ws", [&] { return Double(); });
    if (rng_.Chance(0.75)) SetMessage(&r, "sub", Sub());
    const int items = rng_.Below(4);
    for (int i = 0; i < items; ++i) {
      r.Append(Index(r, "items"), std::make_unique<FactRecord>(Item()));
    }
    if (rng_.Chance(0.02)) Malform(&r);
    return r;
  }

 private:
  FactRecord New(const char* message) const {
    const int32_t m = schema_.FindMessage(message);
    return FactRecord(
        m, static_cast<int32_t>(schema_.message_type(m).fields.size()));
  }
  int32_t Index(const FactRecord& r, const char* field) const {
    return schema_.message_type(r.message_type()).FindField(field)->index;
  }
  void SetMaybe(FactRecord* r, const char* field, FactScalar v) {
    if (rng_.Chance(0.78)) r->Set(Index(*r, field), std::move(v));
  }
  void SetMessage(FactRecord* r, const char* field, FactRecord m) {
    r->Set(Index(*r, field), std::make_unique<FactRecord>(std::move(m)));
  }
  template <typename Make>
  void AppendSome(FactRecord* r, const char* field, Make make) {
    const int n = rng_.Below(4);
    for (int i = 0; i < n; ++i) r->Append(Index(*r, field), make());
  }
  FactScalar Int() {
    if (rng_.Chance(0.03)) {
      return FactScalar(rng_.Chance(0.5) ? std::numeric_limits<int64_t>::max()
                                         : std::numeric_limits<int64_t>::min());
    }
    static const std::vector<int64_t> pool = {
        -2, -1, 0, 1, 2, 3, 4, 5, 7, 10, 1000000000000};
    return FactScalar(rng_.Pick(pool));
  }
  FactScalar Double() {
    if (rng_.Chance(0.03)) return FactScalar(std::nan(""));
    static const std::vector<double> pool = {-1.5, -0.0, 0.0, 0.5,  1.0,
                                             2.0,  2.5,  3.0, 10.0, 1e300};
    return FactScalar(rng_.Pick(pool));
  }
  FactScalar Str() {
    static const std::vector<std::string> pool = {"",  "a",        "b",   "ab",
                                                  "A", "\xc3\xa9", "a\"b"};
    return FactScalar(rng_.Pick(pool));
  }
  FactScalar Time() {
    return FactScalar(
        BaseTime() + absl::Hours(rng_.Below(7) - 3) +
        (rng_.Chance(0.1) ? absl::Milliseconds(250) : absl::ZeroDuration()));
  }
  FactScalar Dur() {
    static const std::vector<int> minutes = {0, 30, 60, 90, 120, -60, 1440};
    return FactScalar(absl::Minutes(rng_.Pick(minutes)));
  }
  FactScalar Enum() {
    return FactScalar(EnumNumber{rng_.Chance(0.05) ? 7 : rng_.Below(5)});
  }
  std::string Text() {
    static const std::vector<std::string> filler = {"the", "a", "was", "and"};
    static const std::vector<std::string> seps = {
        " ", " ", " ", "-", "  ", "\n", "'s ", ", ", " / ", "."};
    std::string text;
    const int n = rng_.Below(9);
    for (int i = 0; i < n; ++i) {
      std::string word =
          rng_.Chance(0.6) ? rng_.Pick(PhraseWords()) : rng_.Pick(filler);
      if (rng_.Chance(0.15)) {
        for (char& c : word) c = static_cast<char>(std::toupper(c));
      }
      absl::StrAppend(&text, word, rng_.Pick(seps));
    }
    if (rng_.Chance(0.05)) text += "\xc3\xa9trap";
    return text;
  }
  FactRecord Deep() {
    FactRecord d = New("d.Deep");
    SetMaybe(&d, "y", Int());
    SetMaybe(&d, "note", FactScalar(Text()));
    return d;
  }
  FactRecord Sub() {
    FactRecord s = New("d.Sub");
    SetMaybe(&s, "x", Int());
    SetMaybe(&s, "name", Str());
    SetMaybe(&s, "e", Enum());
    SetMaybe(&s, "flag", FactScalar(rng_.Chance(0.5)));
    if (rng_.Chance(0.6)) SetMessage(&s, "deep", Deep());
    AppendSome(&s, "labels", [&] { return Str(); });
    SetMaybe(&s, "when", Time());
    return s;
  }
  FactRecord Item() {
    FactRecord it = New("d.Item");
    SetMaybe(&it, "n", Int());
    SetMaybe(&it, "ok", FactScalar(rng_.Chance(0.5)));
    SetMaybe(&it, "label", Str());
    SetMaybe(&it, "w", Double());
    SetMaybe(&it, "kind", Enum());
    AppendSome(&it, "vals", [&] { return Int(); });
    if (rng_.Chance(0.5)) SetMessage(&it, "inner", Deep());
    return it;
  }
  // One value of the wrong kind somewhere (FactRecord allows it; the
  // evaluators must report ERROR, never crash).
  void Malform(FactRecord* r) {
    switch (rng_.Below(5)) {
      case 0:
        r->Set(Index(*r, "i1"), FactScalar(std::string("oops")));
        break;
      case 1:
        r->Set(Index(*r, "sub"), FactScalar(int64_t{1}));
        break;
      case 2:
        r->Append(Index(*r, "tags"), FactScalar(int64_t{2}));
        break;
      case 3:
        r->Set(Index(*r, "sub"), std::unique_ptr<FactRecord>());
        break;
      default: {
        FactRecord it = Item();
        it.Append(Index(it, "vals"), FactScalar(1.5));
        r->Append(Index(*r, "items"),
                  std::make_unique<FactRecord>(std::move(it)));
      }
    }
  }

  const FactSchema& schema_;
  Rng& rng_;
};

// A readable dump of a record, for failure messages.
inline std::string DescribeFacts(const FactRecord& r, const FactSchema& schema);

inline std::string DescribeScalar(const FactScalar& v,
                                  const FactSchema& schema) {
  switch (v.index()) {
    case 0:
      return std::get<bool>(v) ? "true" : "false";
    case 1:
      return absl::StrCat(std::get<int64_t>(v));
    case 2:
      return absl::StrCat(std::get<double>(v));
    case 3:
      return absl::StrCat("\"", absl::CEscape(std::get<std::string>(v)), "\"");
    case 4:
      return absl::FormatTime(std::get<absl::Time>(v));
    case 5:
      return absl::FormatDuration(std::get<absl::Duration>(v));
    case 6:
      return absl::StrCat("#", std::get<EnumNumber>(v).number);
    default: {
      const auto& m = std::get<std::unique_ptr<FactRecord>>(v);
      return m == nullptr ? "null" : DescribeFacts(*m, schema);
    }
  }
}

inline std::string DescribeFacts(const FactRecord& r,
                                 const FactSchema& schema) {
  std::vector<std::string> parts;
  const MessageType& type = schema.message_type(r.message_type());
  for (int32_t i = 0; i < r.field_count(); ++i) {
    const FactSlot& slot = r.slot(i);
    if (slot.values.empty()) continue;
    std::vector<std::string> values;
    for (const FactScalar& v : slot.values) {
      values.push_back(DescribeScalar(v, schema));
    }
    const bool list = type.fields[i].type.is_list;
    parts.push_back(absl::StrCat(type.fields[i].name, ": ", list ? "[" : "",
                                 absl::StrJoin(values, ", "), list ? "]" : ""));
  }
  return absl::StrCat("{", absl::StrJoin(parts, ", "), "}");
}

}  // namespace lantern::testing

#endif  // LANTERN_TESTS_TESTING_RANDOM_FACTS_H_
