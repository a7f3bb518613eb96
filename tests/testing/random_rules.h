// Random rulesets over the schema of tests/testing/random_facts.h, built
// through the real parser and checker, for the matcher's differential tests.
//
// ConditionGenerator writes well-typed condition text using every operator
// and function of the rule language: `&& || !` nested, comparisons of
// fields with literals and constants on either side (the indexed shapes)
// and of computed values (arithmetic between fields, with overflow and
// division by zero, string concatenation, timestamp and duration
// arithmetic, as_of() against facts and literals), `in` with list literals
// and list constants, set membership, enums by literal and by name through
// string constants, has() on every kind of path, mentions() on root and
// computed text, size(), and exists / all / count comprehensions, nested,
// over repeated scalars and messages.
#ifndef LANTERN_TESTS_TESTING_RANDOM_RULES_H_
#define LANTERN_TESTS_TESTING_RANDOM_RULES_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/lang/checker.h"
#include "engine/lang/parser.h"
#include "engine/ruleset/ruleset.h"
#include "tests/testing/random_facts.h"

namespace lantern::testing {

inline std::vector<ConstantDef> RandomRuleConstants() {
  auto scalar = [](std::string name, Type type, LiteralValue v) {
    return ConstantDef{std::move(name), {}, type, {std::move(v)}};
  };
  auto list = [](std::string name, Type type, std::vector<LiteralValue> v) {
    return ConstantDef{std::move(name), {}, type.AsList(), std::move(v)};
  };
  return {
      scalar("N5", Type::Int(), int64_t{5}),
      scalar("HALF", Type::Double(), 0.5),
      scalar("NAME_A", Type::String(), std::string("a")),
      scalar("ENAME_B", Type::String(), std::string("B")),
      scalar("ENAME_AA", Type::String(), std::string("AA")),
      scalar("T0", Type::Timestamp(), BaseTime()),
      scalar("H1", Type::Duration(), absl::Hours(1)),
      scalar("YES", Type::Bool(), true),
      list("INTS", Type::Int(), {int64_t{1}, int64_t{2}, int64_t{3}}),
      list("STRS", Type::String(), {std::string("a"), std::string("b")}),
      list("ENAMES", Type::String(),
           {std::string("A"), std::string("C"), std::string("AA")}),
      list("DBLS", Type::Double(), {0.5, 2.0}),
      list("NONE", Type::Int(), {}),
  };
}

class ConditionGenerator {
 public:
  explicit ConditionGenerator(Rng* rng) : rng_(*rng) {}

  std::string Condition() { return Bool(3); }

 private:
  enum class Var { kItem, kInt, kString, kEnum, kBool, kDouble };
  struct Scope {
    std::vector<std::pair<std::string, Var>> vars;
    std::string Find(Var kind, Rng& rng) const {
      std::vector<std::string> found;
      for (const auto& [name, k] : vars) {
        if (k == kind) found.push_back(name);
      }
      return found.empty() ? "" : rng.Pick(found);
    }
  };

  template <typename... T>
  std::string One(T... options) {
    const std::vector<std::string> all = {options...};
    return rng_.Pick(all);
  }
  std::string Or(const std::string& preferred, const std::string& fallback) {
    return preferred.empty() ? fallback : preferred;
  }
  std::string Cmp() { return One("==", "!=", "<", "<=", ">", ">="); }
  std::string Eq() { return One("==", "!="); }

  std::string Bool(int depth, const Scope& scope = {}) {
    if (depth > 0 && rng_.Chance(0.5)) {
      switch (rng_.Below(5)) {
        case 0:
        case 1:
          return absl::StrCat("(", Bool(depth - 1, scope), " && ",
                              Bool(depth - 1, scope), ")");
        case 2:
        case 3:
          return absl::StrCat("(", Bool(depth - 1, scope), " || ",
                              Bool(depth - 1, scope), ")");
        default:
          return absl::StrCat("!(", Bool(depth - 1, scope), ")");
      }
    }
    if (!scope.vars.empty() && rng_.Chance(0.5)) return Scoped(scope);
    return rng_.Chance(0.6) ? Indexed(scope) : Computed(depth, scope);
  }

