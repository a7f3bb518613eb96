// RuleSet: a loaded, checked ruleset — the model every later stage reads.
//
// A ruleset is a directory (see rules/README.md and engine/ruleset/loader.h for
// the file layout): a manifest, rule files with constants and rules, catalogues
// of codes, a policy file, and rule tests. The loader turns it into this
// immutable value, in which every condition is parsed and checked against
// the fact schema the manifest names. Nothing here is safeguarding-specific:
// concerns, grades, levels, prompts and actions are names the ruleset declares.
//
// Thread-safety: immutable after loading; share as
// std::shared_ptr<const RuleSet> and read concurrently.
#ifndef LANTERN_ENGINE_RULESET_RULESET_H_
#define LANTERN_ENGINE_RULESET_RULESET_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "engine/facts/facts.h"
#include "engine/facts/schema.h"
#include "engine/lang/ast.h"
#include "engine/lang/checker.h"
#include "engine/lang/diagnostics.h"
#include "engine/lang/source_text.h"

namespace lantern {

// A checked expression with the text it came from.
struct Condition {
  SourceText source;
  std::unique_ptr<Expr> expr;  // non-null, checked
};

// [from, to): `to` absent means open-ended.
struct EffectivePeriod {
  absl::Time from = absl::InfinitePast();
  std::optional<absl::Time> to;
  bool Contains(absl::Time t) const {
    return t >= from && (!to.has_value() || t < *to);
  }
};

struct Manifest {
  std::string id;
  std::string version;
  std::string owner;
  std::string description;
  std::string approved_by;   // optional
  std::string fact_message;  // fully qualified protobuf message name
  SourceLocation fact_message_location;  // for diagnostics about it
  EffectivePeriod effective;
  // The file of the ruleset's invariants (`invariants:`, a path inside the
  // ruleset), or empty when it states none.
  std::string invariants_file;
};

struct Rule {
  std::string id;
  std::string title;
  std::string concern;  // one of Policy::concerns, or empty
  int64_t score = 0;
  std::string grade_floor;           // one of Policy::grades, or empty
  std::vector<std::string> actions;  // codes in Policy::actions
  std::vector<std::string> flags;
  std::string cite;
  EffectivePeriod effective;
  Condition when;
  SourceLocation location;  // the rule's `id:` entry
};

struct ConcernDef {
  std::string name;
  // Level name → minimum concern score, ascending. Scores below the first
  // threshold are at Policy::levels[0].
  std::vector<std::pair<std::string, int64_t>> thresholds;
};

struct ActionDef {
  std::string code;
  std::string title;
  std::string owner;
  std::string cite;
  std::optional<Condition> due;  // a timestamp expression, policy stage
};

// A named statement attached to a prompt, for the caller to read alongside
// it (say, whether the person's consent is needed). Decided with the prompt;
// without a condition it always holds (a fixed note, such as a route).
struct PromptFinding {
  std::string name;
  std::string title;
  std::string cite;
  std::optional<Condition> when;  // policy stage
};

struct PromptDef {
  std::string name;  // e.g. "nrm"
  std::string title;
  std::string cite;
  Condition when;                    // policy stage
  std::vector<std::string> actions;  // emitted when the prompt is raised
  std::vector<PromptFinding> findings;
  // One of Policy::grades, or empty: a raised prompt raises the final grade
  // to at least this (an UNKNOWN one raises the highest possible grade).
  std::string grade_floor;
};

// A level a concern is raised to when a policy-stage condition holds, for
// what one concern implies about another (criminal exploitation is forced
// labour). Conditions read the levels before any floor applies, so floors
// do not depend on their order; prompts read the levels after.
struct ConcernFloor {
  std::string id;
  std::string concern;  // one of Policy::concerns
  std::string level;    // one of Policy::levels
  std::string cite;
  Condition when;  // policy stage
};

struct Policy {
  std::vector<std::string> grades;  // ascending; grades[0] is the default
  // Grade → minimum total score, ascending by grade.
  std::vector<std::pair<std::string, int64_t>> grade_bands;
  std::vector<std::string> levels;  // ascending; levels[0] means "none"
  std::vector<ConcernDef> concerns;
  std::vector<ConcernFloor> concern_floors;  // file order
  std::vector<PromptDef> prompts;
  std::vector<ActionDef> actions;
  // The ruleset's constants plus one int constant per level (its rank), the
  // names policy-stage conditions see: `concern_level("CSE") >= MEDIUM`.
  std::vector<ConstantDef> constants;

