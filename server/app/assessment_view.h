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

#include "lantern/v1/assessment.pb.h"

namespace lantern {

// Cuts the FULL answer `*answer` down to `view` in place (FULL: unchanged;
// EXPLAINED: without blocked_rules; DECISION: as assessment.proto's View
// says). REQUIRES: `*answer` is a FULL answer.
void CutToView(v1::View view, v1::Assessment* answer);

}  // namespace lantern

#endif  // LANTERN_SERVER_APP_ASSESSMENT_VIEW_H_