  // Atoms over the innermost comprehension variable.
  std::string Scoped(const Scope& scope) {
    const auto& [v, kind] = scope.vars.back();
    switch (kind) {
      case Var::kItem:
        return One(absl::StrCat(v, ".ok"), absl::StrCat("has(", v, ".ok)"),
                   absl::StrCat("has(", v, ".inner.y)"),
                   absl::StrCat("has(", v, ".inner)"),
                   absl::StrCat(v, ".n ", Cmp(), " ", IntLiteral()),
                   absl::StrCat(v, ".label == \"a\""),
                   absl::StrCat(v, ".kind ", Eq(), " \"A\""),
                   absl::StrCat(v, ".kind in ENAMES"),
                   absl::StrCat(v, ".w < 1.0"),
                   absl::StrCat(v, ".label.mentions(\"", Phrase(), "\")"),
                   absl::StrCat(v, ".inner.note.mentions(\"trap\")"),
                   absl::StrCat("3 in ", v, ".vals"),
                   absl::StrCat(v, ".n + i1 > ", v, ".inner.y"));
      case Var::kInt:
        return One(absl::StrCat(v, " ", Cmp(), " 2"),
                   absl::StrCat(v, " in INTS"), absl::StrCat(v, " == i1"),
                   absl::StrCat("10 / ", v, " > 1"));
      case Var::kString:
        return One(absl::StrCat(v, " == \"a\""),
                   absl::StrCat(v, ".mentions(\"", Phrase(), "\")"),
                   absl::StrCat(v, " in STRS"),
                   absl::StrCat("size(", v, ") > 0"));
      case Var::kEnum:
        return One(absl::StrCat(v, " == \"A\""), absl::StrCat(v, " in ENAMES"),
                   absl::StrCat(v, " != e1"));
      case Var::kBool:
        return One(v, absl::StrCat("!", v), absl::StrCat(v, " == b1"));
      case Var::kDouble:
        return One(absl::StrCat(v, " > 0.5"), absl::StrCat(v, " == 0"),
                   absl::StrCat(v, " / d2 < 1.0"));
    }
    return "true";
  }

  // Atoms of the shapes the compiler indexes.
  std::string Indexed(const Scope& scope) {
    switch (rng_.Below(12)) {
      case 0:
        return Side(One("i1", "i2", "i3", "sub.x", "sub.deep.y"), Cmp(),
                    IntLiteral());
      case 1:
        return Side(One("d1", "d2"), Cmp(),
                    One("0.5", "2.0", "-1.5", "0.0", "2", "HALF", "N5"));
      case 2:
        return Side(One("s1", "s2", "sub.name", "text"), Cmp(),
                    One("\"a\"", "\"\"", "\"ab\"", "\"A\"", "NAME_A"));
      case 3:
        return Side(One("t1", "t2", "sub.when"), Cmp(), TimeLiteral());
      case 4:
        return Side("u1", Cmp(),
                    One("duration(\"1h\")", "duration(\"30m\")", "H1",
                        "duration(\"0s\")"));
      case 5:
        return Side(
            One("e1", "e3", "sub.e"), Eq(),
            One("\"A\"", "\"B\"", "\"AA\"", "\"D\"", "ENAME_B", "ENAME_AA"));
      case 6:
        return One("e2 == \"F0\"", "e2 != \"F1\"", "\"F2\" == e2",
                   "e1 in [\"A\", \"C\"]", "e3 in ENAMES", "sub.e in ENAMES",
                   "e2 in [\"F0\", \"F2\"]");
      case 7:
        return One("b1", "b2", "sub.flag", "b1 == true", "b2 != false",
                   "true == sub.flag", "b1 == YES", "b2 in [true]");
      case 8:
        return One("i1 in [1, 2, 3]", "i2 in INTS", "i3 in [0, 5]",
                   "d1 in [0.5, 2.0]", "d2 in DBLS", "s1 in STRS",
                   "s2 in [\"a\", \"\"]", "t1 in [T0]", "i1 in NONE",
                   "i1 in [1.5, 2.0]");
      case 9:
        return One("\"a\" in tags", "NAME_A in tags", "3 in nums", "N5 in nums",
                   "\"A\" in codes", "\"AA\" in codes", "ENAME_B in codes",
                   "true in bits", "\"b\" in sub.labels", "0.5 in ws",
                   "\"\" in tags");
      case 10:
        return absl::StrCat(One("text", "s1", "sub.deep.note", "s2"),
                            ".mentions(\"", Phrase(), "\")");
      default:
        return absl::StrCat("has(",
                            One("i1", "i3", "d2", "b2", "s2", "e1", "e3",
                                "tags", "sub", "sub.x", "sub.deep",
                                "sub.deep.y", "sub.name", "items", "t1", "u1"),
                            ")");
    }
  }

  std::string Side(const std::string& field, const std::string& op,
                   const std::string& value) {
    if (rng_.Chance(0.25)) return absl::StrCat(value, " ", op, " ", field);
    return absl::StrCat(field, " ", op, " ", value);
  }
  std::string IntLiteral() {
    return One("0", "1", "2", "3", "5", "-1", "10", "N5", "1000000000000",
               "9223372036854775807", "2.5");
  }
  std::string TimeLiteral() {
    return One("timestamp(\"2024-01-01T00:00:00Z\")",
               "timestamp(\"2024-01-01T02:00:00Z\")",
               "timestamp(\"2023-12-31T23:00:00Z\")", "T0",
               "timestamp(\"2024-01-01T00:00:00.25Z\")");
  }
  std::string Phrase() {
    switch (rng_.Below(6)) {
      case 0:
        return "trap house";
      case 1:
        return "Trap-House";
      case 2:
        return "_";
      case 3:
        return absl::StrCat(rng_.Pick(PhraseWords()), " ",
                            rng_.Pick(PhraseWords()));
      default:
        return rng_.Pick(PhraseWords());
    }
  }

