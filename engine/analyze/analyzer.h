// Analyzer: exact questions about a ruleset, answered with the Z3 SMT solver
// and every answer that comes with an episode checked by the engine.
//
// Entry points: AnalyzeRuleSet (`lantern analyze`) and DiffRuleSets
// (`lantern diff`, below). AnalyzeRuleSet encodes the checked ruleset — every
// rule's condition, the policy stage (concern scores and levels, concern
// floors, prompts, grade bands and floors, actions) and the invariants —
// over the fact schema's domains, faithful to the language's three-valued
// semantics (doc/language.md): each boolean
// expression is a pair of solver booleans "is TRUE" / "is FALSE" (neither:
// UNKNOWN); each value a pair "is known" / value. Then it asks:
//   * per rule in force at `as_of`: can its condition be TRUE? If not, the
//     top-level conditions (and domain constraints) that conflict — the
//     solver's unsat core;
//   * per output (grade, concern level, raised prompt, action in the
//     answer's `actions`): can any episode's answer produce it?
//   * per invariant: can an answer violate it (premise TRUE, conclusion
//     FALSE)? If not it is PROVEN; otherwise a counterexample.
// Every witness and counterexample is turned into a facts JSON episode,
// decoded by the caller's `decode` and evaluated by the engine, the
// ruleset compiled (AssessWithMatcher, CheckInvariants) before it is
// reported; an episode
// the engine does not confirm is reported as an analysis bug
// (`disagreements`), never as an answer.
//
// The domains: facts are the fact schema's fields; a singular message may
// be set or not, a field with presence set or unset (UNKNOWN), an enum at a
// zero_is_unknown zero is UNKNOWN. Integers, doubles and timestamps range
// over AnalysisDomain's bounds (timestamps in whole seconds relative to
// `as_of`); a repeated scalar field holds a set of codes (its catalogues'
// codes when it is bound to catalogues, else the ruleset's string
// literals and one other string; an enum list its named values other than
// an UNKNOWN zero); a repeated message field holds up to `list_bound`
// elements; a text field read by mentions() is the set of the ruleset's
// phrases it mentions. "Can never" and PROVEN are exact within these
// domains; the report states them. Constructs outside the encoding
// (division, modulo, size() of text, string comparisons other than codes)
// make that condition unsupported: it is named with the reason, and its
// truth is left free (any of TRUE, FALSE, UNKNOWN), which keeps PROVEN and
// "unreachable" sound; a counterexample that needs it may then fail the
// engine's check and is reported as unconfirmed.
//
// Thread-safety: stateless; the RuleSet is only read.
#ifndef LANTERN_ENGINE_ANALYZE_ANALYZER_H_
#define LANTERN_ENGINE_ANALYZE_ANALYZER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "engine/facts/facts.h"
#include "engine/ruleset/ruleset.h"

