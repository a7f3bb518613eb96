// RemovePersonalData: an Audit answer as an auditor may see it — what was
// decided and why, without the child's data.
//
// Removed, wherever they occur in `answer`:
//   - every EpisodeFacts (the recorded facts: the child's reference,
//     narratives, associates, health, history, ...);
//   - DecisionRecord.client_request_id (a caller's key, often a case
//     reference);
//   - DecisionRecord.compact_assessment (the answer, compressed:
//     its evidence quotes fact values; `assessment` beside it, filled in
//     by the auditor, is what the auditor sees);
//   - FactValue.value in evidence (the values the rules read; the paths
//     stay, so the auditor sees which facts decided);
//   - Assessment.push_factors, pull_factors and indicators (the catalogue
//     codes recorded about the child);
//   - FieldDifference.recorded/replayed when the path or a value touches
//     evidence, recorded codes or derived facts (the path stays);
//   - GetInclusionProofResponse.leaf (the record's bytes; leaf_hash stays,
//     so the proof can still be checked);
//   - the references in Assessment.derived (LinkedChild and LinkedEpisode
//     child_reference, LinkedPlace and LinkedPerson reference): the
//     counts and the linked decision ids stay.
// Everything else (decision ids, times, ruleset digests, grades, concerns,
// prompts, actions, rule ids, unknown fact paths, proofs) is kept.
// tests/server/app/personal_data_test.cc checks every field of every
// Audit answer, so a field added to these messages must be classified.
//
// Thread-safety: stateless.
#ifndef LANTERN_SERVER_APP_PERSONAL_DATA_H_
#define LANTERN_SERVER_APP_PERSONAL_DATA_H_

#include "google/protobuf/message.h"

namespace lantern {

void RemovePersonalData(google::protobuf::Message& answer);

}  // namespace lantern

#endif  // LANTERN_SERVER_APP_PERSONAL_DATA_H_
