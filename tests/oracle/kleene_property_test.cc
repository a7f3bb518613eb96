// Property tests of the reference evaluator's three-valued logic.
//
// Random boolean expressions over optional bool fields, comparisons of
// optional ints (root fields and fields of an optional nested message) and
// integer divisions that may divide by zero (ERROR) are evaluated against
// random facts with some fields unset, and checked against:
//   (a) a tiny independent four-valued truth-table oracle written here;
//   (b) monotonicity: setting an unset field never changes TRUE/FALSE;
//   (c) De Morgan: !(a && b) ≡ !a || !b and !(a || b) ≡ !a && !b, in truth,
//       reasons, unknown paths and error;
//   (d) UNKNOWN iff unknown_paths is non-empty, and every unknown path is
//       unset in the facts.
// The generator is a seeded std::mt19937; every failure names the seed, the
// case and the expression. Set LANTERN_KLEENE_SEED to reproduce another run.
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/facts/facts.h"
#include "engine/facts/schema.h"
#include "engine/lang/checker.h"
#include "engine/lang/diagnostics.h"
#include "engine/lang/parser.h"
#include "engine/lang/source_text.h"
#include "gtest/gtest.h"
#include "tests/oracle/oracle.h"

namespace lantern {
namespace {

constexpr int kVars = 5;  // b0..b3 and m.b; i0..i3 and m.i
constexpr int kCases = 5000;

// The facts: index 4 of each array is the field of the nested message `m`.
struct Facts {
  std::array<std::optional<bool>, kVars> b;
  std::array<std::optional<int64_t>, kVars> i;
  bool m_set = false;

  bool BoolUnset(int v) const {
    return !b[v].has_value() || (v == 4 && !m_set);
  }
  bool IntUnset(int v) const { return !i[v].has_value() || (v == 4 && !m_set); }
};

std::string BoolName(int v) { return v == 4 ? "m.b" : absl::StrCat("b", v); }
std::string IntName(int v) { return v == 4 ? "m.i" : absl::StrCat("i", v); }

// ---------------------------------------------------------------------------
// The oracle.

enum class V { kF, kT, kU, kE };

V FromTruth(Truth t) {
  switch (t) {
    case Truth::kFalse:
      return V::kF;
    case Truth::kTrue:
      return V::kT;
    case Truth::kUnknown:
      return V::kU;
    case Truth::kError:
      return V::kE;
  }
  return V::kE;
}

V And(V a, V b) {
  if (a == V::kF || b == V::kF) return V::kF;
  if (a == V::kE || b == V::kE) return V::kE;
  if (a == V::kU || b == V::kU) return V::kU;
  return V::kT;
}
V Or(V a, V b) {
  if (a == V::kT || b == V::kT) return V::kT;
  if (a == V::kE || b == V::kE) return V::kE;
  if (a == V::kU || b == V::kU) return V::kU;
  return V::kF;
}
V Not(V a) {
  if (a == V::kT) return V::kF;
  if (a == V::kF) return V::kT;
  return a;
}

enum class Cmp { kEq, kNe, kLt, kLe, kGt, kGe };
const char* const kCmpText[] = {"==", "!=", "<", "<=", ">", ">="};

bool Compare(Cmp op, int64_t x, int64_t y) {
  switch (op) {
    case Cmp::kEq:
      return x == y;
    case Cmp::kNe:
      return x != y;
    case Cmp::kLt:
      return x < y;
    case Cmp::kLe:
      return x <= y;
    case Cmp::kGt:
      return x > y;
    case Cmp::kGe:
      return x >= y;
  }
  return false;
}

struct Node {
  enum Kind { kBool, kLiteral, kCmpConst, kCmpVars, kDiv, kNot, kAnd, kOr };
  Kind kind = kLiteral;
  int a = 0, b = 0;  // variable indices
  Cmp op = Cmp::kEq;
  int64_t c = 0;
  bool literal = false;
  std::unique_ptr<Node> l, r;
};

V Oracle(const Node& n, const Facts& f) {
  switch (n.kind) {
    case Node::kBool:
      return f.BoolUnset(n.a) ? V::kU : (*f.b[n.a] ? V::kT : V::kF);
    case Node::kLiteral:
      return n.literal ? V::kT : V::kF;
    case Node::kCmpConst:
      if (f.IntUnset(n.a)) return V::kU;
      return Compare(n.op, *f.i[n.a], n.c) ? V::kT : V::kF;
    case Node::kCmpVars:
      if (f.IntUnset(n.a) || f.IntUnset(n.b)) return V::kU;
      return Compare(n.op, *f.i[n.a], *f.i[n.b]) ? V::kT : V::kF;
    case Node::kDiv:  // i_a / i_b op c: UNKNOWN before ERROR inside the atom
      if (f.IntUnset(n.a) || f.IntUnset(n.b)) return V::kU;
      if (*f.i[n.b] == 0) return V::kE;
      return Compare(n.op, *f.i[n.a] / *f.i[n.b], n.c) ? V::kT : V::kF;
    case Node::kNot:
      return Not(Oracle(*n.l, f));
    case Node::kAnd:
      return And(Oracle(*n.l, f), Oracle(*n.r, f));
    case Node::kOr:
      return Or(Oracle(*n.l, f), Oracle(*n.r, f));
  }
  return V::kE;
}

// ---------------------------------------------------------------------------
// Random generation.

class Generator {
 public:
  explicit Generator(uint32_t seed) : rng_(seed) {}