namespace lantern {

// The ranges facts take besides their types: what a valid request allows.
// Paths are schema paths without list indices ("child.age_years",
// "episode.found.with.people.age_years").
struct AnalysisDomain {
  struct IntRange {
    std::string path;
    int64_t low = 0;
    int64_t high = 0;
  };
  std::vector<IntRange> int_ranges;
  // Every other int field; every double field (as whole thousandths).
  int64_t int_low = 0, int_high = 1000000;
  double double_low = 0, double_high = 1000000;
  // Timestamps: seconds from as_of.
  int64_t time_low = -150LL * 366 * 86400, time_high = 50LL * 366 * 86400;
  // `later` is not before `earlier` (with `strict`, after it) whenever
  // both are set (for list elements: of the same index, or one outside the
  // list).
  struct TimeOrder {
    std::string earlier, later;
    bool strict = false;
  };
  std::vector<TimeOrder> time_orders;
  // When `path` is set, the enum at `enum_path` holds one of `allowed`
  // (value names).
  struct EnumWhenSet {
    std::string path, enum_path;
    std::vector<std::string> allowed;
  };
  std::vector<EnumWhenSet> enum_when_set;
};

struct AnalysisOptions {
  absl::Time as_of;
  AnalysisDomain domain;
  int list_bound = 3;  // elements of a repeated message field
  // Also find a confirmed witness for every rule that can fire (slower;
  // the rules that cannot fire are found either way).
  bool rule_witnesses = true;
  bool outputs = true;  // outputs and invariants (the policy stage)
  // With `outputs`: also ask, per rule that can fire, whether it can change
  // any output (AnalysisReport::shadowed).
  bool shadowed = true;
  // Witness field names: protobuf JSON's lowerCamelCase, or (false) the
  // schema's own names.
  bool json_camel_case = true;
};

// Decodes a facts JSON episode the way a request's facts are, validation
// included; an error says why the episode is refused.
using FactsDecoder =
    std::function<absl::StatusOr<FactRecord>(const std::string& json)>;

struct RuleFinding {
  std::string rule_id;
  SourceLocation location;
  enum Kind { kCanFire, kNeverFires, kNotInForce, kUnsupported } kind;
  // kNeverFires: the conflicting conditions ("`text` (file:line:col)") and
  // domain constraints; kUnsupported: why.
  std::vector<std::string> conflicts;
  std::string unsupported;
  std::string witness_json;  // kCanFire with a confirmed witness
};

struct OutputFinding {
  std::string kind;  // "grade", "concern", "prompt", "action"
  std::string name;  // "HIGH", "CSE=MEDIUM", "nrm", "NRM_REFERRAL"
  bool reachable = false;
  std::string witness_json;  // reachable and confirmed
};

struct InvariantFinding {
  std::string id;
  SourceLocation location;
  bool proven = false;
  std::string counterexample_json;  // violated and confirmed
  std::string explanation;          // the engine's DescribeOutcome
};

// A rule that can fire but never changes any output: whenever it fires,
// the grade, every concern level, every prompt's answer and the actions
// listed are what they would be if it had not (its condition FALSE), e.g.
// because floors, bands or other rules already force them. A warning, not
// a fault. `witness_json`: an episode on which it fires, confirmed by the
// engine to give the same outputs with the rule's match removed.
struct ShadowedRule {
  std::string rule_id;
  SourceLocation location;
  std::string witness_json;
};

struct AnalysisReport {
  std::vector<RuleFinding> rules;      // ruleset order
  std::vector<ShadowedRule> shadowed;  // ruleset order
  std::vector<OutputFinding> outputs;
  std::vector<InvariantFinding> invariants;
  // Conditions the encoding does not support: "where: why".
  std::vector<std::string> unsupported;
  // A solver answer the engine did not confirm: an analysis bug, or a
  // witness that needs an unsupported condition (then said so).
  std::vector<std::string> disagreements;
  // The domains the answers are exact within, in one line.
  std::string scope;
  int64_t solver_checks = 0;

  // Rules that can never fire, outputs no episode reaches, violated
  // invariants, disagreements.
  bool HasFindings() const;
};

// REQUIRES: `ruleset` is checked; `decode` decodes its fact message.
// INVALID_ARGUMENT when `as_of` is outside the ruleset's effective period.
absl::StatusOr<AnalysisReport> AnalyzeRuleSet(const RuleSet& ruleset,
                                              const AnalysisOptions& options,
                                              const FactsDecoder& decode);

// The report as the `lantern analyze` command prints it.
std::string FormatReport(const RuleSet& ruleset, const AnalysisReport& report);

// `lantern diff OLD NEW`: per output (each grade, concern level, prompt
// raised, action in `actions`, by name across both rulesets), whether some
// episode's answer differs between the two rulesets, with a witness
// episode both engines confirm and the rules that fired under one and not
// the other.
struct DiffFinding {
  std::string kind;  // "grade", "concern", "prompt", "action"
  std::string name;
  bool differs = false;
  std::string witness_json;        // differs and confirmed
  std::string old_says, new_says;  // on the witness: "HIGH" / "MEDIUM"...
  std::vector<std::string> rules;  // "+id" fired only under NEW, "-id" OLD
};

struct DiffReport {
  std::vector<DiffFinding> outputs;
  std::vector<std::string> unsupported;
  std::vector<std::string> disagreements;  // as AnalysisReport's
  std::string scope;
  int64_t solver_checks = 0;
  bool HasDifferences() const;
};

// REQUIRES: both rulesets are checked and name the same fact message;
// `decode_old` / `decode_new` decode facts for each. INVALID_ARGUMENT when
// `as_of` is outside either's effective period or the fact messages differ.
absl::StatusOr<DiffReport> DiffRuleSets(const RuleSet& old_rs,
                                        const RuleSet& new_rs,
                                        const AnalysisOptions& options,
                                        const FactsDecoder& decode_old,
                                        const FactsDecoder& decode_new);

std::string FormatDiff(const RuleSet& old_rs, const RuleSet& new_rs,
                       const DiffReport& report);

}  // namespace lantern

#endif  // LANTERN_ENGINE_ANALYZE_ANALYZER_H_
