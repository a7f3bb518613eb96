// DecisionRecorder: every Assess answer goes into the audit ledger before
// it is sent (DESIGN.md §2.5: nothing acknowledged is lost).
//
// The record is the request's facts, client_request_id and view, the
// answer's decision id, as_of, ruleset digest and evaluated_at
// (= received_at), the engine version (engine/version.h) and exactly the
// answer sent, in the request's view: compact, by reference to the
// ruleset's strings, when the recorder has a codec (record format 3,
// decision_codec.h), else inline (format 4). The FULL answer is not
// recorded: it is worked out again on read (DecisionCodec::Full). The
// append is asynchronous (ledger group commit): the callback comes once
// the record is durable, on the ledger's committer thread, and the caller
// sends the answer from there.
//
// Idempotency: a request whose client_request_id is already in the ledger
// gets the stored answer (same decision id) and no new record: in the
// recorded view, the answer as sent, byte for byte; in another view, the
// FULL answer (held by an older record, or worked out again) cut to it; a
// record made before views: the answer as it was sent — provided
// it is the same request: the same facts and, when it gives them, the same
// as_of and a ruleset_version naming the recorded ruleset (its digest or
// manifest version). A different request under a used id is refused with
// ALREADY_EXISTS rather than answered with another episode's decision —
// or with another principal's: the principal must be the same too.
// The record names `principal`, the caller that asked (access_control.h).
//
// Once a new decision is durable, its episode is added to the episode
// index (episode_index.h), if there is one, before `done` is called, so
// the next Assess sees it; a retry answered from the ledger adds nothing.
//
// When an append fails and the ledger reports itself down (a failed commit
// makes it refuse every later append until the server restarts), the
// recorder calls its `on_ledger_down` with the reason, every such time;
// the server says so once and marks itself NOT_SERVING.
//
// Thread-safety: Record may be called from any thread.
#ifndef LANTERN_SERVER_APP_DECISION_RECORDER_H_
#define LANTERN_SERVER_APP_DECISION_RECORDER_H_

#include <functional>

#include "absl/status/status.h"
#include "lantern/v1/assessment.pb.h"
#include "lantern/v1/service.pb.h"
#include "server/app/decision_codec.h"
#include "server/app/episode_index.h"
#include "server/ledger/ledger.h"

namespace lantern {

class DecisionRecorder {
 public:
  using LedgerDown = std::function<void(const absl::Status& why)>;

  // `ledger` null: recording is off (for benchmarks only) and Record
  // answers at once. `index` and `codec` may be null (no codec: records
  // keep the answer sent inline, format 4, and a retry that needs a
  // compact record read or the FULL answer worked out is INTERNAL).
  // REQUIRES: a ledger, an index and a codec outlive this.
  explicit DecisionRecorder(ledger::Ledger* ledger,
                            LedgerDown on_ledger_down = nullptr,
                            EpisodeIndex* index = nullptr,
                            DecisionCodec* codec = nullptr)
      : ledger_(ledger),
        on_ledger_down_(std::move(on_ledger_down)),
        index_(index),
        codec_(codec) {}

  bool recording() const { return ledger_ != nullptr; }

  // Called with each new decision (the answer as sent and the request it
  // answers) once it is on record (with recording off: once made), before
  // `done`; not for a retry answered from the ledger. On the ledger's
  // notifier thread; keep it short. REQUIRES: before the first Record.
  using OnDecision = std::function<void(const v1::AssessRequest& request,
                                        const v1::Assessment& answer)>;
  void set_on_decision(OnDecision on_decision) {
    on_decision_ = std::move(on_decision);
  }

  using Done = std::function<void(absl::Status)>;

  // Cuts `*answer`, the decision just made for `request` (FULL, or already
  // in request.view(): cutting a cut answer changes nothing), to
  // request.view(), appends it, then calls `done` with:
  //   OK                `*answer` is on record as it is (on a retry:
  //                     replaced by the stored answer), send it;
  //   ALREADY_EXISTS    the client_request_id was used for another request;
  //   UNAVAILABLE       it could not be made durable: do not send `*answer`;
  //   INTERNAL          a bug.
  // REQUIRES: `request` and `answer` stay valid until `done` is called.
  void Record(const v1::AssessRequest& request, v1::Assessment* answer,
              Done done, const std::string& principal = "local");

 private:
  // Calls on_ledger_down_ when the ledger reports itself down.
  void CheckLedgerHealth();

  ledger::Ledger* const ledger_;
  const LedgerDown on_ledger_down_;
  OnDecision on_decision_;
  EpisodeIndex* const index_;
  DecisionCodec* const codec_;
};

}  // namespace lantern

#endif  // LANTERN_SERVER_APP_DECISION_RECORDER_H_
