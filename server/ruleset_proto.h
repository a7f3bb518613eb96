// RuleSetProto: the registry's versions, diagnostics and rule-test results
// as the lantern.v1 messages of service.proto.
//
// Thread-safety: stateless.
#ifndef LANTERN_SERVER_RULESET_PROTO_H_
#define LANTERN_SERVER_RULESET_PROTO_H_

#include "engine/diagnostics.h"
#include "engine/rule_test_runner.h"
#include "lantern/v1/service.pb.h"
#include "server/ruleset_registry.h"

namespace lantern {

// REQUIRES: `version` is non-null.
v1::RuleSetInfo RuleSetInfoProto(const RuleSetVersion& version, bool active);

// Sorted by file, line and column.
void DiagnosticsToProto(
    const Diagnostics& diagnostics,
    google::protobuf::RepeatedPtrField<v1::Diagnostic>* out);

v1::RuleTestSummary RuleTestSummaryProto(const RuleTestReport& report);

}  // namespace lantern

#endif  // LANTERN_SERVER_RULESET_PROTO_H_