  // Index in `grades` / `levels`, or -1.
  int GradeRank(const std::string& grade) const;
  int LevelRank(const std::string& level) const;
  const ActionDef* FindAction(const std::string& code) const;
};

// Something every answer of the ruleset must satisfy (its invariants file).
// Both conditions are checked at the answer stage (CheckEnv::answer_stage):
// they read the facts, the policy's inputs and the final answer. An answer
// VIOLATES the invariant iff `!when || holds` is FALSE in Kleene logic (the
// premise is TRUE and the conclusion FALSE); UNKNOWN means a fact it reads
// is unset and it is not decided either way. See engine/decide/invariants.h.
struct Invariant {
  std::string id;
  std::string title;
  std::string cite;               // why it must hold
  std::optional<Condition> when;  // the premise; absent means always
  Condition holds;
  SourceLocation location;  // the invariant's `id:` entry
};

// One rule test: facts plus what the answer must contain.
struct RuleTestCase {
  std::string name;
  SourceLocation location;
  std::string facts_json;  // protobuf JSON of the fact message
  SourceLocation facts_location;
  std::shared_ptr<const FactRecord> facts;  // decoded at load
  absl::Time as_of;
  std::vector<std::string> fires;      // must fire
  std::vector<std::string> not_fires;  // must not fire
  std::vector<std::string> unknown;    // must be blocked by UNKNOWN
  std::optional<std::string> grade;
  // The grade the unknown facts could still raise it to
  // (GradeOutcome::highest_possible).
  std::optional<std::string> highest_possible_grade;
  std::vector<std::pair<std::string, std::string>> concern_levels;
  // Prompt name → expected answer, by PromptAnswerName: "raise" (written
  // `true`), "not_raised" (`false`) or "consider".
  std::vector<std::pair<std::string, std::string>> prompts;
  std::optional<std::vector<std::string>> actions;  // exact set of codes
  // Exact set of codes in Assessment::actions_to_consider.
  std::optional<std::vector<std::string>> actions_to_consider;
  std::vector<std::string> overdue;  // actions overdue
};

// One code of a catalogue: what it means and where that comes from.
struct CatalogueEntry {
  std::string code;
  std::string description;
  std::string source;  // a URL
  SourceLocation location;
};

// A list(string) fact field reached from the root through singular message
// fields: its path ("episode.indicators") and the field index of each step.
struct CatalogueField {
  std::string path;
  std::vector<int32_t> indices;
};

// A catalogue of codes (catalogues/*.yaml): the vocabulary of a repeated
// string fact field, such as the indicators a practitioner may record. Rules
// see it as a list(string) constant of its codes named like the catalogue,
// and each subset as a constant of its own. A code may appear in several
// catalogues (an indicator of two concerns), once in each.
struct Catalogue {
  std::string name;  // also the constant's name
  std::string title;
  // The fact fields whose values are codes of this catalogue.
  std::vector<CatalogueField> fields;
  std::vector<CatalogueEntry> entries;  // file order
  // Subset name → its codes (entries of this catalogue), file order.
  std::vector<std::pair<std::string, std::vector<std::string>>> subsets;
  SourceLocation location;

  // Returns nullptr when `code` is not an entry.
  const CatalogueEntry* Find(absl::string_view code) const;
};

struct SourceFile {
  std::string path;  // relative to the ruleset directory, '/'-separated
  std::string content;
};

struct RuleSet {
  Manifest manifest;
  std::shared_ptr<const FactSchema> schema;
  std::vector<ConstantDef> constants;  // including catalogues and subsets
  std::vector<Catalogue> catalogues;   // sorted by name
  std::vector<Rule> rules;             // sorted by id
  Policy policy;
  std::vector<Invariant> invariants;  // file order
  std::vector<RuleTestCase> tests;
  std::vector<SourceFile> files;  // every file read, sorted by path

  const Rule* FindRule(absl::string_view id) const;
  const Catalogue* FindCatalogue(absl::string_view name) const;
};

}  // namespace lantern

#endif  // LANTERN_ENGINE_RULESET_RULESET_H_
