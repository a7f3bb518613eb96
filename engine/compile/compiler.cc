// Compiler: entry point CompileRuleSet (engine/compile/compiler.h).
//
// Four passes over the checked ruleset:
//   1. Decompose each rule's condition into its logical tree (`&&`, `||`,
//      `!`, exactly as the reference evaluator splits it) over atom
//      occurrences, interning every atom in the AtomCatalog
//      (compiler_atoms.cc) and quoting each occurrence with ConditionText.
//   2. Choose each rule's lead atoms (compiler_index.cc).
//   3. Lay out atom bits and build the per-source tables
//      (compiler_layout.cc).
//   4. Lay out the rules: jump code, lead index, posting lists
//      (compiler_index.cc), effective periods and the report.
//   5. Compile the policy stage (policy_compiler.cc).
#include "engine/compile/compiler.h"

#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "engine/compile/internal/compiler_internal.h"

namespace lantern {
namespace {

using compiler_internal::AtomCatalog;
using compiler_internal::RuleBuild;

bool IsLogical(const Expr& e) {
  return (e.kind == ExprKind::kUnary && e.op == Op::kNot &&
          e.args.size() == 1) ||
         (e.kind == ExprKind::kBinary &&
          (e.op == Op::kAnd || e.op == Op::kOr) && e.args.size() == 2);
}

class Decomposer {
 public:
  Decomposer(AtomCatalog* catalog, std::vector<std::string>* texts)
      : catalog_(*catalog), texts_(*texts) {}

  // Appends `e`'s subtree to `rule` in post-order; returns its node.
  int32_t Walk(const Expr& e, const SourceText& source, RuleBuild* rule) {
    LogicNode node;
    if (!IsLogical(e)) {
      int32_t offset = 0;
      std::string text = ConditionText(e, source, &offset);
      node.kind = LogicNode::kAtom;
      node.a = static_cast<int32_t>(rule->occ_atoms.size());
      rule->occ_atoms.push_back(catalog_.Intern(e, source));
      rule->occ_offsets.push_back(offset);
      rule->occ_texts.push_back(TextId(std::move(text)));
    } else if (e.op == Op::kNot) {
      node.kind = LogicNode::kNot;
      node.a = Walk(*e.args[0], source, rule);
    } else {
      node.kind = e.op == Op::kAnd ? LogicNode::kAnd : LogicNode::kOr;
      node.a = Walk(*e.args[0], source, rule);
      node.b = Walk(*e.args[1], source, rule);
    }
    rule->nodes.push_back(node);
    return static_cast<int32_t>(rule->nodes.size() - 1);
  }

 private:
  int32_t TextId(std::string text) {
    auto [it, added] =
        ids_.emplace(std::move(text), static_cast<int32_t>(texts_.size()));
    if (added) texts_.push_back(it->first);
    return it->second;
  }

  AtomCatalog& catalog_;
  std::vector<std::string>& texts_;
  absl::flat_hash_map<std::string, int32_t> ids_;
};

void Report(const AtomCatalog& catalog, const std::vector<RuleBuild>& rules,
            CompiledRuleSet* program) {
  CompileReport& r = program->report;
  r.rules = static_cast<int32_t>(rules.size());
  r.rules_always = static_cast<int32_t>(program->always.size());
  r.rules_indexed = r.rules - r.rules_always;
  for (const RuleBuild& rule : rules) {
    bool compiled = false;
    for (int32_t atom : rule.occ_atoms) {
      compiled |= catalog.atoms[atom].compiled >= 0;
    }
    r.rules_compiled += compiled;
    r.occurrences += static_cast<int32_t>(rule.occ_atoms.size());
  }
  for (const auto& atom : catalog.atoms) {
    if (atom.complement_of >= 0) {
      ++r.atoms_complement;
      continue;
    }
    switch (catalog.sources[atom.source].kind) {
      case SourceKind::kOrdered:
        ++r.atoms_ordered;
        break;
      case SourceKind::kPresence:
        ++r.atoms_presence;
        break;
      case SourceKind::kSet:
        ++r.atoms_set;
        break;
      case SourceKind::kText:
        ++r.atoms_text;
        break;
      case SourceKind::kCompiled:
        ++r.atoms_compiled;
        break;
    }
  }
  r.sources = static_cast<int32_t>(program->sources.size());
  r.slots = program->layout.size();
  r.lead_entries = static_cast<int32_t>(program->leads.size());
  r.phrases = program->phrases.phrase_count();
  r.phrase_words = program->phrases.word_count();
  r.phrase_states = program->phrases.state_count();
  r.memory_bytes = program->MemoryBytes();
}

absl::Status Validate(const RuleSet* ruleset) {
  if (ruleset == nullptr) return absl::InvalidArgumentError("no ruleset");
  if (ruleset->schema == nullptr) {
    return absl::InvalidArgumentError("the ruleset has no fact schema");
  }
  for (const Rule& rule : ruleset->rules) {
    if (rule.when.expr == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("rule ", rule.id, " has no checked condition"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::shared_ptr<const CompiledRuleSet>> CompileRuleSet(
    std::shared_ptr<const RuleSet> ruleset) {
  if (absl::Status status = Validate(ruleset.get()); !status.ok()) {
    return status;
  }
  auto program = std::make_shared<CompiledRuleSet>();
  program->ruleset = ruleset;
  program->schema = ruleset->schema;
  AtomCatalog catalog(*ruleset, program.get());
  Decomposer decomposer(&catalog, &program->texts);
  std::vector<RuleBuild> rules(ruleset->rules.size());
  for (size_t i = 0; i < rules.size(); ++i) {
    const Condition& when = ruleset->rules[i].when;
    decomposer.Walk(*when.expr, when.source, &rules[i]);
  }
  for (RuleBuild& rule : rules) compiler_internal::ChooseLeads(&catalog, &rule);
  compiler_internal::LayOut(&catalog, program.get());
  compiler_internal::BuildRules(catalog, rules, program.get());
  for (const Rule& rule : ruleset->rules) {
    const bool always_in_force = rule.effective.from == absl::InfinitePast() &&
                                 !rule.effective.to.has_value();
    program->period.push_back(
        always_in_force ? -1 : static_cast<int32_t>(program->periods.size()));
    if (!always_in_force) program->periods.push_back(rule.effective);
  }
  if (absl::Status status =
          compiler_internal::CompilePolicy(*ruleset, &program->policy);
      !status.ok()) {
    return status;
  }
  Report(catalog, rules, program.get());
  return std::shared_ptr<const CompiledRuleSet>(std::move(program));
}

}  // namespace lantern
