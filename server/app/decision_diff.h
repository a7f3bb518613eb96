// DecisionDiff: how two lantern.v1.Assessments differ, for the Audit
// service's Replay, WhatIf and Backtest.
//
// DiffAssessments gives every differing field with a path that names
// repeated entries by their key rather than their position, so an entry
// that moved is not a difference and one that changed says which:
//   grade.grade                         RiskGrade of the answer
//   concerns[CSE].level                 a concern's level
//   actions[code=CALL_POLICE]           an action added or removed
//   fired_rules[id=test.gifts].score    a field of a fired rule
//   flags[2]                            plain repeated fields: by position
// Keys: concerns by concern; actions by code; fired, blocked and errored
// rules by id; prompts and findings by name; unknown facts and recorded
// codes by path. Values are protobuf text format (enums by name).
//
// SummarizeChanges gives what a case system acts on: grade, each concern's
// level, whether the NRM prompt is raised, each other prompt's answer, and
// the action codes added or removed. ChangedOutputs names each output a
// summary changes ("grade", "concern CSE", "prompt nrm", "prompt <name>",
// "action CALL_POLICE"), and OutputTally counts decisions per such output,
// for the shadow run (shadow_run.h) and `lantern diff --ledger`.
//
// Thread-safety: the functions are stateless and safe to call
// concurrently; an OutputTally is not thread-safe (its owner locks).
#ifndef LANTERN_SERVER_APP_DECISION_DIFF_H_
#define LANTERN_SERVER_APP_DECISION_DIFF_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "lantern/v1/assessment.pb.h"
#include "lantern/v1/audit.pb.h"

namespace lantern {

// Every difference from `recorded` to `other`, sorted by path; empty when
// they are equal field for field. (`recorded` values go in
// FieldDifference.recorded, `other`'s in FieldDifference.replayed.)
std::vector<v1::FieldDifference> DiffAssessments(const v1::Assessment& recorded,
                                                 const v1::Assessment& other);

// How `to` differs from `from` in grade, concern levels, NRM and actions.
// A concern present in only one of them counts as LEVEL_UNSPECIFIED in the
// other.
v1::ChangeSummary SummarizeChanges(const v1::Assessment& from,
                                   const v1::Assessment& to);

// Which kinds of change a summary holds.
bool GradeChanged(const v1::ChangeSummary& s);
bool NrmChanged(const v1::ChangeSummary& s);
bool ActionsChanged(const v1::ChangeSummary& s);
bool AnyChange(const v1::ChangeSummary& s);

// The outputs `s` changes, in this order: "grade"; "concern <CONCERN>" per
// concern whose level changes; "prompt nrm"; "prompt <name>" per other
// prompt whose answer changes; "action <CODE>" per action added or
// removed. Empty when !AnyChange(s).
std::vector<std::string> ChangedOutputs(const v1::ChangeSummary& s);

// Orders output names as ChangedOutputs lists them: "grade", then concerns,
// "prompt nrm", other prompts, actions; by name within each kind.
struct OutputOrder {
  bool operator()(const std::string& a, const std::string& b) const;
};

// Decisions counted per changed output, with the first few decision ids.
class OutputTally {
 public:
  // Keeps up to `max_examples` decision ids per output.
  explicit OutputTally(int max_examples) : max_examples_(max_examples) {}

  // Counts one compared decision whose change summary is `s`.
  void Add(const std::string& decision_id, const v1::ChangeSummary& s);

  struct Output {
    uint64_t decisions = 0;
    std::vector<std::string> examples;  // in the order added
  };
  // By output name ("grade", "action CALL_POLICE") in OutputOrder;
  // outputs never changed are absent.
  using Outputs = std::map<std::string, Output, OutputOrder>;
  const Outputs& outputs() const { return outputs_; }
  // Decisions added, and those with some change.
  uint64_t compared() const { return compared_; }
  uint64_t differing() const { return differing_; }

 private:
  int max_examples_;
  Outputs outputs_;
  uint64_t compared_ = 0;
  uint64_t differing_ = 0;
};

}  // namespace lantern

#endif  // LANTERN_SERVER_APP_DECISION_DIFF_H_
