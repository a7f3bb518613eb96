// AssessmentView: an Assessment cut to one of the views a caller may ask
// for (assessment.proto View, AssessRequest.view). The cut is a pure
// function of the FULL answer and the view, so the ledger keeps the FULL
// answer and the view, and what was sent follows from them exactly. (A
// server without a ledger builds only the view's answer, EvaluateFacts in
// request_assessor.h, which is by contract this cut of the FULL one.)
//
// Thread-safety: stateless.
#ifndef LANTERN_SERVER_APP_ASSESSMENT_VIEW_H_
#define LANTERN_SERVER_APP_ASSESSMENT_VIEW_H_

#include "absl/strings/string_view.h"
#include "engine/version.h"
#include "lantern/v1/assessment.pb.h"

namespace lantern {

// Cuts the FULL answer `*answer` down to `view` in place (FULL: unchanged;
// EXPLAINED: without blocked_rules; DECISION: as assessment.proto's View
// says), as the engine `engine_version` (engine/version.h) cut it: a
// record made by an earlier engine is cut as it was sent (engine 0.8.0's
// DECISION kept raising rules, the concerns' rules, prompt titles, action
// owners, the NRM's consent basis and route, and all that each unknown
// fact decides). REQUIRES: `*answer` is
// a FULL answer.
void CutToView(v1::View view, v1::Assessment* answer,
               absl::string_view engine_version = kEngineVersion);

}  // namespace lantern

#endif  // LANTERN_SERVER_APP_ASSESSMENT_VIEW_H_