  // Atoms the compiler leaves to the VM.
  std::string Computed(int depth, const Scope& scope) {
    switch (rng_.Below(10)) {
      case 0:
        return absl::StrCat(Int(2, scope), " ", Cmp(), " ", Int(2, scope));
      case 1:
        return absl::StrCat(Double(2, scope), " ", Cmp(), " ",
                            One(Int(1, scope), Double(1, scope)));
      case 2:
        return absl::StrCat(Str(2, scope), " ", Cmp(), " ", Str(1, scope));
      case 3:
        return One(absl::StrCat(Time(scope), " ", Cmp(), " ", Time(scope)),
                   absl::StrCat(Dur(), " ", Cmp(), " ", Dur()),
                   absl::StrCat("as_of() - ", One("t1", "t2", "sub.when"), " ",
                                Cmp(), " ", Dur()),
                   absl::StrCat("as_of() ", Cmp(), " ", Time(scope)));
      case 4:
        return absl::StrCat(Enum(scope), " ", Eq(), " ",
                            One(Enum(scope), "\"B\"", "ENAME_AA"));
      case 5:
        return absl::StrCat(Str(1, scope), ".mentions(\"", Phrase(), "\")");
      case 6:
        return absl::StrCat("(", Bool(0, scope), " ", One("&&", "||"), " ",
                            Bool(0, scope),
                            ") == ", One("true", "false", "b1"));
      case 7:
        return One("true", "false",
                   absl::StrCat(Int(1, scope), " in [", Int(1, scope), ", 3]"));
      default:
        return Comprehension(depth, scope);
    }
  }

  std::string Comprehension(int depth, Scope scope) {
    const std::string macro = One("exists", "all", "count");
    const int level = static_cast<int>(scope.vars.size());
    std::string list, var;
    Var kind;
    switch (rng_.Below(6)) {
      case 0:
      case 1: {
        const std::string outer = scope.Find(Var::kItem, rng_);
        list = outer.empty() ? "items" : absl::StrCat(outer, ".vals");
        kind = outer.empty() ? Var::kItem : Var::kInt;
        break;
      }
      case 2:
        list = One("tags", "sub.labels");
        kind = Var::kString;
        break;
      case 3:
        list = One("nums", "INTS");
        kind = Var::kInt;
        break;
      case 4:
        list = "codes";
        kind = Var::kEnum;
        break;
      default:
        list = One("bits", "ws");
        kind = list == "bits" ? Var::kBool : Var::kDouble;
    }
    var = absl::StrCat("v", level);
    scope.vars.emplace_back(var, kind);
    std::string body = Bool(depth > 1 ? 1 : 0, scope);
    std::string call =
        absl::StrCat(list, ".", macro, "(", var, ", ", body, ")");
    if (macro == "count") {
      return absl::StrCat(call, " ", Cmp(), " ", One("0", "1", "2"));
    }
    return call;
  }

