// CompiledRuleSet: the immutable program the compiler
// (engine/compile/compiler.h) makes of a checked RuleSet and the matcher
// (engine/match/matcher.h) runs.
//
// The program is a set of arrays indexed by dense numbers:
//
//  * Frame slots (engine/match/fact_frame.h): every root-based field path the
//    rules read, decoded once per request.
//  * Atoms: every distinct atomic condition of the ruleset, deduplicated
//    across rules, each one bit in two per-request bitsets (TRUE; UNKNOWN
//    or ERROR). Atoms are grouped by *source* into word-aligned bit blocks:
//      - ordered sources: comparisons and `in` of one slot with constants.
//        The slot's value is located by binary search among the source's
//        sorted distinct thresholds; the resulting class (below, equal to or
//        between thresholds) selects a precomputed row of atom bits;
//      - presence sources: has(path), two rows;
//      - set sources: `constant in repeated_field`, one hash lookup per
//        element of the list;
//      - text sources: `text.mentions("phrase")`, one pass of the phrase
//        automaton (engine/match/phrase_index.h) over the text;
//      - the compiled source: every other atom, run by the atom VM
//        (engine/match/atom_vm.h) each request.
//    A complement atom (the TRUE bit of "atom is FALSE") exists where a rule
//    needs a negated condition as an index key.
//  * Rules: each rule's condition as its atom occurrences (source order,
//    with the text and offset evidence quotes), a post-order logical tree
//    for three-valued evaluation and explanations, and jump code (one test
//    per occurrence, short-circuit) for two-valued evaluation.
//  * The index: each rule is reachable from at most a few *lead* atoms: for
//    every way the condition can be TRUE (an alternative), the most
//    selective atoms that must then hold (up to four). Lead entries are
//    grouped by their first atom, then by their second; a rule is evaluated
//    only when one of its entries has all atoms TRUE, when an atom it reads is
//    UNKNOWN or ERROR (the per-source and per-compiled-atom posting lists), or
//    when it has an alternative with no indexable atom (the always-evaluated
//    list).
//
// Thread-safety: immutable once built; share as
// std::shared_ptr<const CompiledRuleSet> and match concurrently, each thread
// with its own MatchScratch.
#ifndef LANTERN_ENGINE_MATCH_PROGRAM_H_
#define LANTERN_ENGINE_MATCH_PROGRAM_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "engine/facts/schema.h"
#include "engine/match/atom_vm.h"
#include "engine/match/fact_frame.h"
#include "engine/match/phrase_index.h"
#include "engine/match/policy_tables.h"
#include "engine/ruleset/ruleset.h"

namespace lantern {

enum class SourceKind : uint8_t {
  kOrdered,
  kPresence,
  kSet,
  kText,
  kCompiled,
};

// How an ordered source compares its slot's value with its thresholds.
enum class Domain : uint8_t { kInt, kDouble, kString, kTime, kDuration };

struct SourceDef {
  SourceKind kind = SourceKind::kOrdered;
  int32_t slot = -1;       // frame slot; -1 for the compiled source
  int32_t first_word = 0;  // atom bits [64 * first_word, 64 * (.. + words))
  int32_t words = 0;
  // kOrdered: sorted distinct thresholds (one vector, by domain). A value
  // with k thresholds below it is in class 2k, or 2k + 1 when it equals
  // threshold k; NaN is class 2n + 1. rows[class * words ...] are the TRUE
  // bits of the class. kPresence: class 0 unset, 1 set.
  Domain domain = Domain::kInt;
  std::vector<int64_t> ints;
  std::vector<double> doubles;
  std::vector<std::string> strings;
  std::vector<absl::Time> times;
  std::vector<absl::Duration> durations;
  std::vector<uint64_t> rows;
  // kSet: atom bits TRUE when an element equals the key.
  absl::flat_hash_map<std::string, std::vector<int32_t>> string_members;
  absl::flat_hash_map<int64_t, std::vector<int32_t>> int_members;
  // kText: phrase id → atom bits, CSR.
  std::vector<int32_t> phrase_begin;
  std::vector<int32_t> phrase_bits;
};

// One atom bit.
struct AtomDef {
  int32_t source = -1;      // -1: an unused bit, or the constant TRUE bit 0
  int32_t compiled = -1;    // index in CompiledRuleSet::code
  int32_t complement = -1;  // the complement's bit, if any
  bool is_complement = false;
};

// One atom occurrence in a rule: what evidence quotes.
struct Occurrence {
  int32_t atom = 0;    // bit
  int32_t offset = 0;  // in the rule's condition text
  int32_t text = 0;    // index in CompiledRuleSet::texts
};

// The post-order logical tree of one rule; children are rule-local node
// indices, kAtom's `a` the rule-local occurrence.
struct LogicNode {
  enum Kind : uint8_t { kAtom, kNot, kAnd, kOr };
  Kind kind = kAtom;
  int32_t a = 0;
  int32_t b = 0;
};

// Two-valued jump code, one instruction per occurrence: test the atom's
// TRUE bit and continue at a rule-local instruction, or stop.
struct JumpInstr {
  static constexpr int32_t kFalse = -1;
  static constexpr int32_t kTrue = -2;
  int32_t atom = 0;
  int32_t on_true = kFalse;
  int32_t on_false = kFalse;
};

// The entries of one lead atom are sorted by their second atom and grouped:
// a group is skipped with one test when its `second` atom is not TRUE. Its
// entries are [end of the previous group, `end`) in CompiledRuleSet::leads
// (groups and entries are laid out in the same order, so the previous
// group, across lead atoms too, ends where this one begins).
struct LeadGroup {
  int32_t second = 0;
  int32_t end = 0;
};

// A rule is a candidate when its lead atom, its group's `second`, `third`
// and `fourth` are all TRUE (bit 0 is the constant TRUE, filling unused
// places).
struct LeadEntry {
  int32_t rule = 0;
  int32_t third = 0;
  int32_t fourth = 0;
};

// How the compiler served the ruleset; printed by the benchmark and the
// tests.
struct CompileReport {
  int32_t rules = 0;
  int32_t rules_indexed = 0;   // every alternative has an index key
  int32_t rules_always = 0;    // evaluated on every request
  int32_t rules_compiled = 0;  // read at least one compiled (VM) atom
  int32_t occurrences = 0;
  int32_t atoms_ordered = 0, atoms_presence = 0, atoms_set = 0, atoms_text = 0,
          atoms_compiled = 0, atoms_complement = 0;
  int32_t sources = 0, slots = 0;
  int32_t lead_entries = 0;
  int32_t phrases = 0, phrase_words = 0, phrase_states = 0;
  size_t memory_bytes = 0;

