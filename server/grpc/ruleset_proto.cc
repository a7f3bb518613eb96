// RuleSetProto: field-by-field copies; a test failure's location is
// written as "file:line:col" like a diagnostic's.
#include "server/grpc/ruleset_proto.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "server/grpc/status_map.h"

namespace lantern {

v1::RuleSetInfo RuleSetInfoProto(const RuleSetVersion& version, bool active) {
  const Manifest& manifest = version.ruleset->manifest;
  v1::RuleSetInfo info;
  info.set_id(manifest.id);
  info.set_version(manifest.version);
  info.set_digest(version.digest);
  info.set_active(active);
  info.set_owner(manifest.owner);
  info.set_description(manifest.description);
  info.set_approved_by(manifest.approved_by);
  info.set_rule_count(static_cast<int>(version.ruleset->rules.size()));
  info.set_tests_passed(version.tests_passed);
  return info;
}

void DiagnosticsToProto(
    const Diagnostics& diagnostics,
    google::protobuf::RepeatedPtrField<v1::Diagnostic>* out) {
  for (const Diagnostic& d : diagnostics.Sorted()) {
    v1::Diagnostic* p = out->Add();
    p->set_file(ValidUtf8(d.location.file));
    p->set_line(d.location.line);
    p->set_column(d.location.column);
    p->set_severity(d.severity == Severity::kError ? v1::Diagnostic::ERROR
                                                   : v1::Diagnostic::WARNING);
    p->set_message(ValidUtf8(d.message));
    p->set_text(ValidUtf8(d.ToString()));
  }
}

v1::RuleTestSummary RuleTestSummaryProto(const RuleTestReport& report) {
  v1::RuleTestSummary summary;
  summary.set_passed(report.passed);
  summary.set_failed(report.failed);
  for (const RuleTestFailure& failure : report.failures) {
    v1::RuleTestFailure* f = summary.add_failures();
    f->set_name(ValidUtf8(failure.name));
    f->set_location(ValidUtf8(absl::StrCat(failure.location.file, ":",
                                           failure.location.line, ":",
                                           failure.location.column)));
    for (const std::string& d : failure.differences) {
      f->add_differences(ValidUtf8(d));
    }
  }
  return summary;
}

std::vector<std::string> CandidatePathProblems(
    const google::protobuf::RepeatedPtrField<v1::RuleSetFile>& files,
    absl::string_view field) {
  std::vector<std::string> problems;
  if (files.empty()) problems.push_back(absl::StrCat(field, ": required"));
  for (int i = 0; i < files.size(); ++i) {
    const std::string& path = files[i].path();
    const std::vector<absl::string_view> parts = absl::StrSplit(path, '/');
    const bool bad =
        path.empty() || path[0] == '/' ||
        std::any_of(parts.begin(), parts.end(), [](absl::string_view part) {
          return part.empty() || part == "." || part == "..";
        });
    if (bad) {
      problems.push_back(absl::StrCat(
          field, "[", i, "].path: ", EchoValue(path),
          " is not a relative '/'-separated path without '.' or '..'"));
    }
  }
  return problems;
}

v1::RuleSetAnalysis RuleSetAnalysisProto(const AnalysisReport* report) {
  v1::RuleSetAnalysis out;
  if (report == nullptr) return out;
  out.set_analysed(true);
  auto where = [](const SourceLocation& l) {
    return absl::StrCat(l.file, ":", l.line, ":", l.column);
  };
  for (const RuleFinding& r : report->rules) {
    if (r.kind == RuleFinding::kNeverFires) {
      v1::NeverFiringRule* n = out.add_never_firing();
      n->set_rule_id(r.rule_id);
      n->set_location(where(r.location));
      for (const std::string& c : r.conflicts) n->add_conflicts(c);
    } else if (r.kind == RuleFinding::kUnsupported) {
      out.add_warnings(absl::StrCat("rule ", r.rule_id, " (", where(r.location),
                                    ") is not analysed: ", r.unsupported));
    }
  }
  for (const InvariantFinding& i : report->invariants) {
    v1::InvariantVerdict* v = out.add_invariants();
    v->set_id(i.id);
    v->set_location(where(i.location));
    v->set_verdict(i.proven ? v1::InvariantVerdict::PROVEN
                            : v1::InvariantVerdict::VIOLATED);
    v->set_counterexample_json(i.counterexample_json);
    v->set_explanation(i.explanation);
  }
  for (const OutputFinding& o : report->outputs) {
    if (!o.reachable) {
      out.add_unreachable_outputs(absl::StrCat(o.kind, " ", o.name));
    }
  }
  for (const ShadowedRule& r : report->shadowed) {
    out.add_warnings(absl::StrCat("rule ", r.rule_id, " (", where(r.location),
                                  ") can never change any output"));
  }
  for (const std::string& u : report->unsupported) {
    out.add_warnings(absl::StrCat("not supported: ", u));
  }
  for (const std::string& d : report->disagreements) {
    out.add_warnings(absl::StrCat("ANALYSIS BUG: ", d));
  }
  out.set_scope(report->scope);
  out.set_solver_checks(report->solver_checks);
  return out;
}

}  // namespace lantern