  std::string Int(int depth, const Scope& scope) {
    const std::string item = scope.Find(Var::kItem, rng_);
    const std::string var = scope.Find(Var::kInt, rng_);
    if (depth > 0 && rng_.Chance(0.4)) {
      if (rng_.Chance(0.15)) return absl::StrCat("-", Int(depth - 1, scope));
      return absl::StrCat("(", Int(depth - 1, scope), " ",
                          One("+", "-", "*", "/", "%"), " ",
                          Int(depth - 1, scope), ")");
    }
    switch (rng_.Below(6)) {
      case 0:
        return One("i1", "i2", "i3", "sub.x", "sub.deep.y");
      case 1:
        return One("0", "1", "3", "-1", "9223372036854775807");
      case 2:
        return One("size(tags)", "items.size()", "size(s1)", "size(text)");
      case 3:
        return item.empty() ? "N5"
                            : One(absl::StrCat(item, ".n"),
                                  absl::StrCat(item, ".inner.y"),
                                  absl::StrCat("size(", item, ".vals)"));
      case 4:
        return Or(var, "i2");
      default:
        return "i1";
    }
  }
  std::string Double(int depth, const Scope& scope) {
    const std::string item = scope.Find(Var::kItem, rng_);
    const std::string var = scope.Find(Var::kDouble, rng_);
    if (depth > 0 && rng_.Chance(0.4)) {
      return absl::StrCat("(", Double(depth - 1, scope), " ",
                          One("+", "-", "*", "/", "%"), " ",
                          One(Double(depth - 1, scope), Int(0, scope)), ")");
    }
    return One("d1", "d2", "0.5", "HALF", "1e300",
               item.empty() ? "d2" : absl::StrCat(item, ".w"), Or(var, "d1"));
  }
  std::string Str(int depth, const Scope& scope) {
    const std::string item = scope.Find(Var::kItem, rng_);
    const std::string var = scope.Find(Var::kString, rng_);
    if (depth > 0 && rng_.Chance(0.3)) {
      return absl::StrCat("(", Str(depth - 1, scope), " + ",
                          Str(depth - 1, scope), ")");
    }
    return One("s1", "s2", "sub.name", "text", "sub.deep.note", "\"a\"",
               "NAME_A", item.empty() ? "s2" : absl::StrCat(item, ".label"),
               item.empty() ? "s1" : absl::StrCat(item, ".inner.note"),
               Or(var, "s1"));
  }
  std::string Time(const Scope& scope) {
    switch (rng_.Below(4)) {
      case 0:
        return absl::StrCat("(", One("t1", "t2"), " ", One("+", "-"), " ",
                            Dur(), ")");
      case 1:
        return One(TimeLiteral(), "as_of()", "(as_of() - H1)");
      default:
        return One("t1", "t2", "sub.when");
    }
  }
  std::string Dur() {
    return One("u1", "(t2 - t1)", "duration(\"1h\")", "H1", "-u1",
               "(u1 + duration(\"30m\"))", "(sub.when - T0)", "(as_of() - t1)",
               "(as_of() - T0)");
  }
  std::string Enum(const Scope& scope) {
    const std::string item = scope.Find(Var::kItem, rng_);
    const std::string var = scope.Find(Var::kEnum, rng_);
    return One("e1", "e3", "sub.e",
               item.empty() ? "e1" : absl::StrCat(item, ".kind"),
               Or(var, "e3"));
  }

  Rng& rng_;
};

// A rule's condition, parsed and checked; false (with the problems) when the
// text does not check.
inline bool CheckCondition(const std::string& text, const FactSchema& schema,
                           const std::vector<ConstantDef>& constants,
                           Condition* out, std::string* problems) {
  Diagnostics diagnostics;
  out->source = SourceText::FromString("random.yaml", text);
  out->expr = ParseExpression(out->source, &diagnostics);
  if (out->expr != nullptr) {
    CheckEnv env;
    env.schema = &schema;
    env.constants = &constants;
    CheckExpression(env, out->source, Type::Bool(), out->expr.get(),
                    &diagnostics);
  }
  *problems = diagnostics.ToString();
  return out->expr != nullptr && !diagnostics.has_errors();
}

// A ruleset of `rules` random rules (ids "r000".."rNNN"); some with
// effective periods around BaseTime(). Conditions that fail to check are
// reported in *problems and left out.
inline std::shared_ptr<RuleSet> RandomRuleSet(
    Rng* rng, std::shared_ptr<const FactSchema> schema, int rules,
    std::string* problems) {
  auto ruleset = std::make_shared<RuleSet>();
  ruleset->manifest.id = "random";
  ruleset->manifest.version = "1";
  ruleset->schema = schema;
  ruleset->constants = RandomRuleConstants();
  ruleset->policy.grades = {"LOW", "HIGH"};
  ruleset->policy.grade_bands = {{"HIGH", 20}};
  ruleset->policy.levels = {"NONE", "SOME"};
  ruleset->policy.concerns = {{"C", {{"SOME", 10}}}};
  ConditionGenerator generator(rng);
  for (int i = 0; i < rules; ++i) {
    Rule rule;
    rule.id = absl::StrCat("r", i / 100, (i / 10) % 10, i % 10);
    rule.title = rule.id;
    rule.concern = rng->Chance(0.5) ? "C" : "";
    rule.score = rng->Below(12);
    if (rng->Chance(0.1)) rule.grade_floor = "HIGH";
    if (rng->Chance(0.15)) {
      rule.effective.from = BaseTime() + absl::Hours(rng->Below(5) - 2);
    }
    if (rng->Chance(0.1)) {
      rule.effective.to = BaseTime() + absl::Hours(rng->Below(5) + 1);
    }
    std::string text = generator.Condition(), problem;
    if (!CheckCondition(text, *schema, ruleset->constants, &rule.when,
                        &problem)) {
      absl::StrAppend(problems, text, "\n", problem);
      continue;
    }
    ruleset->rules.push_back(std::move(rule));
  }
  return ruleset;
}

}  // namespace lantern::testing

#endif  // LANTERN_TESTS_TESTING_RANDOM_RULES_H_
