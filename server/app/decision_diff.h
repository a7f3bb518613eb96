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
// level, whether the NRM prompt is raised, and the action codes added or
// removed.
//
// Thread-safety: stateless; safe to call concurrently.
#ifndef LANTERN_SERVER_APP_DECISION_DIFF_H_
#define LANTERN_SERVER_APP_DECISION_DIFF_H_

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

}  // namespace lantern

#endif  // LANTERN_SERVER_APP_DECISION_DIFF_H_
