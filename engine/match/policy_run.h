// PolicyRun: one request's evaluation of the compiled policy stage
// (CompiledPolicy, engine/match/program.h) by the atom VM — the policy
// conditions' truths with their reasons, and due-time values — over the
// request's facts and the PolicyInputs the policy stage built from its
// match.
//
// Results are exactly what the language defines (doc/language.md): a
// condition's truth by Kleene logic over its atoms, its
// reasons the atoms that decide it (in source order, each with the facts
// and policy readings it made), its unknown paths those of its UNKNOWN
// reasons, its error the first ERROR reason's.
//
// Thread-safety: one PolicyRun per request and thread; the program is only
// read.
#ifndef LANTERN_ENGINE_MATCH_POLICY_RUN_H_
#define LANTERN_ENGINE_MATCH_POLICY_RUN_H_

#include <cstdint>
#include <vector>

#include "absl/time/time.h"
#include "engine/facts/facts.h"
#include "engine/lang/policy_inputs.h"
#include "engine/lang/truth.h"
#include "engine/match/atom_vm.h"
#include "engine/match/fact_frame.h"
#include "engine/match/program.h"

namespace lantern {

class PolicyRun {
 public:
  // Decodes the policy's frame from `facts`. REQUIRES: `program` outlives
  // the run; `facts` has the program's schema's root type.
  PolicyRun(const CompiledRuleSet& program, const FactRecord& facts,
            absl::Time as_of);

  // The inputs every later call reads; forgets every atom result
  // remembered. REQUIRES: `inputs` outlives the calls that read it, and
  // changes only as LevelsChanged() declares.
  void SetInputs(const PolicyInputs& inputs);
  const PolicyInputs* inputs() const { return inputs_; }

  // Call after raising concern levels in the inputs set (the concern
  // floors): forgets what the atoms that read concern_level() gave.
  void LevelsChanged();

  // REQUIRES: SetInputs was called; `condition` is one of the program's
  // policy conditions, with nodes (a present condition). Each atom runs at
  // most once untraced and once traced per inputs (conditions sharing an
  // atom share its results). Without `readings` the result has no reasons
  // and the deciding atoms are traced only when an UNKNOWN or ERROR truth
  // needs their paths or error; truth, unknown paths and error are the
  // same either way.
  ConditionResult Evaluate(const PolicyCondition& condition,
                           bool readings = true);

  // The value of due-time atom `atom` (CompiledPolicy::due). kTrue with the
  // value when known; kUnknown with the unset paths it read (sorted);
  // kError with the message. REQUIRES: SetInputs was called.
  ValueResult EvaluateValue(int32_t atom);

 private:
  Truth AtomTruth(int32_t atom);
  const AtomTrace& AtomTraced(int32_t atom);
  void CollectReasons(const PolicyCondition& condition);

  const CompiledRuleSet& program_;
  const CompiledPolicy& policy_;
  ScratchStrings strings_;
  std::vector<FrameValue> frame_;
  AtomScratch scratch_;
  const PolicyInputs* inputs_ = nullptr;
  // Per atom of the policy's code: its truth as a Truth, or kNotRun; the
  // index of its trace in `traces_`, or -1.
  static constexpr int8_t kNotRun = -1;
  std::vector<int8_t> truth_;
  std::vector<int32_t> trace_;
  std::vector<AtomTrace> traces_;
  size_t traces_used_ = 0;
  // Per condition, reused: node truths (post-order), the walk's stack, the
  // deciding occurrences.
  std::vector<Truth> node_truth_;
  std::vector<int32_t> stack_;
  std::vector<int32_t> reasons_;
};

}  // namespace lantern

#endif  // LANTERN_ENGINE_MATCH_POLICY_RUN_H_