  std::string ToString() const;
};

// One policy-stage condition (a concern floor's, a prompt's, a finding's):
// its logical tree over atom occurrences, split exactly as rules are. Each
// occurrence's `atom` is an atom of CompiledPolicy::code, its `text` an
// index in CompiledPolicy::texts. No nodes: the condition is absent (a
// finding without one holds).
struct PolicyCondition {
  std::vector<Occurrence> occurrences;
  std::vector<LogicNode> nodes;  // post-order; the root is last
};

// The policy stage compiled: every condition and due-time expression of
// the ruleset's Policy, run by the atom VM over a frame of its own (decoded
// only when a request reaches the policy stage) with the request's
// PolicyInputs. Vectors are indexed as the Policy's.
struct CompiledPolicy {
  FrameLayout layout;
  AtomCode code;
  std::vector<std::string> texts;
  std::vector<PolicyCondition> concern_floors;         // Policy::concern_floors
  std::vector<PolicyCondition> prompts;                // Policy::prompts
  std::vector<std::vector<PolicyCondition>> findings;  // per prompt
  std::vector<int32_t> due;  // per Policy::actions: atom in `code`, or -1
  // Per RuleSet::invariants, answer-stage conditions (grade(), prompt(),
  // action() read PolicyInputs::answer): the premise (no nodes when the
  // invariant has none) and the conclusion.
  std::vector<PolicyCondition> invariant_when;
  std::vector<PolicyCondition> invariant_holds;
  // Per atom of `code`: it calls concern_level(), whose bounds the concern
  // floors raise (its result before the floors may differ after them).
  std::vector<bool> atom_reads_levels;
  PolicyTables tables;  // the policy's names as indices, for Decide

  size_t MemoryBytes() const;
};

struct CompiledRuleSet {
  std::shared_ptr<const RuleSet> ruleset;
  std::shared_ptr<const FactSchema> schema;

  FrameLayout layout;
  std::vector<SourceDef> sources;
  std::vector<AtomDef> atoms;          // by bit
  int32_t words = 0;                   // bitset size in 64-bit words
  AtomCode code;                       // compiled atoms
  std::vector<int32_t> compiled_bits;  // bit of each compiled atom
  PhraseIndex phrases;

  // Rules (indices as in RuleSet::rules).
  std::vector<int32_t> occ_begin;  // CSR into occurrences / jumps
  std::vector<Occurrence> occurrences;
  std::vector<JumpInstr> jumps;
  std::vector<int32_t> node_begin;  // CSR into nodes; the root is last
  std::vector<LogicNode> nodes;
  std::vector<std::string> texts;
  std::vector<int32_t> period;  // index in `periods`, -1 = always in force
  std::vector<EffectivePeriod> periods;

  // The index.
  std::vector<int32_t> lead_begin;  // by bit, CSR into lead_groups
  std::vector<LeadGroup> lead_groups;
  std::vector<LeadEntry> leads;
  std::vector<uint64_t> lead_mask;  // bits with lead entries
  std::vector<int32_t> always;      // rules with an unindexed alternative
  std::vector<int32_t> source_rules_begin;  // by source, CSR
  std::vector<int32_t> source_rules;
  std::vector<int32_t> compiled_rules_begin;  // by compiled atom, CSR
  std::vector<int32_t> compiled_rules;

  CompiledPolicy policy;

  CompileReport report;

  int32_t rule_count() const {
    return static_cast<int32_t>(occ_begin.size()) - 1;
  }
  size_t MemoryBytes() const;
};

}  // namespace lantern

#endif  // LANTERN_ENGINE_MATCH_PROGRAM_H_
