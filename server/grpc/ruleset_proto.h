// RuleSetProto: the registry's versions, diagnostics and rule-test results
// as the lantern.v1 messages of service.proto.
//
// Thread-safety: stateless.
#ifndef LANTERN_SERVER_GRPC_RULESET_PROTO_H_
#define LANTERN_SERVER_GRPC_RULESET_PROTO_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "engine/decide/rule_test_runner.h"
#include "engine/lang/diagnostics.h"
#include "lantern/v1/service.pb.h"
#include "server/app/ruleset_registry.h"

namespace lantern {

// REQUIRES: `version` is non-null.
v1::RuleSetInfo RuleSetInfoProto(const RuleSetVersion& version, bool active);

// Sorted by file, line and column.
void DiagnosticsToProto(
    const Diagnostics& diagnostics,
    google::protobuf::RepeatedPtrField<v1::Diagnostic>* out);

v1::RuleTestSummary RuleTestSummaryProto(const RuleTestReport& report);

// The gate's analysis of a candidate; `analysed` false when `report` is
// null (the server does not analyse candidates).
v1::RuleSetAnalysis RuleSetAnalysisProto(const AnalysisReport* report);

// Every problem with candidate files sent by a client (RuleSets.Validate,
// Audit.Backtest): none at all, or a path that is not relative,
// '/'-separated and free of empty, "." and ".." parts. Each is
// "<field>[i].path: ..." with `field` the files' path in the request.
std::vector<std::string> CandidatePathProblems(
    const google::protobuf::RepeatedPtrField<v1::RuleSetFile>& files,
    absl::string_view field);

}  // namespace lantern

#endif  // LANTERN_SERVER_GRPC_RULESET_PROTO_H_