  int Uniform(int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng_);
  }
  bool Chance(double p) { return std::bernoulli_distribution(p)(rng_); }

  std::unique_ptr<Node> Expr(int depth) {
    auto n = std::make_unique<Node>();
    if (depth <= 0 || Chance(0.3)) return Leaf();
    const int k = Uniform(0, 4);
    n->kind = k == 0 ? Node::kNot : (k <= 2 ? Node::kAnd : Node::kOr);
    n->l = Expr(depth - 1);
    if (n->kind != Node::kNot) n->r = Expr(depth - 1);
    return n;
  }

  Facts RandomFacts() {
    Facts f;
    f.m_set = Chance(0.7);
    for (int v = 0; v < kVars; ++v) {
      if (Chance(0.6) && (v < 4 || f.m_set)) f.b[v] = Chance(0.5);
      if (Chance(0.6) && (v < 4 || f.m_set)) f.i[v] = Uniform(-3, 3);
    }
    return f;
  }

  // A space or a run of whitespace, to exercise condition-text collapsing.
  std::string Space() {
    static const char* const kSpaces[] = {" ", " ", " ", "  ", "\n ", "\t"};
    return kSpaces[Uniform(0, 5)];
  }

 private:
  std::unique_ptr<Node> Leaf() {
    auto n = std::make_unique<Node>();
    const int k = Uniform(0, 9);
    n->kind = k <= 3   ? Node::kBool
              : k <= 6 ? Node::kCmpConst
              : k == 7 ? Node::kCmpVars
              : k == 8 ? Node::kDiv
                       : Node::kLiteral;
    n->a = Uniform(0, kVars - 1);
    n->b = Uniform(0, kVars - 1);
    n->op = static_cast<Cmp>(Uniform(0, 5));
    n->c = Uniform(-2, 2);
    n->literal = Chance(0.5);
    return n;
  }

