// EpisodeGenerator: entry points EpisodeGenerator::Next, CopyFacts and
// SmallerFacts. Construction walks every checked condition of the ruleset
// (rules, prompts, findings, due times, invariants) once and gathers the
// value pools of engine/decide/episode_generator.h; Next then fills a record
// top-down from the schema, drawing from those pools.
#include "engine/decide/episode_generator.h"

#include <algorithm>
#include <memory>
#include <set>
#include <utility>
#include <variant>

#include "absl/strings/str_join.h"

namespace lantern {
namespace {

constexpr int kMaxDepth = 6;
constexpr int kUnsetPercent = 15;  // a field with presence left unknown

bool IsComparison(Op op) {
  return op == Op::kEq || op == Op::kNe || op == Op::kLt || op == Op::kLe ||
         op == Op::kGt || op == Op::kGe || op == Op::kIn;
}

bool IsFieldRead(const Expr& e) {
  return (e.kind == ExprKind::kSelect || e.kind == ExprKind::kIdent) &&
         e.resolution == Resolution::kField;
}

// Filler words between phrases, so that phrases stay whole words.
constexpr const char* kFiller[] = {"and then", "she said", "later", "notes:"};

}  // namespace

EpisodeGenerator::EpisodeGenerator(const RuleSet& ruleset, uint64_t seed)
    : ruleset_(ruleset), schema_(*ruleset.schema), state_(seed) {
  for (const Rule& r : ruleset.rules) Collect(*r.when.expr);
  for (const PromptDef& p : ruleset.policy.prompts) {
    Collect(*p.when.expr);
    for (const PromptFinding& f : p.findings) {
      if (f.when.has_value()) Collect(*f.when->expr);
    }
  }
  for (const ActionDef& a : ruleset.policy.actions) {
    if (a.due.has_value()) Collect(*a.due->expr);
  }
  for (const Invariant& inv : ruleset.invariants) {
    if (inv.when.has_value()) Collect(*inv.when->expr);
    Collect(*inv.holds.expr);
  }
  for (const ConstantDef& c : ruleset.constants) {
    for (const LiteralValue& v : c.values) {
      if (const auto* d = std::get_if<absl::Duration>(&v)) {
        durations_.push_back(*d);
      }
    }
  }
  durations_.push_back(absl::ZeroDuration());
  std::sort(durations_.begin(), durations_.end());
  durations_.erase(std::unique(durations_.begin(), durations_.end()),
                   durations_.end());
  std::sort(all_phrases_.begin(), all_phrases_.end());
  all_phrases_.erase(std::unique(all_phrases_.begin(), all_phrases_.end()),
                     all_phrases_.end());
  CollectCatalogues();
  CollectAsOf();
}

uint64_t EpisodeGenerator::Random() {  // SplitMix64
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t EpisodeGenerator::Below(uint64_t n) {
  return n == 0 ? 0 : Random() % n;
}

bool EpisodeGenerator::Chance(int percent) {
  return Below(100) < static_cast<uint64_t>(percent);
}

void EpisodeGenerator::Collect(const Expr& e) {
  if (e.kind == ExprKind::kLiteral) {
    if (const auto* d = std::get_if<absl::Duration>(&e.literal)) {
      durations_.push_back(*d);
    }
  }
  if (e.kind == ExprKind::kCall && e.function == Function::kMentions &&
      e.args.size() == 2 &&
      std::holds_alternative<std::string>(e.args[1]->literal)) {
    const std::string& phrase = std::get<std::string>(e.args[1]->literal);
    all_phrases_.push_back(phrase);
    const Expr& target = *e.args[0];
    if (IsFieldRead(target)) {
      const int32_t message = target.kind == ExprKind::kSelect
                                  ? target.args[0]->type.ref
                                  : schema_.root();
      phrases_[{message, target.field}].push_back(phrase);
    }
  }
  if (e.kind == ExprKind::kBinary && IsComparison(e.op) && e.args.size() == 2) {
    for (int side = 0; side < 2; ++side) {
      const Expr& operand = *e.args[side];
      const Expr& other = *e.args[1 - side];
      if (IsFieldRead(operand)) CollectComparison(operand, other);
      // The variable of an enclosing comprehension over a list field stands
      // for that field's elements.
      if (operand.kind == ExprKind::kIdent &&
          operand.resolution == Resolution::kIterVar) {
        for (auto it = iterated_.rbegin(); it != iterated_.rend(); ++it) {
          if (it->first != operand.name) continue;
          if (it->second != nullptr) CollectComparison(*it->second, other);
          break;
        }
      }
    }
  }
  if (e.kind == ExprKind::kComprehension && e.args.size() == 2) {
    Collect(*e.args[0]);
    iterated_.emplace_back(e.iter_var,
                           IsFieldRead(*e.args[0]) ? e.args[0].get() : nullptr);
    Collect(*e.args[1]);
    iterated_.pop_back();
    return;
  }
  for (const auto& arg : e.args) Collect(*arg);
}

void EpisodeGenerator::CollectComparison(const Expr& field, const Expr& other) {
  const int32_t message = field.kind == ExprKind::kSelect
                              ? field.args[0]->type.ref
                              : schema_.root();
  if (message < 0) return;
  std::vector<LiteralValue>& pool = compared_[{message, field.field}];
  if (other.kind == ExprKind::kLiteral) pool.push_back(other.literal);
  if (other.kind == ExprKind::kList) {
    for (const auto& element : other.args) {
      if (element->kind == ExprKind::kLiteral) pool.push_back(element->literal);
    }
  }
  if (other.kind == ExprKind::kIdent &&
      other.resolution == Resolution::kConstant && other.slot >= 0 &&
      other.slot < static_cast<int32_t>(ruleset_.policy.constants.size())) {
    for (const LiteralValue& v : ruleset_.policy.constants[other.slot].values) {
      pool.push_back(v);
    }
  }
}

void EpisodeGenerator::CollectCatalogues() {
  for (const Catalogue& c : ruleset_.catalogues) {
    for (const CatalogueField& f : c.fields) {
      int32_t message = schema_.root();
      for (size_t i = 0; i + 1 < f.indices.size() && message >= 0; ++i) {
        message = schema_.message_type(message).fields[f.indices[i]].type.ref;
      }
      if (message < 0 || f.indices.empty()) continue;
      std::vector<std::string>& pool = codes_[{message, f.indices.back()}];
      for (const CatalogueEntry& e : c.entries) pool.push_back(e.code);
    }
  }
  for (auto& [key, pool] : codes_) {
    std::sort(pool.begin(), pool.end());
    pool.erase(std::unique(pool.begin(), pool.end()), pool.end());
  }
}

void EpisodeGenerator::CollectAsOf() {
  std::set<absl::Time> choices;
  for (const RuleTestCase& t : ruleset_.tests) choices.insert(t.as_of);
  const EffectivePeriod& period = ruleset_.manifest.effective;
  for (const Rule& r : ruleset_.rules) {
    for (absl::Time edge :
         {r.effective.from, r.effective.to.value_or(absl::InfinitePast())}) {
      if (edge == absl::InfinitePast()) continue;
      for (absl::Time t : {edge - absl::Hours(24), edge + absl::Hours(24)}) {
        if (period.Contains(t)) choices.insert(t);
      }
    }
  }
  if (choices.empty() && period.from != absl::InfinitePast()) {
    choices.insert(period.from + absl::Hours(24 * 365));
  }
  if (choices.empty()) choices.insert(absl::FromUnixSeconds(1714824000));
  as_of_choices_.assign(choices.begin(), choices.end());
}

GeneratedEpisode EpisodeGenerator::Next() {
  as_of_ = as_of_choices_[Below(as_of_choices_.size())];
  times_.clear();
  return {Message(schema_.root(), 0), as_of_};
}

FactRecord EpisodeGenerator::Message(int32_t type, int depth) {
  const MessageType& m = schema_.message_type(type);
  FactRecord out(type, static_cast<int32_t>(m.fields.size()));
  for (const FieldDef& def : m.fields) Fill(def, type, depth, &out);
  return out;
}

void EpisodeGenerator::Fill(const FieldDef& def, int32_t type, int depth,
                            FactRecord* out) {
  const FieldKey key{type, def.index};
  const bool message = def.type.kind == TypeKind::kMessage;
  if (message && depth >= kMaxDepth) return;
  if (def.type.is_list) {
    const auto codes = codes_.find(key);
    uint64_t n = Below(message ? 4 : 5);
    if (codes != codes_.end() && n > 0)
      n = 1 + Below(codes->second.size() < 6 ? codes->second.size() : 6);
    for (uint64_t i = 0; i < n; ++i) {
      out->Append(def.index, Scalar(def, key, depth));
    }
    return;
  }
  // Unset: a field with presence, now and then (messages a little more, so
  // that whole parts of an episode are unknown); an enum whose zero means
  // unknown, likewise.
  const bool zero_unknown = def.type.kind == TypeKind::kEnum &&
                            schema_.enum_type(def.type.ref).zero_is_unknown;
  if ((def.has_presence || zero_unknown) && Chance(kUnsetPercent)) return;
  out->Set(def.index, Scalar(def, key, depth));
}

FactScalar EpisodeGenerator::Scalar(const FieldDef& def, const FieldKey& key,
                                    int depth) {
  switch (def.type.kind) {
    case TypeKind::kBool:
      return Chance(50);
    case TypeKind::kInt:
      return Int(key);
    case TypeKind::kDouble:
      return Double(key);
    case TypeKind::kString:
      return String(key);
    case TypeKind::kTimestamp:
      return Time();
    case TypeKind::kDuration:
      return Duration();
    case TypeKind::kEnum:
      return Enum(key, def.type.ref);
    case TypeKind::kMessage:
      return std::make_unique<FactRecord>(Message(def.type.ref, depth + 1));
    default:
      return false;
  }
}

int64_t EpisodeGenerator::Int(const FieldKey& key) {
  std::vector<int64_t> pool = {0};
  auto it = compared_.find(key);
  if (it != compared_.end()) {
    for (const LiteralValue& v : it->second) {
      if (const auto* i = std::get_if<int64_t>(&v)) {
        pool.insert(pool.end(), {*i - 1, *i, *i + 1});
      } else if (const auto* d = std::get_if<double>(&v)) {
        const auto i = static_cast<int64_t>(*d);
        pool.insert(pool.end(), {i - 1, i, i + 1});
      }
    }
  }
  if (pool.size() == 1) pool.insert(pool.end(), {1, 2, 3, 10, 16});
  const int64_t v = pool[Below(pool.size())];
  return v < 0 ? 0 : v;
}

double EpisodeGenerator::Double(const FieldKey& key) {
  std::vector<double> pool = {0.0};
  auto it = compared_.find(key);
  if (it != compared_.end()) {
    for (const LiteralValue& v : it->second) {
      double x = 0;
      if (const auto* i = std::get_if<int64_t>(&v))
        x = static_cast<double>(*i);
      else if (const auto* d = std::get_if<double>(&v))
        x = *d;
      else
        continue;
      pool.insert(pool.end(), {x - 0.5, x, x + 0.5});
    }
  }
  if (pool.size() == 1) pool.insert(pool.end(), {1.0, 10.0, 100.0});
  const double v = pool[Below(pool.size())];
  return v < 0 ? 0 : v;
}

std::string EpisodeGenerator::String(const FieldKey& key) {
  auto codes = codes_.find(key);
  if (codes != codes_.end() && !codes->second.empty()) {
    return codes->second[Below(codes->second.size())];
  }
  auto compared = compared_.find(key);
  if (compared != compared_.end() && Chance(70)) {
    std::vector<std::string> strings;
    for (const LiteralValue& v : compared->second) {
      if (const auto* s = std::get_if<std::string>(&v)) strings.push_back(*s);
    }
    if (!strings.empty()) return strings[Below(strings.size())];
  }
  // Text: a few phrases the conditions look for, mostly those looked for in
  // this field.
  auto own = phrases_.find(key);
  const std::vector<std::string>* pool =
      own != phrases_.end() && Chance(85) ? &own->second : &all_phrases_;
  if (pool->empty()) return Chance(50) ? "" : "nothing of note";
  std::vector<std::string> words;
  const uint64_t n = Below(4);
  for (uint64_t i = 0; i < n; ++i) {
    if (i > 0) words.push_back(kFiller[Below(std::size(kFiller))]);
    words.push_back((*pool)[Below(pool->size())]);
  }
  return absl::StrJoin(words, " ");
}

// Relative to as_of or a timestamp placed earlier in this episode, by one of
// the ruleset's durations just under or over it (a minute either way), in
// the past or, now and then, the future.
absl::Time EpisodeGenerator::Time() {
  const absl::Time base =
      times_.empty() || Chance(30) ? as_of_ : times_[Below(times_.size())];
  const absl::Duration d = durations_[Below(durations_.size())];
  const absl::Duration nudge =
      absl::Minutes(static_cast<int64_t>(Below(3)) - 1);
  const absl::Duration offset = d + nudge;
  const absl::Time t = Chance(80) ? base - offset : base + offset;
  times_.push_back(t);
  return t;
}

absl::Duration EpisodeGenerator::Duration() {
  return durations_[Below(durations_.size())] +
         absl::Minutes(static_cast<int64_t>(Below(3)) - 1);
}

EnumNumber EpisodeGenerator::Enum(const FieldKey& key, int32_t enum_ref) {
  const EnumType& type = schema_.enum_type(enum_ref);
  auto it = compared_.find(key);
  if (it != compared_.end() && Chance(60)) {
    std::vector<int32_t> named;
    for (const LiteralValue& v : it->second) {
      if (const auto* e = std::get_if<EnumLiteral>(&v)) {
        named.push_back(e->number);
      } else if (const auto* s = std::get_if<std::string>(&v)) {
        int32_t number = 0;
        if (type.NumberOf(*s, &number)) named.push_back(number);
      }
    }
    if (!named.empty()) return {named[Below(named.size())]};
  }
  std::vector<int32_t> values;
  for (const auto& [name, number] : type.values) {
    if (!(type.zero_is_unknown && number == 0)) values.push_back(number);
  }
  if (values.empty()) return {0};
  return {values[Below(values.size())]};
}

namespace {

FactScalar CopyScalar(const FactScalar& value) {
  if (const auto* r = std::get_if<std::unique_ptr<FactRecord>>(&value)) {
    return std::make_unique<FactRecord>(CopyFacts(**r));
  }
  return std::visit(
      [](const auto& v) -> FactScalar {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::unique_ptr<FactRecord>>) {
          return std::make_unique<FactRecord>(CopyFacts(*v));
        } else {
          return v;
        }
      },
      value);
}

// `facts` with one change: at `field`, element `element` (-1: the whole
// slot) removed, or replaced by `replacement` when non-null.
FactRecord Changed(const FactRecord& facts, int32_t field, int64_t element,
                   FactRecord* replacement) {
  FactRecord out(facts.message_type(), facts.field_count());
  for (int32_t f = 0; f < facts.field_count(); ++f) {
    const FactSlot& slot = facts.slot(f);
    for (size_t i = 0; i < slot.values.size(); ++i) {
      if (f == field && (element < 0 || static_cast<int64_t>(i) == element)) {
        if (replacement == nullptr) continue;
        out.Append(f, std::make_unique<FactRecord>(std::move(*replacement)));
        continue;
      }
      out.Append(f, CopyScalar(slot.values[i]));
    }
  }
  return out;
}

}  // namespace

FactRecord CopyFacts(const FactRecord& facts) {
  return Changed(facts, -1, -1, nullptr);
}

std::vector<FactRecord> SmallerFacts(const FactRecord& facts) {
  std::vector<FactRecord> out;
  for (int32_t f = 0; f < facts.field_count(); ++f) {
    const FactSlot& slot = facts.slot(f);
    if (slot.values.empty()) continue;
    out.push_back(Changed(facts, f, -1, nullptr));  // the whole field
    if (slot.values.size() > 1) {
      for (size_t i = 0; i < slot.values.size(); ++i) {
        out.push_back(Changed(facts, f, static_cast<int64_t>(i), nullptr));
      }
    }
  }
  for (int32_t f = 0; f < facts.field_count(); ++f) {
    const FactSlot& slot = facts.slot(f);
    for (size_t i = 0; i < slot.values.size(); ++i) {
      const auto* inner =
          std::get_if<std::unique_ptr<FactRecord>>(&slot.values[i]);
      if (inner == nullptr) continue;
      for (FactRecord& smaller : SmallerFacts(**inner)) {
        out.push_back(Changed(facts, f, static_cast<int64_t>(i), &smaller));
      }
    }
  }
  return out;
}

}  // namespace lantern
