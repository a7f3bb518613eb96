// Encoder (internal to engine/analyze/): checked conditions → Z3 terms over
// the fact schema's domains, with the reference evaluator's three-valued
// semantics. See engine/analyze/analyzer.h for the domains.
//
// Facts are solver variables created on first read, by path
// ("episode.found.with.people[1].age_years"): a presence boolean per
// singular message and per field with presence, a value per scalar, a
// length per repeated message field, a membership boolean per domain value
// of a repeated scalar field, and per text field a "not empty" boolean and
// one boolean per phrase it mentions. Each variable brings its domain
// constraints; ReadSet collects the paths one encoding touched, so a query
// asserts only the constraints of what it reads and a witness sets only
// those facts.
//
// Thread-safety: not thread-safe; one per analysis (it owns no context).
#ifndef LANTERN_ENGINE_ANALYZE_INTERNAL_ENCODER_H_
#define LANTERN_ENGINE_ANALYZE_INTERNAL_ENCODER_H_

#include <z3++.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/analyze/analyzer.h"
#include "engine/lang/ast.h"
#include "engine/ruleset/ruleset.h"

namespace lantern {
namespace analyze_internal {

// A condition the encoding cannot express; the message says why.
struct Unsupported {
  std::string why;
};

// A three-valued boolean: t and f are never both true; neither is UNKNOWN.
struct Tri {
  z3::expr t, f;
};

// What policy-stage and answer-stage functions read (AnalyzeRuleSet builds
// it from the rules' truths).
struct PolicyTerms {
  bool answer_stage = false;
  std::vector<std::string> rule_ids;         // ruleset order
  std::vector<Tri> rules;                    // per rule
  std::vector<std::string> concerns;         // policy order
  std::vector<z3::expr> score_lo, score_hi;  // per concern
  std::vector<z3::expr> level_lo, level_hi;  // per concern
  std::optional<z3::expr> total_lo, total_hi;
  // Answer stage.
  std::optional<z3::expr> grade;
  std::vector<std::string> prompt_names;
  std::vector<z3::expr> prompt_rank;
  std::vector<std::string> action_codes;
  std::vector<z3::expr> action_listed;
};

// An encoded value. Scalars: `def` (known) and `v`; booleans: a Tri;
// a bounded policy value: [lo, hi] (open when lo != hi); messages: `def`
// is "present" and `path` names it; lists: `def` is "known" and `path` the
// field (or `items` for a literal list).
struct Value {
  enum Kind {
    kBool,
    kInt,
    kReal,
    kTime,  // seconds from as_of
    kDur,   // seconds
    kEnum,
    kStrConst,
    kText,
    kMsg,
    kScalarList,
    kMsgList,
    kLitList,
    kBounded,
  } kind = kBool;
  Tri b;
  z3::expr def, v, lo, hi;
  int32_t ref = -1;          // enum or message type
  std::string s;             // kStrConst
  std::string path;          // kText, kMsg, kScalarList, kMsgList
  Type elem;                 // lists: the element type
  std::vector<Value> items;  // kLitList

  explicit Value(z3::context& ctx)
      : b{ctx.bool_val(false), ctx.bool_val(false)},
        def(ctx.bool_val(true)),
        v(ctx.int_val(0)),
        lo(ctx.int_val(0)),
        hi(ctx.int_val(0)) {}
};

// The solver variables of one fact path.
struct Var {
  std::string path;
  Type type;
  const FieldDef* field = nullptr;   // null for list elements
  std::optional<z3::expr> set;       // presence (messages, fields with it)
  std::optional<z3::expr> value;     // scalars
  std::optional<z3::expr> length;    // repeated messages
  std::vector<std::string> codes;    // repeated strings: the domain
  std::vector<int32_t> numbers;      // repeated enums: the domain
  std::vector<z3::expr> member;      // per domain value
  std::optional<z3::expr> nonempty;  // text
  std::map<std::string, z3::expr> phrases;  // text: normalised phrase → var
  std::vector<std::pair<z3::expr, std::string>> domain;
};

class Encoder {
 public:
  // `also` (may be null) is a second ruleset over the same fact message
  // whose conditions the same variables serve (`lantern diff`): its codes
  // and strings join the domains. REQUIRES: all outlive the encoder.
  Encoder(z3::context* ctx, const RuleSet* ruleset, const AnalysisOptions* opt,
          const RuleSet* also = nullptr);

  // The ruleset whose constants the next conditions name.
  void Use(const RuleSet* ruleset) { ruleset_ = ruleset; }

  // The condition's truth. Throws Unsupported. `policy` is null for rules.
  Tri Condition(const Expr& expr, const PolicyTerms* policy);

  // The paths read since the last call (and clears them).
  std::set<std::string> TakeReadSet();
  // Domain constraints of the variables at `paths` and between them, each
  // with a label saying what it is ("domain: child.age_years in 0..25").
  std::vector<std::pair<z3::expr, std::string>> DomainOf(
      const std::set<std::string>& paths);
  // Every path read so far.
  const std::set<std::string>& AllPaths() const { return all_paths_; }

  // The facts `model` gives the variables at `paths`, as protobuf JSON of
  // the root message.
  std::string WitnessJson(const z3::model& model,
                          const std::set<std::string>& paths);

 private:
  Value Enc(const Expr& e);
  Value EncField(const Value& base, int32_t field);
  Value EncCall(const Expr& e);
  Value EncHas(const Expr& e);
  Value EncBinary(const Expr& e);
  Value EncComprehension(const Expr& e);
  Value EncPolicy(const Expr& e);
  Value EncAnswer(const Expr& e);
  Value Literal(const LiteralValue& v, const Type& type);
  Value Bool(z3::expr t, z3::expr f);
  Value Scalar(Value::Kind kind, z3::expr def, z3::expr v);
  Tri Compare(Op op, const Value& a, const Value& b);
  Tri In(const Value& x, const Value& list);
  Tri AsTri(const Value& v);
  // The list's possible elements, each with "is in the list".
  void Elements(const Value& list, std::vector<z3::expr>* in,
                std::vector<Value>* elems);

  Var& GetVar(const std::string& path, const FieldDef* field,
              const std::string& parent);
  void Touch(const std::string& path);
  z3::expr Present(const std::string& path);
  std::string EmitMessage(const z3::model& model, int32_t type,
                          const std::string& path,
                          const std::set<std::string>& paths);

  z3::context& ctx_;
  const RuleSet* ruleset_;
  std::vector<const RuleSet*> rulesets_;  // every ruleset encoded
  const FactSchema& schema_;
  const AnalysisOptions& opt_;
  const PolicyTerms* policy_ = nullptr;
  std::vector<Value> bindings_;
  std::map<std::string, Var> vars_;
  std::map<std::string, std::string> parent_;  // path → its message's path
  std::set<std::string> read_;
  std::set<std::string> all_paths_;
  std::vector<std::string> string_literals_;
};

// Index-free form of a path: "a.b[1].c" → "a.b.c".
std::string StripIndices(const std::string& path);

}  // namespace analyze_internal
}  // namespace lantern

#endif  // LANTERN_ENGINE_ANALYZE_INTERNAL_ENCODER_H_