  std::mt19937 rng_;
};

std::string Text(const Node& n, Generator* g) {
  const std::string op = n.kind == Node::kNot ? "" : kCmpText[int(n.op)];
  switch (n.kind) {
    case Node::kBool:
      return BoolName(n.a);
    case Node::kLiteral:
      return n.literal ? "true" : "false";
    case Node::kCmpConst:
      return absl::StrCat(IntName(n.a), g->Space(), op, g->Space(), n.c);
    case Node::kCmpVars:
      return absl::StrCat(IntName(n.a), g->Space(), op, g->Space(),
                          IntName(n.b));
    case Node::kDiv:
      return absl::StrCat(IntName(n.a), " / ", IntName(n.b), g->Space(), op,
                          " ", n.c);
    case Node::kNot:
      return absl::StrCat("!(", Text(*n.l, g), ")");
    case Node::kAnd:
    case Node::kOr:
      return absl::StrCat("(", Text(*n.l, g), g->Space(),
                          n.kind == Node::kAnd ? "&&" : "||", g->Space(),
                          Text(*n.r, g), ")");
  }
  return "";
}

// ---------------------------------------------------------------------------
// Evaluation through the real parser, checker and evaluator.

class KleenePropertyTest : public ::testing::Test {
 protected:
  KleenePropertyTest() {
    FactSchemaBuilder b;
    root_ = b.AddMessage("k.Facts");
    sub_ = b.AddMessage("k.Sub");
    for (int v = 0; v < 4; ++v) {
      b.AddField(root_, BoolName(v), Type::Bool(), true);
      b.AddField(root_, IntName(v), Type::Int(), true);
    }
    b.AddField(root_, "m", Type::Message(sub_), true);
    b.AddField(sub_, "b", Type::Bool(), true);
    b.AddField(sub_, "i", Type::Int(), true);
    auto schema = std::move(b).Build(root_);
    EXPECT_TRUE(schema.ok()) << schema.status();
    schema_ = *std::move(schema);
    const char* seed = std::getenv("LANTERN_KLEENE_SEED");
    seed_ = seed != nullptr
                ? static_cast<uint32_t>(std::strtoul(seed, nullptr, 10))
                : 20240229u;
  }

  FactRecord Build(const Facts& f) const {
    FactRecord root(root_, 9);
    for (int v = 0; v < 4; ++v) {
      if (f.b[v].has_value()) root.Set(2 * v, *f.b[v]);
      if (f.i[v].has_value()) root.Set(2 * v + 1, *f.i[v]);
    }
    if (f.m_set) {
      auto m = std::make_unique<FactRecord>(sub_, 2);
      if (f.b[4].has_value()) m->Set(0, *f.b[4]);
      if (f.i[4].has_value()) m->Set(1, *f.i[4]);
      root.Set(8, std::move(m));
    }
    return root;
  }

  // Parses, checks and evaluates; a kError result with error "compile" when
  // the text does not compile (also a test failure).
  ConditionResult Evaluate(const std::string& text, const Facts& f) const {
    const SourceText source = SourceText::FromString("prop", text);
    Diagnostics diagnostics;
    std::unique_ptr<Expr> expr = ParseExpression(source, &diagnostics);
    if (expr != nullptr) {
      CheckEnv env;
      env.schema = schema_.get();
      CheckExpression(env, source, Type::Bool(), expr.get(), &diagnostics);
    }
    if (expr == nullptr || diagnostics.has_errors()) {
      ADD_FAILURE() << text << "\n" << diagnostics.ToString();
      return ConditionResult{Truth::kError, {}, {}, "compile"};
    }
    const ReferenceEvaluator evaluator(schema_.get(), nullptr,
                                       absl::UnixEpoch());
    return evaluator.EvaluateCondition(*expr, source, Build(f));
  }

  static bool PathUnset(const std::string& path, const Facts& f) {
    for (int v = 0; v < kVars; ++v) {
      if (path == BoolName(v)) return f.BoolUnset(v);
      if (path == IntName(v)) return f.IntUnset(v);
    }
    return false;  // not a path of this schema
  }

  // Every unset field, as a setter.
  static std::vector<int> UnsetFields(const Facts& f) {
    std::vector<int> out;  // 0..4 bool, 5..9 int
    for (int v = 0; v < kVars; ++v) {
      if (f.BoolUnset(v)) out.push_back(v);
      if (f.IntUnset(v)) out.push_back(kVars + v);
    }
    return out;
  }

  static void SetField(int field, Generator* g, Facts* f) {
    const int v = field % kVars;
    if (v == 4 && !f->m_set) {
      f->m_set = true;
      f->b[4].reset();
      f->i[4].reset();
    }
    if (field < kVars) {
      f->b[v] = g->Chance(0.5);
    } else {
      f->i[v] = g->Uniform(-3, 3);
    }
  }

