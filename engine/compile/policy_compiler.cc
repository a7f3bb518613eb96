// The policy stage compiled: entry point CompilePolicy
// (engine/compile/internal/compiler_internal.h).
//
// Every policy-stage condition (concern floors, prompts, findings) and every
// invariant's premise and conclusion (answer stage) is split
// into its logical tree over atoms exactly as rules are (`&&`, `||`, `!`),
// each occurrence quoted with ConditionText; every atom, and every action's
// due-time expression whole, becomes atom VM code (engine/match/atom_vm.h)
// against the policy's constants and a frame layout of the policy's own.
// Atoms with the same text share code, and each atom is marked when it reads
// concern_level() (the concern floors change what it gives). Nothing is
// indexed: the policy stage evaluates every condition of the policy on
// every request that reaches it; the names it looks up are resolved to
// indices once (BuildPolicyTables).
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "engine/compile/internal/compiler_internal.h"
#include "engine/lang/condition_text.h"
#include "engine/match/atom_vm.h"

namespace lantern {
namespace compiler_internal {
namespace {

bool ReadsLevels(const Expr& e) {
  if (e.kind == ExprKind::kCall && e.function == Function::kConcernLevel) {
    return true;
  }
  for (const auto& child : e.args) {
    if (ReadsLevels(*child)) return true;
  }
  return false;
}

bool IsLogical(const Expr& e) {
  return (e.kind == ExprKind::kUnary && e.op == Op::kNot &&
          e.args.size() == 1) ||
         (e.kind == ExprKind::kBinary &&
          (e.op == Op::kAnd || e.op == Op::kOr) && e.args.size() == 2);
}

class PolicyCompiler {
 public:
  PolicyCompiler(const RuleSet& ruleset, CompiledPolicy* out)
      : ruleset_(ruleset), out_(*out) {}

  PolicyCondition Condition(const lantern::Condition& c) {
    PolicyCondition condition;
    Walk(*c.expr, c.source, &condition);
    return condition;
  }

  int32_t Value(const lantern::Condition& c) {
    return Compile(*c.expr, c.source);
  }

 private:
  int32_t Walk(const Expr& e, const SourceText& source, PolicyCondition* c) {
    LogicNode node;
    if (!IsLogical(e)) {
      Occurrence occ;
      std::string text = ConditionText(e, source, &occ.offset);
      occ.atom = Atom(e, source, text);
      occ.text = Text(std::move(text));
      node.kind = LogicNode::kAtom;
      node.a = static_cast<int32_t>(c->occurrences.size());
      c->occurrences.push_back(occ);
    } else if (e.op == Op::kNot) {
      node.kind = LogicNode::kNot;
      node.a = Walk(*e.args[0], source, c);
    } else {
      node.kind = e.op == Op::kAnd ? LogicNode::kAnd : LogicNode::kOr;
      node.a = Walk(*e.args[0], source, c);
      node.b = Walk(*e.args[1], source, c);
    }
    c->nodes.push_back(node);
    return static_cast<int32_t>(c->nodes.size() - 1);
  }

  // An atom's result depends only on its text (all policy conditions are
  // checked in one stage against one schema and constants), so one text is
  // compiled once.
  int32_t Atom(const Expr& e, const SourceText& source,
               const std::string& text) {
    auto it = atoms_.find(text);
    if (it != atoms_.end()) return it->second;
    const int32_t atom = Compile(e, source);
    atoms_.emplace(text, atom);
    return atom;
  }

  int32_t Compile(const Expr& e, const SourceText& source) {
    const int32_t atom =
        CompileAtom(e, source, *ruleset_.schema, ruleset_.policy.constants,
                    &out_.layout, &out_.code);
    out_.atom_reads_levels.resize(atom + 1, false);
    out_.atom_reads_levels[atom] = ReadsLevels(e);
    return atom;
  }

  int32_t Text(std::string text) {
    auto [it, added] = texts_.emplace(std::move(text),
                                      static_cast<int32_t>(out_.texts.size()));
    if (added) out_.texts.push_back(it->first);
    return it->second;
  }

  const RuleSet& ruleset_;
  CompiledPolicy& out_;
  absl::flat_hash_map<std::string, int32_t> atoms_;
  absl::flat_hash_map<std::string, int32_t> texts_;
};

}  // namespace

absl::Status CompilePolicy(const RuleSet& ruleset, CompiledPolicy* out) {
  const Policy& policy = ruleset.policy;
  absl::StatusOr<PolicyTables> tables = BuildPolicyTables(ruleset);
  if (!tables.ok()) return tables.status();
  out->tables = *std::move(tables);
  PolicyCompiler compiler(ruleset, out);
  for (const ConcernFloor& floor : policy.concern_floors) {
    if (floor.when.expr == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "concern floor ", floor.id, " has no checked condition"));
    }
    out->concern_floors.push_back(compiler.Condition(floor.when));
  }
  for (const PromptDef& prompt : policy.prompts) {
    if (prompt.when.expr == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("prompt ", prompt.name, " has no checked condition"));
    }
    out->prompts.push_back(compiler.Condition(prompt.when));
    std::vector<PolicyCondition>& findings = out->findings.emplace_back();
    for (const PromptFinding& finding : prompt.findings) {
      findings.push_back(finding.when.has_value() && finding.when->expr
                             ? compiler.Condition(*finding.when)
                             : PolicyCondition());
    }
  }
  for (const ActionDef& action : policy.actions) {
    out->due.push_back(action.due.has_value() && action.due->expr
                           ? compiler.Value(*action.due)
                           : -1);
  }
  for (const Invariant& inv : ruleset.invariants) {
    if (inv.holds.expr == nullptr ||
        (inv.when.has_value() && inv.when->expr == nullptr)) {
      return absl::InvalidArgumentError(
          absl::StrCat("invariant ", inv.id, " has no checked condition"));
    }
    out->invariant_when.push_back(inv.when.has_value()
                                      ? compiler.Condition(*inv.when)
                                      : PolicyCondition());
    out->invariant_holds.push_back(compiler.Condition(inv.holds));
  }
  return absl::OkStatus();
}

}  // namespace compiler_internal
}  // namespace lantern
