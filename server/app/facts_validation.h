// FactsValidation: what the service checks in an AssessRequest before it
// evaluates anything, and the facts decoded for the engine.
//
// Every problem is found, not just the first, and each is named by its
// field path from the request ("facts.child.age_years: 212 is out of range
// 0..25"; "facts.episode.indicators.recorded[1]: 'FOO' is not a code of
// ..."). The checks, in order:
//   - shape: facts present; no repeated field longer than
//     `max_repeated`, no narrative text longer than `max_narrative_bytes`,
//     no other string longer than `max_string_bytes`, a client request id
//     of at most 128 bytes;
//   - values that cannot be true (ImpossibleValues, facts_values.h: ages
//     out of range, times out of order, ...);
//   - decoding (engine/proto/proto_adapter.h: timestamps Timestamp can hold,
//     every enum field — found from the descriptor, so new fields are
//     covered — holding a number its enum names, ...);
//   - codes in the fields the ruleset's catalogues are bound to must be
//     codes of those catalogues (engine/ruleset/catalogue.h).
// The request-size limit itself is gRPC's (the server's maximum receive
// message size), before any of this runs.
//
// Thread-safety: stateless.
#ifndef LANTERN_SERVER_APP_FACTS_VALIDATION_H_
#define LANTERN_SERVER_APP_FACTS_VALIDATION_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "engine/facts/facts.h"
#include "engine/ruleset/catalogue.h"
#include "engine/ruleset/ruleset.h"
#include "lantern/v1/service.pb.h"

namespace lantern {

struct RequestLimits {
  int max_repeated = 100;
  int64_t max_narrative_bytes = 64 * 1024;
  int64_t max_string_bytes = 1024;
};

inline constexpr size_t kMaxClientRequestIdBytes = 128;

// The request's facts decoded for `ruleset`, or INVALID_ARGUMENT listing
// every problem ("invalid request: <path>: <problem>; <path>: ...").
// `known_codes`, when not null, receives the facts' catalogue codes
// (ScanCatalogueCodes(ruleset, facts).known) from the same scan that checks
// them, for Decide, so that they are scanned once per request.
// REQUIRES: `ruleset` is checked and its fact message is
// lantern.v1.EpisodeFacts.
absl::StatusOr<FactRecord> ValidateAndDecodeFacts(
    const v1::AssessRequest& request, const RuleSet& ruleset,
    const RequestLimits& limits,
    std::vector<RecordedCode>* known_codes = nullptr);

}  // namespace lantern

#endif  // LANTERN_SERVER_APP_FACTS_VALIDATION_H_