  std::string Where(int i, const std::string& text) const {
    return absl::StrCat("seed ", seed_, " (LANTERN_KLEENE_SEED), case ", i,
                        ": ", text);
  }

  int32_t root_ = -1, sub_ = -1;
  std::shared_ptr<const FactSchema> schema_;
  uint32_t seed_ = 0;
};

std::vector<std::string> Conditions(const ConditionResult& r) {
  std::vector<std::string> out;
  for (const AtomEvidence& e : r.reasons) out.push_back(e.condition);
  return out;
}

TEST_F(KleenePropertyTest, AgreesWithTruthTableOracle) {
  Generator g(seed_);
  for (int i = 0; i < kCases && !HasFailure(); ++i) {
    const std::unique_ptr<Node> tree = g.Expr(g.Uniform(0, 5));
    const std::string text = Text(*tree, &g);
    const Facts facts = g.RandomFacts();
    const ConditionResult r = Evaluate(text, facts);
    SCOPED_TRACE(Where(i, text));
    EXPECT_EQ(FromTruth(r.truth), Oracle(*tree, facts))
        << "evaluator said " << TruthName(r.truth);
    // (d) UNKNOWN iff there are unknown paths, each one really unset.
    EXPECT_EQ(r.truth == Truth::kUnknown, !r.unknown_paths.empty());
    for (const std::string& path : r.unknown_paths) {
      EXPECT_TRUE(PathUnset(path, facts)) << path;
    }
    EXPECT_EQ(r.truth == Truth::kError, !r.error.empty()) << r.error;
    // Reasons: in source order, and there is always at least one.
    EXPECT_FALSE(r.reasons.empty());
    for (size_t k = 1; k < r.reasons.size(); ++k) {
      EXPECT_LT(r.reasons[k - 1].offset, r.reasons[k].offset);
    }
  }
}

TEST_F(KleenePropertyTest, SettingAnUnsetFieldNeverChangesTrueOrFalse) {
  Generator g(seed_ + 1);
  for (int i = 0; i < kCases && !HasFailure(); ++i) {
    const std::unique_ptr<Node> tree = g.Expr(g.Uniform(1, 5));
    const std::string text = Text(*tree, &g);
    Facts facts = g.RandomFacts();
    const Truth before = Evaluate(text, facts).truth;
    if (before != Truth::kTrue && before != Truth::kFalse) continue;
    // Fill in unset fields one at a time, re-checking after each.
    std::vector<int> unset = UnsetFields(facts);
    std::shuffle(unset.begin(), unset.end(), std::mt19937(seed_ + i));
    for (int field : unset) {
      SetField(field, &g, &facts);
      SCOPED_TRACE(Where(i, text));
      EXPECT_EQ(Evaluate(text, facts).truth, before)
          << "after setting field #" << field;
    }
  }
}

TEST_F(KleenePropertyTest, DeMorgan) {
  Generator g(seed_ + 2);
  for (int i = 0; i < kCases && !HasFailure(); ++i) {
    const std::unique_ptr<Node> a = g.Expr(g.Uniform(0, 3));
    const std::unique_ptr<Node> b = g.Expr(g.Uniform(0, 3));
    const std::string ta = Text(*a, &g);
    const std::string tb = Text(*b, &g);
    const Facts facts = g.RandomFacts();
    const bool with_and = g.Chance(0.5);
    const std::string lhs =
        absl::StrCat("!(", ta, with_and ? " && " : " || ", tb, ")");
    const std::string rhs =
        absl::StrCat("!(", ta, with_and ? ") || " : ") && ", "!(", tb, ")");
    SCOPED_TRACE(Where(i, absl::StrCat(lhs, "  vs  ", rhs)));
    const ConditionResult l = Evaluate(lhs, facts);
    const ConditionResult r = Evaluate(rhs, facts);
    EXPECT_EQ(l.truth, r.truth);
    EXPECT_EQ(Conditions(l), Conditions(r));
    EXPECT_EQ(l.unknown_paths, r.unknown_paths);
    EXPECT_EQ(l.error, r.error);
  }
}

}  // namespace
}  // namespace lantern
